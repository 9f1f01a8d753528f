"""Shared API plumbing: pagination, error format, whitelisted ordering and filters.

The error shapes every endpoint returns:
- 400 `{"<field or query parameter>": ["message", …]}` (plus `non_field_errors` or `detail`);
- 401, 403, 404 `{"detail": "message"}`;
- 409 `{"detail", "code": "stale_version", "current_version", "revisions": […]}` for a stale edit.
"""

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import authentication, exceptions, filters, pagination, parsers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from touchpoint.core.versioning import StaleEdit


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        """A page_size that is not a positive number is a 400, not silently the default."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
            raise serializers.ValidationError({self.page_size_query_param: [_("Enter a whole number from 1 up.")]})
        return min(int(raw), self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {"type": "integer", "minimum": 1}
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = _("Rows per page, at most %(max)s.") % {"max": self.max_page_size}
        return parameters


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map service errors: a Django ValidationError to a 400, a stale edit to a 409."""
    if isinstance(exc, StaleEdit):
        return Response(StaleEditSerializer(exc).data, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail: Any = {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
        else:
            detail = {"non_field_errors": [str(m) for m in exc.messages]}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)


# --- Error bodies, for the schema ---------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ValidationErrorSerializer(serializers.Serializer):
    """Every other key is a field or query parameter name with its list of messages."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
    detail = serializers.CharField(required=False)


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    old = serializers.CharField()
    new = serializers.CharField()


class RevisionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    by = serializers.CharField()
    at = serializers.DateTimeField()
    changes = FieldChangeSerializer(many=True)


class StaleEditSerializer(serializers.Serializer):
    detail = serializers.SerializerMethodField()
    code = serializers.SerializerMethodField()
    current_version = serializers.IntegerField()
    revisions = RevisionSerializer(many=True, help_text=gettext_lazy("What changed after the version you sent."))

    def get_detail(self, exc: StaleEdit) -> str:
        return str(exc)

    def get_code(self, exc: StaleEdit) -> str:
        return "stale_version"


ERROR_DESCRIPTIONS: dict[int, tuple[type[serializers.Serializer], Promise]] = {
    400: (ValidationErrorSerializer, gettext_lazy("Invalid input: messages per field or query parameter.")),
    401: (ErrorSerializer, gettext_lazy("Not signed in, or the token is invalid.")),
    403: (ErrorSerializer, gettext_lazy("Your position does not allow this action on this record.")),
    404: (ErrorSerializer, gettext_lazy("No such record among those you may see, or no such page.")),
    409: (StaleEditSerializer, gettext_lazy("Someone else changed the record since you read it.")),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Schema responses for the given error status codes."""
    return {code: OpenApiResponse(response=ERROR_DESCRIPTIONS[code][0], description=str(ERROR_DESCRIPTIONS[code][1])) for code in codes}


READ_ERRORS = errors(401, 403, 404)
LIST_ERRORS = errors(400, 401, 403, 404)
WRITE_ERRORS = errors(400, 401, 403, 404)
EDIT_ERRORS = errors(400, 401, 403, 404, 409)


# --- Versioned edits -------------------------------------------------------------------


class VersionedUpdateSerializer(serializers.Serializer):
    """Carries the version of the record you read; if it has changed since, the answer is a 409."""

    version = serializers.IntegerField(
        min_value=1, max_value=2_147_483_647, help_text=gettext_lazy("The version you read; a newer one is a 409.")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if "version" not in attrs:
            raise serializers.ValidationError({"version": [_("Send the version of the record you are editing.")]})
        return attrs


class VersionedUpdateSerializerExtension(OpenApiSerializerExtension):
    """A PATCH body is partial, except `version`, which stays required."""

    target_class = VersionedUpdateSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        required = schema.setdefault("required", [])
        if "version" not in required:
            required.append("version")
        return schema


# --- Filters and ordering ----------------------------------------------------------------

RESERVED_QUERY_PARAMS = frozenset({"page", "page_size", "ordering"})


@dataclass(frozen=True)
class QueryFilter:
    """One whitelisted query parameter: the field that parses it and the ORM lookup it feeds.

    `lookup` is a lookup path, or a function (queryset, value) -> queryset for a search.
    """

    lookup: str | Callable[[QuerySet, Any], QuerySet]
    field: serializers.Field
    description: Promise | str = ""


def _parameter_schema(field: serializers.Field) -> dict[str, Any]:
    if isinstance(field, serializers.BooleanField):
        return {"type": "boolean"}
    if isinstance(field, serializers.IntegerField):
        bounds = {"minimum": field.min_value, "maximum": field.max_value}
        return {"type": "integer", **{k: v for k, v in bounds.items() if v is not None}}
    if isinstance(field, serializers.DateTimeField):
        return {"type": "string", "format": "date-time"}
    if isinstance(field, serializers.DateField):
        return {"type": "string", "format": "date"}
    if isinstance(field, serializers.ChoiceField):
        return {"type": "string", "enum": list(field.choices)}
    if isinstance(field, serializers.CharField) and field.max_length:
        return {"type": "string", "minLength": 1, "maxLength": field.max_length}
    return {"type": "string", "minLength": 1}


class WhitelistFilter(filters.BaseFilterBackend):
    """Filters a list by the view's `query_filters`; any other query parameter, or a bad value, is a 400."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        if getattr(view, "action", None) != "list":
            return queryset
        allowed: dict[str, QueryFilter] = getattr(view, "query_filters", {})
        problems: dict[str, Any] = {}
        for name in request.query_params:
            if name not in allowed and name not in RESERVED_QUERY_PARAMS:
                problems[name[:50]] = [_("Unknown filter. Filters here: %(names)s.") % {"names": ", ".join(sorted(allowed)) or "-"}]
        conditions: dict[str, Any] = {}
        searches: list[tuple[Callable[[QuerySet, Any], QuerySet], Any]] = []
        for name, spec in allowed.items():
            values = request.query_params.getlist(name)
            if not values:
                continue
            if len(values) > 1:
                problems[name] = [_("Give this filter once.")]
                continue
            try:
                # A fresh copy each time: a field's messages are formatted once and kept, so the shared
                # instance would answer every later reader in the first reader's language.
                value = copy.deepcopy(spec.field).run_validation(values[0])
            except serializers.ValidationError as error:
                problems[name] = error.detail
                continue
            if callable(spec.lookup):
                searches.append((spec.lookup, value))
            else:
                conditions[spec.lookup] = value
        if problems:
            raise serializers.ValidationError(problems)
        queryset = queryset.filter(**conditions)
        for search, value in searches:
            queryset = search(queryset, value)
        return queryset

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return []  # documented with extend_schema(parameters=filter_parameters(...)) on the list action


def filter_parameters(query_filters: dict[str, QueryFilter], ordering_fields: Iterable[str] = ()) -> list[Any]:
    """The OpenAPI parameters of a list: its filters and its ordering."""
    parameters: list[Any] = []
    for name, spec in query_filters.items():
        parameters.append(
            OpenApiParameter(
                name, _parameter_schema(spec.field), OpenApiParameter.QUERY, required=False,
                description=str(spec.description),
            )
        )  # fmt: skip
    fields = list(ordering_fields)
    if fields:
        alternatives = "|".join(fields)
        parameters.append(
            OpenApiParameter(
                "ordering",
                {"type": "string", "pattern": f"^(-?({alternatives})(,-?({alternatives}))*)?$"},
                OpenApiParameter.QUERY,
                required=False,
                description=_("Comma-separated fields to sort by, '-' for descending. Allowed: %(fields)s.")
                % {"fields": ", ".join(fields)},
            )
        )
    return parameters


class WhitelistOrdering(filters.OrderingFilter):
    """Ordering on the view's `ordering_fields` only; an unknown field is a 400, not silently ignored."""

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> list[str]:
        raw = request.query_params.get(self.ordering_param)
        if not raw or getattr(view, "action", None) != "list":
            return list(self.get_default_ordering(view) or [])
        allowed = list(getattr(view, "ordering_fields", []))
        requested = [term.strip() for term in raw.split(",") if term.strip()]
        unknown = [term for term in requested if term.lstrip("-") not in allowed]
        if unknown:
            raise serializers.ValidationError(
                {
                    self.ordering_param: [
                        _("Cannot sort by %(fields)s. Allowed: %(allowed)s.")
                        % {"fields": ", ".join(t[:50] for t in unknown[:5]), "allowed": ", ".join(allowed)}
                    ]
                }
            )
        # A unique tie-breaker keeps pages stable.
        return [*requested, "-pk" if requested and requested[-1].startswith("-") else "pk"]

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return []  # documented by filter_parameters()


# --- Viewsets -------------------------------------------------------------------------


class ScopedViewMixin:
    """For a viewset whose rows come from an access function; each entity writes its own actions.

    A mixin rather than a GenericViewSet subclass: DRF's generics import this module for the
    pagination class, so it must not import them back.
    """

    # Token first, so that an anonymous request gets a 401 with `WWW-Authenticate: Token`.
    authentication_classes: Sequence[type[Any]] = [
        authentication.TokenAuthentication,
        authentication.SessionAuthentication,
    ]
    parser_classes: Sequence[type[parsers.BaseParser]] = [parsers.JSONParser]
    filter_backends: Sequence[type[Any]] = [WhitelistFilter, WhitelistOrdering]
    # Any id-shaped segment reaches the view, so that a malformed id is a JSON 404, not Django's HTML one.
    lookup_value_regex = r"[^/]+"
    query_filters: dict[str, QueryFilter] = {}
    ordering_fields: list[str] = []

    def require(self, allowed: bool, message: str | None = None) -> None:
        """Refuse the action with a 403 unless `allowed`."""
        if not allowed:
            raise exceptions.PermissionDenied(message or _("Your position does not allow this action on this record."))

    def validated(self, serializer_class: type[serializers.Serializer], instance: Any = None, **kwargs: Any) -> dict[str, Any]:
        """The request body, validated; `instance` is the record being edited, for the validators."""
        request: Request = self.request  # type: ignore[attr-defined]
        context = {"request": request, "view": self}
        serializer = serializer_class(instance, data=request.data, context=context, **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to a row the requesting user may see; anything else "does not exist"."""

    def __init__(self, *, visible: Any, model: Any, **kwargs: Any) -> None:
        self.visible = visible
        # The queryset is only for the schema (the model's key type); lookups use get_queryset().
        super().__init__(queryset=model._default_manager.none(), **kwargs)

    def get_queryset(self) -> QuerySet:
        return self.visible(self.context["request"].user)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str) and not (data.isascii() and data.isdigit()):  # "¹" is a digit to isdigit()
            self.fail("incorrect_type", data_type=type(data).__name__)
        if int(data) > 9_223_372_036_854_775_807:
            self.fail("does_not_exist", pk_value=str(data)[:30])
        return super().to_internal_value(data)


class ScopedListField(serializers.ListField):
    """A list of ids of rows the requesting user may see, resolved in one query, at most `max_length`."""

    def __init__(self, *, visible: Any, max_length: int = 50, **kwargs: Any) -> None:
        self.visible = visible
        super().__init__(
            child=serializers.IntegerField(min_value=1, max_value=9_223_372_036_854_775_807),
            max_length=max_length,
            **kwargs,
        )

    def to_internal_value(self, data: Any) -> list[Any]:
        ids = list(dict.fromkeys(super().to_internal_value(data)))
        found = {row.pk: row for row in self.visible(self.context["request"].user).filter(pk__in=ids)}
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise serializers.ValidationError(_('Invalid pk "%(pk)s" - object does not exist.') % {"pk": missing[0]}, code="does_not_exist")
        return [found[pk] for pk in ids]
