"""Touchpoint pages: log an interaction, view and edit it, attachments, outbound email."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from touchpoint.core.editing import versioned_edit
from touchpoint.core.extensions import touchpoint_action_links
from touchpoint.core.forms import apply_validation_error
from touchpoint.core.history import history_page
from touchpoint.customers.access import visible_contacts
from touchpoint.customers.views import customer_for
from touchpoint.org.access import visible_departments, visible_users
from touchpoint.org.http import AuthedRequest
from touchpoint.touchpoints import access, services
from touchpoint.touchpoints.forms import AttachmentForm, EmailForm, TouchpointEditForm, TouchpointForm
from touchpoint.touchpoints.models import Touchpoint


def touchpoint_for(request: AuthedRequest, pk: int) -> Touchpoint:
    return get_object_or_404(
        access.visible_touchpoints(request.user).select_related("customer", "logged_by", "department"), pk=pk
    )


def _colleagues(request: AuthedRequest):  # type: ignore[no-untyped-def]
    return visible_users(request.user).filter(is_active=True).order_by("username")


@login_required
@require_http_methods(["GET", "POST"])
def touchpoint_create(request: AuthedRequest, customer_pk: int) -> HttpResponse:
    customer = customer_for(request, customer_pk)
    if not access.can_create_touchpoint(request.user, customer):
        raise PermissionDenied
    contacts = visible_contacts(request.user).filter(customer=customer).order_by("name")
    form = TouchpointForm(request.POST or None, request.FILES or None, contacts=contacts,
                          users=_colleagues(request), departments=visible_departments(request.user),
                          initial={"channel": request.GET.get("channel", "phone"), "direction": "in",
                                   "department": request.user.department_id,
                                   "followup_assignee": request.user.pk})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            touchpoint = services.touchpoint_log(
                by=request.user, customer=customer, channel=data["channel"], direction=data["direction"],
                occurred_at=data["occurred_at"], subject=data["subject"], notes=data["notes"],
                outcome=data["outcome"], department=data["department"], contacts=list(data["contacts"]),
                participants=list(data["participants"]), files=data["files"],
                followup_due_on=data["followup_due_on"], followup_assignee=data["followup_assignee"],
            )  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error if hasattr(error, "error_dict") else ValidationError({"files": error}))
        else:
            messages.success(request, _("Touchpoint logged."))
            return redirect(f"{reverse('customers:detail', args=[customer.pk])}#tp-{touchpoint.pk}")
    return render(request, "touchpoints/touchpoint_form.html", {"form": form, "customer": customer},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
def touchpoint_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    touchpoint = touchpoint_for(request, pk)
    context = {
        "touchpoint": touchpoint,
        "contacts": list(visible_contacts(request.user).filter(touchpoints=touchpoint)),
        "participants": list(touchpoint.participants.all()),
        "attachments": list(access.visible_attachments(request.user).filter(touchpoint=touchpoint)),
        "followups": list(access.visible_followups(request.user).filter(touchpoint=touchpoint).select_related("assignee")),
        "can_edit": access.can_edit_touchpoint(request.user, touchpoint),
        "can_delete": access.can_delete_touchpoint(request.user, touchpoint),
        "can_attach": access.can_add_attachment(request.user, touchpoint),
        "attachment_form": AttachmentForm(),
        "actions": touchpoint_action_links(request.user, touchpoint),
    }
    return render(request, "touchpoints/touchpoint_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def touchpoint_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    touchpoint = touchpoint_for(request, pk)
    if not access.can_edit_touchpoint(request.user, touchpoint):
        raise PermissionDenied

    def save(fresh: Any, values: dict[str, Any], version: int) -> None:
        services.touchpoint_update(touchpoint=fresh, by=request.user, expected_version=version, **values)

    return versioned_edit(request, form=TouchpointEditForm(request.POST or None, instance=touchpoint), record=touchpoint,
                          save=save, template="touchpoints/touchpoint_edit.html", context={"touchpoint": touchpoint},
                          saved_message=_("Touchpoint saved."),
                          success_url=reverse("touchpoints:detail", args=[touchpoint.pk]))  # fmt: skip


@login_required
@require_POST
def touchpoint_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    touchpoint = touchpoint_for(request, pk)
    if not access.can_delete_touchpoint(request.user, touchpoint):
        raise PermissionDenied
    services.touchpoint_delete(touchpoint=touchpoint, by=request.user)
    messages.success(request, _("Touchpoint moved to the recycle bin."))
    return redirect("customers:detail", pk=touchpoint.customer_id)


@login_required
@require_POST
def touchpoint_restore(request: AuthedRequest, pk: int) -> HttpResponse:
    touchpoint = get_object_or_404(access.deleted_touchpoints(request.user), pk=pk)
    services.touchpoint_restore(touchpoint=touchpoint, by=request.user)
    messages.success(request, _("Touchpoint restored."))
    return redirect("touchpoints:detail", pk=touchpoint.pk)


@login_required
def touchpoint_history(request: AuthedRequest, pk: int) -> HttpResponse:
    touchpoint = touchpoint_for(request, pk)
    return history_page(request, touchpoint, reverse("touchpoints:detail", args=[touchpoint.pk]))


@login_required
@require_POST
def attachment_upload(request: AuthedRequest, pk: int) -> HttpResponse:
    touchpoint = touchpoint_for(request, pk)
    if not access.can_add_attachment(request.user, touchpoint):
        raise PermissionDenied
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(touchpoint=touchpoint, upload=form.cleaned_data["file"], by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Attachment added."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("touchpoints:detail", pk=touchpoint.pk)


@login_required
def attachment_download(request: AuthedRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(access.visible_attachments(request.user), pk=pk)
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def attachment_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    attachment = get_object_or_404(access.visible_attachments(request.user), pk=pk)
    if not access.can_delete_attachment(request.user, attachment):
        raise PermissionDenied
    services.attachment_delete(attachment=attachment, by=request.user)
    messages.success(request, _("Attachment removed."))
    return redirect("touchpoints:detail", pk=attachment.touchpoint_id)


@login_required
@require_http_methods(["GET", "POST"])
def email_compose(request: AuthedRequest, customer_pk: int) -> HttpResponse:
    customer = customer_for(request, customer_pk)
    if not access.can_create_touchpoint(request.user, customer):
        raise PermissionDenied
    contacts = visible_contacts(request.user).filter(customer=customer).exclude(email="").order_by("name")
    form = EmailForm(request.POST or None, contacts=contacts, initial={"contact": request.GET.get("contact")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.email_send(by=request.user, contact=data["contact"], subject=data["subject"], body=data["body"],
                                cc_self=data["cc_self"])  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Email sent to %(email)s and logged.") % {"email": data["contact"].email})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "touchpoints/email_form.html", {"form": form, "customer": customer},
                  status=400 if form.errors else 200)  # fmt: skip
