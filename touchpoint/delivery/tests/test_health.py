"""Project health: green, amber or red from the schedule slip, overdue tasks, late milestones and open issues."""

from datetime import timedelta

import pytest

from touchpoint.delivery.models import DeliverySettings, Health, ProjectStatus, TaskStatus
from touchpoint.delivery.services.health import health_compute, health_refresh, health_refresh_all
from touchpoint.delivery.services.plan import milestone_accept, milestone_create, task_create, task_set_status
from touchpoint.delivery.services.projects import project_move, project_set_manager, project_update
from touchpoint.delivery.services.risks import risk_raise, risk_update
from touchpoint.delivery.tests.builders import bare_project, days_from_today, fresh, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def plain(personas, catalogue):
    """A project with no template, managed by the PM, planned to end in 30 days."""
    project = bare_project(personas, [catalogue["trade-risk"]])
    project = project_set_manager(project=project, manager=personas.project_manager, by=personas.project_manager)
    return project_update(project=project, by=personas.project_manager, expected_version=project.version,
                          planned_end_on=days_from_today(30))  # fmt: skip


def task(project, by, name="任务", *, start=-5, end=5):
    return task_create(project=project, by=by, name=name, start_on=days_from_today(start), end_on=days_from_today(end))


def codes(verdict):
    return {reason["code"]: reason.get("days", reason.get("count")) for reason in verdict.reasons}


def settings_with(**values):
    settings = DeliverySettings.current()
    for field, value in values.items():
        setattr(settings, field, value)
    settings.save()
    return settings


def test_a_project_on_schedule_is_green(personas, plain):
    task(plain, personas.project_manager, end=30)

    verdict = health_refresh(plain)

    assert verdict.health == Health.GREEN and verdict.reasons == []
    project = fresh(plain)
    assert project.health == Health.GREEN and project.health_reasons == [] and project.health_at is not None
    assert project.forecast_end_on == days_from_today(30)


def test_a_small_slip_turns_a_project_amber_and_a_large_one_red(personas, plain):
    late = task(plain, personas.project_manager, end=33)
    assert (health_compute(plain).health, codes(health_compute(plain))) == (Health.AMBER, {"slip": 3})

    task_set_status(task=late, to=TaskStatus.CANCELLED, by=personas.project_manager)
    task(plain, personas.project_manager, end=40)

    verdict = health_compute(plain)
    assert verdict.health == Health.RED and codes(verdict) == {"slip": 10}
    assert verdict.forecast_end_on == days_from_today(40)


def test_the_slip_threshold_comes_from_the_delivery_settings(personas, plain):
    task(plain, personas.project_manager, end=40)

    assert health_compute(plain, settings=settings_with(red_slip_days=11)).health == Health.AMBER
    assert health_compute(plain, settings=settings_with(red_slip_days=10)).health == Health.RED


def test_overdue_tasks_turn_a_project_amber_then_red(personas, plain):
    pm = personas.project_manager
    task(plain, pm, "已逾期一", end=-1)
    verdict = health_compute(plain)
    assert verdict.health == Health.AMBER and codes(verdict) == {"overdue_tasks": 1}

    task(plain, pm, "已逾期二", end=-2)
    task(plain, pm, "已逾期三", end=-3)

    verdict = health_compute(plain)
    assert verdict.health == Health.RED and codes(verdict) == {"overdue_tasks": 3}


def test_the_overdue_task_threshold_comes_from_the_delivery_settings(personas, plain):
    for index in range(3):
        task(plain, personas.project_manager, f"逾期{index}", end=-1)

    assert health_compute(plain, settings=settings_with(red_overdue_tasks=4)).health == Health.AMBER
    assert health_compute(plain, settings=settings_with(red_overdue_tasks=3)).health == Health.RED


def test_finished_and_cancelled_tasks_are_never_overdue(personas, plain):
    pm = personas.project_manager
    done = task(plain, pm, "已完成", end=-3)
    dropped = task(plain, pm, "已取消", end=-3)
    task_set_status(task=done, to=TaskStatus.DONE, by=pm)
    task_set_status(task=dropped, to=TaskStatus.CANCELLED, by=pm)

    assert health_compute(plain).health == Health.GREEN


def test_an_overdue_task_pushes_the_forecast_to_today_and_beyond_the_plan(personas, plain):
    project = project_update(project=plain, by=personas.project_manager, expected_version=plain.version,
                             start_on=days_from_today(-40), planned_end_on=days_from_today(-12))  # fmt: skip
    task(project, personas.project_manager, start=-20, end=-15)

    verdict = health_compute(project)

    assert verdict.forecast_end_on == today()
    assert verdict.health == Health.RED and codes(verdict) == {"slip": 12, "overdue_tasks": 1}


def test_a_late_milestone_turns_a_project_amber(personas, plain):
    milestone = milestone_create(project=plain, by=personas.project_manager, name="安装验收", due_on=days_from_today(-1))

    verdict = health_compute(plain)
    assert verdict.health == Health.AMBER and codes(verdict) == {"late_milestones": 1}

    milestone_accept(milestone=milestone, by=personas.project_manager)
    assert health_compute(plain).health == Health.GREEN


def test_an_open_high_impact_issue_turns_a_project_red_and_a_risk_amber(personas, plain):
    pm = personas.project_manager
    risk = risk_raise(project=plain, by=pm, title="柜台接口文档缺失", kind="risk", impact="high")
    assert (health_compute(plain).health, codes(health_compute(plain))) == (Health.AMBER, {"high_risks": 1})

    issue = risk_raise(project=plain, by=pm, title="交易所测试环境不可用", kind="issue", impact="high")
    verdict = health_compute(plain)
    assert verdict.health == Health.RED and codes(verdict) == {"high_risks": 1, "high_issues": 1}

    risk_update(risk=issue, by=pm, expected_version=issue.version, status="closed")
    risk_update(risk=risk, by=pm, expected_version=risk.version, status="closed")
    assert health_compute(plain).health == Health.GREEN


def test_a_medium_issue_does_not_weigh_on_health(personas, plain):
    risk_raise(project=plain, by=personas.project_manager, title="会议室紧张", kind="issue", impact="medium")

    assert health_compute(plain).health == Health.GREEN


def test_every_write_to_the_plan_refreshes_the_stored_health(personas, plain):
    pm = personas.project_manager
    task(plain, pm, "逾期", end=-1)
    assert fresh(plain).health == Health.AMBER

    risk_raise(project=plain, by=pm, title="核心交易系统宕机", kind="issue", impact="high")
    project = fresh(plain)
    assert project.health == Health.RED
    assert {reason["code"] for reason in project.health_reasons} == {"overdue_tasks", "high_issues"}


def test_the_daily_refresh_recolours_every_running_project_and_leaves_archived_ones(personas, catalogue, plain):
    pm = personas.project_manager
    task(plain, pm, "下周到期", start=0, end=3)
    archived = bare_project(personas, [catalogue["trade-core"]])
    archived = project_update(project=archived, by=pm, expected_version=archived.version, planned_end_on=days_from_today(30))
    task(archived, pm, "也是下周到期", start=0, end=3)
    project_move(project=archived, to=ProjectStatus.CANCELLED, by=pm, reason="合同终止")
    assert (fresh(plain).health, fresh(archived).health) == (Health.GREEN, Health.GREEN)

    changed = health_refresh_all(today=today() + timedelta(days=5))

    assert changed == 1
    assert fresh(plain).health == Health.AMBER
    assert fresh(plain).health_reasons == [{"code": "overdue_tasks", "count": 1}]
    assert fresh(archived).health == Health.GREEN
    assert health_refresh_all(today=today() + timedelta(days=5)) == 0
