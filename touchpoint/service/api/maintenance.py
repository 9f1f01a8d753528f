"""API for maintenance contracts (list, create, read, edit, renew, cancel), routine maintenance plans
(with their scheduled inspections and the checklist) and upgrade campaigns (create, targets, launch,
progress). Every row comes from the access functions; writes go through the services."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
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
from touchpoint.customers.access import visible_customers
from touchpoint.customers.models import Customer
from touchpoint.delivery.api.shared import NameField, PatternChoiceField, amount, id_field, not_found, path_id, path_parameter
from touchpoint.sales.access import visible_products
from touchpoint.sales.models import InstalledItem, Product, ProductVersion
from touchpoint.service import access
from touchpoint.service.models import (
    CampaignReason,
    CampaignStatus,
    CampaignTarget,
    CheckResult,
    CoverageKind,
    CoverageStatus,
    Frequency,
    MaintenanceContract,
    MaintenancePlan,
    ScheduledOrder,
    TargetStatus,
    Tier,
    UpgradeCampaign,
)
from touchpoint.service.services import campaigns as campaign_services
from touchpoint.service.services import contracts as contract_services
from touchpoint.service.services import plans as plan_services

# --- Contracts -----------------------------------------------------------------------------------


class CoveredModuleSerializer(serializers.ModelSerializer):
    module_name = NameField(source="module")
    product_name = NameField(source="product")
    version_number = NameField(source="version.number", allow_null=True)

    class Meta:
        model = InstalledItem
        fields = ["id", "product", "product_name", "module", "module_name", "version", "version_number"]
        read_only_fields = fields


class MaintenanceContractSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    kind = PatternChoiceField(read_only=True, choices=CoverageKind.choices)
    status = PatternChoiceField(read_only=True, choices=CoverageStatus.choices)
    price = amount()
    items = CoveredModuleSerializer(many=True, read_only=True, help_text=gettext_lazy("Covered modules of the installed base."))
    renewed_by = serializers.SerializerMethodField(help_text=gettext_lazy("The id of the contract renewing this one."))

    class Meta:
        model = MaintenanceContract
        fields = ["id", "number", "customer", "customer_name", "kind", "tier", "status", "starts_on", "ends_on", "price", "currency",
                  "sites", "notes", "items", "renewal_of", "renewed_by", "sales_contract", "cancel_reason", "version", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields

    def get_renewed_by(self, contract: MaintenanceContract) -> int | None:
        renewal = getattr(contract, "renewed_by", None)
        return renewal.pk if renewal is not None else None


class MaintenanceContractCreateSerializer(serializers.Serializer):
    customer = ScopedRelatedField(visible=visible_customers, model=Customer)
    kind = PatternChoiceField(choices=CoverageKind.choices, default=CoverageKind.MAINTENANCE)
    tier = serializers.ChoiceField(choices=Tier.choices, default=Tier.STANDARD)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    items = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**62), max_length=200, default=list,
                                  help_text=gettext_lazy("Ids of modules in the customer's installed base."))  # fmt: skip
    sites = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class MaintenanceContractUpdateSerializer(VersionedUpdateSerializer):
    tier = serializers.ChoiceField(choices=Tier.choices, required=False)
    starts_on = serializers.DateField(required=False)
    ends_on = serializers.DateField(required=False)
    price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    items = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**62), max_length=200, required=False)
    sites = serializers.CharField(max_length=300, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class MaintenanceContractRenewSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices, required=False, help_text=gettext_lazy("Unchanged when left out."))
    price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    starts_on = serializers.DateField(required=False, help_text=gettext_lazy("The day after the contract ends, when left out."))
    ends_on = serializers.DateField(required=False, help_text=gettext_lazy("A period as long as the contract's, when left out."))


class MaintenanceContractCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


def _items_of(customer: Any, ids: list[int]) -> list[InstalledItem]:
    """The named modules of the customer's installed base; an id outside it is a field error."""
    found = {item.pk: item for item in InstalledItem.objects.filter(customer_id=customer.pk, pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise serializers.ValidationError({"items": [gettext_lazy("Covered modules must be in this customer's installed base.")]})
    return [found[pk] for pk in dict.fromkeys(ids)]


CONTRACT_FILTERS = {
    "status": QueryFilter("status", serializers.ChoiceField(choices=CoverageStatus.choices)),
    "kind": QueryFilter("kind", serializers.ChoiceField(choices=CoverageKind.choices)),
    "tier": QueryFilter("tier", serializers.ChoiceField(choices=Tier.choices)),
    "customer": QueryFilter("customer_id", id_field(), gettext_lazy("Customer id.")),
    "ends_after": QueryFilter("ends_on__gte", serializers.DateField(), gettext_lazy("Ends on or after this day.")),
    "ends_before": QueryFilter("ends_on__lte", serializers.DateField(), gettext_lazy("Ends on or before this day.")),
}
CONTRACT_ORDERING = ["ends_on", "starts_on", "created_at"]
CONTRACT_ID = path_parameter("id", gettext_lazy("The maintenance contract's id."))


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List maintenance contracts"),
        parameters=filter_parameters(CONTRACT_FILTERS, CONTRACT_ORDERING),
        responses={200: MaintenanceContractSerializer(many=True), **LIST_ERRORS},
    ),  # fmt: skip
    retrieve=extend_schema(
        summary=gettext_lazy("Get a maintenance contract"),
        parameters=[CONTRACT_ID],
        responses={200: MaintenanceContractSerializer, **READ_ERRORS},
    ),  # fmt: skip
    create=extend_schema(
        summary=gettext_lazy("Create a maintenance contract"),
        request=MaintenanceContractCreateSerializer,
        responses={201: MaintenanceContractSerializer, **WRITE_ERRORS},
    ),  # fmt: skip
    partial_update=extend_schema(
        summary=gettext_lazy("Change a contract's terms or coverage"),
        parameters=[CONTRACT_ID],
        request=MaintenanceContractUpdateSerializer,
        responses={200: MaintenanceContractSerializer, **EDIT_ERRORS},
    ),  # fmt: skip
    renew=extend_schema(
        summary=gettext_lazy("Renew: a new contract over the following period"),
        parameters=[CONTRACT_ID],
        request=MaintenanceContractRenewSerializer,
        responses={201: MaintenanceContractSerializer, **WRITE_ERRORS},
    ),  # fmt: skip
    cancel=extend_schema(
        summary=gettext_lazy("Cancel an active contract"),
        parameters=[CONTRACT_ID],
        request=MaintenanceContractCancelSerializer,
        responses={200: MaintenanceContractSerializer, **WRITE_ERRORS},
    ),  # fmt: skip
)
class MaintenanceContractViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Maintenance contracts and warranties you may see; portal users see their own customer's."""

    serializer_class = MaintenanceContractSerializer
    query_filters = CONTRACT_FILTERS
    ordering_fields = CONTRACT_ORDERING
    ordering = ["-ends_on", "-pk"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[MaintenanceContract]:
        rows = access.visible_contracts(self.request.user).select_related("customer", "renewed_by")
        return rows.prefetch_related("items__module", "items__product", "items__version")

    def get_object(self) -> MaintenanceContract:
        path_id(self.kwargs["pk"])
        return super().get_object()

    def _answer(self, contract: MaintenanceContract, status: int = 200) -> Response:
        return Response(MaintenanceContractSerializer(self.get_queryset().get(pk=contract.pk)).data, status=status)

    def _editable(self) -> MaintenanceContract:
        contract = self.get_object()
        self.require(access.can_edit_contract(self.request.user, contract))
        return contract

    def create(self, request: Request) -> Response:
        self.require(access.may_create_contracts(request.user))
        values = self.validated(MaintenanceContractCreateSerializer)
        values["items"] = _items_of(values["customer"], values["items"])
        return self._answer(contract_services.contract_create(by=request.user, **values), status=201)

    def partial_update(self, request: Request, pk: str = "") -> Response:
        contract = self._editable()
        values = self.validated(MaintenanceContractUpdateSerializer, partial=True)
        if "items" in values:
            values["items"] = _items_of(contract.customer, values["items"])
        contract_services.contract_update(contract=contract, by=request.user, expected_version=values.pop("version"), **values)
        return self._answer(contract)

    @action(detail=True, methods=["post"])
    def renew(self, request: Request, pk: str = "") -> Response:
        contract = self._editable()
        renewal = contract_services.contract_renew(contract=contract, by=request.user, **self.validated(MaintenanceContractRenewSerializer))
        return self._answer(renewal, status=201)

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str = "") -> Response:
        contract = self._editable()
        contract_services.contract_cancel(contract=contract, by=request.user, **self.validated(MaintenanceContractCancelSerializer))
        return self._answer(contract)


# --- Plans ---------------------------------------------------------------------------------------


class InspectionCheckSerializer(serializers.Serializer):
    line = serializers.CharField(read_only=True)
    result = serializers.ChoiceField(choices=[("", "—"), *CheckResult.choices], allow_blank=True)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ScheduledInspectionSerializer(serializers.ModelSerializer):
    request_number = NameField(source="request.number", allow_null=True)
    results = InspectionCheckSerializer(many=True, read_only=True)
    completed_by_name = NameField(source="completed_by", allow_null=True)

    class Meta:
        model = ScheduledOrder
        fields = ["id", "due_on", "request", "request_number", "results", "completed_at", "completed_by", "completed_by_name", "version"]
        read_only_fields = fields


class MaintenancePlanSerializer(serializers.ModelSerializer):
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    checklist = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = MaintenancePlan
        fields = ["id", "contract", "contract_number", "customer", "customer_name", "name", "frequency", "checklist", "next_due_on",
                  "is_active", "version", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class MaintenancePlanCreateSerializer(serializers.Serializer):
    contract = ScopedRelatedField(visible=access.visible_contracts, model=MaintenanceContract)
    name = serializers.CharField(max_length=120)
    frequency = serializers.ChoiceField(choices=Frequency.choices, default=Frequency.QUARTERLY)
    checklist = serializers.ListField(child=serializers.CharField(max_length=200), min_length=1, max_length=plan_services.MAX_LINES)
    next_due_on = serializers.DateField(help_text=gettext_lazy("The first inspection, within the contract's period."))


class MaintenancePlanUpdateSerializer(VersionedUpdateSerializer):
    name = serializers.CharField(max_length=120, required=False)
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)
    checklist = serializers.ListField(child=serializers.CharField(max_length=200), min_length=1, max_length=plan_services.MAX_LINES,
                                      required=False)  # fmt: skip
    next_due_on = serializers.DateField(required=False)
    is_active = serializers.BooleanField(required=False)


class InspectionChecklistSerializer(serializers.Serializer):
    results = InspectionCheckSerializer(many=True, help_text=gettext_lazy("One per check, in the checklist's order."))
    complete = serializers.BooleanField(default=False, help_text=gettext_lazy("Every check answered: the inspection is done."))


PLAN_FILTERS = {
    "contract": QueryFilter("contract_id", id_field(), gettext_lazy("Maintenance contract id.")),
    "customer": QueryFilter("customer_id", id_field(), gettext_lazy("Customer id.")),
    "is_active": QueryFilter("is_active", serializers.BooleanField()),
}
PLAN_ID = path_parameter("id", gettext_lazy("The plan's id."))
ORDER_ID = path_parameter("order_id", gettext_lazy("The scheduled inspection's id."))


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List routine maintenance plans"),
        parameters=filter_parameters(PLAN_FILTERS, ["next_due_on"]),
        responses={200: MaintenancePlanSerializer(many=True), **LIST_ERRORS},
    ),  # fmt: skip
    retrieve=extend_schema(
        summary=gettext_lazy("Get a plan"), parameters=[PLAN_ID], responses={200: MaintenancePlanSerializer, **READ_ERRORS}
    ),
    create=extend_schema(
        summary=gettext_lazy("Plan routine inspections under a contract"),
        request=MaintenancePlanCreateSerializer,
        responses={201: MaintenancePlanSerializer, **WRITE_ERRORS},
    ),  # fmt: skip
    partial_update=extend_schema(
        summary=gettext_lazy("Change a plan"),
        parameters=[PLAN_ID],
        request=MaintenancePlanUpdateSerializer,
        responses={200: MaintenancePlanSerializer, **EDIT_ERRORS},
    ),  # fmt: skip
    orders=extend_schema(
        summary=gettext_lazy("The plan's scheduled inspections, latest first"),
        parameters=[PLAN_ID],
        responses={200: ScheduledInspectionSerializer(many=True), **READ_ERRORS},
    ),  # fmt: skip
    checklist=extend_schema(
        summary=gettext_lazy("Record an inspection's checklist"),
        parameters=[PLAN_ID, ORDER_ID],
        request=InspectionChecklistSerializer,
        responses={200: ScheduledInspectionSerializer, **WRITE_ERRORS},
    ),  # fmt: skip
)
class MaintenancePlanViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = MaintenancePlanSerializer
    query_filters = PLAN_FILTERS
    ordering_fields = ["next_due_on"]
    ordering = ["next_due_on", "pk"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[MaintenancePlan]:
        return access.visible_plans(self.request.user).select_related("contract", "customer")

    def get_object(self) -> MaintenancePlan:
        path_id(self.kwargs["pk"])
        return super().get_object()

    def create(self, request: Request) -> Response:
        self.require(access.may_create_plans(request.user))
        plan = plan_services.plan_create(by=request.user, **self.validated(MaintenancePlanCreateSerializer))
        return Response(MaintenancePlanSerializer(self.get_queryset().get(pk=plan.pk)).data, status=201)

    def partial_update(self, request: Request, pk: str = "") -> Response:
        plan = self.get_object()
        self.require(access.can_edit_plan(request.user, plan))
        values = self.validated(MaintenancePlanUpdateSerializer, partial=True)
        plan_services.plan_update(plan=plan, by=request.user, expected_version=values.pop("version"), **values)
        return Response(MaintenancePlanSerializer(self.get_queryset().get(pk=plan.pk)).data)

    @action(detail=True, methods=["get"])
    def orders(self, request: Request, pk: str = "") -> Response:
        plan = self.get_object()
        rows = plan.orders.select_related("request", "completed_by").order_by("-due_on")[:100]
        return Response(ScheduledInspectionSerializer(rows, many=True).data)

    @action(detail=True, methods=["post"], url_path=r"orders/(?P<order_id>[^/]+)/checklist")
    def checklist(self, request: Request, pk: str = "", order_id: str = "") -> Response:
        plan = self.get_object()
        order = plan.orders.select_related("plan", "request").filter(pk=path_id(order_id)).first()
        if order is None:
            raise not_found()
        self.require(access.can_record_checklist(request.user, order))
        values = self.validated(InspectionChecklistSerializer)
        plan_services.order_record_checklist(order=order, by=request.user, results=values["results"], complete=values["complete"])
        return Response(
            ScheduledInspectionSerializer(ScheduledOrder.objects.select_related("request", "completed_by").get(pk=order.pk)).data
        )


# --- Campaigns -----------------------------------------------------------------------------------


class UpgradeCampaignSerializer(serializers.ModelSerializer):
    product_name = NameField(source="product")
    target_version_number = serializers.CharField(source="target_version.number", read_only=True)
    reason = PatternChoiceField(read_only=True, choices=CampaignReason.choices)
    status = PatternChoiceField(read_only=True, choices=CampaignStatus.choices)
    from_versions = serializers.PrimaryKeyRelatedField[ProductVersion](many=True, read_only=True)

    class Meta:
        model = UpgradeCampaign
        fields = ["id", "number", "name", "reason", "description", "product", "product_name", "from_versions", "target_version",
                  "target_version_number", "due_on", "status", "launched_at", "closed_at", "version", "created_at"]  # fmt: skip
        read_only_fields = fields


class UpgradeCampaignTargetSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    items = CoveredModuleSerializer(many=True, read_only=True)
    request_number = NameField(source="request.number", allow_null=True)
    request_status = NameField(source="request.status", allow_null=True)
    status = PatternChoiceField(read_only=True, choices=TargetStatus.choices)

    class Meta:
        model = CampaignTarget
        fields = ["id", "customer", "customer_name", "items", "request", "request_number", "request_status", "status", "skip_reason"]
        read_only_fields = fields


def visible_versions(user: Any) -> QuerySet[ProductVersion]:
    return ProductVersion.objects.filter(product__in=visible_products(user))


class UpgradeCampaignCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=160)
    reason = PatternChoiceField(choices=CampaignReason.choices, default=CampaignReason.NEW_VERSION)
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")
    product = ScopedRelatedField(visible=visible_products, model=Product)
    from_versions = serializers.ListField(child=ScopedRelatedField(visible=visible_versions, model=ProductVersion), max_length=50,
                                          default=list, help_text=gettext_lazy("None: every version but the target."))  # fmt: skip
    target_version = ScopedRelatedField(visible=visible_versions, model=ProductVersion)
    due_on = serializers.DateField()


class UpgradeTargetUpdateSerializer(serializers.Serializer):
    status = PatternChoiceField(choices=TargetStatus.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                   help_text=gettext_lazy("Needed to skip a customer."))  # fmt: skip


class UpgradeCampaignProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    pending = serializers.IntegerField()
    scheduled = serializers.IntegerField()
    done = serializers.IntegerField()
    skipped = serializers.IntegerField()
    requests_open = serializers.IntegerField(help_text=gettext_lazy("Upgrade requests not yet resolved."))
    percent_done = serializers.IntegerField(help_text=gettext_lazy("Done or skipped, of all targets."))


class UpgradeCampaignLaunchSerializer(serializers.Serializer):
    opened = serializers.IntegerField(help_text=gettext_lazy("Upgrade requests opened by this call; 0 when launched already."))
    campaign = UpgradeCampaignSerializer()


CAMPAIGN_FILTERS = {
    "status": QueryFilter("status", serializers.ChoiceField(choices=CampaignStatus.choices)),
    "product": QueryFilter("product_id", id_field(), gettext_lazy("Product id.")),
}
CAMPAIGN_ID = path_parameter("id", gettext_lazy("The campaign's id."))
TARGET_ID = path_parameter("target_id", gettext_lazy("The target's id in the campaign."))


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List upgrade campaigns"),
        parameters=filter_parameters(CAMPAIGN_FILTERS, ["created_at", "due_on"]),
        responses={200: UpgradeCampaignSerializer(many=True), **LIST_ERRORS},
    ),  # fmt: skip
    retrieve=extend_schema(
        summary=gettext_lazy("Get an upgrade campaign"), parameters=[CAMPAIGN_ID], responses={200: UpgradeCampaignSerializer, **READ_ERRORS}
    ),  # fmt: skip
    create=extend_schema(
        summary=gettext_lazy("Create an upgrade campaign as a draft, choosing its customers"),
        request=UpgradeCampaignCreateSerializer,
        responses={201: UpgradeCampaignSerializer, **WRITE_ERRORS},
    ),  # fmt: skip
    targets=extend_schema(
        summary=gettext_lazy("The affected customers, one per target"),
        parameters=[CAMPAIGN_ID],
        responses={200: UpgradeCampaignTargetSerializer(many=True), **READ_ERRORS},
    ),  # fmt: skip
    target_update=extend_schema(
        summary=gettext_lazy("Mark a customer's upgrade done or skipped"),
        parameters=[CAMPAIGN_ID, TARGET_ID],
        request=UpgradeTargetUpdateSerializer,
        responses={200: UpgradeCampaignTargetSerializer, **WRITE_ERRORS},
    ),  # fmt: skip
    launch=extend_schema(
        summary=gettext_lazy("Launch: one upgrade request per customer; again, only the missing ones"),
        parameters=[CAMPAIGN_ID],
        request=None,
        responses={200: UpgradeCampaignLaunchSerializer, **WRITE_ERRORS},
    ),  # fmt: skip
    close=extend_schema(
        summary=gettext_lazy("Close a launched campaign"),
        parameters=[CAMPAIGN_ID],
        request=None,
        responses={200: UpgradeCampaignSerializer, **WRITE_ERRORS},
    ),  # fmt: skip
    progress=extend_schema(
        summary=gettext_lazy("Targets by status"),
        parameters=[CAMPAIGN_ID],
        responses={200: UpgradeCampaignProgressSerializer, **READ_ERRORS},
    ),  # fmt: skip
)
class UpgradeCampaignViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = UpgradeCampaignSerializer
    query_filters = CAMPAIGN_FILTERS
    ordering_fields = ["created_at", "due_on"]
    ordering = ["-created_at", "-pk"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[UpgradeCampaign]:
        return access.visible_campaigns(self.request.user).select_related("product", "target_version").prefetch_related("from_versions")

    def get_object(self) -> UpgradeCampaign:
        path_id(self.kwargs["pk"])
        return super().get_object()

    def _managed(self) -> UpgradeCampaign:
        campaign = self.get_object()
        self.require(access.can_manage_campaign(self.request.user, campaign))
        return campaign

    def _answer(self, campaign: UpgradeCampaign) -> Any:
        return UpgradeCampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data

    def create(self, request: Request) -> Response:
        self.require(access.may_manage_campaigns(request.user))
        campaign = campaign_services.campaign_create(by=request.user, **self.validated(UpgradeCampaignCreateSerializer))
        return Response(self._answer(campaign), status=201)

    @action(detail=True, methods=["get"])
    def targets(self, request: Request, pk: str = "") -> Response:
        campaign = self.get_object()
        rows = campaign.targets.select_related("customer", "request").prefetch_related("items__module", "items__product", "items__version")
        return Response(UpgradeCampaignTargetSerializer(rows.order_by("pk")[:2000], many=True).data)

    @action(detail=True, methods=["patch"], url_path=r"targets/(?P<target_id>[^/]+)")
    def target_update(self, request: Request, pk: str = "", target_id: str = "") -> Response:
        campaign = self._managed()
        target = campaign.targets.filter(pk=path_id(target_id)).first()
        if target is None:
            raise not_found()
        campaign_services.campaign_target_update(target=target, by=request.user, **self.validated(UpgradeTargetUpdateSerializer))
        rows = CampaignTarget.objects.select_related("customer", "request")
        fresh = rows.prefetch_related("items__module", "items__product", "items__version").get(pk=target.pk)
        return Response(UpgradeCampaignTargetSerializer(fresh).data)

    @action(detail=True, methods=["post"])
    def launch(self, request: Request, pk: str = "") -> Response:
        campaign = self._managed()
        opened = campaign_services.campaign_launch(campaign=campaign, by=request.user)
        return Response({"opened": opened, "campaign": self._answer(campaign)})

    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str = "") -> Response:
        campaign = self._managed()
        campaign_services.campaign_close(campaign=campaign, by=request.user)
        return Response(self._answer(campaign))

    @action(detail=True, methods=["get"])
    def progress(self, request: Request, pk: str = "") -> Response:
        progress = campaign_services.campaign_progress(self.get_object())
        return Response({"total": progress.total, **progress.counts, "requests_open": progress.requests_open,
                         "percent_done": progress.percent_done})  # fmt: skip


# (prefix, viewset, basename) for the router, and plain API views.
ROUTES: list[tuple[str, Any, str]] = [
    ("maintenance-contracts", MaintenanceContractViewSet, "api-maintenance-contract"),
    ("maintenance-plans", MaintenancePlanViewSet, "api-maintenance-plan"),
    ("upgrade-campaigns", UpgradeCampaignViewSet, "api-upgrade-campaign"),
]
PATHS: list[Any] = []
