"""The requirement list inside an opportunity: htmx fragments to add, edit, remove, reorder and reuse items.

Each fragment passes the same checks as the opportunity page: the opportunity must be visible (else
404), and changing its requirements needs the opportunity's edit scope (else 403).
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from touchpoint.core.forms import apply_validation_error
from touchpoint.org.http import AuthedRequest
from touchpoint.sales import access, selectors
from touchpoint.sales.forms.requirements import CopyFromForm, RequirementForm, TemplateChoiceForm
from touchpoint.sales.models import Opportunity, Requirement
from touchpoint.sales.services import requirements as services

FORM_SLOT = "#requirement-form-slot"


def _opportunity(request: AuthedRequest, pk: int, *, edit: bool = True) -> Opportunity:
    opportunity = get_object_or_404(access.visible_opportunities(request.user).select_related("customer"), pk=pk)
    if edit and not access.can_edit_opportunity(request.user, opportunity):
        raise PermissionDenied
    return opportunity


def _requirement(request: AuthedRequest, pk: int) -> Requirement:
    visible = access.visible_opportunities(request.user).values("pk")
    requirement = get_object_or_404(
        Requirement.objects.filter(opportunity_id__in=visible).select_related("opportunity__customer", "area"), pk=pk
    )
    if not access.can_edit_opportunity(request.user, requirement.opportunity):
        raise PermissionDenied
    return requirement


def _section(request: AuthedRequest, opportunity: Opportunity, *, can_edit: bool = True) -> HttpResponse:
    """The whole section, after a change (or for a plain browser request, the opportunity page)."""
    if not request.htmx:
        return redirect(f"{reverse('sales:opportunity_detail', args=[opportunity.pk])}#requirements")
    items = list(
        Requirement.objects.filter(opportunity=opportunity).select_related("area", "asked_by")
        .prefetch_related("modules").order_by("order", "id")
    )  # fmt: skip
    context = {"opportunity": opportunity, "requirements": items, "totals": services.requirement_totals(items),
               "can_edit": can_edit}  # fmt: skip
    return render(request, "sales/requirements/section.html", context)


def _form_response(request: AuthedRequest, context: dict[str, Any], *, failed: bool) -> HttpResponse:
    response = render(request, "sales/requirements/form.html", context, status=400 if failed else 200)
    return reswap(retarget(response, FORM_SLOT), "innerHTML") if failed else response


def _values(form: RequirementForm) -> tuple[dict[str, Any], list[Any]]:
    values = {name: form.cleaned_data[name] for name in services.FIELDS if name in form.cleaned_data}
    values["coverage"] = values.get("coverage") or ""
    return values, list(form.cleaned_data.get("modules") or [])


@login_required
@require_GET
def requirement_section(request: AuthedRequest, pk: int) -> HttpResponse:
    opportunity = _opportunity(request, pk, edit=False)
    return _section(request, opportunity, can_edit=access.can_edit_opportunity(request.user, opportunity))


@login_required
@require_http_methods(["GET", "POST"])
def requirement_add(request: AuthedRequest, pk: int) -> HttpResponse:
    opportunity = _opportunity(request, pk)
    form = RequirementForm(request.POST or None, opportunity=opportunity,
                           modules=access.visible_modules(request.user).select_related("product"))  # fmt: skip
    if request.method == "POST" and form.is_valid():
        values, modules = _values(form)
        try:
            services.requirement_add(opportunity=opportunity, by=request.user, modules=modules, **values)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return _section(request, opportunity)
    return _form_response(request, {"form": form, "opportunity": opportunity}, failed=request.method == "POST")


@login_required
@require_http_methods(["GET", "POST"])
def requirement_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    requirement = _requirement(request, pk)
    opportunity = requirement.opportunity
    form = RequirementForm(request.POST or None, instance=requirement, opportunity=opportunity,
                           modules=access.visible_modules(request.user).select_related("product"))  # fmt: skip
    if request.method == "POST" and form.is_valid():
        values, modules = _values(form)
        try:
            services.requirement_update(requirement=Requirement.objects.get(pk=requirement.pk), by=request.user,
                                        modules=modules, **values)  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return _section(request, opportunity)
    context = {"form": form, "opportunity": opportunity, "requirement": requirement}
    return _form_response(request, context, failed=request.method == "POST")


@login_required
@require_POST
def requirement_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    requirement = _requirement(request, pk)
    services.requirement_delete(requirement=requirement, by=request.user)
    return _section(request, requirement.opportunity)


@login_required
@require_POST
def requirement_move(request: AuthedRequest, pk: int) -> HttpResponse:
    requirement = _requirement(request, pk)
    services.requirement_move(requirement=requirement, by=request.user, up=request.POST.get("direction") != "down")
    return _section(request, requirement.opportunity)


def _copy_sources(request: AuthedRequest, opportunity: Opportunity) -> Any:
    return selectors.similar_opportunities(user=request.user, opportunity=opportunity)


@login_required
@require_http_methods(["GET", "POST"])
def requirement_reuse(request: AuthedRequest, pk: int) -> HttpResponse:
    """Start from a template, or copy a similar customer's past opportunity."""
    opportunity = _opportunity(request, pk)
    is_copy = request.POST.get("kind") == "copy"
    template_form = TemplateChoiceForm(request.POST if request.method == "POST" and not is_copy else None)
    copy_form = CopyFromForm(request.POST if is_copy else None, sources=_copy_sources(request, opportunity))
    form = copy_form if is_copy else template_form
    if request.method == "POST" and form.is_valid():
        try:
            if is_copy:
                services.requirements_copy(opportunity=opportunity, source=form.cleaned_data["source"], by=request.user)
            else:
                services.requirements_from_template(opportunity=opportunity, template=form.cleaned_data["template"],
                                                    by=request.user)  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return _section(request, opportunity)
    context = {"opportunity": opportunity, "template_form": template_form, "copy_form": copy_form}
    failed = request.method == "POST"
    response = render(request, "sales/requirements/reuse.html", context, status=400 if failed else 200)
    return reswap(retarget(response, FORM_SLOT), "innerHTML") if failed else response
