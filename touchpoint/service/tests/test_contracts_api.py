"""The maintenance API: contracts (list, create, edit with a version, renew, cancel), plans with their
inspections, and upgrade campaigns (create, targets, launch, progress), with who may do what."""

from datetime import date

import pytest

from touchpoint.finance.tests.conftest import api_as  # noqa: F401  (fixture)
from touchpoint.service.models import MaintenanceContract, ScheduledOrder, ServiceRequest, UpgradeCampaign
from touchpoint.service.services.plans import plan_create, plan_generate_orders
from touchpoint.service.tests.fixtures_maint import base, contract_a, contract_b, row_counts  # noqa: F401

pytestmark = pytest.mark.django_db
CONTRACTS = "/api/v1/maintenance-contracts/"
PLANS = "/api/v1/maintenance-plans/"
CAMPAIGNS = "/api/v1/upgrade-campaigns/"


def test_the_list_is_scoped_and_filtered(api_as, personas, contract_a, contract_b):  # noqa: F811
    lead = api_as(personas.maintenance_lead)
    assert {row["number"] for row in lead.get(CONTRACTS).json()["results"]} == {contract_a.number, contract_b.number}
    assert [row["number"] for row in lead.get(CONTRACTS + "?tier=premium").json()["results"]] == [contract_a.number]
    rep = api_as(personas.sales_rep)
    assert [row["number"] for row in rep.get(CONTRACTS).json()["results"]] == [contract_a.number]
    assert rep.get(f"{CONTRACTS}{contract_b.pk}/").status_code == 404
    assert lead.get(CONTRACTS + "?colour=red").status_code == 400
    assert lead.get(CONTRACTS + "abc/").status_code == 404


def test_the_lead_creates_a_contract_and_a_module_of_another_customer_is_refused(api_as, personas, base):  # noqa: F811
    lead = api_as(personas.maintenance_lead)
    body = {"customer": personas.customer_a.pk, "starts_on": "2027-01-01", "ends_on": "2027-12-31", "price": "90000.00",
            "items": [base.core_a.pk], "tier": "premium"}  # fmt: skip
    created = lead.post(CONTRACTS, body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["items"][0]["id"] == base.core_a.pk and created.json()["kind"] == "maintenance"
    before = row_counts()
    refused = lead.post(CONTRACTS, {**body, "items": [base.core_b.pk]}, format="json")
    assert refused.status_code == 400 and "items" in refused.json()
    backwards = lead.post(CONTRACTS, {**body, "ends_on": "2026-01-01"}, format="json")
    assert backwards.status_code == 400 and "ends_on" in backwards.json()
    assert row_counts() == before


def test_a_rep_may_read_but_not_create_edit_or_renew(api_as, personas, contract_a):  # noqa: F811
    rep = api_as(personas.sales_rep)
    assert rep.post(CONTRACTS, {"customer": personas.customer_a.pk}, format="json").status_code == 403
    assert rep.patch(f"{CONTRACTS}{contract_a.pk}/", {"version": 1, "price": "1"}, format="json").status_code == 403
    assert rep.post(f"{CONTRACTS}{contract_a.pk}/renew/", {}, format="json").status_code == 403
    assert MaintenanceContract.objects.count() == 1


def test_an_edit_with_a_stale_version_is_a_409(api_as, personas, contract_a):  # noqa: F811
    lead = api_as(personas.maintenance_lead)
    url = f"{CONTRACTS}{contract_a.pk}/"
    assert lead.patch(url, {"version": 1, "price": "130000"}, format="json").json()["version"] == 2
    stale = lead.patch(url, {"version": 1, "price": "1"}, format="json")
    assert stale.status_code == 409
    assert lead.patch(url, {"price": "1"}, format="json").status_code == 400  # no version
    assert str(MaintenanceContract.objects.get(pk=contract_a.pk).price) == "130000.00"


def test_renew_once_then_refused_and_a_cancelled_one_never(api_as, personas, contract_a, contract_b):  # noqa: F811
    lead = api_as(personas.maintenance_lead)
    renewed = lead.post(f"{CONTRACTS}{contract_a.pk}/renew/", {"price": "125000"}, format="json")
    assert renewed.status_code == 201
    assert (renewed.json()["starts_on"], renewed.json()["ends_on"], renewed.json()["renewal_of"]) == (
        "2027-01-01",
        "2027-12-31",
        contract_a.pk,
    )
    assert lead.get(f"{CONTRACTS}{contract_a.pk}/").json()["renewed_by"] == renewed.json()["id"]
    assert lead.post(f"{CONTRACTS}{contract_a.pk}/renew/", {}, format="json").status_code == 400
    assert lead.post(f"{CONTRACTS}{contract_b.pk}/cancel/", {"reason": ""}, format="json").status_code == 400
    assert lead.post(f"{CONTRACTS}{contract_b.pk}/cancel/", {"reason": "客户终止"}, format="json").json()["status"] == "cancelled"
    assert lead.post(f"{CONTRACTS}{contract_b.pk}/renew/", {}, format="json").status_code == 400


def test_plans_and_the_checklist_through_the_api(api_as, personas, contract_a):  # noqa: F811
    lead = api_as(personas.maintenance_lead)
    created = lead.post(PLANS, {"contract": contract_a.pk, "name": "月度巡检", "frequency": "monthly",
                                "checklist": ["检查磁盘", "核对行情延迟"], "next_due_on": "2026-02-01"}, format="json")  # fmt: skip
    assert created.status_code == 201, created.json()
    plan_id = created.json()["id"]
    plan_generate_orders(today=date(2026, 1, 28))
    orders = lead.get(f"{PLANS}{plan_id}/orders/").json()
    assert [o["due_on"] for o in orders] == ["2026-02-01"]
    url = f"{PLANS}{plan_id}/orders/{orders[0]['id']}/checklist/"
    assert api_as(personas.engineer).post(url, {"results": [{"result": "ok"}] * 2}, format="json").status_code == 403
    bad = api_as(personas.maintenance_agent).post(
        url, {"results": [{"result": "issue"}, {"result": "ok"}], "complete": True}, format="json"
    )
    assert bad.status_code == 400 and "results.1" in bad.json()
    answers = [{"result": "ok"}, {"result": "na", "note": "无行情"}]
    done = api_as(personas.maintenance_agent).post(url, {"results": answers, "complete": True}, format="json")
    assert done.status_code == 200 and done.json()["completed_by"] == personas.maintenance_agent.pk
    stale = lead.patch(f"{PLANS}{plan_id}/", {"version": 9, "name": "x"}, format="json")
    assert stale.status_code == 409


def test_a_sales_rep_cannot_plan_or_record_another_customers_inspection(api_as, personas, contract_a, contract_b):  # noqa: F811
    plan = plan_create(by=personas.maintenance_lead, contract=contract_b, name="季度巡检", checklist=["检查"],
                       next_due_on=date(2026, 3, 1))  # fmt: skip
    plan_generate_orders(today=date(2026, 3, 1))
    order = ScheduledOrder.objects.get()
    rep = api_as(personas.sales_rep)
    assert rep.post(PLANS, {"contract": contract_a.pk, "name": "x", "checklist": ["a"], "next_due_on": "2026-03-01"},
                    format="json").status_code == 403  # fmt: skip
    assert rep.get(f"{PLANS}{plan.pk}/").status_code == 404
    assert rep.post(f"{PLANS}{plan.pk}/orders/{order.pk}/checklist/", {"results": [{"result": "ok"}]}, format="json").status_code == 404


def test_a_campaign_from_creation_to_progress(api_as, personas, base):  # noqa: F811
    lead = api_as(personas.maintenance_lead)
    created = lead.post(CAMPAIGNS, {"name": "交易所新规", "reason": "regulation", "product": base.product.pk,
                                    "from_versions": [base.v51.pk, base.v52.pk], "target_version": base.v60.pk,
                                    "due_on": "2027-03-31"}, format="json")  # fmt: skip
    assert created.status_code == 201, created.json()
    campaign_id = created.json()["id"]
    targets = lead.get(f"{CAMPAIGNS}{campaign_id}/targets/").json()
    assert {t["customer"] for t in targets} == {personas.customer_a.pk, personas.customer_b.pk}
    first = lead.post(f"{CAMPAIGNS}{campaign_id}/launch/")
    again = lead.post(f"{CAMPAIGNS}{campaign_id}/launch/")
    assert (first.json()["opened"], again.json()["opened"]) == (2, 0)
    assert ServiceRequest.objects.filter(category="upgrade").count() == 2
    target_b = next(t for t in targets if t["customer"] == personas.customer_b.pk)
    skip = lead.patch(f"{CAMPAIGNS}{campaign_id}/targets/{target_b['id']}/", {"status": "skipped"}, format="json")
    assert skip.status_code == 400 and "reason" in skip.json()
    lead.patch(f"{CAMPAIGNS}{campaign_id}/targets/{target_b['id']}/", {"status": "skipped", "reason": "暂缓"}, format="json")
    progress = lead.get(f"{CAMPAIGNS}{campaign_id}/progress/").json()
    assert progress == {"total": 2, "pending": 0, "scheduled": 1, "done": 0, "skipped": 1, "requests_open": 2, "percent_done": 50}


def test_a_campaign_for_versions_nobody_runs_cannot_launch(api_as, personas, base):  # noqa: F811
    lead = api_as(personas.maintenance_lead)
    created = lead.post(CAMPAIGNS, {"name": "空活动", "product": base.product.pk, "from_versions": [base.v60.pk],
                                    "target_version": base.v60.pk, "due_on": "2027-03-31"}, format="json")  # fmt: skip
    assert created.status_code == 400 and "from_versions" in created.json()
    base.core_a.delete()
    base.risk_a.delete()
    base.core_b.delete()
    created = lead.post(CAMPAIGNS, {"name": "空活动", "product": base.product.pk, "target_version": base.v60.pk,
                                    "due_on": "2027-03-31"}, format="json")  # fmt: skip
    launch = lead.post(f"{CAMPAIGNS}{created.json()['id']}/launch/")
    assert launch.status_code == 400 and "nobody to upgrade" in str(launch.json())
    assert UpgradeCampaign.objects.get().status == "draft"


def test_only_campaign_managers_launch(api_as, personas, base):  # noqa: F811
    lead = api_as(personas.maintenance_lead)
    created = lead.post(CAMPAIGNS, {"name": "升级", "product": base.product.pk, "target_version": base.v60.pk,
                                    "due_on": "2027-03-31"}, format="json")  # fmt: skip
    agent = api_as(personas.maintenance_agent)
    assert agent.get(f"{CAMPAIGNS}{created.json()['id']}/progress/").status_code == 200
    assert agent.post(f"{CAMPAIGNS}{created.json()['id']}/launch/").status_code == 403
    assert agent.post(CAMPAIGNS, {}, format="json").status_code == 403
    assert api_as(personas.sales_rep).get(CAMPAIGNS).json()["results"] == []
    assert not ServiceRequest.objects.exists()


def test_the_contract_list_query_count_does_not_grow_with_rows(api_as, personas, base, django_assert_num_queries):  # noqa: F811
    from touchpoint.service.tests.fixtures_maint import make_contract

    for year in (2024, 2025):
        make_contract(personas, base, starts_on=date(year, 1, 1), ends_on=date(year, 12, 31))
    lead = api_as(personas.maintenance_lead)
    lead.get(CONTRACTS)  # the policy table is cached after the first request
    with django_assert_num_queries(8):
        lead.get(CONTRACTS)
    for year in (2026, 2027, 2028):
        make_contract(personas, base, starts_on=date(year, 1, 1), ends_on=date(year, 12, 31))
    with django_assert_num_queries(8):
        assert len(lead.get(CONTRACTS).json()["results"]) == 5


@pytest.fixture
def portal_user_a(personas):
    """A customer user of customer A: no position, and a portal scope naming customer A."""
    from touchpoint.core.extensions import portal_scopes
    from touchpoint.testing import make_user

    user = make_user("portal-a", None, "sales", "客户甲")
    portal_scopes["test-maint"] = lambda someone: frozenset({personas.customer_a.pk}) if getattr(someone, "pk", None) == user.pk else None
    yield user
    portal_scopes.pop("test-maint", None)


def test_a_portal_user_sees_only_their_own_customers_contracts_and_changes_nothing(api_as, personas, contract_a, contract_b, portal_user_a):  # noqa: F811
    client = api_as(portal_user_a)
    assert [row["number"] for row in client.get(CONTRACTS).json()["results"]] == [contract_a.number]
    assert client.get(f"{CONTRACTS}{contract_b.pk}/").status_code == 404
    assert client.get(f"{CONTRACTS}?customer={personas.customer_b.pk}").json()["results"] == []
    assert client.patch(f"{CONTRACTS}{contract_a.pk}/", {"version": 1, "price": "1"}, format="json").status_code == 403
    assert client.post(f"{CONTRACTS}{contract_a.pk}/renew/", {}, format="json").status_code == 403
    assert client.post(CONTRACTS, {"customer": personas.customer_a.pk}, format="json").status_code == 403
    assert client.get(CAMPAIGNS).json()["results"] == []
    assert MaintenanceContract.objects.count() == 2
