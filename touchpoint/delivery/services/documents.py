"""Project documents with versions. Uploading the signed acceptance certificate of a milestone
accepts it. When the project is archived (closed or cancelled) its documents become read-only."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.core.uploads import check_upload
from touchpoint.delivery.models import DocumentKind, DocumentVersion, Milestone, Project, ProjectDocument
from touchpoint.delivery.services.projects import payload, require_running

DOCUMENT_UPLOADED = event_type("project.document_uploaded", kind=EventKind.DELIVERY, label=gettext_lazy("Project document uploaded"))


@transaction.atomic
def document_upload(
    *,
    project: Project,
    by: Any,
    upload: Any,
    kind: str = "",
    title: str = "",
    document: ProjectDocument | None = None,
    milestone: Milestone | None = None,
    note: str = "",
    shared_with_customer: bool = False,
) -> DocumentVersion:
    """A new document, or (with `document`) its next version. A signed acceptance certificate for an
    open milestone accepts that milestone."""
    require_running(project)
    if upload is None:
        raise ValidationError({"file": _("Choose a file to upload.")})
    try:
        facts = check_upload(upload)
    except ValidationError as refused:
        # The upload check speaks of the file; the form and the API show it against the file field.
        raise ValidationError({"file": refused.error_list}) from None
    if document is None:
        if kind not in DocumentKind.values:
            raise ValidationError({"kind": _("Choose what kind of document this is.")})
        if milestone is not None and milestone.project_id != project.pk:
            raise ValidationError({"milestone": _("The milestone must belong to this project.")})
        if kind == DocumentKind.ACCEPTANCE and milestone is None:
            raise ValidationError({"milestone": _("Say which milestone the certificate accepts.")})
        if kind == DocumentKind.ACCEPTANCE and milestone is not None and milestone.is_accepted:
            raise ValidationError({"milestone": _("This milestone was already accepted on %(day)s.")
                                   % {"day": milestone.accepted_on.isoformat() if milestone.accepted_on else ""}})  # fmt: skip
        document = ProjectDocument.objects.create(
            project=project, customer_id=project.customer_id, kind=kind, title=((title or "").strip() or facts.name)[:160],
            milestone=milestone if kind == DocumentKind.ACCEPTANCE else None,
            shared_with_customer=shared_with_customer or kind in (DocumentKind.ACCEPTANCE, DocumentKind.TRAINING),
        )  # fmt: skip
    else:
        if document.project_id != project.pk:
            raise ValidationError({"document": _("The document must belong to this project.")})
        if document.archived_at is not None:
            raise ValidationError(_("This document is archived and read-only."))
    ProjectDocument.objects.filter(pk=document.pk).update(current_version=F("current_version") + 1)
    document.refresh_from_db(fields=["current_version"])
    version = DocumentVersion(
        document=document, number=document.current_version, original_name=facts.name, content_type=facts.content_type,
        size=facts.size, sha256=facts.sha256, note=(note or "").strip()[:300], uploaded_by=by,
    )  # fmt: skip
    upload.seek(0)
    version.file.save(facts.name, upload, save=False)
    version.save()
    event_record(verb=DOCUMENT_UPLOADED, actor=by, customer_id=project.customer_id, target=project,
                 payload=payload(project, document=document.title, kind=document.kind, version=version.number))  # fmt: skip
    if document.kind == DocumentKind.ACCEPTANCE and document.milestone_id and version.number == 1:
        from touchpoint.delivery.services.plan import milestone_accept

        milestone_accept(milestone=document.milestone, by=by,  # type: ignore[arg-type]
                         note=_("Signed certificate uploaded: %(file)s") % {"file": facts.name})  # fmt: skip
    return version


def documents_archive(project: Project) -> int:
    """The project's documents become read-only (工程数据库的整理，文件整理归档)."""
    return ProjectDocument.objects.filter(project=project, archived_at__isnull=True).update(archived_at=timezone.now())
