"""API for leads: list, read, create, edit, and the assign/qualify/disqualify actions, through the access layer."""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
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
from touchpoint.core.search import is_searchable, search_filter
from touchpoint.customers.access import can_create_customer, visible_contacts, visible_customers
from touchpoint.customers.models import Contact, Customer, CustomerType
from touchpoint.org.access import visible_users
from touchpoint.org.models import User
from touchpoint.sales import access
from touchpoint.sales.models import Lead, LeadSource, LeadStatus
from touchpoint.sales.services.leads import (
    LEAD_FIELDS,
    lead_assign,
    lead_create,
    lead_disqualify,
    lead_qualify,
    lead_update,
)

LEAD_EDITABLE = list(LEAD_FIELDS)


class LeadSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.__str__", read_only=True, allow_null=True, default=None)
    # A plain string: a blank address is valid here but not in the "email" format.
    email = serializers.CharField(read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id", *LEAD_EDITABLE, "source", "status", "owner", "owner_name", "touchpoint", "customer", "contact",
            "opportunity", "disqualify_reason", "qualified_at", "created_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = fields


class LeadWriteSerializer(serializers.ModelSerializer):
    # Phone, email and credit code are checked (and normalised) by the service, the same for every entry point.
    email = serializers.CharField(max_length=120, required=False, allow_blank=True)

    class Meta:
        model = Lead
        fields = LEAD_EDITABLE
        validators: list[Any] = []


class LeadUpdateSerializer(VersionedUpdateSerializer, LeadWriteSerializer):
    class Meta(LeadWriteSerializer.Meta):
        fields = [*LEAD_EDITABLE, "version"]


class LeadAssignSerializer(serializers.Serializer):
    owner = ScopedRelatedField(visible=visible_users, model=User)
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True,
        help_text=gettext_lazy("Why the lead changes hands; needed unless the lead is unassigned."),
    )  # fmt: skip


class LeadQualifySerializer(serializers.Serializer):
    customer = ScopedRelatedField(
        visible=visible_customers, model=Customer, required=False, allow_null=True,
        help_text=gettext_lazy("An existing customer to reuse; left out, a new customer is made from the lead."),
    )  # fmt: skip
    customer_type = serializers.ChoiceField(
        choices=CustomerType.choices, required=False, default=CustomerType.OTHER,
        help_text=gettext_lazy("The type of the new customer, when one is made."),
    )  # fmt: skip
    contact = ScopedRelatedField(
        visible=visible_contacts, model=Contact, required=False, allow_null=True,
        help_text=gettext_lazy("An existing contact to reuse; left out, a contact is made from the lead's contact name."),
    )  # fmt: skip
    title = serializers.CharField(max_length=120, help_text=gettext_lazy("The opportunity's title."))
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0), required=False, default=Decimal(0))
    close_date = serializers.DateField()
    owner = ScopedRelatedField(
        visible=visible_users, model=User, required=False, allow_null=True,
        help_text=gettext_lazy("The opportunity's owner; the lead's owner, or you, when left out."),
    )  # fmt: skip


class LeadDisqualifySerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


def _search(queryset: QuerySet, query: str) -> QuerySet:
    return search_filter(queryset, query) if is_searchable(query) else queryset.none()


def _owner(queryset: QuerySet, value: str) -> QuerySet:
    return queryset.filter(owner__isnull=True) if value == "none" else queryset.filter(owner_id=int(value))


class OwnerField(serializers.RegexField):
    def __init__(self) -> None:
        super().__init__(r"^(none|[1-9]\d{0,17})$", max_length=18)


LEAD_FILTERS = {
    "q": QueryFilter(
        _search, serializers.CharField(max_length=100), gettext_lazy("Company, contact, pinyin, phone, email or credit code.")
    ),
    "status": QueryFilter("status", serializers.ChoiceField(choices=LeadStatus.choices)),
    "source": QueryFilter("source", serializers.ChoiceField(choices=LeadSource.choices)),
    "owner": QueryFilter(_owner, OwnerField(), gettext_lazy("Owner's user id, or none for unassigned leads.")),
}
LEAD_ORDERING = ["created_at", "updated_at", "company_name", "status"]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List leads"),
        parameters=filter_parameters(LEAD_FILTERS, LEAD_ORDERING),
        responses={200: LeadSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary=gettext_lazy("Get a lead"), responses={200: LeadSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary=gettext_lazy("Create a lead"),
        description=gettext_lazy("A lead you enter by hand; you own it if your position may open opportunities."),
        request=LeadWriteSerializer,
        responses={201: LeadSerializer, **WRITE_ERRORS},
    ),
    update=extend_schema(summary=gettext_lazy("Replace a lead"), request=LeadUpdateSerializer,
                         responses={200: LeadSerializer, **EDIT_ERRORS}),  # fmt: skip
    partial_update=extend_schema(summary=gettext_lazy("Change a lead"), request=LeadUpdateSerializer,
                                 responses={200: LeadSerializer, **EDIT_ERRORS}),  # fmt: skip
    assign=extend_schema(summary=gettext_lazy("Hand a lead to an owner"), request=LeadAssignSerializer,
                         responses={200: LeadSerializer, **WRITE_ERRORS}),  # fmt: skip
    qualify=extend_schema(
        summary=gettext_lazy("Qualify a lead"),
        description=gettext_lazy(
            "Turns the lead into a customer, a contact and an opportunity, reusing the customer and contact given. "
            "All or nothing; a lead already qualified or disqualified is a 400."
        ),
        request=LeadQualifySerializer,
        responses={200: LeadSerializer, **WRITE_ERRORS},
    ),
    disqualify=extend_schema(summary=gettext_lazy("Disqualify a lead, with a reason"), request=LeadDisqualifySerializer,
                             responses={200: LeadSerializer, **WRITE_ERRORS}),  # fmt: skip
)
class LeadViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Leads you may see."""

    serializer_class = LeadSerializer
    query_filters = LEAD_FILTERS
    ordering_fields = LEAD_ORDERING
    ordering = ["-created_at", "-pk"]

    def get_queryset(self) -> QuerySet[Lead]:
        return access.visible_leads(self.request.user).select_related("owner")

    def _read(self, lead: Lead, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=lead.pk).first() or lead
        return Response(LeadSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request) -> Response:
        self.require(access.can_create_lead(request.user))
        values = self.validated(LeadWriteSerializer)
        owner = request.user if access.may_create_opportunities(request.user) else None
        lead = lead_create(by=request.user, owner=owner, source=LeadSource.MANUAL, **values)
        return self._read(lead, status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._edit(request, partial=False)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._edit(request, partial=True)

    def _edit(self, request: Request, *, partial: bool) -> Response:
        lead = self.get_object()
        self.require(access.can_edit_lead(request.user, lead))
        values = self.validated(LeadUpdateSerializer, instance=lead, partial=partial)
        updated, _diff = lead_update(lead=lead, by=request.user, expected_version=values.pop("version"), **values)
        return self._read(updated)

    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        lead = self.get_object()
        self.require(access.can_assign_lead(request.user, lead))
        values = self.validated(LeadAssignSerializer)
        updated = lead_assign(lead=lead, owner=values["owner"], by=request.user, reason=values.get("reason", ""))
        return self._read(updated)

    @action(detail=True, methods=["post"])
    def qualify(self, request: Request, pk: str | None = None) -> Response:
        lead = self.get_object()
        self.require(access.can_edit_lead(request.user, lead) and access.may_create_opportunities(request.user))
        values = self.validated(LeadQualifySerializer)
        owner = values.get("owner") or lead.owner or request.user
        customer = values.get("customer")
        if customer is None and values.get("contact") is None:
            self.require(can_create_customer(request.user, owner), _("Your position does not allow creating customers."))
        target = customer or (values["contact"].customer if values.get("contact") else None)
        if target is not None:
            self.require(access.can_create_opportunity(request.user, target), _("You may not open opportunities on this customer."))
        updated = lead_qualify(
            lead=lead, by=request.user, customer=customer, contact=values.get("contact"), title=values["title"],
            amount=values["amount"], close_date=values["close_date"], owner=owner, customer_type=values["customer_type"],
        )  # fmt: skip
        return self._read(updated)

    @action(detail=True, methods=["post"])
    def disqualify(self, request: Request, pk: str | None = None) -> Response:
        lead = self.get_object()
        self.require(access.can_edit_lead(request.user, lead))
        values = self.validated(LeadDisqualifySerializer)
        return self._read(lead_disqualify(lead=lead, by=request.user, reason=values["reason"]))
