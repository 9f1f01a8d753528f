import pytest

from touchpoint.core.pagination import CappedPaginator
from touchpoint.customers.models import Customer
from touchpoint.customers.services import customer_create


@pytest.fixture
def customers(personas):
    for index in range(12):
        customer_create(by=personas.admin, owner=personas.admin, name=f"分页测试{index:02d}", customer_type="other")
    return Customer.objects.filter(name__startswith="分页测试").order_by("name")


@pytest.mark.django_db
def test_small_lists_are_counted_exactly(customers):
    paginator = CappedPaginator(customers, 5, page=1, cap=100)
    assert paginator.count == 12
    assert not paginator.capped
    assert [c.name for c in paginator.get_page(3)] == ["分页测试10", "分页测试11"]


@pytest.mark.django_db
def test_counting_stops_at_the_cap_but_keeps_pages_ahead_reachable(customers):
    paginator = CappedPaginator(customers, 2, page=1, cap=4)
    assert paginator.limit == 22
    assert paginator.count == 12
    tight = CappedPaginator(customers, 1, page=1, cap=5)
    assert tight.count == 11
    assert tight.capped
    assert [c.name for c in tight.get_page(11)] == ["分页测试10"]


@pytest.mark.django_db
def test_a_page_keeps_the_list_order(customers):
    page = CappedPaginator(customers.order_by("-name"), 4, page=2).get_page(2)
    assert [c.name for c in page] == ["分页测试07", "分页测试06", "分页测试05", "分页测试04"]


@pytest.mark.django_db
def test_a_bad_page_number_falls_back_to_the_first_page(customers):
    paginator = CappedPaginator(customers, 5, page="abc")
    assert paginator.get_page("abc").number == 1
