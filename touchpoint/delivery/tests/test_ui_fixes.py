"""The delivery pages read right in both languages: the maintenance lead's handovers to sign, priorities and
names in the reader's language, the Gantt's legend and month axis, the closed project's team note."""

from datetime import date

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from touchpoint.core.models import Event
from touchpoint.delivery.gantt import gantt
from touchpoint.delivery.models import ProjectTemplate
from touchpoint.delivery.panels import handovers_to_sign_panel
from touchpoint.delivery.selectors import CoverageRow
from touchpoint.delivery.services import handover as ho
from touchpoint.delivery.services.plan import milestone_accept
from touchpoint.delivery.services.projects import project_update
from touchpoint.delivery.tests.builders import at_handover, fill_in, signed, submitted
from touchpoint.delivery.tests.test_gantt import day, graph  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def as_user(client, user, language="en"):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def lead_request(personas):
    request = RequestFactory().get("/")
    request.user = personas.maintenance_lead
    return request


def test_the_maintenance_lead_sees_the_handovers_waiting_for_his_signature(client, project, personas):
    assert handovers_to_sign_panel(lead_request(personas))["handovers"] == []
    handover = submitted(project, personas)

    data = handovers_to_sign_panel(lead_request(personas))
    assert [h.pk for h in data["handovers"]] == [handover.pk] and data["count"] == 1

    as_user(client, personas.maintenance_lead)
    home = client.get("/").content.decode()
    assert "Handovers awaiting my signature" in home
    assert reverse("delivery:handover", args=[project.pk]) in home

    ho.handover_sign(handover=handover, by=personas.maintenance_lead)
    assert handovers_to_sign_panel(lead_request(personas))["handovers"] == []


def test_a_draft_handover_is_not_yet_waiting_for_the_lead(project, personas):
    fill_in(at_handover(project, personas), personas)
    assert handovers_to_sign_panel(lead_request(personas))["handovers"] == []


def test_the_project_manager_does_not_get_the_leads_panel(client, project, personas):
    submitted(project, personas)
    as_user(client, personas.project_manager)
    assert "Handovers awaiting my signature" not in client.get("/").content.decode()


def test_coverage_shows_the_priority_as_a_label_in_the_readers_language(client, staffed, personas):
    row = CoverageRow(key=1, area="", description="", priority="must", tasks=[], delivered=False, accepted=False)
    with translation.override("en"):
        assert row.get_priority_display() == "Must have"
    with translation.override("zh-hans"):
        assert row.get_priority_display() != "must"
    as_user(client, personas.project_manager)
    page = client.get(reverse("delivery:coverage", args=[staffed.pk])).content.decode()
    assert '<td class="small text-nowrap">must</td>' not in page


def test_the_template_list_shows_milestones_in_the_readers_language(client, personas):
    phase = ProjectTemplate.objects.get(is_default=True).phases.exclude(milestone_name="").first()
    english = as_user(client, personas.project_manager, "en").get(reverse("delivery:settings_templates")).content.decode()
    assert f"◆ {phase.milestone_name_en}" in english and f"◆ {phase.milestone_name}" not in english
    chinese = as_user(client, personas.project_manager, "zh-hans").get(reverse("delivery:settings_templates")).content.decode()
    assert f"◆ {phase.milestone_name}" in chinese and f"◆ {phase.milestone_name_en}" not in chinese


def test_english_milestone_names_are_nouns_not_statuses():
    names = set(ProjectTemplate.objects.get(is_default=True).phases.values_list("milestone_name_en", flat=True))
    assert {"Requirements sign-off", "Installation acceptance", "Go-live acceptance"} <= names
    assert not names & {"Requirements signed off", "Installation accepted", "Go-live accepted"}


def test_the_activity_feed_names_an_accepted_milestone_in_the_readers_language(client, staffed, personas):
    milestone = staffed.milestones.exclude(name_en="").first()
    milestone_accept(milestone=milestone, by=personas.project_manager)
    event = Event.objects.filter(verb="project.milestone_accepted").latest("id")
    assert event.payload["milestone_en"] == milestone.name_en
    as_user(client, personas.project_manager, "en")
    feed = client.get(reverse("delivery:project_detail", args=[staffed.pk])).content.decode()
    assert f": {milestone.name_en}" in feed
    as_user(client, personas.project_manager, "zh-hans")
    feed = client.get(reverse("delivery:project_detail", args=[staffed.pk])).content.decode()
    assert f"：{milestone.name}" in feed


def test_the_service_handoff_reason_is_the_project_number_in_any_language(staffed, personas):
    project = staffed
    signed(project, personas)
    handoff = Event.objects.filter(verb="customer.service_handoff").latest("id")
    assert handoff.payload["reason"] == project.number


def test_a_closed_project_says_the_teams_access_has_ended(client, staffed, personas):
    project = staffed
    signed(project, personas)
    as_user(client, personas.project_manager)
    page = client.get(reverse("delivery:project_detail", args=[project.pk])).content.decode()
    assert "While the project runs" not in page
    assert "The handover is signed" in page


def test_the_overview_lists_the_projects_site_visits(client, staffed, personas):
    from django.utils import timezone

    from touchpoint.delivery.services.timesheets import site_visit_log

    site_visit_log(project=staffed, by=personas.project_manager, occurred_at=timezone.now(), subject="机房巡检")
    as_user(client, personas.project_manager)
    page = client.get(reverse("delivery:project_detail", args=[staffed.pk])).content.decode()
    assert "Site visits" in page and "机房巡检" in page


def test_the_gantt_counts_late_milestones_and_skips_a_crowded_month_label(graph):  # noqa: F811
    project, _tasks = graph
    chart = gantt(project, today=day(16))
    assert chart.late_milestones == 1  # the installation milestone, due on the 13th, is not accepted

    project.refresh_from_db()
    pm = project.manager
    project = project_update(project=project, by=pm, expected_version=project.version, start_on=date(2026, 2, 26),
                             planned_end_on=date(2026, 4, 30))  # fmt: skip
    chart = gantt(project, today=day(16))
    labels = {m["label"]: m["show_label"] for m in chart.months}
    assert labels["2026-02"] is False  # a few days of February before March 1st
    assert labels["2026-03"] is True
