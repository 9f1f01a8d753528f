"""What the service endpoints share: who is reading (staff or a customer's portal user), the rows
each may reach, what a portal reader never sees, and stale versions as a 409.

Customer (portal) users are told apart in one place, `portal_ids`; every queryset and every answer
of the service API passes through the helpers below, so that no endpoint decides it on its own.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers

from touchpoint.core.extensions import portal_customers
from touchpoint.core.versioning import StaleEdit
from touchpoint.customers.access import visible_contacts, visible_customers
from touchpoint.customers.models import Contact, Customer
from touchpoint.org.policy import may
from touchpoint.sales.models import InstalledItem
from touchpoint.service.access import visible_requests
from touchpoint.service.models import MessageKind, RequestMessage, ServiceRequest

# --- Who reads ------------------------------------------------------------------------------------


def portal_ids(user: Any) -> frozenset[int] | None:
    """The customers a portal user belongs to; None for staff. Asked once per request: the answer
    is kept on the user object, which lives as long as the request does."""
    cached: tuple[frozenset[int] | None] | None = getattr(user, "_service_portal_ids", None)
    if cached is None:
        cached = (portal_customers(user),)
        user._service_portal_ids = cached
    return cached[0]


def is_portal(user: Any) -> bool:
    return portal_ids(user) is not None


def within_portal(rows: QuerySet, user: Any, customer_path: str = "customer_id") -> QuerySet:
    """Rows of the portal user's own customers only (on top of the access rules); staff unchanged."""
    ids = portal_ids(user)
    if ids is None:
        return rows
    return rows.filter(**{f"{customer_path}__in": ids})


def readable_requests(user: Any) -> QuerySet[ServiceRequest]:
    return within_portal(visible_requests(user), user)


def readable_messages(user: Any) -> QuerySet[RequestMessage]:
    """A request's conversation as the reader may see it: internal notes are for staff only."""
    messages = RequestMessage.objects.select_related("author", "contact").order_by("created_at", "id")
    return messages.exclude(kind=MessageKind.NOTE) if is_portal(user) else messages


def loggable_customers(user: Any) -> QuerySet[Customer]:
    ids = portal_ids(user)
    return Customer.objects.filter(pk__in=ids) if ids is not None else visible_customers(user)


def loggable_contacts(user: Any) -> QuerySet[Contact]:
    ids = portal_ids(user)
    return Contact.objects.filter(customer_id__in=ids) if ids is not None else visible_contacts(user)


def loggable_items(user: Any) -> QuerySet[InstalledItem]:
    return InstalledItem.objects.filter(customer__in=loggable_customers(user).values("pk"))


def require_staff(user: Any) -> None:
    """The maintenance centre's set-up and flow (queues, rules, handoffs, escalations) is for staff
    who work with requests; a portal user or someone without any request scope is refused."""
    if is_portal(user) or not may(user, "service_request", "view"):
        raise exceptions.PermissionDenied(_("Your position does not allow this action on this record."))


def refuse_portal(user: Any) -> None:
    if is_portal(user):
        raise exceptions.PermissionDenied(_("Customer users can read and answer their requests, not work them."))


# --- Answers --------------------------------------------------------------------------------------


class ReaderSerializer(serializers.ModelSerializer):
    """A serializer whose `STAFF_ONLY` fields are never read for a portal reader and come out as null
    (the schema marks them nullable and says so)."""

    STAFF_ONLY: tuple[str, ...] = ()

    def for_portal(self) -> bool:
        request = self.context.get("request")
        return request is not None and is_portal(request.user)

    @property
    def _readable_fields(self) -> Any:
        hidden = self.STAFF_ONLY if self.for_portal() else ()
        return [field for field in super()._readable_fields if field.field_name not in hidden]

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        if not self.for_portal():
            return data
        return {name: data.get(name) for name, field in self.fields.items() if not field.write_only}


class TextField(serializers.CharField):
    """Text in a request body: a JSON string, never a number or a list turned into one."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class NameField(serializers.CharField):
    """The display name of a related record (a user, a queue); null when there is none."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_null", True)
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str:
        return str(value)


# --- Versions -------------------------------------------------------------------------------------


def require_version(record: ServiceRequest, version: int) -> None:
    """A 409 when `version` is not the record's (read under the caller's lock)."""
    if record.version != version:
        raise StaleEdit([], record.version)
