"""API for receipts (回款) and their allocations: record, allocate by hand or oldest first, reverse."""

from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from touchpoint.core.api import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, QueryFilter, ScopedRelatedField, ScopedViewMixin, filter_parameters
from touchpoint.customers.access import visible_customers
from touchpoint.customers.models import Customer
from touchpoint.finance import access
from touchpoint.finance.api.shared import amount_input, id_field, money
from touchpoint.finance.models import Allocation, Invoice, Receipt, ReceiptMethod, ReceiptStatus
from touchpoint.finance.services import receipts as receipt_services


class AllocationSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    is_reversed = serializers.BooleanField(read_only=True)

    class Meta:
        model = Allocation
        fields = ["id", "receipt", "invoice", "invoice_number", "amount", "allocated_on", "created_at", "is_reversed",
                  "reversed_at", "reversal_reason"]  # fmt: skip
        read_only_fields = fields


class ReceiptSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    unallocated = money(help_text=gettext_lazy("Not yet set against an invoice; 0 once the receipt is reversed."))
    allocations = AllocationSerializer(many=True, read_only=True, help_text=gettext_lazy("Reversed ones included, marked."))

    class Meta:
        model = Receipt
        fields = ["id", "number", "customer", "customer_name", "received_on", "amount", "currency", "method",
                  "bank_reference", "allocated_amount", "unallocated", "status", "note", "reversed_at",
                  "reversal_reason", "version", "created_at", "allocations"]  # fmt: skip
        read_only_fields = fields


class ReceiptRecordSerializer(serializers.Serializer):
    customer = ScopedRelatedField(visible=visible_customers, model=Customer)
    amount = amount_input()
    received_on = serializers.DateField(help_text=gettext_lazy("The day the money arrived; not in the future."))
    currency = serializers.CharField(min_length=3, max_length=3, required=False, allow_blank=True, default="",
                                     help_text=gettext_lazy("Left out, the default currency (CNY)."))  # fmt: skip
    method = serializers.ChoiceField(choices=ReceiptMethod.choices, default=ReceiptMethod.BANK_TRANSFER)
    bank_reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    allocate = serializers.BooleanField(
        default=True, help_text=gettext_lazy("Allocate at once to the customer's open invoices, oldest due first.")
    )


class AllocationLineSerializer(serializers.Serializer):
    invoice = ScopedRelatedField(visible=access.visible_invoices, model=Invoice)
    amount = amount_input(help_text=gettext_lazy("At most what is open on the invoice."))


class AllocateSerializer(serializers.Serializer):
    allocations = AllocationLineSerializer(many=True, allow_empty=False, max_length=50,  # type: ignore[call-arg]
                                           help_text=gettext_lazy("Together at most what is unallocated on the receipt."))  # fmt: skip


class ReversalSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


def _unallocated(queryset: QuerySet[Receipt], unallocated: bool) -> QuerySet[Receipt]:
    condition = Q(status=ReceiptStatus.ACTIVE, allocated_amount__lt=F("amount"))
    return queryset.filter(condition) if unallocated else queryset.exclude(condition)


RECEIPT_FILTERS = {
    "customer": QueryFilter("customer_id", id_field(), gettext_lazy("Customer id.")),
    "status": QueryFilter("status", serializers.ChoiceField(choices=ReceiptStatus.choices)),
    "unallocated": QueryFilter(_unallocated, serializers.BooleanField(),
                               gettext_lazy("true: only receipts with money still to allocate; false: the others.")),  # fmt: skip
}
RECEIPT_ORDERING = ["received_on", "amount", "number"]


def receipts_with_allocations(user: Any) -> QuerySet[Receipt]:
    allocations = Allocation.objects.select_related("invoice").order_by("pk")
    return (
        access.visible_receipts(user).select_related("customer")
        .prefetch_related(Prefetch("allocations", queryset=allocations))
    )  # fmt: skip


def receipt_response(request: Request, receipt: Receipt, code: int = status.HTTP_200_OK) -> Response:
    """The receipt as it now stands, with its allocations."""
    fresh = receipts_with_allocations(request.user).get(pk=receipt.pk)
    return Response(ReceiptSerializer(fresh, context={"request": request}).data, status=code)


def _step(summary: Any, request: Any = None, code: int = 200) -> Any:
    return extend_schema(summary=summary, request=request, responses={code: ReceiptSerializer, **WRITE_ERRORS})


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List receipts with their allocations"),
                       parameters=filter_parameters(RECEIPT_FILTERS, RECEIPT_ORDERING),
                       responses={200: ReceiptSerializer(many=True), **LIST_ERRORS}),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a receipt with its allocations"), responses={200: ReceiptSerializer, **READ_ERRORS}),
    create=_step(gettext_lazy("Record a receipt, allocated oldest invoice first unless told not to"), ReceiptRecordSerializer, 201),
    allocate=_step(gettext_lazy("Allocate a receipt to invoices by hand"), AllocateSerializer),
    allocate_oldest=_step(gettext_lazy("Allocate what is unallocated to the oldest open invoices")),
    reverse=_step(gettext_lazy("Reverse a receipt that did not arrive after all, with every allocation"), ReversalSerializer),
)
class ReceiptViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Receipts you may see."""

    serializer_class = ReceiptSerializer
    query_filters = RECEIPT_FILTERS
    ordering_fields = RECEIPT_ORDERING
    ordering = ["-received_on", "-pk"]

    def get_queryset(self) -> QuerySet[Receipt]:
        return receipts_with_allocations(self.request.user)

    def _editable(self) -> Receipt:
        receipt = self.get_object()
        self.require(access.can_edit_receipt(self.request.user, receipt))
        return receipt

    def create(self, request: Request) -> Response:
        self.require(access.may_record_receipts(request.user))
        values = self.validated(ReceiptRecordSerializer)
        self.require(access.can_record_receipt(request.user, values["customer"]))
        receipt = receipt_services.receipt_record(by=request.user, **values)
        return receipt_response(request, receipt, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def allocate(self, request: Request, pk: str | None = None) -> Response:
        receipt = self._editable()
        lines = self.validated(AllocateSerializer)["allocations"]
        receipt_services.receipt_allocate(receipt=receipt, by=request.user,
                                          allocations=[(line["invoice"], line["amount"]) for line in lines])  # fmt: skip
        return receipt_response(request, receipt)

    @action(detail=True, methods=["post"], url_path="allocate-oldest")
    def allocate_oldest(self, request: Request, pk: str | None = None) -> Response:
        receipt = self._editable()
        receipt_services.receipt_allocate_oldest_first(receipt=receipt, by=request.user)
        return receipt_response(request, receipt)

    @action(detail=True, methods=["post"])
    def reverse(self, request: Request, pk: str | None = None) -> Response:
        receipt = self._editable()
        reason = self.validated(ReversalSerializer)["reason"]
        return receipt_response(request, receipt_services.receipt_reverse(receipt=receipt, by=request.user, reason=reason))


@extend_schema_view(
    reverse=extend_schema(summary=gettext_lazy("Reverse one allocation; answers its receipt"), request=ReversalSerializer,
                          responses={200: ReceiptSerializer, **WRITE_ERRORS}),  # fmt: skip
)
class AllocationViewSet(ScopedViewMixin, viewsets.GenericViewSet):
    """Allocations of the receipts you may see."""

    serializer_class = AllocationSerializer

    def get_queryset(self) -> QuerySet[Allocation]:
        return Allocation.objects.filter(receipt__in=access.visible_receipts(self.request.user).values("pk")).select_related("receipt")

    @action(detail=True, methods=["post"])
    def reverse(self, request: Request, pk: str | None = None) -> Response:
        allocation = self.get_object()
        self.require(access.can_edit_receipt(request.user, allocation.receipt))
        reason = self.validated(ReversalSerializer)["reason"]
        receipt_services.allocation_reverse(allocation=allocation, by=request.user, reason=reason)
        return receipt_response(request, allocation.receipt)
