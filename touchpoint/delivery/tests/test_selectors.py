"""Reads of delivery: the project list, my tasks, milestones due, requirement coverage and a project's figures."""

from decimal import Decimal

import pytest

from touchpoint.delivery.models import TaskStatus
from touchpoint.delivery.selectors import milestones_due, my_tasks, project_figures, project_list, requirement_coverage
from touchpoint.delivery.services.plan import milestone_accept, task_requirements_set, task_set_status, task_update
from touchpoint.delivery.services.projects import project_move
from touchpoint.delivery.services.risks import risk_raise
from touchpoint.delivery.services.timesheets import time_decide, time_log
from touchpoint.delivery.tests.builders import another_project, fresh, today
from touchpoint.delivery.tests.conftest import first_task

pytestmark = pytest.mark.django_db


def pks(rows):
    return [row.pk for row in rows]


def test_the_project_list_filters_what_the_user_may_see(personas, catalogue, staffed):
    other = another_project(personas, [catalogue["trade-risk"]], customer=personas.customer_b, owner=personas.other_rep)
    risk_raise(project=other, by=personas.project_manager, title="机房搬迁", kind="issue", impact="high")
    project_move(project=other, to="cancelled", by=personas.project_manager, reason="合同终止")
    executive = personas.executive

    assert set(pks(project_list(executive))) == {staffed.pk, other.pk}
    assert pks(project_list(executive, status="running")) == [staffed.pk]
    assert pks(project_list(executive, status="cancelled")) == [other.pk]
    assert pks(project_list(executive, health="red")) == [other.pk]
    assert pks(project_list(executive, customer_id=personas.customer_b.pk)) == [other.pk]
    assert pks(project_list(executive, q="中信建投")) == [other.pk]
    assert pks(project_list(executive, q=staffed.number)) == [staffed.pk]
    assert pks(project_list(executive, manager_id=personas.project_manager.pk)) == [staffed.pk]
    assert pks(project_list(personas.engineer, mine=True)) == [staffed.pk]
    assert pks(project_list(personas.project_manager, mine=True)) == [staffed.pk]
    assert pks(project_list(personas.sales_rep)) == [staffed.pk]


def test_my_tasks_are_my_open_tasks_on_running_projects_soonest_first(personas, staffed):
    engineer = personas.engineer
    first, second, third = staffed.tasks.order_by("start_on", "order")[:3]
    for task in (third, first, second):
        task_update(task=task, by=personas.project_manager, expected_version=task.version, assignee=engineer)
    task_set_status(task=first, to=TaskStatus.DONE, by=engineer)

    assert pks(my_tasks(engineer)) == [second.pk, third.pk]
    assert pks(my_tasks(engineer, include_done=True)) == [first.pk, second.pk, third.pk]

    project_move(project=fresh(staffed), to="cancelled", by=personas.project_manager, reason="合同终止")
    assert pks(my_tasks(engineer)) == []


def test_milestones_due_are_the_managers_open_ones_within_the_window(personas, staffed):
    sign_off, installation, go_live = staffed.milestones.order_by("due_on")
    milestone_accept(milestone=sign_off, by=personas.project_manager)

    assert pks(milestones_due(personas.project_manager, within_days=60)) == [installation.pk]
    assert pks(milestones_due(personas.project_manager, within_days=90)) == [installation.pk, go_live.pk]
    assert pks(milestones_due(personas.engineer, within_days=90)) == []


def test_requirement_coverage_follows_the_tasks_and_the_acceptance_of_their_phase(personas, contract, staffed):
    core, margin = (entry["id"] for entry in contract.scope)
    review = staffed.tasks.get(name="需求评审")
    install = staffed.tasks.get(name="生产环境安装")
    task_requirements_set(task=review, requirement_keys=[core], by=personas.project_manager)
    task_requirements_set(task=install, requirement_keys=[core, margin], by=personas.project_manager)

    rows = {row.key: row for row in requirement_coverage(staffed)}
    assert [(row.delivered, row.accepted) for row in rows.values()] == [(False, False), (False, False)]
    assert rows[core].description == "支持港股通交易" and pks(rows[core].tasks) == [review.pk, install.pk]

    for name in ("需求调研", "需求规格说明书", "需求评审"):
        task_set_status(task=staffed.tasks.get(name=name), to=TaskStatus.DONE, by=personas.project_manager)
    task_set_status(task=install, to=TaskStatus.CANCELLED, by=personas.project_manager)
    rows = {row.key: row for row in requirement_coverage(staffed)}
    assert (rows[core].delivered, rows[core].accepted) == (True, False)
    assert rows[margin].tasks == [] and not rows[margin].delivered

    milestone_accept(milestone=staffed.milestones.get(name="需求确认完成"), by=personas.project_manager)
    rows = {row.key: row for row in requirement_coverage(staffed)}
    assert (rows[core].delivered, rows[core].accepted) == (True, True)


def test_the_project_figures_count_progress_hours_and_cost_against_the_contract(personas, contract, staffed):
    task = first_task(staffed)
    task_set_status(task=task, to=TaskStatus.DONE, by=personas.project_manager)
    kept = time_log(user=personas.engineer, task=task, work_date=today(), hours="8")
    dropped = time_log(user=personas.engineer, task=task, work_date=today(), hours="4")
    time_decide(entries=[dropped], by=personas.project_manager, approve=False, reason="重复")

    figures = project_figures(fresh(staffed))

    assert (figures["tasks_total"], figures["tasks_done"], figures["progress"]) == (16, 1, 6)
    assert figures["hours"] == kept.hours == Decimal("8")
    assert figures["cost"] == Decimal("2400.00")  # 8 hours at 300
    assert figures["contract_amount"] == contract.amount
    assert figures["cost_share"] == round(100 * Decimal("2400.00") / contract.amount, 1)
