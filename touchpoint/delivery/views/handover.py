"""The handover page: the checklist, the record's fields and lists, submitting, signing, sending back."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from touchpoint.core.forms import apply_validation_error
from touchpoint.customers.models import Contact
from touchpoint.delivery import access
from touchpoint.delivery.forms import DefectForm, HandoverForm, KeyContactForm, ReasonForm, SystemForm, TrainingForm
from touchpoint.delivery.models import Handover, HandoverContact, HandoverDefect, HandoverSystem, HandoverTraining, Project
from touchpoint.delivery.services import handover as services
from touchpoint.delivery.views.common import form_errors, project_for, require, say_refused
from touchpoint.org.http import AuthedRequest
from touchpoint.sales.models import InstalledItem, ProductVersion

ROWS: dict[str, Any] = {"system": HandoverSystem, "defect": HandoverDefect, "training": HandoverTraining, "contact": HandoverContact}


def _handover_for(request: AuthedRequest, pk: int) -> tuple[Project, Handover]:
    project = project_for(request, pk)
    handover = Handover.objects.filter(project=project).select_related("pm_signed_by", "lead_signed_by").first()
    if handover is None or not access.can_view_handover(request.user, handover):
        raise Http404
    return project, handover


def _row_forms(project: Project, handover: Handover) -> dict[str, Any]:
    items = InstalledItem.objects.filter(customer_id=project.customer_id).select_related("module").order_by("product", "module")
    versions = ProductVersion.objects.filter(product_id__in=items.values("product_id")).select_related("product").order_by("-released_on")
    contacts = Contact.objects.filter(customer_id=project.customer_id).order_by("name")
    return {
        "system_form": SystemForm(items=items, versions=versions, prefix="system"),
        "defect_form": DefectForm(prefix="defect"), "training_form": TrainingForm(prefix="training"),
        "contact_form": KeyContactForm(contacts=contacts, prefix="contact"),
    }  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def handover_page(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    if not Handover.objects.filter(project=project).exists():
        return render(request, "delivery/handover_none.html", {
            "project": project, "tab": "handover", "can_start": access.can_edit_project(request.user, project)
            and project.status == "in_progress"})  # fmt: skip
    project, handover = _handover_for(request, pk)
    can_fill = access.can_fill_handover(request.user, handover)
    initial = {f: getattr(handover, f) for f in services.HANDOVER_FIELDS} | {"version": handover.version}
    form = HandoverForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(can_fill)
        if form.is_valid():
            values = dict(form.cleaned_data)
            version = values.pop("version")
            try:
                services.handover_update(handover=handover, by=request.user, expected_version=version, **values)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Handover saved."))
                return redirect("delivery:handover", pk=project.pk)
    checklist = services.checklist(handover)
    context = {
        "project": project, "handover": handover, "tab": "handover", "form": form, "can_fill": can_fill,
        "can_sign": access.can_sign_handover(request.user, handover), "checklist": checklist,
        "complete": all(item.done for item in checklist),
        "systems": handover.systems.select_related("installed_item__module", "installed_item__product", "version"),
        "defects": handover.defects.all(), "trainings": handover.trainings.all(),
        "key_contacts": handover.key_contacts.select_related("contact"),
        "return_form": ReasonForm(), "can_return": handover.status == "submitted" and (
            access.is_maintenance_lead(request.user) or request.user.pk == project.manager_id),
        **(_row_forms(project, handover) if can_fill else {}),
    }  # fmt: skip
    return render(request, "delivery/handover.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def handover_row_add(request: AuthedRequest, pk: int, kind: str) -> HttpResponse:
    project, handover = _handover_for(request, pk)
    require(access.can_fill_handover(request.user, handover))
    forms = _row_forms(project, handover)
    if kind not in ROWS:
        raise Http404
    bound = {
        "system": lambda: SystemForm(request.POST, items=forms["system_form"].fields["installed_item"].queryset,
                                     versions=forms["system_form"].fields["version"].queryset, prefix="system"),
        "defect": lambda: DefectForm(request.POST, prefix="defect"),
        "training": lambda: TrainingForm(request.POST, prefix="training"),
        "contact": lambda: KeyContactForm(request.POST, contacts=forms["contact_form"].fields["contact"].queryset, prefix="contact"),
    }[kind]()  # fmt: skip
    if not bound.is_valid():
        messages.error(request, form_errors(bound))
        return redirect("delivery:handover", pk=project.pk)
    adders: dict[str, Any] = {"system": services.system_add, "defect": services.defect_add, "training": services.training_add,
              "contact": services.key_contact_add}  # fmt: skip
    try:
        adders[kind](handover=handover, by=request.user, **bound.cleaned_data)
    except ValidationError as error:
        say_refused(request, error)
    return redirect("delivery:handover", pk=project.pk)


@login_required
@require_POST
def handover_row_remove(request: AuthedRequest, pk: int, kind: str, row_pk: int) -> HttpResponse:
    project, handover = _handover_for(request, pk)
    require(access.can_fill_handover(request.user, handover))
    if kind not in ROWS:
        raise Http404
    row = get_object_or_404(ROWS[kind], handover=handover, pk=row_pk)
    try:
        services.item_remove(item=row, by=request.user)
    except ValidationError as error:
        say_refused(request, error)
    return redirect("delivery:handover", pk=project.pk)


@login_required
@require_POST
def handover_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    project, handover = _handover_for(request, pk)
    try:
        if action == "submit":
            require(access.can_fill_handover(request.user, handover))
            services.handover_submit(handover=handover, by=request.user)
            messages.success(request, _("Submitted; the maintenance leads are asked to sign."))
        elif action == "sign":
            require(access.can_view_handover(request.user, handover))
            signed = services.handover_sign(handover=handover, by=request.user)
            if signed.status == "signed":
                messages.success(request, _("Handover signed by both. The maintenance centre serves this customer from now on."))
            else:
                messages.success(request, _("Signed; waiting for the other signature."))
        elif action == "return":
            require(handover.status == "submitted" and (access.is_maintenance_lead(request.user)
                                                        or request.user.pk == project.manager_id))
            form = ReasonForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            services.handover_return(handover=handover, by=request.user, reason=reason)
            messages.success(request, _("Sent back to the project."))
        else:
            raise Http404
    except ValidationError as error:
        say_refused(request, error)
    return redirect("delivery:handover", pk=project.pk)
