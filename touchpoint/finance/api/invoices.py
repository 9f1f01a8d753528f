"""API for invoice requests and invoices: issue on a due milestone, correct with a credit note,
mark a dispute, record the tax invoice number."""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
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
    filter_parameters,
)
from touchpoint.core.versioning import StaleEdit, revisions_since
from touchpoint.finance import access, selectors
from touchpoint.finance.api.shared import amount_input, id_field, money
from touchpoint.finance.models import Invoice, InvoiceKind, InvoiceStatus, VatType
from touchpoint.finance.services import invoices as invoice_services
from touchpoint.sales.access import visible_contracts
from touchpoint.sales.models import PaymentMilestone


def visible_milestones(user: Any) -> QuerySet[PaymentMilestone]:
    """Payment milestones of the contracts the user may see."""
    return PaymentMilestone.objects.filter(contract__in=visible_contracts(user).values("pk"))


# --- Invoice requests ---------------------------------------------------------------------


class InvoiceRequestSerializer(serializers.ModelSerializer):
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    contract_title = serializers.CharField(source="contract.title", read_only=True)
    customer = serializers.IntegerField(source="contract.customer_id", read_only=True)
    customer_name = serializers.CharField(source="contract.customer.name", read_only=True)
    owner = serializers.IntegerField(source="contract.owner_id", read_only=True,
                                     help_text=gettext_lazy("The contract's sales rep."))  # fmt: skip
    owner_name = serializers.CharField(source="contract.owner.__str__", read_only=True)
    currency = serializers.CharField(source="contract.currency", read_only=True)
    invoiced = money(help_text=gettext_lazy("Invoiced so far, after credit notes."))
    remainder = money(help_text=gettext_lazy("Still to invoice on the milestone."))

    class Meta:
        model = PaymentMilestone
        fields = ["id", "contract", "contract_number", "contract_title", "customer", "customer_name", "owner",
                  "owner_name", "order", "name", "percent", "amount", "currency", "expected_date", "due_at",
                  "invoiced", "remainder"]  # fmt: skip
        read_only_fields = fields


REQUEST_FILTERS = {
    "customer": QueryFilter("contract__customer_id", id_field(), gettext_lazy("Customer id.")),
    "contract": QueryFilter("contract_id", id_field(), gettext_lazy("Contract id.")),
}


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List invoice requests: due payment milestones with something left to invoice"),
        parameters=filter_parameters(REQUEST_FILTERS), responses={200: InvoiceRequestSerializer(many=True), **LIST_ERRORS},
    ),  # fmt: skip
)
class InvoiceRequestViewSet(ScopedViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Invoice requests of the contracts you may see, oldest due first."""

    serializer_class = InvoiceRequestSerializer
    query_filters = REQUEST_FILTERS

    def get_queryset(self) -> QuerySet[PaymentMilestone]:
        return selectors.invoice_requests(self.request.user)


# --- Invoices ---------------------------------------------------------------------------------


class InvoiceSerializer(serializers.ModelSerializer):
    is_credit_note = serializers.BooleanField(read_only=True,
                                              help_text=gettext_lazy("A credit note (红字发票) corrects `credited_invoice`."))  # fmt: skip
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    milestone_name = serializers.CharField(source="milestone.name", read_only=True)
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)
    overdue_days = serializers.SerializerMethodField(help_text=gettext_lazy("Days past the due date with money still open; 0 otherwise."))

    class Meta:
        model = Invoice
        fields = ["id", "number", "tax_number", "is_credit_note", "credited_invoice", "customer", "customer_name",
                  "contract", "contract_number", "milestone", "milestone_name", "owner", "owner_name", "vat_type",
                  "tax_rate", "amount", "tax_amount", "currency", "issued_on", "due_on", "credited_amount",
                  "allocated_amount", "open_amount", "status", "overdue_days", "disputed", "dispute_reason", "note",
                  "version", "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_overdue_days(self, invoice: Invoice) -> int:
        today = timezone.localdate()
        if invoice.kind != InvoiceKind.INVOICE or invoice.open_amount <= 0 or invoice.due_on >= today:
            return 0
        return (today - invoice.due_on).days


class InvoiceIssueSerializer(serializers.Serializer):
    milestone = ScopedRelatedField(visible=visible_milestones, model=PaymentMilestone,
                                   help_text=gettext_lazy("A due payment milestone of an active contract."))  # fmt: skip
    amount = amount_input(required=False, allow_null=True,
                          help_text=gettext_lazy("Left out, the invoice is for what is left to invoice on the milestone."))  # fmt: skip
    tax_number = serializers.CharField(max_length=30, required=False, allow_blank=True, allow_null=True,
                                       help_text=gettext_lazy("The tax invoice number (发票号), if already known."))  # fmt: skip
    vat_type = serializers.ChoiceField(choices=VatType.choices, default=VatType.SPECIAL)
    tax_rate = serializers.DecimalField(
        max_digits=4, decimal_places=2, min_value=0, required=False, allow_null=True,
        help_text=gettext_lazy("In percent; left out, the default rate for software and services."),
    )  # fmt: skip
    issued_on = serializers.DateField(required=False, allow_null=True, help_text=gettext_lazy("Today when left out."))
    currency = serializers.CharField(min_length=3, max_length=3, required=False, allow_blank=True, default="",
                                     help_text=gettext_lazy("Left out, the contract's; anything else is refused."))  # fmt: skip
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CreditNoteSerializer(serializers.Serializer):
    amount = amount_input(help_text=gettext_lazy("At most what is still open on the invoice."))
    reason = serializers.CharField(max_length=500)
    tax_number = serializers.CharField(max_length=30, required=False, allow_blank=True, allow_null=True,
                                       help_text=gettext_lazy("The credit note's own tax invoice number."))  # fmt: skip


class DisputeSerializer(serializers.Serializer):
    disputed = serializers.BooleanField(help_text=gettext_lazy("true: the customer disputes it; false: the dispute is settled."))
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                   help_text=gettext_lazy("What the customer disputes; needed when disputed is true."))  # fmt: skip


class TaxNumberSerializer(serializers.Serializer):
    tax_number = serializers.CharField(max_length=30)
    version = serializers.IntegerField(min_value=1, max_value=2_147_483_647,
                                       help_text=gettext_lazy("The version you read; a newer one is a 409."))  # fmt: skip


def _overdue(queryset: QuerySet[Invoice], overdue: bool) -> QuerySet[Invoice]:
    condition = Q(kind=InvoiceKind.INVOICE, open_amount__gt=0, due_on__lt=timezone.localdate())
    return queryset.filter(condition) if overdue else queryset.exclude(condition)


INVOICE_FILTERS = {
    "customer": QueryFilter("customer_id", id_field(), gettext_lazy("Customer id.")),
    "contract": QueryFilter("contract_id", id_field(), gettext_lazy("Contract id.")),
    "status": QueryFilter("status", serializers.ChoiceField(choices=InvoiceStatus.choices)),
    "overdue": QueryFilter(_overdue, serializers.BooleanField(),
                           gettext_lazy("true: only invoices past their due date with money open; false: all others.")),  # fmt: skip
}
INVOICE_ORDERING = ["issued_on", "due_on", "amount", "open_amount", "number"]


def _step(summary: Any, request: Any, code: int = 200, errors: Any = WRITE_ERRORS) -> Any:
    return extend_schema(summary=summary, request=request, responses={code: InvoiceSerializer, **errors})


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List invoices and credit notes"),
                       parameters=filter_parameters(INVOICE_FILTERS, INVOICE_ORDERING),
                       responses={200: InvoiceSerializer(many=True), **LIST_ERRORS}),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get an invoice"), responses={200: InvoiceSerializer, **READ_ERRORS}),
    create=_step(gettext_lazy("Issue an invoice on a due payment milestone"), InvoiceIssueSerializer, 201),
    credit_note=_step(gettext_lazy("Correct an invoice with a credit note (红字发票); answers the credit note"),
                      CreditNoteSerializer, 201),  # fmt: skip
    dispute=_step(gettext_lazy("Mark an invoice disputed by the customer, or settle the dispute"), DisputeSerializer),
    tax_number=_step(gettext_lazy("Record the tax invoice number (发票号)"), TaxNumberSerializer, errors=EDIT_ERRORS),
)
class InvoiceViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Invoices and credit notes you may see."""

    serializer_class = InvoiceSerializer
    query_filters = INVOICE_FILTERS
    ordering_fields = INVOICE_ORDERING
    ordering = ["-issued_on", "-pk"]

    def get_queryset(self) -> QuerySet[Invoice]:
        return access.visible_invoices(self.request.user).select_related("customer", "contract", "milestone", "owner")

    def _read(self, invoice: Invoice, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=invoice.pk)
        return Response(InvoiceSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _editable(self) -> Invoice:
        invoice = self.get_object()
        self.require(access.can_edit_invoice(self.request.user, invoice))
        return invoice

    def create(self, request: Request) -> Response:
        self.require(access.may_issue_invoices(request.user))
        values = self.validated(InvoiceIssueSerializer)
        self.require(access.can_issue_invoice(request.user, values["milestone"].contract))
        invoice = invoice_services.invoice_issue(by=request.user, **values)
        return self._read(invoice, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], url_path="credit-note")
    def credit_note(self, request: Request, pk: str | None = None) -> Response:
        invoice = self._editable()
        self.require(access.may_issue_invoices(request.user))
        values = self.validated(CreditNoteSerializer)
        note = invoice_services.credit_note_issue(invoice=invoice, by=request.user, **values)
        return self._read(note, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def dispute(self, request: Request, pk: str | None = None) -> Response:
        invoice = self._editable()
        values = self.validated(DisputeSerializer)
        return self._read(invoice_services.invoice_dispute(invoice=invoice, by=request.user, **values))

    @action(detail=True, methods=["post"], url_path="tax-number")
    def tax_number(self, request: Request, pk: str | None = None) -> Response:
        invoice = self._editable()
        values = self.validated(TaxNumberSerializer)
        if invoice.version != values["version"]:
            raise StaleEdit(revisions_since(invoice, values["version"]), invoice.version)
        updated = invoice_services.invoice_set_tax_number(invoice=invoice, by=request.user, tax_number=values["tax_number"],
                                                          expected_version=values["version"])  # fmt: skip
        return self._read(updated)
