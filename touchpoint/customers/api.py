"""API for customers and contacts: thin serializers, access checks, then the services."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from touchpoint.core.api import (
    EDIT_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    QueryFilter,
    ScopedRelatedField,
    ScopedViewMixin,
    VersionedUpdateSerializer,
    filter_parameters,
)
from touchpoint.core.identifiers import (
    normalise_credit_code,
    validate_credit_code,
    validate_landline,
    validate_mobile,
)
from touchpoint.core.search import search_filter
from touchpoint.customers.access import (
    can_assign_customer,
    can_create_contact,
    can_create_customer,
    can_delete_contact,
    can_delete_customer,
    can_edit_contact,
    can_edit_customer,
    visible_contacts,
    visible_customers,
)
from touchpoint.customers.models import (
    PROVINCES,
    Contact,
    ContactStatus,
    Customer,
    CustomerSource,
    CustomerStatus,
    CustomerType,
    DecisionRole,
    SizeTier,
)
from touchpoint.customers.services import (
    contact_create,
    contact_delete,
    contact_duplicates,
    contact_update,
    customer_create,
    customer_delete,
    customer_reassign,
    customer_update,
)
from touchpoint.org.access import visible_users
from touchpoint.org.models import User

# --- Customers -------------------------------------------------------------------------

CUSTOMER_EDITABLE = [
    "name", "short_name", "credit_code", "customer_type", "province", "city", "size_tier",
    "status", "parent", "source", "notes",
]  # fmt: skip


class CustomerSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)
    tags: Any = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Customer
        fields = [
            "id", *CUSTOMER_EDITABLE, "owner", "owner_name", "tags", "last_touch_at",
            "created_at", "updated_at", "version",
        ]  # fmt: skip
        # Output only; fields are left writable so that blank choices stay documented as blank.


class CustomerWriteSerializer(serializers.ModelSerializer):
    parent = ScopedRelatedField(  # type: ignore[assignment]  # a declared field, not Field.parent
        visible=visible_customers, model=Customer, required=False, allow_null=True
    )

    class Meta:
        model = Customer
        fields = CUSTOMER_EDITABLE
        # The credit code's uniqueness among live customers is the service's to check.
        extra_kwargs = {"credit_code": {"validators": [validate_credit_code]}}
        validators: list[Any] = []

    def validate_credit_code(self, value: str) -> str:
        # Checked here too so that the clash is reported on the field, not as a constraint error.
        code = normalise_credit_code(value)
        clash = Customer.objects.filter(credit_code=code).exclude(pk=getattr(self.instance, "pk", None))
        if code and clash.exists():
            raise serializers.ValidationError(_("Another customer already has this credit code."))
        return code


class CustomerCreateSerializer(CustomerWriteSerializer):
    owner = ScopedRelatedField(
        visible=visible_users, model=User, required=False,
        help_text=gettext_lazy("Who owns the customer; yourself when left out."),
    )  # fmt: skip

    class Meta(CustomerWriteSerializer.Meta):
        fields = [*CUSTOMER_EDITABLE, "owner"]


class CustomerUpdateSerializer(VersionedUpdateSerializer, CustomerWriteSerializer):
    class Meta(CustomerWriteSerializer.Meta):
        fields = [*CUSTOMER_EDITABLE, "version"]


class CustomerReassignSerializer(serializers.Serializer):
    owner = ScopedRelatedField(visible=visible_users, model=User)
    reason = serializers.CharField(max_length=500)


def _search(queryset: QuerySet, query: str) -> QuerySet:
    return search_filter(queryset, query)


CUSTOMER_FILTERS = {
    "q": QueryFilter(_search, serializers.CharField(max_length=100), gettext_lazy("Name, short name, pinyin or credit code.")),
    "status": QueryFilter("status", serializers.ChoiceField(choices=CustomerStatus.choices)),
    "customer_type": QueryFilter("customer_type", serializers.ChoiceField(choices=CustomerType.choices)),
    "province": QueryFilter("province", serializers.ChoiceField(choices=PROVINCES)),
    "size_tier": QueryFilter("size_tier", serializers.ChoiceField(choices=SizeTier.choices)),
    "source": QueryFilter("source", serializers.ChoiceField(choices=CustomerSource.choices)),
    "owner": QueryFilter("owner_id", serializers.IntegerField(min_value=1), gettext_lazy("Owner's user id.")),
    "parent": QueryFilter("parent_id", serializers.IntegerField(min_value=1), gettext_lazy("Branches of this customer.")),
}
CUSTOMER_ORDERING = ["name", "created_at", "updated_at", "last_touch_at"]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List customers"),
        parameters=filter_parameters(CUSTOMER_FILTERS, CUSTOMER_ORDERING),
        responses={200: CustomerSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary=gettext_lazy("Get a customer"), responses={200: CustomerSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary=gettext_lazy("Create a customer"),
        request=CustomerCreateSerializer,
        responses={201: CustomerSerializer, **WRITE_ERRORS},
    ),
    update=extend_schema(
        summary=gettext_lazy("Replace a customer's profile"),
        request=CustomerUpdateSerializer,
        responses={200: CustomerSerializer, **EDIT_ERRORS},
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Change a customer's profile"),
        request=CustomerUpdateSerializer,
        responses={200: CustomerSerializer, **EDIT_ERRORS},
    ),
    destroy=extend_schema(summary=gettext_lazy("Delete a customer (to the recycle bin)"), responses={204: None, **WRITE_ERRORS}),
    reassign=extend_schema(
        summary=gettext_lazy("Hand a customer to a new owner"),
        request=CustomerReassignSerializer,
        responses={200: CustomerSerializer, **WRITE_ERRORS},
    ),
)
class CustomerViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Customers (companies) you may see."""

    serializer_class = CustomerSerializer
    query_filters = CUSTOMER_FILTERS
    ordering_fields = CUSTOMER_ORDERING
    ordering = ["name", "pk"]

    def get_queryset(self) -> QuerySet[Customer]:
        return visible_customers(self.request.user).select_related("owner").prefetch_related("tags")

    def _read(self, customer: Customer, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=customer.pk).first() or customer
        return Response(CustomerSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request) -> Response:
        self.require(can_create_customer(request.user))
        values = self.validated(CustomerCreateSerializer)
        owner = values.pop("owner", None) or request.user
        self.require(can_create_customer(request.user, owner))
        customer = customer_create(by=request.user, owner=owner, **values)
        return self._read(customer, status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._edit(request, partial=False)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._edit(request, partial=True)

    def _edit(self, request: Request, *, partial: bool) -> Response:
        customer = self.get_object()
        self.require(can_edit_customer(request.user, customer))
        values = self.validated(CustomerUpdateSerializer, instance=customer, partial=partial)
        updated, _diff = customer_update(customer=customer, by=request.user, expected_version=values.pop("version"), **values)
        return self._read(updated)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        self.require(can_delete_customer(request.user, customer))
        customer_delete(customer=customer, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        self.require(can_assign_customer(request.user, customer))
        values = self.validated(CustomerReassignSerializer)
        updated = customer_reassign(customer=customer, owner=values["owner"], by=request.user, reason=values["reason"])
        return self._read(updated)


# --- Contacts --------------------------------------------------------------------------

CONTACT_EDITABLE = [
    "name", "title", "department_name", "decision_role", "mobile", "landline", "email", "email_alt",
    "wechat_id", "preferred_channel", "do_not_contact", "status", "left_on", "notes",
]  # fmt: skip


class ContactSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.display_name", read_only=True)
    # Plain strings: a blank address is valid here but not in the "email" format.
    email = serializers.CharField(read_only=True)
    email_alt = serializers.CharField(read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "customer", "customer_name", *CONTACT_EDITABLE, "created_at", "updated_at", "version"]
        # Output only; fields are left writable so that blank choices stay documented as blank.


class ContactWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = CONTACT_EDITABLE
        extra_kwargs = {"mobile": {"validators": [validate_mobile]}, "landline": {"validators": [validate_landline]}}
        validators: list[Any] = []


class ContactCreateSerializer(ContactWriteSerializer):
    customer = ScopedRelatedField(visible=visible_customers, model=Customer)
    confirm_duplicates = serializers.BooleanField(
        default=False,
        write_only=True,
        help_text=gettext_lazy("Create the contact even though it looks like an existing one (otherwise a 409)."),
    )

    class Meta(ContactWriteSerializer.Meta):
        fields = ["customer", *CONTACT_EDITABLE, "confirm_duplicates"]


class ContactUpdateSerializer(VersionedUpdateSerializer, ContactWriteSerializer):
    class Meta(ContactWriteSerializer.Meta):
        fields = [*CONTACT_EDITABLE, "version"]


class DuplicateSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.display_name", read_only=True)
    email = serializers.CharField(read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "customer", "customer_name", "name", "title", "mobile", "email"]
        # Output only; fields are left writable so that blank choices stay documented as blank.


class DuplicateContactsSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    duplicates = DuplicateSerializer(many=True)


CONTACT_FILTERS = {
    "q": QueryFilter(_search, serializers.CharField(max_length=100), gettext_lazy("Name, phone or email.")),
    "customer": QueryFilter("customer_id", serializers.IntegerField(min_value=1), gettext_lazy("Customer id.")),
    "status": QueryFilter("status", serializers.ChoiceField(choices=ContactStatus.choices)),
    "decision_role": QueryFilter("decision_role", serializers.ChoiceField(choices=DecisionRole.choices)),
}
CONTACT_ORDERING = ["name", "created_at", "updated_at"]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List contacts"),
        parameters=filter_parameters(CONTACT_FILTERS, CONTACT_ORDERING),
        responses={200: ContactSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary=gettext_lazy("Get a contact"), responses={200: ContactSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary=gettext_lazy("Create a contact"),
        description=gettext_lazy(
            "When the new contact looks like contacts you can see (same mobile, same email, or the same name at "
            "this customer), nothing is created and the answer is a 409 listing them; send it again with "
            "confirm_duplicates set to true to create it anyway."
        ),
        request=ContactCreateSerializer,
        responses={
            201: ContactSerializer,
            **WRITE_ERRORS,
            409: OpenApiResponse(DuplicateContactsSerializer, description=str(gettext_lazy("Possible duplicates."))),
        },
    ),
    update=extend_schema(
        summary=gettext_lazy("Replace a contact"),
        request=ContactUpdateSerializer,
        responses={200: ContactSerializer, **EDIT_ERRORS},
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Change a contact"),
        request=ContactUpdateSerializer,
        responses={200: ContactSerializer, **EDIT_ERRORS},
    ),
    destroy=extend_schema(summary=gettext_lazy("Delete a contact (to the recycle bin)"), responses={204: None, **WRITE_ERRORS}),
)
class ContactViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Contacts at the customers you may see."""

    serializer_class = ContactSerializer
    query_filters = CONTACT_FILTERS
    ordering_fields = CONTACT_ORDERING
    ordering = ["name", "pk"]

    def get_queryset(self) -> QuerySet[Contact]:
        return visible_contacts(self.request.user).select_related("customer")

    def _read(self, contact: Contact, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=contact.pk).first() or contact
        return Response(ContactSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request) -> Response:
        values = self.validated(ContactCreateSerializer)
        customer = values.pop("customer")
        self.require(can_create_contact(request.user, customer))
        if not values.pop("confirm_duplicates"):
            duplicates = self._visible_duplicates(customer, values)
            if duplicates:
                body = {
                    "detail": _("This looks like an existing contact. Send confirm_duplicates to create it anyway."),
                    "code": "possible_duplicates",
                    "duplicates": DuplicateSerializer(duplicates, many=True).data,
                }
                return Response(body, status=status.HTTP_409_CONFLICT)
        contact = contact_create(by=request.user, customer=customer, **values)
        return self._read(contact, status.HTTP_201_CREATED)

    def _visible_duplicates(self, customer: Customer, values: dict[str, Any]) -> list[Contact]:
        # Only contacts the user may see are shown; the others are not disclosed.
        found = contact_duplicates(
            customer=customer, name=values.get("name", ""), mobile=values.get("mobile", ""),
            email=values.get("email", ""),
        )  # fmt: skip
        return list(visible_contacts(self.request.user).filter(pk__in=[c.pk for c in found]).select_related("customer").order_by("pk"))

    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._edit(request, partial=False)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._edit(request, partial=True)

    def _edit(self, request: Request, *, partial: bool) -> Response:
        contact = self.get_object()
        self.require(can_edit_contact(request.user, contact))
        values = self.validated(ContactUpdateSerializer, partial=partial)
        updated, _diff = contact_update(contact=contact, by=request.user, expected_version=values.pop("version"), **values)
        return self._read(updated)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        contact = self.get_object()
        self.require(can_delete_contact(request.user, contact))
        contact_delete(contact=contact, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
