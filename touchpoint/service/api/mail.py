"""API for the support mailbox's log (服务邮箱): every fetched mail with what became of it, filtered
like the page, and a retry of a failed mail from its kept original. Staff who run the mailbox only;
customer (portal) users are refused."""

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from touchpoint.core.api import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, QueryFilter, ScopedViewMixin, filter_parameters
from touchpoint.delivery.api.shared import PatternChoiceField, id_field, path_id
from touchpoint.service import access, selectors
from touchpoint.service.api.shared import NameField
from touchpoint.service.models import InboundMail, MailOutcome
from touchpoint.service.services.inbound import mail_retry

ORIGINAL_KEPT = gettext_lazy("The original was kept: a failure, or an unknown sender's attachments.")
GROUPS = {"taken": gettext_lazy("Taken in"), "ignored": gettext_lazy("Ignored"), "problems": gettext_lazy("Problems")}


def outcome_group(outcome: str) -> str:
    """taken, ignored or problems; `waiting` for a mail not processed yet."""
    return next((group for group, outcomes in selectors.MAIL_GROUPS.items() if outcome in outcomes), "waiting")


class InboundMailSerializer(serializers.ModelSerializer):
    received_at = serializers.DateTimeField(source="created_at", read_only=True, help_text=gettext_lazy("When the mail was fetched."))
    outcome = PatternChoiceField(read_only=True, choices=MailOutcome.choices)
    outcome_group = serializers.SerializerMethodField()
    request_number = NameField(source="request.number")
    has_original = serializers.SerializerMethodField()

    class Meta:
        model = InboundMail
        fields = ["id", "received_at", "mailbox", "uidvalidity", "uid", "message_id", "sender", "subject", "sent_at", "size",
                  "outcome", "outcome_group", "reason", "request", "request_number", "has_original", "processed_at"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": [*selectors.MAIL_GROUPS, "waiting"],
                          "description": "taken: created, threaded; ignored: bounce, auto_reply, own, flood, duplicate; "
                                         "problems: failed, rejected; waiting: received, not processed yet."})  # fmt: skip
    def get_outcome_group(self, mail: InboundMail) -> str:
        return outcome_group(mail.outcome)

    @extend_schema_field(serializers.BooleanField(help_text=ORIGINAL_KEPT))
    def get_has_original(self, mail: InboundMail) -> bool:
        return bool(mail.raw)


class MailRetrySerializer(serializers.Serializer):
    taken_in = serializers.BooleanField(help_text=gettext_lazy("False when the mail failed again; `mail.reason` says why."))
    detail = serializers.CharField()
    mail = InboundMailSerializer()


def _in_range(day: date) -> None:
    if not selectors.MAIL_EARLIEST_DAY <= day <= selectors.MAIL_LATEST_DAY:
        raise serializers.ValidationError(
            _("Enter a date between %(first)s and %(last)s.") % {"first": selectors.MAIL_EARLIEST_DAY, "last": selectors.MAIL_LATEST_DAY}
        )


def _narrowed(name: str) -> Any:
    """A filter that narrows the mails the way the page does, by one field of the page's query."""
    return lambda mails, value: selectors.mail_filter(mails, selectors.MailQuery(**{name: value}))


MAIL_FILTERS = {
    "group": QueryFilter(
        _narrowed("group"),
        serializers.ChoiceField(choices=list(GROUPS.items())),
        gettext_lazy("taken: created or threaded; ignored: bounce, auto-reply, own, flood, duplicate; problems: failed or rejected."),
    ),  # fmt: skip
    "outcome": QueryFilter("outcome", serializers.ChoiceField(choices=MailOutcome.choices)),
    "search": QueryFilter(
        _narrowed("q"), serializers.CharField(max_length=100), gettext_lazy("Words of the sender or the subject, or a <Message-ID>.")
    ),  # fmt: skip
    "since": QueryFilter(
        _narrowed("since"), serializers.DateField(validators=[_in_range]), gettext_lazy("Received on or after this day (local time).")
    ),  # fmt: skip
    "until": QueryFilter(
        _narrowed("until"), serializers.DateField(validators=[_in_range]), gettext_lazy("Received on or before this day (local time).")
    ),  # fmt: skip
    "request": QueryFilter("request_id", id_field(), gettext_lazy("Service request id.")),
}
MAIL_ORDERING = ["id", "created_at"]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List the mails fetched from the support mailbox, newest first"),
        parameters=filter_parameters(MAIL_FILTERS, MAIL_ORDERING),
        responses={200: InboundMailSerializer(many=True), **LIST_ERRORS},
    ),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a fetched mail"), responses={200: InboundMailSerializer, **READ_ERRORS}),
    retry=extend_schema(
        summary=gettext_lazy("Take a failed mail in again from its kept original"),
        request=None,
        responses={200: MailRetrySerializer, **WRITE_ERRORS},
    ),  # fmt: skip
)
class InboundMailViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The support mailbox's mails: the maintenance lead, admins and maintenance agents read them; the
    lead and admins retry a failed one."""

    serializer_class = InboundMailSerializer
    query_filters = MAIL_FILTERS
    ordering_fields = MAIL_ORDERING
    ordering = ["-id"]

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.require(access.may_view_mailbox(request.user))

    def get_queryset(self) -> QuerySet[InboundMail]:
        return selectors.inbound_mail_list(user=self.request.user)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        mails = super().filter_queryset(queryset)  # a bad filter is a 400 here, before the range is compared
        given = self.request.query_params
        since, until = (parse_date(given.get(name) or "") for name in ("since", "until"))
        if self.action == "list" and since and until and since > until:
            raise serializers.ValidationError({"until": [_("The end date is before the start date.")]})
        return mails

    def get_object(self) -> InboundMail:
        path_id(self.kwargs["pk"])  # what cannot be an id is a 404 before it reaches the database
        return super().get_object()

    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        mail = self.get_object()
        self.require(access.may_retry_mail(request.user))
        taken = mail_retry(mail=mail, by=request.user).mail
        fresh = selectors.inbound_mail_list(user=request.user).get(pk=taken.pk)
        if fresh.outcome == MailOutcome.FAILED:
            detail = _("The mail failed again: %(reason)s") % {"reason": fresh.reason}
        else:
            detail = _("The mail was taken in: %(outcome)s. %(reason)s") % {"outcome": fresh.get_outcome_display(), "reason": fresh.reason}
        answer = {"taken_in": fresh.outcome != MailOutcome.FAILED, "detail": detail, "mail": fresh}
        return Response(MailRetrySerializer(answer, context=self.get_serializer_context()).data)


# (prefix, viewset, basename) for the router, and plain API views.
ROUTES: list[tuple[str, Any, str]] = [("service/inbound-mails", InboundMailViewSet, "api-inbound-mail")]
PATHS: list[Any] = []
