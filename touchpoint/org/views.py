"""Workspace home, profile, notifications, departments and the policy table editor."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from touchpoint.core.extensions import workspace_panels
from touchpoint.core.models import Notification
from touchpoint.org import policy
from touchpoint.org.access import can_create_department, can_edit_department, can_edit_policy, can_view_policy, visible_departments
from touchpoint.org.forms import DepartmentForm, ProfileForm
from touchpoint.org.http import AuthedRequest
from touchpoint.org.models import Action, Position, Scope
from touchpoint.org.services import department_save, policy_set_scope


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    positions = request.user.positions  # type: ignore[union-attr]
    panels = workspace_panels.render_context(request, positions)
    return render(request, "org/home.html", {"panels": panels, "positions": positions})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthedRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile is saved."))
        return redirect("org:profile")
    token = Token.objects.filter(user=request.user).first()
    return render(request, "org/profile.html", {"form": form, "token": token})


@login_required
@require_POST
def token_reset(request: AuthedRequest) -> HttpResponse:
    with transaction.atomic():
        Token.objects.filter(user=request.user).delete()
        if request.POST.get("action") != "revoke":
            Token.objects.create(user=request.user)
    return redirect("org:profile")


@login_required
def notifications(request: AuthedRequest) -> HttpResponse:
    inbox = Notification.objects.filter(recipient=request.user).order_by("-created_at")[:100]
    if request.method == "POST":
        Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(read_at=timezone.now())
        return redirect("org:notifications")
    return render(request, "org/notifications.html", {"inbox": inbox})


# Who may manage users, departments and the table itself comes last: it is edited least.
ORG_ENTITIES = {"user", "department", "policy"}


@login_required
@require_http_methods(["GET", "POST"])
def policy_table(request: AuthedRequest) -> HttpResponse:
    if not can_view_policy(request.user):
        raise PermissionDenied
    table = policy.effective_table()
    if request.method == "POST":
        if not can_edit_policy(request.user):
            raise PermissionDenied
        changed = _apply_policy_post(request, table)
        messages.success(request, _("Policy table saved: %(count)d cells changed.") % {"count": changed})
        return redirect("org:policy")
    entities = [
        {"entity": entity, "rows": [
            {"position": position, "cells": [
                {"action": action, "label": Action(action).label, "name": f"{position}:{entity.key}:{action}",
                 "scope": table.get((position, entity.key, action), Scope.NONE)}
                for action in entity.actions]}
            for position in Position]}
        for entity in sorted(policy.ENTITIES.values(), key=lambda e: e.key in ORG_ENTITIES)
    ]  # fmt: skip
    return render(request, "org/policy.html", {"entities": entities, "scopes": Scope.choices,
                                               "editable": can_edit_policy(request.user)})  # fmt: skip


def _apply_policy_post(request: AuthedRequest, table: dict) -> int:
    valid_scopes = {str(value) for value in Scope.values}
    changed = 0
    with transaction.atomic():
        for key, value in request.POST.items():
            parts = key.split(":")
            if len(parts) != 3 or str(value) not in valid_scopes:
                continue
            position, entity, action = parts
            if position not in Position.values or entity not in policy.ENTITIES:
                continue
            if action not in policy.ENTITIES[entity].actions:
                continue
            changed += policy_set_scope(position=position, entity=entity, action=action, scope=int(str(value)),
                                        by=request.user)  # fmt: skip
    return changed


@login_required
def departments(request: AuthedRequest) -> HttpResponse:
    rows = visible_departments(request.user)
    return render(request, "org/departments.html", {"departments": rows, "editable": can_edit_department(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def department_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    if not (can_edit_department(request.user) if pk else can_create_department(request.user)):
        raise PermissionDenied
    department = get_object_or_404(visible_departments(request.user), pk=pk) if pk else None
    form = DepartmentForm(request.POST or None, instance=department)
    if request.method == "POST" and form.is_valid():
        department_save(department=form.save(commit=False), by=request.user)
        messages.success(request, _("Department saved."))
        return redirect("org:departments")
    return render(request, "org/department_form.html", {"form": form, "department": department})
