"""The Gantt chart laid out on the server: positions on the time axis, the today line, late tasks and
the critical chain."""

from datetime import date

import pytest

from touchpoint.delivery.gantt import gantt
from touchpoint.delivery.models import TaskStatus
from touchpoint.delivery.services.plan import milestone_create, phase_add, task_create, task_set_status
from touchpoint.delivery.services.projects import project_move, project_update
from touchpoint.delivery.tests.builders import bare_project

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)


def day(n: int) -> date:
    return date(2026, 3, n)


@pytest.fixture
def graph(personas, catalogue):
    """March 2026, Monday the 2nd to Friday the 13th:

        A 2–6 ──▶ B 7–11 ──▶ E 12–13
        C 2–3 ──▶ D 4–5  ──┘
        F 2–3 (done)   G 2–13 (cancelled)

    A and B are in the installation phase, which ends with a milestone on the 13th."""
    pm = personas.project_manager
    project = bare_project(personas, [catalogue["trade-risk"]])
    project = project_update(project=project, by=pm, expected_version=project.version, start_on=day(2), planned_end_on=day(13))
    phase = phase_add(project=project, by=pm, name="安装部署", name_en="Installation")
    a = task_create(project=project, by=pm, name="A", phase=phase, start_on=day(2), end_on=day(6), assignee=personas.engineer)
    b = task_create(project=project, by=pm, name="B", phase=phase, start_on=day(7), end_on=day(11), depends_on=[a])
    c = task_create(project=project, by=pm, name="C", start_on=day(2), end_on=day(3))
    d = task_create(project=project, by=pm, name="D", start_on=day(4), end_on=day(5), depends_on=[c])
    e = task_create(project=project, by=pm, name="E", start_on=day(12), end_on=day(13), depends_on=[b, d])
    f = task_create(project=project, by=pm, name="F", start_on=day(2), end_on=day(3))
    g = task_create(project=project, by=pm, name="G", start_on=day(2), end_on=day(13))
    task_set_status(task=f, to=TaskStatus.DONE, by=pm)
    task_set_status(task=g, to=TaskStatus.CANCELLED, by=pm)
    milestone_create(project=project, by=pm, name="安装验收", due_on=day(13), phase=phase)
    return project, {t.name: t for t in (a, b, c, d, e, f, g)}


def bars(chart):
    return {bar.label: bar for bar in chart.rows if bar.kind == "task"}


def test_the_critical_chain_is_the_path_without_slack(graph):
    project, _tasks = graph

    chart = gantt(project, today=day(2))

    critical = {label for label, bar in bars(chart).items() if bar.critical}
    assert critical == {"A", "B", "E"}
    assert chart.critical_count == 3


def test_finished_and_cancelled_tasks_are_never_critical(personas, graph):
    project, tasks = graph
    task_set_status(task=tasks["A"], to=TaskStatus.DONE, by=personas.project_manager)

    critical = {label for label, bar in bars(gantt(project, today=day(2))).items() if bar.critical}

    assert critical == {"B", "E"}


def test_a_single_chain_from_a_template_is_critical_end_to_end(project):
    chart = gantt(project, today=project.start_on)

    assert chart.critical_count == project.tasks.count() == 16
    assert all(bar.critical for bar in bars(chart).values())


def test_open_tasks_past_their_end_are_late(graph):
    project, _tasks = graph

    chart = gantt(project, today=day(9))

    assert {label for label, bar in bars(chart).items() if bar.late} == {"A", "C", "D"}
    assert chart.late_count == 3
    [milestone] = [bar for bar in chart.rows if bar.kind == "milestone"]
    assert not milestone.late
    assert [bar.label for bar in chart.rows if bar.kind == "milestone" and bar.late] == []
    assert next(bar for bar in gantt(project, today=day(14)).rows if bar.kind == "milestone").late


def test_the_axis_runs_monday_to_sunday_and_bars_sit_where_their_dates_are(graph):
    project, _tasks = graph

    chart = gantt(project, today=day(9))

    assert (chart.start, chart.end) == (MONDAY, day(15))
    row = bars(chart)
    assert (row["A"].left, row["A"].width) == (0.0, 35.714)  # five of fourteen days
    assert (row["B"].left, row["B"].width) == (35.714, 35.714)
    assert (row["E"].left, row["E"].width) == (71.429, 14.286)
    assert row["A"].assignee == "周工程师" and row["A"].depends_on == []
    assert row["E"].depends_on and set(row["E"].depends_on) == {_tasks["B"].pk, _tasks["D"].pk}
    assert row["F"].done and row["F"].status == TaskStatus.DONE
    assert chart.months == [{"label": "2026-03", "left": 0.0, "width": 100.0, "show_label": True}]


def test_the_today_line_sits_where_today_is(graph):
    project, _tasks = graph

    assert gantt(project, today=day(9)).today_left == 50.0
    assert gantt(project, today=day(15)).today_left == round(100 * 13 / 14, 3)


def test_a_running_plan_stretches_to_show_today_and_an_archived_one_does_not(personas, graph):
    project, _tasks = graph

    late = gantt(project, today=date(2026, 4, 1))

    assert (late.start, late.end) == (MONDAY, date(2026, 4, 5))
    assert late.today_left == round(100 * 30 / 35, 3)
    cancelled = project_move(project=project, to="cancelled", by=personas.project_manager, reason="合同终止")
    archived = gantt(cancelled, today=date(2026, 4, 1))
    assert (archived.end, archived.today_left) == (day(15), None)


def test_phases_come_with_their_tasks_and_milestones_then_the_rest(graph):
    project, _tasks = graph

    chart = gantt(project, today=day(9))

    assert [(bar.kind, bar.label) for bar in chart.rows] == [
        ("phase", "安装部署"), ("task", "A"), ("task", "B"), ("milestone", "安装验收"),
        ("task", "C"), ("task", "F"), ("task", "G"), ("task", "D"), ("task", "E"),
    ]  # fmt: skip
    phase = chart.rows[0]
    assert (phase.start, phase.end, phase.depth) == (day(2), day(13), 0)
    assert not phase.done


def test_the_chart_reads_the_same_number_of_rows_whatever_the_plan_size(graph, project, django_assert_num_queries):
    small, _tasks = graph
    with django_assert_num_queries(4):
        gantt(small, today=day(9))
    with django_assert_num_queries(4):
        gantt(project, today=project.start_on)
