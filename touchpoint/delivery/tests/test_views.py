"""The delivery pages as the project team uses them: the project and its tabs, tasks and time, the signed
certificate, the handover signed by both, and the engineer's access ending."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from touchpoint.core.models import Event
from touchpoint.delivery.models import Handover, ProjectStatus, TimeEntry
from touchpoint.delivery.services.projects import contact_add
from touchpoint.delivery.tests.conftest import first_task
from touchpoint.sales.models import MilestoneStatus
from touchpoint.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


def as_user(client, user, language="en"):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


PAGES = ["project_detail", "tasks", "gantt", "coverage", "risks", "changes", "weekly", "documents", "handover"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_tab_of_a_project_renders_for_its_manager(client, staffed, personas, language):
    as_user(client, personas.project_manager, language)
    for name in PAGES:
        response = client.get(reverse(f"delivery:{name}", args=[staffed.pk]))
        assert response.status_code == 200, name
        assert staffed.number in response.content.decode()


def test_the_project_list_shows_health_and_filters_by_status(client, staffed, personas):
    as_user(client, personas.project_manager)
    page = client.get(reverse("delivery:projects") + "?status=running&health=green")
    assert page.status_code == 200 and staffed.number in page.content.decode()
    assert staffed.number not in client.get(reverse("delivery:projects") + "?status=closed").content.decode()
    export = client.get(reverse("delivery:project_export") + "?format=csv")
    assert export.status_code == 200 and staffed.number in b"".join(export.streaming_content).decode("utf-8-sig")


def test_an_outsider_gets_404_for_a_project_and_403_for_the_list(client, staffed, personas):
    as_user(client, personas.other_rep)
    assert client.get(reverse("delivery:project_detail", args=[staffed.pk])).status_code == 404
    as_user(client, personas.outsider)
    assert client.get(reverse("delivery:projects")).status_code == 403


def test_a_task_planned_with_its_end_before_its_start_is_a_field_error(client, staffed, personas):
    as_user(client, personas.project_manager)
    before = staffed.tasks.count()
    response = client.post(reverse("delivery:task_new", args=[staffed.pk]), {
        "name": "接口改造", "start_on": "2026-12-10", "end_on": "2026-12-01", "estimate_hours": "8",
    })  # fmt: skip
    assert response.status_code == 400
    assert "The end cannot be before the start." in response.content.decode()
    assert staffed.tasks.count() == before


def test_a_task_made_to_depend_on_itself_is_refused_on_the_page(client, staffed, personas):
    as_user(client, personas.project_manager)
    task = first_task(staffed)
    response = client.post(reverse("delivery:task_edit", args=[staffed.pk, task.pk]), {
        "name": task.name, "start_on": task.start_on.isoformat(), "end_on": task.end_on.isoformat(),
        "estimate_hours": "8", "version": task.version, "depends_on": [task.pk],
    })  # fmt: skip
    # The form does not offer the task itself, so the choice is invalid.
    assert response.status_code == 400
    assert not task.depends_on.filter(pk=task.pk).exists()


def test_the_engineer_starts_a_task_logs_time_and_a_site_visit(client, staffed, personas):
    task = first_task(staffed)
    task.assignee = personas.engineer
    task.save()
    as_user(client, personas.engineer)
    assert task.name in client.get(reverse("delivery:my_tasks")).content.decode()
    response = client.post(reverse("delivery:task_status", args=[staffed.pk, task.pk]), {"to": "in_progress", "next": "my"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == "in_progress"
    today = timezone.localdate()
    response = client.post(reverse("delivery:my_timesheet"), {"task": task.pk, "work_date": today.isoformat(), "hours": "6.5"})
    assert response.status_code == 302
    assert TimeEntry.objects.get(user=personas.engineer).hours == 6.5
    too_much = client.post(reverse("delivery:my_timesheet"), {"task": task.pk, "work_date": today.isoformat(), "hours": "18"})
    assert too_much.status_code == 400 and "no more than 24" in too_much.content.decode()
    assert TimeEntry.objects.filter(user=personas.engineer).count() == 1
    visit = client.post(reverse("delivery:site_visit", args=[staffed.pk]), {
        "occurred_at": (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "subject": "生产环境巡检",
        "contacts": [personas.contact_a.pk], "notes": "", "hours": "2", "task": task.pk,
    })  # fmt: skip
    assert visit.status_code == 302
    touchpoint = Touchpoint.objects.get(subject="生产环境巡检")
    assert touchpoint.channel == "meeting" and touchpoint.link_type == "delivery.project" and touchpoint.link_id == staffed.pk
    assert TimeEntry.objects.filter(user=personas.engineer).count() == 2
    page = client.get(reverse("delivery:my_timesheet"))
    assert page.status_code == 200 and "8.50" in page.content.decode()


def test_the_manager_approves_hours_but_never_their_own(client, staffed, personas):
    from touchpoint.delivery.services.timesheets import time_log

    task = first_task(staffed)
    theirs = time_log(user=personas.engineer, task=task, work_date=timezone.localdate(), hours=4)
    as_user(client, personas.project_manager)
    assert theirs.task.name in client.get(reverse("delivery:my_projects")).content.decode()
    client.post(reverse("delivery:time_approve"), {"entries": [theirs.pk], "approve": "on"})
    theirs.refresh_from_db()
    assert theirs.status == "approved"
    as_user(client, personas.engineer)
    client.post(reverse("delivery:time_approve"), {"entries": [theirs.pk], "reason": "no"})
    theirs.refresh_from_db()
    assert theirs.status == "approved"


def test_uploading_the_signed_certificate_accepts_the_milestone_and_finance_sees_the_request(client, staffed, personas):
    as_user(client, personas.project_manager)
    install = staffed.milestones.get(name="安装验收")
    pdf = client.get(reverse("delivery:certificate", args=[staffed.pk, install.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    signed = SimpleUploadedFile("安装验收单-已签.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    response = client.post(reverse("delivery:documents", args=[staffed.pk]), {
        "kind": "acceptance", "title": "", "milestone": install.pk, "file": signed, "note": "",
    })  # fmt: skip
    assert response.status_code == 302
    install.refresh_from_db()
    assert install.is_accepted
    due = staffed.contract.milestones.get(trigger_event="delivery_accepted")
    assert due.status == MilestoneStatus.DUE
    as_user(client, personas.finance)
    requests = client.get(reverse("finance:invoice_requests"))
    assert due.name in requests.content.decode()
    again = SimpleUploadedFile("again.pdf", b"%PDF-1.4 again", content_type="application/pdf")
    as_user(client, personas.project_manager)
    events = Event.objects.count()
    refused = client.post(reverse("delivery:documents", args=[staffed.pk]), {"kind": "acceptance", "milestone": install.pk, "file": again})
    assert refused.status_code == 400
    assert Event.objects.count() == events


def test_the_weekly_report_is_drafted_edited_and_sent_to_the_customer(client, staffed, personas, django_capture_on_commit_callbacks):
    contact_add(project=staffed, contact=personas.contact_a, role="project_lead", by=personas.project_manager)
    as_user(client, personas.project_manager)
    response = client.post(reverse("delivery:report_draft", args=[staffed.pk]))
    report = staffed.status_reports.get()
    assert response.status_code == 302 and "周报" in report.subject
    client.post(reverse("delivery:report_edit", args=[staffed.pk, report.pk]),
                {"subject": report.subject, "body": report.body + "\n补充：下周进场。", "version": report.version})  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("delivery:report_send", args=[staffed.pk, report.pk]), {"contact": personas.contact_a.pk})
    report.refresh_from_db()
    assert report.status == "sent" and "下周进场" in mail.outbox[-1].body
    assert Touchpoint.objects.filter(customer=staffed.customer, channel="email", subject=report.subject).exists()


def _complete_handover(client, project, personas):
    from touchpoint.sales.models import ProductVersion

    handover = Handover.objects.get(project=project)
    client.post(reverse("delivery:handover", args=[project.pk]), {
        "customisations": "行情源切换为双活；两融担保品折算率按客户参数表。", "interfaces": "上交所 FAST、深交所 Binary、中登 DBF",
        "known_risks": "柜台升级窗口需提前两周通知。", "no_open_defects": "on",
        "warranty_start": timezone.localdate().isoformat(),
        "warranty_end": (timezone.localdate() + timedelta(days=364)).isoformat(), "version": handover.version,
    })  # fmt: skip
    version = ProductVersion.objects.first()
    for system in handover.systems.all():
        client.post(reverse("delivery:handover_row_remove", args=[project.pk, "system", system.pk]))
        client.post(reverse("delivery:handover_row_add", args=[project.pk, "system"]), {
            "system-installed_item": system.installed_item_id, "system-version": version.pk, "system-site": "上海张江机房",
            "system-environment": "production", "system-go_live_on": timezone.localdate().isoformat(),
        })  # fmt: skip
    client.post(reverse("delivery:handover_row_add", args=[project.pk, "training"]), {
        "training-topic": "系统管理员培训", "training-trainees": "张伟等 6 人",
        "training-trained_on": (timezone.localdate() - timedelta(days=3)).isoformat(), "training-trainer": "周工程师",
    })  # fmt: skip
    for role in ("it", "operations"):
        client.post(reverse("delivery:handover_row_add", args=[project.pk, "contact"]),
                    {"contact-contact": personas.contact_a.pk, "contact-role": role})  # fmt: skip
    return handover


def test_the_handover_signed_by_both_moves_service_to_maintenance_and_ends_the_engineers_access(client, staffed, personas):
    as_user(client, personas.project_manager)
    client.post(reverse("delivery:project_move", args=[staffed.pk]), {"to": "in_progress"})
    client.post(reverse("delivery:project_move", args=[staffed.pk]), {"to": "handover"})
    staffed.refresh_from_db()
    assert staffed.status == ProjectStatus.HANDOVER
    submit = reverse("delivery:handover_action", args=[staffed.pk, "submit"])
    early = client.post(submit, follow=True)
    assert "Not complete" in early.content.decode()
    assert Handover.objects.get(project=staffed).status == "draft"
    _complete_handover(client, staffed, personas)
    page = client.get(reverse("delivery:handover", args=[staffed.pk]))
    assert page.status_code == 200 and "上海张江机房" in page.content.decode()
    client.post(submit)
    assert Handover.objects.get(project=staffed).status == "submitted"
    # Someone who is neither the project manager nor a maintenance lead cannot sign.
    as_user(client, personas.engineer)
    client.post(reverse("delivery:handover_action", args=[staffed.pk, "sign"]))
    assert Handover.objects.get(project=staffed).pm_signed_by is None
    as_user(client, personas.engineer)
    assert client.get(reverse("customers:detail", args=[staffed.customer_id])).status_code == 200
    as_user(client, personas.project_manager)
    client.post(reverse("delivery:handover_action", args=[staffed.pk, "sign"]))
    as_user(client, personas.maintenance_lead)
    assert "Sign the handover" in client.get(reverse("delivery:handover", args=[staffed.pk])).content.decode()
    client.post(reverse("delivery:handover_action", args=[staffed.pk, "sign"]))
    staffed.refresh_from_db()
    assert staffed.status == ProjectStatus.CLOSED
    staffed.customer.refresh_from_db()
    assert staffed.customer.service_owner == personas.maintenance_lead
    as_user(client, personas.engineer)
    assert client.get(reverse("customers:detail", args=[staffed.customer_id])).status_code == 404
    assert client.get(reverse("delivery:project_detail", args=[staffed.pk])).status_code == 404
    as_user(client, personas.maintenance_agent)
    the_360 = client.get(reverse("customers:detail", args=[staffed.customer_id]))
    assert the_360.status_code == 200 and staffed.number in the_360.content.decode()
    assert client.get(reverse("delivery:handover", args=[staffed.pk])).status_code == 200


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_workspace_pages_render(client, staffed, personas, language):
    as_user(client, personas.project_manager, language)
    for name in ("my_projects", "my_tasks", "my_timesheet", "settings_templates", "settings_template_new", "settings"):
        assert client.get(reverse(f"delivery:{name}")).status_code == 200, name
    assert client.get(reverse("home") if _has("home") else "/").status_code == 200


def _has(name):
    from django.urls import NoReverseMatch

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True
