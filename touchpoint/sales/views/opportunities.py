"""Opportunity pages: the list and its export, the kanban board, create, the detail page, edit,
stage moves (buttons on the page, drag and drop on the board), the handoff, the team, delete."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.editing import versioned_edit
from touchpoint.core.events import events_for_target
from touchpoint.core.exports import csv_response, xlsx_response
from touchpoint.core.forms import apply_validation_error
from touchpoint.core.history import history_page
from touchpoint.core.pagination import CappedPaginator
from touchpoint.customers.access import visible_customers
from touchpoint.org.access import visible_users
from touchpoint.org.http import AuthedRequest
from touchpoint.org.policy import may
from touchpoint.sales import access, selectors
from touchpoint.sales.forms.opportunities import (
    BoardFilterForm,
    HandoffForm,
    MoveForm,
    OpportunityFilterForm,
    OpportunityForm,
    TeamMemberForm,
)
from touchpoint.sales.models import LostReason, Opportunity, Pipeline, QuoteStatus, Requirement
from touchpoint.sales.services import opportunities as services
from touchpoint.sales.services.requirements import requirement_totals

PAGE_SIZE = 25
HISTORY_EVENTS = 30


def opportunity_for(request: AuthedRequest, pk: int) -> Opportunity:
    """The opportunity with this id if the user may see it; 404 otherwise, whether or not it exists."""
    rows = access.visible_opportunities(request.user).select_related("customer", "owner", "stage", "pipeline", "product")
    return get_object_or_404(rows, pk=pk)


def _active_users(request: AuthedRequest) -> Any:
    return visible_users(request.user).filter(is_active=True).order_by("username")


def _products(request: AuthedRequest) -> Any:
    return access.visible_products(request.user).filter(retired_at__isnull=True).order_by("code")


def _list_once(users: Any, *fields: Any) -> None:
    """Query the colleagues once for both pickers of the detail page (each keeps its queryset for validation)."""
    if users is None:
        return
    choices = [(user.pk, str(user)) for user in users]
    for field in fields:
        if field is not None:
            field.widget.choices = [("", field.empty_label or "---------"), *choices]


def _query_from(form: OpportunityFilterForm) -> selectors.OpportunityQuery:
    data = form.cleaned_data
    return selectors.OpportunityQuery(
        q=data.get("q") or "", stage=data["stage"].pk if data.get("stage") else None,
        owner=data["owner"].pk if data.get("owner") else None,
        product=data["product"].pk if data.get("product") else None, close_month=data.get("close_month"),
        open_only=bool(data.get("open_only")), sort=data.get("sort") or "close",
    )  # fmt: skip


@login_required
@require_GET
def opportunity_list(request: AuthedRequest) -> HttpResponse:
    form = OpportunityFilterForm(request.GET or None, owners=_active_users(request))
    if form.is_bound and not form.is_valid():
        return render(request, "sales/opportunities/list.html", {"form": form, "page": None}, status=400)
    query = _query_from(form) if form.is_bound else selectors.OpportunityQuery()
    rows = selectors.opportunity_list(user=request.user, query=query)
    page = CappedPaginator(rows, PAGE_SIZE, page=request.GET.get("page")).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "may_export": may(request.user, "opportunity", "export")}
    template = "sales/opportunities/list.html#results" if request.htmx else "sales/opportunities/list.html"
    return render(request, template, context)


@login_required
@require_GET
def opportunity_export(request: AuthedRequest) -> HttpResponseBase:
    if not may(request.user, "opportunity", "export"):
        raise PermissionDenied
    form = OpportunityFilterForm(request.GET or None, owners=_active_users(request))
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(_("Invalid filter."))
    query = _query_from(form) if form.is_bound else selectors.OpportunityQuery()
    rows = selectors.opportunity_list(user=request.user, query=query, base=access.exportable_opportunities(request.user))
    header = [_("Title"), _("Customer"), _("Stage"), _("Probability (%)"), _("Expected amount"), _("Currency"),
              _("Weighted amount"), _("Expected close date"), _("Owner"), _("Main product"), _("Next step"),
              _("Next step date"), _("Competitors"), _("Lost reason")]  # fmt: skip
    lines = (
        [o.title, o.customer.name, str(o.stage), o.probability, float(o.amount), o.currency, float(o.weighted_amount),
         o.close_date.isoformat(), str(o.owner), str(o.product or ""), o.next_step,
         o.next_step_date.isoformat() if o.next_step_date else "", o.competitors,
         o.get_lost_reason_display() if o.lost_reason else ""]
        for o in rows.iterator(chunk_size=2000)
    )  # fmt: skip
    if request.GET.get("format") == "xlsx":
        return xlsx_response("opportunities", header, lines)
    return csv_response("opportunities", header, lines)


# --- The kanban board ---------------------------------------------------------------------------


def _board_context(request: AuthedRequest, params: QueryDict) -> dict[str, Any] | None:
    pipelines = Pipeline.objects.filter(is_active=True).order_by("-is_default", "id")
    form = BoardFilterForm(params or None, owners=_active_users(request), pipelines=pipelines)
    if form.is_bound and not form.is_valid():
        return None
    data = form.cleaned_data if form.is_bound else {}
    choices = list(pipelines)
    pipeline = data.get("pipeline") or (choices[0] if choices else None)
    owner = data.get("owner")
    columns = selectors.board(user=request.user, pipeline=pipeline, owner=owner.pk if owner else None) if pipeline else []
    query = params.copy()
    query.pop("page", None)
    return {"form": form, "pipeline": pipeline, "pipelines": choices, "columns": columns, "board_query": query.urlencode(),
            "lost_reasons": LostReason.choices, "per_column": selectors.BOARD_CARDS_PER_COLUMN}  # fmt: skip


@login_required
@require_GET
def opportunity_board(request: AuthedRequest) -> HttpResponse:
    context = _board_context(request, request.GET)
    if context is None:
        return HttpResponseBadRequest(_("Invalid filter."))
    template = "sales/opportunities/board.html#board" if request.htmx else "sales/opportunities/board.html"
    return render(request, template, context)


# --- Create, detail, edit --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_create(request: AuthedRequest, customer_pk: int) -> HttpResponse:
    customer = get_object_or_404(visible_customers(request.user), pk=customer_pk)
    if not access.can_create_opportunity(request.user, customer):
        raise PermissionDenied
    form = OpportunityForm(request.POST or None, products=_products(request))
    if request.method == "POST" and form.is_valid():
        values = form.changed_values()
        try:
            opportunity = services.opportunity_create(by=request.user, customer=customer, owner=request.user, **values)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Opportunity %(title)s created.") % {"title": opportunity.title})
            return redirect("sales:opportunity_detail", pk=opportunity.pk)
    return render(request, "sales/opportunities/form.html", {"form": form, "customer": customer},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_GET
def opportunity_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    opportunity = opportunity_for(request, pk)
    user = request.user
    can_edit = access.can_edit_opportunity(user, opportunity)
    can_assign = access.can_assign_opportunity(user, opportunity)
    requirements = list(
        Requirement.objects.filter(opportunity=opportunity).select_related("area", "asked_by")
        .prefetch_related("modules").order_by("order", "id")
    )  # fmt: skip
    users = _active_users(request) if (can_edit or can_assign) else None
    handoff_form = HandoffForm(owners=users) if can_assign else None
    team_form = TeamMemberForm(users=users) if can_edit else None
    _list_once(users, handoff_form and handoff_form.fields["owner"], team_form and team_form.fields["user"])
    context = {
        "opportunity": opportunity,
        "customer": opportunity.customer,
        "stages": list(opportunity.pipeline.stages.order_by("order")),
        "moves": services.allowed_moves(opportunity) if can_edit else [],
        "time_in_stages": services.time_in_stages(opportunity),
        "team": list(opportunity.team.select_related("user").order_by("role", "user__username")),
        "events": list(events_for_target(opportunity).select_related("actor")[:HISTORY_EVENTS]),
        "requirements": requirements,
        "totals": requirement_totals(requirements),
        "lost_reasons": LostReason.choices,
        "can_edit": can_edit,
        "can_assign": can_assign,
        "can_delete": access.can_delete_opportunity(user, opportunity),
        "handoff_form": handoff_form,
        "team_form": team_form,
        **_quotes_of(user, opportunity),
    }
    return render(request, "sales/opportunities/detail.html", context)


def _quotes_of(user: Any, opportunity: Opportunity) -> dict[str, Any]:
    """The opportunity's current quote versions, for readers of quotes; None hides the section."""
    if not may(user, "quote", "view"):
        return {"quotes": None, "can_quote": False}
    quotes = (
        access.visible_quotes(user).filter(opportunity=opportunity).exclude(status=QuoteStatus.SUPERSEDED)
        .only("pk", "number", "revision", "status", "grand_total").order_by("-created_at", "-id")
    )  # fmt: skip
    can_quote = not opportunity.stage.is_closed and access.can_create_quote(user, opportunity)
    return {"quotes": list(quotes), "can_quote": can_quote}


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    opportunity = opportunity_for(request, pk)
    if not access.can_edit_opportunity(request.user, opportunity):
        raise PermissionDenied
    form = OpportunityForm(request.POST or None, instance=opportunity, products=_products(request))

    def save(fresh: Any, values: dict[str, Any], version: int) -> None:
        services.opportunity_update(opportunity=fresh, by=request.user, expected_version=version, **values)

    return versioned_edit(request, form=form, record=opportunity, save=save, template="sales/opportunities/form.html",
                          context={"opportunity": opportunity, "customer": opportunity.customer},
                          saved_message=_("Opportunity saved."),
                          success_url=reverse("sales:opportunity_detail", args=[opportunity.pk]))  # fmt: skip


@login_required
def opportunity_history(request: AuthedRequest, pk: int) -> HttpResponse:
    opportunity = opportunity_for(request, pk)
    return history_page(request, opportunity, reverse("sales:opportunity_detail", args=[opportunity.pk]))


# --- Stage moves ----------------------------------------------------------------------------------


@login_required
@require_POST
def opportunity_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move to another stage. From the board (htmx) the answer is the board again, or a 400 with the
    service's message; from the detail page, a redirect back with the message."""
    opportunity = opportunity_for(request, pk)
    if not access.can_edit_opportunity(request.user, opportunity):
        raise PermissionDenied
    form = MoveForm(request.POST, opportunity=opportunity)
    error = ""
    if not form.is_valid():
        error = " ".join(str(m) for messages_ in form.errors.values() for m in messages_)
    else:
        data = form.cleaned_data
        try:
            services.opportunity_move(opportunity=opportunity, to_stage=data["stage"], by=request.user,
                                      lost_reason=data["lost_reason"], lost_detail=data["lost_detail"],
                                      expected_version=data.get("version"))  # fmt: skip
        except ValidationError as refused:
            error = " ".join(refused.messages)
    if request.htmx:
        if error:
            return render(request, "sales/opportunities/board.html#move-error", {"error": error}, status=400)
        context = _board_context(request, QueryDict(request.POST.get("board_query", "")[:1000]))
        return render(request, "sales/opportunities/board.html#board", context or {})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Moved to %(stage)s.") % {"stage": form.cleaned_data["stage"]})
    return redirect("sales:opportunity_detail", pk=opportunity.pk)


# --- Handoff, team, delete ---------------------------------------------------------------------------


@login_required
@require_POST
def opportunity_reassign(request: AuthedRequest, pk: int) -> HttpResponse:
    opportunity = opportunity_for(request, pk)
    if not access.can_assign_opportunity(request.user, opportunity):
        raise PermissionDenied
    form = HandoffForm(request.POST, owners=_active_users(request))
    if not form.is_valid():
        messages.error(request, _("Choose the new owner and give a reason."))
        return redirect("sales:opportunity_detail", pk=opportunity.pk)
    try:
        services.opportunity_reassign(opportunity=opportunity, owner=form.cleaned_data["owner"], by=request.user,
                                      reason=form.cleaned_data["reason"])  # fmt: skip
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Opportunity handed to %(owner)s.") % {"owner": form.cleaned_data["owner"]})
    return redirect("sales:opportunity_detail", pk=opportunity.pk)


@login_required
@require_POST
def opportunity_team(request: AuthedRequest, pk: int) -> HttpResponse:
    """Add a colleague to the opportunity team (or change their role), or remove one."""
    opportunity = opportunity_for(request, pk)
    if not access.can_edit_opportunity(request.user, opportunity):
        raise PermissionDenied
    members = {m.user: m.role for m in opportunity.team.select_related("user")}
    remove = request.POST.get("remove", "")
    if remove.isdecimal():
        members = {user: role for user, role in members.items() if user.pk != int(remove)}
    else:
        form = TeamMemberForm(request.POST, users=_active_users(request))
        if not form.is_valid():
            messages.error(request, _("Choose a colleague and a role."))
            return redirect("sales:opportunity_detail", pk=opportunity.pk)
        members = {user: role for user, role in members.items() if user.pk != form.cleaned_data["user"].pk}
        members[form.cleaned_data["user"]] = form.cleaned_data["role"]
    try:
        services.opportunity_team_set(opportunity=opportunity, members=members, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(f"{reverse('sales:opportunity_detail', args=[opportunity.pk])}#team")


@login_required
@require_POST
def opportunity_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    opportunity = opportunity_for(request, pk)
    if not access.can_delete_opportunity(request.user, opportunity):
        raise PermissionDenied
    services.opportunity_delete(opportunity=opportunity, by=request.user)
    messages.success(request, _("Opportunity %(title)s moved to the recycle bin.") % {"title": opportunity.title})
    return redirect("sales:opportunities")

