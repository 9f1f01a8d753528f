"""API for the receivables reports: the pages' figures as JSON, through the same access layer.

- GET /api/v1/ar-ageing/?group_by=customer|owner|region
- GET /api/v1/collection-plan/?contract=ID or ?customer=ID
- GET /api/v1/receivables-outlook/: DSO, open and overdue receivables, the cash of the next six months
- GET /api/v1/collections-against-plan/?start=YYYY-MM&end=YYYY-MM

Each needs the right to read invoices and covers only what the reader may see. A bad or unknown
query parameter is a 400 naming it. Amounts are decimal strings in the default currency.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from touchpoint.core.api import ScopedViewMixin, errors
from touchpoint.core.money import ZERO, default_currency
from touchpoint.customers.access import visible_customers
from touchpoint.finance import access, reports
from touchpoint.finance.api.shared import MonthField, id_field, money, query_values
from touchpoint.org.policy import may
from touchpoint.sales.access import visible_contracts
from touchpoint.sales.models import MilestoneStatus

REPORT_ERRORS = errors(400, 401, 403)
MILESTONE_STATUSES = ", ".join(MilestoneStatus.values)
MAX_MONTHS = 36


class ReceivablesReportView(ScopedViewMixin, APIView):
    """A report over the invoices the reader may see: refused outright to those who may see none."""

    def reader(self, request: Request) -> None:
        self.require(may(request.user, "invoice", "view"))


# --- AR ageing --------------------------------------------------------------------------------


class AgeingQuerySerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=list(reports.AGEING_GROUPS), default="customer",
                                       help_text=gettext_lazy("customer, owner (the sales rep) or region (the province)."))  # fmt: skip


class AgeingBucketsSerializer(serializers.Serializer):
    current = money(help_text=gettext_lazy("Not yet due."))
    d1_30 = money()
    d31_60 = money()
    d61_90 = money()
    d91_180 = money()
    d180_plus = money()


class AgeingRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True,
                                help_text=gettext_lazy("The customer's or rep's id, or the province; null on the totals."))  # fmt: skip
    name = serializers.CharField()
    count = serializers.IntegerField(help_text=gettext_lazy("Open invoices."))
    buckets = AgeingBucketsSerializer()
    total = money()
    overdue = money()


class BucketLabelSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label


class AgeingSerializer(serializers.Serializer):
    group_by = serializers.CharField(help_text=gettext_lazy("customer, owner or region."))
    today = serializers.DateField()
    currency = serializers.CharField(help_text=gettext_lazy("Invoices in other currencies are left out."))
    bucket_labels = serializers.SerializerMethodField()
    rows = AgeingRowSerializer(many=True, help_text=gettext_lazy("The largest groups first, at most 50."))
    groups = serializers.IntegerField(help_text=gettext_lazy("How many groups there are in all."))
    totals = AgeingRowSerializer(help_text=gettext_lazy("Over everything you may see."))

    @extend_schema_field(BucketLabelSerializer(many=True))
    def get_bucket_labels(self, ageing: reports.Ageing) -> list[dict[str, str]]:
        return [{"key": key, "label": str(label)} for key, label, *_bounds in reports.BUCKETS]


class AgeingView(ReceivablesReportView):
    @extend_schema(operation_id="ar_ageing", summary=gettext_lazy("AR ageing by customer, sales rep or region"),
                   parameters=[AgeingQuerySerializer], responses={200: AgeingSerializer, **REPORT_ERRORS})  # fmt: skip
    def get(self, request: Request) -> Response:
        """Open receivables in buckets of days overdue: the largest groups, and the totals."""
        self.reader(request)
        group_by = query_values(request, AgeingQuerySerializer)["group_by"]
        return Response(AgeingSerializer(reports.ageing(user=request.user, group_by=group_by)).data)


# --- Collection plan ------------------------------------------------------------------------


class CollectionPlanQuerySerializer(serializers.Serializer):
    contract = id_field(required=False, help_text=gettext_lazy("The plan of this contract."))
    customer = id_field(required=False, help_text=gettext_lazy("The plan of all this customer's contracts you may see."))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("contract" in attrs) == ("customer" in attrs):
            raise serializers.ValidationError({"contract": [_("Give either a contract or a customer.")]})
        return attrs


class PlanLineSerializer(serializers.Serializer):
    milestone = serializers.IntegerField(source="milestone.pk")
    contract = serializers.IntegerField(source="milestone.contract_id")
    contract_number = serializers.CharField(source="milestone.contract.number")
    name = serializers.CharField(source="milestone.name")
    order = serializers.IntegerField(source="milestone.order")
    # A plain string: the choices are the milestone's own `status` (MilestoneStatusEnum), documented once there.
    milestone_status = serializers.CharField(source="milestone.status", help_text=MILESTONE_STATUSES)
    expected_date = serializers.DateField(source="milestone.expected_date", allow_null=True)
    amount = money(source="milestone.amount")
    invoiced = money(help_text=gettext_lazy("After credit notes."))
    received = money()
    open = money(help_text=gettext_lazy("Invoiced and not yet received."))
    to_invoice = money()
    overdue = money(help_text=gettext_lazy("Open on its invoices past their due date."))
    overdue_days = serializers.IntegerField(help_text=gettext_lazy("Days the oldest open invoice is past due; 0 if none."))


class PlanMonthSerializer(serializers.Serializer):
    month = MonthField()
    expected = money(help_text=gettext_lazy("Milestones expected in the month."))
    received = money(help_text=gettext_lazy("Receipts in the month allocated to these milestones."))


class CollectionPlanSerializer(serializers.Serializer):
    amount = money(help_text=gettext_lazy("All milestones but cancelled ones."))
    invoiced = money()
    received = money()
    open = money()
    overdue = money()
    lines = PlanLineSerializer(many=True)
    months = PlanMonthSerializer(many=True)


class CollectionPlanView(ReceivablesReportView):
    @extend_schema(operation_id="collection_plan",
                   summary=gettext_lazy("Collection plan (回款计划) of a contract or a customer: expected against received"),
                   parameters=[CollectionPlanQuerySerializer], responses={200: CollectionPlanSerializer, **REPORT_ERRORS})  # fmt: skip
    def get(self, request: Request) -> Response:
        """Per milestone: invoiced, received, open and days overdue; per month: expected against received."""
        self.reader(request)
        query = query_values(request, CollectionPlanQuerySerializer)
        if "contract" in query:
            contract = visible_contracts(request.user).filter(pk=query["contract"]).first()
            if contract is None:
                raise serializers.ValidationError({"contract": [_("No such contract among those you may see.")]})
            plan = reports.contract_plan(contract=contract)
        else:
            customer = visible_customers(request.user).filter(pk=query["customer"]).first()
            if customer is None or not (access.can_view_receivables(request.user, customer)
                                        or access.can_view_credit(request.user, customer)):  # fmt: skip
                raise serializers.ValidationError({"customer": [_("No such customer among those you may see.")]})
            plan = reports.customer_plan(user=request.user, customer=customer)
        return Response(CollectionPlanSerializer(plan).data)


# --- Outlook: DSO and expected cash ----------------------------------------------------------


class CashMonthSerializer(serializers.Serializer):
    month = MonthField()
    from_invoices = money(help_text=gettext_lazy("Open invoices falling due; overdue ones count in the current month."))
    from_milestones = money(help_text=gettext_lazy("What is still to invoice on milestones expected in the month."))
    total = money()


class OutlookSerializer(serializers.Serializer):
    today = serializers.DateField()
    currency = serializers.CharField()
    open_ar = money(help_text=gettext_lazy("Open receivables."))
    overdue = money()
    billed_90_days = money(help_text=gettext_lazy("Invoiced in the last 90 days, after credit notes."))
    dso = serializers.DecimalField(
        max_digits=None, decimal_places=1, allow_null=True,
        help_text=gettext_lazy("Days sales outstanding over the last 90 days; null when nothing was invoiced."),
    )  # fmt: skip
    next_3_months = money(help_text=gettext_lazy("Cash expected in this month and the next two."))
    next_6_months = money()
    months = CashMonthSerializer(many=True)


class ReceivablesOutlookView(ReceivablesReportView):
    @extend_schema(operation_id="receivables_outlook",
                   summary=gettext_lazy("DSO, open and overdue receivables, and the cash expected in the next six months"),
                   parameters=[], responses={200: OutlookSerializer, **REPORT_ERRORS})  # fmt: skip
    def get(self, request: Request) -> Response:
        """Open invoices by due month, plus what milestones still have to invoice by their expected month."""
        self.reader(request)
        query_values(request, serializers.Serializer)
        outlook = reports.outlook(user=request.user, months=6)
        body = {
            "today": timezone.localdate(), "currency": default_currency(), "open_ar": outlook.open_ar,
            "overdue": outlook.overdue, "billed_90_days": outlook.billed_90_days, "dso": outlook.dso,
            "next_3_months": outlook.next_months(3), "next_6_months": outlook.next_months(6), "months": outlook.months,
        }  # fmt: skip
        return Response(OutlookSerializer(body).data)


# --- Collections against plan -----------------------------------------------------------------


class CollectionsQuerySerializer(serializers.Serializer):
    start = MonthField(help_text=gettext_lazy("First month, YYYY-MM."))
    end = MonthField(help_text=gettext_lazy("Last month, YYYY-MM; at most three years after the first."))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs["start"], attrs["end"]
        if end < start or reports.add_months(start, MAX_MONTHS) <= end:
            raise serializers.ValidationError({"end": [_("The end must be after the start, within three years.")]})
        return attrs


class PlanCellSerializer(serializers.Serializer):
    month = MonthField()
    planned = money(help_text=gettext_lazy("Milestones expected in the month."))
    collected = money(help_text=gettext_lazy("Receipts in the month, allocated."))


class RepPlanSerializer(serializers.Serializer):
    rep = serializers.IntegerField(help_text=gettext_lazy("The sales rep's user id."))
    name = serializers.CharField()
    months = PlanCellSerializer(many=True)
    planned = money()
    collected = money()


class CollectionsAgainstPlanSerializer(serializers.Serializer):
    start = MonthField()
    end = MonthField()
    months = PlanCellSerializer(many=True, help_text=gettext_lazy("Every month of the range, all reps together."))
    by_rep = RepPlanSerializer(many=True, help_text=gettext_lazy("Reps with something planned or collected, by name."))
    planned = money()
    collected = money()


def _cells(months: list[date], figures: dict[date, tuple[Decimal, Decimal]]) -> list[dict[str, Any]]:
    return [{"month": m, "planned": figures.get(m, (ZERO, ZERO))[0], "collected": figures.get(m, (ZERO, ZERO))[1]}
            for m in months]  # fmt: skip


class CollectionsAgainstPlanView(ReceivablesReportView):
    @extend_schema(operation_id="collections_against_plan",
                   summary=gettext_lazy("Collections against plan, by month and by sales rep"),
                   parameters=[CollectionsQuerySerializer], responses={200: CollectionsAgainstPlanSerializer, **REPORT_ERRORS})  # fmt: skip
    def get(self, request: Request) -> Response:
        """What milestones planned to collect in each month against what receipts collected, in all and per rep."""
        self.reader(request)
        query = query_values(request, CollectionsQuerySerializer)
        plan = reports.collections_against_plan(user=request.user, start=query["start"], end=query["end"])
        totals = {m: (plan.planned[m], plan.collected[m]) for m in plan.months}
        reps = [
            {"rep": rep, "name": name, "months": _cells(plan.months, cells),
             "planned": sum((cells.get(m, (ZERO, ZERO))[0] for m in plan.months), ZERO),
             "collected": sum((cells.get(m, (ZERO, ZERO))[1] for m in plan.months), ZERO)}
            for rep, name, cells in plan.by_rep
        ]  # fmt: skip
        body = {
            "start": plan.months[0], "end": plan.months[-1], "months": _cells(plan.months, totals), "by_rep": reps,
            "planned": sum(plan.planned.values(), ZERO), "collected": sum(plan.collected.values(), ZERO),
        }  # fmt: skip
        return Response(CollectionsAgainstPlanSerializer(body).data)
