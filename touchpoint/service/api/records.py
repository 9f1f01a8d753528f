"""API for complaints (投诉), knowledge articles (知识库) and satisfaction surveys (满意度).

Complaints: list, raise, read, edit (version-checked), and the workflow steps: move, inform,
confirm-close, reopen; the requests and touchpoints linked to one, linking and unlinking them. A
customer's portal user reads and raises their own customer's complaints.
Articles: list and search, read, write, edit, publish, and one helpful / not helpful vote per user;
portal users read published customer-visible ones. Surveys: the staff list; answering by token needs
no sign-in (the signed token is the key).
"""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.status import HTTP_200_OK, HTTP_201_CREATED

from touchpoint.core.api import (
    EDIT_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    QueryFilter,
    ScopedRelatedField,
    ScopedViewMixin,
    VersionedUpdateSerializer,
    errors,
    filter_parameters,
)
from touchpoint.core.models import Channel
from touchpoint.core.search import search_filter
from touchpoint.customers.models import Contact, Customer
from touchpoint.delivery.api.shared import PatternChoiceField, id_field, not_found, path_id, path_parameter
from touchpoint.org.access import visible_users
from touchpoint.org.models import Department, User
from touchpoint.sales.models import Product, ProductVersion
from touchpoint.service import access
from touchpoint.service.api.shared import NameField, TextField, is_portal, loggable_contacts, loggable_customers, portal_ids, refuse_portal
from touchpoint.service.models import (
    Article,
    ArticleCategory,
    ArticleLanguage,
    ArticleStatus,
    ArticleVisibility,
    Complaint,
    ComplaintAbout,
    ComplaintSeverity,
    ComplaintStatus,
    ServiceRequest,
    Survey,
    SurveyKind,
)
from touchpoint.service.services import complaints as complaint_services
from touchpoint.service.services import knowledge as knowledge_services
from touchpoint.service.services import surveys as survey_services
from touchpoint.touchpoints.access import visible_touchpoints
from touchpoint.touchpoints.models import Touchpoint

# --- Complaints -----------------------------------------------------------------------------------


class ComplaintSerializer(serializers.ModelSerializer):
    customer_name = NameField(source="customer.name")
    contact_name = NameField(source="contact.name")
    about = PatternChoiceField(read_only=True, choices=ComplaintAbout.choices)
    severity = PatternChoiceField(read_only=True, choices=ComplaintSeverity.choices)
    status = PatternChoiceField(read_only=True, choices=ComplaintStatus.choices)
    informed_via = PatternChoiceField(read_only=True, choices=Channel.choices, allow_blank=True)
    department_name = NameField(source="department")
    owner_name = NameField(source="owner")
    requests = serializers.ManyRelatedField(child_relation=serializers.PrimaryKeyRelatedField(read_only=True), read_only=True)

    class Meta:
        model = Complaint
        fields = ["id", "number", "customer", "customer_name", "contact", "contact_name", "about", "severity", "subject",
                  "description", "department", "department_name", "root_cause", "corrective_action", "status", "owner",
                  "owner_name", "customer_informed", "informed_at", "informed_via", "confirmed_by", "confirmed_at",
                  "closed_at", "reopened", "raised_from", "requests", "version", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


def _departments(user: Any) -> QuerySet[Department]:
    return Department.objects.filter(is_active=True)


class ComplaintRaiseSerializer(serializers.Serializer):
    customer = ScopedRelatedField(visible=loggable_customers, model=Customer, required=False, allow_null=True,
                                  help_text=gettext_lazy("Left out when raised from a request; a customer (portal) user's "
                                                         "own customer by default."))  # fmt: skip
    request = ScopedRelatedField(visible=lambda user: access.visible_requests(user), model=ServiceRequest, required=False,
                                 allow_null=True, help_text=gettext_lazy("The service request it is raised from."))  # fmt: skip
    contact = ScopedRelatedField(visible=loggable_contacts, model=Contact, required=False, allow_null=True)
    about = PatternChoiceField(choices=ComplaintAbout.choices)
    severity = PatternChoiceField(choices=ComplaintSeverity.choices, default=ComplaintSeverity.MEDIUM)
    department = ScopedRelatedField(visible=_departments, model=Department, required=False, allow_null=True,
                                    help_text=gettext_lazy("The accountable department. Staff only."))  # fmt: skip
    subject = TextField(max_length=200)
    description = TextField(max_length=20_000)


class ComplaintEditSerializer(VersionedUpdateSerializer):
    subject = TextField(max_length=200, required=False)
    description = TextField(max_length=20_000, required=False)
    about = PatternChoiceField(choices=ComplaintAbout.choices, required=False)
    severity = PatternChoiceField(choices=ComplaintSeverity.choices, required=False)
    department = ScopedRelatedField(visible=_departments, model=Department, required=False, allow_null=True)
    root_cause = TextField(max_length=10_000, required=False, allow_blank=True)
    corrective_action = TextField(max_length=10_000, required=False, allow_blank=True)
    owner = ScopedRelatedField(visible=visible_users, model=User, required=False)
    contact = ScopedRelatedField(visible=lambda user: Contact.objects.all(), model=Contact, required=False, allow_null=True,
                                 help_text=gettext_lazy("A contact of the complaint's customer."))  # fmt: skip


class ComplaintMoveSerializer(serializers.Serializer):
    status = PatternChoiceField(choices=[(ComplaintStatus.INVESTIGATING.value, ComplaintStatus.INVESTIGATING.label),
                                         (ComplaintStatus.ACTION_TAKEN.value, ComplaintStatus.ACTION_TAKEN.label)],
                                help_text=gettext_lazy("Closing is confirm-close; a corrective action is needed first for "
                                                       "`action_taken`."))  # fmt: skip
    note = TextField(max_length=500, required=False, allow_blank=True, default="")


class ComplaintInformSerializer(serializers.Serializer):
    via = PatternChoiceField(choices=Channel.choices, help_text=gettext_lazy("How the customer was informed."))
    note = TextField(max_length=300, required=False, allow_blank=True, default="")
    at = serializers.DateTimeField(required=False, help_text=gettext_lazy("When; now if left out. Never in the future."))


class ComplaintCloseSerializer(serializers.Serializer):
    confirmed_by = TextField(max_length=100, help_text=gettext_lazy("Who at the customer confirmed it is settled."))
    confirmed_at = serializers.DateTimeField(help_text=gettext_lazy("When the customer confirmed it."))
    note = TextField(max_length=300, required=False, allow_blank=True, default="")


class ComplaintReopenSerializer(serializers.Serializer):
    reason = TextField(max_length=500)


class ComplaintLinkSerializer(serializers.Serializer):
    request = ScopedRelatedField(visible=lambda user: access.visible_requests(user), model=ServiceRequest, required=False,
                                 allow_null=True, help_text=gettext_lazy("A service request of the complaint's customer."))  # fmt: skip
    touchpoint = ScopedRelatedField(visible=visible_touchpoints, model=Touchpoint, required=False, allow_null=True,
                                    help_text=gettext_lazy("A touchpoint of the complaint's customer."))  # fmt: skip


class LinkedRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceRequest
        fields = ["id", "number", "subject"]
        read_only_fields = fields


class LinkedTouchpointSerializer(serializers.ModelSerializer):
    channel = PatternChoiceField(read_only=True, choices=Channel.choices)

    class Meta:
        model = Touchpoint
        fields = ["id", "subject", "occurred_at", "channel"]
        read_only_fields = fields


class ComplaintLinksSerializer(serializers.Serializer):
    """What is linked to a complaint, as far as the reader may see it."""

    raised_from = serializers.IntegerField(read_only=True, allow_null=True,
                                           help_text=gettext_lazy("The request it was raised from; it cannot be unlinked."))  # fmt: skip
    requests = LinkedRequestSerializer(many=True, read_only=True)
    touchpoints = LinkedTouchpointSerializer(many=True, read_only=True)


LINKED_REQUEST_ID = path_parameter("request_id", gettext_lazy("The linked service request's id."))
LINKED_TOUCHPOINT_ID = path_parameter("touchpoint_id", gettext_lazy("The linked touchpoint's id."))

COMPLAINT_FILTERS = {
    "status": QueryFilter("status", serializers.ChoiceField(choices=ComplaintStatus.choices)),
    "about": QueryFilter("about", serializers.ChoiceField(choices=ComplaintAbout.choices)),
    "department": QueryFilter("department_id", id_field(), gettext_lazy("Department id.")),
    "customer": QueryFilter("customer_id", id_field(), gettext_lazy("Customer id.")),
}
COMPLAINT_ORDERING = ["created_at", "updated_at", "number"]


def _complaint_step(summary: Any, body: Any) -> Any:
    return extend_schema(summary=summary, request=body, responses={200: ComplaintSerializer, **WRITE_ERRORS})


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List complaints"),
        parameters=filter_parameters(COMPLAINT_FILTERS, COMPLAINT_ORDERING),
        responses={200: ComplaintSerializer(many=True), **LIST_ERRORS},
    ),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a complaint"), responses={200: ComplaintSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary=gettext_lazy("Raise a complaint, directly or from a service request"),
        request=ComplaintRaiseSerializer,
        responses={201: ComplaintSerializer, **WRITE_ERRORS},
    ),  # fmt: skip
    partial_update=extend_schema(
        summary=gettext_lazy("Edit a complaint: root cause, corrective action, department, owner…"),
        request=ComplaintEditSerializer,
        responses={200: ComplaintSerializer, **EDIT_ERRORS},
    ),  # fmt: skip
    move=_complaint_step(gettext_lazy("Move a complaint to investigating or action taken"), ComplaintMoveSerializer),
    inform=_complaint_step(gettext_lazy("Record that the customer was informed"), ComplaintInformSerializer),
    confirm_close=_complaint_step(gettext_lazy("Close a complaint with the customer's confirmation"), ComplaintCloseSerializer),
    reopen=_complaint_step(gettext_lazy("Reopen a closed complaint"), ComplaintReopenSerializer),
    links=extend_schema(
        summary=gettext_lazy("The requests and touchpoints linked to a complaint"),
        request=None,
        responses={200: ComplaintLinksSerializer, **READ_ERRORS},
    ),  # fmt: skip
    unlink_request=extend_schema(
        summary=gettext_lazy("Unlink a request from a complaint"),
        request=None,
        parameters=[LINKED_REQUEST_ID],
        responses={200: ComplaintLinksSerializer, **WRITE_ERRORS},
    ),  # fmt: skip
    unlink_touchpoint=extend_schema(
        summary=gettext_lazy("Unlink a touchpoint from a complaint"),
        request=None,
        parameters=[LINKED_TOUCHPOINT_ID],
        responses={200: ComplaintLinksSerializer, **WRITE_ERRORS},
    ),  # fmt: skip
)
class ComplaintViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Complaints you may see; a customer (portal) user's own customer's only."""

    serializer_class = ComplaintSerializer
    query_filters = COMPLAINT_FILTERS
    ordering_fields = COMPLAINT_ORDERING
    ordering = ["-created_at", "-pk"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Complaint]:
        rows = access.visible_complaints(self.request.user).select_related("customer", "contact", "department", "owner")
        return rows.prefetch_related("requests")

    def get_object(self) -> Complaint:
        path_id(self.kwargs["pk"])
        return super().get_object()

    def _workable(self) -> Complaint:
        complaint = self.get_object()
        refuse_portal(self.request.user)
        self.require(access.can_work_complaint(self.request.user, complaint))
        return complaint

    def _answer(self, complaint: Complaint, code: int = HTTP_200_OK) -> Response:
        rows = Complaint.objects.select_related("customer", "contact", "department", "owner").prefetch_related("requests")
        fresh = rows.get(pk=complaint.pk)
        return Response(ComplaintSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request) -> Response:
        user = request.user
        values = self.validated(ComplaintRaiseSerializer)
        source, customer = values.pop("request", None), values.pop("customer", None)
        ids = portal_ids(user)
        if ids is not None:
            values.pop("department", None)
            if source is None and customer is None and len(ids) == 1:
                customer = Customer.objects.get(pk=next(iter(ids)))
        target = source.customer if source is not None else customer
        if target is None:
            raise serializers.ValidationError({"customer": [_("Choose the customer.")]})
        self.require(access.can_log_complaint_for(user, target))
        complaint = complaint_services.complaint_create(by=user, customer=customer, request=source, **values)
        return self._answer(complaint, HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        complaint = self._workable()
        values = self.validated(ComplaintEditSerializer)
        version = values.pop("version")
        updated, _diff = complaint_services.complaint_update(complaint=complaint, by=request.user, expected_version=version, **values)
        return self._answer(updated)

    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str | None = None) -> Response:
        complaint = self._workable()
        values = self.validated(ComplaintMoveSerializer)
        return self._answer(complaint_services.complaint_move(complaint=complaint, by=request.user, **values))

    @action(detail=True, methods=["post"])
    def inform(self, request: Request, pk: str | None = None) -> Response:
        complaint = self._workable()
        values = self.validated(ComplaintInformSerializer)
        return self._answer(complaint_services.complaint_inform_customer(complaint=complaint, by=request.user, **values))

    @action(detail=True, methods=["post"], url_path="confirm-close")
    def confirm_close(self, request: Request, pk: str | None = None) -> Response:
        complaint = self._workable()
        values = self.validated(ComplaintCloseSerializer)
        return self._answer(complaint_services.complaint_confirm_close(complaint=complaint, by=request.user, **values))

    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        complaint = self._workable()
        values = self.validated(ComplaintReopenSerializer)
        return self._answer(complaint_services.complaint_reopen(complaint=complaint, by=request.user, **values))

    def _links(self, complaint: Complaint) -> Response:
        user = self.request.user
        requests = access.visible_requests(user).filter(linked_complaints=complaint).order_by("-created_at", "-id")
        touchpoints = visible_touchpoints(user).filter(complaints=complaint).order_by("-occurred_at", "-id")
        links = {"raised_from": complaint.raised_from_id, "requests": requests, "touchpoints": touchpoints}
        return Response(ComplaintLinksSerializer(links, context=self.get_serializer_context()).data)

    @action(detail=True, methods=["get"], url_path="links")
    def links(self, request: Request, pk: str | None = None) -> Response:
        complaint = self.get_object()
        refuse_portal(request.user)
        return self._links(complaint)

    @extend_schema(summary=gettext_lazy("Link a request or a touchpoint of the complaint's customer"), request=ComplaintLinkSerializer,
                   responses={200: ComplaintLinksSerializer, **WRITE_ERRORS})  # fmt: skip
    @links.mapping.post
    def link(self, request: Request, pk: str | None = None) -> Response:
        complaint = self._workable()
        values = self.validated(ComplaintLinkSerializer)
        return self._links(complaint_services.complaint_link(complaint=complaint, by=request.user, **values))

    @action(detail=True, methods=["delete"], url_path=r"links/requests/(?P<request_id>[^/]+)")
    def unlink_request(self, request: Request, pk: str | None = None, request_id: str = "") -> Response:
        complaint = self._workable()
        linked = complaint.requests.filter(pk=path_id(request_id)).first()
        if linked is None:
            raise not_found()
        return self._links(complaint_services.complaint_unlink(complaint=complaint, by=request.user, request=linked))

    @action(detail=True, methods=["delete"], url_path=r"links/touchpoints/(?P<touchpoint_id>[^/]+)")
    def unlink_touchpoint(self, request: Request, pk: str | None = None, touchpoint_id: str = "") -> Response:
        complaint = self._workable()
        linked = complaint.touchpoints.filter(pk=path_id(touchpoint_id)).first()
        if linked is None:
            raise not_found()
        return self._links(complaint_services.complaint_unlink(complaint=complaint, by=request.user, touchpoint=linked))


# --- Knowledge articles ---------------------------------------------------------------------------


class ArticleSerializer(serializers.ModelSerializer):
    language = PatternChoiceField(read_only=True, choices=ArticleLanguage.choices)
    visibility = PatternChoiceField(read_only=True, choices=ArticleVisibility.choices)
    category = PatternChoiceField(read_only=True, choices=ArticleCategory.choices)
    status = PatternChoiceField(read_only=True, choices=ArticleStatus.choices)
    product_name = NameField(source="product")
    versions = serializers.ManyRelatedField(child_relation=serializers.PrimaryKeyRelatedField(read_only=True), read_only=True)
    author_name = NameField(source="author")

    class Meta:
        model = Article
        fields = ["id", "title", "body", "language", "visibility", "category", "product", "product_name", "versions", "status",
                  "source_request", "author", "author_name", "published_at", "helpful_count", "not_helpful_count", "version",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


def _products(user: Any) -> QuerySet[Product]:
    return Product.objects.all()


def _versions(user: Any) -> QuerySet[ProductVersion]:
    return ProductVersion.objects.all()


class ArticleWriteSerializer(serializers.Serializer):
    title = TextField(max_length=200)
    body = TextField(max_length=50_000, help_text=gettext_lazy("Plain text; blank lines separate paragraphs."))
    language = PatternChoiceField(choices=ArticleLanguage.choices, default=ArticleLanguage.ZH)
    visibility = PatternChoiceField(choices=ArticleVisibility.choices, default=ArticleVisibility.INTERNAL)
    category = PatternChoiceField(choices=ArticleCategory.choices, default=ArticleCategory.TROUBLESHOOTING)
    product = ScopedRelatedField(visible=_products, model=Product, required=False, allow_null=True)
    versions = serializers.ListField(child=ScopedRelatedField(visible=_versions, model=ProductVersion), required=False,
                                     max_length=50, help_text=gettext_lazy("Versions of the article's product."))  # fmt: skip
    source_request = ScopedRelatedField(visible=lambda user: access.visible_requests(user), model=ServiceRequest, required=False,
                                        allow_null=True, help_text=gettext_lazy("A resolved request it is written from."))  # fmt: skip


class ArticleEditSerializer(VersionedUpdateSerializer):
    title = TextField(max_length=200, required=False)
    body = TextField(max_length=50_000, required=False)
    language = PatternChoiceField(choices=ArticleLanguage.choices, required=False)
    visibility = PatternChoiceField(choices=ArticleVisibility.choices, required=False)
    category = PatternChoiceField(choices=ArticleCategory.choices, required=False)
    product = ScopedRelatedField(visible=_products, model=Product, required=False, allow_null=True)
    versions = serializers.ListField(child=ScopedRelatedField(visible=_versions, model=ProductVersion), required=False, max_length=50)


class FeedbackSerializer(serializers.Serializer):
    helpful = serializers.BooleanField(help_text=gettext_lazy("Whether the article helped; voting again replaces your vote."))


ARTICLE_FILTERS = {
    "search": QueryFilter(
        lambda rows, text: search_filter(rows, text),
        TextField(max_length=100),
        gettext_lazy("Words of the title or the text; Chinese is matched by pairs of characters."),
    ),  # fmt: skip
    "product": QueryFilter("product_id", id_field(), gettext_lazy("Product id.")),
    "category": QueryFilter("category", serializers.ChoiceField(choices=ArticleCategory.choices)),
    "visibility": QueryFilter("visibility", serializers.ChoiceField(choices=ArticleVisibility.choices)),
    "status": QueryFilter("status", serializers.ChoiceField(choices=ArticleStatus.choices)),
}
ARTICLE_ORDERING = ["updated_at", "published_at", "helpful_count", "title"]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List or search knowledge articles"),
        parameters=filter_parameters(ARTICLE_FILTERS, ARTICLE_ORDERING),
        responses={200: ArticleSerializer(many=True), **LIST_ERRORS},
    ),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a knowledge article"), responses={200: ArticleSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary=gettext_lazy("Write a knowledge article (a draft)"),
        request=ArticleWriteSerializer,
        responses={201: ArticleSerializer, **WRITE_ERRORS},
    ),  # fmt: skip
    partial_update=extend_schema(
        summary=gettext_lazy("Edit a knowledge article"), request=ArticleEditSerializer, responses={200: ArticleSerializer, **EDIT_ERRORS}
    ),  # fmt: skip
    publish=extend_schema(
        summary=gettext_lazy("Publish a knowledge article"), request=None, responses={200: ArticleSerializer, **WRITE_ERRORS}
    ),  # fmt: skip
    feedback=extend_schema(
        summary=gettext_lazy("Say whether an article helped (one vote per user)"),
        request=FeedbackSerializer,
        responses={200: ArticleSerializer, **WRITE_ERRORS},
    ),  # fmt: skip
)
class ArticleViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Knowledge articles you may read; customer (portal) users read published customer-visible ones."""

    serializer_class = ArticleSerializer
    query_filters = ARTICLE_FILTERS
    ordering_fields = ARTICLE_ORDERING
    ordering = ["-updated_at", "-pk"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Article]:
        return access.visible_articles(self.request.user).select_related("product", "author").prefetch_related("versions")

    def get_object(self) -> Article:
        path_id(self.kwargs["pk"])
        return super().get_object()

    def _answer(self, article: Article, code: int = HTTP_200_OK) -> Response:
        fresh = Article.objects.select_related("product", "author").prefetch_related("versions").get(pk=article.pk)
        return Response(ArticleSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request) -> Response:
        self.require(access.may_write_articles(request.user))
        values = self.validated(ArticleWriteSerializer)
        article = knowledge_services.article_create(by=request.user, **values)
        return self._answer(article, HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        article = self.get_object()
        self.require(access.can_edit_article(request.user, article))
        values = self.validated(ArticleEditSerializer)
        version = values.pop("version")
        updated, _diff = knowledge_services.article_update(article=article, by=request.user, expected_version=version, **values)
        return self._answer(updated)

    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        article = self.get_object()
        self.require(access.can_publish_article(request.user, article))
        return self._answer(knowledge_services.article_publish(article=article, by=request.user))

    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, pk: str | None = None) -> Response:
        article = self.get_object()
        values = self.validated(FeedbackSerializer)
        return self._answer(knowledge_services.article_feedback(article=article, by=request.user, helpful=values["helpful"]))


# --- Surveys --------------------------------------------------------------------------------------


class SurveySerializer(serializers.ModelSerializer):
    kind = PatternChoiceField(read_only=True, choices=SurveyKind.choices)
    customer_name = NameField(source="customer.name")
    contact_name = NameField(source="contact.name")
    request_number = NameField(source="request.number")
    low = serializers.BooleanField(source="is_low", read_only=True, help_text=gettext_lazy("CSAT 2 or less, NPS 6 or less."))

    class Meta:
        model = Survey
        fields = ["id", "kind", "customer", "customer_name", "contact", "contact_name", "request", "request_number", "period",
                  "sent_at", "score", "comment", "answered_at", "low", "followup"]  # fmt: skip
        read_only_fields = fields


class SurveyAnswerSerializer(serializers.Serializer):
    token = TextField(max_length=500, help_text=gettext_lazy("The signed token of the emailed link."))
    score = serializers.IntegerField(min_value=0, max_value=10, help_text=gettext_lazy("CSAT 1–5, NPS 0–10."))
    comment = TextField(max_length=5000, required=False, allow_blank=True, default="")


class SurveyAnswerResultSerializer(serializers.Serializer):
    kind = PatternChoiceField(read_only=True, choices=SurveyKind.choices)
    score = serializers.IntegerField(read_only=True)
    answered_at = serializers.DateTimeField(read_only=True)


SURVEY_FILTERS = {
    "kind": QueryFilter("kind", serializers.ChoiceField(choices=SurveyKind.choices)),
    "customer": QueryFilter("customer_id", id_field(), gettext_lazy("Customer id.")),
    "request": QueryFilter("request_id", id_field(), gettext_lazy("Service request id.")),
    "answered": QueryFilter("answered_at__isnull", serializers.BooleanField(), gettext_lazy("false: answered ones; true: unanswered.")),
}
SURVEY_ORDERING = ["sent_at", "answered_at", "score"]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List satisfaction surveys (staff)"),
        parameters=filter_parameters(SURVEY_FILTERS, SURVEY_ORDERING),
        responses={200: SurveySerializer(many=True), **LIST_ERRORS},
    ),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a satisfaction survey"), responses={200: SurveySerializer, **READ_ERRORS}),
)
class SurveyViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Satisfaction surveys, for staff who may see them."""

    serializer_class = SurveySerializer
    query_filters = SURVEY_FILTERS
    ordering_fields = SURVEY_ORDERING
    ordering = ["-sent_at", "-pk"]

    def get_queryset(self) -> QuerySet[Survey]:
        if is_portal(self.request.user) or not access.may_view_surveys(self.request.user):
            return Survey.objects.none()
        return access.visible_surveys(self.request.user).select_related("customer", "contact", "request")

    def get_object(self) -> Survey:
        path_id(self.kwargs["pk"])
        return super().get_object()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.require(access.may_view_surveys(request.user))
        return super().list(request, *args, **kwargs)


class SurveyAnswerViewSet(ScopedViewMixin, viewsets.GenericViewSet):
    """Answer a survey with the token of its emailed link; no sign-in needed."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]
    serializer_class = SurveyAnswerSerializer

    def get_queryset(self) -> QuerySet[Survey]:
        return Survey.objects.none()

    @extend_schema(summary=gettext_lazy("Answer a satisfaction survey by its token"), request=SurveyAnswerSerializer,
                   responses={200: SurveyAnswerResultSerializer, **errors(400)}, auth=[])  # fmt: skip
    def create(self, request: Request) -> Response:
        values = self.validated(SurveyAnswerSerializer)
        try:
            survey = survey_services.survey_answer(**values)
        except survey_services.SurveyTokenError as error:
            raise serializers.ValidationError({"token": [str(m) for m in error.messages]}) from None
        return Response(SurveyAnswerResultSerializer(survey).data)


ROUTES: list[tuple[str, Any, str]] = [
    ("complaints", ComplaintViewSet, "api-complaint"),
    ("knowledge-articles", ArticleViewSet, "api-knowledge-article"),
    ("surveys/answer", SurveyAnswerViewSet, "api-survey-answer"),
    ("surveys", SurveyViewSet, "api-survey"),
]
PATHS: list[Any] = []
