"""API for project documents: list them with every version, upload a new document or its next
version (multipart), download a version. Uploading the signed acceptance certificate of an open
milestone accepts it."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from touchpoint.core.api import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, QueryFilter, ScopedRelatedField, filter_parameters
from touchpoint.core.uploads import check_upload
from touchpoint.delivery import access
from touchpoint.delivery.api.shared import (
    NameField,
    PatternChoiceField,
    ProjectPartViewSet,
    id_field,
    not_found,
    path_id,
    path_parameter,
    visible_milestones,
)
from touchpoint.delivery.models import DocumentKind, DocumentVersion, Milestone, Project, ProjectDocument
from touchpoint.delivery.services import documents as document_services

MAX_VERSION = 32767  # the version number's column is a small integer


class DocumentVersionSerializer(serializers.ModelSerializer):
    uploaded_by_name = NameField(source="uploaded_by")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentVersion
        fields = ["number", "original_name", "content_type", "size", "sha256", "note", "uploaded_by", "uploaded_by_name",
                  "uploaded_at", "download_url"]  # fmt: skip
        read_only_fields = fields

    def get_download_url(self, version: DocumentVersion) -> str:
        return f"/api/v1/project-documents/{version.document_id}/versions/{version.number}/download/"


class ProjectDocumentSerializer(serializers.ModelSerializer):
    project_number = serializers.CharField(source="project.number", read_only=True)
    kind = PatternChoiceField(choices=DocumentKind.choices, read_only=True)  # a pattern: `kind` is another app's enum name
    versions = DocumentVersionSerializer(many=True, read_only=True, help_text=gettext_lazy("Newest first."))

    class Meta:
        model = ProjectDocument
        fields = ["id", "project", "project_number", "kind", "title", "milestone", "shared_with_customer", "current_version",
                  "archived_at", "created_at", "updated_at", "versions"]  # fmt: skip
        read_only_fields = fields


class UploadField(serializers.FileField):
    """A file checked for size, type and content as every upload is, the problem said on this field."""

    def to_internal_value(self, data: Any) -> Any:
        upload = super().to_internal_value(data)
        try:
            check_upload(upload)  # type: ignore[arg-type]  # an UploadedFile, as parsed from the request
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        upload.seek(0)
        return upload


class DocumentUploadSerializer(serializers.Serializer):
    project = ScopedRelatedField(visible=access.visible_projects, model=Project)
    kind = PatternChoiceField(choices=DocumentKind.choices)
    title = serializers.CharField(max_length=160, required=False, allow_blank=True, default="",
                                  help_text=gettext_lazy("Left out, the file's name."))  # fmt: skip
    milestone = ScopedRelatedField(
        visible=visible_milestones, model=Milestone, required=False, allow_null=True,
        help_text=gettext_lazy("For a signed acceptance certificate: the open milestone it accepts."),
    )  # fmt: skip
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    shared_with_customer = serializers.BooleanField(required=False, default=False,
                                                    help_text=gettext_lazy("Certificates and training material always are."))  # fmt: skip
    file = UploadField()


class DocumentVersionUploadSerializer(serializers.Serializer):
    file = UploadField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="",
                                 help_text=gettext_lazy("What changed."))  # fmt: skip


DOCUMENT_FILTERS = {
    "project": QueryFilter("project_id", id_field(), gettext_lazy("Project id.")),
    "kind": QueryFilter("kind", serializers.ChoiceField(choices=DocumentKind.choices)),
    "milestone": QueryFilter("milestone_id", id_field(), gettext_lazy("Certificates of this milestone.")),
}
DOCUMENT_ORDERING = ["title", "created_at", "updated_at"]
NUMBER = path_parameter("number", gettext_lazy("The version number."))


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List project documents with their versions"),
                       parameters=filter_parameters(DOCUMENT_FILTERS, DOCUMENT_ORDERING),
                       responses={200: ProjectDocumentSerializer(many=True), **LIST_ERRORS}),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a project document with its versions"),
                           responses={200: ProjectDocumentSerializer, **READ_ERRORS}),  # fmt: skip
    create=extend_schema(summary=gettext_lazy("Upload a new project document"), request={"multipart/form-data": DocumentUploadSerializer},
                         responses={201: ProjectDocumentSerializer, **WRITE_ERRORS}),  # fmt: skip
    versions=extend_schema(summary=gettext_lazy("Upload the next version of a document"),
                           request={"multipart/form-data": DocumentVersionUploadSerializer},
                           responses={201: ProjectDocumentSerializer, **WRITE_ERRORS}),  # fmt: skip
    download=extend_schema(
        summary=gettext_lazy("Download a version of a document"), parameters=[NUMBER],
        responses={(200, "*/*"): OpenApiResponse(description=str(gettext_lazy("The file as uploaded, with its own content type."))),
                   **READ_ERRORS},
    ),  # fmt: skip
)
class DocumentViewSet(ProjectPartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Documents of the projects you may see."""

    serializer_class = ProjectDocumentSerializer
    parser_classes = [parsers.MultiPartParser]  # its only bodies are uploads
    query_filters = DOCUMENT_FILTERS
    ordering_fields = DOCUMENT_ORDERING
    ordering = ["project", "kind", "title", "pk"]

    def get_queryset(self) -> QuerySet[ProjectDocument]:
        versions = DocumentVersion.objects.select_related("uploaded_by").order_by("-number")
        return (
            ProjectDocument.objects.filter(project__in=access.visible_projects(self.request.user).values("pk"))
            .select_related("project")
            .prefetch_related(Prefetch("versions", queryset=versions))
        )  # fmt: skip

    def _read(self, document: ProjectDocument, code: int = status.HTTP_200_OK) -> Response:
        versions = Prefetch("versions", queryset=DocumentVersion.objects.select_related("uploaded_by").order_by("-number"))
        fresh = ProjectDocument.objects.select_related("project").prefetch_related(versions).get(pk=document.pk)
        return Response(ProjectDocumentSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request) -> Response:
        values = self.validated(DocumentUploadSerializer)
        project = self.editable_project(values.pop("project"))
        version = document_services.document_upload(project=project, by=request.user, upload=values.pop("file"), **values)
        return self._read(version.document, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        document = self.editable()
        values = self.validated(DocumentVersionUploadSerializer)
        document_services.document_upload(project=document.project, by=request.user, upload=values["file"], document=document,
                                          note=values["note"])  # fmt: skip
        return self._read(document, status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[^/]+)/download")
    def download(self, request: Request, pk: str | None = None, number: str = "") -> FileResponse:
        document = self.get_object()
        wanted = path_id(number)
        version = next((v for v in document.versions.all() if v.number == wanted), None) if wanted <= MAX_VERSION else None
        if version is None:
            raise not_found()
        response = FileResponse(version.file.open("rb"), as_attachment=True, filename=version.original_name,
                                content_type=version.content_type)  # fmt: skip
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
