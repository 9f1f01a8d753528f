"""Project documents, kept with every version; read-only once the project is archived."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from touchpoint.core.models import TimeStamped
from touchpoint.delivery.models.plan import Milestone
from touchpoint.delivery.models.projects import Project


class DocumentKind(models.TextChoices):
    DESIGN = "design", _("Design document")
    INSTALLATION = "installation", _("Installation record")
    TEST_REPORT = "test_report", _("Test report")
    TRAINING = "training", _("Training material")
    ACCEPTANCE = "acceptance", _("Signed acceptance certificate")
    MINUTES = "minutes", _("Meeting minutes")
    OTHER = "other", _("Other")


class ProjectDocument(TimeStamped):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="documents")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=14, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=160)
    # A signed acceptance certificate accepts this milestone when it is uploaded.
    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), null=True, blank=True, on_delete=models.PROTECT, related_name="certificates"
    )
    # Shared with the customer (the portal shows acceptance certificates and training materials).
    shared_with_customer = models.BooleanField(_("shared with the customer"), default=False)
    current_version = models.PositiveSmallIntegerField(_("version"), default=0)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("project document")
        verbose_name_plural = _("project documents")
        ordering = ["project", "kind", "title", "id"]
        indexes = [models.Index(fields=["project", "kind"], name="document_project_kind")]

    def __str__(self) -> str:
        return self.title


def document_version_path(instance: "DocumentVersion", filename: str) -> str:
    return f"projects/{instance.document.project_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class DocumentVersion(models.Model):
    document = models.ForeignKey(ProjectDocument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to=document_version_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["document", "-number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="document_version_unique")]

    def __str__(self) -> str:
        return f"{self.original_name} v{self.number}"
