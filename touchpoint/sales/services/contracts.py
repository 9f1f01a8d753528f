"""Every write to contracts and their payment milestones.

    draft ──confirm──▶ pending checks ──(no block)──▶ active ──▶ completed
                             │ (a check blocks: stays, with the reasons)      └──▶ terminated

An accepted quote becomes a draft contract with the requirement list as its scope and the payment
milestones of a template. Confirming runs the checks registered in core (`contract_checks`; finance
adds the credit check). Activating records what was bought in the customer's installed base and
makes the signing milestone due. Delivery events and dates make the other milestones due.
"""

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
from touchpoint.core.extensions import BLOCK, CheckResult, contract_activated_hooks, contract_checks
from touchpoint.core.models import EventKind
from touchpoint.core.money import HUNDRED, ZERO, money
from touchpoint.core.numbering import next_number
from touchpoint.sales.models import (
    Contract,
    ContractDocument,
    ContractStatus,
    DeliveryEvent,
    InstalledItem,
    InstalledStatus,
    LineKind,
    MilestoneStatus,
    MilestoneTemplate,
    MilestoneTrigger,
    PaymentMilestone,
    ProductVersion,
    Quote,
    QuoteStatus,
    StageOutcome,
)
from touchpoint.sales.services.opportunities import move_is_allowed, opportunity_move

CONTRACT_CREATED = event_type("contract.created", kind=EventKind.SALES, label=gettext_lazy("Contract drafted"))
CONTRACT_CHECKS_BLOCKED = event_type(
    "contract.checks_blocked", kind=EventKind.SALES, label=gettext_lazy("Contract held by a check")
)
CONTRACT_ACTIVATED = event_type("contract.activated", kind=EventKind.SALES, label=gettext_lazy("Contract signed and active"))
CONTRACT_MILESTONES_CHANGED = event_type(
    "contract.milestones_changed", kind=EventKind.SALES, label=gettext_lazy("Payment milestones changed")
)
CONTRACT_COMPLETED = event_type("contract.completed", kind=EventKind.SALES, label=gettext_lazy("Contract completed"))
CONTRACT_TERMINATED = event_type("contract.terminated", kind=EventKind.SALES, label=gettext_lazy("Contract terminated"))
MILESTONE_DUE = event_type("contract.milestone_due", kind=EventKind.FINANCE, label=gettext_lazy("Payment milestone due"))

CONTRACT_MOVES: dict[str, set[str]] = {
    ContractStatus.DRAFT: {ContractStatus.PENDING_CHECKS, ContractStatus.TERMINATED},
    ContractStatus.PENDING_CHECKS: {ContractStatus.ACTIVE, ContractStatus.DRAFT, ContractStatus.TERMINATED},
    ContractStatus.ACTIVE: {ContractStatus.COMPLETED, ContractStatus.TERMINATED},
    ContractStatus.COMPLETED: set(),
    ContractStatus.TERMINATED: set(),
}


def _move(contract: Contract, to: str) -> None:
    if to not in CONTRACT_MOVES[contract.status]:
        raise ValidationError(
            {"status": _("A contract that is “%(from)s” cannot become “%(to)s”.")
             % {"from": contract.get_status_display(), "to": ContractStatus(to).label}}
        )  # fmt: skip
    contract.status = to


def _locked(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().get(pk=contract.pk)


def _payload(contract: Contract, **extra: Any) -> dict[str, Any]:
    return {"number": contract.number, "title": contract.title, "amount": str(contract.amount), **extra}


def requirement_snapshot(quote: Quote) -> list[dict[str, Any]]:
    """The opportunity's requirements as they stand, with the modules and quote lines that cover them."""
    lines_by_requirement: dict[int, list[str]] = {}
    for line in quote.lines.prefetch_related("requirements"):
        for requirement in line.requirements.all():
            lines_by_requirement.setdefault(requirement.pk, []).append(line.description)
    snapshot = []
    for requirement in quote.opportunity.requirements.select_related("area", "asked_by").prefetch_related("modules"):
        snapshot.append({
            "id": requirement.pk, "area": requirement.area.code, "area_name": requirement.area.name,
            "description": requirement.description, "priority": requirement.priority,
            "coverage": requirement.coverage, "custom_effort_days": str(requirement.custom_effort_days),
            "asked_by": str(requirement.asked_by or ""),
            "modules": [{"id": m.pk, "code": m.code, "name": m.name} for m in requirement.modules.all()],
            "quote_lines": lines_by_requirement.get(requirement.pk, []),
        })  # fmt: skip
    return snapshot


def milestones_from_template(
    template: MilestoneTemplate, *, amount: Decimal, signed_on: date | None
) -> list[dict[str, Any]]:
    start = signed_on or timezone.localdate()
    return [
        {"name": item.name, "percent": item.percent, "trigger": item.trigger, "trigger_event": item.trigger_event,
         "expected_date": start + timedelta(days=item.offset_days)}
        for item in template.items.order_by("order", "id")
    ]  # fmt: skip


def check_milestones(milestones: list[dict[str, Any]]) -> None:
    """Field-level errors for a milestone plan: shares sum to exactly 100%, each trigger complete."""
    if not milestones:
        raise ValidationError({"milestones": _("A contract needs at least one payment milestone.")})
    errors: list[str] = []
    total = ZERO
    for index, milestone in enumerate(milestones, start=1):
        percent = Decimal(milestone.get("percent") or 0)
        total += percent
        if not (milestone.get("name") or "").strip():
            errors.append(_("Milestone %(n)s needs a name.") % {"n": index})
        if not ZERO < percent <= HUNDRED:
            errors.append(_("Milestone %(n)s: the share must be above 0%% and at most 100%%.") % {"n": index})
        trigger = milestone.get("trigger")
        if trigger not in MilestoneTrigger.values:
            errors.append(_("Milestone %(n)s: choose a trigger.") % {"n": index})
        if trigger == MilestoneTrigger.DELIVERY_EVENT and milestone.get("trigger_event") not in DeliveryEvent.values:
            errors.append(_("Milestone %(n)s: choose the delivery event it waits for.") % {"n": index})
        if trigger == MilestoneTrigger.DATE and not milestone.get("expected_date"):
            errors.append(_("Milestone %(n)s: a date trigger needs the date.") % {"n": index})
    if total != HUNDRED:
        errors.append(_("The milestones add up to %(total)s%%; they must add up to exactly 100%%.") % {"total": total})
    if errors:
        raise ValidationError({"milestones": errors})


def _write_milestones(contract: Contract, milestones: list[dict[str, Any]]) -> list[PaymentMilestone]:
    """Replace the contract's milestones; amounts follow the shares, the last takes the rounding rest."""
    PaymentMilestone.objects.filter(contract=contract).delete()
    written = []
    remaining = contract.amount
    for index, milestone in enumerate(milestones):
        percent = Decimal(milestone["percent"])
        share = remaining if index == len(milestones) - 1 else money(contract.amount * percent / HUNDRED)
        remaining -= share
        written.append(PaymentMilestone.objects.create(
            contract=contract, customer_id=contract.customer_id, order=index + 1, name=milestone["name"].strip()[:80],
            percent=percent, amount=share, trigger=milestone["trigger"],
            trigger_event=milestone.get("trigger_event") or "" if milestone["trigger"] == MilestoneTrigger.DELIVERY_EVENT else "",
            expected_date=milestone.get("expected_date"),
        ))  # fmt: skip
    return written


@transaction.atomic
def contract_from_quote(
    *,
    quote: Quote,
    by: Any,
    title: str = "",
    signed_on: date | None = None,
    terms: str = "",
    template: MilestoneTemplate | None = None,
) -> Contract:
    """Draft a contract from an accepted quote: its amount and tax, the requirement snapshot as scope,
    and the payment milestones of the template (the default one unless given)."""
    quote = Quote.objects.select_for_update(of=("self",)).select_related("opportunity").get(pk=quote.pk)
    if quote.status != QuoteStatus.ACCEPTED:
        raise ValidationError({"quote": _("Only a quote the customer accepted becomes a contract.")})
    if Contract.objects.filter(quote=quote).exists():
        raise ValidationError({"quote": _("This quote already has a contract.")})
    template = template or MilestoneTemplate.objects.filter(is_default=True).first()
    if template is None:
        raise ValidationError({"milestones": _("No default payment milestone template is set up.")})
    contract = Contract(
        number=next_number("C"), customer=quote.customer, opportunity=quote.opportunity, quote=quote, owner=by,
        title=(title or quote.opportunity.title).strip()[:160], signed_on=signed_on, signed_by_contact=quote.contact,
        amount=quote.grand_total, tax_amount=quote.tax_total, currency=quote.currency,
        terms=terms or quote.terms, scope=requirement_snapshot(quote),
    )  # fmt: skip
    contract._history_user = by  # type: ignore[attr-defined]
    contract.save()
    milestones = milestones_from_template(template, amount=contract.amount, signed_on=signed_on)
    check_milestones(milestones)
    _write_milestones(contract, milestones)
    event_record(verb=CONTRACT_CREATED, actor=by, customer_id=contract.customer_id, target=contract,
                 payload=_payload(contract, quote=f"{quote.number} v{quote.revision}"))  # fmt: skip
    return contract


@transaction.atomic
def contract_milestones_set(*, contract: Contract, by: Any, milestones: list[dict[str, Any]]) -> list[PaymentMilestone]:
    contract = _locked(contract)
    if contract.status not in (ContractStatus.DRAFT, ContractStatus.PENDING_CHECKS):
        raise ValidationError({"milestones": _("The payment milestones of an active contract are fixed.")})
    check_milestones(milestones)
    written = _write_milestones(contract, milestones)
    contract.version += 1
    contract.save(update_fields=["version", "updated_at"])
    event_record(verb=CONTRACT_MILESTONES_CHANGED, actor=by, customer_id=contract.customer_id, target=contract,
                 payload=_payload(contract, milestones=[f"{m.name} {m.percent}%" for m in written]))  # fmt: skip
    return written


@transaction.atomic
def contract_update(*, contract: Contract, by: Any, expected_version: int, **values: Any) -> Contract:
    """Change a draft's heading: title, signing date and signatory, terms."""
    contract = _locked(contract)
    if contract.version != expected_version:
        raise ValidationError({"version": _("Someone else changed this contract meanwhile. Reload and try again.")})
    if contract.status not in (ContractStatus.DRAFT, ContractStatus.PENDING_CHECKS):
        raise ValidationError({"status": _("An active contract can no longer be edited.")})
    contact = values.get("signed_by_contact")
    if contact is not None and contact.customer_id != contract.customer_id:
        raise ValidationError({"signed_by_contact": _("The contact must belong to this customer.")})
    if values.get("signed_on") and values["signed_on"] > timezone.localdate():
        raise ValidationError({"signed_on": _("The signing date cannot be in the future.")})
    for name in ("title", "signed_on", "signed_by_contact", "terms"):
        if name in values:
            setattr(contract, name, values[name])
    contract.version += 1
    contract._history_user = by  # type: ignore[attr-defined]
    contract.save()
    return contract


def run_contract_checks(contract: Contract, by: Any) -> list[CheckResult]:
    return [check(contract, by) for check in contract_checks.values()]


@transaction.atomic
def contract_confirm(*, contract: Contract, by: Any) -> Contract:
    """Run the pre-confirmation checks; with no block the contract becomes active, otherwise it waits
    in "pending checks" with the reasons kept on it."""
    contract = _locked(contract)
    if contract.status == ContractStatus.DRAFT:
        if not contract.signed_on:
            raise ValidationError({"signed_on": _("Enter the date the contract was signed.")})
        check_milestones([
            {"name": m.name, "percent": m.percent, "trigger": m.trigger, "trigger_event": m.trigger_event,
             "expected_date": m.expected_date}
            for m in contract.milestones.all()
        ])  # fmt: skip
        _move(contract, ContractStatus.PENDING_CHECKS)
    results = run_contract_checks(contract, by)
    contract.check_results = [{"check": r.check, "result": r.outcome, "message": r.message} for r in results]
    blocked = [r for r in results if r.outcome == BLOCK]
    if blocked:
        contract.save(update_fields=["status", "check_results", "updated_at"])
        event_record(verb=CONTRACT_CHECKS_BLOCKED, actor=by, customer_id=contract.customer_id, target=contract,
                     payload=_payload(contract, reasons=[r.message for r in blocked]))  # fmt: skip
        return contract
    return _activate(contract, by)


def _activate(contract: Contract, by: Any) -> Contract:
    _move(contract, ContractStatus.ACTIVE)
    contract.activated_at = timezone.now()
    contract.version += 1
    contract._history_user = by  # type: ignore[attr-defined]
    contract.save()
    installed = _record_installed_base(contract)
    _customer_becomes_active(contract, by)
    due = milestones_make_due(contract=contract, trigger=MilestoneTrigger.SIGNING, by=by)
    event_record(verb=CONTRACT_ACTIVATED, actor=by, customer_id=contract.customer_id, target=contract,
                 payload=_payload(contract, installed=installed, due=[m.name for m in due],
                                  warnings=[r["message"] for r in contract.check_results if r["result"] == "warn"]))  # fmt: skip
    _win_opportunity(contract, by)
    for hook in contract_activated_hooks.values():
        hook(contract, by)
    return contract


def _customer_becomes_active(contract: Contract, by: Any) -> None:
    """A prospect with a signed, active contract is a customer (合作中客户) from now on."""
    from touchpoint.customers.models import Customer, CustomerStatus
    from touchpoint.customers.services import customer_update

    customer = Customer.objects.get(pk=contract.customer_id)
    if customer.status == CustomerStatus.PROSPECT:
        customer_update(customer=customer, by=by, expected_version=customer.version, status=CustomerStatus.ACTIVE)


def _record_installed_base(contract: Contract) -> list[str]:
    """Every licensed module of the contract's quote, at the product's newest released version."""
    if contract.quote_id is None:
        return []
    recorded = []
    today = timezone.localdate()
    lines = contract.quote.lines.filter(kind=LineKind.LICENCE, module__isnull=False).select_related("module__product")  # type: ignore[union-attr]
    for line in lines:
        module = line.module
        assert module is not None
        version = (
            ProductVersion.objects.filter(product_id=module.product_id, released_on__lte=today, retired_at__isnull=True)
            .order_by("-released_on", "-id")
            .first()
        )
        _item, created = InstalledItem.objects.get_or_create(
            contract=contract, module=module,
            defaults={"customer_id": contract.customer_id, "product_id": module.product_id, "version": version},
        )  # fmt: skip
        if created:
            recorded.append(f"{module} {version.number if version else ''}".strip())
    return recorded


INSTALLATION_RECORDED = event_type(
    "installed_base.installed", kind=EventKind.DELIVERY, label=gettext_lazy("Module installed")
)


def installed_item_record_installation(
    *, item: InstalledItem, version: ProductVersion | None, installed_on: date | None, by: Any
) -> InstalledItem:
    """A purchased module is now installed (the delivery handover says at which version and when)."""
    if version is not None and version.product_id != item.product_id:
        raise ValidationError({"version": _("The version must be of the module's product.")})
    item.status = InstalledStatus.INSTALLED
    item.version = version or item.version
    item.installed_on = installed_on or timezone.localdate()
    item.save(update_fields=["status", "version", "installed_on", "updated_at"])
    event_record(verb=INSTALLATION_RECORDED, actor=by, customer_id=item.customer_id, target=item.contract,
                 payload={"module": str(item.module), "version": item.version.number if item.version else "",
                          "installed_on": item.installed_on.isoformat()})  # fmt: skip
    return item


def _win_opportunity(contract: Contract, by: Any) -> None:
    opportunity = contract.opportunity
    if opportunity is None or opportunity.stage.is_closed:
        return
    won = opportunity.pipeline.stages.filter(outcome=StageOutcome.WON).first()
    if won is not None and move_is_allowed(opportunity.stage, won):
        opportunity_move(opportunity=opportunity, to_stage=won, by=by)


def milestones_make_due(
    *, contract: Contract, by: Any, trigger: str, event: str = "", milestones: Iterable[PaymentMilestone] | None = None
) -> list[PaymentMilestone]:
    """Make pending milestones of an active contract due: those with this trigger (and event)."""
    pending = PaymentMilestone.objects.select_for_update().filter(
        contract=contract, status=MilestoneStatus.PENDING, trigger=trigger
    )
    if event:
        pending = pending.filter(trigger_event=event)
    if milestones is not None:
        pending = pending.filter(pk__in=[m.pk for m in milestones])
    now = timezone.now()
    due = list(pending)
    for milestone in due:
        milestone.status, milestone.due_at = MilestoneStatus.DUE, now
        milestone.save(update_fields=["status", "due_at"])
        event_record(verb=MILESTONE_DUE, actor=by, customer_id=contract.customer_id, target=contract,
                     payload=_payload(contract, milestone=milestone.name, milestone_id=milestone.pk,
                                      milestone_amount=str(milestone.amount)))  # fmt: skip
    return due


@transaction.atomic
def delivery_event_fire(*, contract: Contract, event: str, by: Any) -> list[PaymentMilestone]:
    """A delivery event happened (installation accepted, go-live…): its milestones become due.

    The delivery module calls this when a project milestone is accepted."""
    if event not in DeliveryEvent.values:
        raise ValidationError({"event": _("Unknown delivery event.")})
    contract = _locked(contract)
    if contract.status != ContractStatus.ACTIVE:
        raise ValidationError({"status": _("Only an active contract has milestones that can fall due.")})
    return milestones_make_due(contract=contract, trigger=MilestoneTrigger.DELIVERY_EVENT, event=event, by=by)


def milestones_due_by_date(*, today: date | None = None) -> int:
    """Date-triggered milestones of active contracts whose date has come (the scheduler runs it daily)."""
    today = today or timezone.localdate()
    count = 0
    candidates = PaymentMilestone.objects.filter(
        status=MilestoneStatus.PENDING, trigger=MilestoneTrigger.DATE, expected_date__lte=today,
        contract__status=ContractStatus.ACTIVE,
    ).values_list("contract_id", "pk")  # fmt: skip
    by_contract: dict[int, list[int]] = {}
    for contract_id, milestone_id in candidates:
        by_contract.setdefault(contract_id, []).append(milestone_id)
    for contract_id, ids in by_contract.items():
        with transaction.atomic():
            contract = Contract.objects.select_for_update().get(pk=contract_id)
            due = milestones_make_due(contract=contract, trigger=MilestoneTrigger.DATE, by=None,
                                      milestones=PaymentMilestone.objects.filter(pk__in=ids))  # fmt: skip
            count += len(due)
    return count


@transaction.atomic
def contract_complete(*, contract: Contract, by: Any) -> Contract:
    contract = _locked(contract)
    open_milestones = contract.milestones.exclude(status__in=[MilestoneStatus.PAID, MilestoneStatus.CANCELLED])
    if open_milestones.exists():
        raise ValidationError({"status": _("Every payment milestone must be paid or cancelled first.")})
    _move(contract, ContractStatus.COMPLETED)
    contract.ended_at = timezone.now()
    contract.version += 1
    contract.save()
    event_record(verb=CONTRACT_COMPLETED, actor=by, customer_id=contract.customer_id, target=contract,
                 payload=_payload(contract))  # fmt: skip
    return contract


@transaction.atomic
def contract_terminate(*, contract: Contract, by: Any, reason: str) -> Contract:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"end_reason": _("Say why the contract is terminated.")})
    contract = _locked(contract)
    _move(contract, ContractStatus.TERMINATED)
    contract.ended_at, contract.end_reason = timezone.now(), reason[:500]
    contract.version += 1
    contract.save()
    contract.milestones.filter(status__in=[MilestoneStatus.PENDING, MilestoneStatus.DUE]).update(
        status=MilestoneStatus.CANCELLED
    )
    event_record(verb=CONTRACT_TERMINATED, actor=by, customer_id=contract.customer_id, target=contract,
                 payload=_payload(contract, reason=reason[:500]))  # fmt: skip
    return contract


CONTRACT_DOCUMENT_ADDED = event_type(
    "contract.document_added", kind=EventKind.SALES, label=gettext_lazy("Contract document added")
)


@transaction.atomic
def contract_document_add(*, contract: Contract, upload: Any, by: Any) -> ContractDocument:
    """Keep a document (the signed scan) with the contract; type and size are checked."""
    from touchpoint.core.uploads import check_upload

    facts = check_upload(upload)
    document = ContractDocument(
        contract=contract, customer_id=contract.customer_id, original_name=facts.name, content_type=facts.content_type,
        size=facts.size, sha256=facts.sha256, uploaded_by=by,
    )  # fmt: skip
    document.file.save(facts.name, upload, save=False)
    document.save()
    event_record(verb=CONTRACT_DOCUMENT_ADDED, actor=by, customer_id=contract.customer_id, target=contract,
                 payload=_payload(contract, file=facts.name))  # fmt: skip
    return document
