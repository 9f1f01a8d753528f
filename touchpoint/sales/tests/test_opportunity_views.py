"""The opportunity pages: list, export, board with drag-and-drop moves, create, detail, edit, handoff, team."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from touchpoint.core.models import Event
from touchpoint.customers.services import customer_create
from touchpoint.sales.models import Opportunity, OpportunityMember, RequirementArea, Stage, StageVisit
from touchpoint.sales.services.opportunities import opportunity_create, opportunity_move
from touchpoint.sales.services.requirements import requirement_add
from touchpoint.testing_matrix import text_of


def stage(code: str) -> Stage:
    return Stage.objects.get(pipeline__is_default=True, code=code)


def open_one(personas, title="集中交易系统升级", owner=None, customer=None, **extra) -> Opportunity:
    owner = owner or personas.sales_rep
    values = {"close_date": date(2027, 3, 31), "amount": Decimal("1200000"), **extra}
    return opportunity_create(by=owner, customer=customer or personas.customer_a, title=title, owner=owner, **values)


def many(personas, count, owner=None):
    owner = owner or personas.sales_rep
    return [open_one(personas, title=f"商机{index}", owner=owner) for index in range(count)]


# --- List and export ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_the_reps_own_opportunities_only(client, personas):
    mine = open_one(personas)
    theirs = open_one(personas, title="他人的商机", owner=personas.other_rep, customer=personas.customer_b)
    client.force_login(personas.sales_rep)
    response = client.get(reverse("sales:opportunities"))
    assert response.status_code == 200
    assert [o.pk for o in response.context["page"]] == [mine.pk]
    assert theirs.title not in response.content.decode()


@pytest.mark.django_db
def test_list_filters_by_stage_owner_month_and_search(client, personas):
    first = open_one(personas, title="行情系统", close_date=date(2027, 1, 15))
    second = open_one(personas, title="两融系统", close_date=date(2027, 2, 10))
    opportunity_move(opportunity=second, to_stage=stage("discovery"), by=personas.sales_rep)
    client.force_login(personas.sales_manager)
    page = client.get(reverse("sales:opportunities"), {"stage": stage("discovery").pk}).context["page"]
    assert [o.pk for o in page] == [second.pk]
    page = client.get(reverse("sales:opportunities"), {"close_month": "2027-01"}).context["page"]
    assert [o.pk for o in page] == [first.pk]
    page = client.get(reverse("sales:opportunities"), {"q": "行情"}).context["page"]
    assert [o.pk for o in page] == [first.pk]
    page = client.get(reverse("sales:opportunities"), {"q": "华泰", "sort": "-close"}).context["page"]
    assert [o.pk for o in page] == [second.pk, first.pk]
    page = client.get(reverse("sales:opportunities"), {"owner": personas.other_rep.pk}).context["page"]
    assert list(page) == []


@pytest.mark.django_db
def test_an_invalid_filter_is_a_400_not_a_500(client, personas):
    client.force_login(personas.sales_rep)
    assert client.get(reverse("sales:opportunities"), {"close_month": "not-a-month"}).status_code == 400
    assert client.get(reverse("sales:opportunities"), {"stage": "99999"}).status_code == 400


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(client, personas, django_assert_num_queries):
    client.force_login(personas.sales_manager)
    many(personas, 3)
    url = reverse("sales:opportunities")
    client.get(url)
    with django_assert_num_queries(10) as first:
        client.get(url, {"open_only": "on", "sort": "-amount"})
    many(personas, 30)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url, {"open_only": "on", "sort": "-amount"})


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_lists_what_the_user_may_export_with_formulas_neutralised(client, personas, fmt):
    open_one(personas, title="=HYPERLINK(\"x\")")
    open_one(personas, title="他人的商机", owner=personas.other_rep, customer=personas.customer_b)
    client.force_login(personas.sales_rep)
    response = client.get(reverse("sales:opportunity_export"), {"format": fmt})
    assert response.status_code == 200
    text = text_of(response)
    assert "'=HYPERLINK" in text
    assert "他人的商机" not in text


@pytest.mark.django_db
def test_export_is_refused_without_the_export_right(client, personas):
    client.force_login(personas.engineer)
    assert client.get(reverse("sales:opportunity_export")).status_code == 403


# --- The kanban board --------------------------------------------------------------------------


@pytest.mark.django_db
def test_board_has_a_column_per_stage_with_cards_and_totals(client, personas):
    open_one(personas, amount=Decimal("1000000"))
    moved = open_one(personas, title="行情", amount=Decimal("400000"))
    opportunity_move(opportunity=moved, to_stage=stage("discovery"), by=personas.sales_rep)
    client.force_login(personas.sales_rep)
    response = client.get(reverse("sales:opportunity_board"))
    assert response.status_code == 200
    columns = {c.stage.code: c for c in response.context["columns"]}
    assert list(columns) == ["lead_confirm", "discovery", "proposal", "negotiation", "won", "lost"]
    assert columns["lead_confirm"].count == 1
    assert columns["lead_confirm"].amount == Decimal("1000000")
    assert columns["lead_confirm"].weighted == Decimal("100000")
    assert columns["discovery"].weighted == Decimal("100000")
    assert [c.pk for c in columns["discovery"].cards] == [moved.pk]
    html = response.content.decode()
    assert 'draggable="true"' in html and "sales/opportunities.js" in html
    assert "<script>" not in html  # the CSP forbids inline scripts


@pytest.mark.django_db
def test_board_caps_cards_per_column_and_links_to_the_rest(client, personas, settings, monkeypatch):
    from touchpoint.sales import selectors

    monkeypatch.setattr(selectors, "BOARD_CARDS_PER_COLUMN", 3)
    monkeypatch.setattr(selectors.board, "__kwdefaults__", {"owner": None, "per_column": 3})
    many(personas, 5)
    client.force_login(personas.sales_rep)
    response = client.get(reverse("sales:opportunity_board"))
    column = response.context["columns"][0]
    assert column.count == 5 and len(column.cards) == 3 and column.more == 2
    assert f"?stage={column.stage.pk}" in response.content.decode()


@pytest.mark.django_db
def test_board_query_count_does_not_grow_with_cards(client, personas, django_assert_num_queries):
    client.force_login(personas.sales_manager)
    many(personas, 2)
    url = reverse("sales:opportunity_board")
    client.get(url)
    with django_assert_num_queries(9) as first:
        client.get(url)
    many(personas, 40)
    many(personas, 5, owner=personas.sales_manager)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)


@pytest.mark.django_db
def test_dropping_a_card_on_the_next_stage_moves_it_and_answers_the_board(client, personas):
    opportunity = open_one(personas)
    client.force_login(personas.sales_rep)
    response = client.post(
        reverse("sales:opportunity_move", args=[opportunity.pk]),
        {"stage": stage("discovery").pk, "version": opportunity.version, "board_query": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'id="board"' in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.stage.code == "discovery"
    assert Event.objects.filter(verb="opportunity.moved", target_id=opportunity.pk).exists()


@pytest.mark.django_db
def test_an_illegal_drop_is_refused_with_the_services_message_and_nothing_changes(client, personas):
    opportunity = open_one(personas)
    client.force_login(personas.sales_rep)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("sales:opportunity_move", args=[opportunity.pk]),
        {"stage": stage("won").pk, "version": opportunity.version}, HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert response.status_code == 400
    assert "cannot move from" in response.content.decode()
    assert "alert-danger" in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.stage.code == "lead_confirm"
    assert StageVisit.objects.filter(opportunity=opportunity).count() == 1


@pytest.mark.django_db
def test_dropping_on_lost_needs_a_reason(client, personas):
    opportunity = open_one(personas)
    url = reverse("sales:opportunity_move", args=[opportunity.pk])
    client.force_login(personas.sales_rep)
    refused = client.post(url, {"stage": stage("lost").pk, "lost_reason": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400
    opportunity.refresh_from_db()
    assert opportunity.stage.code == "lead_confirm"
    moved = client.post(url, {"stage": stage("lost").pk, "lost_reason": "price", "lost_detail": "报价高于竞品"},
                        HTTP_HX_REQUEST="true")  # fmt: skip
    assert moved.status_code == 200
    opportunity.refresh_from_db()
    assert (opportunity.stage.code, opportunity.lost_reason, opportunity.lost_detail) == ("lost", "price", "报价高于竞品")


@pytest.mark.django_db
def test_a_stale_drop_is_refused(client, personas):
    opportunity = open_one(personas)
    opportunity_move(opportunity=opportunity, to_stage=stage("discovery"), by=personas.sales_rep)
    client.force_login(personas.sales_rep)
    response = client.post(reverse("sales:opportunity_move", args=[opportunity.pk]),
                           {"stage": stage("proposal").pk, "version": 1}, HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 400
    assert Opportunity.objects.get(pk=opportunity.pk).stage.code == "discovery"


@pytest.mark.django_db
def test_a_move_from_the_detail_page_redirects_back_with_the_message(client, personas):
    opportunity = open_one(personas)
    client.force_login(personas.sales_rep)
    url = reverse("sales:opportunity_move", args=[opportunity.pk])
    response = client.post(url, {"stage": stage("negotiation").pk}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("sales:opportunity_detail", args=[opportunity.pk])
    assert "alert-danger" in response.content.decode()
    assert Opportunity.objects.get(pk=opportunity.pk).stage.code == "lead_confirm"


# --- Create, detail, edit ------------------------------------------------------------------------


@pytest.mark.django_db
def test_rep_opens_an_opportunity_from_the_customer(client, personas):
    client.force_login(personas.sales_rep)
    url = reverse("sales:opportunity_new", args=[personas.customer_a.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "风控系统", "amount": "800000", "close_date": "2027-06-30",
                                 "competitors": "恒生", "next_step": "技术交流"})  # fmt: skip
    opportunity = Opportunity.objects.get(title="风控系统")
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:opportunity_detail", args=[opportunity.pk])
    assert (opportunity.owner, opportunity.stage.code, opportunity.probability) == (personas.sales_rep, "lead_confirm", 10)


@pytest.mark.django_db
def test_a_bad_create_shows_field_errors_and_writes_nothing(client, personas):
    client.force_login(personas.sales_rep)
    url = reverse("sales:opportunity_new", args=[personas.customer_a.pk])
    response = client.post(url, {"title": "", "amount": "-5", "close_date": "明天"})
    assert response.status_code == 400
    form = response.context["form"]
    assert {"title", "amount", "close_date"} <= set(form.errors)
    assert not Opportunity.objects.exists()


@pytest.mark.django_db
def test_rep_cannot_open_an_opportunity_on_another_reps_customer(client, personas):
    client.force_login(personas.sales_rep)
    url = reverse("sales:opportunity_new", args=[personas.customer_b.pk])
    assert client.get(url).status_code in (403, 404)
    client.post(url, {"title": "越权", "amount": "1", "close_date": "2027-06-30"})
    assert not Opportunity.objects.exists()


@pytest.mark.django_db
def test_the_customer_360_offers_a_new_opportunity_and_lists_them(client, personas):
    opportunity = open_one(personas)
    client.force_login(personas.sales_rep)
    html = client.get(reverse("customers:detail", args=[personas.customer_a.pk])).content.decode()
    assert reverse("sales:opportunity_new", args=[personas.customer_a.pk]) in html
    assert reverse("sales:opportunity_detail", args=[opportunity.pk]) in html


@pytest.mark.django_db
def test_detail_shows_stage_bar_moves_time_in_stage_team_and_events(client, personas):
    opportunity = open_one(personas)
    opportunity_move(opportunity=opportunity, to_stage=stage("discovery"), by=personas.sales_rep)
    client.force_login(personas.sales_rep)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("sales:opportunity_detail", args=[opportunity.pk]))
    assert response.status_code == 200
    assert [s.code for s in response.context["moves"]] == ["lead_confirm", "proposal", "lost"]
    assert [e["stage"].code for e in response.context["time_in_stages"]] == ["lead_confirm", "discovery"]
    html = response.content.decode()
    assert 'id="lost-form"' in html
    assert "Opportunity stage changed" in html


@pytest.mark.django_db
def test_detail_query_count_does_not_grow_with_history(client, personas, django_assert_num_queries):
    opportunity = open_one(personas)
    area = RequirementArea.objects.first()
    requirement_add(opportunity=opportunity, by=personas.sales_rep, area=area, description="行情")
    url = reverse("sales:opportunity_detail", args=[opportunity.pk])
    client.force_login(personas.sales_rep)
    client.get(url)
    # 14, +2 for the quotes section: its list and the "new quote" check.
    with django_assert_num_queries(16) as first:
        client.get(url)
    for code in ["discovery", "proposal", "discovery", "proposal"]:
        opportunity_move(opportunity=opportunity, to_stage=stage(code), by=personas.sales_rep)
    for index in range(5):
        requirement_add(opportunity=opportunity, by=personas.sales_rep, area=area, description=f"需求{index}")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)


@pytest.mark.django_db
def test_edit_saves_and_logs_the_change(client, personas):
    opportunity = open_one(personas)
    client.force_login(personas.sales_rep)
    url = reverse("sales:opportunity_edit", args=[opportunity.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": opportunity.title, "amount": "1500000", "close_date": "2027-03-31",
                                 "probability": "20", "version": opportunity.version})  # fmt: skip
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.amount == Decimal("1500000") and opportunity.probability == 20
    assert Event.objects.filter(verb="opportunity.updated", target_id=opportunity.pk).exists()


@pytest.mark.django_db
def test_a_stale_edit_shows_the_conflict_and_keeps_the_other_change(client, personas):
    opportunity = open_one(personas)
    url = reverse("sales:opportunity_edit", args=[opportunity.pk])
    base = {"title": opportunity.title, "amount": "1200000", "close_date": "2027-03-31", "probability": "10"}
    client.force_login(personas.sales_manager)
    assert client.post(url, {**base, "next_step": "高层拜访", "version": 1}).status_code == 302
    client.force_login(personas.sales_rep)
    response = client.post(url, {**base, "amount": "900000", "version": 1})
    assert response.status_code == 409
    assert 'id="stale-edit"' in response.content.decode()
    opportunity.refresh_from_db()
    assert (opportunity.amount, opportunity.next_step) == (Decimal("1200000"), "高层拜访")


@pytest.mark.django_db
def test_handoff_needs_a_reason_and_logs_it(client, personas):
    opportunity = open_one(personas)
    client.force_login(personas.sales_manager)
    url = reverse("sales:opportunity_reassign", args=[opportunity.pk])
    client.post(url, {"owner": personas.sales_manager.pk, "reason": ""})
    assert Opportunity.objects.get(pk=opportunity.pk).owner == personas.sales_rep
    client.post(url, {"owner": personas.sales_manager.pk, "reason": "客户要求经理跟进"})
    assert Opportunity.objects.get(pk=opportunity.pk).owner == personas.sales_manager
    event = Event.objects.get(verb="opportunity.reassigned")
    assert event.payload["reason"] == "客户要求经理跟进"


@pytest.mark.django_db
def test_team_editor_adds_and_removes_members(client, personas):
    opportunity = open_one(personas)
    client.force_login(personas.sales_rep)
    url = reverse("sales:opportunity_team", args=[opportunity.pk])
    client.post(url, {"user": personas.engineer.pk, "role": "presales"})
    assert OpportunityMember.objects.filter(opportunity=opportunity, user=personas.engineer, role="presales").exists()
    client.post(url, {"remove": personas.engineer.pk})
    assert not OpportunityMember.objects.filter(opportunity=opportunity).exists()


@pytest.mark.django_db
def test_stalled_and_pipeline_panels_on_the_managers_workspace(client, personas):
    quiet = open_one(personas, title="沉默的商机")
    client.force_login(personas.sales_manager)
    response = client.get("/")
    keys = {item["panel"].key: item["context"] for item in response.context["panels"]}
    assert [o.pk for o in keys["stalled_opportunities"]["opportunities"]] == [quiet.pk]
    assert keys["team_pipeline"]["count"] == 1
    assert keys["approvals_waiting"]["approvals"] == []
    customer = personas.customer_a
    customer.last_touch_at = timezone.now() - timedelta(days=1)
    customer.save(update_fields=["last_touch_at"])
    response = client.get("/")
    keys = {item["panel"].key: item["context"] for item in response.context["panels"]}
    assert keys["stalled_opportunities"]["opportunities"] == []


@pytest.mark.django_db
def test_latest_sales_counter_counts_open_opportunities_the_reader_may_see(client, personas):
    open_one(personas)
    lost = open_one(personas, title="已输")
    opportunity_move(opportunity=lost, to_stage=stage("lost"), by=personas.sales_rep, lost_reason="price")
    open_one(personas, title="经理的", owner=personas.sales_manager)
    client.force_login(personas.sales_rep)
    response = client.get(reverse("customers:detail", args=[personas.customer_a.pk]))
    counters = {str(c["label"]): c["value"] for c in response.context["counters"]}
    # The rep's own open one, plus the manager's on the rep's customer ("own" covers the customer's owner).
    assert next(iter(counters.values())) == 2


@pytest.mark.django_db
def test_new_customer_without_opportunities_shows_an_empty_panel(client, personas):
    customer = customer_create(by=personas.sales_rep, owner=personas.sales_rep, name="东方证券股份有限公司",
                               customer_type="securities", province="上海", city="上海")  # fmt: skip
    client.force_login(personas.sales_rep)
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
