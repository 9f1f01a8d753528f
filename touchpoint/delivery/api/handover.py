"""API for the handover to maintenance, addressed by its project's id: read it with its checklist,
fill it in (fields, installed systems, open defects, training records, key contacts), submit it,
sign it as the project manager or a maintenance lead, or send it back."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer, extend_schema_view
from rest_framework import exceptions, mixins, serializers, viewsets
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
from touchpoint.customers.access import visible_contacts
from touchpoint.customers.models import Contact
from touchpoint.delivery import access
from touchpoint.delivery.api.shared import (
    NameField,
    WithinField,
    id_field,
    not_found,
    path_id,
    path_parameter,
    refusal,
    require_version,
    validated_within,
)
from touchpoint.delivery.models import (
    DefectSeverity,
    Environment,
    Handover,
    HandoverContact,
    HandoverDefect,
    HandoverStatus,
    HandoverSystem,
    HandoverTraining,
    KeyContactRole,
)
from touchpoint.delivery.services import handover as handover_services
from touchpoint.sales.access import visible_products
from touchpoint.sales.models import InstalledItem, ProductVersion

# --- Reading ------------------------------------------------------------------------------------


class HandoverSystemSerializer(serializers.ModelSerializer):
    module_name = NameField(source="installed_item.module")
    version_number = NameField(source="version.number", allow_null=True)

    class Meta:
        model = HandoverSystem
        fields = ["id", "installed_item", "module_name", "version", "version_number", "site", "environment", "go_live_on"]
        read_only_fields = fields


class HandoverDefectSerializer(serializers.ModelSerializer):
    class Meta:
        model = HandoverDefect
        fields = ["id", "title", "description", "severity", "request_ref"]
        read_only_fields = fields


class HandoverTrainingSerializer(serializers.ModelSerializer):
    class Meta:
        model = HandoverTraining
        fields = ["id", "topic", "trainees", "trained_on", "trainer"]
        read_only_fields = fields


class HandoverKeyContactSerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.name", read_only=True)

    class Meta:
        model = HandoverContact
        fields = ["id", "contact", "contact_name", "role"]
        read_only_fields = fields


class ChecklistItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy("installed_base, customisations, interfaces, defects, training, contacts, "
                                                        "warranty or risks."))  # fmt: skip
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    done = serializers.BooleanField()
    hint = serializers.CharField(help_text=gettext_lazy("What completes it."))


class HandoverSerializer(serializers.ModelSerializer):
    """One shape for lists and the detail, so that each choice set is documented once; the checklist
    comes with the detail only."""

    project_number = serializers.CharField(source="project.number", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    pm_signed_by_name = NameField(source="pm_signed_by", allow_null=True)
    lead_signed_by_name = NameField(source="lead_signed_by", allow_null=True)
    systems = HandoverSystemSerializer(many=True, read_only=True, help_text=gettext_lazy("The installed base: modules, versions, sites."))
    defects = HandoverDefectSerializer(many=True, read_only=True, help_text=gettext_lazy("Defects still open at handover."))
    trainings = HandoverTrainingSerializer(many=True, read_only=True)
    key_contacts = HandoverKeyContactSerializer(many=True, read_only=True)
    checklist = serializers.SerializerMethodField()

    class Meta:
        model = Handover
        fields = ["id", "project", "project_number", "project_name", "customer", "customer_name", "status", "customisations",
                  "interfaces", "known_risks", "no_open_defects", "warranty_start", "warranty_end", "submitted_at",
                  "pm_signed_by", "pm_signed_by_name", "pm_signed_at", "lead_signed_by", "lead_signed_by_name",
                  "lead_signed_at", "signed_at", "version", "created_at", "updated_at", "systems", "defects", "trainings",
                  "key_contacts", "checklist"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ChecklistItemSerializer(
        many=True, allow_null=True, help_text=gettext_lazy("Every item must be done to submit and to sign; null in lists."),
    ))  # fmt: skip
    def get_checklist(self, handover: Handover) -> list[Any] | None:
        if not self.context.get("checklist"):
            return None
        return list(ChecklistItemSerializer(handover_services.checklist(handover), many=True).data)


# --- Writing ------------------------------------------------------------------------------------


class HandoverUpdateSerializer(VersionedUpdateSerializer):
    customisations = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    interfaces = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    known_risks = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    no_open_defects = serializers.BooleanField(required=False, help_text=gettext_lazy("Says so when no open defect is listed."))
    warranty_start = serializers.DateField(required=False, allow_null=True)
    warranty_end = serializers.DateField(required=False, allow_null=True)


def visible_versions(user: Any) -> QuerySet[ProductVersion]:
    return ProductVersion.objects.filter(product__in=visible_products(user))


def _installed_base(context: dict[str, Any]) -> QuerySet[InstalledItem]:
    return InstalledItem.objects.filter(customer_id=context["handover"].customer_id)


class HandoverSystemAddSerializer(serializers.Serializer):
    installed_item = WithinField(rows=_installed_base, model=InstalledItem,
                                 help_text=gettext_lazy("A module of the customer's installed base."))  # fmt: skip
    version = ScopedRelatedField(visible=visible_versions, model=ProductVersion, required=False, allow_null=True,
                                 help_text=gettext_lazy("A version of the module's product."))  # fmt: skip
    site = serializers.CharField(max_length=120)
    environment = serializers.ChoiceField(choices=Environment.choices, default=Environment.PRODUCTION)
    go_live_on = serializers.DateField(required=False, allow_null=True)


class HandoverSystemUpdateSerializer(serializers.Serializer):
    version = ScopedRelatedField(visible=visible_versions, model=ProductVersion, required=False, allow_null=True)
    site = serializers.CharField(max_length=120, required=False)
    environment = serializers.ChoiceField(choices=Environment.choices, required=False)
    go_live_on = serializers.DateField(required=False, allow_null=True)


class HandoverDefectAddSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=160)
    severity = serializers.ChoiceField(choices=DefectSeverity.choices, default=DefectSeverity.P3)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class HandoverTrainingAddSerializer(serializers.Serializer):
    topic = serializers.CharField(max_length=160)
    trainees = serializers.CharField(max_length=500, help_text=gettext_lazy("Who was trained."))
    trained_on = serializers.DateField(help_text=gettext_lazy("Not in the future."))
    trainer = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="HandoverKeyContact")  # its role choices are the key contact's, documented once
class HandoverKeyContactAddSerializer(serializers.Serializer):
    contact = ScopedRelatedField(visible=visible_contacts, model=Contact, help_text=gettext_lazy("A contact of the project's customer."))
    role = serializers.ChoiceField(choices=KeyContactRole.choices)


class HandoverSendBackSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text=gettext_lazy("What is missing."))


HANDOVER_FILTERS = {
    "status": QueryFilter("status", serializers.ChoiceField(choices=HandoverStatus.choices)),
    "customer": QueryFilter("customer_id", id_field(), gettext_lazy("Customer id.")),
}
HANDOVER_ORDERING = ["created_at", "submitted_at", "signed_at"]
PROJECT_ID = path_parameter("project_id", gettext_lazy("The project's id: a project has one handover."))
ITEM_ID = path_parameter("item_id", gettext_lazy("The row's id in the handover."))


def _step(summary: Any, request: Any = None, errors: Any = WRITE_ERRORS, item: bool = False) -> Any:
    return extend_schema(summary=summary, request=request, parameters=[PROJECT_ID, ITEM_ID] if item else [PROJECT_ID],
                         responses={200: HandoverSerializer, **errors})  # fmt: skip


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List handovers"), parameters=filter_parameters(HANDOVER_FILTERS, HANDOVER_ORDERING),
                       responses={200: HandoverSerializer(many=True), **LIST_ERRORS}),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a project's handover with its checklist"), parameters=[PROJECT_ID],
                           responses={200: HandoverSerializer, **READ_ERRORS}),  # fmt: skip
    partial_update=_step(gettext_lazy("Fill in the handover's notes, warranty and defect statement"), HandoverUpdateSerializer,
                         EDIT_ERRORS),  # fmt: skip
    systems=_step(gettext_lazy("List an installed system"), HandoverSystemAddSerializer),
    system_update=_step(gettext_lazy("Change an installed system's version, site, environment or go-live date"),
                        HandoverSystemUpdateSerializer, item=True),  # fmt: skip
    defects=_step(gettext_lazy("List an open defect"), HandoverDefectAddSerializer),
    defect_remove=_step(gettext_lazy("Take an open defect off the handover"), item=True),
    trainings=_step(gettext_lazy("Record a training"), HandoverTrainingAddSerializer),
    training_remove=_step(gettext_lazy("Take a training record off the handover"), item=True),
    key_contacts=_step(gettext_lazy("Name a key customer contact for operations or IT"), HandoverKeyContactAddSerializer),
    key_contact_remove=_step(gettext_lazy("Take a key contact off the handover"), item=True),
    submit=_step(gettext_lazy("Submit the handover for signatures; its checklist must be complete")),
    sign=_step(gettext_lazy("Sign as the project manager or as a maintenance lead; the second signature closes the project")),
    send_back=_step(gettext_lazy("Send a submitted handover back to the project; signatures given lapse"), HandoverSendBackSerializer),
)
class HandoverViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Handovers you may see, each addressed by its project's id."""

    serializer_class = HandoverSerializer
    query_filters = HANDOVER_FILTERS
    ordering_fields = HANDOVER_ORDERING
    ordering = ["-created_at", "-pk"]
    lookup_field = "project_id"
    lookup_url_kwarg = "project_id"

    def get_queryset(self) -> QuerySet[Handover]:
        handovers = access.visible_handovers(self.request.user).select_related("project", "customer", "pm_signed_by", "lead_signed_by")
        return with_rows(handovers) if self.action in ("list", "retrieve") else handovers

    def get_object(self) -> Handover:
        path_id(self.kwargs["project_id"])  # what cannot be an id is a 404 before it reaches the database
        return super().get_object()

    def retrieve(self, request: Request, project_id: str = "") -> Response:
        return Response(HandoverSerializer(self.get_object(), context={**self.get_serializer_context(), "checklist": True}).data)

    def _detail(self, handover: Handover) -> Response:
        """The handover as it now stands after a write (by its id, which the write's access check let through)."""
        fresh = with_rows(Handover.objects.select_related("project", "customer", "pm_signed_by", "lead_signed_by")).get(pk=handover.pk)
        return Response(HandoverSerializer(fresh, context={**self.get_serializer_context(), "checklist": True}).data)

    def _fillable(self) -> Handover:
        handover = self.get_object()
        user = self.request.user
        # Past the draft, the project's side still reaches the service, which says why (send it back first).
        past_draft = not handover.is_editable and access.can_edit_project(user, handover.project)
        self.require(access.can_fill_handover(user, handover) or past_draft, refusal(handover.project))
        return handover

    def _row(self, rows: QuerySet, item_id: str) -> Any:
        row = rows.filter(pk=path_id(item_id)).first()
        if row is None:
            raise not_found()
        return row

    def partial_update(self, request: Request, project_id: str = "") -> Response:
        handover = self._fillable()
        values = self.validated(HandoverUpdateSerializer, partial=True)
        version = values.pop("version")
        require_version(handover, version)
        handover_services.handover_update(handover=handover, by=request.user, expected_version=version, **values)
        return self._detail(handover)

    @action(detail=True, methods=["post"])
    def systems(self, request: Request, project_id: str = "") -> Response:
        handover = self._fillable()
        values = validated_within(self, HandoverSystemAddSerializer, handover=handover)
        handover_services.system_add(handover=handover, by=request.user, **values)
        return self._detail(handover)

    @action(detail=True, methods=["patch"], url_path=r"systems/(?P<item_id>[^/]+)")
    def system_update(self, request: Request, project_id: str = "", item_id: str = "") -> Response:
        handover = self._fillable()
        system = self._row(handover.systems.select_related("installed_item"), item_id)
        values = validated_within(self, HandoverSystemUpdateSerializer, partial=True, handover=handover)
        handover_services.system_update(system=system, by=request.user, **values)
        return self._detail(handover)

    @system_update.mapping.delete
    @_step(gettext_lazy("Take an installed system off the handover"), item=True)
    def system_remove(self, request: Request, project_id: str = "", item_id: str = "") -> Response:
        return self._remove(lambda handover: handover.systems.all(), item_id)

    def _remove(self, rows: Any, item_id: str) -> Response:
        handover = self._fillable()
        handover_services.item_remove(item=self._row(rows(handover), item_id), by=self.request.user)
        return self._detail(handover)

    @action(detail=True, methods=["post"])
    def defects(self, request: Request, project_id: str = "") -> Response:
        handover = self._fillable()
        handover_services.defect_add(handover=handover, by=request.user, **self.validated(HandoverDefectAddSerializer))
        return self._detail(handover)

    @action(detail=True, methods=["delete"], url_path=r"defects/(?P<item_id>[^/]+)")
    def defect_remove(self, request: Request, project_id: str = "", item_id: str = "") -> Response:
        return self._remove(lambda handover: handover.defects.all(), item_id)

    @action(detail=True, methods=["post"])
    def trainings(self, request: Request, project_id: str = "") -> Response:
        handover = self._fillable()
        handover_services.training_add(handover=handover, by=request.user, **self.validated(HandoverTrainingAddSerializer))
        return self._detail(handover)

    @action(detail=True, methods=["delete"], url_path=r"trainings/(?P<item_id>[^/]+)")
    def training_remove(self, request: Request, project_id: str = "", item_id: str = "") -> Response:
        return self._remove(lambda handover: handover.trainings.all(), item_id)

    @action(detail=True, methods=["post"], url_path="key-contacts")
    def key_contacts(self, request: Request, project_id: str = "") -> Response:
        handover = self._fillable()
        handover_services.key_contact_add(handover=handover, by=request.user, **self.validated(HandoverKeyContactAddSerializer))
        return self._detail(handover)

    @action(detail=True, methods=["delete"], url_path=r"key-contacts/(?P<item_id>[^/]+)")
    def key_contact_remove(self, request: Request, project_id: str = "", item_id: str = "") -> Response:
        return self._remove(lambda handover: handover.key_contacts.all(), item_id)

    @action(detail=True, methods=["post"])
    def submit(self, request: Request, project_id: str = "") -> Response:
        handover = self._fillable()
        handover_services.handover_submit(handover=handover, by=request.user)
        return self._detail(handover)

    @action(detail=True, methods=["post"])
    def sign(self, request: Request, project_id: str = "") -> Response:
        handover = self.get_object()
        if not access.can_sign_handover(request.user, handover):
            refuse_signature(request.user, handover)
        handover_services.handover_sign(handover=handover, by=request.user)
        return self._detail(handover)

    @action(detail=True, methods=["post"], url_path="return")
    def send_back(self, request: Request, project_id: str = "") -> Response:
        handover = self.get_object()
        self.require(may_send_back(request.user, handover), refusal(handover.project))
        handover_services.handover_return(handover=handover, by=request.user, **self.validated(HandoverSendBackSerializer))
        return self._detail(handover)


def with_rows(handovers: QuerySet[Handover]) -> QuerySet[Handover]:
    """With its systems, defects, trainings and key contacts, each in one query."""
    systems = HandoverSystem.objects.select_related("installed_item__module", "version").order_by("id")
    contacts = HandoverContact.objects.select_related("contact").order_by("role", "id")
    return handovers.prefetch_related(Prefetch("systems", queryset=systems), "defects", "trainings",
                                      Prefetch("key_contacts", queryset=contacts))  # fmt: skip


def may_send_back(user: Any, handover: Handover) -> bool:
    """The project's side (who may edit the project) or a maintenance lead with the handover's edit scope."""
    if access.can_edit_project(user, handover.project):
        return True
    return access.is_maintenance_lead(user) and access.HANDOVER.allows(user, handover, "edit")


def refuse_signature(user: Any, handover: Handover) -> None:
    """Why the user may not sign: a field error when the request itself is wrong (not submitted yet,
    signed already, or not a signer at all), a 403 when only their position is."""
    project = handover.project
    is_manager = user.pk == project.manager_id
    if handover.status == HandoverStatus.SIGNED:
        raise serializers.ValidationError({"status": [_("This handover is already signed.")]})
    if not (is_manager or access.is_maintenance_lead(user)):
        raise serializers.ValidationError({"status": [_("Only the project manager and a maintenance lead sign the handover.")]})
    if handover.status == HandoverStatus.DRAFT:
        problems: dict[str, list[str]] = {"status": [_("Submit the handover with its checklist complete before signing.")]}
        missing = [str(_("Not complete: %(item)s. %(hint)s") % {"item": item.label, "hint": item.hint})
                   for item in handover_services.checklist(handover) if not item.done]  # fmt: skip
        if missing:
            problems["checklist"] = missing
        raise serializers.ValidationError(problems)
    if is_manager and handover.pm_signed_by_id:
        raise serializers.ValidationError({"status": [_("You have already signed this handover.")]})
    if not is_manager and handover.lead_signed_by_id:
        raise serializers.ValidationError({"status": [_("The maintenance centre has already signed this handover.")]})
    raise exceptions.PermissionDenied(_("Your position does not allow this action on this record."))
