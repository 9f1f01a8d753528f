"""API for quotes and contracts: read, draft, lines, and every status step as an action."""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from touchpoint.core.api import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, QueryFilter, ScopedRelatedField, ScopedViewMixin, filter_parameters
from touchpoint.core.money import HUNDRED, ZERO
from touchpoint.customers.access import visible_contacts
from touchpoint.customers.models import Contact
from touchpoint.sales import access
from touchpoint.sales.models import (
    ApprovalStatus,
    Contract,
    ContractStatus,
    DeliveryEvent,
    LicenceType,
    LineKind,
    MilestoneTemplate,
    MilestoneTrigger,
    Module,
    Opportunity,
    PaymentMilestone,
    Quote,
    QuoteLine,
    QuoteStatus,
)
from touchpoint.sales.services import contracts as contract_services
from touchpoint.sales.services import quotes as quote_services


class QuoteLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuoteLine
        fields = ["id", "order", "kind", "module", "licence_type", "description", "quantity", "unit_price",
                  "discount_percent", "tax_rate", "net_amount", "tax_amount", "total", "requirements"]  # fmt: skip
        read_only_fields = fields


class QuoteSerializer(serializers.ModelSerializer):
    lines = QuoteLineSerializer(many=True, read_only=True)

    class Meta:
        model = Quote
        fields = ["id", "number", "revision", "previous", "opportunity", "customer", "contact", "owner", "status",
                  "valid_until", "currency", "terms", "list_total", "net_total", "tax_total", "grand_total",
                  "discount_percent", "sent_at", "decided_at", "created_at", "lines"]  # fmt: skip
        read_only_fields = fields


class QuoteCreateSerializer(serializers.Serializer):
    opportunity = ScopedRelatedField(visible=access.visible_opportunities, model=Opportunity)
    contact = ScopedRelatedField(visible=visible_contacts, model=Contact, required=False, allow_null=True)
    valid_until = serializers.DateField(required=False)
    terms = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class LineCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LineKind.choices, default=LineKind.LICENCE)
    module = serializers.PrimaryKeyRelatedField(queryset=Module.objects.filter(retired_at__isnull=True), required=False,
                                                allow_null=True)  # fmt: skip
    licence_type = serializers.ChoiceField(choices=LicenceType.choices, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    quantity = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"), default=Decimal(1))
    unit_price = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=ZERO, required=False, allow_null=True,
                                          help_text=gettext_lazy("Left out, a licence line takes the module's list price."))  # fmt: skip
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=ZERO, max_value=HUNDRED, default=ZERO)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=ZERO, max_value=HUNDRED, required=False,
                                        allow_null=True)  # fmt: skip


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class SendSerializer(serializers.Serializer):
    contact = ScopedRelatedField(visible=visible_contacts, model=Contact)
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=10000)


QUOTE_FILTERS = {
    "status": QueryFilter("status", serializers.ChoiceField(choices=QuoteStatus.choices)),
    "opportunity": QueryFilter("opportunity_id", serializers.IntegerField(min_value=1, max_value=2**62)),
    "customer": QueryFilter("customer_id", serializers.IntegerField(min_value=1, max_value=2**62)),
}
QUOTE_ORDERING = ["created_at", "valid_until", "grand_total", "number"]


def _step(summary: Any, request: Any = None) -> Any:
    return extend_schema(summary=summary, request=request, responses={200: QuoteSerializer, **WRITE_ERRORS})


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List quotes"), parameters=filter_parameters(QUOTE_FILTERS, QUOTE_ORDERING),
                       responses={200: QuoteSerializer(many=True), **LIST_ERRORS}),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a quote with its lines"), responses={200: QuoteSerializer, **READ_ERRORS}),
    create=extend_schema(summary=gettext_lazy("Draft a quote for an opportunity"), request=QuoteCreateSerializer,
                         responses={201: QuoteSerializer, **WRITE_ERRORS}),  # fmt: skip
    lines=_step(gettext_lazy("Add a line to a draft"), LineCreateSerializer),
    submit=_step(gettext_lazy("Submit a draft (approved at once within your discount limit)"), ReasonSerializer),
    withdraw=_step(gettext_lazy("Take a quote back from approval")),
    approve=_step(gettext_lazy("Approve the pending discount"), DecisionSerializer),
    reject=_step(gettext_lazy("Reject the pending discount, with a comment"), DecisionSerializer),
    send=_step(gettext_lazy("Email the quote PDF to a contact"), SendSerializer),
    accept=_step(gettext_lazy("Record that the customer accepted")),
    decline=_step(gettext_lazy("Record that the customer declined, with a reason"), ReasonSerializer),
    revise=_step(gettext_lazy("Make the next version as a draft")),
)
class QuoteViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Quotes you may see."""

    serializer_class = QuoteSerializer
    query_filters = QUOTE_FILTERS
    ordering_fields = QUOTE_ORDERING
    ordering = ["-created_at", "-pk"]

    def get_queryset(self) -> QuerySet[Quote]:
        return access.visible_quotes(self.request.user).prefetch_related("lines__requirements")

    def _read(self, quote: Quote, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=quote.pk)
        return Response(QuoteSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _editable(self) -> Quote:
        quote = self.get_object()
        self.require(access.can_edit_quote(self.request.user, quote))
        return quote

    def create(self, request: Request) -> Response:
        values = self.validated(QuoteCreateSerializer)
        self.require(access.can_create_quote(request.user, values["opportunity"]))
        quote = quote_services.quote_create(by=request.user, **values)
        return self._read(quote, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def lines(self, request: Request, pk: str | None = None) -> Response:
        quote = self._editable()
        values = self.validated(LineCreateSerializer)
        if values.get("tax_rate") is None:
            values.pop("tax_rate", None)
        quote_services.quote_line_add(quote=quote, by=request.user, **values)
        return self._read(quote)

    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        quote = self._editable()
        return self._read(quote_services.quote_submit(quote=quote, by=request.user, **self.validated(ReasonSerializer)))

    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._read(quote_services.quote_withdraw(quote=self._editable(), by=request.user))

    def _decide(self, request: Request, *, approve: bool) -> Response:
        quote = self.get_object()
        approval = quote.approvals.filter(status=ApprovalStatus.PENDING).first()
        self.require(approval is not None and access.can_decide_approval(request.user, approval))
        assert approval is not None
        values = self.validated(DecisionSerializer)
        quote_services.approval_decide(approval=approval, by=request.user, approve=approve, comment=values["comment"])
        return self._read(quote)

    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, approve=True)

    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, approve=False)

    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        quote = self._editable()
        return self._read(quote_services.quote_send(quote=quote, by=request.user, **self.validated(SendSerializer)))

    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        return self._read(quote_services.quote_accept(quote=self._editable(), by=request.user))

    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        quote = self._editable()
        return self._read(quote_services.quote_decline(quote=quote, by=request.user, **self.validated(ReasonSerializer)))

    @action(detail=True, methods=["post"])
    def revise(self, request: Request, pk: str | None = None) -> Response:
        return self._read(quote_services.quote_revise(quote=self._editable(), by=request.user), status.HTTP_201_CREATED)


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentMilestone
        fields = ["id", "order", "name", "percent", "amount", "trigger", "trigger_event", "expected_date", "status", "due_at"]
        read_only_fields = fields


class ContractSerializer(serializers.ModelSerializer):
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = ["id", "number", "customer", "opportunity", "quote", "owner", "title", "status", "signed_on",
                  "signed_by_contact", "amount", "tax_amount", "currency", "terms", "scope", "check_results",
                  "activated_at", "ended_at", "end_reason", "version", "milestones"]  # fmt: skip
        read_only_fields = fields


class ContractCreateSerializer(serializers.Serializer):
    quote = ScopedRelatedField(visible=access.visible_quotes, model=Quote)
    title = serializers.CharField(max_length=160, required=False, allow_blank=True, default="")
    signed_on = serializers.DateField(required=False, allow_null=True)
    terms = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    template = serializers.PrimaryKeyRelatedField(queryset=MilestoneTemplate.objects.all(), required=False, allow_null=True)


class MilestonePlanItemSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=ZERO, max_value=HUNDRED)
    trigger = serializers.ChoiceField(choices=MilestoneTrigger.choices)
    trigger_event = serializers.ChoiceField(choices=DeliveryEvent.choices, required=False, allow_blank=True, default="")
    expected_date = serializers.DateField(required=False, allow_null=True)


class MilestonePlanSerializer(serializers.Serializer):
    milestones = MilestonePlanItemSerializer(many=True, help_text=gettext_lazy("The shares must add up to exactly 100."))


class TerminateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


CONTRACT_FILTERS = {
    "status": QueryFilter("status", serializers.ChoiceField(choices=ContractStatus.choices)),
    "customer": QueryFilter("customer_id", serializers.IntegerField(min_value=1, max_value=2**62)),
}
CONTRACT_ORDERING = ["created_at", "signed_on", "amount", "number"]


def _contract_step(summary: Any, request: Any = None) -> Any:
    return extend_schema(summary=summary, request=request, responses={200: ContractSerializer, **WRITE_ERRORS})


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List contracts"), parameters=filter_parameters(CONTRACT_FILTERS, CONTRACT_ORDERING),
                       responses={200: ContractSerializer(many=True), **LIST_ERRORS}),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a contract with its payment milestones"),
                           responses={200: ContractSerializer, **READ_ERRORS}),  # fmt: skip
    create=extend_schema(summary=gettext_lazy("Draft a contract from an accepted quote"), request=ContractCreateSerializer,
                         responses={201: ContractSerializer, **WRITE_ERRORS}),  # fmt: skip
    milestones=_contract_step(gettext_lazy("Replace the payment milestones of a draft"), MilestonePlanSerializer),
    confirm=_contract_step(gettext_lazy("Confirm: run the checks and activate, or hold with the reasons")),
    terminate=_contract_step(gettext_lazy("Terminate, with a reason"), TerminateSerializer),
)
class ContractViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Contracts you may see."""

    serializer_class = ContractSerializer
    query_filters = CONTRACT_FILTERS
    ordering_fields = CONTRACT_ORDERING
    ordering = ["-created_at", "-pk"]

    def get_queryset(self) -> QuerySet[Contract]:
        return access.visible_contracts(self.request.user).prefetch_related("milestones")

    def _read(self, contract: Contract, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=contract.pk)
        return Response(ContractSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _editable(self) -> Contract:
        contract = self.get_object()
        self.require(access.can_edit_contract(self.request.user, contract))
        return contract

    def create(self, request: Request) -> Response:
        values = self.validated(ContractCreateSerializer)
        quote = values.pop("quote")
        self.require(access.can_create_contract(request.user, quote.opportunity))
        contract = contract_services.contract_from_quote(quote=quote, by=request.user, **values)
        return self._read(contract, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def milestones(self, request: Request, pk: str | None = None) -> Response:
        contract = self._editable()
        plan = self.validated(MilestonePlanSerializer)["milestones"]
        contract_services.contract_milestones_set(contract=contract, by=request.user, milestones=[dict(m) for m in plan])
        return self._read(contract)

    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        return self._read(contract_services.contract_confirm(contract=self._editable(), by=request.user))

    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: str | None = None) -> Response:
        contract = self._editable()
        reason = self.validated(TerminateSerializer)["reason"]
        return self._read(contract_services.contract_terminate(contract=contract, by=request.user, reason=reason))
