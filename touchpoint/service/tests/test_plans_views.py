"""The routine maintenance pages: plans listed and made from a contract, edited against a version, and
the inspection's checklist recorded line by line, with field errors in the user's language."""

from datetime import date

import pytest
from django.urls import reverse

from touchpoint.service.models import MaintenancePlan, ScheduledOrder
from touchpoint.service.services.plans import plan_create, plan_generate_orders
from touchpoint.service.tests.fixtures_maint import base, contract_a, contract_b  # noqa: F401

pytestmark = pytest.mark.django_db


def as_user(client, user, language="en"):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


@pytest.fixture
def plan(personas, contract_a):  # noqa: F811
    return plan_create(by=personas.maintenance_lead, contract=contract_a, name="季度巡检", checklist=["检查磁盘", "核对行情延迟"],
                       next_due_on=date(2026, 3, 15))  # fmt: skip


@pytest.fixture
def order(plan):
    plan_generate_orders(today=date(2026, 3, 10))
    return ScheduledOrder.objects.get(plan=plan)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_plan_pages_render_in_both_languages(client, personas, plan, order, language):
    as_user(client, personas.maintenance_lead, language)
    for url in (reverse("service:plan_list"), reverse("service:plan_detail", args=[plan.pk]), reverse("service:plan_edit", args=[plan.pk]),
                reverse("service:order_checklist", args=[order.pk])):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
        assert "季度巡检" in response.content.decode()


def test_the_lead_makes_a_plan_from_the_contract_page(client, personas, contract_a):  # noqa: F811
    as_user(client, personas.maintenance_lead)
    url = reverse("service:plan_new") + f"?contract={contract_a.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, {"contract": contract_a.pk, "name": "月度巡检", "frequency": "monthly",
                                 "next_due_on": "2026-02-01", "checklist": "检查磁盘\n备份演练"})  # fmt: skip
    plan = MaintenancePlan.objects.get(name="月度巡检")
    assert response.status_code == 302 and plan.checklist == ["检查磁盘", "备份演练"]


def test_a_plan_outside_the_contract_is_a_field_error_in_chinese(client, personas, contract_a):  # noqa: F811
    as_user(client, personas.maintenance_lead, "zh-hans")
    response = client.post(reverse("service:plan_new") + f"?contract={contract_a.pk}", {
        "name": "巡检", "frequency": "monthly", "next_due_on": "2027-06-01", "checklist": "检查"})  # fmt: skip
    assert response.status_code == 400 and "next_due_on" in response.context["form"].errors
    assert not MaintenancePlan.objects.exists()


def test_a_guessed_contract_id_sends_back_to_the_list(client, personas, contract_b):  # noqa: F811
    as_user(client, personas.maintenance_lead)
    response = client.get(reverse("service:plan_new") + "?contract=99999999")
    assert response.status_code == 302 and response["Location"] == reverse("service:contract_list")


def test_the_agent_records_the_checklist_and_an_unexplained_issue_is_shown_on_its_line(client, personas, order):
    as_user(client, personas.maintenance_agent)
    url = reverse("service:order_checklist", args=[order.pk])
    refused = client.post(url, {"result-1": "ok", "result-2": "issue", "note-2": "", "complete": "1"})
    assert refused.status_code == 400 and "Check 2: describe the issue." in refused.content.decode()
    order.refresh_from_db()
    assert order.completed_at is None
    done = client.post(url, {"result-1": "ok", "result-2": "issue", "note-2": "延迟 300ms", "complete": "1"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.completed_by == personas.maintenance_agent and order.results[1]["note"] == "延迟 300ms"


def test_a_rep_sees_their_customers_plan_but_cannot_record_or_edit(client, personas, plan, order):
    as_user(client, personas.sales_rep)
    assert client.get(reverse("service:plan_detail", args=[plan.pk])).status_code == 200
    assert client.get(reverse("service:plan_edit", args=[plan.pk])).status_code == 403
    assert client.post(reverse("service:order_checklist", args=[order.pk]), {"result-1": "ok"}).status_code == 403
    as_user(client, personas.other_rep)
    assert client.get(reverse("service:plan_detail", args=[plan.pk])).status_code == 404
    assert client.get(reverse("service:order_checklist", args=[order.pk])).status_code == 404


def test_a_stale_plan_edit_is_refused_on_the_page(client, personas, plan):
    as_user(client, personas.maintenance_lead)
    url = reverse("service:plan_edit", args=[plan.pk])
    fields = {"name": "新名称", "frequency": "quarterly", "next_due_on": "2026-03-15", "checklist": "检查磁盘", "is_active": "on"}
    assert client.post(url, {**fields, "version": 1}).status_code == 302
    stale = client.post(url, {**fields, "name": "旧", "version": 1})
    assert stale.status_code == 400
    assert MaintenancePlan.objects.get(pk=plan.pk).name == "新名称"


def test_the_plan_pages_query_counts_are_pinned(client, personas, plan, order, django_assert_num_queries):
    as_user(client, personas.maintenance_lead)
    pages = [(reverse("service:plan_list"), 7), (reverse("service:plan_detail", args=[plan.pk]), 6),
             (reverse("service:order_checklist", args=[order.pk]), 5)]  # fmt: skip
    for url, _count in pages:
        client.get(url)
    for url, count in pages:
        with django_assert_num_queries(count):
            assert client.get(url).status_code == 200
