"""The projects API: who sees which project, opening one for a contract, edits with a version, the
manager, status moves, team and customer-side contacts, the Gantt chart and requirement coverage;
bad input that changes nothing, languages, query counts and the schema."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from touchpoint.core.models import Event
from touchpoint.delivery.models import (
    Handover,
    Project,
    ProjectContact,
    ProjectMember,
    Task,
    TaskDependency,
)
from touchpoint.delivery.services.plan import task_requirements_set, task_set_status
from touchpoint.delivery.services.projects import project_move, project_update
from touchpoint.finance.tests.conftest import active_contract
from touchpoint.org import policy
from touchpoint.org.models import PolicyRule, Scope
from touchpoint.sales.services.opportunities import opportunity_create
from touchpoint.testing import make_user

pytestmark = pytest.mark.django_db

PROJECTS = "/api/v1/projects/"


def url(project, action=""):
    return f"{PROJECTS}{project.pk}/{action + '/' if action else ''}"


def snapshot():
    """What a refused write must leave alone: the projects, their teams, contacts and plan, and the events."""
    return (
        list(Project.objects.order_by("pk").values()),
        list(ProjectMember.objects.order_by("pk").values()),
        list(ProjectContact.objects.order_by("pk").values()),
        list(Task.objects.order_by("pk").values()),
        list(TaskDependency.objects.order_by("pk").values()),
        Event.objects.count(),
    )


def project_of_b(personas, catalogue):
    """An active contract of customer B, sold by the other rep, and the project its activation opened."""
    opportunity = opportunity_create(by=personas.other_rep, customer=personas.customer_b, title="行情系统升级",
                                     owner=personas.other_rep, close_date=date(2027, 12, 31), amount=Decimal("500000"))  # fmt: skip
    contract = active_contract(personas, opportunity, [catalogue["trade-risk"]], rep=personas.other_rep)
    return Project.objects.get(contract=contract)


# --- Who sees what ----------------------------------------------------------------------------------

SEES_A = ["project_manager", "engineer", "sales_rep", "maintenance_lead", "finance", "admin", "executive", "sales_manager"]


@pytest.mark.parametrize(("name", "visible"), [(name, True) for name in SEES_A] + [("other_rep", False), ("outsider", False)])
def test_who_sees_the_project(api_as, personas, staffed, name, visible):
    client = api_as(getattr(personas, name))
    response = client.get(PROJECTS)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == ([staffed.pk] if visible else [])
    assert client.get(url(staffed)).status_code == (200 if visible else 404)


def test_the_engineer_sees_the_project_only_while_on_its_team(api_as, personas, project):
    client = api_as(personas.engineer)
    assert client.get(url(project)).status_code == 404
    assert client.get(PROJECTS).json()["count"] == 0


def test_the_detail_has_the_team_the_contacts_and_the_figures(api_as, personas, staffed):
    ProjectContact.objects.create(project=staffed, contact=personas.contact_a, role="acceptance")
    response = api_as(personas.project_manager).get(url(staffed))
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == staffed.number and body["manager"] == personas.project_manager.pk
    assert body["manager_name"] == "孙项目" and body["status"] == "planning" and body["version"] == staffed.version
    assert {(m["user"], m["role"]) for m in body["team"]} == {
        (personas.project_manager.pk, "manager"), (personas.engineer.pk, "engineer"), (personas.sales_rep.pk, "sales")}
    assert body["customer_contacts"] == [{"id": staffed.customer_contacts.get().pk, "contact": personas.contact_a.pk,
                                          "contact_name": "张伟", "role": "acceptance"}]  # fmt: skip
    figures = body["figures"]
    assert figures["tasks_total"] == staffed.tasks.count() and figures["tasks_done"] == 0 and figures["progress"] == 0
    assert figures["hours"] == "0.00" and figures["cost"] == "0.00" and figures["contract_amount"] == str(staffed.contract.amount)
    assert response.json()["health"] in {"green", "amber", "red"}


def test_lists_leave_the_figures_out(api_as, personas, staffed):
    [row] = api_as(personas.project_manager).get(PROJECTS).json()["results"]
    assert row["figures"] is None and len(row["team"]) == 3


def test_the_list_filters_by_status_health_manager_customer_and_mine(api_as, personas, staffed, catalogue):
    other = project_of_b(personas, catalogue)
    project_move(project=other, to="cancelled", by=personas.admin, reason="客户取消")
    client = api_as(personas.project_manager)

    def ids(**params):
        response = client.get(PROJECTS, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert set(ids()) == {staffed.pk, other.pk}
    assert ids(status="running") == [staffed.pk]
    assert ids(status="cancelled") == [other.pk]
    assert ids(manager=personas.project_manager.pk) == [staffed.pk]
    assert ids(customer=personas.customer_b.pk) == [other.pk]
    assert ids(mine="true") == [staffed.pk]
    assert ids(q=staffed.number) == [staffed.pk]
    Project.objects.filter(pk=other.pk).update(health="red")
    Project.objects.filter(pk=staffed.pk).update(health="amber")
    assert ids(health="red") == [other.pk] and ids(health="amber") == [staffed.pk] and ids(health="green") == []
    assert api_as(personas.engineer).get(PROJECTS, {"mine": "true"}).json()["count"] == 1


@pytest.mark.parametrize("params", [{"status": "lost"}, {"health": "blue"}, {"manager": "abc"}, {"mine": "maybe"}, {"owner": "1"},
                                    {"ordering": "name"}, {"page_size": "0"}])  # fmt: skip
def test_bad_list_parameters_are_a_400_naming_them(api_as, personas, staffed, params):
    response = api_as(personas.project_manager).get(PROJECTS, params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


@pytest.mark.parametrize("path", [f"{PROJECTS}abc/", f"{PROJECTS}99999999999999999999999/", f"{PROJECTS}0/"])
def test_a_malformed_or_unknown_project_id_is_a_json_404(api_as, personas, path):
    response = api_as(personas.project_manager).get(path)
    assert response.status_code == 404 and "detail" in response.json()


def test_anonymous_requests_are_refused(staffed):
    assert APIClient().get(PROJECTS).status_code == 401
    assert APIClient().get(url(staffed)).status_code == 401


# --- Opening a project ------------------------------------------------------------------------------


def test_a_project_manager_opens_the_project_of_a_contract_whose_project_was_cancelled(api_as, personas, project):
    project_move(project=project, to="cancelled", by=personas.admin, reason="重新立项")
    payload = {"contract": project.contract_id, "name": "两融系统建设（二期）", "start_on": timezone.localdate().isoformat()}
    response = api_as(personas.project_manager).post(PROJECTS, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    opened = Project.objects.get(pk=body["id"])
    assert opened.contract_id == project.contract_id and opened.name == "两融系统建设（二期）" and opened.status == "planning"
    assert body["figures"]["tasks_total"] == opened.tasks.count() > 0
    assert [(m["user"], m["role"]) for m in body["team"]] == [(personas.sales_rep.pk, "sales")]
    assert Event.objects.filter(verb="project.created", target_id=opened.pk).count() == 1


def test_an_admin_opens_a_project_and_names_its_manager(api_as, personas, project):
    project_move(project=project, to="cancelled", by=personas.admin, reason="重新立项")
    payload = {"contract": project.contract_id, "manager": personas.project_manager.pk}
    response = api_as(personas.admin).post(PROJECTS, payload, format="json")
    assert response.status_code == 201, response.json()
    assert Project.objects.get(pk=response.json()["id"]).manager == personas.project_manager


def test_a_contract_with_a_project_gets_no_second_one(api_as, personas, project):
    before = snapshot()
    response = api_as(personas.project_manager).post(PROJECTS, {"contract": project.contract_id}, format="json")
    assert response.status_code == 400 and "contract" in response.json()
    assert snapshot() == before


def test_naming_a_manager_one_may_not_name_undoes_the_opening(api_as, personas, project):
    project_move(project=project, to="cancelled", by=personas.admin, reason="重新立项")
    PolicyRule.objects.create(position="project_manager", entity="project", action="assign", scope=Scope.NONE)
    policy.invalidate()
    before = snapshot()
    payload = {"contract": project.contract_id, "manager": personas.engineer.pk}
    response = api_as(personas.project_manager).post(PROJECTS, payload, format="json")
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("name", ["engineer", "sales_rep", "finance", "maintenance_lead", "outsider"])
def test_only_who_may_create_projects_opens_one(api_as, personas, project, name):
    project_move(project=project, to="cancelled", by=personas.admin, reason="重新立项")
    before = snapshot()
    response = api_as(getattr(personas, name)).post(PROJECTS, {"contract": project.contract_id}, format="json")
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [({"contract": None}, "contract"), ({"contract": "abc"}, "contract"), ({"contract": 10**30}, "contract"),
     ({"start_on": "someday"}, "start_on"), ({"name": "n" * 161}, "name"), ({"template": 999999}, "template"),
     ({"manager": 999999}, "manager")],
)  # fmt: skip
def test_bad_opening_input_is_a_field_level_400(api_as, personas, project, change, field):
    project_move(project=project, to="cancelled", by=personas.admin, reason="重新立项")
    before = snapshot()
    response = api_as(personas.admin).post(PROJECTS, {"contract": project.contract_id, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert snapshot() == before


def test_a_contract_one_may_not_see_does_not_exist(api_as, personas, catalogue):
    other = project_of_b(personas, catalogue)
    project_move(project=other, to="cancelled", by=personas.admin, reason="重新立项")
    PolicyRule.objects.create(position="project_manager", entity="contract", action="view", scope=Scope.OWN)
    policy.invalidate()
    response = api_as(personas.project_manager).post(PROJECTS, {"contract": other.contract_id}, format="json")
    assert response.status_code == 400 and "contract" in response.json()


def test_a_required_field_is_reported_in_the_readers_language(api_as, personas):
    english = api_as(personas.project_manager, "en").post(PROJECTS, {}, format="json")
    chinese = api_as(personas.project_manager, "zh-hans").post(PROJECTS, {}, format="json")
    assert english.status_code == chinese.status_code == 400
    assert english.json() == {"contract": ["This field is required."]}
    assert chinese.json() == {"contract": ["该字段是必填项。"]}
    assert chinese.headers["Content-Language"] == "zh-hans"


def test_an_unknown_filter_is_named_in_the_readers_language(api_as, personas):
    response = api_as(personas.project_manager, "zh-hans").get(PROJECTS, {"owner": "1"})
    assert response.status_code == 400
    assert response.json()["owner"][0].startswith("未知的筛选条件")


# --- Editing ---------------------------------------------------------------------------------------


def test_the_manager_changes_the_project_with_the_version_read(api_as, personas, staffed):
    end = staffed.planned_end_on + timedelta(days=10)
    payload = {"name": "两融系统建设项目", "planned_end_on": end.isoformat(), "hourly_cost": "350.00", "version": staffed.version}
    response = api_as(personas.project_manager).patch(url(staffed), payload, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "两融系统建设项目" and body["planned_end_on"] == end.isoformat() and body["version"] == staffed.version + 1
    staffed.refresh_from_db()
    assert staffed.hourly_cost == Decimal("350.00")
    assert Event.objects.filter(verb="project.updated").count() == 1


def test_a_stale_project_edit_is_a_409_with_what_changed(api_as, personas, staffed):
    project_update(project=staffed, by=personas.admin, expected_version=staffed.version, name="管理员改过的名字")
    before = snapshot()
    response = api_as(personas.project_manager).patch(url(staffed), {"name": "我的名字", "version": staffed.version}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_version" and body["current_version"] == staffed.version + 1
    assert body["revisions"][-1]["changes"][0]["new"] == "管理员改过的名字"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [({"planned_end_on": "2000-01-01"}, "planned_end_on"), ({"name": ""}, "name"), ({"hourly_cost": "-1"}, "hourly_cost"),
     ({"start_on": "not a date"}, "start_on"), ({"version": None}, "version"), ({"version": 0}, "version")],
)  # fmt: skip
def test_bad_project_edits_are_a_field_level_400_and_change_nothing(api_as, personas, staffed, change, field):
    before = snapshot()
    response = api_as(personas.project_manager).patch(url(staffed), {"version": staffed.version, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert snapshot() == before


def test_an_edit_without_a_version_is_refused(api_as, personas, staffed):
    response = api_as(personas.project_manager).patch(url(staffed), {"name": "x"}, format="json")
    assert response.status_code == 400 and "version" in response.json()


@pytest.mark.parametrize(("name", "code"), [("engineer", 403), ("sales_rep", 403), ("maintenance_lead", 403), ("finance", 403),
                                            ("other_rep", 404), ("outsider", 404)])  # fmt: skip
def test_who_may_not_edit_the_project_changes_nothing(api_as, personas, staffed, name, code):
    before = snapshot()
    client = api_as(getattr(personas, name))
    assert client.patch(url(staffed), {"name": "x", "version": staffed.version}, format="json").status_code == code
    assert client.post(url(staffed, "move"), {"status": "in_progress"}, format="json").status_code == code
    assert client.post(url(staffed, "team"), {"user": personas.finance.pk, "role": "finance"}, format="json").status_code == code
    assert client.post(url(staffed, "contacts"), {"contact": personas.contact_a.pk, "role": "it"}, format="json").status_code == code
    assert client.post(url(staffed, "manager"), {"manager": personas.engineer.pk, "reason": "x"}, format="json").status_code == code
    assert snapshot() == before


# --- Manager, status, team, contacts -----------------------------------------------------------------


def test_the_manager_hands_the_project_over_with_a_reason(api_as, personas, staffed):
    successor = make_user("pm2", "project_manager", "engineering", "钱项目")
    client = api_as(personas.project_manager)
    refused = client.post(url(staffed, "manager"), {"manager": successor.pk}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()
    response = client.post(url(staffed, "manager"), {"manager": successor.pk, "reason": "工作调整"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["manager"] == successor.pk
    roles = dict(ProjectMember.objects.filter(project=staffed).values_list("user_id", "role"))
    assert roles[successor.pk] == "manager" and roles[personas.project_manager.pk] == "engineer"
    handoff = Event.objects.get(verb="project.manager_set", payload__to_id=successor.pk)
    assert handoff.payload["reason"] == "工作调整" and handoff.payload["from_id"] == personas.project_manager.pk


def test_an_admin_names_the_manager_of_an_unmanaged_project(api_as, personas, project):
    response = api_as(personas.admin).post(url(project, "manager"), {"manager": personas.project_manager.pk}, format="json")
    assert response.status_code == 200
    project.refresh_from_db()
    assert project.manager == personas.project_manager


def test_a_project_manager_takes_an_unmanaged_project(api_as, personas, project):
    response = api_as(personas.project_manager).post(url(project, "manager"), {"manager": personas.project_manager.pk}, format="json")
    assert response.status_code == 200 and response.json()["manager"] == personas.project_manager.pk


def test_an_engineer_names_no_manager(api_as, personas, staffed):
    before = snapshot()
    response = api_as(personas.engineer).post(url(staffed, "manager"), {"manager": personas.engineer.pk, "reason": "x"}, format="json")
    assert response.status_code == 403
    assert snapshot() == before


def test_the_manager_starts_holds_and_resumes_the_project(api_as, personas, staffed):
    client = api_as(personas.project_manager)
    assert client.post(url(staffed, "move"), {"status": "in_progress"}, format="json").json()["status"] == "in_progress"
    refused = client.post(url(staffed, "move"), {"status": "on_hold"}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()
    held = client.post(url(staffed, "move"), {"status": "on_hold", "reason": "客户机房搬迁"}, format="json")
    assert held.status_code == 200 and held.json()["status"] == "on_hold"
    assert client.post(url(staffed, "move"), {"status": "in_progress"}, format="json").json()["status"] == "in_progress"
    assert Event.objects.filter(verb="project.status_changed").count() == 3


@pytest.mark.parametrize(("move", "field"), [({"status": "closed"}, "status"), ({"status": "on_hold", "reason": "x"}, "status"),
                                             ({"status": "sideways"}, "status"), ({"status": "cancelled"}, "reason")])  # fmt: skip
def test_a_move_the_project_cannot_make_is_a_400_and_changes_nothing(api_as, personas, staffed, move, field):
    before = snapshot()
    response = api_as(personas.project_manager).post(url(staffed, "move"), move, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert snapshot() == before


def test_handing_over_opens_the_handover(api_as, personas, staffed):
    client = api_as(personas.project_manager)
    client.post(url(staffed, "move"), {"status": "in_progress"}, format="json")
    response = client.post(url(staffed, "move"), {"status": "handover"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "handover"
    assert Handover.objects.filter(project=staffed).exists()


def test_a_cancelled_project_is_read_only(api_as, personas, staffed):
    client = api_as(personas.project_manager)
    response = client.post(url(staffed, "move"), {"status": "cancelled", "reason": "客户取消采购"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    before = snapshot()
    refused = client.patch(url(staffed), {"name": "x", "version": response.json()["version"]}, format="json")
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    assert client.post(url(staffed, "team"), {"user": personas.finance.pk, "role": "finance"}, format="json").status_code == 403
    assert snapshot() == before
    assert client.get(url(staffed)).status_code == 200


def test_the_manager_staffs_the_team(api_as, personas, staffed):
    client = api_as(personas.project_manager)
    response = client.post(url(staffed, "team"), {"user": personas.finance.pk, "role": "finance"}, format="json")
    assert response.status_code == 200, response.json()
    member = next(m for m in response.json()["team"] if m["user"] == personas.finance.pk)
    assert member["role"] == "finance" and member["user_name"] == "钱财务"
    response = client.delete(url(staffed, f"team/{member['id']}"))
    assert response.status_code == 200
    assert personas.finance.pk not in {m["user"] for m in response.json()["team"]}
    assert not ProjectMember.objects.filter(project=staffed, user=personas.finance).exists()


def test_the_manager_stays_on_the_team(api_as, personas, staffed):
    member = staffed.members.get(user=personas.project_manager)
    before = snapshot()
    response = api_as(personas.project_manager).delete(url(staffed, f"team/{member.pk}"))
    assert response.status_code == 400 and "user" in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"user": 999999, "role": "engineer"}, "user"), ({"role": "engineer"}, "user"), ({"user": 1, "role": "manager"}, "role"),
     ({"user": 1, "role": "boss"}, "role")],
)  # fmt: skip
def test_bad_team_input_is_a_field_level_400(api_as, personas, staffed, payload, field):
    before = snapshot()
    response = api_as(personas.project_manager).post(url(staffed, "team"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert snapshot() == before


def test_a_membership_of_another_project_is_not_found_here(api_as, personas, staffed, catalogue):
    other = project_of_b(personas, catalogue)
    foreign = other.members.get()
    for path in (url(staffed, f"team/{foreign.pk}"), url(staffed, "team/abc"), url(staffed, "contacts/1")):
        assert api_as(personas.project_manager).delete(path).status_code == 404
    assert ProjectMember.objects.filter(pk=foreign.pk).exists()


def test_the_manager_names_the_customers_people_on_the_project(api_as, personas, staffed):
    client = api_as(personas.project_manager)
    response = client.post(url(staffed, "contacts"), {"contact": personas.contact_a.pk, "role": "acceptance"}, format="json")
    assert response.status_code == 200
    [link] = response.json()["customer_contacts"]
    assert link["contact"] == personas.contact_a.pk and link["role"] == "acceptance"
    other = client.post(url(staffed, "contacts"), {"contact": personas.contact_b.pk, "role": "it"}, format="json")
    assert other.status_code == 400 and "contact" in other.json()
    assert client.delete(url(staffed, f"contacts/{link['id']}")).json()["customer_contacts"] == []


# --- Gantt and coverage --------------------------------------------------------------------------------


def test_the_gantt_chart_lays_out_phases_tasks_and_milestones(api_as, personas, staffed):
    response = api_as(personas.engineer).get(url(staffed, "gantt"))
    assert response.status_code == 200
    chart = response.json()
    kinds = [row["kind"] for row in chart["rows"]]
    assert kinds.count("phase") == 6 and kinds.count("task") == staffed.tasks.count() and kinds.count("milestone") == 3
    assert date.fromisoformat(chart["start"]).weekday() == 0 and date.fromisoformat(chart["end"]).weekday() == 6
    second = next(row for row in chart["rows"] if row["kind"] == "task" and row["depends_on"])
    assert all(0 <= row["left"] <= 100 for row in chart["rows"]) and second["depends_on"][0] in {r["id"] for r in chart["rows"]}
    assert chart["months"] and chart["today_left"] is not None


def test_coverage_follows_the_contracts_requirements_to_their_tasks(api_as, personas, staffed):
    keys = [entry["id"] for entry in staffed.contract.scope]
    task = staffed.tasks.order_by("start_on", "order").first()
    task_requirements_set(task=task, requirement_keys=keys[:1], by=personas.project_manager)
    task_set_status(task=task, to="done", by=personas.project_manager)
    response = api_as(personas.sales_rep).get(url(staffed, "coverage"))
    assert response.status_code == 200
    rows = {row["key"]: row for row in response.json()}
    assert set(rows) == set(keys)
    assert rows[keys[0]]["tasks"] == [{"id": task.pk, "name": task.name, "status": "done"}]
    assert rows[keys[0]]["delivered"] is True and rows[keys[0]]["accepted"] is False
    assert rows[keys[1]]["tasks"] == [] and rows[keys[1]]["delivered"] is False


def test_hidden_projects_have_no_chart_or_coverage(api_as, personas, staffed):
    client = api_as(personas.other_rep)
    assert client.get(url(staffed, "gantt")).status_code == 404
    assert client.get(url(staffed, "coverage")).status_code == 404


# --- Query counts -----------------------------------------------------------------------------------


def test_the_project_list_query_count_does_not_grow_with_rows(api_as, personas, staffed, catalogue, django_assert_num_queries):
    client = api_as(personas.sales_rep)
    client.get(PROJECTS)  # warms the policy cache
    # token, memberships, count, page (customer, manager and contract joined), team, customer contacts
    with django_assert_num_queries(6):
        assert client.get(PROJECTS).json()["count"] == 1
    project_of_b(personas, catalogue)
    client = api_as(personas.project_manager)
    client.get(PROJECTS)
    with django_assert_num_queries(6):
        assert client.get(PROJECTS).json()["count"] == 2


def test_the_project_detail_query_count(api_as, personas, staffed, django_assert_num_queries):
    client = api_as(personas.engineer)
    client.get(url(staffed))
    # token, memberships, the project (customer, manager, contract joined), team, contacts, task figures, hours
    with django_assert_num_queries(7):
        assert client.get(url(staffed)).status_code == 200


def test_the_gantt_query_count_does_not_grow_with_the_plan(api_as, personas, staffed, django_assert_num_queries):
    client = api_as(personas.project_manager)
    client.get(url(staffed, "gantt"))
    # token, memberships, the project, phases, tasks, dependencies, milestones
    with django_assert_num_queries(7):
        assert client.get(url(staffed, "gantt")).status_code == 200


# --- The schema ----------------------------------------------------------------------------------


def test_the_schema_has_the_delivery_api_and_no_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target), "--validate", "--fail-on-warn")
    text = target.read_text()
    for path in ("/api/v1/projects/{id}/team/{member_id}/", "/api/v1/tasks/{id}/dependencies/", "/api/v1/milestones/{id}/certificate/",
                 "/api/v1/time-entries/{id}/approve/", "/api/v1/handovers/{project_id}/sign/",
                 "/api/v1/project-documents/{id}/versions/{number}/download/", "/api/v1/status-reports/draft/"):  # fmt: skip
        assert path in text, path
