"""Routine maintenance plans (巡检计划): a contract's periodic inspections. Each period the daily run
schedules one order, worked as a service request with the plan's checklist; the engineer records
each line as OK, an issue or not applicable, with a note."""

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import Channel, EventKind
from touchpoint.core.versioning import FieldChange
from touchpoint.service.models import Category, CoverageStatus, MaintenanceContract, Severity
from touchpoint.service.models.maintenance import CheckResult, Frequency, MaintenancePlan, ScheduledOrder
from touchpoint.service.services.contracts import add_months

PLAN_CREATED = event_type("plan.created", kind=EventKind.SERVICE, label=gettext_lazy("Maintenance plan created"))
PLAN_UPDATED = event_type("plan.updated", kind=EventKind.CHANGE, label=gettext_lazy("Maintenance plan updated"))
ORDER_SCHEDULED = event_type("plan.order_scheduled", kind=EventKind.SERVICE, label=gettext_lazy("Routine inspection scheduled"))
ORDER_CHECKED = event_type("plan.order_checked", kind=EventKind.SERVICE, label=gettext_lazy("Routine inspection recorded"))

MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3}
# Orders are made this many days before they are due, so that the visit can be arranged.
LEAD_DAYS = 7
MAX_LINES = 50
EDITABLE_FIELDS = ("name", "frequency", "checklist", "next_due_on", "is_active")


def checklist_lines(raw: Any) -> list[str]:
    """The checklist as lines: from a list or a text with one check per line; blanks dropped."""
    lines = raw.splitlines() if isinstance(raw, str) else list(raw or [])
    cleaned = [str(line).strip()[:200] for line in lines if str(line).strip()]
    if not cleaned:
        raise ValidationError({"checklist": _("List at least one check, one per line.")})
    if len(cleaned) > MAX_LINES:
        raise ValidationError({"checklist": _("At most %(count)s checks.") % {"count": MAX_LINES}})
    return cleaned


def _check_plan(*, contract: MaintenanceContract, name: str, frequency: str, next_due_on: Any) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = _("Name the plan.")
    if frequency not in Frequency.values:
        errors["frequency"] = _("Choose monthly or quarterly.")
    if not isinstance(next_due_on, date):
        errors["next_due_on"] = _("Enter the date of the first inspection.")
    elif not contract.starts_on <= next_due_on <= contract.ends_on:
        errors["next_due_on"] = _("The inspection must fall within the contract, %(start)s to %(end)s.") % {
            "start": contract.starts_on.isoformat(),
            "end": contract.ends_on.isoformat(),
        }
    return errors


def _payload(plan: MaintenancePlan, **extra: Any) -> dict[str, Any]:
    return {"name": plan.name, "contract": plan.contract.number, **extra}


@transaction.atomic
def plan_create(*, by: Any, contract: MaintenanceContract, name: str, checklist: Any, next_due_on: date,
                frequency: str = Frequency.QUARTERLY) -> MaintenancePlan:  # fmt: skip
    errors = _check_plan(contract=contract, name=name, frequency=frequency, next_due_on=next_due_on)
    if contract.status != CoverageStatus.ACTIVE:
        errors["contract"] = _("Plan inspections under an active contract.")
    try:
        lines = checklist_lines(checklist)
    except ValidationError as error:
        errors.update({k: " ".join(v) for k, v in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    plan = MaintenancePlan.objects.create(contract=contract, customer_id=contract.customer_id, name=name.strip()[:120],
                                          frequency=frequency, checklist=lines, next_due_on=next_due_on, created_by=by)  # fmt: skip
    event_record(verb=PLAN_CREATED, actor=by, customer_id=plan.customer_id, target=plan,
                 payload=_payload(plan, frequency=frequency, next_due_on=next_due_on.isoformat()))  # fmt: skip
    return plan


@transaction.atomic
def plan_update(*, plan: MaintenancePlan, by: Any, expected_version: int, **values: Any) -> tuple[MaintenancePlan, list[FieldChange]]:
    from touchpoint.core.versioning import StaleEdit

    current = MaintenancePlan.objects.select_for_update(of=("self",)).select_related("contract").get(pk=plan.pk)
    if current.version != expected_version:
        raise StaleEdit([], current.version)
    values = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    if "checklist" in values:
        values["checklist"] = checklist_lines(values["checklist"])
    if "name" in values:
        values["name"] = (values["name"] or "").strip()[:120]
    merged = {f: values.get(f, getattr(current, f)) for f in ("name", "frequency", "next_due_on")}
    errors = _check_plan(contract=current.contract, **merged)
    if "next_due_on" not in values:
        errors.pop("next_due_on", None)  # a plan may run past a contract that was shortened; the run stops there
    if errors:
        raise ValidationError(errors)
    diff = []
    for field, value in values.items():
        old = getattr(current, field)
        if old != value:
            diff.append(FieldChange(field=field, label=str(getattr(MaintenancePlan._meta.get_field(field), "verbose_name", field)),
                                    old=str(old), new=str(value)))  # fmt: skip
            setattr(current, field, value)
    if diff:
        current.version += 1
        current.save()
        event_record(verb=PLAN_UPDATED, actor=by, customer_id=current.customer_id, target=current,
                     payload=_payload(current, changes=[{"field": c.field, "old": c.old, "new": c.new} for c in diff]))  # fmt: skip
    plan.refresh_from_db()
    return current, diff


def _order_description(plan: MaintenancePlan, due_on: date) -> str:
    head = _("Routine inspection under %(contract)s, due %(due)s. Checklist:") % {
        "contract": plan.contract.number,
        "due": due_on.isoformat(),
    }
    return "\n".join([head, *(f"{n}. {line}" for n, line in enumerate(plan.checklist, start=1))])


def _schedule(plan: MaintenancePlan, due_on: date, now: Any) -> ScheduledOrder | None:
    from touchpoint.service.services.requests import request_create

    if ScheduledOrder.objects.filter(plan=plan, due_on=due_on).exists():
        return None
    request = request_create(
        by=None, customer=plan.contract.customer, channel=Channel.OTHER, category=Category.CONSULTATION,
        severity=Severity.P4, impact="none", subject=_("Routine inspection: %(plan)s (%(due)s)") % {
            "plan": plan.name, "due": due_on.isoformat()},
        description=_order_description(plan, due_on), log_touchpoint=False, now=now,
    )  # fmt: skip
    try:
        with transaction.atomic():
            blank = [{"line": line, "result": "", "note": ""} for line in plan.checklist]
            order = ScheduledOrder.objects.create(plan=plan, customer_id=plan.customer_id, due_on=due_on, request=request,
                                                  results=blank)  # fmt: skip
    except IntegrityError:  # made meanwhile by a concurrent run
        return None
    event_record(verb=ORDER_SCHEDULED, actor=None, customer_id=plan.customer_id, target=plan,
                 payload=_payload(plan, due_on=due_on.isoformat(), request=request.number))  # fmt: skip
    return order


def plan_generate_orders(*, today: date | None = None, now: Any = None) -> dict[str, int]:
    """Schedule each active plan's order for the current period, at most one per period and
    `LEAD_DAYS` ahead; periods missed while nothing ran are skipped, not made up. Safe to run twice."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    horizon = today + timedelta(days=LEAD_DAYS)
    counts = {"scheduled": 0}
    due = MaintenancePlan.objects.filter(is_active=True, next_due_on__lte=horizon, contract__status=CoverageStatus.ACTIVE)
    for plan_id in due.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            plan = MaintenancePlan.objects.select_for_update(of=("self",)).select_related("contract__customer").get(pk=plan_id)
            if not plan.is_active or plan.next_due_on > horizon:
                continue
            step = MONTHS[Frequency(plan.frequency)]
            current = plan.next_due_on
            while add_months(current, step) <= horizon:
                current = add_months(current, step)
            if current <= plan.contract.ends_on and _schedule(plan, current, now) is not None:
                counts["scheduled"] += 1
            plan.next_due_on = add_months(current, step)
            plan.save(update_fields=["next_due_on", "updated_at"])
    return counts


@transaction.atomic
def order_record_checklist(*, order: ScheduledOrder, by: Any, results: list[dict[str, Any]], complete: bool = False,
                           now: Any = None) -> ScheduledOrder:  # fmt: skip
    """Record the checklist: one {"result", "note"} per line, in order. Completing needs every line
    answered; an issue needs a note. The request gets the outcome as an internal note."""
    now = now or timezone.now()
    current = ScheduledOrder.objects.select_for_update(of=("self",)).select_related("plan", "request").get(pk=order.pk)
    if current.completed_at is not None:
        raise ValidationError(_("This inspection was completed on %(day)s; it is kept as it was.")
                              % {"day": timezone.localtime(current.completed_at).date().isoformat()})  # fmt: skip
    if len(results) != len(current.results):
        raise ValidationError({"results": _("Give a result for each of the %(count)s checks.") % {"count": len(current.results)}})
    errors: dict[str, str] = {}
    lines = []
    for number, (line, given) in enumerate(zip(current.results, results, strict=True), start=1):
        result, note = str(given.get("result") or ""), str(given.get("note") or "").strip()[:500]
        if result and result not in CheckResult.values:
            errors[f"results.{number}"] = _("Check %(n)s: choose OK, issue or not applicable.") % {"n": number}
        elif result == CheckResult.ISSUE and not note:
            errors[f"results.{number}"] = _("Check %(n)s: describe the issue.") % {"n": number}
        elif complete and not result:
            errors[f"results.{number}"] = _("Check %(n)s: answer every check to complete the inspection.") % {"n": number}
        lines.append({"line": line["line"], "result": result, "note": note})
    if errors:
        raise ValidationError(errors)
    current.results = lines
    current.version += 1
    if complete:
        current.completed_at, current.completed_by = now, by
    current.save()
    issues = sum(1 for line in lines if line["result"] == CheckResult.ISSUE)
    event_record(verb=ORDER_CHECKED, actor=by, customer_id=current.customer_id, target=current.plan,
                 payload={"due_on": current.due_on.isoformat(), "complete": complete, "issues": issues})  # fmt: skip
    if complete and current.request is not None:
        from touchpoint.service.services.requests import request_note

        labels = dict(CheckResult.choices)
        summary = "\n".join(f"{n}. {line['line']}: {labels.get(line['result'], '')}" + (f" — {line['note']}" if line["note"] else "")
                            for n, line in enumerate(lines, start=1))  # fmt: skip
        request_note(request=current.request, by=by, body=_("Inspection completed.") + "\n" + summary, now=now)
    order.refresh_from_db()
    return current
