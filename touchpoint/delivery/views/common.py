"""What the delivery pages share: fetching records through the access layer, and the refusal re-render."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404

from touchpoint.delivery import access
from touchpoint.delivery.models import Project
from touchpoint.org.http import AuthedRequest
from touchpoint.org.models import User

PAGE_SIZE = 25


def project_for(request: AuthedRequest, pk: int) -> Project:
    """The project if the user may see it; 404 otherwise, whether or not it exists."""
    queryset = access.visible_projects(request.user).select_related("customer", "contract", "manager", "template")
    return get_object_or_404(queryset, pk=pk)


def editable_project(request: AuthedRequest, pk: int) -> Project:
    project = project_for(request, pk)
    require(access.can_edit_project(request.user, project))
    return project


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def colleagues() -> Any:
    """Active users, for choosing an assignee, a team member or a risk owner."""
    return User.objects.filter(is_active=True).order_by("full_name", "username")


def say_refused(request: AuthedRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def form_errors(form: Any) -> str:
    return " ".join(str(message) for errors in form.errors.values() for message in errors)

