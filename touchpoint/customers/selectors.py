"""Reads for customers and contacts. Every list starts from the access layer."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from touchpoint.core.extensions import timeline_filters
from touchpoint.core.models import Event
from touchpoint.core.search import is_searchable, search_filter
from touchpoint.customers.access import visible_contacts, visible_customers
from touchpoint.customers.models import Contact, Customer

CUSTOMER_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "last_touch": ("last_touch_at", "id"),
    "-last_touch": ("-last_touch_at", "-id"),
}
CUSTOMER_FILTERS = ("q", "status", "customer_type", "province", "owner", "tag", "size_tier")


@dataclass(frozen=True)
class CustomerQuery:
    q: str = ""
    status: str = ""
    customer_type: str = ""
    province: str = ""
    owner: int | None = None
    tag: int | None = None
    size_tier: str = ""
    sort: str = "name"


def customer_list(*, user: Any, query: CustomerQuery, base: QuerySet[Customer] | None = None) -> QuerySet[Customer]:
    customers = visible_customers(user) if base is None else base
    if query.q:
        customers = search_filter(customers, query.q) if is_searchable(query.q) else customers.none()
    for field in ("status", "customer_type", "province", "size_tier"):
        value = getattr(query, field)
        if value:
            customers = customers.filter(**{field: value})
    if query.owner:
        customers = customers.filter(owner_id=query.owner)
    if query.tag:
        customers = customers.filter(tags__id=query.tag)
    customers = customers.select_related("owner").defer("search_text", "notes", "owner__password")
    return customers.order_by(*CUSTOMER_SORTS.get(query.sort, CUSTOMER_SORTS["name"]))


def search_everything(*, user: Any, text: str, limit: int = 8) -> dict[str, list[Any]]:
    """The global search box: customers and contacts the user may see."""
    if not is_searchable(text):
        return {"customers": [], "contacts": []}
    customers = search_filter(visible_customers(user), text).order_by("name")[:limit]
    contacts = search_filter(visible_contacts(user), text).select_related("customer").order_by("name")[:limit]
    return {"customers": list(customers), "contacts": list(contacts)}


TIMELINE_PAGE = 25


def customer_timeline(
    *, user: Any, customer: Customer, channel: str = "", department: int | None = None, kind: str = "",
    before: tuple[str, int] | None = None,
) -> list[Event]:  # fmt: skip
    """One page of the customer's timeline, newest first, continuing below the `before` cursor.

    Events about records the reader may not see (a touchpoint or follow-up outside their scope) are
    left out by the filters the owning apps register.
    """
    # A merged customer's history belongs to the one it was merged into.
    customer_ids = [customer.pk, *Customer.all_objects.filter(merged_into=customer).order_by().values_list("pk", flat=True)]
    events = Event.objects.filter(customer_id__in=customer_ids).select_related("actor", "department")
    for hide in timeline_filters.values():
        hidden = hide(user, customer_ids)
        if hidden is not None:
            events = events.exclude(hidden)
    if channel:
        events = events.filter(channel=channel)
    if department:
        events = events.filter(department_id=department)
    if kind:
        events = events.filter(kind=kind)
    if before:
        at, pk = before
        events = events.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, id__lt=pk))
    return list(events.order_by("-occurred_at", "-id")[: TIMELINE_PAGE + 1])


def customer_branches(*, user: Any, customer: Customer) -> list[Customer]:
    return list(visible_customers(user).filter(parent=customer).order_by("name")[:50])


CONTACTS_ON_360 = 20


def customer_contacts(*, user: Any, customer: Customer) -> tuple[list[Contact], int]:
    """The customer's contacts for the 360 page (active ones first, a page of them) and their total."""
    contacts = visible_contacts(user).filter(customer=customer)
    shown = list(contacts.defer("search_text", "notes").order_by("status", "name", "id")[:CONTACTS_ON_360])
    total = len(shown) if len(shown) < CONTACTS_ON_360 else contacts.count()
    return shown, total
