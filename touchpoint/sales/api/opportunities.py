"""API for opportunities and their requirements: thin serializers, access checks, then the services.

A stage change is an action, `POST /api/v1/opportunities/{id}/move/`, never a field of an edit.
"""

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
    ScopedListField,
    ScopedRelatedField,
    ScopedViewMixin,
    VersionedUpdateSerializer,
    filter_parameters,
)
from touchpoint.customers.access import visible_contacts, visible_customers
from touchpoint.customers.models import Contact, Customer
from touchpoint.org.access import visible_users
from touchpoint.org.models import User
from touchpoint.sales import selectors
from touchpoint.sales.access import (
    can_assign_opportunity,
    can_create_opportunity,
    can_delete_opportunity,
    can_edit_opportunity,
    visible_modules,
    visible_opportunities,
    visible_products,
)
from touchpoint.sales.models import (
    Coverage,
    LostReason,
    Opportunity,
    Priority,
    Product,
    Requirement,
    RequirementArea,
    Stage,
    StageOutcome,
)
from touchpoint.sales.services import opportunities as services
from touchpoint.sales.services import requirements as requirement_services

# --- Opportunities ---------------------------------------------------------------------------

OPPORTUNITY_EDITABLE = [
    "title", "amount", "close_date", "product", "competitors", "decision_process", "next_step", "next_step_date",
]  # fmt: skip


class OpportunitySerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)
    stage_code = serializers.CharField(source="stage.code", read_only=True)
    stage_name = serializers.CharField(source="stage.__str__", read_only=True)
    outcome = serializers.ChoiceField(source="stage.outcome", choices=StageOutcome.choices, read_only=True)
    weighted_amount = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)

    class Meta:
        model = Opportunity
        fields = [
            "id", "customer", "customer_name", "title", "owner", "owner_name", "pipeline", "stage", "stage_code",
            "stage_name", "outcome", "probability", "amount", "currency", "weighted_amount", "close_date", "product",
            "competitors", "decision_process", "next_step", "next_step_date", "lost_reason", "lost_detail",
            "stage_entered_at", "closed_at", "created_at", "updated_at", "version",
        ]  # fmt: skip
        # Output only; fields are left writable so that blank choices stay documented as blank.


class OpportunityWriteSerializer(serializers.ModelSerializer):
    product = ScopedRelatedField(visible=visible_products, model=Product, required=False, allow_null=True)

    class Meta:
        model = Opportunity
        fields = OPPORTUNITY_EDITABLE


class OpportunityCreateSerializer(OpportunityWriteSerializer):
    customer = ScopedRelatedField(visible=visible_customers, model=Customer)

    class Meta(OpportunityWriteSerializer.Meta):
        fields = ["customer", *OPPORTUNITY_EDITABLE]


class OpportunityUpdateSerializer(VersionedUpdateSerializer, OpportunityWriteSerializer):
    class Meta(OpportunityWriteSerializer.Meta):
        fields = [*OPPORTUNITY_EDITABLE, "probability", "version"]


class MoveSerializer(serializers.Serializer):
    stage = serializers.CharField(
        max_length=32, help_text=gettext_lazy("The target stage: its code (e.g. “discovery”) or its id.")
    )
    lost_reason = serializers.ChoiceField(
        choices=LostReason.choices, required=False, allow_blank=True,
        help_text=gettext_lazy("Required when the target stage is a lost one."),
    )  # fmt: skip
    lost_detail = serializers.CharField(
        max_length=500, required=False, allow_blank=True,
        help_text=gettext_lazy("The reason in words; required when the reason is “other”."),
    )  # fmt: skip
    version = serializers.IntegerField(
        min_value=1, max_value=2_147_483_647, required=False,
        help_text=gettext_lazy("The version you read; if the opportunity changed since, the move is refused."),
    )  # fmt: skip


class ReassignSerializer(serializers.Serializer):
    owner = ScopedRelatedField(visible=visible_users, model=User)
    reason = serializers.CharField(max_length=500)


def _search(queryset: QuerySet, text: str) -> QuerySet:
    return selectors._search(queryset, text)


OPPORTUNITY_FILTERS = {
    "q": QueryFilter(_search, serializers.CharField(max_length=100), gettext_lazy("Title, or the customer's name or pinyin.")),
    "customer": QueryFilter("customer_id", serializers.IntegerField(min_value=1), gettext_lazy("Customer id.")),
    "owner": QueryFilter("owner_id", serializers.IntegerField(min_value=1), gettext_lazy("Owner's user id.")),
    "stage": QueryFilter("stage_id", serializers.IntegerField(min_value=1), gettext_lazy("Stage id.")),
    "stage_code": QueryFilter("stage__code", serializers.CharField(max_length=32), gettext_lazy("Stage code.")),
    "outcome": QueryFilter("stage__outcome", serializers.ChoiceField(choices=StageOutcome.choices)),
    "product": QueryFilter("product_id", serializers.IntegerField(min_value=1), gettext_lazy("Main product id.")),
    "close_after": QueryFilter("close_date__gte", serializers.DateField(), gettext_lazy("Expected to close on or after.")),
    "close_before": QueryFilter("close_date__lte", serializers.DateField(), gettext_lazy("Expected to close on or before.")),
}
OPPORTUNITY_ORDERING = ["close_date", "amount", "created_at", "updated_at", "title"]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List opportunities"),
        parameters=filter_parameters(OPPORTUNITY_FILTERS, OPPORTUNITY_ORDERING),
        responses={200: OpportunitySerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary=gettext_lazy("Get an opportunity"), responses={200: OpportunitySerializer, **READ_ERRORS}),
    create=extend_schema(
        summary=gettext_lazy("Open an opportunity"),
        description=gettext_lazy("Opens in the default pipeline's first stage, owned by you."),
        request=OpportunityCreateSerializer,
        responses={201: OpportunitySerializer, **WRITE_ERRORS},
    ),
    update=extend_schema(
        summary=gettext_lazy("Replace an opportunity's details"),
        request=OpportunityUpdateSerializer,
        responses={200: OpportunitySerializer, **EDIT_ERRORS},
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Change an opportunity's details"),
        request=OpportunityUpdateSerializer,
        responses={200: OpportunitySerializer, **EDIT_ERRORS},
    ),
    destroy=extend_schema(summary=gettext_lazy("Delete an opportunity (to the recycle bin)"), responses={204: None, **WRITE_ERRORS}),
    move=extend_schema(
        summary=gettext_lazy("Move an opportunity to another stage"),
        description=gettext_lazy("Only the pipeline's allowed moves are accepted; any other is a 400 on `stage`."),
        request=MoveSerializer,
        responses={200: OpportunitySerializer, **WRITE_ERRORS},
    ),
    reassign=extend_schema(
        summary=gettext_lazy("Hand an opportunity to a new owner"),
        request=ReassignSerializer,
        responses={200: OpportunitySerializer, **WRITE_ERRORS},
    ),
)
class OpportunityViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Opportunities you may see."""

    serializer_class = OpportunitySerializer
    query_filters = OPPORTUNITY_FILTERS
    ordering_fields = OPPORTUNITY_ORDERING
    ordering = ["close_date", "pk"]

    def get_queryset(self) -> QuerySet[Opportunity]:
        return (
            visible_opportunities(self.request.user).select_related("customer", "owner", "stage")
            .defer("search_text", "customer__search_text", "customer__notes", "owner__password")
        )  # fmt: skip

    def _read(self, opportunity: Opportunity, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=opportunity.pk).first() or opportunity
        return Response(OpportunitySerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request) -> Response:
        values = self.validated(OpportunityCreateSerializer)
        customer = values.pop("customer")
        self.require(can_create_opportunity(request.user, customer))
        opportunity = services.opportunity_create(by=request.user, customer=customer, owner=request.user, **values)
        return self._read(opportunity, status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._edit(request, partial=False)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._edit(request, partial=True)

    def _edit(self, request: Request, *, partial: bool) -> Response:
        opportunity = self.get_object()
        self.require(can_edit_opportunity(request.user, opportunity))
        values = self.validated(OpportunityUpdateSerializer, instance=opportunity, partial=partial)
        updated, _diff = services.opportunity_update(
            opportunity=opportunity, by=request.user, expected_version=values.pop("version"), **values
        )
        return self._read(updated)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        opportunity = self.get_object()
        self.require(can_delete_opportunity(request.user, opportunity))
        services.opportunity_delete(opportunity=opportunity, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str | None = None) -> Response:
        opportunity = self.get_object()
        self.require(can_edit_opportunity(request.user, opportunity))
        values = self.validated(MoveSerializer)
        stages = Stage.objects.filter(pipeline_id=opportunity.pipeline_id)
        wanted = values["stage"].strip()
        stage = stages.filter(pk=int(wanted)).first() if wanted.isdecimal() else stages.filter(code=wanted).first()
        if stage is None:
            raise serializers.ValidationError({"stage": [_("No such stage in this opportunity's pipeline.")]})
        moved = services.opportunity_move(
            opportunity=opportunity, to_stage=stage, by=request.user, lost_reason=values.get("lost_reason", ""),
            lost_detail=values.get("lost_detail", ""), expected_version=values.get("version"),
        )  # fmt: skip
        return self._read(moved)

    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk: str | None = None) -> Response:
        opportunity = self.get_object()
        self.require(can_assign_opportunity(request.user, opportunity))
        values = self.validated(ReassignSerializer)
        moved = services.opportunity_reassign(opportunity=opportunity, owner=values["owner"], by=request.user,
                                              reason=values["reason"])  # fmt: skip
        return self._read(moved)


# --- Requirements ----------------------------------------------------------------------------

REQUIREMENT_EDITABLE = ["area", "description", "priority", "asked_by", "coverage", "custom_effort_days", "modules"]


class RequirementSerializer(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.__str__", read_only=True)
    modules: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Requirement
        fields = ["id", "opportunity", "customer", "area", "area_name", "description", "priority", "asked_by",
                  "coverage", "custom_effort_days", "modules", "order", "created_at", "updated_at"]  # fmt: skip
        # Output only; fields are left writable so that blank choices stay documented as blank.


class RequirementWriteSerializer(serializers.Serializer):
    area = serializers.PrimaryKeyRelatedField(queryset=RequirementArea.objects.all())
    description = serializers.CharField(max_length=2000)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.SHOULD)
    asked_by = ScopedRelatedField(visible=visible_contacts, model=Contact, required=False, allow_null=True)
    coverage = serializers.ChoiceField(choices=Coverage.choices, required=False, allow_blank=True)
    custom_effort_days = serializers.DecimalField(
        max_digits=7, decimal_places=1, min_value=0, required=False,  # type: ignore[arg-type]
        help_text=gettext_lazy("Custom development effort in person-days; not negative."),
    )  # fmt: skip
    modules = ScopedListField(visible=visible_modules, required=False,
                              help_text=gettext_lazy("Ids of the modules that cover it."))  # fmt: skip


class RequirementCreateSerializer(RequirementWriteSerializer):
    opportunity = ScopedRelatedField(visible=visible_opportunities, model=Opportunity)


REQUIREMENT_FILTERS = {
    "opportunity": QueryFilter("opportunity_id", serializers.IntegerField(min_value=1), gettext_lazy("Opportunity id.")),
    "customer": QueryFilter("customer_id", serializers.IntegerField(min_value=1), gettext_lazy("Customer id.")),
    "priority": QueryFilter("priority", serializers.ChoiceField(choices=Priority.choices)),
    "coverage": QueryFilter("coverage", serializers.ChoiceField(choices=Coverage.choices)),
}
REQUIREMENT_ORDERING = ["order", "created_at"]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List requirements"),
        parameters=filter_parameters(REQUIREMENT_FILTERS, REQUIREMENT_ORDERING),
        responses={200: RequirementSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary=gettext_lazy("Get a requirement"), responses={200: RequirementSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary=gettext_lazy("Add a requirement to an opportunity"),
        request=RequirementCreateSerializer,
        responses={201: RequirementSerializer, **WRITE_ERRORS},
    ),
    update=extend_schema(
        summary=gettext_lazy("Replace a requirement"),
        request=RequirementWriteSerializer,
        responses={200: RequirementSerializer, **WRITE_ERRORS},
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Change a requirement"),
        request=RequirementWriteSerializer,
        responses={200: RequirementSerializer, **WRITE_ERRORS},
    ),
    destroy=extend_schema(summary=gettext_lazy("Remove a requirement"), responses={204: None, **WRITE_ERRORS}),
)
class RequirementViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Requirement items of the opportunities you may see; changing them needs the opportunity's edit right."""

    serializer_class = RequirementSerializer
    query_filters = REQUIREMENT_FILTERS
    ordering_fields = REQUIREMENT_ORDERING
    ordering = ["opportunity_id", "order", "pk"]

    def get_queryset(self) -> QuerySet[Requirement]:
        visible = visible_opportunities(self.request.user).values("pk")
        return Requirement.objects.filter(opportunity_id__in=visible).prefetch_related("modules").select_related("area")

    def _read(self, requirement: Requirement, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=requirement.pk).first() or requirement
        return Response(RequirementSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request) -> Response:
        values = self.validated(RequirementCreateSerializer)
        opportunity = values.pop("opportunity")
        self.require(can_edit_opportunity(request.user, opportunity))
        requirement = requirement_services.requirement_add(opportunity=opportunity, by=request.user, **values)
        return self._read(requirement, status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._edit(request, partial=False)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._edit(request, partial=True)

    def _edit(self, request: Request, *, partial: bool) -> Response:
        requirement = self.get_object()
        self.require(can_edit_opportunity(request.user, requirement.opportunity))
        values = self.validated(RequirementWriteSerializer, partial=partial)
        requirement = requirement_services.requirement_update(requirement=requirement, by=request.user, **values)
        return self._read(requirement)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        requirement = self.get_object()
        self.require(can_edit_opportunity(request.user, requirement.opportunity))
        requirement_services.requirement_delete(requirement=requirement, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
