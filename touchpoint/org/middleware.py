from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

from touchpoint.core.extensions import portal_customers

# What a customer user (a portal user) may reach outside the portal: the language switch, the API
# (which serves them what the access functions allow), static files, signing out, and allauth's
# re-authentication and MFA steps. Every other page is staff-only and sends them to the portal.
CUSTOMER_PATHS = ("/portal/", "/i18n/", "/api/", "/static/", "/accounts/logout/", "/accounts/2fa/", "/accounts/reauthenticate/")
STAFF_PORTAL_PATHS = ("/portal/staff/",)


def _customer_on_staff_page(request: HttpRequest) -> bool:
    path = request.path_info
    if path.startswith(CUSTOMER_PATHS) and not path.startswith(STAFF_PORTAL_PATHS):
        return False
    return portal_customers(request.user) is not None


class UserLanguageMiddleware:
    """A signed-in user's chosen language wins over the browser's Accept-Language; and a customer
    user who reaches a staff page is sent to the portal instead."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in and _customer_on_staff_page(request):
            return redirect("/portal/")
        language = getattr(user, "language", "") if signed_in else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
