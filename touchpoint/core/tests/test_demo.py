import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from touchpoint.core.models import Event
from touchpoint.core.search import search_filter
from touchpoint.customers.demo import BENCH_CUSTOMER_NAME, BULK_NOTE, DEMO_NOTE, demo_firms
from touchpoint.customers.models import Contact, Customer, CustomerType
from touchpoint.customers.services import customer_create
from touchpoint.org.demo import DEMO_PASSWORD
from touchpoint.org.models import Membership, Position, User
from touchpoint.touchpoints.models import FollowUp, FollowUpStatus, Touchpoint

pytestmark = pytest.mark.django_db


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_demo_loads_firms_contacts_touchpoints_and_logins_then_a_second_run_only_prints_logins():
    output = run_demo()

    customers = Customer.objects.filter(notes=DEMO_NOTE)
    assert 55 <= customers.count() <= 65
    assert customers.filter(customer_type=CustomerType.BRANCH, parent__isnull=False).count() >= 15
    assert 250 <= Contact.objects.count() <= 400
    assert Contact.objects.filter(status="left").exists()
    assert 1900 <= Touchpoint.objects.count() <= 2100
    assert not customers.filter(last_touch_at__isnull=True, touchpoints__isnull=False).exists()
    assert Event.objects.filter(verb="touchpoint.logged").count() == Touchpoint.objects.count()
    statuses = set(FollowUp.objects.values_list("status", flat=True))
    assert {FollowUpStatus.OPEN, FollowUpStatus.DONE} <= statuses
    held = set(Membership.objects.values_list("position", flat=True))
    assert held == set(Position.values)
    for position in Position.values:
        user = User.objects.filter(memberships__position=position).order_by("id").first()
        assert user is not None and user.check_password(DEMO_PASSWORD)
        assert f"{user.username:<12} {DEMO_PASSWORD}" in output

    loaded_names = list(customers.order_by("id").values_list("name", flat=True))
    assert loaded_names == [f.name for f in demo_firms(random.Random("2026:customers.demo"))]

    counts = (User.objects.count(), Customer.objects.count(), Contact.objects.count(), Touchpoint.objects.count())
    again = run_demo()

    assert (User.objects.count(), Customer.objects.count(), Contact.objects.count(),
            Touchpoint.objects.count()) == counts  # fmt: skip
    assert "already loaded" in again
    assert f"chenzong     {DEMO_PASSWORD}" in again


def test_same_seed_gives_the_same_firm_names_and_another_seed_other_names():
    first = [f.name for f in demo_firms(random.Random("7:customers.demo"))]
    second = [f.name for f in demo_firms(random.Random("7:customers.demo"))]
    other = [f.name for f in demo_firms(random.Random("8:customers.demo"))]

    assert first == second
    assert first != other
    assert len(set(first)) == len(first)


def test_demo_refuses_a_database_with_records_of_its_own(personas):
    with pytest.raises(CommandError):
        run_demo()

    assert not Customer.objects.filter(notes=DEMO_NOTE).exists()


def test_tiny_bulk_scale_loads_rows_events_and_a_searchable_index():
    run_demo("--scale", "0.0001")

    bulk = Customer.objects.filter(notes__startswith=BULK_NOTE)
    assert bulk.count() == 10
    assert Contact.objects.filter(customer__in=bulk).count() == 100
    assert Touchpoint.objects.filter(customer__in=bulk).count() == 1000
    target = Customer.objects.get(name=BENCH_CUSTOMER_NAME)
    assert Touchpoint.objects.filter(customer=target).count() == 500
    bulk_events = Event.objects.filter(verb="touchpoint.logged", customer_id__in=bulk.values("id"))
    assert bulk_events.count() == 1000
    assert not bulk.filter(last_touch_at__isnull=True).exists()
    assert search_filter(Customer.objects.all(), "沧澜证券").filter(pk=target.pk).exists()
    assert search_filter(Customer.objects.all(), "clzq").filter(pk=target.pk).exists()
    contact = Contact.objects.filter(customer=target).order_by("id").first()
    assert search_filter(Contact.objects.all(), contact.mobile[3:10]).filter(pk=contact.pk).exists()
    # The id sequences moved past the bulk rows: a customer created afterwards gets a fresh id.
    later = customer_create(by=target.owner, owner=target.owner, name="后建证券有限公司",
                            customer_type=CustomerType.SECURITIES)  # fmt: skip
    assert later.pk > bulk.order_by("-id").values_list("id", flat=True)[0]

