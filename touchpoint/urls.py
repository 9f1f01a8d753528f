from django.contrib import admin
from django.urls import include, path

from touchpoint.core import views as core_views
from touchpoint.org import views as org_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("touchpoint.api_urls")),
    path("", org_views.home, name="home"),
    path("recycle-bin/", core_views.recycle_bin, name="recycle_bin"),
    path("", include("touchpoint.org.urls")),
    path("", include("touchpoint.customers.urls")),
    path("", include("touchpoint.touchpoints.urls")),
    path("sales/", include("touchpoint.sales.urls")),
    path("finance/", include("touchpoint.finance.urls")),
    path("", include("touchpoint.delivery.urls")),
    path("service/", include("touchpoint.service.urls")),
    path("insights/", include("touchpoint.insights.urls")),
    path("portal/", include("touchpoint.portal.urls")),
]
