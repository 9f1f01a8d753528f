"""The plan API: tasks (their dependencies, requirements and status) and milestones (acceptance and
the certificate); permissions, hostile input that changes nothing, languages and query counts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from touchpoint.core.models import Event
from touchpoint.delivery.models import Milestone, Project, Task, TaskDependency, TaskRequirement
from touchpoint.delivery.services.plan import milestone_accept, task_set_status, task_update
from touchpoint.delivery.tests.conftest import first_task
from touchpoint.finance.tests.conftest import active_contract
from touchpoint.sales.models import MilestoneStatus as PaymentStatus
from touchpoint.sales.services.opportunities import opportunity_create

pytestmark = pytest.mark.django_db

TASKS = "/api/v1/tasks/"
MILESTONES = "/api/v1/milestones/"


def today():
    return timezone.localdate()


def snapshot():
    """What a refused write must leave alone: the plan and the events."""
    return (
        list(Task.objects.order_by("pk").values()),
        list(TaskDependency.objects.order_by("pk").values()),
        list(TaskRequirement.objects.order_by("pk").values()),
        list(Milestone.objects.order_by("pk").values()),
        list(Project.objects.order_by("pk").values("pk", "status", "version", "planned_end_on")),
        Event.objects.count(),
    )


def project_of_b(personas, catalogue):
    opportunity = opportunity_create(by=personas.other_rep, customer=personas.customer_b, title="行情系统升级",
                                     owner=personas.other_rep, close_date=date(2027, 12, 31), amount=Decimal("500000"))  # fmt: skip
    return Project.objects.get(contract=active_contract(personas, opportunity, [catalogue["trade-risk"]], rep=personas.other_rep))


def assigned(project, personas):
    """The plan's first task, given to the engineer."""
    task = first_task(project)
    return task_update(task=task, by=personas.project_manager, expected_version=task.version, assignee=personas.engineer)


def chain(project):
    """The first two tasks of the plan: the second waits for the first (the template chains them)."""
    first = first_task(project)
    second = Task.objects.get(pk=TaskDependency.objects.get(depends_on=first).task_id)
    return first, second


# --- Tasks: reading ---------------------------------------------------------------------------------


def test_the_team_lists_the_tasks_of_a_project(api_as, personas, staffed):
    response = api_as(personas.engineer).get(TASKS, {"project": staffed.pk})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == staffed.tasks.count()
    first, second = chain(staffed)
    rows = {row["id"]: row for row in body["results"]}
    assert rows[second.pk]["depends_on"] == [first.pk] and rows[first.pk]["phase_name"] == "Requirement confirmation"
    assert rows[first.pk]["project_number"] == staffed.number and rows[first.pk]["late"] is False


def test_mine_lists_my_open_tasks_soonest_end_first(api_as, personas, staffed):
    task = assigned(staffed, personas)
    later = staffed.tasks.exclude(pk=task.pk).order_by("-end_on").first()
    task_update(task=later, by=personas.project_manager, expected_version=later.version, assignee=personas.engineer)
    client = api_as(personas.engineer)
    assert [row["id"] for row in client.get(TASKS, {"mine": "true"}).json()["results"]] == [task.pk, later.pk]
    task_set_status(task=task, to="done", by=personas.engineer)
    assert [row["id"] for row in client.get(TASKS, {"mine": "true"}).json()["results"]] == [later.pk]
    assert [row["id"] for row in client.get(TASKS, {"mine": "true", "status": "done"}).json()["results"]] == [task.pk]
    assert api_as(personas.project_manager).get(TASKS, {"mine": "true"}).json()["count"] == 0


@pytest.mark.parametrize(("name", "visible"), [("engineer", True), ("sales_rep", True), ("maintenance_lead", True),
                                               ("other_rep", False), ("outsider", False)])  # fmt: skip
def test_who_sees_the_tasks(api_as, personas, staffed, name, visible):
    task = first_task(staffed)
    client = api_as(getattr(personas, name))
    assert (client.get(TASKS).json()["count"] > 0) is visible
    assert client.get(f"{TASKS}{task.pk}/").status_code == (200 if visible else 404)


@pytest.mark.parametrize("params", [{"project": "abc"}, {"status": "lost"}, {"mine": "maybe"}, {"owner": "1"}, {"ordering": "name"}])
def test_bad_task_list_parameters_are_a_400(api_as, personas, staffed, params):
    response = api_as(personas.engineer).get(TASKS, params)
    assert response.status_code == 400 and set(response.json()) == set(params)


# --- Tasks: planning ------------------------------------------------------------------------------------


def test_the_manager_plans_a_task(api_as, personas, staffed):
    first, _second = chain(staffed)
    key = staffed.contract.scope[0]["id"]
    payload = {"project": staffed.pk, "name": "港股通接口改造", "start_on": today().isoformat(),
               "end_on": (today() + timedelta(days=5)).isoformat(), "phase": first.phase_id, "assignee": personas.engineer.pk,
               "estimate_hours": "16", "depends_on": [first.pk], "requirements": [key], "description": "对接港股通"}  # fmt: skip
    response = api_as(personas.project_manager).post(TASKS, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["depends_on"] == [first.pk] and body["requirements"] == [key] and body["estimate_hours"] == "16.0"
    assert body["assignee"] == personas.engineer.pk and body["status"] == "todo" and body["version"] == 1
    assert Event.objects.filter(verb="project.task_created", payload__task_id=body["id"]).exists()


def test_an_assignee_joins_the_team(api_as, personas, staffed):
    payload = {"project": staffed.pk, "name": "灾备演练", "start_on": today().isoformat(), "end_on": today().isoformat(),
               "assignee": personas.maintenance_lead.pk}  # fmt: skip
    assert api_as(personas.project_manager).post(TASKS, payload, format="json").status_code == 201
    assert staffed.members.get(user=personas.maintenance_lead).role == "engineer"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"end_on": "2000-01-01"}, "end_on"), ({"name": ""}, "name"), ({"name": "n" * 161}, "name"), ({"start_on": None}, "start_on"),
     ({"estimate_hours": "-1"}, "estimate_hours"), ({"estimate_hours": "abc"}, "estimate_hours"), ({"depends_on": "1"}, "depends_on"),
     ({"depends_on": [999999]}, "depends_on"), ({"requirements": [999999]}, "requirements"), ({"phase": 999999}, "phase"),
     ({"assignee": 999999}, "assignee"), ({"project": None}, "project")],
)  # fmt: skip
def test_bad_task_input_is_a_field_level_400_and_changes_nothing(api_as, personas, staffed, change, field):
    before = snapshot()
    payload = {"project": staffed.pk, "name": "接口改造", "start_on": today().isoformat(),
               "end_on": (today() + timedelta(days=3)).isoformat(), **change}  # fmt: skip
    response = api_as(personas.project_manager).post(TASKS, payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert snapshot() == before


def test_a_phase_or_dependency_of_another_project_is_refused(api_as, personas, staffed, catalogue):
    other = project_of_b(personas, catalogue)
    client = api_as(personas.project_manager)
    before = snapshot()
    base = {"project": staffed.pk, "name": "接口改造", "start_on": today().isoformat(), "end_on": today().isoformat()}
    phase = client.post(TASKS, {**base, "phase": other.phases.first().pk}, format="json")
    assert phase.status_code == 400 and "phase" in phase.json()
    depends = client.post(TASKS, {**base, "depends_on": [first_task(other).pk]}, format="json")
    assert depends.status_code == 400 and "depends_on" in depends.json()
    assert snapshot() == before


@pytest.mark.parametrize("name", ["engineer", "sales_rep", "maintenance_lead", "finance"])
def test_only_who_may_edit_the_project_plans_tasks(api_as, personas, staffed, name):
    before = snapshot()
    payload = {"project": staffed.pk, "name": "接口改造", "start_on": today().isoformat(), "end_on": today().isoformat()}
    assert api_as(getattr(personas, name)).post(TASKS, payload, format="json").status_code == 403
    assert snapshot() == before


def test_a_task_of_a_project_one_may_not_see_cannot_be_planned(api_as, personas, staffed):
    payload = {"project": staffed.pk, "name": "接口改造", "start_on": today().isoformat(), "end_on": today().isoformat()}
    response = api_as(personas.other_rep).post(TASKS, payload, format="json")
    assert response.status_code == 400 and "project" in response.json()


def test_the_manager_changes_a_task_with_the_version_read(api_as, personas, staffed):
    task = first_task(staffed)
    end = task.end_on + timedelta(days=2)
    payload = {"name": "需求调研（扩展）", "end_on": end.isoformat(), "assignee": personas.engineer.pk, "version": task.version}
    response = api_as(personas.project_manager).patch(f"{TASKS}{task.pk}/", payload, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["end_on"] == end.isoformat() and response.json()["version"] == task.version + 1
    task.refresh_from_db()
    assert task.assignee == personas.engineer and task.name == "需求调研（扩展）"


def test_a_stale_task_edit_is_a_409(api_as, personas, staffed):
    task = assigned(staffed, personas)
    before = snapshot()
    response = api_as(personas.project_manager).patch(f"{TASKS}{task.pk}/", {"name": "x", "version": task.version - 1}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "stale_version" and response.json()["current_version"] == task.version
    assert snapshot() == before


@pytest.mark.parametrize(("change", "field"), [({"end_on": "2000-01-01"}, "end_on"), ({"name": ""}, "name"), ({}, "version"),
                                               ({"estimate_hours": "-3"}, "estimate_hours")])  # fmt: skip
def test_bad_task_edits_change_nothing(api_as, personas, staffed, change, field):
    task = first_task(staffed)
    payload = {"version": task.version, **change} if field != "version" else {"name": "x"}
    before = snapshot()
    response = api_as(personas.project_manager).patch(f"{TASKS}{task.pk}/", payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert snapshot() == before


def test_the_assignee_may_not_replan_the_task(api_as, personas, staffed):
    task = assigned(staffed, personas)
    before = snapshot()
    response = api_as(personas.engineer).patch(f"{TASKS}{task.pk}/", {"name": "x", "version": task.version}, format="json")
    assert response.status_code == 403
    assert snapshot() == before


# --- Dependencies and requirements --------------------------------------------------------------------


def test_a_task_that_depends_on_itself_is_refused(api_as, personas, staffed):
    task = first_task(staffed)
    before = snapshot()
    response = api_as(personas.project_manager).post(f"{TASKS}{task.pk}/dependencies/", {"depends_on": [task.pk]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"depends_on": ["A task cannot depend on itself."]}
    assert snapshot() == before


def test_a_dependency_cycle_is_refused(api_as, personas, staffed):
    first, second = chain(staffed)
    third = Task.objects.get(pk=TaskDependency.objects.get(depends_on=second).task_id)
    before = snapshot()
    response = api_as(personas.project_manager).post(f"{TASKS}{first.pk}/dependencies/", {"depends_on": [third.pk]}, format="json")
    assert response.status_code == 400 and "circle" in response.json()["depends_on"][0]
    assert snapshot() == before


def test_the_manager_replaces_what_a_task_waits_for(api_as, personas, staffed):
    first, second = chain(staffed)
    other = staffed.tasks.exclude(pk__in=[first.pk, second.pk]).order_by("-start_on").first()
    client = api_as(personas.project_manager)
    response = client.post(f"{TASKS}{first.pk}/dependencies/", {"depends_on": [other.pk]}, format="json")
    assert response.status_code == 400  # the last task waits (through the chain) for the first
    response = client.post(f"{TASKS}{second.pk}/dependencies/", {"depends_on": []}, format="json")
    assert response.status_code == 200 and response.json()["depends_on"] == []
    assert not TaskDependency.objects.filter(task=second).exists()


def test_the_manager_links_a_task_to_the_contracts_requirements(api_as, personas, staffed):
    task = first_task(staffed)
    keys = sorted(entry["id"] for entry in staffed.contract.scope)
    client = api_as(personas.project_manager)
    response = client.post(f"{TASKS}{task.pk}/requirements/", {"requirements": keys}, format="json")
    assert response.status_code == 200 and response.json()["requirements"] == keys
    before = snapshot()
    refused = client.post(f"{TASKS}{task.pk}/requirements/", {"requirements": [*keys, 424242]}, format="json")
    assert refused.status_code == 400 and "requirements" in refused.json()
    assert snapshot() == before


# --- Task status ---------------------------------------------------------------------------------------


def test_the_assignee_starts_and_finishes_the_task(api_as, personas, staffed):
    task = assigned(staffed, personas)
    client = api_as(personas.engineer)
    response = client.post(f"{TASKS}{task.pk}/status/", {"status": "in_progress"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "in_progress"
    staffed.refresh_from_db()
    assert staffed.status == "in_progress"  # work begun starts the project
    done = client.post(f"{TASKS}{task.pk}/status/", {"status": "done"}, format="json").json()
    assert done["status"] == "done" and done["done_on"] == today().isoformat()


def test_a_task_cannot_start_before_what_it_waits_for_is_done(api_as, personas, staffed):
    _first, second = chain(staffed)
    before = snapshot()
    response = api_as(personas.project_manager).post(f"{TASKS}{second.pk}/status/", {"status": "in_progress"}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    assert snapshot() == before


@pytest.mark.parametrize("to", ["blocked", "sideways", ""])
def test_a_status_move_a_done_task_cannot_make_is_refused(api_as, personas, staffed, to):
    task = first_task(staffed)
    task_set_status(task=task, to="done", by=personas.project_manager)
    before = snapshot()
    response = api_as(personas.project_manager).post(f"{TASKS}{task.pk}/status/", {"status": to}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(("name", "code"), [("engineer", 403), ("sales_rep", 403), ("maintenance_lead", 403), ("other_rep", 404)])
def test_who_is_neither_assignee_nor_manager_cannot_move_a_task(api_as, personas, staffed, name, code):
    task = first_task(staffed)
    before = snapshot()
    assert api_as(getattr(personas, name)).post(f"{TASKS}{task.pk}/status/", {"status": "in_progress"}, format="json").status_code == code
    assert snapshot() == before


def test_the_assignee_may_not_change_dependencies_or_requirements(api_as, personas, staffed):
    task = assigned(staffed, personas)
    client = api_as(personas.engineer)
    before = snapshot()
    assert client.post(f"{TASKS}{task.pk}/dependencies/", {"depends_on": []}, format="json").status_code == 403
    assert client.post(f"{TASKS}{task.pk}/requirements/", {"requirements": []}, format="json").status_code == 403
    assert snapshot() == before


# --- Milestones -----------------------------------------------------------------------------------


def test_the_team_lists_the_milestones_of_a_project(api_as, personas, staffed):
    response = api_as(personas.engineer).get(MILESTONES, {"project": staffed.pk})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["name"] for row in rows] == ["需求确认完成", "安装验收", "上线验收"]
    assert rows[1]["delivery_event"] == "delivery_accepted" and rows[0]["delivery_event"] == "" and rows[0]["status"] == "open"
    assert api_as(personas.other_rep).get(MILESTONES).json()["count"] == 0


def test_the_manager_adds_and_changes_a_milestone(api_as, personas, staffed):
    client = api_as(personas.project_manager)
    due = today() + timedelta(days=20)
    payload = {"project": staffed.pk, "name": "数据迁移验收", "due_on": due.isoformat(), "delivery_event": "installation_accepted"}
    response = client.post(MILESTONES, payload, format="json")
    assert response.status_code == 201, response.json()
    milestone_id = response.json()["id"]
    phase = staffed.phases.order_by("order").last()
    changed = client.patch(f"{MILESTONES}{milestone_id}/", {"name": "数据迁移完成", "phase": phase.pk, "delivery_event": ""}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["phase"] == phase.pk and changed.json()["delivery_event"] == "" and changed.json()["name"] == "数据迁移完成"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"due_on": None}, "due_on"), ({"name": ""}, "name"), ({"delivery_event": "party"}, "delivery_event"),
     ({"phase": 999999}, "phase"), ({"project": "abc"}, "project")],
)  # fmt: skip
def test_bad_milestone_input_is_a_field_level_400(api_as, personas, staffed, change, field):
    before = snapshot()
    payload = {"project": staffed.pk, "name": "数据迁移验收", "due_on": today().isoformat(), **change}
    response = api_as(personas.project_manager).post(MILESTONES, payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert snapshot() == before


def test_a_milestone_cannot_move_to_a_phase_of_another_project(api_as, personas, staffed, catalogue):
    other = project_of_b(personas, catalogue)
    milestone = staffed.milestones.first()
    before = snapshot()
    response = api_as(personas.project_manager).patch(f"{MILESTONES}{milestone.pk}/", {"phase": other.phases.first().pk}, format="json")
    assert response.status_code == 400 and "phase" in response.json()
    assert snapshot() == before


def test_accepting_a_milestone_makes_its_payment_milestones_due(api_as, personas, staffed):
    install = staffed.milestones.get(name="安装验收")
    response = api_as(personas.project_manager).post(f"{MILESTONES}{install.pk}/accept/", {"note": "客户签字"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "accepted" and body["accepted_on"] == today().isoformat()
    assert body["accepted_by"] == personas.project_manager.pk and body["payments_due"]
    assert staffed.contract.milestones.get(pk=body["payments_due"][0]).status == PaymentStatus.DUE


def test_accepting_a_milestone_twice_is_a_clear_400_and_changes_nothing(api_as, personas, staffed):
    install = staffed.milestones.get(name="安装验收")
    milestone_accept(milestone=install, by=personas.project_manager)
    before = snapshot(), list(staffed.contract.milestones.order_by("pk").values())
    response = api_as(personas.project_manager).post(f"{MILESTONES}{install.pk}/accept/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"status": [f"This milestone was already accepted on {today().isoformat()}."]}
    assert (snapshot(), list(staffed.contract.milestones.order_by("pk").values())) == before


def test_an_accepted_milestone_cannot_be_changed(api_as, personas, staffed):
    install = staffed.milestones.get(name="安装验收")
    milestone_accept(milestone=install, by=personas.project_manager)
    before = snapshot()
    response = api_as(personas.project_manager).patch(f"{MILESTONES}{install.pk}/", {"name": "改名"}, format="json")
    assert response.status_code == 400 and "non_field_errors" in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(("payload", "field"), [({"accepted_on": "2999-01-01"}, "accepted_on"), ({"accepted_on": "soon"}, "accepted_on"),
                                                ({"note": "n" * 301}, "note")])  # fmt: skip
def test_bad_acceptance_input_changes_nothing(api_as, personas, staffed, payload, field):
    install = staffed.milestones.get(name="安装验收")
    before = snapshot()
    response = api_as(personas.project_manager).post(f"{MILESTONES}{install.pk}/accept/", payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert snapshot() == before


def test_accepting_go_live_starts_the_handover(api_as, personas, staffed):
    task_set_status(task=first_task(staffed), to="in_progress", by=personas.project_manager)
    golive = staffed.milestones.get(delivery_event="go_live")
    assert api_as(personas.project_manager).post(f"{MILESTONES}{golive.pk}/accept/", {}, format="json").status_code == 200
    staffed.refresh_from_db()
    assert staffed.status == "handover" and staffed.handover.status == "draft"


@pytest.mark.parametrize(("name", "code"), [("engineer", 403), ("sales_rep", 403), ("finance", 403), ("other_rep", 404)])
def test_who_may_not_edit_the_project_cannot_accept_or_change_milestones(api_as, personas, staffed, name, code):
    install = staffed.milestones.get(name="安装验收")
    client = api_as(getattr(personas, name))
    before = snapshot()
    assert client.post(f"{MILESTONES}{install.pk}/accept/", {}, format="json").status_code == code
    assert client.patch(f"{MILESTONES}{install.pk}/", {"name": "x"}, format="json").status_code == code
    assert snapshot() == before


def test_the_acceptance_certificate_is_a_pdf_for_the_team(api_as, personas, staffed):
    install = staffed.milestones.get(name="安装验收")
    response = api_as(personas.engineer).get(f"{MILESTONES}{install.pk}/certificate/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment;") and staffed.number in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert api_as(personas.other_rep).get(f"{MILESTONES}{install.pk}/certificate/").status_code == 404


# --- Languages and query counts ------------------------------------------------------------------


def test_task_errors_come_in_the_readers_language(api_as, personas, staffed):
    payload = {"project": staffed.pk, "start_on": today().isoformat(), "end_on": today().isoformat()}
    response = api_as(personas.project_manager, "zh-hans").post(TASKS, payload, format="json")
    assert response.status_code == 400 and response.json() == {"name": ["该字段是必填项。"]}
    refused = api_as(personas.engineer, "zh-hans").post(TASKS, {**payload, "name": "x"}, format="json")
    assert refused.status_code == 403 and refused.json()["detail"] == "您的岗位无权对此记录执行该操作。"


def test_the_task_list_query_count_does_not_grow_with_rows(api_as, personas, staffed, django_assert_num_queries):
    client = api_as(personas.engineer)
    client.get(TASKS, {"project": staffed.pk})
    count = staffed.tasks.count()
    # token, memberships, count, page (project, phase, assignee joined), dependencies, requirements
    with django_assert_num_queries(6):
        assert client.get(TASKS, {"project": staffed.pk}).json()["count"] == count
    assigned(staffed, personas)
    with django_assert_num_queries(6):
        assert client.get(TASKS, {"mine": "true"}).json()["count"] == 1


def test_the_task_detail_query_count(api_as, personas, staffed, django_assert_num_queries):
    task = first_task(staffed)
    client = api_as(personas.sales_rep)
    client.get(f"{TASKS}{task.pk}/")
    # token, memberships, the task (project, phase, assignee joined), dependencies, requirements
    with django_assert_num_queries(5):
        assert client.get(f"{TASKS}{task.pk}/").status_code == 200


def test_the_milestone_list_query_count(api_as, personas, staffed, django_assert_num_queries):
    client = api_as(personas.project_manager)
    client.get(MILESTONES)
    # token, memberships, count, page (project, phase, accepted_by joined), the payment milestones made due
    with django_assert_num_queries(5):
        assert client.get(MILESTONES).json()["count"] == 3
