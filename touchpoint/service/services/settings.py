"""The maintenance centre's set-up: queues and their agents, routing rules, SLA targets and the flow
watch's thresholds. Every change is an event (calendars are written by `core.calendar`)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import BusinessCalendar, Channel, EventKind
from touchpoint.service.models import (
    Assignment,
    Category,
    Queue,
    QueueKind,
    QueueMember,
    RoutingRule,
    ServiceSettings,
    Severity,
    SlaPolicy,
    Tier,
)

SETUP_CHANGED = event_type("service.setup_changed", kind=EventKind.SYSTEM, label=gettext_lazy("Maintenance centre set-up changed"))


def _changed(by: Any, target: Any, what: str, **details: Any) -> None:
    event_record(verb=SETUP_CHANGED, actor=by, target=target, payload={"what": what, **details})


# --- Queues ------------------------------------------------------------------------------------------


@transaction.atomic
def queue_save(*, queue: Queue | None, by: Any, code: str, name: str, name_en: str, kind: str, department: Any,
               product: Any = None, assignment: str = Assignment.LEAST_LOADED, lead: Any = None,
               is_active: bool = True) -> Queue:  # fmt: skip
    """Create a queue or change one. A queue that rules still route to cannot be taken out of use."""
    errors: dict[str, str] = {}
    code, name, name_en = (code or "").strip().lower(), (name or "").strip(), (name_en or "").strip()
    if not code:
        errors["code"] = _("Give the queue a short code.")
    elif Queue.objects.filter(code=code).exclude(pk=queue.pk if queue is not None else 0).exists():
        errors["code"] = _("Another queue has this code.")
    if not name or not name_en:
        errors["name"] = _("Name the queue in Chinese and in English.")
    if kind not in QueueKind.values:
        errors["kind"] = _("Choose the kind of queue.")
    if assignment not in Assignment.values:
        errors["assignment"] = _("Choose how requests are assigned.")
    if department is None:
        errors["department"] = _("Choose the department that works this queue.")
    if queue is not None and queue.is_active and not is_active and RoutingRule.objects.filter(queue=queue, is_active=True).exists():
        errors["is_active"] = _("Routing rules still send requests here; change or switch them off first.")
    if errors:
        raise ValidationError(errors)
    queue = queue or Queue()
    queue.code, queue.name, queue.name_en, queue.kind = code[:40], name[:60], name_en[:60], kind
    queue.department, queue.product, queue.assignment, queue.lead, queue.is_active = department, product, assignment, lead, is_active
    queue.save()
    _changed(by, queue, "queue", code=queue.code, active=is_active)
    return queue


@transaction.atomic
def queue_member_set(*, queue: Queue, by: Any, user: Any, products: list[Any], is_active: bool = True) -> QueueMember:
    """Seat an agent in a queue (or change their seat): the products they take, and whether they take requests now."""
    if user is None or not user.is_active:
        raise ValidationError({"user": _("Choose an active person.")})
    member, _created = QueueMember.objects.update_or_create(queue=queue, user=user, defaults={"is_active": is_active})
    member.products.set(products)
    _changed(by, queue, "queue_member", user=str(user), active=is_active, products=[str(p) for p in products])
    return member


@transaction.atomic
def queue_member_remove(*, member: QueueMember, by: Any) -> None:
    queue, user = member.queue, member.user
    member.delete()
    _changed(by, queue, "queue_member_removed", user=str(user))


# --- Routing rules -------------------------------------------------------------------------------------


RULE_FIELDS = ("name", "category", "product", "customer_tier", "channel", "queue", "is_active")


@transaction.atomic
def routing_rule_save(*, rule: RoutingRule | None, by: Any, name: str, queue: Queue | None, category: str = "",
                      product: Any = None, customer_tier: str = "", channel: str = "", is_active: bool = True,
                      ) -> RoutingRule:  # fmt: skip
    """Add a rule (at the end of the list) or change one."""
    from touchpoint.customers.models import SizeTier

    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Name the rule.")
    if queue is None or not Queue.objects.filter(pk=queue.pk, is_active=True).exists():
        errors["queue"] = _("Choose a queue that exists and is in use.")
    if category and category not in Category.values:
        errors["category"] = _("Choose a category.")
    if channel and channel not in Channel.values:
        errors["channel"] = _("Choose a channel.")
    if customer_tier and customer_tier not in SizeTier.values:
        errors["customer_tier"] = _("Choose a customer tier.")
    if errors or queue is None:
        raise ValidationError(errors)
    if rule is None:
        last = RoutingRule.objects.aggregate(last=Max("order"))["last"] or 0
        rule = RoutingRule(order=min(last + 10, 32_000))
    rule.name, rule.queue, rule.category, rule.product = name[:80], queue, category, product
    rule.customer_tier, rule.channel, rule.is_active = customer_tier, channel, is_active
    rule.save()
    _changed(by, rule, "routing_rule", name=rule.name, queue=str(queue))
    return rule


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule, by: Any) -> None:
    name = rule.name
    _changed(by, None, "routing_rule_deleted", name=name)
    rule.delete()


@transaction.atomic
def routing_rule_move(*, rule: RoutingRule, by: Any, up: bool) -> list[RoutingRule]:
    """Swap the rule with its neighbour, then number every rule 10, 20, 30… so the order stays unambiguous."""
    rules = list(RoutingRule.objects.select_for_update().order_by("order", "id"))
    index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(rules):
        rules[index], rules[other] = rules[other], rules[index]
    for position, item in enumerate(rules, start=1):
        if item.order != position * 10:
            item.order = position * 10
            item.save(update_fields=["order"])
    _changed(by, rule, "routing_rule_moved", name=rule.name, up=up)
    return rules


# --- SLA policies ----------------------------------------------------------------------------------------


@transaction.atomic
def sla_policies_save(*, by: Any, targets: dict[tuple[str, str], tuple[int, int, BusinessCalendar]]) -> list[SlaPolicy]:
    """Set the whole tier × severity grid: {(tier, severity): (response minutes, resolution minutes, calendar)}.

    Checked whole before anything is written. Requests already logged keep the deadlines they got."""
    errors: dict[str, list[str]] = {}
    for (tier, severity), (response, resolution, calendar) in targets.items():
        cell = f"{tier}_{severity}"
        if tier not in Tier.values or severity not in Severity.values:
            errors.setdefault("__all__", []).append(_("Unknown tier or severity."))
        elif not response or response <= 0:
            errors.setdefault(f"{cell}_response", []).append(_("The first response target must be more than zero."))
        elif not resolution or resolution <= response:
            errors.setdefault(f"{cell}_resolution", []).append(_("The resolution target must be longer than the first response target."))
        if calendar is None:
            errors.setdefault(f"{cell}_calendar", []).append(_("Choose a business calendar."))
    if errors:
        raise ValidationError(errors)
    saved = []
    changes = []
    for (tier, severity), (response, resolution, calendar) in sorted(targets.items()):
        policy = SlaPolicy.objects.select_for_update().filter(tier=tier, severity=severity).first() or SlaPolicy(
            tier=tier, severity=severity
        )
        before = (policy.response_minutes, policy.resolution_minutes, policy.calendar_id) if policy.pk else None
        policy.response_minutes, policy.resolution_minutes, policy.calendar = response, resolution, calendar
        if before != (response, resolution, calendar.pk):
            policy.save()
            changes.append(f"{tier}/{severity}: {response}/{resolution} min")
        saved.append(policy)
    if changes:
        _changed(by, None, "sla_policies", changes=changes)
    return saved


# --- The flow watch --------------------------------------------------------------------------------------


@transaction.atomic
def service_settings_save(*, by: Any, bounce_hops: int, stuck_percent: int, stuck_minimum_minutes: int,
                          executive: Any = None) -> ServiceSettings:  # fmt: skip
    errors: dict[str, str] = {}
    if not 1 <= bounce_hops <= 20:
        errors["bounce_hops"] = _("Between 1 and 20 hops.")
    if not 1 <= stuck_percent <= 100:
        errors["stuck_percent"] = _("Between 1 and 100 percent.")
    if not 15 <= stuck_minimum_minutes <= 60 * 24 * 30:
        errors["stuck_minimum_minutes"] = _("Between 15 minutes and 30 days of business time.")
    if executive is not None and not executive.is_active:
        errors["executive"] = _("Choose an active person.")
    if errors:
        raise ValidationError(errors)
    current = ServiceSettings.objects.select_for_update().filter(pk=1).first() or ServiceSettings.current()
    current.bounce_hops, current.stuck_percent, current.stuck_minimum_minutes = bounce_hops, stuck_percent, stuck_minimum_minutes
    current.executive = executive
    current.save()
    _changed(by, current, "flow_settings", bounce_hops=bounce_hops, stuck_percent=stuck_percent,
             stuck_minimum_minutes=stuck_minimum_minutes, executive=str(executive or ""))  # fmt: skip
    return current
