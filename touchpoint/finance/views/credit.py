"""Credit pages: the credit list, a customer's receivables and credit, terms, rating, holds, overrides, letters."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from touchpoint.core.forms import apply_validation_error
from touchpoint.core.money import ZERO
from touchpoint.core.pagination import CappedPaginator
from touchpoint.finance import access
from touchpoint.finance.forms import CreditTermsForm, FlagForm, RatingForm, ReasonForm
from touchpoint.finance.models import CreditOverride, DunningLetter, InvoiceKind, Rating, ReceiptStatus
from touchpoint.finance.services import credit as services
from touchpoint.finance.views.common import PAGE_SIZE, customer_for, require
from touchpoint.org.http import AuthedRequest
from touchpoint.org.policy import may
from touchpoint.sales.access import visible_contracts, visible_quotes
from touchpoint.sales.models import ContractStatus


@login_required
@require_GET
def credit_list(request: AuthedRequest) -> HttpResponse:
    require(may(request.user, "credit", "view"))
    rows = access.visible_credit_profiles(request.user).select_related("customer", "customer__owner")
    rating = request.GET.get("rating", "")
    if rating in Rating.values:
        rows = rows.filter(computed_rating=rating, rating_override="") | rows.filter(rating_override=rating)
    else:
        rating = ""
    held = request.GET.get("held") == "1"
    if held:
        rows = rows.filter(credit_hold=True) | rows.filter(service_hold=True) | rows.filter(dunning_paused=True)
    page = CappedPaginator(rows.order_by("-risk_score", "customer__name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "finance/credit_list.html",
                  {"page": page, "rating": rating, "held": held, "ratings": Rating.choices})  # fmt: skip


@login_required
@require_GET
def credit_profile_redirect(request: AuthedRequest, pk: int) -> HttpResponse:
    """Timeline events point at the profile; the page lives with the customer."""
    profile = get_object_or_404(access.visible_credit_profiles(request.user), pk=pk)
    return redirect("finance:customer", pk=profile.customer_id)


def customer_context(request: AuthedRequest, customer: Any, **extra: Any) -> dict[str, Any]:
    user = request.user
    profile = services.credit_profile_for(customer)
    can_credit = access.can_view_credit(user, customer)
    can_receivables = access.can_view_receivables(user, customer)
    invoices = access.visible_invoices(user).filter(customer=customer, kind=InvoiceKind.INVOICE)
    open_invoices = list(invoices.filter(open_amount__gt=0).select_related("contract").order_by("due_on", "pk")[:50])
    receipts = access.visible_receipts(user).filter(customer=customer)
    unallocated = receipts.filter(status=ReceiptStatus.ACTIVE).aggregate(s=Sum(F("amount") - F("allocated_amount")))["s"]
    held = visible_contracts(user).filter(customer=customer, status=ContractStatus.PENDING_CHECKS).order_by("-id")
    can_edit = access.can_edit_credit(user, customer)
    return {
        "customer": customer, "profile": profile, "can_credit": can_credit, "can_receivables": can_receivables,
        "can_edit": can_edit, "today": timezone.localdate(),
        "exposure": services.exposure_of(customer.pk, profile=profile) if can_credit else None,
        "open_invoices": open_invoices if can_receivables else [],
        "open_total": sum((i.open_amount for i in open_invoices), ZERO),
        "receipts": list(receipts.order_by("-received_on", "-id")[:10]) if can_receivables else [],
        "unallocated": unallocated or ZERO,
        "held_contracts": [c for c in held if any(r.get("check") == "credit" and r.get("result") == "block"
                                                   for r in c.check_results)] if can_edit else [],  # fmt: skip
        "overrides": list(CreditOverride.objects.filter(customer=customer).select_related("by", "contract", "quote")[:10])
        if can_credit else [],
        "letters": list(DunningLetter.objects.filter(customer=customer).select_related("level")[:10]) if can_receivables else [],
        "terms_form": CreditTermsForm(initial={"credit_limit": profile.credit_limit, "version": profile.version,
                                               "payment_terms_days": profile.payment_terms_days,
                                               "dunning_language": profile.dunning_language}),  # fmt: skip
        "rating_form": RatingForm(initial={"rating": profile.rating_override}),
        "flag_form": FlagForm(), "override_form": ReasonForm(),
        "may_record_receipt": access.may_record_receipts(user),
        **extra,
    }  # fmt: skip


@login_required
@require_GET
def customer_finance(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = customer_for(request, pk)
    return render(request, "finance/customer.html", customer_context(request, customer))


def _editable_customer(request: AuthedRequest, pk: int) -> Any:
    customer = customer_for(request, pk)
    require(access.can_edit_credit(request.user, customer))
    return customer


def _rerender(request: AuthedRequest, customer: Any, **extra: Any) -> HttpResponse:
    return render(request, "finance/customer.html", customer_context(request, customer, **extra), status=400)


@login_required
@require_POST
def credit_terms(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = _editable_customer(request, pk)
    form = CreditTermsForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.credit_profile_update(customer=customer, by=request.user, expected_version=data.pop("version"), **data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Credit terms saved."))
            return redirect("finance:customer", pk=customer.pk)
    return _rerender(request, customer, terms_form=form, open_panel="terms")


@login_required
@require_POST
def credit_rating(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = _editable_customer(request, pk)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            services.credit_rating_override(customer=customer, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Rating saved."))
            return redirect("finance:customer", pk=customer.pk)
    return _rerender(request, customer, rating_form=form, open_panel="rating")


FLAGS: dict[str, tuple[Callable[..., Any], Any, Any]] = {
    "credit-hold": (services.credit_hold_set, gettext_lazy("Credit hold set."), gettext_lazy("Credit hold lifted.")),
    "service-hold": (services.service_hold_set, gettext_lazy("Service hold set."), gettext_lazy("Service hold lifted.")),
    "dunning": (services.dunning_pause_set, gettext_lazy("Reminders paused."), gettext_lazy("Reminders resumed.")),
}


@login_required
@require_POST
def credit_flag(request: AuthedRequest, pk: int, flag: str) -> HttpResponse:
    customer = _editable_customer(request, pk)
    if flag not in FLAGS:
        raise PermissionDenied
    service, set_message, cleared_message = FLAGS[flag]
    form = FlagForm(request.POST)
    on = request.POST.get("on") == "1"
    if form.is_valid():
        try:
            service(customer=customer, by=request.user, on=on, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, str(set_message if on else cleared_message))
            return redirect("finance:customer", pk=customer.pk)
    return _rerender(request, customer, flag_form=form, open_panel=flag)


def _override(request: AuthedRequest, record: Any, back: str) -> HttpResponse:
    form = ReasonForm(request.POST)
    if form.is_valid():
        field = "contract" if back == "sales:contract_detail" else "quote"
        try:
            services.credit_override(by=request.user, reason=form.cleaned_data["reason"], **{field: record})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Credit block overridden for %(number)s.") % {"number": record.number})
            return redirect(back, pk=record.pk)
    else:
        messages.error(request, _("Say why the credit block is overridden."))
    return render(request, "finance/override.html", {"record": record, "form": form, "back": back,
                                                     "check": services.credit_check(record, request.user)}, status=400)  # fmt: skip


@login_required
def contract_override(request: AuthedRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(visible_contracts(request.user).select_related("customer"), pk=pk)
    require(access.can_edit_credit(request.user, contract.customer))
    if request.method == "POST":
        return _override(request, contract, "sales:contract_detail")
    return render(request, "finance/override.html", {"record": contract, "form": ReasonForm(), "back": "sales:contract_detail",
                                                     "check": services.credit_check(contract, request.user)})  # fmt: skip


@login_required
def quote_override(request: AuthedRequest, pk: int) -> HttpResponse:
    quote = get_object_or_404(visible_quotes(request.user).select_related("customer"), pk=pk)
    require(access.can_edit_credit(request.user, quote.customer))
    if request.method == "POST":
        return _override(request, quote, "sales:quote_detail")
    return render(request, "finance/override.html", {"record": quote, "form": ReasonForm(), "back": "sales:quote_detail",
                                                     "check": services.credit_check(quote, request.user)})  # fmt: skip


@login_required
@require_GET
def letter_list(request: AuthedRequest) -> HttpResponse:
    require(may(request.user, "invoice", "view"))
    rows = access.visible_letters(request.user).select_related("customer", "level", "contact")
    page = CappedPaginator(rows.order_by("-run_on", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "finance/letter_list.html", {"page": page})


@login_required
@require_GET
def letter_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    letter = get_object_or_404(access.visible_letters(request.user).select_related("customer", "level", "contact"), pk=pk)
    items = list(letter.items.select_related("invoice").order_by("invoice__due_on"))
    return render(request, "finance/letter_detail.html", {"letter": letter, "items": items})


