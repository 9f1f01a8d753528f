"""What the delivery endpoints share: the project's parts as the user may see them, ids from the URL,
list parameters handed to the selectors, stale versions as a 409, references resolved within the
record in the URL, and service errors moved onto the names the request used."""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, serializers, viewsets
from rest_framework.request import Request

from touchpoint.core.api import READ_ERRORS, RESERVED_QUERY_PARAMS, QueryFilter, ScopedRelatedField, ScopedViewMixin
from touchpoint.core.versioning import StaleEdit, revisions_since
from touchpoint.delivery import access
from touchpoint.delivery.models import Milestone, Phase, Project, Task

MAX_ID = 9_223_372_036_854_775_807


# --- What the user may see ------------------------------------------------------------------------


def visible_tasks(user: Any) -> QuerySet[Task]:
    return Task.objects.filter(project__in=access.visible_projects(user).values("pk"))


def visible_phases(user: Any) -> QuerySet[Phase]:
    return Phase.objects.filter(project__in=access.visible_projects(user).values("pk"))


def visible_milestones(user: Any) -> QuerySet[Milestone]:
    return Milestone.objects.filter(project__in=access.visible_projects(user).values("pk"))


def refusal(project: Project) -> str:
    """Why a write on the project is refused: its records are archived, or the user's position."""
    if project.is_archived:
        return _("This project is %(status)s; its records are archived and read-only.") % {"status": project.get_status_display()}
    return _("Your position does not allow this action on this record.")


class ProjectPartViewSet(ScopedViewMixin, viewsets.GenericViewSet):
    """A viewset of something that belongs to a project (a task, a risk, a document): visible with
    its project, written by whoever may edit the project."""

    def editable_project(self, project: Project) -> Project:
        self.require(access.can_edit_project(self.request.user, project), refusal(project))
        return project

    def editable(self) -> Any:
        part = self.get_object()
        self.editable_project(part.project)
        return part


# --- The request ----------------------------------------------------------------------------------


def id_field(**options: Any) -> serializers.IntegerField:
    """A record id in a filter or query parameter."""
    return serializers.IntegerField(min_value=1, max_value=2**62, **options)


def path_id(value: str) -> int:
    """An id from the URL; anything that cannot be one is a 404 like an id nobody may see."""
    if not re.fullmatch(r"[0-9]{1,19}", value) or int(value) > MAX_ID:
        raise not_found()
    return int(value)


def not_found() -> exceptions.NotFound:
    return exceptions.NotFound(_("No such record among those you may see, or no such page."))


def path_parameter(name: str, description: Any) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH, description=description)


def list_values(request: Request, query_filters: dict[str, QueryFilter]) -> dict[str, Any]:
    """A list's query parameters, checked as core's WhitelistFilter checks them (an unknown or
    malformed one is a 400 naming it), as values for a selector that applies them itself."""
    problems: dict[str, Any] = {}
    for name in request.query_params:
        if name not in query_filters and name not in RESERVED_QUERY_PARAMS:
            problems[name[:50]] = [_("Unknown filter. Filters here: %(names)s.") % {"names": ", ".join(sorted(query_filters))}]
    values: dict[str, Any] = {}
    for name, spec in query_filters.items():
        given = request.query_params.getlist(name)
        if not given:
            continue
        if len(given) > 1:
            problems[name] = [_("Give this filter once.")]
            continue
        try:
            values[name] = spec.field.run_validation(given[0])
        except serializers.ValidationError as error:
            problems[name] = error.detail
    if problems:
        raise serializers.ValidationError(problems)
    return values


def require_version(record: Any, version: int) -> None:
    """A 409 with what changed meanwhile when `version` is not the record's; the services only say
    so in a sentence, and check again under their lock."""
    if record.version != version:
        history = revisions_since(record, version) if hasattr(type(record), "history") else []
        raise StaleEdit(history, record.version)


@contextmanager
def errors_renamed(**names: str) -> Iterator[None]:
    """Services name the model's field; where the request called it otherwise, move the messages
    onto the request's name. `__all__` names where a message without a field goes."""
    try:
        yield
    except DjangoValidationError as error:
        if not hasattr(error, "error_dict"):
            if "__all__" in names:
                raise DjangoValidationError({names["__all__"]: error.messages}) from None
            raise
        raise DjangoValidationError({names.get(field, field): messages for field, messages in error.error_dict.items()}) from None


def validated_within(view: Any, serializer_class: type[serializers.Serializer], *, partial: bool = False,
                     **context: Any) -> dict[str, Any]:
    """The request body, validated with the record in the URL in the serializer's context, for its
    WithinFields."""
    serializer = serializer_class(data=view.request.data, context={"request": view.request, "view": view, **context}, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class WithinField(ScopedRelatedField):
    """A reference resolved among the rows that belong to the record in the URL (a handover's
    installed base, a project's phases); the view has already checked that the user may see it."""

    def __init__(self, *, rows: Callable[[dict[str, Any]], QuerySet], model: type[Model], **kwargs: Any) -> None:
        super().__init__(visible=None, model=model, **kwargs)
        self.rows = rows

    def get_queryset(self) -> QuerySet:
        return self.rows(self.context)


class PatternChoiceField(serializers.ChoiceField):
    """A choice the schema states as a string pattern rather than a named enum: for a choice set
    another app already documents under another name (the delivery events), or under a field name
    another app's enum owns (`kind`), where a second enum would rename or clash with theirs."""


class PatternChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = PatternChoiceField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field: serializers.ChoiceField = self.target
        values = [str(value) for value in field.choices if value not in ("", None)]
        optional = "?" if field.allow_blank else ""
        labels = "; ".join(f"`{value}`: {label}" for value, label in field.choices.items() if value not in ("", None))
        return {"type": "string", "pattern": f"^({'|'.join(re.escape(v) for v in values)}){optional}$", "description": labels}


# --- Answers --------------------------------------------------------------------------------------


class NameField(serializers.CharField):
    """The display name of a related record (a user, a contact); null when there is none."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str:
        return str(value)


def amount(**options: Any) -> serializers.DecimalField:
    """An amount the API answers with: a string with two decimals."""
    return serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True, **options)


def file_answer(content: bytes, *, name: str, content_type: str) -> HttpResponse:
    """A download: never sniffed, never run by the browser."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def download_responses(media_type: str, description: Any) -> dict[Any, Any]:
    return {(200, media_type): OpenApiResponse(response=OpenApiTypes.BINARY, description=str(description)), **READ_ERRORS}
