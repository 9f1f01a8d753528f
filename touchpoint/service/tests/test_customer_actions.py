"""The customer 360's header buttons that the service and portal apps add: log a request, raise a
complaint, manage the customer's portal users. Each shows exactly to those who may follow it, and
leads to a page that opens with the customer already chosen."""

import pytest
from django.urls import reverse

from touchpoint.customers.access import can_view_customer
from touchpoint.portal.access import can_invite_to
from touchpoint.service.access import can_log_complaint_for, can_log_request_for

pytestmark = pytest.mark.django_db

PERSONAS = ["sales_rep", "other_rep", "sales_manager", "project_manager", "engineer", "maintenance_agent",
            "maintenance_lead", "finance", "marketing", "executive", "admin"]  # fmt: skip


def _links(client, user, customer) -> dict[str, str] | None:
    client.force_login(user)
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    if response.status_code == 404:
        return None
    assert response.status_code == 200
    page = response.content.decode()
    wanted = {
        "request": f'{reverse("service:request_new")}?customer={customer.pk}',
        "complaint": f'{reverse("service:complaint_new")}?customer={customer.pk}',
        "portal": reverse("portal:staff_customer_users", args=[customer.pk]),
    }
    return {name: href for name, href in wanted.items() if f'href="{href}"' in page}


@pytest.mark.parametrize("name", PERSONAS)
def test_each_button_shows_to_exactly_those_who_may_use_it(client, personas, name):
    user, customer = getattr(personas, name), personas.customer_a
    links = _links(client, user, customer)
    if not can_view_customer(user, customer):
        assert links is None
        return
    assert links is not None
    assert ("request" in links) == can_log_request_for(user, customer)
    assert ("complaint" in links) == can_log_complaint_for(user, customer)
    assert ("portal" in links) == can_invite_to(user, customer)


def test_the_maintenance_agent_logs_a_request_with_the_customer_already_chosen(client, personas):
    links = _links(client, personas.maintenance_agent, personas.customer_a)
    assert links is not None and {"request", "complaint", "portal"} <= set(links)
    form = client.get(links["request"])
    assert form.status_code == 200
    assert f'<option value="{personas.customer_a.pk}" selected' in form.content.decode()
    assert client.get(links["complaint"]).status_code == 200
    assert client.get(links["portal"]).status_code == 200


def test_the_buttons_are_in_both_languages(client, personas):
    client.force_login(personas.maintenance_agent)
    url = reverse("customers:detail", args=[personas.customer_a.pk])
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "登记工单" in chinese and "登记投诉" in chinese and "门户用户" in chinese
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Log a request" in english and "Portal users" in english
