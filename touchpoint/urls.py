from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("touchpoint.api_urls")),
    path("", include("touchpoint.org.urls")),
    path("", include("touchpoint.customers.urls")),
    path("", include("touchpoint.touchpoints.urls")),
]
