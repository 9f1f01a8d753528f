"""Credit: profiles (limit, terms, rating override, holds, dunning pause), exposure, the credit check
and finance's override of a block.

Exposure = unpaid invoices + the unbilled rest of active contracts + open approved quotes, each part
switched on or off in the credit policy, in the limit's currency.

The check answers:
- block: the customer is on credit hold, an invoice is overdue longer than the policy allows, or the
  exposure with this record would pass the limit;
- warn: the exposure with this record passes the policy's warning share of the limit, or a finance
  officer overrode a block on this very record;
- approve (quotes only): the customer's risk score is high and the policy wants such quotes approved;
- pass otherwise.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.extensions import APPROVE, BLOCK, PASS, WARN, CheckResult
from touchpoint.core.models import EventKind
from touchpoint.core.money import HUNDRED, ZERO, default_currency, money
from touchpoint.customers.models import Customer
from touchpoint.finance.models import CreditOverride, CreditPolicy, CreditProfile, DunningLanguage, Invoice, InvoiceKind, Rating
from touchpoint.finance.services.invoices import _check_amount
from touchpoint.sales.models import Contract, ContractStatus, Quote, QuoteStatus

CHECK = "credit"
CREDIT_PROFILE_CHANGED = event_type("credit.profile_changed", kind=EventKind.FINANCE, label=gettext_lazy("Credit terms changed"))
CREDIT_RATING_OVERRIDDEN = event_type("credit.rating_overridden", kind=EventKind.FINANCE,
                                      label=gettext_lazy("Credit rating overridden"))  # fmt: skip
CREDIT_HOLD_CHANGED = event_type("credit.hold_changed", kind=EventKind.FINANCE, label=gettext_lazy("Credit hold changed"))
SERVICE_HOLD_CHANGED = event_type("credit.service_hold_changed", kind=EventKind.FINANCE,
                                  label=gettext_lazy("Service hold changed"))  # fmt: skip
DUNNING_PAUSE_CHANGED = event_type("credit.dunning_pause_changed", kind=EventKind.FINANCE,
                                   label=gettext_lazy("Dunning paused or resumed"))  # fmt: skip
CREDIT_BLOCK_OVERRIDDEN = event_type("credit.block_overridden", kind=EventKind.FINANCE,
                                     label=gettext_lazy("Credit block overridden"))  # fmt: skip
MAX_TERMS_DAYS = 365


def credit_profile_for(customer: Customer | int) -> CreditProfile:
    """The customer's profile, made with the defaults the first time it is needed."""
    customer_id = customer if isinstance(customer, int) else customer.pk
    profile = CreditProfile.objects.filter(customer_id=customer_id).first()
    if profile is None:
        profile, _created = CreditProfile.objects.get_or_create(customer_id=customer_id)
    return profile


def _locked_profile(customer: Customer) -> CreditProfile:
    credit_profile_for(customer)
    return CreditProfile.objects.select_for_update().get(customer_id=customer.pk)


def _save(profile: CreditProfile, by: Any) -> None:
    profile.version += 1
    profile._history_user = by  # type: ignore[attr-defined]
    profile.save()


@transaction.atomic
def credit_profile_update(
    *,
    customer: Customer,
    by: Any,
    expected_version: int,
    credit_limit: Any = None,
    payment_terms_days: Any = None,
    dunning_language: str | None = None,
) -> CreditProfile:
    """Set the limit (0: none), the payment terms in days and the language reminders go out in."""
    profile = _locked_profile(customer)
    if profile.version != expected_version:
        raise ValidationError({"version": _("Someone else changed this credit profile meanwhile. Reload and try again.")})
    before = {"credit_limit": str(profile.credit_limit), "payment_terms_days": profile.payment_terms_days,
              "dunning_language": profile.dunning_language}  # fmt: skip
    if credit_limit not in (None, ""):
        profile.credit_limit = ZERO if _is_zero(credit_limit) else _check_amount(credit_limit, "credit_limit")
    if payment_terms_days not in (None, ""):
        try:
            days = int(payment_terms_days)
        except (TypeError, ValueError):
            raise ValidationError({"payment_terms_days": _("Enter the payment terms as whole days.")}) from None
        if not 0 <= days <= MAX_TERMS_DAYS:
            raise ValidationError({"payment_terms_days": _("Payment terms are between 0 and 365 days.")})
        profile.payment_terms_days = days
    if dunning_language not in (None, ""):
        if dunning_language not in DunningLanguage.values:
            raise ValidationError({"dunning_language": _("Choose Chinese or English.")})
        profile.dunning_language = dunning_language
    after = {"credit_limit": str(profile.credit_limit), "payment_terms_days": profile.payment_terms_days,
             "dunning_language": profile.dunning_language}  # fmt: skip
    if after == before:
        return profile
    _save(profile, by)
    changes = [{"field": k, "from": before[k], "to": after[k]} for k in after if after[k] != before[k]]
    event_record(verb=CREDIT_PROFILE_CHANGED, actor=by, customer_id=customer.pk, target=profile,
                 payload={"changes": changes})  # fmt: skip
    return profile


def _is_zero(value: Any) -> bool:
    """0, "0", "0.00", Decimal("0.0")…: every spelling of zero switches the limit off."""
    try:
        return Decimal(str(value).strip()) == ZERO
    except (ArithmeticError, ValueError):
        return False


def _reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": message})
    return reason[:500]


@transaction.atomic
def credit_rating_override(*, customer: Customer, by: Any, rating: str, reason: str) -> CreditProfile:
    """Set a rating by hand, with a reason; an empty rating goes back to the computed one."""
    if rating and rating not in Rating.values:
        raise ValidationError({"rating": _("Choose a rating from A to D.")})
    reason = _reason(reason, _("Say why the rating is set by hand."))
    profile = _locked_profile(customer)
    before = profile.rating
    profile.rating_override, profile.rating_override_reason = rating, reason if rating else ""
    _save(profile, by)
    event_record(verb=CREDIT_RATING_OVERRIDDEN, actor=by, customer_id=customer.pk, target=profile,
                 payload={"from": before, "to": profile.rating, "computed": profile.computed_rating,
                          "reason": reason})  # fmt: skip
    return profile


def _flag(customer: Customer, by: Any, *, field: str, on: bool, reason: str, verb: str, ask: str) -> CreditProfile:
    reason = _reason(reason, ask) if on else (reason or "").strip()[:500]
    profile = _locked_profile(customer)
    if getattr(profile, field) == on:
        raise ValidationError({field: _("Nothing to change: it is already so.")})
    setattr(profile, field, on)
    setattr(profile, f"{field}_reason" if field != "dunning_paused" else "dunning_pause_reason", reason if on else "")
    _save(profile, by)
    event_record(verb=verb, actor=by, customer_id=customer.pk, target=profile, payload={"on": on, "reason": reason})
    return profile


@transaction.atomic
def credit_hold_set(*, customer: Customer, by: Any, on: bool, reason: str = "") -> CreditProfile:
    """Stop new business with the customer (every credit check blocks) or lift the hold."""
    return _flag(customer, by, field="credit_hold", on=on, reason=reason, verb=CREDIT_HOLD_CHANGED,
                 ask=_("Say why the customer is put on credit hold."))  # fmt: skip


@transaction.atomic
def service_hold_set(*, customer: Customer, by: Any, on: bool, reason: str = "") -> CreditProfile:
    """Hold non-critical service work (upgrades, training) until the customer pays; never P1 faults."""
    return _flag(customer, by, field="service_hold", on=on, reason=reason, verb=SERVICE_HOLD_CHANGED,
                 ask=_("Say why service work is held."))  # fmt: skip


@transaction.atomic
def dunning_pause_set(*, customer: Customer, by: Any, on: bool, reason: str = "") -> CreditProfile:
    """Pause payment reminders to the customer (a payment plan agreed, a dispute at the top) or resume them."""
    return _flag(customer, by, field="dunning_paused", on=on, reason=reason, verb=DUNNING_PAUSE_CHANGED,
                 ask=_("Say why reminders are paused."))  # fmt: skip


# --- Exposure and the check ----------------------------------------------------------------------


@dataclass(frozen=True)
class Exposure:
    currency: str
    unpaid_invoices: Decimal
    unbilled_contracts: Decimal
    open_quotes: Decimal
    limit: Decimal

    @property
    def total(self) -> Decimal:
        return self.unpaid_invoices + self.unbilled_contracts + self.open_quotes

    @property
    def available(self) -> Decimal | None:
        return self.limit - self.total if self.limit > ZERO else None

    @property
    def used_percent(self) -> Decimal | None:
        return money(self.total * HUNDRED / self.limit) if self.limit > ZERO else None


OPEN_QUOTE = Q(status__in=[QuoteStatus.APPROVED, QuoteStatus.SENT]) | Q(status=QuoteStatus.ACCEPTED, contract__isnull=True)


def exposure_of(
    customer_id: int, *, excluding_contract: int | None = None, excluding_quote: int | None = None,
    policy: CreditPolicy | None = None, profile: CreditProfile | None = None,
) -> Exposure:  # fmt: skip
    """The customer's exposure as the policy counts it, leaving out the record being checked."""
    policy = policy or CreditPolicy.current()
    profile = profile or CreditProfile.objects.filter(customer_id=customer_id).first()
    currency = profile.currency if profile else default_currency()
    unpaid = unbilled = quotes = ZERO
    if policy.include_unpaid_invoices:
        unpaid = Invoice.objects.filter(
            customer_id=customer_id, kind=InvoiceKind.INVOICE, open_amount__gt=0, currency=currency
        ).aggregate(s=Sum("open_amount"))["s"] or ZERO
    if policy.include_unbilled_contracts:
        active = Contract.objects.filter(customer_id=customer_id, status=ContractStatus.ACTIVE, currency=currency)
        if excluding_contract:
            active = active.exclude(pk=excluding_contract)
        signed = active.aggregate(s=Sum("amount"))["s"] or ZERO
        billed = Invoice.objects.filter(contract__in=active, kind=InvoiceKind.INVOICE).aggregate(
            a=Sum("amount"), c=Sum("credited_amount")
        )
        unbilled = max(ZERO, signed - (billed["a"] or ZERO) + (billed["c"] or ZERO))
    if policy.include_open_quotes:
        open_quotes = Quote.objects.filter(OPEN_QUOTE, customer_id=customer_id, currency=currency)
        if excluding_quote:
            open_quotes = open_quotes.exclude(pk=excluding_quote)
        quotes = open_quotes.aggregate(s=Sum("grand_total"))["s"] or ZERO
    return Exposure(currency=currency, unpaid_invoices=unpaid, unbilled_contracts=unbilled, open_quotes=quotes,
                    limit=profile.credit_limit if profile else ZERO)  # fmt: skip


def oldest_overdue_days(customer_id: int) -> int:
    today = timezone.localdate()
    oldest = Invoice.objects.filter(
        customer_id=customer_id, kind=InvoiceKind.INVOICE, open_amount__gt=0, due_on__lt=today, disputed=False
    ).aggregate(d=Min("due_on"))["d"]
    return (today - oldest).days if oldest else 0


def _override_of(record: Contract | Quote) -> CreditOverride | None:
    field = "contract" if isinstance(record, Contract) else "quote"
    return CreditOverride.objects.filter(**{field: record}).select_related("by").order_by("-id").first()


def _blocks(record: Contract | Quote, profile: CreditProfile | None, policy: CreditPolicy) -> tuple[list[str], list[str]]:
    """The reasons this record is blocked, and the warnings, in plain words."""
    is_contract = isinstance(record, Contract)
    amount = record.amount if isinstance(record, Contract) else record.grand_total
    blocks: list[str] = []
    warnings: list[str] = []
    if profile is not None and profile.credit_hold:
        blocks.append(_("The customer is on credit hold: %(reason)s") % {"reason": profile.credit_hold_reason})
    if policy.block_overdue_days:
        days = oldest_overdue_days(record.customer_id)
        if days > policy.block_overdue_days:
            blocks.append(_("An invoice is %(days)s days overdue; new business waits once anything is more than "
                            "%(limit)s days overdue.") % {"days": days, "limit": policy.block_overdue_days})  # fmt: skip
    if profile is not None and profile.credit_limit > ZERO and record.currency != profile.currency:
        warnings.append(_("This is in %(currency)s but the credit limit is in %(limit_currency)s; it is not counted "
                          "against the limit.") % {"currency": record.currency, "limit_currency": profile.currency})  # fmt: skip
    elif profile is not None and profile.credit_limit > ZERO:
        exposure = exposure_of(
            record.customer_id, policy=policy, profile=profile,
            excluding_contract=record.pk if is_contract else None,
            excluding_quote=(record.quote_id if isinstance(record, Contract) else record.pk),
        )  # fmt: skip
        after = exposure.total + amount
        figures = {"after": f"{after:,.2f}", "limit": f"{profile.credit_limit:,.2f}", "currency": exposure.currency,
                   "now": f"{exposure.total:,.2f}", "amount": f"{amount:,.2f}"}  # fmt: skip
        if after > profile.credit_limit:
            blocks.append(_("With this %(amount)s the customer would owe or be committed to %(after)s %(currency)s, "
                            "above the credit limit of %(limit)s (%(now)s already).") % figures)  # fmt: skip
        elif after * HUNDRED > profile.credit_limit * policy.warn_percent:
            warnings.append(_("With this %(amount)s the exposure reaches %(after)s of the %(limit)s %(currency)s "
                              "credit limit.") % figures)  # fmt: skip
    return blocks, warnings


def credit_check(record: Contract | Quote, by: Any) -> CheckResult:
    """The credit check of a contract being confirmed or a quote being submitted for approval."""
    policy = CreditPolicy.current()
    profile = CreditProfile.objects.filter(customer_id=record.customer_id).first()
    blocks, warnings = _blocks(record, profile, policy)
    if blocks:
        override = _override_of(record)
        if override is None:
            return CheckResult(CHECK, BLOCK, " ".join(blocks))
        warnings.insert(0, _("Credit block overridden by %(user)s: %(reason)s") % {"user": override.by, "reason": override.reason})
    if (
        isinstance(record, Quote) and profile is not None and policy.high_risk_requires_approval
        and profile.risk_score >= policy.high_risk_score
    ):  # fmt: skip
        return CheckResult(CHECK, APPROVE, _("The customer is high risk (score %(score)s, rating %(rating)s); a manager "
                                             "must approve this quote.") % {"score": profile.risk_score,
                                                                            "rating": profile.rating})  # fmt: skip
    if warnings:
        return CheckResult(CHECK, WARN, " ".join(warnings))
    return CheckResult(CHECK, PASS, "")


@transaction.atomic
def credit_override(*, by: Any, reason: str, contract: Contract | None = None, quote: Quote | None = None) -> CreditOverride:
    """A finance officer lets one contract or quote through a credit block, with a reason. A held
    contract is then confirmed at once; a quote is submitted again by its rep."""
    from touchpoint.finance.access import can_edit_credit

    record = contract or quote
    if record is None:
        raise ValidationError({"record": _("Say which contract or quote to let through.")})
    if not can_edit_credit(by, record.customer):
        raise PermissionDenied(_("Only finance may override a credit block."))
    reason = _reason(reason, _("Say why the credit block is overridden."))
    if contract is not None:
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        if contract.status != ContractStatus.PENDING_CHECKS:
            raise ValidationError({"contract": _("Only a contract held by its checks can be let through.")})
    check = credit_check(record, by)
    if check.outcome != BLOCK:
        raise ValidationError({"record": _("The credit check does not block this; there is nothing to override.")})
    override = CreditOverride.objects.create(customer_id=record.customer_id, contract=contract, quote=quote,
                                             blocked_because=check.message[:500], reason=reason, by=by)  # fmt: skip
    event_record(verb=CREDIT_BLOCK_OVERRIDDEN, actor=by, customer_id=record.customer_id, target=record,
                 payload={"number": record.number, "blocked_because": check.message[:500], "reason": reason})  # fmt: skip
    if contract is not None:
        from touchpoint.sales.services.contracts import contract_confirm

        contract_confirm(contract=contract, by=by)
    return override
