"""The maintenance contract pages as the maintenance lead and sales use them: filters, the detail with
its chain and reminders, create, edit with a stale version, renew, cancel; who may see what."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from touchpoint.service.models import MaintenanceContract
from touchpoint.service.services.contracts import contract_renew, renewal_reminders_run
from touchpoint.service.tests.fixtures_maint import base, contract_a, contract_b, make_contract, row_counts  # noqa: F401

pytestmark = pytest.mark.django_db


def as_user(client, user, language="en"):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_lead_sees_the_list_and_the_detail_in_both_languages(client, personas, contract_a, contract_b, language):  # noqa: F811
    as_user(client, personas.maintenance_lead, language)
    page = client.get(reverse("service:contract_list")).content.decode()
    assert contract_a.number in page and contract_b.number in page
    detail = client.get(reverse("service:contract_detail", args=[contract_a.pk]))
    assert detail.status_code == 200 and "上海张江机房" in detail.content.decode()


def test_the_list_filters_by_status_kind_tier_customer_and_ending_soon(client, personas, base, contract_a, contract_b):  # noqa: F811
    soon = make_contract(personas, base, starts_on=timezone.localdate() - timedelta(days=300),
                         ends_on=timezone.localdate() + timedelta(days=20), tier="basic")  # fmt: skip
    as_user(client, personas.maintenance_lead)
    url = reverse("service:contract_list")

    def numbers(query):
        return {c.number for c in client.get(url + query).context["page"]}

    assert contract_a.number in numbers("?tier=premium") and contract_b.number not in numbers("?tier=premium")
    assert numbers("?tier=basic") == {soon.number}
    assert numbers(f"?customer={personas.customer_b.pk}") == {contract_b.number}
    later = make_contract(personas, base, starts_on=timezone.localdate(), ends_on=timezone.localdate() + timedelta(days=200))
    ending = client.get(url + "?ending_within=30").context["page"]
    assert soon.number in {c.number for c in ending} and later.number not in {c.number for c in ending}
    assert all(c.ends_on <= timezone.localdate() + timedelta(days=30) for c in ending)
    assert numbers("?kind=warranty") == set()
    assert numbers("?status=cancelled") == set()
    assert numbers("?q=MC-") >= {contract_a.number, contract_b.number}
    # A malformed filter is ignored, not a 500.
    assert client.get(url + "?ending_within=abc&tier=<script>").status_code == 200


def test_a_rep_sees_only_their_own_customers_contracts(client, personas, contract_a, contract_b):  # noqa: F811
    as_user(client, personas.sales_rep)
    page = client.get(reverse("service:contract_list")).content.decode()
    assert contract_a.number in page and contract_b.number not in page
    assert client.get(reverse("service:contract_detail", args=[contract_b.pk])).status_code == 404
    assert client.get(reverse("service:contract_edit", args=[contract_a.pk])).status_code == 403
    assert client.get(reverse("service:contract_new")).status_code == 403


def test_an_outsider_or_marketing_may_not_open_the_list(client, personas, contract_a):  # noqa: F811
    for user in (personas.outsider, personas.marketing):
        as_user(client, user)
        assert client.get(reverse("service:contract_list")).status_code == 403
        assert client.get(reverse("service:contract_detail", args=[contract_a.pk])).status_code == 404


def test_an_agent_sees_all_but_changes_nothing(client, personas, contract_a):  # noqa: F811
    as_user(client, personas.maintenance_agent)
    assert client.get(reverse("service:contract_detail", args=[contract_a.pk])).status_code == 200
    response = client.post(reverse("service:contract_cancel", args=[contract_a.pk]), {"reason": "试试"})
    assert response.status_code == 403
    assert MaintenanceContract.objects.get(pk=contract_a.pk).status == "active"


def test_the_lead_creates_a_contract_for_a_customer_picked_by_search(client, personas, base):  # noqa: F811
    as_user(client, personas.maintenance_lead)
    url = reverse("service:contract_new")
    assert "华泰证券股份有限公司" in client.get(url + "?q=华泰").content.decode()
    form = client.get(url + f"?customer={personas.customer_a.pk}")
    assert form.status_code == 200 and "Trading core" in form.content.decode()
    response = client.post(url, {"customer": personas.customer_a.pk, "kind": "maintenance", "tier": "standard",
                                 "starts_on": "2027-01-01", "ends_on": "2027-12-31", "price": "80000",
                                 "items": [base.core_a.pk], "sites": "深圳福田机房"})  # fmt: skip
    created = MaintenanceContract.objects.get(customer=personas.customer_a, starts_on=date(2027, 1, 1))
    assert response.status_code == 302 and response["Location"] == reverse("service:contract_detail", args=[created.pk])
    assert list(created.items.all()) == [base.core_a]


def test_a_period_ending_before_it_starts_or_another_customers_module_is_a_field_error(client, personas, base):  # noqa: F811
    as_user(client, personas.maintenance_lead)
    before = row_counts()
    response = client.post(reverse("service:contract_new"), {
        "customer": personas.customer_a.pk, "kind": "maintenance", "tier": "standard", "starts_on": "2027-06-01",
        "ends_on": "2027-01-01", "price": "1", "items": [base.core_b.pk]})  # fmt: skip
    assert response.status_code == 400
    form = response.context["form"]
    assert "items" in form.errors  # customer B's module is not among the choices
    assert row_counts() == before


def test_a_stale_edit_shows_the_conflict_and_keeps_the_other_change(client, personas, contract_a):  # noqa: F811
    as_user(client, personas.maintenance_lead)
    url = reverse("service:contract_edit", args=[contract_a.pk])
    fields = {"tier": "premium", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "sites": "上海张江机房", "notes": ""}
    assert client.post(url, {**fields, "price": "130000", "version": 1}).status_code == 302
    response = client.post(url, {**fields, "price": "90000", "version": 1})
    assert response.status_code == 400
    assert "someone changed this record" in response.content.decode()
    assert str(MaintenanceContract.objects.get(pk=contract_a.pk).price) == "130000.00"


def test_renewing_from_the_page_follows_the_old_period(client, personas, contract_a):  # noqa: F811
    as_user(client, personas.maintenance_lead)
    url = reverse("service:contract_renew", args=[contract_a.pk])
    form = client.get(url)
    assert form.status_code == 200 and 'value="2027-01-01"' in form.content.decode()
    response = client.post(url, {"tier": "premium", "starts_on": "2027-01-01", "ends_on": "2027-12-31", "price": "125000"})
    renewal = MaintenanceContract.objects.get(renewal_of=contract_a)
    assert response.status_code == 302 and str(renewal.price) == "125000.00"
    again = client.post(url, {"tier": "premium", "starts_on": "2028-01-01", "ends_on": "2028-12-31", "price": "1"})
    assert again.status_code == 400 and "renewed already" in again.content.decode()
    assert MaintenanceContract.objects.filter(renewal_of=contract_a).count() == 1


def test_cancelling_without_a_reason_is_refused_with_a_message(client, personas, contract_a):  # noqa: F811
    as_user(client, personas.maintenance_lead)
    response = client.post(reverse("service:contract_cancel", args=[contract_a.pk]), {"reason": ""}, follow=True)
    assert "Say why the contract is cancelled." in response.content.decode()
    assert MaintenanceContract.objects.get(pk=contract_a.pk).status == "active"


def test_the_list_query_count_does_not_grow_with_rows(client, personas, base, django_assert_num_queries):  # noqa: F811
    for year in (2024, 2025, 2026):
        make_contract(personas, base, starts_on=date(year, 1, 1), ends_on=date(year, 12, 31))
    as_user(client, personas.maintenance_lead)
    url = reverse("service:contract_list")
    client.get(url)
    with django_assert_num_queries(7):
        client.get(url)
    for year in (2027, 2028, 2029):
        make_contract(personas, base, starts_on=date(year, 1, 1), ends_on=date(year, 12, 31))
    with django_assert_num_queries(7):
        client.get(url)


def test_the_detail_query_count_is_pinned(client, personas, contract_a, django_assert_num_queries):  # noqa: F811
    renewal = contract_renew(contract=contract_a, by=personas.maintenance_lead)
    contract_renew(contract=renewal, by=personas.maintenance_lead)
    renewal_reminders_run(today=date(2026, 10, 2))
    as_user(client, personas.maintenance_lead)
    url = reverse("service:contract_detail", args=[renewal.pk])
    client.get(url)
    with django_assert_num_queries(10):
        response = client.get(url)
    assert contract_a.number in response.content.decode()


def test_the_360_panel_lists_the_customers_contracts_the_reader_may_see(rf, personas, contract_a, contract_b):  # noqa: F811
    from django.template.loader import render_to_string

    from touchpoint.service.views.contracts import customer_contracts_panel

    request = rf.get("/")
    request.user = personas.sales_rep
    data = customer_contracts_panel(request, personas.customer_a)
    assert data is not None and data["contracts"] == [contract_a]
    assert contract_a.number in render_to_string("service/contracts/panel_360.html", {"data": data})
    assert customer_contracts_panel(request, personas.customer_b) is None
    request.user = personas.marketing
    assert customer_contracts_panel(request, personas.customer_a) is None
