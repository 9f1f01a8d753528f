"""Every write to an opportunity's requirement list (个性化需求): add, change, remove, reorder, and reuse
from a template or from another opportunity. Each change appends an event on the customer's timeline,
targeted at the opportunity so that it links there and follows the opportunity's visibility.
"""

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.customers.models import Contact
from touchpoint.sales.models import (
    Coverage,
    Module,
    Opportunity,
    Priority,
    Requirement,
    RequirementArea,
    RequirementTemplate,
)

REQUIREMENT_ADDED = event_type("requirement.added", kind=EventKind.SALES, label=gettext_lazy("Requirement added"))
REQUIREMENT_CHANGED = event_type("requirement.changed", kind=EventKind.CHANGE, label=gettext_lazy("Requirement changed"))
REQUIREMENT_REMOVED = event_type("requirement.removed", kind=EventKind.CHANGE, label=gettext_lazy("Requirement removed"))
REQUIREMENTS_COPIED = event_type(
    "requirement.copied", kind=EventKind.SALES, label=gettext_lazy("Requirements copied in")
)

FIELDS = ("area", "description", "priority", "asked_by", "coverage", "custom_effort_days")
MAX_EFFORT = Decimal("999999.9")
COVERED = (Coverage.STANDARD, Coverage.CONFIGURABLE)


def _effort(value: Any) -> Decimal:
    try:
        effort = Decimal(str(value if value not in (None, "") else 0))
    except (InvalidOperation, ValueError):
        raise ValidationError({"custom_effort_days": _("Enter a number of person-days.")}) from None
    if not effort.is_finite():
        raise ValidationError({"custom_effort_days": _("Enter a number of person-days.")})
    if effort < 0:
        raise ValidationError({"custom_effort_days": _("The effort cannot be negative.")})
    if effort > MAX_EFFORT:
        raise ValidationError({"custom_effort_days": _("That is more person-days than a project can hold.")})
    return effort.quantize(Decimal("0.1"))


def _checked(opportunity: Opportunity, values: dict[str, Any], modules: Iterable[Module] | None) -> dict[str, Any]:
    """The values, checked field by field; raises one ValidationError with every field's message."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    if "area" in values:
        area = values["area"]
        if not isinstance(area, RequirementArea) or not area.is_active:
            errors["area"] = _("Choose an area that is in use.")
        clean["area"] = area
    if "description" in values:
        description = (values["description"] or "").strip()
        if not description:
            errors["description"] = _("Describe the requirement.")
        elif len(description) > 2000:
            errors["description"] = _("Keep the description under 2,000 characters.")
        clean["description"] = description
    if "priority" in values:
        if values["priority"] not in Priority.values:
            errors["priority"] = _("Choose must, should or could.")
        clean["priority"] = values["priority"]
    if "coverage" in values:
        coverage = values["coverage"] or ""
        if coverage not in Coverage.values:
            errors["coverage"] = _("Choose a coverage from the list.")
        clean["coverage"] = coverage
    if "asked_by" in values:
        contact = values["asked_by"]
        if contact is not None and (not isinstance(contact, Contact) or contact.customer_id != opportunity.customer_id):
            errors["asked_by"] = _("Choose a contact of this opportunity's customer.")
        clean["asked_by"] = contact
    if "custom_effort_days" in values:
        try:
            clean["custom_effort_days"] = _effort(values["custom_effort_days"])
        except ValidationError as error:
            errors["custom_effort_days"] = error.message_dict["custom_effort_days"][0]
    if modules is not None:
        retired = [str(m) for m in modules if m.retired_at is not None]
        if retired:
            errors["modules"] = _("These modules are retired: %(names)s.") % {"names": ", ".join(retired)}
    if errors:
        raise ValidationError(errors)
    return clean


def _label(name: str) -> str:
    return str(getattr(Requirement._meta.get_field(name), "verbose_name", name))


def _summary(requirement: Requirement) -> dict[str, Any]:
    return {
        "requirement_id": requirement.pk, "title": requirement.opportunity.title,
        "subject": requirement.description[:80], "area": str(requirement.area),
        "priority": requirement.priority,
    }  # fmt: skip


@transaction.atomic
def requirement_add(
    *,
    opportunity: Opportunity,
    by: Any,
    area: RequirementArea,
    description: str,
    priority: str = Priority.SHOULD,
    asked_by: Contact | None = None,
    coverage: str = "",
    custom_effort_days: Any = 0,
    modules: Iterable[Module] = (),
) -> Requirement:
    modules = list(modules)
    clean = _checked(opportunity, {"area": area, "description": description, "priority": priority,
                                   "asked_by": asked_by, "coverage": coverage,
                                   "custom_effort_days": custom_effort_days}, modules)  # fmt: skip
    last = Requirement.objects.filter(opportunity=opportunity).aggregate(last=Max("order"))["last"]
    requirement = Requirement.objects.create(
        opportunity=opportunity, customer_id=opportunity.customer_id, order=(last or 0) + 1, **clean
    )
    if modules:
        requirement.modules.set(modules)
    event_record(verb=REQUIREMENT_ADDED, actor=by, customer_id=opportunity.customer_id, target=opportunity,
                 payload=_summary(requirement))  # fmt: skip
    return requirement


@transaction.atomic
def requirement_update(
    *, requirement: Requirement, by: Any, modules: Iterable[Module] | None = None, **values: Any
) -> Requirement:
    """Change some fields (and, when given, the covering modules); logs what changed."""
    values = {k: v for k, v in values.items() if k in FIELDS}
    modules = list(modules) if modules is not None else None
    clean = _checked(requirement.opportunity, values, modules)
    changes = []
    for name, value in clean.items():
        old = getattr(requirement, name)
        if old != value:
            changes.append({"field": name, "label": _label(name),
                            "old": str(old or ""), "new": str(value or "")})  # fmt: skip
            setattr(requirement, name, value)
    if modules is not None:
        before = set(requirement.modules.values_list("pk", flat=True))
        after = {m.pk for m in modules}
        if before != after:
            requirement.modules.set(modules)
            changes.append({"field": "modules", "label": _label("modules"),
                            "old": str(len(before)), "new": ", ".join(str(m) for m in modules)})  # fmt: skip
    if changes:
        requirement.save()
        event_record(verb=REQUIREMENT_CHANGED, actor=by, customer_id=requirement.customer_id,
                     target=requirement.opportunity, payload={**_summary(requirement), "changes": changes})  # fmt: skip
    return requirement


@transaction.atomic
def requirement_delete(*, requirement: Requirement, by: Any) -> None:
    payload = _summary(requirement)
    opportunity = requirement.opportunity
    requirement.delete()
    event_record(verb=REQUIREMENT_REMOVED, actor=by, customer_id=opportunity.customer_id, target=opportunity,
                 payload=payload)  # fmt: skip


@transaction.atomic
def requirement_move(*, requirement: Requirement, by: Any, up: bool) -> Requirement:
    """Swap the item with its neighbour above (or below). Reordering is not logged as an event."""
    siblings = Requirement.objects.select_for_update().filter(opportunity_id=requirement.opportunity_id)
    ordered = list(siblings.order_by("order", "id"))
    index = next(i for i, item in enumerate(ordered) if item.pk == requirement.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(ordered):
        return requirement
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, start=1):
        if item.order != position:
            item.order = position
            item.save(update_fields=["order", "updated_at"])
    return next(item for item in ordered if item.pk == requirement.pk)


def _append(opportunity: Opportunity, items: list[dict[str, Any]], modules: list[list[Module]] | None = None) -> list[Requirement]:
    last = Requirement.objects.filter(opportunity=opportunity).aggregate(last=Max("order"))["last"] or 0
    created = Requirement.objects.bulk_create(
        [Requirement(opportunity=opportunity, customer_id=opportunity.customer_id, order=last + i, **item)
         for i, item in enumerate(items, start=1)]
    )  # fmt: skip
    if modules:
        through = Requirement.modules.through
        through.objects.bulk_create(
            [through(requirement_id=req.pk, module_id=module.pk)
             for req, chosen in zip(created, modules, strict=True) for module in chosen]
        )  # fmt: skip
    return created


@transaction.atomic
def requirements_from_template(*, opportunity: Opportunity, template: RequirementTemplate, by: Any) -> list[Requirement]:
    """Append a copy of the template's items (area, description, priority) to the opportunity's list."""
    if not template.is_active:
        raise ValidationError({"template": _("This template is no longer in use.")})
    items = [
        {"area_id": item.area_id, "description": item.description, "priority": item.priority}
        for item in template.items.filter(area__is_active=True).order_by("order", "id")
    ]
    if not items:
        raise ValidationError({"template": _("This template has no items.")})
    created = _append(opportunity, items)
    event_record(verb=REQUIREMENTS_COPIED, actor=by, customer_id=opportunity.customer_id, target=opportunity,
                 payload={"title": opportunity.title, "subject": str(template), "from_template": template.pk,
                          "count": len(created)})  # fmt: skip
    return created


@transaction.atomic
def requirements_copy(*, opportunity: Opportunity, source: Opportunity, by: Any) -> list[Requirement]:
    """Append a copy of another opportunity's requirements: area, description, priority, coverage, effort
    and the covering modules still on sale; the asking contact belongs to the other customer and stays behind."""
    if source.pk == opportunity.pk:
        raise ValidationError({"source": _("Choose another opportunity to copy from.")})
    originals = list(
        Requirement.objects.filter(opportunity=source, area__is_active=True).prefetch_related("modules").order_by("order", "id")
    )
    if not originals:
        raise ValidationError({"source": _("That opportunity has no requirements to copy.")})
    items = [
        {"area_id": r.area_id, "description": r.description, "priority": r.priority, "coverage": r.coverage,
         "custom_effort_days": r.custom_effort_days}
        for r in originals
    ]  # fmt: skip
    modules = [[m for m in r.modules.all() if m.retired_at is None] for r in originals]
    created = _append(opportunity, items, modules)
    event_record(verb=REQUIREMENTS_COPIED, actor=by, customer_id=opportunity.customer_id, target=opportunity,
                 payload={"title": opportunity.title, "subject": source.title, "from_opportunity": source.pk,
                          "count": len(created)})  # fmt: skip
    return created


def requirement_totals(requirements: Iterable[Requirement]) -> dict[str, Any]:
    """Count by priority, the custom effort, and the share covered by standard or configurable modules.

    Computed from the items the page already holds, so it costs no query.
    """
    items = list(requirements)
    total = len(items)
    covered = sum(1 for r in items if r.coverage in COVERED)
    return {
        "total": total,
        "must": sum(1 for r in items if r.priority == Priority.MUST),
        "should": sum(1 for r in items if r.priority == Priority.SHOULD),
        "could": sum(1 for r in items if r.priority == Priority.COULD),
        "covered": covered,
        "covered_percent": round(100 * covered / total) if total else 0,
        "effort": sum((r.custom_effort_days for r in items), Decimal(0)),
    }
