"""Who sees and works service requests, by position, with the shared personas."""

import pytest

from touchpoint.service.access import can_assign_request, can_view_request, can_work_request, visible_requests
from touchpoint.service.services.requests import request_create, request_transfer
from touchpoint.service.tests.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_a(personas, desk, covered):
    return request_create(by=personas.maintenance_agent, customer=personas.customer_a, subject="清算文件未生成",
                          channel="phone", now=at(2026, 3, 2, 9, 0))  # fmt: skip


@pytest.fixture
def request_b(personas, desk):
    return request_create(by=personas.maintenance_agent, customer=personas.customer_b, subject="柜台登录慢",
                          channel="email", requester_email="liuyang@csc.example", now=at(2026, 3, 2, 9, 0))  # fmt: skip


def test_the_maintenance_centre_sees_and_works_every_request(personas, request_a, request_b):
    for person in (personas.maintenance_agent, personas.maintenance_lead):
        assert set(visible_requests(person)) == {request_a, request_b}
        assert can_work_request(person, request_b)
    assert can_assign_request(personas.maintenance_lead, request_b)


def test_a_sales_rep_sees_only_their_customers_requests(personas, request_a, request_b):
    assert list(visible_requests(personas.sales_rep)) == [request_a]
    assert not can_view_request(personas.sales_rep, request_b)
    assert list(visible_requests(personas.other_rep)) == [request_b]


def test_an_engineer_sees_a_request_only_once_it_reaches_the_engineering_queue(personas, desk, request_a):
    assert not can_view_request(personas.engineer, request_a)
    request_transfer(request=request_a, by=personas.maintenance_agent, queue=desk.engineering, reason="缺陷",
                     now=at(2026, 3, 2, 10, 0))  # fmt: skip
    assert can_view_request(personas.engineer, request_a) and can_work_request(personas.engineer, request_a)
    assert not can_assign_request(personas.engineer, request_a)


def test_people_without_a_service_role_see_nothing(personas, request_a, request_b):
    assert not visible_requests(personas.outsider).exists()
    assert not visible_requests(personas.marketing).exists()
    assert not can_work_request(personas.executive, request_a)
    assert set(visible_requests(personas.executive)) == {request_a, request_b}


def test_the_360_service_counter_counts_the_open_requests_the_reader_may_see(personas, request_a, request_b):
    from touchpoint.service.panels import open_requests

    assert open_requests(personas.maintenance_agent, personas.customer_a) == 1
    assert open_requests(personas.sales_rep, personas.customer_a) == 1
    assert open_requests(personas.sales_rep, personas.customer_b) == 0
    assert open_requests(personas.marketing, personas.customer_a) == 0
