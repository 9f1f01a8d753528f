"""Every write to opportunities: create, edit, the stage moves, the owner handoff, the account team.

Stage changes go only through `opportunity_move`, which checks the pipeline's allowed moves, keeps
the time spent in each stage (StageVisit rows) and appends an event for the customer timeline.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.core.search import index_tokens
from touchpoint.core.versioning import FieldChange, edit_apply
from touchpoint.customers.models import Customer
from touchpoint.sales.models import (
    LostReason,
    Opportunity,
    OpportunityMember,
    OpportunityRole,
    Pipeline,
    Product,
    Stage,
    StageOutcome,
    StageTransition,
    StageVisit,
)

OPPORTUNITY_CREATED = event_type("opportunity.created", kind=EventKind.SALES, label=gettext_lazy("New opportunity"))
OPPORTUNITY_UPDATED = event_type("opportunity.updated", kind=EventKind.CHANGE, label=gettext_lazy("Opportunity updated"))
OPPORTUNITY_MOVED = event_type("opportunity.moved", kind=EventKind.SALES, label=gettext_lazy("Opportunity stage changed"))
OPPORTUNITY_WON = event_type("opportunity.won", kind=EventKind.SALES, label=gettext_lazy("Opportunity won"))
OPPORTUNITY_LOST = event_type("opportunity.lost", kind=EventKind.SALES, label=gettext_lazy("Opportunity lost"))
OPPORTUNITY_REOPENED = event_type(
    "opportunity.reopened", kind=EventKind.SALES, label=gettext_lazy("Opportunity reopened")
)
OPPORTUNITY_REASSIGNED = event_type(
    "opportunity.reassigned", kind=EventKind.HANDOFF, label=gettext_lazy("Opportunity owner changed")
)
OPPORTUNITY_TEAM_CHANGED = event_type(
    "opportunity.team_changed", kind=EventKind.SALES, label=gettext_lazy("Opportunity team changed")
)
OPPORTUNITY_DELETED = event_type("opportunity.deleted", kind=EventKind.CHANGE, label=gettext_lazy("Opportunity deleted"))

# Fields an edit may change; owner, stage, probability-by-stage and the closing fields have their
# own services.
EDITABLE_FIELDS = (
    "title", "amount", "close_date", "product", "probability", "competitors", "decision_process",
    "next_step", "next_step_date",
)  # fmt: skip


def default_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.filter(is_default=True, is_active=True).first()
    if pipeline is None:
        raise ValidationError({"pipeline": _("No default pipeline is set up. Ask an administrator.")})
    return pipeline


def first_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.filter(outcome=StageOutcome.OPEN).order_by("order").first()
    if stage is None:
        raise ValidationError({"stage": _("This pipeline has no open stage.")})
    return stage


def opportunity_search_text(opportunity: Opportunity) -> str:
    return index_tokens(names=[opportunity.title])


def _check_amount_and_date(amount: Any, close_date: Any) -> None:
    errors = {}
    if amount is not None and Decimal(amount) < 0:
        errors["amount"] = _("The amount cannot be negative.")
    if close_date is not None and not isinstance(close_date, date):
        errors["close_date"] = _("Enter a valid date.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def opportunity_create(
    *,
    by: Any,
    customer: Customer,
    title: str,
    owner: Any,
    close_date: date,
    amount: Decimal = Decimal(0),
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    product: Product | None = None,
    **values: Any,
) -> Opportunity:
    """Open an opportunity in the pipeline's first stage (or a given open stage of it)."""
    _check_amount_and_date(amount, close_date)
    if not owner.is_active:
        raise ValidationError({"owner": _("The owner is deactivated.")})
    pipeline = pipeline or default_pipeline()
    stage = stage or first_stage(pipeline)
    if stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": _("This stage belongs to another pipeline.")})
    if stage.is_closed:
        raise ValidationError({"stage": _("A new opportunity starts in an open stage.")})
    extra = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    extra.setdefault("probability", stage.probability)
    now = timezone.now()
    opportunity = Opportunity(
        customer=customer, title=(title or "").strip(), owner=owner, pipeline=pipeline, stage=stage,
        amount=amount, close_date=close_date, product=product, stage_entered_at=now, **extra,
    )  # fmt: skip
    opportunity.full_clean(exclude=["deleted_by"])
    opportunity.search_text = opportunity_search_text(opportunity)
    opportunity._history_user = by  # type: ignore[attr-defined]
    opportunity.save()
    StageVisit.objects.create(opportunity=opportunity, stage=stage, entered_at=now, moved_by=by)
    event_record(
        verb=OPPORTUNITY_CREATED, actor=by, customer_id=customer.pk, target=opportunity,
        payload={"title": opportunity.title, "stage": str(stage), "amount": str(opportunity.amount),
                 "owner": str(owner)},
    )  # fmt: skip
    return opportunity


@transaction.atomic
def opportunity_update(
    *, opportunity: Opportunity, by: Any, expected_version: int, **values: Any
) -> tuple[Opportunity, list[FieldChange]]:
    values = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    _check_amount_and_date(values.get("amount"), values.get("close_date"))
    if "title" in values:
        values["title"] = (values["title"] or "").strip()
    updated, diff = edit_apply(instance=opportunity, changes=values, expected_version=expected_version, by=by)
    assert isinstance(updated, Opportunity)
    if diff:
        if any(change.field == "title" for change in diff):
            Opportunity.all_objects.filter(pk=updated.pk).update(search_text=opportunity_search_text(updated))
        event_record(
            verb=OPPORTUNITY_UPDATED, actor=by, customer_id=updated.customer_id, target=updated,
            payload={"changes": [{"field": c.field, "label": c.label, "old": c.old, "new": c.new} for c in diff]},
        )  # fmt: skip
    return updated, diff


def allowed_moves(opportunity: Opportunity) -> list[Stage]:
    """The stages the opportunity may move to from where it stands."""
    return list(
        Stage.objects.filter(moves_in__from_stage_id=opportunity.stage_id).order_by("order")
    )


def move_is_allowed(from_stage: Stage, to_stage: Stage) -> bool:
    return StageTransition.objects.filter(from_stage=from_stage, to_stage=to_stage).exists()


@transaction.atomic
def opportunity_move(
    *,
    opportunity: Opportunity,
    to_stage: Stage,
    by: Any,
    lost_reason: str = "",
    lost_detail: str = "",
    expected_version: int | None = None,
) -> Opportunity:
    """Move to another stage along an allowed transition; losing needs a reason.

    Closes the current StageVisit and opens the next, sets the stage's default probability, stamps
    `closed_at` on won/lost (and clears it on reopening), and appends one event.
    """
    locked: Opportunity = Opportunity.objects.select_for_update().select_related("stage").get(pk=opportunity.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError({"stage": _("Someone else changed this opportunity meanwhile. Reload and try again.")})
    source = locked.stage
    if to_stage.pk == source.pk:
        return locked
    if to_stage.pipeline_id != locked.pipeline_id:
        raise ValidationError({"stage": _("That stage belongs to another pipeline.")})
    if not move_is_allowed(source, to_stage):
        raise ValidationError(
            {"stage": _("An opportunity cannot move from “%(from)s” to “%(to)s”.") % {"from": source, "to": to_stage}}
        )
    lost_detail = (lost_detail or "").strip()
    if to_stage.outcome == StageOutcome.LOST:
        if lost_reason not in LostReason.values:
            raise ValidationError({"lost_reason": _("Say why the opportunity was lost.")})
        if lost_reason == LostReason.OTHER and not lost_detail:
            raise ValidationError({"lost_detail": _("Describe the reason in a few words.")})
    now = timezone.now()
    StageVisit.objects.filter(opportunity=locked, left_at__isnull=True).update(left_at=now)
    StageVisit.objects.create(opportunity=locked, stage=to_stage, entered_at=now, moved_by=by)
    reopened = source.is_closed and not to_stage.is_closed
    locked.stage = to_stage
    locked.probability = to_stage.probability
    locked.stage_entered_at = now
    if to_stage.is_closed:
        locked.closed_at = now
    elif reopened:
        locked.closed_at = None
    if to_stage.outcome == StageOutcome.LOST:
        locked.lost_reason, locked.lost_detail = lost_reason, lost_detail[:500]
    elif reopened:
        locked.lost_reason, locked.lost_detail = "", ""
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save()
    verb = {StageOutcome.WON: OPPORTUNITY_WON, StageOutcome.LOST: OPPORTUNITY_LOST}.get(
        StageOutcome(to_stage.outcome), OPPORTUNITY_REOPENED if reopened else OPPORTUNITY_MOVED
    )
    payload: dict[str, Any] = {
        "title": locked.title, "from": str(source), "to": str(to_stage), "from_code": source.code,
        "to_code": to_stage.code, "amount": str(locked.amount),
        "days_in_stage": round((now - opportunity.stage_entered_at).total_seconds() / 86400, 1),
    }  # fmt: skip
    if lost_reason and to_stage.outcome == StageOutcome.LOST:
        payload["lost_reason"] = str(LostReason(lost_reason).label)
        payload["lost_detail"] = lost_detail[:500]
    event_record(verb=verb, actor=by, customer_id=locked.customer_id, target=locked, payload=payload)
    return locked


@transaction.atomic
def opportunity_reassign(*, opportunity: Opportunity, owner: Any, by: Any, reason: str) -> Opportunity:
    """Hand the opportunity to another owner; the handoff is logged with from, to, department and reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the opportunity changes hands.")})
    if not owner.is_active:
        raise ValidationError({"owner": _("The new owner is deactivated.")})
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    previous = locked.owner
    if previous.pk == owner.pk:
        return locked
    locked.owner = owner
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save(update_fields=["owner", "version", "updated_at"])
    event_record(
        verb=OPPORTUNITY_REASSIGNED, actor=by, customer_id=locked.customer_id, target=locked,
        payload={
            "title": locked.title, "from": str(previous), "from_id": previous.pk,
            "from_department": str(previous.department or ""), "to": str(owner), "to_id": owner.pk,
            "to_department": str(owner.department or ""), "reason": reason[:500],
        },
    )  # fmt: skip
    return locked


@transaction.atomic
def opportunity_team_set(*, opportunity: Opportunity, members: dict[Any, str], by: Any) -> list[OpportunityMember]:
    """Replace the opportunity team (besides the owner) with `members` = {user: role}."""
    for user, role in members.items():
        if role not in OpportunityRole.values:
            raise ValidationError({"role": _("Choose a role from the list.")})
        if not user.is_active:
            raise ValidationError({"members": _("%(user)s is deactivated.") % {"user": user}})
    before = {(m.user_id, m.role) for m in opportunity.team.all()}
    after = {(user.pk, role) for user, role in members.items() if user.pk != opportunity.owner_id}
    if before == after:
        return list(opportunity.team.all())
    OpportunityMember.objects.filter(opportunity=opportunity).exclude(
        user_id__in=[user_id for user_id, _role in after]
    ).delete()
    for user_id, role in after:
        OpportunityMember.objects.update_or_create(opportunity=opportunity, user_id=user_id, defaults={"role": role})
    team = list(opportunity.team.select_related("user"))
    event_record(
        verb=OPPORTUNITY_TEAM_CHANGED, actor=by, customer_id=opportunity.customer_id, target=opportunity,
        payload={"title": opportunity.title, "team": [f"{m.user} ({m.get_role_display()})" for m in team]},
    )  # fmt: skip
    return team


@transaction.atomic
def opportunity_delete(*, opportunity: Opportunity, by: Any) -> None:
    opportunity.mark_deleted(by)
    event_record(verb=OPPORTUNITY_DELETED, actor=by, customer_id=opportunity.customer_id, target=opportunity,
                 payload={"title": opportunity.title})  # fmt: skip


def time_in_stages(opportunity: Opportunity) -> list[dict[str, Any]]:
    """Days spent in each stage, in order of first entry; the current stay counts up to now."""
    now = timezone.now()
    totals: dict[int, dict[str, Any]] = {}
    for visit in opportunity.stage_visits.select_related("stage").order_by("entered_at", "id"):
        entry = totals.setdefault(visit.stage_id, {"stage": visit.stage, "days": 0.0, "visits": 0})
        entry["days"] += ((visit.left_at or now) - visit.entered_at).total_seconds() / 86400
        entry["visits"] += 1
    return [{**entry, "days": round(entry["days"], 1)} for entry in totals.values()]
