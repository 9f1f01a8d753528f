"""API for credit: each customer's profile with its exposure and risk, its terms, rating override and
holds, and finance's override of a credit block."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
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
from touchpoint.core.versioning import StaleEdit, revisions_since
from touchpoint.customers.access import visible_customers
from touchpoint.customers.models import Customer
from touchpoint.finance import access
from touchpoint.finance.api.shared import errors_renamed, id_field, money, path_id
from touchpoint.finance.models import CreditOverride, CreditProfile, DunningLanguage, Rating
from touchpoint.finance.services import credit as credit_services
from touchpoint.finance.services.invoices import MAX_AMOUNT
from touchpoint.sales.access import visible_contracts, visible_quotes
from touchpoint.sales.models import Contract, Quote

# --- Profiles ---------------------------------------------------------------------------------


class RiskSignalSerializer(serializers.Serializer):
    points = serializers.IntegerField()
    explanation = serializers.CharField()


class RiskFactorsSerializer(serializers.Serializer):
    """What the risk score is made of; null until the customer is first scored."""

    overdue_ratio = serializers.DecimalField(max_digits=None, decimal_places=4,
                                             help_text=gettext_lazy("Share of the open receivables past due, 0 to 1."))  # fmt: skip
    overdue_points = serializers.IntegerField()
    average_days_late = serializers.DecimalField(max_digits=None, decimal_places=1,
                                                 help_text=gettext_lazy("Over the last 12 months' invoices."))  # fmt: skip
    lateness_points = serializers.IntegerField()
    disputes = serializers.IntegerField(help_text=gettext_lazy("Open invoices the customer disputes."))
    dispute_points = serializers.IntegerField()
    signals = RiskSignalSerializer(many=True, help_text=gettext_lazy("Points other modules add, with why."))
    open_amount = money()
    overdue_amount = money()

    def get_attribute(self, instance: Any) -> Any:
        return super().get_attribute(instance) or None


class ExposureSerializer(serializers.Serializer):
    """Exposure as the credit policy counts it; a part the policy leaves out is 0."""

    currency = serializers.CharField()
    unpaid_invoices = money()
    unbilled_contracts = money(help_text=gettext_lazy("The part of active contracts not yet invoiced."))
    open_quotes = money(help_text=gettext_lazy("Approved or sent quotes, and accepted ones without a contract yet."))
    total = money()
    limit = money(help_text=gettext_lazy("0: no limit set."))
    available = money(allow_null=True, help_text=gettext_lazy("Limit minus total; null without a limit."))
    used_percent = serializers.DecimalField(max_digits=None, decimal_places=2, allow_null=True,
                                            help_text=gettext_lazy("Total as a share of the limit; null without a limit."))  # fmt: skip


class CreditProfileSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    rating = serializers.ChoiceField(choices=Rating.choices, read_only=True,
                                     help_text=gettext_lazy("The override when one is set, else the computed rating."))  # fmt: skip
    # Plain strings, so that the A–D choices are documented once, as `rating`'s.
    computed_rating = serializers.CharField(read_only=True, help_text=gettext_lazy("From payment behaviour: A, B, C or D."))
    rating_override = serializers.CharField(read_only=True, help_text=gettext_lazy("Set by hand: A, B, C or D; empty for none."))
    risk_factors = RiskFactorsSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CreditProfile
        fields = ["customer", "customer_name", "credit_limit", "currency", "payment_terms_days", "rating",
                  "computed_rating", "rating_override", "rating_override_reason", "risk_score", "risk_factors",
                  "scored_at", "credit_hold", "credit_hold_reason", "service_hold", "service_hold_reason",
                  "dunning_paused", "dunning_pause_reason", "dunning_language", "version", "updated_at"]  # fmt: skip
        read_only_fields = fields


class CreditProfileDetailSerializer(CreditProfileSerializer):
    exposure = serializers.SerializerMethodField()

    class Meta(CreditProfileSerializer.Meta):
        fields = [*CreditProfileSerializer.Meta.fields, "exposure"]
        read_only_fields = fields

    @extend_schema_field(ExposureSerializer)
    def get_exposure(self, profile: CreditProfile) -> dict[str, Any]:
        return dict(ExposureSerializer(self.context["exposure"]).data)


class CreditTermsSerializer(VersionedUpdateSerializer):
    credit_limit = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0, max_value=MAX_AMOUNT,
                                            required=False, help_text=gettext_lazy("0: no limit."))  # fmt: skip
    payment_terms_days = serializers.IntegerField(min_value=0, max_value=credit_services.MAX_TERMS_DAYS, required=False)
    dunning_language = serializers.ChoiceField(choices=DunningLanguage.choices, required=False,
                                               help_text=gettext_lazy("The language payment reminders go out in."))  # fmt: skip


class CreditRatingSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=Rating.choices, allow_blank=True,
                                     help_text=gettext_lazy("Empty: back to the computed rating."))  # fmt: skip
    reason = serializers.CharField(max_length=500)


class CreditFlagSerializer(serializers.Serializer):
    on = serializers.BooleanField(help_text=gettext_lazy("true to set, false to lift."))
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                   help_text=gettext_lazy("Needed when setting."))  # fmt: skip


PROFILE_FILTERS = {
    "customer": QueryFilter("customer_id", id_field(), gettext_lazy("Customer id.")),
    "credit_hold": QueryFilter("credit_hold", serializers.BooleanField()),
    "service_hold": QueryFilter("service_hold", serializers.BooleanField()),
    "dunning_paused": QueryFilter("dunning_paused", serializers.BooleanField()),
}
PROFILE_ORDERING = ["risk_score", "credit_limit", "updated_at"]
CUSTOMER_ID = OpenApiParameter("customer_id", OpenApiTypes.INT, OpenApiParameter.PATH, description=gettext_lazy("The customer's id."))


def _profile_step(summary: Any, request: Any, errors: Any = WRITE_ERRORS) -> Any:
    return extend_schema(summary=summary, parameters=[CUSTOMER_ID], request=request,
                         responses={200: CreditProfileDetailSerializer, **errors})  # fmt: skip


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List credit profiles, highest risk first"),
                       parameters=filter_parameters(PROFILE_FILTERS, PROFILE_ORDERING),
                       responses={200: CreditProfileSerializer(many=True), **LIST_ERRORS}),  # fmt: skip
    retrieve=extend_schema(
        summary=gettext_lazy("Get a customer's credit profile with its exposure and risk"),
        description=gettext_lazy("A customer without a profile gets one with the default terms."),
        parameters=[CUSTOMER_ID], responses={200: CreditProfileDetailSerializer, **READ_ERRORS},
    ),  # fmt: skip
    partial_update=_profile_step(gettext_lazy("Set the credit limit, payment terms or reminder language"),
                                 CreditTermsSerializer, EDIT_ERRORS),  # fmt: skip
    rating=_profile_step(gettext_lazy("Set the rating by hand, with a reason, or go back to the computed one"),
                         CreditRatingSerializer),  # fmt: skip
    hold=_profile_step(gettext_lazy("Put the customer on credit hold, or lift it"), CreditFlagSerializer),
    service_hold=_profile_step(gettext_lazy("Hold non-critical service work, or lift the hold"), CreditFlagSerializer),
    dunning_pause=_profile_step(gettext_lazy("Pause payment reminders to the customer, or resume them"), CreditFlagSerializer),
)
class CreditProfileViewSet(ScopedViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Credit profiles you may see; one is addressed by its customer's id."""

    serializer_class = CreditProfileSerializer
    query_filters = PROFILE_FILTERS
    ordering_fields = PROFILE_ORDERING
    ordering = ["-risk_score", "pk"]
    lookup_field = "customer_id"
    lookup_url_kwarg = "customer_id"

    def get_queryset(self) -> QuerySet[CreditProfile]:
        return access.visible_credit_profiles(self.request.user).select_related("customer")

    def _customer(self) -> Customer:
        customer = visible_customers(self.request.user).filter(pk=path_id(self.kwargs["customer_id"])).first()
        if customer is None or not access.can_view_credit(self.request.user, customer):
            raise exceptions.NotFound(_("No such record among those you may see, or no such page."))
        return customer

    def _editable(self) -> Customer:
        customer = self._customer()
        self.require(access.can_edit_credit(self.request.user, customer))
        return customer

    def _answer(self, customer: Customer) -> Response:
        profile = credit_services.credit_profile_for(customer)
        profile.customer = customer
        context = {**self.get_serializer_context(), "exposure": credit_services.exposure_of(customer.pk, profile=profile)}
        return Response(CreditProfileDetailSerializer(profile, context=context).data)

    def retrieve(self, request: Request, customer_id: str) -> Response:
        return self._answer(self._customer())

    def partial_update(self, request: Request, customer_id: str) -> Response:
        customer = self._editable()
        values = self.validated(CreditTermsSerializer)
        version = values.pop("version")
        profile = credit_services.credit_profile_for(customer)
        if profile.version != version:
            raise StaleEdit(revisions_since(profile, version), profile.version)
        credit_services.credit_profile_update(customer=customer, by=request.user, expected_version=version, **values)
        return self._answer(customer)

    @action(detail=True, methods=["post"])
    def rating(self, request: Request, customer_id: str) -> Response:
        customer = self._editable()
        credit_services.credit_rating_override(customer=customer, by=request.user, **self.validated(CreditRatingSerializer))
        return self._answer(customer)

    def _flag(self, service: Any, field: str) -> Response:
        customer = self._editable()
        values = self.validated(CreditFlagSerializer)
        with errors_renamed(**{field: "on"}):
            service(customer=customer, by=self.request.user, **values)
        return self._answer(customer)

    @action(detail=True, methods=["post"])
    def hold(self, request: Request, customer_id: str) -> Response:
        return self._flag(credit_services.credit_hold_set, "credit_hold")

    @action(detail=True, methods=["post"], url_path="service-hold")
    def service_hold(self, request: Request, customer_id: str) -> Response:
        return self._flag(credit_services.service_hold_set, "service_hold")

    @action(detail=True, methods=["post"], url_path="dunning-pause")
    def dunning_pause(self, request: Request, customer_id: str) -> Response:
        return self._flag(credit_services.dunning_pause_set, "dunning_paused")


# --- Overrides --------------------------------------------------------------------------------


class CreditOverrideSerializer(serializers.ModelSerializer):
    by_name = serializers.CharField(source="by.__str__", read_only=True)

    class Meta:
        model = CreditOverride
        fields = ["id", "customer", "contract", "quote", "blocked_because", "reason", "by", "by_name", "created_at"]
        read_only_fields = fields


class CreditOverrideCreateSerializer(serializers.Serializer):
    contract = ScopedRelatedField(visible=visible_contracts, model=Contract, required=False, allow_null=True,
                                  help_text=gettext_lazy("A contract its checks hold; give this or `quote`."))  # fmt: skip
    quote = ScopedRelatedField(visible=visible_quotes, model=Quote, required=False, allow_null=True,
                               help_text=gettext_lazy("A quote the credit check blocks; give this or `contract`."))  # fmt: skip
    reason = serializers.CharField(max_length=500)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        contract, quote = attrs.get("contract"), attrs.get("quote")
        if contract is not None and quote is not None:
            raise serializers.ValidationError({"quote": [_("Give a contract or a quote, not both.")]})
        if contract is None and quote is None:
            raise serializers.ValidationError({"contract": [_("Say which contract or quote to let through.")]})
        return attrs


class CreditOverrideViewSet(ScopedViewMixin, viewsets.ViewSet):
    """Finance lets one contract or quote through a credit block."""

    @extend_schema(
        summary=gettext_lazy("Override a credit block, with a reason"),
        description=gettext_lazy("A held contract is then confirmed at once; a quote is submitted again by its rep. "
                                 "Only finance may do this."),  # fmt: skip
        request=CreditOverrideCreateSerializer,
        responses={201: CreditOverrideSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request) -> Response:
        only_finance = _("Only finance may override a credit block.")
        self.require(access.may_edit_credit(request.user), only_finance)
        values = self.validated(CreditOverrideCreateSerializer)
        field = "contract" if values.get("contract") is not None else "quote"
        record = values[field]
        self.require(access.can_edit_credit(request.user, record.customer), only_finance)
        with errors_renamed(record=field):
            override = credit_services.credit_override(by=request.user, reason=values["reason"], **{field: record})
        return Response(CreditOverrideSerializer(override).data, status=status.HTTP_201_CREATED)
