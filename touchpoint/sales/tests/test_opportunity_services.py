from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from touchpoint.core.models import Event
from touchpoint.sales.models import Opportunity, Stage, StageVisit
from touchpoint.sales.services.opportunities import (
    allowed_moves,
    opportunity_create,
    opportunity_move,
    opportunity_reassign,
    opportunity_team_set,
    opportunity_update,
    time_in_stages,
)


def stage(code: str) -> Stage:
    return Stage.objects.get(pipeline__is_default=True, code=code)


def opened(personas, **extra) -> Opportunity:
    values = {"close_date": date(2027, 3, 31), "amount": Decimal("1200000"), **extra}
    return opportunity_create(
        by=personas.sales_rep, customer=personas.customer_a, title="集中交易系统升级", owner=personas.sales_rep, **values
    )


@pytest.mark.django_db
def test_a_new_opportunity_starts_in_the_first_stage_with_its_probability(personas):
    opportunity = opened(personas)
    assert opportunity.stage.code == "lead_confirm"
    assert opportunity.probability == 10
    assert opportunity.weighted_amount == Decimal("120000")
    assert StageVisit.objects.filter(opportunity=opportunity, left_at__isnull=True).count() == 1
    event = Event.objects.get(verb="opportunity.created")
    assert event.customer_id == personas.customer_a.pk
    assert event.kind == "sales"


@pytest.mark.django_db
def test_a_negative_amount_is_refused_and_nothing_is_written(personas):
    with pytest.raises(ValidationError) as error:
        opened(personas, amount=Decimal("-1"))
    assert "amount" in error.value.message_dict
    assert not Opportunity.objects.exists()


@pytest.mark.django_db
def test_moving_one_stage_forward_keeps_the_time_spent_and_logs_an_event(personas):
    opportunity = opened(personas)
    moved = opportunity_move(opportunity=opportunity, to_stage=stage("discovery"), by=personas.sales_rep)
    assert moved.stage.code == "discovery"
    assert moved.probability == 25
    assert moved.version == opportunity.version + 1
    visits = list(StageVisit.objects.filter(opportunity=opportunity).order_by("entered_at", "id"))
    assert [v.stage.code for v in visits] == ["lead_confirm", "discovery"]
    assert visits[0].left_at is not None and visits[1].left_at is None
    event = Event.objects.get(verb="opportunity.moved")
    assert event.payload["from_code"] == "lead_confirm" and event.payload["to_code"] == "discovery"
    assert [row["stage"].code for row in time_in_stages(moved)] == ["lead_confirm", "discovery"]


@pytest.mark.django_db
def test_skipping_stages_is_refused_with_a_message_and_changes_nothing(personas):
    opportunity = opened(personas)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        opportunity_move(opportunity=opportunity, to_stage=stage("won"), by=personas.sales_rep)
    assert "cannot move" in error.value.message_dict["stage"][0]
    opportunity.refresh_from_db()
    assert opportunity.stage.code == "lead_confirm"
    assert StageVisit.objects.filter(opportunity=opportunity).count() == 1
    assert not Event.objects.filter(verb__startswith="opportunity.").exclude(verb="opportunity.created").exists()


@pytest.mark.django_db
def test_losing_needs_a_reason_and_other_needs_words(personas):
    opportunity = opened(personas)
    with pytest.raises(ValidationError) as error:
        opportunity_move(opportunity=opportunity, to_stage=stage("lost"), by=personas.sales_rep)
    assert "lost_reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        opportunity_move(opportunity=opportunity, to_stage=stage("lost"), by=personas.sales_rep, lost_reason="other")
    assert "lost_detail" in error.value.message_dict
    lost = opportunity_move(opportunity=opportunity, to_stage=stage("lost"), by=personas.sales_rep,
                            lost_reason="competitor", lost_detail="选择了竞品")  # fmt: skip
    assert lost.closed_at is not None and lost.lost_reason == "competitor"
    assert Event.objects.get(verb="opportunity.lost").payload["lost_detail"] == "选择了竞品"


@pytest.mark.django_db
def test_winning_goes_through_negotiation_and_reopening_a_lost_deal_clears_the_reason(personas):
    opportunity = opened(personas)
    for code in ("discovery", "proposal", "negotiation", "won"):
        opportunity = opportunity_move(opportunity=opportunity, to_stage=stage(code), by=personas.sales_rep)
    assert opportunity.closed_at is not None and opportunity.probability == 100
    assert allowed_moves(opportunity) == []
    other = opened(personas)
    other = opportunity_move(opportunity=other, to_stage=stage("lost"), by=personas.sales_rep, lost_reason="price")
    reopened = opportunity_move(opportunity=other, to_stage=stage("lead_confirm"), by=personas.sales_rep)
    assert reopened.closed_at is None and reopened.lost_reason == ""
    assert Event.objects.filter(verb="opportunity.reopened").count() == 1


@pytest.mark.django_db
def test_a_stale_move_is_refused(personas):
    opportunity = opened(personas)
    with pytest.raises(ValidationError):
        opportunity_move(opportunity=opportunity, to_stage=stage("discovery"), by=personas.sales_rep,
                         expected_version=opportunity.version - 1)  # fmt: skip


@pytest.mark.django_db
def test_editing_bumps_the_version_and_logs_old_and_new(personas):
    opportunity = opened(personas)
    updated, diff = opportunity_update(opportunity=opportunity, by=personas.sales_rep, expected_version=1,
                                       amount=Decimal("1500000"), close_date=date.today() + timedelta(days=30))  # fmt: skip
    assert updated.version == 2
    assert {c.field for c in diff} == {"amount", "close_date"}
    assert Event.objects.filter(verb="opportunity.updated").count() == 1


@pytest.mark.django_db
def test_a_handoff_needs_a_reason_and_logs_from_and_to(personas):
    opportunity = opened(personas)
    with pytest.raises(ValidationError):
        opportunity_reassign(opportunity=opportunity, owner=personas.other_rep, by=personas.sales_manager, reason=" ")
    moved = opportunity_reassign(opportunity=opportunity, owner=personas.other_rep, by=personas.sales_manager,
                                 reason="客户迁往华北")  # fmt: skip
    assert moved.owner == personas.other_rep
    event = Event.objects.get(verb="opportunity.reassigned")
    assert event.kind == "handoff" and event.payload["from_id"] == personas.sales_rep.pk


@pytest.mark.django_db
def test_the_opportunity_team_is_replaced_and_logged(personas):
    opportunity = opened(personas)
    team = opportunity_team_set(opportunity=opportunity, by=personas.sales_rep,
                                members={personas.engineer: "presales", personas.finance: "finance"})  # fmt: skip
    assert {m.user for m in team} == {personas.engineer, personas.finance}
    team = opportunity_team_set(opportunity=opportunity, by=personas.sales_rep, members={personas.engineer: "solution"})
    assert [(m.user, m.role) for m in team] == [(personas.engineer, "solution")]
    assert Event.objects.filter(verb="opportunity.team_changed").count() == 2


@pytest.mark.django_db
def test_the_timeline_headline_names_the_deal_and_where_it_moved(personas):
    from touchpoint.core.templatetags.touchpoint import event_headline

    opportunity = opened(personas)
    opportunity_move(opportunity=opportunity, to_stage=stage("discovery"), by=personas.sales_rep)
    assert event_headline(Event.objects.get(verb="opportunity.created")) == "集中交易系统升级"
    assert event_headline(Event.objects.get(verb="opportunity.moved")) == "集中交易系统升级: 线索确认 → 需求调研"
