"""Every write to quotes: lines and totals, the status pipeline, revisions, discount approval, sending.

The status moves only along QUOTE_MOVES, one service per move:

    draft ──submit──▶ pending ──approve──▶ approved ──send──▶ sent ──▶ accepted / rejected / expired
      ▲   ╲________ (within the limit) ________▲                 │
      └──── reject / withdraw ◀── pending                         └─ revise ▶ v2 draft (v1 superseded)

A quote is edited only as a draft; anything sent or approved is revised into a new version and the
old one is kept read-only.
"""

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.extensions import APPROVE, BLOCK, WARN, CheckResult, quote_checks
from touchpoint.core.models import EventKind
from touchpoint.core.money import HUNDRED, ZERO, default_tax_rate, money
from touchpoint.core.notifications import notify
from touchpoint.core.numbering import next_number
from touchpoint.customers.models import Contact
from touchpoint.org.models import Position, Team, User
from touchpoint.sales.models import (
    ApprovalStatus,
    DiscountApproval,
    DiscountLimit,
    Lead,
    LicenceType,
    LineKind,
    Module,
    ModulePrice,
    Opportunity,
    Quote,
    QuoteLine,
    QuoteStatus,
    Requirement,
)

QUOTE_CREATED = event_type("quote.created", kind=EventKind.SALES, label=gettext_lazy("Quote drafted"))
QUOTE_SUBMITTED = event_type("quote.submitted", kind=EventKind.SALES, label=gettext_lazy("Quote sent for approval"))
QUOTE_APPROVED = event_type("quote.approved", kind=EventKind.SALES, label=gettext_lazy("Quote approved"))
QUOTE_REJECTED_INTERNALLY = event_type(
    "quote.approval_rejected", kind=EventKind.SALES, label=gettext_lazy("Quote discount rejected")
)
QUOTE_WITHDRAWN = event_type("quote.withdrawn", kind=EventKind.SALES, label=gettext_lazy("Approval request withdrawn"))
QUOTE_SENT = event_type("quote.sent", kind=EventKind.SALES, label=gettext_lazy("Quote sent to the customer"))
QUOTE_ACCEPTED = event_type("quote.accepted", kind=EventKind.SALES, label=gettext_lazy("Quote accepted"))
QUOTE_DECLINED = event_type("quote.declined", kind=EventKind.SALES, label=gettext_lazy("Quote declined by the customer"))
QUOTE_EXPIRED = event_type("quote.expired", kind=EventKind.SALES, label=gettext_lazy("Quote expired"))
QUOTE_REVISED = event_type("quote.revised", kind=EventKind.SALES, label=gettext_lazy("Quote revised"))

QUOTE_MOVES: dict[str, set[str]] = {
    QuoteStatus.DRAFT: {QuoteStatus.PENDING_APPROVAL, QuoteStatus.APPROVED},
    QuoteStatus.PENDING_APPROVAL: {QuoteStatus.APPROVED, QuoteStatus.DRAFT},
    QuoteStatus.APPROVED: {QuoteStatus.SENT, QuoteStatus.SUPERSEDED, QuoteStatus.EXPIRED},
    QuoteStatus.SENT: {QuoteStatus.ACCEPTED, QuoteStatus.REJECTED, QuoteStatus.EXPIRED, QuoteStatus.SUPERSEDED},
    QuoteStatus.REJECTED: {QuoteStatus.SUPERSEDED},
    QuoteStatus.EXPIRED: {QuoteStatus.SUPERSEDED},
    QuoteStatus.ACCEPTED: set(),
    QuoteStatus.SUPERSEDED: set(),
}

VALID_DAYS = 30


def _move(quote: Quote, to: str) -> None:
    if to not in QUOTE_MOVES[quote.status]:
        raise ValidationError(
            {"status": _("A quote that is “%(from)s” cannot become “%(to)s”.")
             % {"from": quote.get_status_display(), "to": QuoteStatus(to).label}}
        )  # fmt: skip
    quote.status = to


def _locked(quote: Quote) -> Quote:
    return Quote.objects.select_for_update().get(pk=quote.pk)


def _require_draft(quote: Quote) -> None:
    if not quote.is_editable:
        raise ValidationError(
            {"status": _("This quote is “%(status)s” and can no longer be changed. Revise it to make a new version.")
             % {"status": quote.get_status_display()}}
        )  # fmt: skip


def _payload(quote: Quote, **extra: Any) -> dict[str, Any]:
    return {"number": quote.number, "revision": quote.revision, "total": str(quote.grand_total),
            "discount": str(quote.discount_percent), **extra}  # fmt: skip


# --- Prices and totals ---------------------------------------------------------------------


def list_price(module: Module, licence_type: str, *, on: Any = None) -> Decimal | None:
    """The module's list price for the licence type valid on the date (today by default)."""
    on = on or timezone.localdate()
    price = (
        ModulePrice.objects.filter(module=module, licence_type=licence_type, valid_from__lte=on)
        .order_by("-valid_from")
        .values_list("list_price", flat=True)
        .first()
    )
    return price


def line_amounts(
    *, quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, tax_rate: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, total) of one line, each rounded to the cent."""
    net = money(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED)
    tax = money(net * tax_rate / HUNDRED)
    return net, tax, net + tax


def _check_line_values(values: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if values["quantity"] <= ZERO:
        errors["quantity"] = _("The quantity must be more than zero.")
    if values["unit_price"] < ZERO:
        errors["unit_price"] = _("The price cannot be negative.")
    if not ZERO <= values["discount_percent"] <= HUNDRED:
        errors["discount_percent"] = _("A discount is between 0% and 100%.")
    if not ZERO <= values["tax_rate"] <= HUNDRED:
        errors["tax_rate"] = _("A tax rate is between 0% and 100%.")
    if values["kind"] not in LineKind.values:
        errors["kind"] = _("Choose a line kind from the list.")
    if values.get("licence_type") and values["licence_type"] not in LicenceType.values:
        errors["licence_type"] = _("Choose a licence type from the list.")
    if not (values.get("description") or "").strip():
        errors["description"] = _("Describe the line.")
    if errors:
        raise ValidationError(errors)


def recalculate(quote: Quote) -> Quote:
    """Recompute the quote's totals and overall discount off list from its lines."""
    lines = list(quote.lines.all())
    quote.list_total = money(sum((line.quantity * line.unit_price for line in lines), ZERO))
    quote.net_total = money(sum((line.net_amount for line in lines), ZERO))
    quote.tax_total = money(sum((line.tax_amount for line in lines), ZERO))
    quote.grand_total = quote.net_total + quote.tax_total
    quote.discount_percent = (
        money((quote.list_total - quote.net_total) * HUNDRED / quote.list_total) if quote.list_total > 0 else ZERO
    )
    quote.save(update_fields=["list_total", "net_total", "tax_total", "grand_total", "discount_percent", "updated_at"])
    return quote


# --- Drafting ------------------------------------------------------------------------------


@transaction.atomic
def quote_create(
    *, opportunity: Opportunity, by: Any, contact: Contact | None = None, valid_until: Any = None, terms: str = ""
) -> Quote:
    if opportunity.stage.is_closed:
        raise ValidationError({"opportunity": _("This opportunity is closed; reopen it before quoting.")})
    if contact is not None and contact.customer_id != opportunity.customer_id:
        raise ValidationError({"contact": _("The contact must belong to this customer.")})
    valid_until = valid_until or timezone.localdate() + timedelta(days=VALID_DAYS)
    if valid_until < timezone.localdate():
        raise ValidationError({"valid_until": _("The validity date cannot be in the past.")})
    quote = Quote(
        number=next_number("Q"), opportunity=opportunity, customer=opportunity.customer, contact=contact,
        owner=by, valid_until=valid_until, currency=opportunity.currency, terms=terms,
    )  # fmt: skip
    quote._history_user = by  # type: ignore[attr-defined]
    quote.save()
    event_record(verb=QUOTE_CREATED, actor=by, customer_id=quote.customer_id, target=quote,
                 payload=_payload(quote, opportunity=opportunity.title))  # fmt: skip
    return quote


@transaction.atomic
def quote_addendum_create(*, contract: Any, by: Any, terms: str = "", valid_until: Any = None) -> Quote:
    """A draft quote that prices a change to a signed contract, on the contract's opportunity even
    though that opportunity is won: the addendum is how a change of scope reaches the customer."""
    from touchpoint.sales.models import ContractStatus

    if contract.status != ContractStatus.ACTIVE:
        raise ValidationError({"contract": _("Only an active contract can be amended.")})
    if contract.opportunity_id is None:
        raise ValidationError({"contract": _("This contract has no opportunity to quote the change on.")})
    valid_until = valid_until or timezone.localdate() + timedelta(days=VALID_DAYS)
    quote = Quote(
        number=next_number("Q"), opportunity_id=contract.opportunity_id, customer_id=contract.customer_id,
        contact=contract.signed_by_contact, owner=contract.owner, valid_until=valid_until, currency=contract.currency,
        terms=terms, amends=contract,
    )  # fmt: skip
    quote._history_user = by  # type: ignore[attr-defined]
    quote.save()
    event_record(verb=QUOTE_CREATED, actor=by, customer_id=quote.customer_id, target=quote,
                 payload=_payload(quote, contract=contract.number))  # fmt: skip
    return quote


@transaction.atomic
def quote_line_add(
    *,
    quote: Quote,
    by: Any,
    kind: str = LineKind.LICENCE,
    module: Module | None = None,
    licence_type: str = "",
    description: str = "",
    quantity: Decimal = Decimal(1),
    unit_price: Decimal | None = None,
    discount_percent: Decimal = ZERO,
    tax_rate: Decimal | None = None,
    requirements: Iterable[Requirement] = (),
) -> QuoteLine:
    """Add a line; a licence line without a price takes the module's current list price."""
    quote = _locked(quote)
    _require_draft(quote)
    if module is not None and module.is_retired:
        raise ValidationError({"module": _("This module is retired and can no longer be quoted.")})
    if kind == LineKind.LICENCE and module is None:
        raise ValidationError({"module": _("A licence line needs a module.")})
    if kind == LineKind.LICENCE and not licence_type:
        licence_type = LicenceType.PERPETUAL
    if unit_price is None:
        unit_price = list_price(module, licence_type) if module is not None and licence_type else None
        if unit_price is None:
            raise ValidationError({"unit_price": _("There is no list price for this module and licence type; enter one.")})
    values: dict[str, Any] = {
        "kind": kind, "licence_type": licence_type if kind == LineKind.LICENCE else "",
        "description": (description or (str(module) if module else "")).strip()[:200],
        "quantity": Decimal(quantity), "unit_price": Decimal(unit_price), "discount_percent": Decimal(discount_percent),
        "tax_rate": default_tax_rate() if tax_rate is None else Decimal(tax_rate),
    }  # fmt: skip
    _check_line_values(values)
    requirements = list(requirements)
    if any(requirement.opportunity_id != quote.opportunity_id for requirement in requirements):
        raise ValidationError({"requirements": _("Only this opportunity's requirements can be linked.")})
    net, tax, total = line_amounts(quantity=values["quantity"], unit_price=values["unit_price"],
                                   discount_percent=values["discount_percent"], tax_rate=values["tax_rate"])  # fmt: skip
    order = (quote.lines.aggregate(top=Max("order"))["top"] or 0) + 1
    line = QuoteLine.objects.create(quote=quote, module=module, order=order, net_amount=net, tax_amount=tax,
                                    total=total, **values)  # fmt: skip
    if requirements:
        line.requirements.set(requirements)
    recalculate(quote)
    return line


@transaction.atomic
def quote_line_update(*, line: QuoteLine, by: Any, **values: Any) -> QuoteLine:
    quote = _locked(line.quote)
    _require_draft(quote)
    allowed = {"description", "quantity", "unit_price", "discount_percent", "tax_rate", "licence_type"}
    current = {
        "kind": line.kind, "licence_type": line.licence_type, "description": line.description,
        "quantity": line.quantity, "unit_price": line.unit_price, "discount_percent": line.discount_percent,
        "tax_rate": line.tax_rate,
    }  # fmt: skip
    current.update({k: (Decimal(v) if k in {"quantity", "unit_price", "discount_percent", "tax_rate"} else v)
                    for k, v in values.items() if k in allowed})  # fmt: skip
    _check_line_values(current)
    for name, value in current.items():
        setattr(line, name, value)
    line.net_amount, line.tax_amount, line.total = line_amounts(
        quantity=line.quantity, unit_price=line.unit_price, discount_percent=line.discount_percent, tax_rate=line.tax_rate
    )
    line.save()
    if "requirements" in values:
        line.requirements.set(values["requirements"])
    recalculate(quote)
    return line


@transaction.atomic
def quote_line_remove(*, line: QuoteLine, by: Any) -> None:
    quote = _locked(line.quote)
    _require_draft(quote)
    line.delete()
    recalculate(quote)


@transaction.atomic
def quote_update(*, quote: Quote, by: Any, **values: Any) -> Quote:
    """Change a draft's heading: addressee, validity, terms."""
    quote = _locked(quote)
    _require_draft(quote)
    if "contact" in values and values["contact"] is not None and values["contact"].customer_id != quote.customer_id:
        raise ValidationError({"contact": _("The contact must belong to this customer.")})
    if "valid_until" in values and values["valid_until"] < timezone.localdate():
        raise ValidationError({"valid_until": _("The validity date cannot be in the past.")})
    for name in ("contact", "valid_until", "terms"):
        if name in values:
            setattr(quote, name, values[name])
    quote._history_user = by  # type: ignore[attr-defined]
    quote.save()
    return quote


@transaction.atomic
def quote_from_bundle(
    *,
    opportunity: Opportunity,
    by: Any,
    modules: list[Module],
    licence_type: str = LicenceType.PERPETUAL,
    service_days: Decimal = ZERO,
    with_maintenance: bool = True,
) -> Quote:
    """A draft quote from a recommended bundle: a licence line per module (linked to the requirements
    it covers), a services line for the custom effort, and the first year's maintenance. It is addressed
    to the contact of the lead the opportunity came from, if any."""
    lead = Lead.objects.filter(opportunity=opportunity, contact__isnull=False).select_related("contact").first()
    contact = lead.contact if lead is not None and lead.contact and lead.contact.deleted_at is None else None
    quote = quote_create(opportunity=opportunity, by=by, contact=contact)
    requirements = list(opportunity.requirements.prefetch_related("modules"))
    licence_total = ZERO
    for module in modules:
        covering = [r for r in requirements if any(m.pk == module.pk for m in r.modules.all())]
        line = quote_line_add(quote=quote, by=by, module=module, licence_type=licence_type, requirements=covering)
        licence_total += line.net_amount
    products = {module.product for module in modules}
    product = next(iter(products)) if len(products) == 1 else None
    if service_days > 0:
        rate = product.day_rate if product else max((p.day_rate for p in products), default=ZERO)
        custom = [r for r in requirements if r.custom_effort_days > 0]
        quote_line_add(quote=quote, by=by, kind=LineKind.SERVICE, description=_("Implementation and custom development"),
                       quantity=service_days, unit_price=rate, requirements=custom)  # fmt: skip
    if with_maintenance and licence_total > 0:
        percent = product.maintenance_percent if product else max(p.maintenance_percent for p in products)
        quote_line_add(quote=quote, by=by, kind=LineKind.MAINTENANCE,
                       description=_("Annual maintenance (%(percent)s%% of licence)") % {"percent": percent},
                       unit_price=money(licence_total * percent / HUNDRED))  # fmt: skip
    return quote


# --- Approval ------------------------------------------------------------------------------


def discount_limit(user: Any) -> Decimal:
    """The largest discount the user may give without approval: the widest of their positions."""
    if user.is_superuser:
        return HUNDRED
    limits = DiscountLimit.objects.filter(position__in=user.positions).aggregate(top=Max("max_discount_percent"))
    return limits["top"] if limits["top"] is not None else ZERO


def approvers_for(user: Any) -> list[User]:
    """Who is asked to approve the user's discount: the leads of their teams, else the sales managers
    of their department, else the executives."""
    leads = User.objects.filter(is_active=True, led_teams__in=Team.objects.filter(members=user)).exclude(pk=user.pk)
    found = list(leads.distinct())
    if not found:
        found = list(
            User.objects.filter(
                is_active=True, memberships__position=Position.SALES_MANAGER,
                memberships__department_id=user.department_id,
            ).exclude(pk=user.pk).distinct()
        )  # fmt: skip
    if not found:
        found = list(
            User.objects.filter(is_active=True, memberships__position=Position.EXECUTIVE).exclude(pk=user.pk).distinct()
        )
    return found


def requested_discount(quote: Quote) -> Decimal:
    """The discount that needs the limit: the quote's overall discount off list, or the deepest discount on
    any one licence line when that is larger (a big cut on one module hides behind full-price services)."""
    deepest = quote.lines.filter(kind=LineKind.LICENCE).aggregate(top=Max("discount_percent"))["top"] or ZERO
    return max(quote.discount_percent, deepest)


def run_quote_checks(quote: Quote, by: Any) -> list[CheckResult]:
    return [check(quote, by) for check in quote_checks.values()]


def _notify(recipients: Iterable[Any], key: str, text: str, url: str) -> None:
    for recipient in recipients:
        notify(recipient.pk, f"{key}:{recipient.pk}", text, url)


def quote_url(quote: Quote) -> str:
    return f"/sales/quotes/{quote.pk}/"


@transaction.atomic
def quote_submit(*, quote: Quote, by: Any, reason: str = "") -> Quote:
    """Submit a draft: within the submitter's discount limit it is approved at once; above it, a sales
    manager must approve. The registered quote checks run first; a block stops the submission."""
    quote = _locked(quote)
    _require_draft(quote)
    if not quote.lines.exists():
        raise ValidationError({"lines": _("Add at least one line before submitting the quote.")})
    if quote.valid_until < timezone.localdate():
        raise ValidationError({"valid_until": _("The validity date has passed; change it first.")})
    results = run_quote_checks(quote, by)
    blocked = [r for r in results if r.outcome == BLOCK]
    if blocked:
        raise ValidationError({"status": [r.message for r in blocked]})
    limit = discount_limit(by)
    warnings = [r.message for r in results if r.outcome == WARN]
    must_approve = [r.message for r in results if r.outcome == APPROVE]
    asked = requested_discount(quote)
    if asked <= limit and not must_approve:
        _move(quote, QuoteStatus.APPROVED)
        quote._history_user = by  # type: ignore[attr-defined]
        quote.save(update_fields=["status", "updated_at"])
        event_record(verb=QUOTE_APPROVED, actor=by, customer_id=quote.customer_id, target=quote,
                     payload=_payload(quote, within_limit=str(limit), warnings=warnings))  # fmt: skip
        return quote
    _move(quote, QuoteStatus.PENDING_APPROVAL)
    quote._history_user = by  # type: ignore[attr-defined]
    quote.save(update_fields=["status", "updated_at"])
    approval = DiscountApproval.objects.create(
        quote=quote, customer=quote.customer, requested_by=by, discount_percent=asked,
        limit_percent=limit, reason=" ".join([(reason or "").strip(), *must_approve]).strip()[:500],
    )  # fmt: skip
    event_record(verb=QUOTE_SUBMITTED, actor=by, customer_id=quote.customer_id, target=quote,
                 payload=_payload(quote, limit=str(limit), reason=approval.reason, warnings=warnings))  # fmt: skip
    _notify(
        approvers_for(by), f"approval:{approval.pk}",
        _("%(user)s asks you to approve a %(discount)s%% discount on quote %(number)s")
        % {"user": by, "discount": asked, "number": quote.number},
        quote_url(quote),
    )
    return quote


@transaction.atomic
def approval_decide(*, approval: DiscountApproval, by: Any, approve: bool, comment: str = "") -> DiscountApproval:
    """Approve or reject a discount; rejecting needs a comment and sends the quote back to draft."""
    approval = DiscountApproval.objects.select_for_update().get(pk=approval.pk)
    comment = (comment or "").strip()
    if approval.status != ApprovalStatus.PENDING:
        raise ValidationError({"status": _("This request has already been decided.")})
    if approval.requested_by_id == by.pk:
        raise ValidationError({"status": _("You cannot approve your own discount.")})
    if not approve and not comment:
        raise ValidationError({"comment": _("Say why the discount is rejected.")})
    quote = _locked(approval.quote)
    _move(quote, QuoteStatus.APPROVED if approve else QuoteStatus.DRAFT)
    quote._history_user = by  # type: ignore[attr-defined]
    quote.save(update_fields=["status", "updated_at"])
    approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    approval.decided_by, approval.decided_at, approval.comment = by, timezone.now(), comment[:500]
    approval.save()
    event_record(verb=QUOTE_APPROVED if approve else QUOTE_REJECTED_INTERNALLY, actor=by,
                 customer_id=quote.customer_id, target=quote,
                 payload=_payload(quote, comment=approval.comment, requested_by=str(approval.requested_by)))  # fmt: skip
    text = (_("%(user)s approved the discount on quote %(number)s") if approve
            else _("%(user)s rejected the discount on quote %(number)s")) % {"user": by, "number": quote.number}  # fmt: skip
    _notify([approval.requested_by], f"approval:{approval.pk}:decided", text, quote_url(quote))
    return approval


@transaction.atomic
def quote_withdraw(*, quote: Quote, by: Any) -> Quote:
    """Take a quote back from approval to change it."""
    quote = _locked(quote)
    _move(quote, QuoteStatus.DRAFT)
    quote.save(update_fields=["status", "updated_at"])
    DiscountApproval.objects.filter(quote=quote, status=ApprovalStatus.PENDING).update(
        status=ApprovalStatus.WITHDRAWN, decided_by=by, decided_at=timezone.now()
    )
    event_record(verb=QUOTE_WITHDRAWN, actor=by, customer_id=quote.customer_id, target=quote, payload=_payload(quote))
    return quote


# --- With the customer ---------------------------------------------------------------------


@transaction.atomic
def quote_mark_sent(*, quote: Quote, by: Any, touchpoint_id: int | None = None) -> Quote:
    quote = _locked(quote)
    _move(quote, QuoteStatus.SENT)
    quote.sent_at = timezone.now()
    quote._history_user = by  # type: ignore[attr-defined]
    quote.save(update_fields=["status", "sent_at", "updated_at"])
    event_record(verb=QUOTE_SENT, actor=by, customer_id=quote.customer_id, target=quote,
                 payload=_payload(quote, touchpoint=touchpoint_id))  # fmt: skip
    return quote


@transaction.atomic
def quote_send(*, quote: Quote, by: Any, contact: Contact, subject: str, body: str) -> Quote:
    """Email the quote PDF to a contact (logged as an outbound email touchpoint) and mark it sent."""
    from touchpoint.sales.services.quote_pdf import quote_pdf
    from touchpoint.touchpoints.services import email_send

    if quote.status != QuoteStatus.APPROVED:
        raise ValidationError({"status": _("Only an approved quote can be sent.")})
    if contact.customer_id != quote.customer_id:
        raise ValidationError({"contact": _("The contact must belong to this customer.")})
    filename = f"{quote.number}-v{quote.revision}.pdf"
    touchpoint = email_send(
        by=by, contact=contact, subject=subject, body=body,
        attachments=[(filename, quote_pdf(quote), "application/pdf")],
        link_type="sales.quote", link_id=quote.pk,
    )  # fmt: skip
    return quote_mark_sent(quote=quote, by=by, touchpoint_id=touchpoint.pk)


@transaction.atomic
def quote_accept(*, quote: Quote, by: Any) -> Quote:
    quote = _locked(quote)
    _move(quote, QuoteStatus.ACCEPTED)
    quote.decided_at = timezone.now()
    quote._history_user = by  # type: ignore[attr-defined]
    quote.save(update_fields=["status", "decided_at", "updated_at"])
    event_record(verb=QUOTE_ACCEPTED, actor=by, customer_id=quote.customer_id, target=quote, payload=_payload(quote))
    return quote


@transaction.atomic
def quote_decline(*, quote: Quote, by: Any, reason: str) -> Quote:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the customer declined.")})
    quote = _locked(quote)
    _move(quote, QuoteStatus.REJECTED)
    quote.decided_at = timezone.now()
    quote._history_user = by  # type: ignore[attr-defined]
    quote.save(update_fields=["status", "decided_at", "updated_at"])
    event_record(verb=QUOTE_DECLINED, actor=by, customer_id=quote.customer_id, target=quote,
                 payload=_payload(quote, reason=reason[:500]))  # fmt: skip
    return quote


@transaction.atomic
def quote_revise(*, quote: Quote, by: Any) -> Quote:
    """Make the next version as a draft with the same lines; the old one stays, read-only."""
    quote = _locked(quote)
    if quote.status == QuoteStatus.DRAFT:
        raise ValidationError({"status": _("A draft can be edited directly.")})
    if Quote.objects.filter(previous=quote).exists():
        raise ValidationError({"status": _("This version has already been revised.")})
    old_status = quote.status
    _move(quote, QuoteStatus.SUPERSEDED)
    quote.save(update_fields=["status", "updated_at"])
    DiscountApproval.objects.filter(quote=quote, status=ApprovalStatus.PENDING).update(
        status=ApprovalStatus.WITHDRAWN, decided_by=by, decided_at=timezone.now()
    )
    revision = Quote.objects.create(
        number=quote.number, revision=quote.revision + 1, previous=quote, opportunity=quote.opportunity,
        customer=quote.customer, contact=quote.contact, owner=by, currency=quote.currency, terms=quote.terms,
        valid_until=max(quote.valid_until, timezone.localdate() + timedelta(days=VALID_DAYS)),
    )  # fmt: skip
    for line in quote.lines.prefetch_related("requirements"):
        requirement_ids = [r.pk for r in line.requirements.all()]
        line.pk = None
        line.quote = revision
        line.save()
        line.requirements.set(requirement_ids)
    recalculate(revision)
    event_record(verb=QUOTE_REVISED, actor=by, customer_id=quote.customer_id, target=revision,
                 payload=_payload(revision, previous_status=old_status))  # fmt: skip
    return revision


def quotes_expire(*, today: Any = None) -> int:
    """Expire approved and sent quotes past their validity date (the scheduler runs it daily)."""
    today = today or timezone.localdate()
    count = 0
    stale = Quote.objects.filter(Q(status=QuoteStatus.SENT) | Q(status=QuoteStatus.APPROVED), valid_until__lt=today)
    for quote in stale.only("pk"):
        with transaction.atomic():
            locked = _locked(quote)
            if locked.status not in (QuoteStatus.SENT, QuoteStatus.APPROVED) or locked.valid_until >= today:
                continue
            _move(locked, QuoteStatus.EXPIRED)
            locked.save(update_fields=["status", "updated_at"])
            event_record(verb=QUOTE_EXPIRED, actor=None, customer_id=locked.customer_id, target=locked,
                         payload=_payload(locked))  # fmt: skip
            count += 1
    return count


def licence_total_by_module(quote: Quote) -> dict[int, Decimal]:
    rows = quote.lines.filter(kind=LineKind.LICENCE, module__isnull=False).values("module_id").annotate(net=Sum("net_amount"))
    return {row["module_id"]: row["net"] for row in rows}

