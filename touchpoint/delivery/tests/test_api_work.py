"""The API of the work around the plan: risks and issues, change requests (quoted as addenda, then
decided), weekly status reports mailed to the customer, and project documents with versions."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from touchpoint.core.models import Event
from touchpoint.delivery.models import (
    ChangeRequest,
    DocumentVersion,
    Project,
    ProjectDocument,
    Risk,
    StatusReport,
)
from touchpoint.delivery.services.changes import change_request_raise
from touchpoint.delivery.services.documents import document_upload
from touchpoint.delivery.services.projects import project_move
from touchpoint.delivery.services.risks import risk_raise, risk_update
from touchpoint.delivery.services.status_reports import status_report_draft, status_report_update
from touchpoint.sales.models import Quote
from touchpoint.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db

RISKS = "/api/v1/risks/"
CHANGES = "/api/v1/change-requests/"
REPORTS = "/api/v1/status-reports/"
DOCUMENTS = "/api/v1/project-documents/"


def today():
    return timezone.localdate()


def snapshot():
    """What a refused write must leave alone."""
    return (
        list(Risk.objects.order_by("pk").values()),
        list(ChangeRequest.objects.order_by("pk").values()),
        list(StatusReport.objects.order_by("pk").values()),
        list(ProjectDocument.objects.order_by("pk").values()),
        list(DocumentVersion.objects.order_by("pk").values()),
        list(Project.objects.order_by("pk").values("pk", "status", "version", "planned_end_on", "health")),
        Quote.objects.count(),
        Touchpoint.objects.count(),
        Event.objects.count(),
    )


def pdf(name="方案.pdf", body=b"%PDF-1.4 design"):
    return SimpleUploadedFile(name, body, content_type="application/pdf")


# --- Risks and issues ------------------------------------------------------------------------------


def test_the_manager_raises_a_high_impact_issue_and_the_project_turns_red(api_as, personas, staffed):
    payload = {"project": staffed.pk, "kind": "issue", "title": "交易所接口规范变更", "impact": "high", "likelihood": "high",
               "owner": personas.engineer.pk, "due_on": (today() + timedelta(days=7)).isoformat()}  # fmt: skip
    response = api_as(personas.project_manager).post(RISKS, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "issue" and body["status"] == "open" and body["owner_name"] == "周工程师" and body["version"] == 1
    staffed.refresh_from_db()
    assert staffed.health == "red" and {"code": "high_issues", "count": 1} in staffed.health_reasons


def test_the_manager_closes_a_risk_with_the_version_read(api_as, personas, staffed):
    risk = risk_raise(project=staffed, by=personas.project_manager, title="关键人员流动", impact="medium")
    response = api_as(personas.project_manager).patch(f"{RISKS}{risk.pk}/", {"status": "closed", "mitigation": "已补充人员",
                                                                             "version": risk.version}, format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "closed" and response.json()["closed_at"] and response.json()["version"] == 2
    assert Event.objects.filter(verb="project.risk_closed").count() == 1


def test_a_stale_risk_edit_is_a_409(api_as, personas, staffed):
    risk = risk_raise(project=staffed, by=personas.project_manager, title="关键人员流动")
    risk_update(risk=risk, by=personas.admin, expected_version=1, impact="high")
    before = snapshot()
    response = api_as(personas.project_manager).patch(f"{RISKS}{risk.pk}/", {"title": "x", "version": 1}, format="json")
    assert response.status_code == 409 and response.json()["current_version"] == 2
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [({"kind": "rumour"}, "kind"), ({"impact": "huge"}, "impact"), ({"title": ""}, "title"), ({"owner": 999999}, "owner"),
     ({"due_on": "soon"}, "due_on"), ({"project": None}, "project")],
)  # fmt: skip
def test_bad_risks_are_a_field_level_400(api_as, personas, staffed, change, field):
    before = snapshot()
    response = api_as(personas.project_manager).post(RISKS, {"project": staffed.pk, "title": "延期风险", **change}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert snapshot() == before


@pytest.mark.parametrize(("name", "code"), [("engineer", 403), ("sales_rep", 403), ("maintenance_lead", 403), ("other_rep", 404)])
def test_who_may_not_edit_the_project_keeps_out_of_its_risks(api_as, personas, staffed, name, code):
    risk = risk_raise(project=staffed, by=personas.project_manager, title="关键人员流动")
    client = api_as(getattr(personas, name))
    before = snapshot()
    assert client.patch(f"{RISKS}{risk.pk}/", {"title": "x", "version": 1}, format="json").status_code == code
    raised = client.post(RISKS, {"project": staffed.pk, "title": "x"}, format="json").status_code
    assert raised == (400 if code == 404 else code)  # a project one may not see does not exist
    assert snapshot() == before
    assert client.get(f"{RISKS}{risk.pk}/").status_code == (200 if code == 403 else 404)


def test_the_risk_list_filters_and_its_query_count(api_as, personas, staffed, django_assert_num_queries):
    issue = risk_raise(project=staffed, by=personas.project_manager, title="接口变更", kind="issue", impact="high")
    risk = risk_raise(project=staffed, by=personas.project_manager, title="人员流动", owner=personas.engineer)
    client = api_as(personas.engineer)
    assert [row["id"] for row in client.get(RISKS, {"kind": "issue"}).json()["results"]] == [issue.pk]
    assert [row["id"] for row in client.get(RISKS, {"impact": "medium", "project": staffed.pk}).json()["results"]] == [risk.pk]
    assert client.get(RISKS, {"kind": "rumour"}).status_code == 400
    # token, memberships, count, page (project, owner, raised_by joined)
    with django_assert_num_queries(4):
        assert client.get(RISKS).json()["count"] == 2


# --- Change requests ----------------------------------------------------------------------------------


def test_a_change_request_priced_by_the_day_rate_becomes_a_quote_addendum(api_as, personas, staffed):
    client = api_as(personas.project_manager)
    payload = {"project": staffed.pk, "title": "增加科创板交易支持", "description": "支持科创板盘后固定价格交易", "effort_days": "10",
               "schedule_days": 15}  # fmt: skip
    response = client.post(CHANGES, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["price"] == "30000.00" and body["status"] == "draft" and body["number"].startswith("CR")  # 10 days at 3,000
    quoted = client.post(f"{CHANGES}{body['id']}/quote/", format="json")
    assert quoted.status_code == 200, quoted.json()
    assert quoted.json()["status"] == "quoted" and quoted.json()["quote_number"]
    quote = Quote.objects.get(pk=quoted.json()["quote"])
    assert quote.amends_id == staffed.contract_id and quote.status == "draft"
    before = snapshot()
    again = client.post(f"{CHANGES}{body['id']}/quote/", format="json")
    assert again.status_code == 400 and "status" in again.json()
    assert snapshot() == before


def test_an_approved_change_moves_the_planned_end(api_as, personas, staffed):
    change = change_request_raise(project=staffed, by=personas.project_manager, title="增加报表", description="监管报表",
                                  schedule_days=10, price="5000")  # fmt: skip
    client = api_as(personas.project_manager)
    response = client.post(f"{CHANGES}{change.pk}/decide/", {"approve": True}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert Project.objects.get(pk=staffed.pk).planned_end_on == staffed.planned_end_on + timedelta(days=10)
    before = snapshot()
    again = client.post(f"{CHANGES}{change.pk}/decide/", {"approve": False}, format="json")
    assert again.status_code == 400 and again.json() == {"status": ["This change request was already decided."]}
    assert snapshot() == before


@pytest.mark.parametrize(("change", "field"), [({"title": ""}, "title"), ({"description": ""}, "description"),
                                               ({"effort_days": "-1"}, "effort_days"), ({"schedule_days": 4000}, "schedule_days"),
                                               ({"price": "-5"}, "price"), ({"price": "abc"}, "price")])  # fmt: skip
def test_bad_change_requests_are_a_field_level_400(api_as, personas, staffed, change, field):
    before = snapshot()
    payload = {"project": staffed.pk, "title": "增加报表", "description": "监管报表", **change}
    response = api_as(personas.project_manager).post(CHANGES, payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert snapshot() == before


def test_a_decision_needs_an_answer(api_as, personas, staffed):
    change = change_request_raise(project=staffed, by=personas.project_manager, title="增加报表", description="监管报表")
    response = api_as(personas.project_manager).post(f"{CHANGES}{change.pk}/decide/", {}, format="json")
    assert response.status_code == 400 and "approve" in response.json()


@pytest.mark.parametrize(("name", "code"), [("engineer", 403), ("sales_rep", 403), ("finance", 403), ("other_rep", 404)])
def test_who_may_not_edit_the_project_neither_quotes_nor_decides_changes(api_as, personas, staffed, name, code):
    change = change_request_raise(project=staffed, by=personas.project_manager, title="增加报表", description="监管报表")
    client = api_as(getattr(personas, name))
    before = snapshot()
    assert client.post(f"{CHANGES}{change.pk}/quote/", format="json").status_code == code
    assert client.post(f"{CHANGES}{change.pk}/decide/", {"approve": True}, format="json").status_code == code
    assert snapshot() == before


# --- Status reports --------------------------------------------------------------------------------


def test_the_manager_drafts_edits_and_mails_the_weekly_report(api_as, personas, staffed, mailoutbox, django_capture_on_commit_callbacks):
    client = api_as(personas.project_manager)
    drafted = client.post(f"{REPORTS}draft/", {"project": staffed.pk}, format="json")
    assert drafted.status_code == 200, drafted.json()
    report = drafted.json()
    monday = today() - timedelta(days=today().weekday())
    assert report["week_start"] == monday.isoformat() and report["status"] == "draft" and staffed.name in report["subject"]
    edited = client.patch(f"{REPORTS}{report['id']}/", {"body": report["body"] + "\n\n下周完成需求评审。", "version": report["version"]},
                          format="json")  # fmt: skip
    assert edited.status_code == 200 and edited.json()["body"].endswith("下周完成需求评审。")
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"{REPORTS}{report['id']}/send/", {"contact": personas.contact_a.pk}, format="json")
    assert sent.status_code == 200, sent.json()
    assert sent.json()["status"] == "sent" and sent.json()["sent_to"] == personas.contact_a.pk and sent.json()["touchpoint"]
    [message] = mailoutbox
    assert message.to == ["zhangwei@htsc.example"] and message.subject == report["subject"]
    assert message.body.endswith("下周完成需求评审。") and message.cc == [personas.project_manager.email]
    assert Touchpoint.objects.get(pk=sent.json()["touchpoint"]).channel == "email"


def test_a_sent_report_is_not_sent_or_changed_again(api_as, personas, staffed, mailoutbox, django_capture_on_commit_callbacks):
    report = status_report_draft(project=staffed, by=personas.project_manager)
    client = api_as(personas.project_manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{REPORTS}{report.pk}/send/", {"contact": personas.contact_a.pk}, format="json")
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(f"{REPORTS}{report.pk}/send/", {"contact": personas.contact_a.pk}, format="json")
    assert again.status_code == 400
    assert client.patch(f"{REPORTS}{report.pk}/", {"subject": "x", "version": report.version}, format="json").status_code == 400
    assert client.post(f"{REPORTS}draft/", {"project": staffed.pk}, format="json").status_code == 400
    assert snapshot() == before and len(mailoutbox) == 1


def test_a_report_goes_only_to_a_contact_of_the_customer(api_as, personas, staffed, mailoutbox, django_capture_on_commit_callbacks):
    report = status_report_draft(project=staffed, by=personas.project_manager)
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(personas.project_manager).post(f"{REPORTS}{report.pk}/send/", {"contact": personas.contact_b.pk}, format="json")
    assert response.status_code == 400 and "contact" in response.json()
    assert snapshot() == before and mailoutbox == []


def test_a_stale_report_edit_is_a_409(api_as, personas, staffed):
    report = status_report_draft(project=staffed, by=personas.project_manager)
    status_report_update(report=report, by=personas.admin, expected_version=report.version, subject="周报", body="正文")
    before = snapshot()
    response = api_as(personas.project_manager).patch(f"{REPORTS}{report.pk}/", {"body": "x", "version": report.version}, format="json")
    assert response.status_code == 409 and response.json()["current_version"] == report.version + 1
    assert snapshot() == before


@pytest.mark.parametrize(("change", "field"), [({"subject": ""}, "subject"), ({"body": "   "}, "body"), ({"version": "x"}, "version")])
def test_bad_report_edits_are_a_field_level_400(api_as, personas, staffed, change, field):
    report = status_report_draft(project=staffed, by=personas.project_manager)
    before = snapshot()
    response = api_as(personas.project_manager).patch(f"{REPORTS}{report.pk}/", {"version": report.version, **change}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert snapshot() == before


@pytest.mark.parametrize(("name", "code"), [("engineer", 403), ("sales_rep", 403), ("maintenance_lead", 403)])
def test_only_who_may_edit_the_project_drafts_and_sends_reports(api_as, personas, staffed, name, code, mailoutbox):
    report = status_report_draft(project=staffed, by=personas.project_manager)
    client = api_as(getattr(personas, name))
    before = snapshot()
    assert client.post(f"{REPORTS}draft/", {"project": staffed.pk}, format="json").status_code == code
    assert client.post(f"{REPORTS}{report.pk}/send/", {"contact": personas.contact_a.pk}, format="json").status_code == code
    assert snapshot() == before and mailoutbox == []
    assert client.get(REPORTS).json()["count"] == 1


# --- Documents -------------------------------------------------------------------------------------


def test_the_manager_uploads_a_document_and_its_next_version(api_as, personas, staffed):
    client = api_as(personas.project_manager)
    response = client.post(DOCUMENTS, {"project": staffed.pk, "kind": "design", "title": "总体设计方案", "file": pdf()},
                           format="multipart")  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "design" and body["current_version"] == 1 and body["shared_with_customer"] is False
    assert body["versions"][0]["original_name"] == "方案.pdf" and body["versions"][0]["size"] == len(b"%PDF-1.4 design")
    second = client.post(f"{DOCUMENTS}{body['id']}/versions/", {"file": pdf(body=b"%PDF-1.4 design v2"), "note": "补充接口章节"},
                         format="multipart")  # fmt: skip
    assert second.status_code == 201, second.json()
    assert [v["number"] for v in second.json()["versions"]] == [2, 1] and second.json()["versions"][0]["note"] == "补充接口章节"
    download = api_as(personas.engineer).get(second.json()["versions"][1]["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 design"
    assert download["X-Content-Type-Options"] == "nosniff" and "attachment" in download["Content-Disposition"]


def test_a_signed_certificate_accepts_its_milestone(api_as, personas, staffed):
    install = staffed.milestones.get(name="安装验收")
    payload = {"project": staffed.pk, "kind": "acceptance", "milestone": install.pk, "file": pdf("安装验收证书.pdf", b"%PDF-1.4 signed")}
    response = api_as(personas.project_manager).post(DOCUMENTS, payload, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["shared_with_customer"] is True and response.json()["milestone"] == install.pk
    install.refresh_from_db()
    assert install.is_accepted
    before = snapshot()
    again = api_as(personas.project_manager).post(DOCUMENTS, {**payload, "file": pdf()}, format="multipart")
    assert again.status_code == 400 and "milestone" in again.json()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [({"file": SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")}, "file"),
     ({"file": SimpleUploadedFile("run.exe", b"MZ\x90\x00", content_type="application/octet-stream")}, "file"),
     ({"file": SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf")}, "file"),
     ({"kind": "poem"}, "kind"), ({"kind": "acceptance"}, "milestone"), ({"milestone": 999999}, "milestone"),
     ({"project": 999999}, "project"), ({"title": "t" * 161}, "title")],
)  # fmt: skip
def test_bad_uploads_are_a_field_level_400_and_store_nothing(api_as, personas, staffed, change, field):
    before = snapshot()
    payload = {"project": staffed.pk, "kind": "design", "file": pdf(), **change}
    response = api_as(personas.project_manager).post(DOCUMENTS, payload, format="multipart")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert snapshot() == before


def test_an_upload_without_a_file_is_refused(api_as, personas, staffed):
    response = api_as(personas.project_manager).post(DOCUMENTS, {"project": staffed.pk, "kind": "design"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


def test_documents_are_uploaded_as_multipart_only(api_as, personas, staffed):
    response = api_as(personas.project_manager).post(DOCUMENTS, {"project": staffed.pk, "kind": "design"}, format="json")
    assert response.status_code == 415


@pytest.mark.parametrize(("name", "code"), [("engineer", 403), ("sales_rep", 403), ("finance", 403)])
def test_only_who_may_edit_the_project_uploads(api_as, personas, staffed, name, code):
    document = document_upload(project=staffed, by=personas.project_manager, upload=pdf(), kind="design").document
    client = api_as(getattr(personas, name))
    before = snapshot()
    assert client.post(DOCUMENTS, {"project": staffed.pk, "kind": "design", "file": pdf()}, format="multipart").status_code == code
    assert client.post(f"{DOCUMENTS}{document.pk}/versions/", {"file": pdf()}, format="multipart").status_code == code
    assert snapshot() == before
    assert client.get(f"{DOCUMENTS}{document.pk}/versions/1/download/").status_code == 200


def test_hidden_documents_and_unknown_versions_are_not_found(api_as, personas, staffed):
    document = document_upload(project=staffed, by=personas.project_manager, upload=pdf(), kind="design").document
    assert api_as(personas.other_rep).get(f"{DOCUMENTS}{document.pk}/versions/1/download/").status_code == 404
    client = api_as(personas.project_manager)
    for number in ("2", "abc", "0", "99999", "99999999999999999999999"):
        assert client.get(f"{DOCUMENTS}{document.pk}/versions/{number}/download/").status_code == 404, number


def test_documents_of_a_closed_project_are_read_only(api_as, personas, staffed):
    document = document_upload(project=staffed, by=personas.project_manager, upload=pdf(), kind="design").document
    project_move(project=staffed, to="cancelled", by=personas.project_manager, reason="客户取消")
    client = api_as(personas.project_manager)
    before = snapshot()
    refused = client.post(f"{DOCUMENTS}{document.pk}/versions/", {"file": pdf()}, format="multipart")
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    assert snapshot() == before
    assert client.get(f"{DOCUMENTS}{document.pk}/versions/1/download/").status_code == 200


def test_the_document_list_query_count(api_as, personas, staffed, django_assert_num_queries):
    for title in ("设计", "测试报告", "会议纪要"):
        document_upload(project=staffed, by=personas.project_manager, upload=pdf(), kind="design", title=title)
    client = api_as(personas.engineer)
    client.get(DOCUMENTS)
    # token, memberships, count, page (project joined), versions (uploader joined)
    with django_assert_num_queries(5):
        assert client.get(DOCUMENTS, {"project": staffed.pk}).json()["count"] == 3
