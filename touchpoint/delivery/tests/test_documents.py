"""Project documents with versions; a signed acceptance certificate accepts its milestone."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from touchpoint.core.models import Event
from touchpoint.delivery.models import DocumentKind, DocumentVersion, MilestoneStatus, ProjectDocument
from touchpoint.delivery.services.documents import document_upload
from touchpoint.delivery.services.plan import milestone_accept
from touchpoint.delivery.services.projects import project_move
from touchpoint.delivery.tests.builders import another_project, fresh, pdf, refused, today
from touchpoint.sales.models import PaymentMilestone

pytestmark = pytest.mark.django_db


def upload(personas, project, file, **values):
    return document_upload(project=project, by=personas.project_manager, upload=file, **values)


def test_a_document_keeps_every_version(personas, staffed, settings):
    first = upload(personas, staffed, pdf("概要设计.pdf", b"v1"), kind=DocumentKind.DESIGN, title="概要设计说明书")
    document = first.document

    second = document_upload(project=staffed, by=personas.engineer, upload=pdf("概要设计-修订.pdf", b"v2"),
                             document=document, note="补充灾备方案")  # fmt: skip

    document = fresh(document)
    assert (document.title, document.kind, document.current_version) == ("概要设计说明书", DocumentKind.DESIGN, 2)
    assert document.customer_id == staffed.customer_id and not document.shared_with_customer
    assert list(document.versions.values_list("number", "original_name", "note")) == [
        (2, "概要设计-修订.pdf", "补充灾备方案"), (1, "概要设计.pdf", ""),
    ]  # fmt: skip
    assert second.uploaded_by == personas.engineer and second.content_type == "application/pdf"
    assert first.sha256 != second.sha256
    assert str(settings.MEDIA_ROOT) in second.file.path and "概要设计" not in second.file.name
    assert second.file.read() == b"%PDF-1.4\nv2"
    assert list(Event.objects.filter(verb="project.document_uploaded").values_list("payload__version", flat=True)) == [1, 2]


def test_without_a_title_the_file_name_is_the_title(personas, staffed):
    assert upload(personas, staffed, pdf("会议纪要.pdf"), kind=DocumentKind.MINUTES).document.title == "会议纪要.pdf"


@pytest.mark.parametrize(
    "file",
    [
        SimpleUploadedFile("setup.exe", b"MZ\x90\x00" * 10, content_type="application/octet-stream"),
        SimpleUploadedFile("方案.pdf", b"MZ\x90\x00" * 10, content_type="application/pdf"),  # disguised
        SimpleUploadedFile("空.pdf", b"", content_type="application/pdf"),
    ],
    ids=["type", "disguised", "empty"],
)
def test_a_bad_file_is_refused_with_a_field_error_and_nothing_is_stored(personas, staffed, file):
    with refused("file"):
        upload(personas, staffed, file, kind=DocumentKind.DESIGN)


def test_a_bad_new_version_leaves_the_document_as_it_was(personas, staffed):
    document = upload(personas, staffed, pdf("测试报告.pdf"), kind=DocumentKind.TEST_REPORT).document

    with refused("file", document):
        upload(personas, staffed, SimpleUploadedFile("测试报告.bat", b"@echo off"), document=document)


def test_a_document_needs_a_kind_and_a_file(personas, staffed):
    with refused("kind"):
        upload(personas, staffed, pdf(), kind="poster")
    with refused("file"):
        upload(personas, staffed, None, kind=DocumentKind.DESIGN)


def test_a_new_version_belongs_to_the_documents_own_project(personas, catalogue, staffed):
    other = another_project(personas, [catalogue["trade-risk"]])
    foreign = upload(personas, other, pdf(), kind=DocumentKind.DESIGN).document

    with refused("document", foreign):
        upload(personas, staffed, pdf("v2.pdf"), document=foreign)


def test_uploading_the_signed_certificate_accepts_its_milestone(personas, contract, staffed):
    installation = staffed.milestones.get(delivery_event="delivery_accepted")

    version = upload(personas, staffed, pdf("安装验收证书.pdf"), kind=DocumentKind.ACCEPTANCE, milestone=installation)

    document = version.document
    assert document.milestone == installation and document.shared_with_customer
    installation = fresh(installation)
    assert installation.status == MilestoneStatus.ACCEPTED and installation.accepted_on == today()
    assert installation.accepted_by == personas.project_manager
    assert PaymentMilestone.objects.get(contract=contract, trigger_event="delivery_accepted").status == "due"
    event = Event.objects.get(verb="project.milestone_accepted")
    assert "安装验收证书.pdf" in event.payload["note"]


def test_a_certificate_accepts_its_milestone_only_once(personas, staffed):
    installation = staffed.milestones.get(delivery_event="delivery_accepted")
    certificate = upload(personas, staffed, pdf("安装验收证书.pdf"), kind=DocumentKind.ACCEPTANCE, milestone=installation).document
    installation = fresh(installation)
    accepted = Event.objects.filter(verb="project.milestone_accepted").count()

    rescan = upload(personas, staffed, pdf("安装验收证书-清晰版.pdf", b"clearer"), document=certificate)
    with refused("milestone", installation):
        upload(personas, staffed, pdf("另一份证书.pdf"), kind=DocumentKind.ACCEPTANCE, milestone=installation)

    assert rescan.number == 2
    assert fresh(installation).accepted_at == installation.accepted_at
    assert Event.objects.filter(verb="project.milestone_accepted").count() == accepted


def test_a_certificate_for_a_milestone_accepted_by_hand_is_refused(personas, staffed):
    installation = milestone_accept(milestone=staffed.milestones.get(delivery_event="delivery_accepted"), by=personas.project_manager)

    with refused("milestone", installation):
        upload(personas, staffed, pdf(), kind=DocumentKind.ACCEPTANCE, milestone=installation)


def test_a_certificate_names_a_milestone_of_this_project(personas, catalogue, staffed):
    other = another_project(personas, [catalogue["trade-risk"]])

    with refused("milestone"):
        upload(personas, staffed, pdf(), kind=DocumentKind.ACCEPTANCE)
    with refused("milestone"):
        upload(personas, staffed, pdf(), kind=DocumentKind.ACCEPTANCE, milestone=other.milestones.first())


def test_training_material_is_shared_with_the_customer(personas, staffed):
    assert upload(personas, staffed, pdf("操作手册.pdf"), kind=DocumentKind.TRAINING).document.shared_with_customer


def test_a_cancelled_projects_documents_are_read_only(personas, staffed):
    document = upload(personas, staffed, pdf(), kind=DocumentKind.DESIGN).document
    project = project_move(project=staffed, to="cancelled", by=personas.project_manager, reason="合同终止")

    assert fresh(document).archived_at is not None
    with refused(None, document):
        upload(personas, project, pdf("v2.pdf"), document=fresh(document))
    with refused(None):
        upload(personas, project, pdf("新文档.pdf"), kind=DocumentKind.OTHER)
    assert DocumentVersion.objects.count() == 1 and ProjectDocument.objects.count() == 1
