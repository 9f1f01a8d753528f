"""Quote pages: the list, drafting from an opportunity, the quote with its lines and every status step,
the PDF, and the approvals inbox."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.extensions import quote_actions, record_action_links
from touchpoint.core.forms import apply_validation_error
from touchpoint.core.pagination import CappedPaginator
from touchpoint.customers.access import visible_contacts
from touchpoint.org.http import AuthedRequest
from touchpoint.sales import access
from touchpoint.sales.forms.quotes import (
    DecisionForm,
    DeclineForm,
    QuoteHeadingForm,
    QuoteLineEditForm,
    QuoteLineForm,
    SendForm,
    SubmitForm,
)
from touchpoint.sales.models import ON_SALE, ApprovalStatus, DiscountApproval, Module, Quote, QuoteLine, QuoteStatus
from touchpoint.sales.services import quotes as services
from touchpoint.sales.services.quote_pdf import quote_pdf

PAGE_SIZE = 25


def quote_for(request: AuthedRequest, pk: int) -> Quote:
    """The quote if the user may see it; 404 otherwise, whether or not it exists."""
    queryset = access.visible_quotes(request.user).select_related("customer", "opportunity__stage", "contact", "owner")
    return get_object_or_404(queryset, pk=pk)


def _editable(request: AuthedRequest, quote: Quote) -> Quote:
    if not access.can_edit_quote(request.user, quote):
        raise PermissionDenied
    return quote


@login_required
@require_GET
def quote_list(request: AuthedRequest) -> HttpResponse:
    quotes = access.visible_quotes(request.user).select_related("customer", "owner", "opportunity")
    status = request.GET.get("status", "")
    if status in QuoteStatus.values:
        quotes = quotes.filter(status=status)
    else:
        quotes = quotes.exclude(status=QuoteStatus.SUPERSEDED)
        status = ""
    q = request.GET.get("q", "").strip()[:60]
    if q:
        quotes = quotes.filter(Q(number__icontains=q) | Q(customer__name__icontains=q) | Q(opportunity__title__icontains=q))
    page = CappedPaginator(quotes.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "sales/quotes/quote_list.html",
                  {"page": page, "status": status, "q": q, "statuses": QuoteStatus.choices})  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def quote_create(request: AuthedRequest, opportunity_pk: int) -> HttpResponse:
    opportunity = get_object_or_404(access.visible_opportunities(request.user).select_related("customer", "stage"),
                                    pk=opportunity_pk)  # fmt: skip
    if not access.can_create_quote(request.user, opportunity):
        raise PermissionDenied
    contacts = visible_contacts(request.user).filter(customer=opportunity.customer)
    form = QuoteHeadingForm(request.POST or None, contacts=contacts, initial={"valid_until": _default_validity()})
    if request.method == "POST" and form.is_valid():
        try:
            quote = services.quote_create(opportunity=opportunity, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Quote %(number)s drafted.") % {"number": quote.number})
            return redirect("sales:quote_detail", pk=quote.pk)
    return render(request, "sales/quotes/quote_form.html", {"form": form, "opportunity": opportunity},
                  status=400 if form.errors else 200)  # fmt: skip


def _default_validity() -> Any:
    from datetime import timedelta

    from django.utils import timezone

    return timezone.localdate() + timedelta(days=services.VALID_DAYS)


def _line_form(quote: Quote, data: Any = None) -> QuoteLineForm:
    return QuoteLineForm(
        data,
        modules=Module.objects.filter(ON_SALE).select_related("product").order_by("product__code", "code"),
        requirements=quote.opportunity.requirements.all(),
    )


def _detail_context(request: AuthedRequest, quote: Quote, **extra: Any) -> dict[str, Any]:
    user = request.user
    can_edit = access.can_edit_quote(user, quote)
    approval = quote.approvals.filter(status=ApprovalStatus.PENDING).select_related("requested_by").first()
    contacts = visible_contacts(user).filter(customer_id=quote.customer_id)
    versions = list(Quote.objects.filter(number=quote.number).order_by("revision").only("pk", "revision", "status"))
    context = {
        "quote": quote,
        "actions": record_action_links(quote_actions, user, quote),
        "lines": _lines_with_forms(quote, can_edit and quote.is_editable, extra),
        "versions": versions,
        "can_edit": can_edit,
        "editable": can_edit and quote.is_editable,
        "approval": approval,
        "decisions": list(quote.approvals.exclude(status=ApprovalStatus.PENDING).select_related("decided_by")),
        "can_decide": approval is not None and access.can_decide_approval(user, approval),
        "limit": services.discount_limit(user),
        "line_form": _line_form(quote),
        "submit_form": SubmitForm(),
        "decision_form": DecisionForm(),
        "send_form": SendForm(contacts=contacts, initial={
            "contact": quote.contact_id, "subject": _("Quote %(number)s") % {"number": quote.number},
            "body": _("Please find our quote attached. We look forward to your reply."),
        }),  # fmt: skip
        "decline_form": DeclineForm(),
        "heading_form": QuoteHeadingForm(contacts=contacts, initial={
            "contact": quote.contact_id, "valid_until": quote.valid_until, "terms": quote.terms,
        }),  # fmt: skip
        "has_contract": hasattr(quote, "contract"),
        "can_make_contract": quote.status == QuoteStatus.ACCEPTED and access.can_create_contract(user, quote.opportunity),
    }
    context.update(_guidance(quote))
    context.update(extra)
    return context


def _lines_with_forms(quote: Quote, editable: bool, extra: dict[str, Any]) -> list[QuoteLine]:
    """The lines, each with its edit form when the quote is an editable draft (the one sent back bound)."""
    lines = list(quote.lines.select_related("module").prefetch_related("requirements").order_by("order", "id"))
    for line in lines:
        if not editable:
            continue
        if extra.get("line_edit_pk") == line.pk:
            line.edit_form = extra["line_edit_form"]  # type: ignore[attr-defined]
        else:
            line.edit_form = QuoteLineEditForm(auto_id=f"line-{line.pk}-%s", initial={  # type: ignore[attr-defined]
                "description": line.description, "quantity": line.quantity, "unit_price": line.unit_price,
                "discount_percent": line.discount_percent, "tax_rate": line.tax_rate,
            })  # fmt: skip
    return lines


def _guidance(quote: Quote) -> dict[str, Any]:
    """The discount band of similar won deals, when the pricing module can tell."""
    try:
        from touchpoint.sales.services.pricing import price_guidance
    except ImportError:
        return {}
    return {"guidance": price_guidance(quote)}


@login_required
@require_GET
def quote_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    quote = quote_for(request, pk)
    return render(request, "sales/quotes/quote_detail.html", _detail_context(request, quote))


def _redisplay(request: AuthedRequest, quote: Quote, error: ValidationError, **forms: Any) -> HttpResponse:
    """Show the quote again with the service's message on the form that was sent (400)."""
    for form in forms.values():
        apply_validation_error(form, error)
    quote = quote_for(request, quote.pk)
    return render(request, "sales/quotes/quote_detail.html", _detail_context(request, quote, **forms), status=400)


@login_required
@require_POST
def quote_heading(request: AuthedRequest, pk: int) -> HttpResponse:
    quote = _editable(request, quote_for(request, pk))
    form = QuoteHeadingForm(request.POST, contacts=visible_contacts(request.user).filter(customer_id=quote.customer_id))
    if form.is_valid():
        try:
            services.quote_update(quote=quote, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            return _redisplay(request, quote, error, heading_form=form)
        messages.success(request, _("Quote saved."))
        return redirect("sales:quote_detail", pk=quote.pk)
    return render(request, "sales/quotes/quote_detail.html", _detail_context(request, quote, heading_form=form), status=400)


@login_required
@require_POST
def line_add(request: AuthedRequest, pk: int) -> HttpResponse:
    quote = _editable(request, quote_for(request, pk))
    form = _line_form(quote, request.POST)
    if form.is_valid():
        values = dict(form.cleaned_data)
        values["requirements"] = list(values.get("requirements") or [])
        if values.get("tax_rate") is None:
            values.pop("tax_rate")
        try:
            services.quote_line_add(quote=quote, by=request.user, **values)
        except ValidationError as error:
            return _redisplay(request, quote, error, line_form=form)
        return redirect("sales:quote_detail", pk=quote.pk)
    return render(request, "sales/quotes/quote_detail.html", _detail_context(request, quote, line_form=form), status=400)


@login_required
@require_POST
def line_edit(request: AuthedRequest, pk: int, line_pk: int) -> HttpResponse:
    """Change a draft line's quantity, price, discount or tax; the totals follow."""
    quote = _editable(request, quote_for(request, pk))
    line = get_object_or_404(QuoteLine, quote=quote, pk=line_pk)
    form = QuoteLineEditForm(request.POST, auto_id=f"line-{line.pk}-%s")
    if form.is_valid():
        try:
            services.quote_line_update(line=line, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect(f"{reverse('sales:quote_detail', args=[quote.pk])}#line-{line.pk}")
    context = _detail_context(request, quote_for(request, pk), line_edit_form=form, line_edit_pk=line.pk)
    return render(request, "sales/quotes/quote_detail.html", context, status=400)


@login_required
@require_POST
def line_remove(request: AuthedRequest, pk: int, line_pk: int) -> HttpResponse:
    quote = _editable(request, quote_for(request, pk))
    line = get_object_or_404(QuoteLine, quote=quote, pk=line_pk)
    try:
        services.quote_line_remove(line=line, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("sales:quote_detail", pk=quote.pk)


def _step(request: AuthedRequest, pk: int, run: Any, done: str, *, form: Any = None) -> HttpResponse:
    """One status step: the service call, a message, back to the quote; a refusal shows why (400)."""
    quote = _editable(request, quote_for(request, pk))
    if form is not None and not form.is_valid():
        return render(request, "sales/quotes/quote_detail.html", _detail_context(request, quote), status=400)
    try:
        result = run(quote, form.cleaned_data if form is not None else {})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return render(request, "sales/quotes/quote_detail.html", _detail_context(request, quote_for(request, pk)),
                      status=400)  # fmt: skip
    messages.success(request, done)
    return redirect("sales:quote_detail", pk=getattr(result, "pk", quote.pk))


@login_required
@require_POST
def quote_submit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _step(request, pk, lambda q, data: services.quote_submit(quote=q, by=request.user, reason=data["reason"]),
                 _("Quote submitted."), form=SubmitForm(request.POST))  # fmt: skip


@login_required
@require_POST
def quote_withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    return _step(request, pk, lambda q, data: services.quote_withdraw(quote=q, by=request.user),
                 _("The quote is a draft again."))  # fmt: skip


@login_required
@require_POST
def quote_send(request: AuthedRequest, pk: int) -> HttpResponse:
    quote = quote_for(request, pk)
    form = SendForm(request.POST, contacts=visible_contacts(request.user).filter(customer_id=quote.customer_id))
    return _step(request, pk, lambda q, data: services.quote_send(quote=q, by=request.user, **data),
                 _("Quote sent and logged on the customer's timeline."), form=form)  # fmt: skip


@login_required
@require_POST
def quote_accept(request: AuthedRequest, pk: int) -> HttpResponse:
    return _step(request, pk, lambda q, data: services.quote_accept(quote=q, by=request.user),
                 _("Quote marked as accepted."))  # fmt: skip


@login_required
@require_POST
def quote_decline(request: AuthedRequest, pk: int) -> HttpResponse:
    return _step(request, pk, lambda q, data: services.quote_decline(quote=q, by=request.user, reason=data["reason"]),
                 _("Quote marked as declined."), form=DeclineForm(request.POST))  # fmt: skip


@login_required
@require_POST
def quote_revise(request: AuthedRequest, pk: int) -> HttpResponse:
    return _step(request, pk, lambda q, data: services.quote_revise(quote=q, by=request.user),
                 _("A new version was drafted; the previous one is kept read-only."))  # fmt: skip


@login_required
@require_POST
def approval_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    """Approve or reject the pending discount request of a quote (sales managers; 403 for others)."""
    quote = quote_for(request, pk)
    approval = get_object_or_404(DiscountApproval, quote=quote, status=ApprovalStatus.PENDING)
    if not access.can_decide_approval(request.user, approval):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return render(request, "sales/quotes/quote_detail.html", _detail_context(request, quote), status=400)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.approval_decide(approval=approval, by=request.user, approve=approve, comment=form.cleaned_data["comment"])
    except ValidationError as error:
        return _redisplay(request, quote, error, decision_form=form)
    messages.success(request, _("Discount approved.") if approve else _("Discount rejected; the quote is back with the rep."))
    if request.POST.get("next") == "inbox":
        return redirect("sales:approvals")
    return redirect("sales:quote_detail", pk=quote.pk)


@login_required
@require_GET
def quote_pdf_download(request: AuthedRequest, pk: int) -> HttpResponse:
    quote = quote_for(request, pk)
    response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quote.number}-v{quote.revision}.pdf"'
    return response


@login_required
@require_GET
def approval_inbox(request: AuthedRequest) -> HttpResponse:
    waiting = (
        access.decidable_approvals(request.user)
        .filter(status=ApprovalStatus.PENDING)
        .select_related("quote", "customer", "requested_by")
        .order_by("created_at")
    )
    decided = (
        access.visible_approvals(request.user)
        .exclude(status=ApprovalStatus.PENDING)
        .select_related("quote", "customer", "requested_by", "decided_by")
        .order_by("-decided_at")[:20]
    )
    return render(request, "sales/quotes/approvals.html",
                  {"waiting": list(waiting), "decided": list(decided), "decision_form": DecisionForm()})  # fmt: skip
