"""Read-only API for the recommendation and the price history.

- GET /api/v1/recommendations/{opportunity_id}/: the ranked modules, the bundle with its coverage,
  the uncovered requirements and what similar customers bought (customers you may not see are
  counted, not named);
- GET /api/v1/price-history/?modules=1,2,3: won and lost discounts off list by quarter and the
  suggested band, optionally for similar customers only.
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from touchpoint.core.api import LIST_ERRORS, READ_ERRORS, ScopedViewMixin
from touchpoint.customers.models import CustomerType, SizeTier
from touchpoint.org.policy import may
from touchpoint.sales.access import visible_modules, visible_opportunities
from touchpoint.sales.models import Priority
from touchpoint.sales.services.pricing import price_history
from touchpoint.sales.services.recommendation import recommend

MAX_ID = 2_147_483_647
MAX_MODULES = 20

# --- Response shapes -------------------------------------------------------------------------


class RequirementIdsField(serializers.ListField):
    """A list of requirement items, given as their ids."""

    child = serializers.IntegerField()

    def to_representation(self, data: Any) -> list[int]:
        return [item.id for item in data]


class ModuleRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name = serializers.CharField(source="__str__", help_text=gettext_lazy("In the reader's language."))
    product = serializers.IntegerField(source="product_id")
    product_name = serializers.CharField(source="product.__str__")
    is_core = serializers.BooleanField()


class RequirementItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    priority = serializers.ChoiceField(choices=Priority.choices)
    weight = serializers.IntegerField(help_text=gettext_lazy("must 3, should 2, could 1"))
    area = serializers.CharField()
    effort_days = serializers.DecimalField(max_digits=7, decimal_places=1, help_text=gettext_lazy("Custom effort, person-days."))


class RankedModuleSerializer(serializers.Serializer):
    module = ModuleRefSerializer()
    score = serializers.IntegerField(help_text=gettext_lazy("Sum of the weights of the requirements it covers."))
    must = serializers.IntegerField()
    should = serializers.IntegerField()
    could = serializers.IntegerField()
    requirements = RequirementIdsField(help_text=gettext_lazy("Requirements it covers."))
    explicit_requirements = serializers.ListField(
        child=serializers.IntegerField(), source="explicit_ids",
        help_text=gettext_lazy("Of those, the ones that name the module explicitly; the rest match by area."),
    )  # fmt: skip
    installed = serializers.BooleanField(help_text=gettext_lazy("The customer already has it."))
    in_bundle = serializers.BooleanField()
    list_price = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["explicit_requirements"] = sorted(data["explicit_requirements"])
        return data


class BundleItemSerializer(serializers.Serializer):
    module = ModuleRefSerializer()
    reason = serializers.ChoiceField(
        choices=[("cover", "cover"), ("core", "core")],
        help_text=gettext_lazy("cover: picked for the requirements it adds; core: comes with every sale of its product."),
    )  # fmt: skip
    adds = RequirementIdsField(help_text=gettext_lazy("Requirements it adds to the coverage."))
    list_price = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)


class SimilarCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    same_type = serializers.BooleanField()
    same_size = serializers.BooleanField()
    same_province = serializers.BooleanField()


class AlsoBoughtSerializer(serializers.Serializer):
    module = ModuleRefSerializer()
    score = serializers.IntegerField(help_text=gettext_lazy("Likeness-weighted count: same type 3, same size 2, same province 1."))
    customer_count = serializers.IntegerField()
    customers = SimilarCustomerSerializer(many=True, help_text=gettext_lazy("The most similar ones you may see."))
    unnamed_count = serializers.IntegerField(help_text=gettext_lazy("Similar customers counted but not named."))
    covers = RequirementIdsField()
    in_bundle = serializers.BooleanField()


class RecommendationSerializer(serializers.Serializer):
    opportunity = serializers.IntegerField(source="opportunity.pk")
    requirements = RequirementItemSerializer(many=True, help_text=gettext_lazy("In scope; out-of-scope ones are not counted."))
    out_of_scope = RequirementIdsField()
    ranking = RankedModuleSerializer(many=True)
    bundle = BundleItemSerializer(many=True)
    covered_by_installed = RequirementIdsField()
    uncovered = RequirementIdsField()
    total_weight = serializers.IntegerField()
    covered_weight = serializers.IntegerField()
    weighted_percent = serializers.DecimalField(max_digits=5, decimal_places=1)
    count_percent = serializers.DecimalField(max_digits=5, decimal_places=1)
    uncovered_effort_days = serializers.DecimalField(max_digits=9, decimal_places=1)
    service_days = serializers.DecimalField(
        max_digits=9, decimal_places=1, help_text=gettext_lazy("Custom effort a quote from the bundle carries as services.")
    )
    bundle_list_total = serializers.DecimalField(max_digits=18, decimal_places=2)
    also_bought = AlsoBoughtSerializer(many=True)


class StatsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    p25 = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    median = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    p75 = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class QuarterSerializer(serializers.Serializer):
    quarter = serializers.CharField(help_text=gettext_lazy("Like 2026-Q1."))
    won_median = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    lost_median = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    won_count = serializers.IntegerField()
    lost_count = serializers.IntegerField()


class BandSerializer(serializers.Serializer):
    low = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    high = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    median = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    sample_size = serializers.IntegerField()
    enough = serializers.BooleanField(help_text=gettext_lazy("False with fewer than 5 won deals: then there is no band."))


class ModuleHistorySerializer(serializers.Serializer):
    module = ModuleRefSerializer()
    won = StatsSerializer()
    lost = StatsSerializer()
    quarters = QuarterSerializer(many=True)


class PriceHistorySerializer(serializers.Serializer):
    customer_type = serializers.CharField(help_text=gettext_lazy("The filter applied; empty for any."))
    size_tier = serializers.CharField(help_text=gettext_lazy("The filter applied; empty for any."))
    won = StatsSerializer()
    lost = StatsSerializer()
    band = BandSerializer(help_text=gettext_lazy("P25–P75 of won deals' discounts in the last eight quarters, weighted by list value."))
    quarters = QuarterSerializer(many=True)
    per_module = ModuleHistorySerializer(many=True)


class PriceHistoryQuerySerializer(serializers.Serializer):
    modules = serializers.RegexField(
        r"^\d{1,10}(,\d{1,10}){0,19}$", max_length=219,
        help_text=gettext_lazy("Module ids, separated by commas (at most 20)."),
    )  # fmt: skip
    customer_type = serializers.ChoiceField(choices=CustomerType.choices, required=False)
    size_tier = serializers.ChoiceField(choices=SizeTier.choices, required=False)
    similar_to = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False,
        help_text=gettext_lazy("An opportunity id: only customers of the same type and size tier as its customer."),
    )  # fmt: skip


# --- Views -----------------------------------------------------------------------------------


def _id(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
        raise exceptions.NotFound(_("No such record among those you may see, or no such page."))
    return int(value)


class RecommendationView(ScopedViewMixin, APIView):
    @extend_schema(
        operation_id="recommendations_retrieve",
        parameters=[OpenApiParameter("opportunity_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: RecommendationSerializer, **READ_ERRORS},
        tags=["recommendations"],
    )  # fmt: skip
    def get(self, request: Request, opportunity_id: str) -> Response:
        """The recommendation for an opportunity you may see."""
        opportunity = visible_opportunities(request.user).select_related("customer").filter(pk=_id(opportunity_id)).first()
        if opportunity is None:
            raise exceptions.NotFound(_("No such record among those you may see, or no such page."))
        return Response(RecommendationSerializer(recommend(opportunity=opportunity, user=request.user)).data)


class PriceHistoryView(ScopedViewMixin, APIView):
    @extend_schema(
        operation_id="price_history_retrieve",
        parameters=[PriceHistoryQuerySerializer],
        responses={200: PriceHistorySerializer, **LIST_ERRORS},
        tags=["price-history"],
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        """Won and lost discounts off list for a bundle of modules; needs the right to read quotes."""
        unknown = [name[:50] for name in request.query_params if name not in PriceHistoryQuerySerializer().fields]
        if unknown:
            raise serializers.ValidationError({name: [_("Unknown query parameter.")] for name in unknown})
        query = PriceHistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        self.require(may(request.user, "quote", "view"))
        data = query.validated_data
        ids = list(dict.fromkeys(int(part) for part in data["modules"].split(",")))
        found = {m.pk: m for m in visible_modules(request.user).select_related("product").filter(pk__in=ids)}
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise serializers.ValidationError({"modules": [_("There is no module with id %(id)s.") % {"id": missing[0]}]})
        customer_type, size_tier = data.get("customer_type", ""), data.get("size_tier", "")
        if "similar_to" in data:
            opportunity = visible_opportunities(request.user).select_related("customer").filter(pk=data["similar_to"]).first()
            if opportunity is None:
                raise serializers.ValidationError({"similar_to": [_("No such opportunity among those you may see.")]})
            customer_type, size_tier = opportunity.customer.customer_type, opportunity.customer.size_tier
        history = price_history(modules=[found[pk] for pk in ids], customer_type=customer_type, size_tier=size_tier)
        return Response(PriceHistorySerializer(history).data)
