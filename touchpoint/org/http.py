"""The request type of pages that require a signed-in user."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from touchpoint.org.models import User


class AuthedRequest(HttpRequest):
    """An HttpRequest behind @login_required: `user` is a real User, `htmx` is set by the middleware."""

    user: User  # type: ignore[assignment]
    htmx: HtmxDetails
