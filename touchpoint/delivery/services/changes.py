"""Change requests: a change of scope with its effort, schedule and price impact. Quoting one makes a
quote addendum in sales, priced by the product's day rate unless a price is given; the customer's
decision then approves or rejects the change."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.core.money import money
from touchpoint.core.numbering import next_number
from touchpoint.delivery.models import ChangeRequest, ChangeStatus, Project
from touchpoint.delivery.services.health import health_refresh
from touchpoint.delivery.services.projects import locked, payload, require_running

CHANGE_RAISED = event_type("project.change_raised", kind=EventKind.DELIVERY, label=gettext_lazy("Change request raised"))
CHANGE_QUOTED = event_type("project.change_quoted", kind=EventKind.DELIVERY, label=gettext_lazy("Change request quoted"))
CHANGE_DECIDED = event_type("project.change_decided", kind=EventKind.DELIVERY, label=gettext_lazy("Change request decided"))


def _number(value: Any, field: str, message: str, places: str = "0.1") -> Decimal:
    try:
        number = Decimal(str(value if value not in (None, "") else 0)).quantize(Decimal(places))
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationError({field: message}) from None
    if number < 0 or number >= Decimal("1e12"):
        raise ValidationError({field: message})
    return number


@transaction.atomic
def change_request_raise(
    *, project: Project, by: Any, title: str, description: str, effort_days: Any = 0, schedule_days: int = 0, price: Any = None
) -> ChangeRequest:
    require_running(project)
    title, description = (title or "").strip(), (description or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the change a title.")})
    if not description:
        raise ValidationError({"description": _("Describe the change.")})
    effort = _number(effort_days, "effort_days", _("Enter the effort in person-days, 0 or more."))
    if not isinstance(schedule_days, int) or schedule_days < 0 or schedule_days > 3650:
        raise ValidationError({"schedule_days": _("Enter the schedule impact in days, 0 to 3,650.")})
    if price in (None, ""):
        price = effort * _day_rate(project)
    amount = money(_number(price, "price", _("Enter the price impact as an amount, 0 or more."), "0.01"))
    change = ChangeRequest.objects.create(
        project=project, customer_id=project.customer_id, number=next_number("CR"), title=title[:160],
        description=description[:5000], effort_days=effort, schedule_days=schedule_days, price=amount,
        currency=project.contract.currency, requested_by=by,
    )  # fmt: skip
    event_record(verb=CHANGE_RAISED, actor=by, customer_id=project.customer_id, target=project,
                 payload=payload(project, change=change.number, title=change.title, price=str(amount)))  # fmt: skip
    return change


def _day_rate(project: Project) -> Decimal:
    """The day rate of the product the contract sells (its first licence line's product)."""
    quote = project.contract.quote
    if quote is None:
        return Decimal(0)
    line = quote.lines.filter(module__isnull=False).select_related("module__product").first()
    return line.module.product.day_rate if line and line.module else Decimal(0)


@transaction.atomic
def change_request_quote(*, change: ChangeRequest, by: Any) -> Any:
    """Price the change as a quote addendum on the contract; the rep sends it like any quote."""
    from touchpoint.sales.models import LineKind
    from touchpoint.sales.services.quotes import quote_addendum_create, quote_line_add

    change = ChangeRequest.objects.select_for_update().select_related("project__contract").get(pk=change.pk)
    require_running(change.project)
    if change.status != ChangeStatus.DRAFT:
        raise ValidationError({"status": _("Only a draft change request can be quoted.")})
    quote = quote_addendum_create(contract=change.project.contract, by=by,
                                  terms=_("Addendum to contract %(contract)s for change request %(change)s.")
                                  % {"contract": change.project.contract.number, "change": change.number})  # fmt: skip
    quote_line_add(quote=quote, by=by, kind=LineKind.SERVICE, description=f"{change.number} {change.title}"[:200],
                   quantity=Decimal(1), unit_price=change.price)  # fmt: skip
    change.quote, change.status = quote, ChangeStatus.QUOTED
    change.version += 1
    change.save(update_fields=["quote", "status", "version", "updated_at"])
    event_record(verb=CHANGE_QUOTED, actor=by, customer_id=change.customer_id, target=change.project,
                 payload=payload(change.project, change=change.number, quote=quote.number))  # fmt: skip
    return quote


@transaction.atomic
def change_request_decide(*, change: ChangeRequest, by: Any, approve: bool) -> ChangeRequest:
    """The customer's answer. An approved change moves the planned end by its schedule impact."""
    change = ChangeRequest.objects.select_for_update().select_related("project").get(pk=change.pk)
    project = change.project
    require_running(project)
    if change.status not in (ChangeStatus.DRAFT, ChangeStatus.QUOTED):
        raise ValidationError({"status": _("This change request was already decided.")})
    change.status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
    change.decided_at = timezone.now()
    change.version += 1
    change.save(update_fields=["status", "decided_at", "version", "updated_at"])
    if approve and change.schedule_days:
        # A versioned edit of the project like any other, and the slip it absorbs leaves its health.
        project = locked(project)
        project.planned_end_on += timedelta(days=change.schedule_days)
        project.version += 1
        project._history_user = by  # type: ignore[attr-defined]
        project.save(update_fields=["planned_end_on", "version", "updated_at"])
        health_refresh(project)
    event_record(verb=CHANGE_DECIDED, actor=by, customer_id=change.customer_id, target=project,
                 payload=payload(project, change=change.number, approved=approve))  # fmt: skip
    return change
