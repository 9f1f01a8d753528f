"""Read-only API of the product catalogue: products (with modules, versions and today's list prices),
modules, and the requirement areas. Changes go through the catalogue pages and their services."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from touchpoint.core.api import LIST_ERRORS, READ_ERRORS, QueryFilter, ScopedViewMixin, filter_parameters
from touchpoint.org.policy import may
from touchpoint.sales.access import visible_modules, visible_products
from touchpoint.sales.models import Feature, LicenceType, Module, ModulePrice, Product, ProductVersion, RequirementArea
from touchpoint.sales.services.catalogue import current_prices


def visible_areas(user: Any) -> QuerySet[RequirementArea]:
    return RequirementArea.objects.all() if may(user, "product", "view") else RequirementArea.objects.none()


class RequirementAreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequirementArea
        fields = ["id", "code", "name", "name_en", "order", "is_active"]
        read_only_fields = fields


class PriceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModulePrice
        fields = ["licence_type", "list_price", "currency", "valid_from"]
        read_only_fields = fields


class FeatureSerializer(serializers.ModelSerializer):
    areas: Any = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code", help_text=gettext_lazy("Area codes."))

    class Meta:
        model = Feature
        fields = ["id", "name", "name_en", "areas", "retired_at"]
        read_only_fields = fields


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductVersion
        fields = ["id", "number", "released_on", "support_ends_on", "notes", "retired_at"]
        read_only_fields = fields


class ModuleSerializer(serializers.ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True)
    areas: Any = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code",
        help_text=gettext_lazy("Codes of the requirement areas its features on sale serve."),
    )  # fmt: skip
    features = FeatureSerializer(many=True, read_only=True)
    current_prices = serializers.SerializerMethodField(
        help_text=gettext_lazy("Today's list price per licence type (licence types without a price are left out).")
    )

    class Meta:
        model = Module
        fields = [
            "id", "product", "product_code", "code", "name", "name_en", "description", "is_core", "areas", "features",
            "current_prices", "retired_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(PriceSerializer(many=True))
    def get_current_prices(self, module: Module) -> list[dict[str, Any]]:
        prices: dict[tuple[int, str], ModulePrice] = self.context.get("prices", {})
        rows = [prices[(module.pk, kind)] for kind in LicenceType.values if (module.pk, kind) in prices]
        return list(PriceSerializer(rows, many=True).data)


class ProductModuleSerializer(ModuleSerializer):
    class Meta(ModuleSerializer.Meta):
        fields = [f for f in ModuleSerializer.Meta.fields if f not in ("product", "product_code")]
        read_only_fields = fields


class ProductSerializer(serializers.ModelSerializer):
    versions = VersionSerializer(many=True, read_only=True)
    modules = ProductModuleSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = [
            "id", "code", "name", "name_en", "description", "day_rate", "maintenance_percent", "currency",
            "retired_at", "versions", "modules",
        ]  # fmt: skip
        read_only_fields = fields


def _features() -> Prefetch:
    return Prefetch("features", queryset=Feature.objects.prefetch_related("areas").order_by("id"))


class PricedListMixin:
    """List and retrieve with today's prices of the modules on the page, looked up in one query."""

    def module_ids(self, rows: list[Any]) -> list[int]:
        raise NotImplementedError

    def _context(self, rows: list[Any]) -> dict[str, Any]:
        return {**self.get_serializer_context(), "prices": current_prices(self.module_ids(rows))}  # type: ignore[attr-defined]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        rows = list(view.paginate_queryset(view.filter_queryset(view.get_queryset())))
        data = view.get_serializer_class()(rows, many=True, context=self._context(rows)).data
        return view.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        row = view.get_object()
        return Response(view.get_serializer_class()(row, context=self._context([row])).data)


ON_SALE = QueryFilter(
    "retired_at__isnull", serializers.BooleanField(), gettext_lazy("true: only items on sale; false: only retired ones.")
)
PRODUCT_FILTERS = {
    "code": QueryFilter("code", serializers.CharField(max_length=32)),
    "name": QueryFilter("name__icontains", serializers.CharField(max_length=60), gettext_lazy("Part of the Chinese name.")),
    "on_sale": ON_SALE,
}
PRODUCT_ORDERING = ["code", "name", "name_en"]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List products"),
        parameters=filter_parameters(PRODUCT_FILTERS, PRODUCT_ORDERING),
        responses={200: ProductSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary=gettext_lazy("Get a product"), responses={200: ProductSerializer, **READ_ERRORS}),
)
class ProductViewSet(ScopedViewMixin, PricedListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Products of the catalogue with their modules, versions and today's list prices."""

    serializer_class = ProductSerializer
    query_filters = PRODUCT_FILTERS
    ordering_fields = PRODUCT_ORDERING
    ordering = ["code", "pk"]

    def get_queryset(self) -> QuerySet[Product]:
        modules = Module.objects.prefetch_related("areas", _features()).order_by("code")
        return visible_products(self.request.user).prefetch_related(
            Prefetch("versions", queryset=ProductVersion.objects.order_by("-released_on", "-id")),
            Prefetch("modules", queryset=modules),
        )

    def module_ids(self, rows: list[Product]) -> list[int]:
        return [module.pk for product in rows for module in product.modules.all()]


MODULE_FILTERS = {
    "product": QueryFilter("product_id", serializers.IntegerField(min_value=1), gettext_lazy("Product id.")),
    "product_code": QueryFilter("product__code", serializers.CharField(max_length=32)),
    "area": QueryFilter("areas__code", serializers.CharField(max_length=32), gettext_lazy("Requirement area code.")),
    "is_core": QueryFilter("is_core", serializers.BooleanField()),
    "on_sale": ON_SALE,
}
MODULE_ORDERING = ["code", "name", "product"]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List modules"),
        parameters=filter_parameters(MODULE_FILTERS, MODULE_ORDERING),
        responses={200: ModuleSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary=gettext_lazy("Get a module"), responses={200: ModuleSerializer, **READ_ERRORS}),
)
class ModuleViewSet(ScopedViewMixin, PricedListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Modules with their features, requirement areas and today's list prices."""

    serializer_class = ModuleSerializer
    query_filters = MODULE_FILTERS
    ordering_fields = MODULE_ORDERING
    ordering = ["product", "code", "pk"]

    def get_queryset(self) -> QuerySet[Module]:
        return visible_modules(self.request.user).select_related("product").prefetch_related("areas", _features())

    def module_ids(self, rows: list[Module]) -> list[int]:
        return [module.pk for module in rows]


AREA_FILTERS = {"is_active": QueryFilter("is_active", serializers.BooleanField())}
AREA_ORDERING = ["order", "code"]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List requirement areas"),
        parameters=filter_parameters(AREA_FILTERS, AREA_ORDERING),
        responses={200: RequirementAreaSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary=gettext_lazy("Get a requirement area"), responses={200: RequirementAreaSerializer, **READ_ERRORS}
    ),
)
class RequirementAreaViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The taxonomy requirements and product features are filed under."""

    serializer_class = RequirementAreaSerializer
    query_filters = AREA_FILTERS
    ordering_fields = AREA_ORDERING
    ordering = ["order", "pk"]

    def get_queryset(self) -> QuerySet[RequirementArea]:
        return visible_areas(self.request.user)
