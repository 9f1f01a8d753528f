"""Sales settings pages: only catalogue managers open them; bad input gets field errors and saves nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from touchpoint.sales.models import (
    DiscountLimit,
    MilestoneTemplate,
    MilestoneTemplateItem,
    Pipeline,
    RequirementArea,
    RequirementTemplate,
    StageTransition,
)


def settings_requests():
    pipeline = Pipeline.objects.get(is_default=True)
    stage = pipeline.stages.first()
    area = RequirementArea.objects.first()
    template = MilestoneTemplate.objects.get(is_default=True)
    return [
        (reverse("sales:settings_areas"), {"code": "x", "name": "新", "name_en": "X"}),
        (reverse("sales:settings_area_edit", args=[area.pk]), {"name": "改", "name_en": "X"}),
        (reverse("sales:settings_area_move", args=[area.pk]), {"direction": "down"}),
        (reverse("sales:settings_area_active", args=[area.pk]), {"active": "0"}),
        (reverse("sales:settings_templates"), None),
        (reverse("sales:settings_template_new"), {"name": "T", "items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0"}),
        (reverse("sales:settings_pipelines"), {"name": "P", "name_en": "P"}),
        (reverse("sales:settings_pipeline", args=[pipeline.pk]), {"name": "P", "name_en": "P"}),
        (reverse("sales:settings_stage_new", args=[pipeline.pk]), {"code": "s", "name": "S", "name_en": "S",
                                                                    "order": "5", "probability": "5", "outcome": "open"}),
        (reverse("sales:settings_stage_edit", args=[stage.pk]), {"name": "S", "name_en": "S", "order": "5",
                                                                  "probability": "5", "outcome": "open"}),
        (reverse("sales:settings_pipeline_moves", args=[pipeline.pk]), {}),
        (reverse("sales:settings_milestones"), None),
        (reverse("sales:settings_milestone_new"), {"name": "M", "items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0"}),
        (reverse("sales:settings_milestone_edit", args=[template.pk]), {"name": "M"}),
        (reverse("sales:settings_milestone_delete", args=[template.pk]), {}),
        (reverse("sales:settings_discounts"), {"sales_rep": "99"}),
    ]  # fmt: skip


def settings_snapshot():
    return [list(model.objects.order_by("pk").values()) for model in
            (RequirementArea, RequirementTemplate, Pipeline, StageTransition, MilestoneTemplate, MilestoneTemplateItem,
             DiscountLimit)]  # fmt: skip


@pytest.mark.parametrize("position", ["sales_rep", "sales_manager", "finance", "executive"])
def test_non_managers_get_403_on_every_settings_page_and_nothing_changes(client, personas, position):
    client.force_login(personas.by_position()[position])
    before = settings_snapshot()
    for url, data in settings_requests():
        if not url.endswith(("move/", "active/", "moves/", "delete/", "stages/new/")):
            assert client.get(url).status_code == 403, url
        if data is not None:
            assert client.post(url, data).status_code == 403, url
    assert settings_snapshot() == before


def test_admin_opens_every_settings_page(client, personas):
    client.force_login(personas.admin)
    for url, _data in settings_requests():
        if not url.endswith(("move/", "active/", "moves/", "delete/", "stages/new/")):
            assert client.get(url).status_code == 200, url


def test_settings_appear_in_the_admins_user_menu_only(client, personas):
    client.force_login(personas.admin)
    keys = [item.key for item in client.get(reverse("sales:products")).context["settings_nav"]]
    assert "sales_pipelines" in keys
    client.force_login(personas.sales_rep)
    response = client.get(reverse("sales:products"))
    assert "sales_pipelines" not in [item.key for item in response.context["settings_nav"]]
    assert "products" in [item.key for item in response.context["nav"]]


def milestone_post(rows, name="新模板"):
    data = {"name": name, "items-TOTAL_FORMS": str(len(rows)), "items-INITIAL_FORMS": "0"}
    for index, (title, percent, trigger, event) in enumerate(rows):
        data.update({f"items-{index}-name": title, f"items-{index}-percent": percent, f"items-{index}-trigger": trigger,
                     f"items-{index}-trigger_event": event, f"items-{index}-offset_days": "0"})  # fmt: skip
    return data


def test_milestone_template_not_summing_to_100_is_refused_with_a_message(client, personas):
    client.force_login(personas.admin)
    response = client.post(reverse("sales:settings_milestone_new"),
                           milestone_post([("签约", "30", "signing", ""), ("验收", "60", "signing", "")]))  # fmt: skip
    assert response.status_code == 400
    assert "90" in str(response.context["formset"].non_form_errors())
    assert not MilestoneTemplate.objects.filter(name="新模板").exists()


def test_milestone_event_trigger_without_event_is_a_field_error_in_chinese(client, personas):
    client.force_login(personas.admin)
    client.cookies["django_language"] = "zh-hans"
    response = client.post(reverse("sales:settings_milestone_new"), milestone_post([("验收", "100", "event", "")]),
                           HTTP_ACCEPT_LANGUAGE="zh-hans")  # fmt: skip
    assert response.status_code == 400
    assert "trigger_event" in response.context["formset"].forms[0].errors
    assert not MilestoneTemplate.objects.filter(name="新模板").exists()


def test_milestone_template_summing_to_100_is_saved(client, personas):
    client.force_login(personas.admin)
    response = client.post(reverse("sales:settings_milestone_new"),
                           milestone_post([("签约", "50", "signing", ""), ("上线", "50", "event", "go_live")]))  # fmt: skip
    assert response.status_code == 302
    template = MilestoneTemplate.objects.get(name="新模板")
    assert [i.trigger_event for i in template.items.all()] == ["", "go_live"]


def test_transition_grid_posts_the_ticked_moves(client, personas):
    client.force_login(personas.admin)
    pipeline = Pipeline.objects.get(is_default=True)
    stages = {s.code: s.pk for s in pipeline.stages.all()}
    move = f"{stages['lead_confirm']}-{stages['won']}"
    response = client.post(reverse("sales:settings_pipeline_moves", args=[pipeline.pk]), {"move": [move]})
    assert response.status_code == 302
    assert list(StageTransition.objects.filter(pipeline=pipeline).values_list("from_stage_id", "to_stage_id")) == [
        (stages["lead_confirm"], stages["won"])]  # fmt: skip


def test_unreadable_move_is_a_400_and_changes_nothing(client, personas):
    client.force_login(personas.admin)
    pipeline = Pipeline.objects.get(is_default=True)
    before = StageTransition.objects.count()
    response = client.post(reverse("sales:settings_pipeline_moves", args=[pipeline.pk]), {"move": ["x-1"]})
    assert response.status_code == 400
    assert StageTransition.objects.count() == before


def test_discount_limit_over_100_is_a_field_error(client, personas):
    client.force_login(personas.admin)
    response = client.post(reverse("sales:settings_discounts"), {"sales_rep": "150", "sales_manager": "20"})
    assert response.status_code == 400
    assert "sales_rep" in response.context["form"].errors
    assert DiscountLimit.objects.get(position="sales_manager").max_discount_percent == Decimal(25)


def test_stage_probability_over_100_is_a_field_error(client, personas):
    client.force_login(personas.admin)
    stage = Pipeline.objects.get(is_default=True).stages.get(code="proposal")
    response = client.post(reverse("sales:settings_stage_edit", args=[stage.pk]),
                           {"name": stage.name, "name_en": stage.name_en, "order": "30", "probability": "120",
                            "outcome": "open"})  # fmt: skip
    assert response.status_code == 400
    assert "probability" in response.context["form"].errors
    stage.refresh_from_db()
    assert stage.probability == 50


def test_requirement_template_is_saved_with_items(client, personas):
    client.force_login(personas.admin)
    area = RequirementArea.objects.get(code="order_entry")
    data = {"name": "经纪业务", "description": "", "is_active": "on", "items-TOTAL_FORMS": "2", "items-INITIAL_FORMS": "0",
            "items-0-area": area.pk, "items-0-description": "委托下单", "items-0-priority": "must",
            "items-1-area": "", "items-1-description": "", "items-1-priority": "should"}  # fmt: skip
    response = client.post(reverse("sales:settings_template_new"), data)
    assert response.status_code == 302
    assert RequirementTemplate.objects.get(name="经纪业务").items.count() == 1
