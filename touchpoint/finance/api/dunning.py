"""API for the payment reminders the daily dunning run sent: read only."""

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from touchpoint.core.api import LIST_ERRORS, READ_ERRORS, QueryFilter, ScopedViewMixin, filter_parameters
from touchpoint.finance import access
from touchpoint.finance.api.shared import id_field
from touchpoint.finance.models import DunningItem, DunningLetter, LetterStatus


class DunningItemSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = DunningItem
        fields = ["invoice", "invoice_number", "open_amount"]
        read_only_fields = fields


class DunningLetterSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    level_name = serializers.CharField(source="level.__str__", read_only=True)
    level_days = serializers.IntegerField(source="level.days", read_only=True,
                                          help_text=gettext_lazy("Days after the due date; negative before it."))  # fmt: skip
    # A plain string: the address is blank when the customer has no finance contact.
    email = serializers.CharField(read_only=True)
    touchpoint = serializers.IntegerField(source="touchpoint_id", read_only=True, allow_null=True,
                                          help_text=gettext_lazy("The outbound email logged on the customer's timeline."))  # fmt: skip
    items = DunningItemSerializer(many=True, read_only=True, help_text=gettext_lazy("The invoices the letter covered."))

    class Meta:
        model = DunningLetter
        fields = ["id", "customer", "customer_name", "level", "level_name", "level_days", "run_on", "status", "contact",
                  "email", "language", "subject", "body", "total", "currency", "touchpoint", "created_at", "items"]  # fmt: skip
        read_only_fields = fields


LETTER_FILTERS = {
    "customer": QueryFilter("customer_id", id_field(), gettext_lazy("Customer id.")),
    "status": QueryFilter("status", serializers.ChoiceField(choices=LetterStatus.choices)),
}
LETTER_ORDERING = ["run_on", "total"]


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List payment reminders sent"),
                       parameters=filter_parameters(LETTER_FILTERS, LETTER_ORDERING),
                       responses={200: DunningLetterSerializer(many=True), **LIST_ERRORS}),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a payment reminder"), responses={200: DunningLetterSerializer, **READ_ERRORS}),
)
class DunningLetterViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reminders to the customers whose invoices you may see."""

    serializer_class = DunningLetterSerializer
    query_filters = LETTER_FILTERS
    ordering_fields = LETTER_ORDERING
    ordering = ["-run_on", "-pk"]

    def get_queryset(self) -> QuerySet[DunningLetter]:
        items = DunningItem.objects.select_related("invoice").order_by("pk")
        return (
            access.visible_letters(self.request.user).select_related("customer", "level")
            .prefetch_related(Prefetch("items", queryset=items))
        )  # fmt: skip
