"""Sales settings services: milestone templates sum to 100, the move grid, discount limit bounds, areas."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from touchpoint.core.models import Event
from touchpoint.sales.models import (
    DiscountLimit,
    MilestoneTemplate,
    Pipeline,
    RequirementArea,
    RequirementTemplate,
    StageTransition,
)
from touchpoint.sales.services import settings as services
from touchpoint.sales.services.settings import MilestoneItemSpec, TemplateItemSpec


def items(*shares, trigger="signing", event=""):
    return [MilestoneItemSpec(name=f"第{i}期", percent=Decimal(share), trigger=trigger, trigger_event=event)
            for i, share in enumerate(shares, start=1)]  # fmt: skip


def test_milestone_template_must_sum_to_exactly_100(personas):
    with pytest.raises(ValidationError) as error:
        services.milestone_template_save(by=personas.admin, template=None, name="新模板", items=items("30", "40", "20"))
    assert "percent" in error.value.error_dict
    assert "90" in error.value.error_dict["percent"][0].messages[0]
    assert not MilestoneTemplate.objects.filter(name="新模板").exists()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=6))
def test_milestone_shares_pass_only_when_they_add_up_to_100(shares):
    specs = items(*[str(s) for s in shares])
    if sum(shares) == 100:
        services.check_milestone_items(specs)
    else:
        with pytest.raises(ValidationError):
            services.check_milestone_items(specs)


def test_delivery_event_trigger_needs_the_event(personas):
    with pytest.raises(ValidationError) as error:
        services.milestone_template_save(by=personas.admin, template=None, name="缺事件", items=items("100", trigger="event"))
    assert "trigger_event" in error.value.error_dict


def test_saving_a_template_replaces_its_items_and_can_become_default(personas):
    old_default = MilestoneTemplate.objects.get(is_default=True)
    template = services.milestone_template_save(
        by=personas.admin, template=None, name="50/50", is_default=True,
        items=[MilestoneItemSpec("签约款", Decimal(50), "signing"),
               MilestoneItemSpec("验收款", Decimal(50), "event", "delivery_accepted", 90)],
    )  # fmt: skip
    assert list(template.items.values_list("percent", flat=True)) == [Decimal(50), Decimal(50)]
    old_default.refresh_from_db()
    assert not old_default.is_default
    with pytest.raises(ValidationError):
        services.milestone_template_delete(template=template, by=personas.admin)
    services.milestone_template_delete(template=old_default, by=personas.admin)
    assert MilestoneTemplate.objects.count() == 1


def test_the_only_default_template_cannot_be_unset(personas):
    default = MilestoneTemplate.objects.get(is_default=True)
    with pytest.raises(ValidationError) as error:
        services.milestone_template_save(by=personas.admin, template=default, name=default.name, is_default=False,
                                         items=items("100"))  # fmt: skip
    assert "is_default" in error.value.error_dict
    assert default.items.count() == 4


def test_transition_grid_replaces_the_allowed_moves(personas):
    pipeline = Pipeline.objects.get(is_default=True)
    stages = {s.code: s.pk for s in pipeline.stages.all()}
    result = services.pipeline_set_transitions(
        pipeline=pipeline, by=personas.admin,
        moves=[(stages["lead_confirm"], stages["discovery"]), (stages["discovery"], stages["won"])],
    )  # fmt: skip
    assert result["added"] == 1
    pairs = set(StageTransition.objects.filter(pipeline=pipeline).values_list("from_stage__code", "to_stage__code"))
    assert pairs == {("lead_confirm", "discovery"), ("discovery", "won")}
    assert Event.objects.filter(verb=services.SETTINGS_CHANGED, payload__setting="stage_moves").exists()


def test_transition_grid_refuses_stages_of_another_pipeline_and_changes_nothing(personas):
    pipeline = Pipeline.objects.get(is_default=True)
    other = services.pipeline_create(by=personas.admin, name="续约流程", name_en="Renewal")
    foreign = services.stage_create(by=personas.admin, pipeline=other, code="renew", name="续约", name_en="Renew",
                                    order=10, probability=50)  # fmt: skip
    before = StageTransition.objects.filter(pipeline=pipeline).count()
    first = pipeline.stages.first()
    with pytest.raises(ValidationError):
        services.pipeline_set_transitions(pipeline=pipeline, by=personas.admin, moves=[(first.pk, foreign.pk)])
    with pytest.raises(ValidationError):
        services.pipeline_set_transitions(pipeline=pipeline, by=personas.admin, moves=[(first.pk, first.pk)])
    assert StageTransition.objects.filter(pipeline=pipeline).count() == before


def test_stage_probability_must_be_0_to_100(personas):
    pipeline = Pipeline.objects.get(is_default=True)
    stage = pipeline.stages.get(code="proposal")
    with pytest.raises(ValidationError) as error:
        services.stage_update(stage=stage, by=personas.admin, name=stage.name, name_en=stage.name_en, order=stage.order,
                              probability=101, outcome="open")  # fmt: skip
    assert "probability" in error.value.error_dict


def test_default_pipeline_moves_to_another(personas):
    old = Pipeline.objects.get(is_default=True)
    new = services.pipeline_create(by=personas.admin, name="大客户流程", name_en="Key accounts")
    with pytest.raises(ValidationError):  # no open stage yet
        services.pipeline_update(pipeline=new, by=personas.admin, name=new.name, name_en=new.name_en, is_active=True,
                                 is_default=True)  # fmt: skip
    services.stage_create(by=personas.admin, pipeline=new, code="start", name="开始", name_en="Start", order=10,
                          probability=10)  # fmt: skip
    services.pipeline_update(pipeline=new, by=personas.admin, name=new.name, name_en=new.name_en, is_active=True,
                             is_default=True)  # fmt: skip
    old.refresh_from_db()
    assert not old.is_default
    assert Pipeline.objects.get(is_default=True) == new


@pytest.mark.parametrize("value", [Decimal("-1"), Decimal("100.01")])
def test_discount_limit_outside_0_to_100_is_refused(personas, value):
    with pytest.raises(ValidationError) as error:
        services.discount_limits_save(by=personas.admin, limits={"sales_rep": value})
    assert "sales_rep" in error.value.error_dict
    assert DiscountLimit.objects.get(position="sales_rep").max_discount_percent == Decimal(10)


def test_discount_limits_are_set_and_removed(personas):
    changed = services.discount_limits_save(by=personas.admin,
                                            limits={"sales_rep": Decimal(12), "finance": Decimal(0), "admin": None})  # fmt: skip
    assert set(changed) == {"sales_rep", "finance", "admin"}
    assert DiscountLimit.objects.get(position="sales_rep").max_discount_percent == Decimal(12)
    assert not DiscountLimit.objects.filter(position="admin").exists()


def test_areas_add_rename_reorder_and_deactivate(personas):
    added = services.area_create(by=personas.admin, code="wealth", name="财富管理", name_en="Wealth management")
    assert added.order > RequirementArea.objects.exclude(pk=added.pk).order_by("-order").first().order
    services.area_update(area=added, by=personas.admin, name="财富", name_en="Wealth")
    services.area_move(area=added, by=personas.admin, step=-1)
    codes = list(RequirementArea.objects.order_by("order").values_list("code", flat=True))
    assert codes[-2] == "wealth"
    services.area_set_active(area=added, by=personas.admin, is_active=False)
    assert not RequirementArea.objects.get(code="wealth").is_active
    with pytest.raises(ValidationError):
        services.area_create(by=personas.admin, code="wealth", name="重复", name_en="Dup")


def test_requirement_template_needs_items(personas):
    with pytest.raises(ValidationError) as error:
        services.requirement_template_save(by=personas.admin, template=None, name="空模板", items=[])
    assert "items" in error.value.error_dict
    template = services.requirement_template_save(
        by=personas.admin, template=None, name="经纪", items=[
            TemplateItemSpec(RequirementArea.objects.get(code="order_entry"), "委托", "must")],
    )  # fmt: skip
    assert RequirementTemplate.objects.get(pk=template.pk).items.count() == 1
