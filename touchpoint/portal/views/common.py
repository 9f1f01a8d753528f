"""What every portal page shares: the customer-user gate and the refusals."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from touchpoint.org.models import User
from touchpoint.portal.access import is_portal_user, portal_account
from touchpoint.portal.models import PortalAccount


class PortalRequest(HttpRequest):
    """A request behind @portal_required: a customer user with an active account."""

    user: User  # type: ignore[assignment]
    portal: PortalAccount


def portal_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Customer users only. Visitors go to the portal's sign-in, staff to their own workspace, and a
    customer user whose access ended is signed out."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        if not is_portal_user(request.user):
            return redirect("home")
        account = portal_account(request.user)
        if account is None:
            logout(request)
            messages.error(request, _("Your portal access has ended. Ask your company's portal admin."))
            return redirect("portal:login")
        request.portal = account  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def not_found() -> Http404:
    """The one answer to anything outside the user's customers: the same words whatever the id."""
    return Http404(_("This page does not exist."))


def say_refused(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)
