"""Maintenance contracts (维保合同): create and edit them, renew them (续约), cancel them, let them lapse,
and remind sales 90, 60 and 30 days before the end with a renewal opportunity in the pipeline.

The workflow: a contract is active through its period (a renewal may start in the future), and when
the period is over the daily sweep makes it `renewed` if a renewal follows it, else `expired`. An
active or expired contract can be renewed once; a cancelled one cannot (make a new contract).
"""

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.core.notifications import notify as core_notify
from touchpoint.core.numbering import next_number
from touchpoint.core.versioning import FieldChange, edit_apply
from touchpoint.customers.models import Customer
from touchpoint.sales.models import InstalledItem
from touchpoint.service.models import CoverageKind, CoverageStatus, MaintenanceContract, Tier
from touchpoint.service.models.maintenance import ReminderStage, RenewalReminder

CONTRACT_CREATED = event_type("coverage.created", kind=EventKind.SERVICE, label=gettext_lazy("Maintenance contract created"))
CONTRACT_UPDATED = event_type("coverage.updated", kind=EventKind.CHANGE, label=gettext_lazy("Maintenance contract updated"))
CONTRACT_RENEWED = event_type("coverage.renewed", kind=EventKind.SERVICE, label=gettext_lazy("Maintenance contract renewed"))
CONTRACT_STATUS = event_type("coverage.status", kind=EventKind.SERVICE, label=gettext_lazy("Maintenance contract status changed"))
RENEWAL_REMINDED = event_type("coverage.renewal_reminder", kind=EventKind.SALES, label=gettext_lazy("Renewal reminder sent"))

EDITABLE_FIELDS = ("tier", "starts_on", "ends_on", "price", "sites", "notes")
# Which status may follow which; the sweep and the cancel service are the only ways to move.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    CoverageStatus.ACTIVE: (CoverageStatus.EXPIRED, CoverageStatus.RENEWED, CoverageStatus.CANCELLED),
    CoverageStatus.EXPIRED: (CoverageStatus.RENEWED,),
    CoverageStatus.RENEWED: (),
    CoverageStatus.CANCELLED: (),
}
STAGES = sorted(ReminderStage.values)  # 30, 60, 90


def _payload(contract: MaintenanceContract, **extra: Any) -> dict[str, Any]:
    return {"number": contract.number, **extra}


def contract_url(contract: MaintenanceContract) -> str:
    return f"/service/contracts/{contract.pk}/"


def notify(user_id: int | None, key: str, text: str, url: str) -> None:
    """An in-app notification, once per key: the daily runs may run twice."""
    core_notify(user_id, key, text, url)


def _check(*, customer: Customer, starts_on: Any, ends_on: Any, price: Any, tier: str, items: Iterable[InstalledItem] | None,
           kind: str | None = None) -> None:  # fmt: skip
    errors: dict[str, str] = {}
    if not isinstance(starts_on, date):
        errors["starts_on"] = _("Enter the first day of the period.")
    if not isinstance(ends_on, date):
        errors["ends_on"] = _("Enter the last day of the period.")
    elif isinstance(starts_on, date) and ends_on < starts_on:
        errors["ends_on"] = _("The period cannot end before it starts.")
    if price is None or Decimal(price) < 0:
        errors["price"] = _("The price cannot be negative.")
    if tier not in Tier.values:
        errors["tier"] = _("Choose a tier.")
    if kind is not None and kind not in CoverageKind.values:
        errors["kind"] = _("Choose warranty or maintenance contract.")
    if items is not None and any(item.customer_id != customer.pk for item in items):
        errors["items"] = _("Covered modules must be in this customer's installed base.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def contract_create(
    *,
    by: Any,
    customer: Customer,
    starts_on: date,
    ends_on: date,
    items: Iterable[InstalledItem] = (),
    kind: str = CoverageKind.MAINTENANCE,
    tier: str = Tier.STANDARD,
    price: Decimal = Decimal(0),
    sites: str = "",
    notes: str = "",
    sales_contract: Any = None,
    handover_id: int | None = None,
    renewal_of: MaintenanceContract | None = None,
) -> MaintenanceContract:
    items = list(items)
    _check(customer=customer, starts_on=starts_on, ends_on=ends_on, price=price, tier=tier, items=items, kind=kind)
    contract = MaintenanceContract(
        number=next_number("MC", year=starts_on.year), customer=customer, kind=kind, tier=tier, starts_on=starts_on,
        ends_on=ends_on, price=price, sites=(sites or "").strip()[:300], notes=(notes or "").strip()[:5000],
        sales_contract=sales_contract, handover_id=handover_id, renewal_of=renewal_of,
    )  # fmt: skip
    contract._history_user = by  # type: ignore[attr-defined]
    contract.save()
    contract.items.set(items)
    event_record(verb=CONTRACT_CREATED, actor=by, customer_id=customer.pk, target=contract,
                 payload=_payload(contract, kind=kind, tier=tier, starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat(),
                                  price=str(price)))  # fmt: skip
    return contract


@transaction.atomic
def contract_update(
    *, contract: MaintenanceContract, by: Any, expected_version: int, items: Iterable[InstalledItem] | None = None, **values: Any
) -> tuple[MaintenanceContract, list[FieldChange]]:
    """Edit the terms; a stale version is refused (StaleEdit) with what changed meanwhile."""
    values = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    if contract.status in (CoverageStatus.RENEWED, CoverageStatus.CANCELLED):
        raise ValidationError(_("A %(status)s contract is kept as it was.") % {"status": contract.get_status_display()})
    merged = {f: values.get(f, getattr(contract, f)) for f in ("starts_on", "ends_on", "price", "tier")}
    item_list = list(items) if items is not None else None
    _check(customer=contract.customer, items=item_list, **merged)
    for field in ("sites", "notes"):
        if field in values:
            values[field] = (values[field] or "").strip()
    updated, diff = edit_apply(instance=contract, changes=values, expected_version=expected_version, by=by)
    assert isinstance(updated, MaintenanceContract)
    if item_list is not None:
        before = sorted(updated.items.all(), key=lambda item: item.pk)
        if [item.pk for item in before] != sorted(item.pk for item in item_list):
            updated.items.set(item_list)
            if not diff:  # the row itself did not change: the coverage is still a new version
                updated.version += 1
                MaintenanceContract.objects.filter(pk=updated.pk).update(version=updated.version)
            diff.append(FieldChange(field="items", label=str(_("covered modules")), old=", ".join(map(str, before)),
                                    new=", ".join(map(str, item_list))))  # fmt: skip
    if diff:
        event_record(verb=CONTRACT_UPDATED, actor=by, customer_id=updated.customer_id, target=updated,
                     payload=_payload(updated, changes=[{"field": c.field, "old": c.old, "new": c.new} for c in diff]))  # fmt: skip
    return updated, diff


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def renewal_period(contract: MaintenanceContract) -> tuple[date, date]:
    """The period after the contract's own, as long as it: whole months (a year, a quarter) stay
    whole months; any other span is kept in days."""
    starts_on = contract.ends_on + timedelta(days=1)
    span = (contract.ends_on.year - contract.starts_on.year) * 12 + contract.ends_on.month - contract.starts_on.month
    for months in (span, span + 1):
        if months > 0 and add_months(contract.starts_on, months) == starts_on:
            return starts_on, add_months(starts_on, months) - timedelta(days=1)
    return starts_on, starts_on + (contract.ends_on - contract.starts_on)


def _locked(contract: MaintenanceContract) -> MaintenanceContract:
    return MaintenanceContract.objects.select_for_update().get(pk=contract.pk)


def _move(contract: MaintenanceContract, to: str, by: Any, **payload: Any) -> None:
    if to not in TRANSITIONS[contract.status]:
        raise ValidationError({"status": _("A contract that is %(before)s cannot become %(after)s.")
                               % {"before": contract.get_status_display(), "after": CoverageStatus(to).label}})  # fmt: skip
    before = contract.status
    contract.status = to
    contract.version += 1
    contract._history_user = by  # type: ignore[attr-defined]
    contract.save()
    event_record(verb=CONTRACT_STATUS, actor=by, customer_id=contract.customer_id, target=contract,
                 payload=_payload(contract, before=before, after=to, **payload))  # fmt: skip


@transaction.atomic
def contract_renew(
    *,
    contract: MaintenanceContract,
    by: Any,
    price: Decimal | None = None,
    tier: str | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    items: Iterable[InstalledItem] | None = None,
    today: date | None = None,
) -> MaintenanceContract:
    """The next contract, linked by `renewal_of`: by default the same terms over the following period.
    A renewal of an expired contract closes it as renewed at once; an active one stays active to its end."""
    today = today or timezone.localdate()
    current = _locked(contract)
    if current.status == CoverageStatus.CANCELLED:
        raise ValidationError(_("A cancelled contract cannot be renewed; make a new contract instead."))
    if current.status == CoverageStatus.RENEWED or MaintenanceContract.objects.filter(renewal_of=current).exists():
        raise ValidationError(_("This contract has been renewed already."))
    default_start, default_end = renewal_period(current)
    starts_on = starts_on or default_start
    ends_on = ends_on or (default_end if starts_on == default_start else starts_on + (default_end - default_start))
    if starts_on <= current.ends_on:
        raise ValidationError({"starts_on": _("The renewal starts after %(end)s, when this contract ends.")
                               % {"end": current.ends_on.isoformat()}})  # fmt: skip
    renewal = contract_create(
        by=by, customer=current.customer, starts_on=starts_on, ends_on=ends_on,
        items=list(current.items.all()) if items is None else items, kind=CoverageKind.MAINTENANCE,
        tier=tier or current.tier, price=current.price if price is None else price, sites=current.sites,
        sales_contract=current.sales_contract, renewal_of=current,
    )  # fmt: skip
    if current.status == CoverageStatus.EXPIRED:
        _move(current, CoverageStatus.RENEWED, by, renewal=renewal.number)
    event_record(verb=CONTRACT_RENEWED, actor=by, customer_id=current.customer_id, target=current,
                 payload=_payload(current, renewal=renewal.number, starts_on=starts_on.isoformat(),
                                  ends_on=ends_on.isoformat()))  # fmt: skip
    contract.refresh_from_db()
    return renewal


@transaction.atomic
def contract_cancel(*, contract: MaintenanceContract, by: Any, reason: str) -> MaintenanceContract:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the contract is cancelled.")})
    current = _locked(contract)
    current.cancel_reason = reason[:500]
    _move(current, CoverageStatus.CANCELLED, by, reason=reason)
    contract.refresh_from_db()
    return current


def contract_expire(*, contract: MaintenanceContract, by: Any = None, today: date | None = None) -> MaintenanceContract:
    """Close a contract whose period is over: renewed when a renewal follows it, else expired."""
    today = today or timezone.localdate()
    with transaction.atomic():
        current = _locked(contract)
        if current.status != CoverageStatus.ACTIVE:
            return current
        if current.ends_on >= today:
            raise ValidationError(_("The contract runs until %(end)s.") % {"end": current.ends_on.isoformat()})
        renewed = MaintenanceContract.objects.filter(renewal_of=current).exclude(status=CoverageStatus.CANCELLED).exists()
        _move(current, CoverageStatus.RENEWED if renewed else CoverageStatus.EXPIRED, by)
    return current


def contracts_sweep(*, today: date | None = None) -> dict[str, int]:
    """The daily status sweep: every active contract whose period is over is closed. Safe to run twice."""
    today = today or timezone.localdate()
    counts = {"expired": 0, "renewed": 0}
    for contract in MaintenanceContract.objects.filter(status=CoverageStatus.ACTIVE, ends_on__lt=today).order_by("pk"):
        closed = contract_expire(contract=contract, today=today)
        counts[closed.status] = counts.get(closed.status, 0) + 1
    return counts


# --- Renewal reminders ---------------------------------------------------------------------------


def reminder_stage(days_left: int) -> int | None:
    """The reminder due with `days_left` to go: the nearest of 90/60/30 not yet passed; a contract
    first seen at 45 days gets the 60-day reminder, then the 30-day one."""
    if days_left < 0:
        return None
    return next((stage for stage in STAGES if days_left <= stage), None)


def renewal_recipient(customer: Customer) -> Any:
    """The account's owner, the sales rep who sells the renewal; else its service owner."""
    for user in (customer.owner, customer.service_owner):
        if user is not None and user.is_active:
            return user
    return None


def _renewal_opportunity(contract: MaintenanceContract, owner: Any) -> Any:
    """The contract's renewal opportunity, made once: at the first reminder that finds an owner."""
    made = RenewalReminder.objects.filter(contract=contract).exclude(opportunity=None).values_list("opportunity", flat=True).first()
    if made is not None:
        from touchpoint.sales.models import Opportunity

        return Opportunity.all_objects.filter(pk=made).first()
    if owner is None:
        return None
    from touchpoint.sales.services.opportunities import opportunity_create

    first_item = contract.items.select_related("product").first()
    return opportunity_create(
        by=None, customer=contract.customer, owner=owner, close_date=contract.ends_on, amount=contract.price,
        title=_("Renewal of %(number)s") % {"number": contract.number},
        product=first_item.product if first_item is not None else None,
        next_step=_("Agree the renewal of the maintenance contract"), next_step_date=contract.ends_on - timedelta(days=30),
    )  # fmt: skip


def renewal_reminders_run(*, today: date | None = None, now: Any = None) -> dict[str, int]:
    """Remind sales of every active contract 90, 60 and 30 days before its end, each once, and open
    one renewal opportunity per contract. Safe to run any number of times a day."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    counts = {"reminded": 0, "opportunities": 0}
    horizon = today + timedelta(days=max(STAGES))
    due = (MaintenanceContract.objects.filter(status=CoverageStatus.ACTIVE, ends_on__gte=today, ends_on__lte=horizon)
           .exclude(renewed_by__isnull=False).select_related("customer__owner", "customer__service_owner").order_by("pk"))  # fmt: skip
    for contract in due:
        stage = reminder_stage((contract.ends_on - today).days)
        if stage is None:
            continue
        with transaction.atomic():
            locked = _locked(contract)
            if RenewalReminder.objects.filter(contract=locked, days_before=stage).exists():
                continue
            recipient = renewal_recipient(contract.customer)
            had_opportunity = RenewalReminder.objects.filter(contract=locked).exclude(opportunity=None).exists()
            opportunity = _renewal_opportunity(contract, recipient)
            RenewalReminder.objects.create(contract=locked, customer_id=locked.customer_id, days_before=stage, sent_at=now,
                                           recipient=recipient, opportunity=opportunity)  # fmt: skip
            event_record(verb=RENEWAL_REMINDED, actor=None, customer_id=locked.customer_id, target=locked,
                         payload=_payload(locked, days_before=stage, ends_on=locked.ends_on.isoformat(),
                                          opportunity=opportunity.pk if opportunity else None))  # fmt: skip
            text = _("%(number)s of %(customer)s ends on %(end)s (%(days)s days): time to renew.") % {
                "number": locked.number,
                "customer": contract.customer,
                "end": locked.ends_on.isoformat(),
                "days": stage,
            }
            notify(getattr(recipient, "pk", None), f"coverage:{locked.pk}:renewal:{stage}", text, contract_url(locked))
            counts["reminded"] += 1
            counts["opportunities"] += int(opportunity is not None and not had_opportunity)
    return counts
