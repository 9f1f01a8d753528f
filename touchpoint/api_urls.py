"""The REST API: /api/v1/ plus the OpenAPI schema and the offline Swagger UI."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from touchpoint.customers.api import ContactViewSet, CustomerViewSet
from touchpoint.org.api import DepartmentViewSet, UserViewSet
from touchpoint.sales.api.catalogue import ModuleViewSet, ProductViewSet, RequirementAreaViewSet
from touchpoint.sales.api.insight import PriceHistoryView, RecommendationView
from touchpoint.sales.api.leads import LeadViewSet
from touchpoint.sales.api.opportunities import OpportunityViewSet, RequirementViewSet
from touchpoint.sales.api.quotes import ContractViewSet, QuoteViewSet
from touchpoint.sales.api.reports import SalesForecastView, SalesReportsView
from touchpoint.touchpoints.api import FollowUpViewSet, TouchpointViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("users", UserViewSet, basename="api-user")
router.register("departments", DepartmentViewSet, basename="api-department")
router.register("customers", CustomerViewSet, basename="api-customer")
router.register("contacts", ContactViewSet, basename="api-contact")
router.register("touchpoints", TouchpointViewSet, basename="api-touchpoint")
router.register("followups", FollowUpViewSet, basename="api-followup")
router.register("leads", LeadViewSet, basename="api-lead")
router.register("opportunities", OpportunityViewSet, basename="api-opportunity")
router.register("requirements", RequirementViewSet, basename="api-requirement")
router.register("products", ProductViewSet, basename="api-product")
router.register("modules", ModuleViewSet, basename="api-module")
router.register("requirement-areas", RequirementAreaViewSet, basename="api-requirement-area")
router.register("quotes", QuoteViewSet, basename="api-quote")
router.register("contracts", ContractViewSet, basename="api-contract")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/sales-forecast/", SalesForecastView.as_view(), name="api-sales-forecast"),
    path("v1/sales-reports/", SalesReportsView.as_view(), name="api-sales-reports"),
    path("v1/recommendations/<str:opportunity_id>/", RecommendationView.as_view(), name="api-recommendation"),
    path("v1/price-history/", PriceHistoryView.as_view(), name="api-price-history"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
