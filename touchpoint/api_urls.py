"""The REST API: /api/v1/ plus the OpenAPI schema and the offline Swagger UI."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from touchpoint.customers.api import ContactViewSet, CustomerViewSet
from touchpoint.delivery.api.documents import DocumentViewSet
from touchpoint.delivery.api.handover import HandoverViewSet
from touchpoint.delivery.api.plan import MilestoneViewSet, TaskViewSet
from touchpoint.delivery.api.projects import ProjectViewSet
from touchpoint.delivery.api.timesheets import SiteVisitViewSet, TimeEntryViewSet
from touchpoint.delivery.api.work import ChangeRequestViewSet, RiskViewSet, StatusReportViewSet
from touchpoint.finance.api.credit import CreditOverrideViewSet, CreditProfileViewSet
from touchpoint.finance.api.dunning import DunningLetterViewSet
from touchpoint.finance.api.invoices import InvoiceRequestViewSet, InvoiceViewSet
from touchpoint.finance.api.receipts import AllocationViewSet, ReceiptViewSet
from touchpoint.finance.api.reports import AgeingView, CollectionPlanView, CollectionsAgainstPlanView, ReceivablesOutlookView
from touchpoint.insights import api as insights_api
from touchpoint.org.api import DepartmentViewSet, UserViewSet
from touchpoint.sales.api.catalogue import ModuleViewSet, ProductViewSet, RequirementAreaViewSet
from touchpoint.sales.api.insight import PriceHistoryView, RecommendationView
from touchpoint.sales.api.leads import LeadViewSet
from touchpoint.sales.api.opportunities import OpportunityViewSet, RequirementViewSet
from touchpoint.sales.api.quotes import ContractViewSet, QuoteViewSet
from touchpoint.sales.api.reports import SalesForecastView, SalesReportsView
from touchpoint.service import api as service_api
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
router.register("invoice-requests", InvoiceRequestViewSet, basename="api-invoice-request")
router.register("invoices", InvoiceViewSet, basename="api-invoice")
router.register("receipts", ReceiptViewSet, basename="api-receipt")
router.register("allocations", AllocationViewSet, basename="api-allocation")
router.register("credit-profiles", CreditProfileViewSet, basename="api-credit-profile")
router.register("credit-overrides", CreditOverrideViewSet, basename="api-credit-override")
router.register("dunning-letters", DunningLetterViewSet, basename="api-dunning-letter")
router.register("projects", ProjectViewSet, basename="api-project")
router.register("tasks", TaskViewSet, basename="api-task")
router.register("milestones", MilestoneViewSet, basename="api-milestone")
router.register("time-entries", TimeEntryViewSet, basename="api-time-entry")
router.register("site-visits", SiteVisitViewSet, basename="api-site-visit")
router.register("risks", RiskViewSet, basename="api-risk")
router.register("change-requests", ChangeRequestViewSet, basename="api-change-request")
router.register("status-reports", StatusReportViewSet, basename="api-status-report")
router.register("project-documents", DocumentViewSet, basename="api-project-document")
router.register("handovers", HandoverViewSet, basename="api-handover")
for _prefix, _viewset, _basename in service_api.ROUTES:
    router.register(_prefix, _viewset, basename=_basename)

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/sales-forecast/", SalesForecastView.as_view(), name="api-sales-forecast"),
    path("v1/sales-reports/", SalesReportsView.as_view(), name="api-sales-reports"),
    path("v1/recommendations/<str:opportunity_id>/", RecommendationView.as_view(), name="api-recommendation"),
    path("v1/price-history/", PriceHistoryView.as_view(), name="api-price-history"),
    path("v1/ar-ageing/", AgeingView.as_view(), name="api-ar-ageing"),
    path("v1/collection-plan/", CollectionPlanView.as_view(), name="api-collection-plan"),
    path("v1/receivables-outlook/", ReceivablesOutlookView.as_view(), name="api-receivables-outlook"),
    path("v1/collections-against-plan/", CollectionsAgainstPlanView.as_view(), name="api-collections-against-plan"),
    path("v1/", include([*service_api.PATHS, *insights_api.PATHS])),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
