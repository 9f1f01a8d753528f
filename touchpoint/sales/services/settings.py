"""Writes to the sales settings an administrator keeps: requirement areas, requirement templates,
pipelines with their stages and allowed moves, payment milestone templates and discount limits.

Each service checks everything first and then writes, inside one transaction, so bad input leaves
nothing half-written; each appends a SYSTEM event naming the setting and what changed.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.org.models import Position
from touchpoint.sales.models import (
    DeliveryEvent,
    DiscountLimit,
    MilestoneTemplate,
    MilestoneTemplateItem,
    MilestoneTrigger,
    Pipeline,
    Priority,
    RequirementArea,
    RequirementTemplate,
    RequirementTemplateItem,
    Stage,
    StageOutcome,
    StageTransition,
)

SETTINGS_CHANGED = event_type(
    "sales.settings_changed", kind=EventKind.SYSTEM, label=gettext_lazy("Sales settings changed")
)
HUNDRED = Decimal(100)


def _log(setting: str, *, by: Any, target: Any = None, **payload: Any) -> None:
    event_record(verb=SETTINGS_CHANGED, actor=by, target=target, customer_id=None,
                 payload={"setting": setting, **payload})  # fmt: skip


def _clean_and_save(item: Any, **kwargs: Any) -> None:
    item.full_clean(validate_constraints=False)
    item.save(**kwargs)


# --- Requirement areas -----------------------------------------------------------------------


@transaction.atomic
def area_create(*, by: Any, code: str, name: str, name_en: str) -> RequirementArea:
    if RequirementArea.objects.filter(code=code).exists():
        raise ValidationError({"code": _("Another area already has this code.")})
    last = RequirementArea.objects.aggregate(last=Max("order"))["last"] or 0
    area = RequirementArea(code=code, name=name, name_en=name_en, order=last + 10)
    _clean_and_save(area)
    _log("requirement_area", by=by, target=area, action="created", code=code)
    return area


@transaction.atomic
def area_update(*, area: RequirementArea, by: Any, name: str, name_en: str) -> RequirementArea:
    locked = RequirementArea.objects.select_for_update().get(pk=area.pk)
    before = [locked.name, locked.name_en]
    locked.name, locked.name_en = name, name_en
    _clean_and_save(locked)
    if before != [name, name_en]:
        _log("requirement_area", by=by, target=locked, action="renamed", before=before, after=[name, name_en])
    return locked


@transaction.atomic
def area_set_active(*, area: RequirementArea, by: Any, is_active: bool) -> RequirementArea:
    """Take an area out of use (or back). Requirements and features filed under it keep it."""
    locked = RequirementArea.objects.select_for_update().get(pk=area.pk)
    if locked.is_active != is_active:
        locked.is_active = is_active
        locked.save(update_fields=["is_active"])
        _log("requirement_area", by=by, target=locked, action="activated" if is_active else "deactivated")
    return locked


@transaction.atomic
def area_reorder(*, by: Any, areas: Sequence[RequirementArea]) -> None:
    """Number the areas 10, 20, 30… in the order given; the list must hold every area once."""
    ids = [area.pk for area in areas]
    every = set(RequirementArea.objects.select_for_update().values_list("pk", flat=True))
    if len(ids) != len(set(ids)) or set(ids) != every:
        raise ValidationError({"order": _("The new order must list every area exactly once.")})
    for position, pk in enumerate(ids, start=1):
        RequirementArea.objects.filter(pk=pk).update(order=position * 10)
    _log("requirement_area", by=by, action="reordered", order=ids)


@transaction.atomic
def area_move(*, area: RequirementArea, by: Any, step: int) -> None:
    """Move an area one place up (step -1) or down (step 1) in the list."""
    areas = list(RequirementArea.objects.order_by("order", "id"))
    index = next(i for i, row in enumerate(areas) if row.pk == area.pk)
    target = index + step
    if 0 <= target < len(areas):
        areas[index], areas[target] = areas[target], areas[index]
        area_reorder(by=by, areas=areas)


# --- Requirement templates ---------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateItemSpec:
    area: RequirementArea
    description: str
    priority: str = Priority.SHOULD


@transaction.atomic
def requirement_template_save(
    *, by: Any, template: RequirementTemplate | None, name: str, items: Sequence[TemplateItemSpec],
    description: str = "", is_active: bool = True,
) -> RequirementTemplate:  # fmt: skip
    """Create a template or replace an existing one's fields and items (items are copied into
    opportunities when used, so replacing them never changes a requirement already captured)."""
    if not items:
        raise ValidationError({"items": _("A template needs at least one requirement item.")})
    for item in items:
        if item.priority not in Priority.values:
            raise ValidationError({"priority": _("Pick a priority from the list.")})
        if not item.description.strip():
            raise ValidationError({"description": _("Describe each requirement item.")})
    if template is None:
        template = RequirementTemplate(name=name, description=description, is_active=is_active)
        action = "created"
    else:
        template = RequirementTemplate.objects.select_for_update().get(pk=template.pk)
        template.name, template.description, template.is_active = name, description, is_active
        action = "updated"
    _clean_and_save(template)
    template.items.all().delete()
    RequirementTemplateItem.objects.bulk_create(
        RequirementTemplateItem(template=template, area=item.area, description=item.description.strip(),
                                priority=item.priority, order=order)
        for order, item in enumerate(items, start=1)
    )  # fmt: skip
    _log("requirement_template", by=by, target=template, action=action, name=name, items=len(items))
    return template


# --- Pipelines, stages and allowed moves -------------------------------------------------------


@transaction.atomic
def pipeline_create(*, by: Any, name: str, name_en: str) -> Pipeline:
    pipeline = Pipeline(name=name, name_en=name_en, is_default=False, is_active=True)
    _clean_and_save(pipeline)
    _log("pipeline", by=by, target=pipeline, action="created", name=name)
    return pipeline


@transaction.atomic
def pipeline_update(*, pipeline: Pipeline, by: Any, name: str, name_en: str, is_active: bool, is_default: bool) -> Pipeline:
    locked = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    if locked.is_default and not is_default:
        raise ValidationError({"is_default": _("Make another pipeline the default instead; one must always be.")})
    if is_default and not is_active:
        raise ValidationError({"is_active": _("The default pipeline must stay in use.")})
    if is_default and not locked.stages.filter(outcome=StageOutcome.OPEN).exists():
        raise ValidationError({"is_default": _("Add an open stage before making this pipeline the default.")})
    if is_default and not locked.is_default:
        Pipeline.objects.filter(is_default=True).update(is_default=False)
    before = {"name": locked.name, "name_en": locked.name_en, "is_active": locked.is_active, "is_default": locked.is_default}
    locked.name, locked.name_en, locked.is_active, locked.is_default = name, name_en, is_active, is_default
    _clean_and_save(locked)
    after = {"name": name, "name_en": name_en, "is_active": is_active, "is_default": is_default}
    if before != after:
        _log("pipeline", by=by, target=locked, action="updated", before=before, after=after)
    return locked


def _check_stage(*, probability: int, outcome: str) -> None:
    if not 0 <= probability <= 100:
        raise ValidationError({"probability": _("Enter a probability from 0 to 100.")})
    if outcome not in StageOutcome.values:
        raise ValidationError({"outcome": _("Pick an outcome from the list.")})


@transaction.atomic
def stage_create(
    *, by: Any, pipeline: Pipeline, code: str, name: str, name_en: str, order: int, probability: int,
    outcome: str = StageOutcome.OPEN,
) -> Stage:  # fmt: skip
    _check_stage(probability=probability, outcome=outcome)
    if Stage.objects.filter(pipeline=pipeline, code=code).exists():
        raise ValidationError({"code": _("This pipeline already has a stage with this code.")})
    stage = Stage(pipeline=pipeline, code=code, name=name, name_en=name_en, order=order, probability=probability,
                  outcome=outcome)  # fmt: skip
    _clean_and_save(stage)
    _log("stage", by=by, target=stage, action="created", pipeline=pipeline.pk, code=code)
    return stage


@transaction.atomic
def stage_update(
    *, stage: Stage, by: Any, name: str, name_en: str, order: int, probability: int, outcome: str
) -> Stage:
    _check_stage(probability=probability, outcome=outcome)
    locked = Stage.objects.select_for_update().get(pk=stage.pk)
    if outcome != locked.outcome and locked.opportunities.exists():
        raise ValidationError({"outcome": _("Opportunities sit in this stage, so its outcome cannot change.")})
    before = [locked.name, locked.name_en, locked.order, locked.probability, locked.outcome]
    locked.name, locked.name_en, locked.order, locked.probability, locked.outcome = name, name_en, order, probability, outcome
    _clean_and_save(locked)
    after = [name, name_en, order, probability, outcome]
    if before != after:
        _log("stage", by=by, target=locked, action="updated", before=before, after=after)
    return locked


@transaction.atomic
def pipeline_set_transitions(*, pipeline: Pipeline, by: Any, moves: Iterable[tuple[int, int]]) -> dict[str, int]:
    """Make the allowed moves of `pipeline` exactly `moves` (pairs of stage ids, from → to)."""
    locked = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    stages = {stage.pk: stage for stage in locked.stages.all()}
    wanted = set(moves)
    for source, target in wanted:
        if source not in stages or target not in stages:
            raise ValidationError({"moves": _("A move names a stage that is not in this pipeline.")})
        if source == target:
            raise ValidationError({"moves": _("A stage cannot move to itself.")})
    existing = {(t.from_stage_id, t.to_stage_id): t.pk for t in locked.transitions.all()}
    removed = [pk for pair, pk in existing.items() if pair not in wanted]
    added = [pair for pair in wanted if pair not in existing]
    StageTransition.objects.filter(pk__in=removed).delete()
    StageTransition.objects.bulk_create(
        StageTransition(pipeline=locked, from_stage_id=source, to_stage_id=target) for source, target in sorted(added)
    )
    if added or removed:
        names = {pk: stage.code for pk, stage in stages.items()}
        _log("stage_moves", by=by, target=locked, action="updated",
             added=[f"{names[s]}>{names[t]}" for s, t in sorted(added)],
             removed=[f"{names[s]}>{names[t]}" for (s, t), pk in existing.items() if pk in removed])  # fmt: skip
    return {"added": len(added), "removed": len(removed)}


# --- Payment milestone templates ---------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneItemSpec:
    name: str
    percent: Decimal
    trigger: str
    trigger_event: str = ""
    offset_days: int = 0


def check_milestone_items(items: Sequence[MilestoneItemSpec]) -> None:
    """Each item is sound and the shares add up to exactly 100%; raises a field-keyed ValidationError."""
    if not items:
        raise ValidationError({"percent": _("Add at least one milestone.")})
    for item in items:
        if not item.name.strip():
            raise ValidationError({"name": _("Name every milestone.")})
        if not Decimal(0) < item.percent <= HUNDRED:
            raise ValidationError({"percent": _("Each share must be more than 0% and at most 100%.")})
        if item.trigger not in MilestoneTrigger.values:
            raise ValidationError({"trigger": _("Pick a trigger from the list.")})
        if item.trigger == MilestoneTrigger.DELIVERY_EVENT and item.trigger_event not in DeliveryEvent.values:
            raise ValidationError({"trigger_event": _("Pick the delivery event this milestone waits for.")})
        if item.offset_days < 0:
            raise ValidationError({"offset_days": _("Enter a number of days of zero or more.")})
    total = sum((item.percent for item in items), Decimal(0))
    if total != HUNDRED:
        message = _("The shares add up to %(total)s%%; they must add up to exactly 100%%.")
        raise ValidationError({"percent": message % {"total": format(total.normalize(), "f")}})


@transaction.atomic
def milestone_template_save(
    *, by: Any, template: MilestoneTemplate | None, name: str, items: Sequence[MilestoneItemSpec],
    is_default: bool = False,
) -> MilestoneTemplate:  # fmt: skip
    check_milestone_items(items)
    if template is None:
        template = MilestoneTemplate(name=name, is_default=is_default)
        action = "created"
    else:
        template = MilestoneTemplate.objects.select_for_update().get(pk=template.pk)
        if template.is_default and not is_default:
            raise ValidationError({"is_default": _("Make another template the default instead; one must always be.")})
        template.name, template.is_default = name, is_default
        action = "updated"
    if is_default:
        MilestoneTemplate.objects.filter(is_default=True).exclude(pk=template.pk).update(is_default=False)
    _clean_and_save(template)
    template.items.all().delete()
    MilestoneTemplateItem.objects.bulk_create(
        MilestoneTemplateItem(
            template=template, order=order, name=item.name.strip(), percent=item.percent, trigger=item.trigger,
            trigger_event=item.trigger_event if item.trigger == MilestoneTrigger.DELIVERY_EVENT else "",
            offset_days=item.offset_days,
        )
        for order, item in enumerate(items, start=1)
    )  # fmt: skip
    _log("milestone_template", by=by, target=template, action=action, name=name,
         items=[[item.name, str(item.percent)] for item in items])  # fmt: skip
    return template


@transaction.atomic
def milestone_template_delete(*, template: MilestoneTemplate, by: Any) -> None:
    """Contracts copy their milestones, so a template no contract points at may go, unless it is the default."""
    locked = MilestoneTemplate.objects.select_for_update().get(pk=template.pk)
    if locked.is_default:
        raise ValidationError(_("The default template cannot be deleted; make another one the default first."))
    _log("milestone_template", by=by, target=locked, action="deleted", name=locked.name)
    locked.delete()


# --- Discount limits ---------------------------------------------------------------------------


@transaction.atomic
def discount_limits_save(*, by: Any, limits: dict[str, Decimal | None]) -> dict[str, list[str]]:
    """Set the largest discount each position may give without approval; None removes the limit row
    (the position then needs approval for any discount)."""
    errors: dict[str, str] = {}
    for position, value in limits.items():
        if position not in Position.values:
            errors[position] = _("Unknown position.")
        elif value is not None and not Decimal(0) <= value <= HUNDRED:
            errors[position] = _("Enter a percentage from 0 to 100.")
    if errors:
        raise ValidationError(errors)
    current = {row.position: row for row in DiscountLimit.objects.select_for_update()}
    changed: dict[str, list[str]] = {}
    for position, value in limits.items():
        row = current.get(position)
        if value is None:
            if row is not None:
                row.delete()
                changed[position] = [str(row.max_discount_percent), ""]
        elif row is None:
            DiscountLimit.objects.create(position=position, max_discount_percent=value)
            changed[position] = ["", str(value)]
        elif row.max_discount_percent != value:
            changed[position] = [str(row.max_discount_percent), str(value)]
            row.max_discount_percent = value
            row.save(update_fields=["max_discount_percent"])
    if changed:
        _log("discount_limits", by=by, action="updated", changes=changed)
    return changed
