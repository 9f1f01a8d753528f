"""Sales settings pages for catalogue managers: requirement areas, requirement templates,
pipelines (stages and allowed moves), payment milestone templates and discount limits."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.forms import apply_validation_error
from touchpoint.org.http import AuthedRequest
from touchpoint.org.models import Position
from touchpoint.sales.access import can_manage_catalogue
from touchpoint.sales.forms.settings import (
    AreaForm,
    DiscountLimitsForm,
    MilestoneItemFormSet,
    MilestoneTemplateForm,
    PipelineCreateForm,
    PipelineForm,
    RequirementTemplateForm,
    StageForm,
    TemplateItemFormSet,
    milestone_items,
    template_items,
)
from touchpoint.sales.models import (
    DiscountLimit,
    MilestoneTemplate,
    Pipeline,
    RequirementArea,
    RequirementTemplate,
    Stage,
)
from touchpoint.sales.services import settings as services


def _require_manager(request: AuthedRequest) -> None:
    if not can_manage_catalogue(request.user):
        raise PermissionDenied


# --- Requirement areas -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def area_list(request: AuthedRequest) -> HttpResponse:
    _require_manager(request)
    form = AreaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.area_create(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Requirement area added."))
            return redirect("sales:settings_areas")
    areas = RequirementArea.objects.order_by("order", "id")
    return render(request, "sales/settings/areas.html", {"areas": areas, "form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def area_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    area = get_object_or_404(RequirementArea, pk=pk)
    form = AreaForm(request.POST or None, instance=RequirementArea.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.area_update(area=area, by=request.user, name=form.cleaned_data["name"], name_en=form.cleaned_data["name_en"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Requirement area saved."))
            return redirect("sales:settings_areas")
    return render(request, "sales/settings/area_form.html", {"form": form, "area": area}, status=400 if form.errors else 200)


@login_required
@require_POST
def area_move(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    area = get_object_or_404(RequirementArea, pk=pk)
    services.area_move(area=area, by=request.user, step=-1 if request.POST.get("direction") == "up" else 1)
    return redirect("sales:settings_areas")


@login_required
@require_POST
def area_active(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    area = get_object_or_404(RequirementArea, pk=pk)
    active = request.POST.get("active") == "1"
    services.area_set_active(area=area, by=request.user, is_active=active)
    messages.success(request, _("%(area)s is in use again.") % {"area": area} if active
                     else _("%(area)s is out of use; what is filed under it keeps it.") % {"area": area})  # fmt: skip
    return redirect("sales:settings_areas")


# --- Requirement templates ---------------------------------------------------------------------


@login_required
@require_GET
def template_list(request: AuthedRequest) -> HttpResponse:
    _require_manager(request)
    templates = RequirementTemplate.objects.annotate(item_count=Count("items")).order_by("name")
    return render(request, "sales/settings/templates.html", {"templates": templates})


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _require_manager(request)
    template = get_object_or_404(RequirementTemplate, pk=pk) if pk else None
    initial: dict[str, Any] = {}
    items: list[dict[str, Any]] = []
    if template is not None:
        initial = {"name": template.name, "description": template.description, "is_active": template.is_active}
        items = [{"area": i.area_id, "description": i.description, "priority": i.priority} for i in template.items.all()]
    form = RequirementTemplateForm(request.POST or None, initial=initial)
    formset = TemplateItemFormSet(request.POST or None, initial=items, prefix="items")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            saved = services.requirement_template_save(by=request.user, template=template, items=template_items(formset),
                                                       **form.cleaned_data)  # fmt: skip
        except ValidationError as error:
            _show_item_errors(form, formset, error)
        else:
            messages.success(request, _("Requirement template saved."))
            return redirect("sales:settings_template_edit", pk=saved.pk)
    failed = bool(form.errors or formset.total_error_count())
    context = {"form": form, "formset": formset, "template": template}
    return render(request, "sales/settings/template_form.html", context, status=400 if failed else 200)


def _show_item_errors(form: Any, formset: Any, error: ValidationError) -> None:
    """A service error about the items goes above the items table; the rest on the form's fields."""
    item_fields = set(formset.form.base_fields) | {"items"}
    messages_for_items: list[str] = []
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            if field in item_fields and field not in form.fields:
                messages_for_items.extend(m for e in errors for m in e.messages)
            else:
                apply_validation_error(form, ValidationError({field: errors}))
    else:
        messages_for_items.extend(error.messages)
    if messages_for_items:
        formset._non_form_errors = formset.error_class(messages_for_items, error_class="nonform")


# --- Pipelines ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_list(request: AuthedRequest) -> HttpResponse:
    _require_manager(request)
    form = PipelineCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pipeline = services.pipeline_create(by=request.user, **form.cleaned_data)
        messages.success(request, _("Pipeline added. Now give it stages and allowed moves."))
        return redirect("sales:settings_pipeline", pk=pipeline.pk)
    pipelines = Pipeline.objects.annotate(stage_count=Count("stages", distinct=True)).order_by("-is_default", "id")
    return render(request, "sales/settings/pipelines.html", {"pipelines": pipelines, "form": form},
                  status=400 if form.errors else 200)  # fmt: skip


def _pipeline_page(request: AuthedRequest, pipeline: Pipeline, *, status: int = 200, **forms: Any) -> HttpResponse:
    stages = list(pipeline.stages.order_by("order", "id"))
    allowed = set(pipeline.transitions.values_list("from_stage_id", "to_stage_id"))
    grid = [{"stage": source, "cells": [{"to": target, "checked": (source.pk, target.pk) in allowed,
                                          "self": source.pk == target.pk} for target in stages]}
            for source in stages]  # fmt: skip
    context = {
        "pipeline": pipeline,
        "stages": stages,
        "grid": grid,
        "pipeline_form": forms.get("pipeline_form") or PipelineForm(instance=pipeline),
        "stage_form": forms.get("stage_form") or StageForm(initial={"order": (stages[-1].order + 10) if stages else 10}),
        "moves_error": forms.get("moves_error", ""),
    }
    return render(request, "sales/settings/pipeline_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    pipeline = get_object_or_404(Pipeline, pk=pk)
    if request.method == "GET":
        return _pipeline_page(request, pipeline)
    form = PipelineForm(request.POST, instance=Pipeline.objects.get(pk=pk))
    if form.is_valid():
        try:
            services.pipeline_update(pipeline=pipeline, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Pipeline saved."))
            return redirect("sales:settings_pipeline", pk=pk)
    return _pipeline_page(request, pipeline, status=400, pipeline_form=form)


@login_required
@require_POST
def stage_create(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            services.stage_create(by=request.user, pipeline=pipeline, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Stage added. Tick the moves into and out of it below."))
            return redirect("sales:settings_pipeline", pk=pk)
    return _pipeline_page(request, pipeline, status=400, stage_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def stage_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    form = StageForm(request.POST or None, instance=Stage.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            services.stage_update(stage=stage, by=request.user, **values)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Stage saved."))
            return redirect("sales:settings_pipeline", pk=stage.pipeline_id)
    context = {"form": form, "stage": stage, "pipeline": stage.pipeline}
    return render(request, "sales/settings/stage_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def pipeline_moves(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    pipeline = get_object_or_404(Pipeline, pk=pk)
    moves = []
    for value in request.POST.getlist("move")[:2500]:
        source, _sep, target = value.partition("-")
        if not (source.isdecimal() and target.isdecimal()):
            return _pipeline_page(request, pipeline, status=400, moves_error=_("The grid sent an unreadable move."))
        moves.append((int(source), int(target)))
    try:
        changed = services.pipeline_set_transitions(pipeline=pipeline, by=request.user, moves=moves)
    except ValidationError as error:
        return _pipeline_page(request, pipeline, status=400, moves_error=" ".join(error.messages))
    messages.success(request, _("Allowed moves saved: %(added)d added, %(removed)d removed.") % changed)
    return redirect("sales:settings_pipeline", pk=pk)


# --- Payment milestone templates ---------------------------------------------------------------


@login_required
@require_GET
def milestone_list(request: AuthedRequest) -> HttpResponse:
    _require_manager(request)
    templates = MilestoneTemplate.objects.prefetch_related("items").order_by("-is_default", "name")
    return render(request, "sales/settings/milestones.html", {"templates": templates})


@login_required
@require_http_methods(["GET", "POST"])
def milestone_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _require_manager(request)
    template = get_object_or_404(MilestoneTemplate, pk=pk) if pk else None
    initial: dict[str, Any] = {}
    items: list[dict[str, Any]] = []
    if template is not None:
        initial = {"name": template.name, "is_default": template.is_default}
        items = [{"name": i.name, "percent": i.percent, "trigger": i.trigger, "trigger_event": i.trigger_event,
                  "offset_days": i.offset_days} for i in template.items.all()]  # fmt: skip
    form = MilestoneTemplateForm(request.POST or None, initial=initial)
    formset = MilestoneItemFormSet(request.POST or None, initial=items, prefix="items")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            saved = services.milestone_template_save(by=request.user, template=template, items=milestone_items(formset),
                                                     **form.cleaned_data)  # fmt: skip
        except ValidationError as error:
            _show_item_errors(form, formset, error)
        else:
            messages.success(request, _("Payment milestone template saved."))
            return redirect("sales:settings_milestone_edit", pk=saved.pk)
    failed = bool(form.errors or formset.total_error_count())
    context = {"form": form, "formset": formset, "template": template}
    return render(request, "sales/settings/milestone_form.html", context, status=400 if failed else 200)


@login_required
@require_POST
def milestone_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    template = get_object_or_404(MilestoneTemplate, pk=pk)
    try:
        services.milestone_template_delete(template=template, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("sales:settings_milestone_edit", pk=pk)
    messages.success(request, _("Payment milestone template deleted."))
    return redirect("sales:settings_milestones")


# --- Discount limits ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def discount_limits(request: AuthedRequest) -> HttpResponse:
    _require_manager(request)
    current = dict(DiscountLimit.objects.values_list("position", "max_discount_percent"))
    form = DiscountLimitsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.discount_limits_save(by=request.user, limits=form.limits())
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Discount limits saved."))
            return redirect("sales:settings_discounts")
    context = {"form": form, "positions": Position.choices}
    return render(request, "sales/settings/discount_limits.html", context, status=400 if form.errors else 200)
