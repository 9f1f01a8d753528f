import pytest

from touchpoint.core.events import event_record, events_for_target
from touchpoint.core.models import Event


@pytest.mark.django_db
def test_creating_a_customer_logs_who_what_customer_and_department(personas):
    event = events_for_target(personas.customer_a).last()
    assert event.verb == "customer.created"
    assert event.actor == personas.sales_rep
    assert event.customer_id == personas.customer_a.pk
    assert event.department == personas.sales_rep.department


@pytest.mark.django_db
def test_events_cannot_be_rewritten_or_deleted(personas):
    event = event_record(verb="customer.updated", actor=personas.admin, customer_id=personas.customer_a.pk)
    event.payload = {"tampered": True}
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert Event.objects.get(pk=event.pk).payload == {}
