"""The delivery share of the scale dataset: the counts it promises, consistent rows, and only once."""

import random
from collections import Counter, defaultdict, deque
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from touchpoint.core.extensions import demo_steps
from touchpoint.customers.models import AccountMember
from touchpoint.delivery import demo_bulk
from touchpoint.delivery.models import (
    OPEN_TASK,
    RUNNING,
    Milestone,
    Phase,
    Project,
    ProjectMember,
    ProjectStatus,
    Risk,
    Task,
    TaskDependency,
    TaskStatus,
    TimeEntry,
)
from touchpoint.delivery.services.health import health_compute
from touchpoint.org.models import User
from touchpoint.sales.models import Contract, PaymentMilestone

pytestmark = pytest.mark.django_db

SCALE = "0.001"


def run(key: str, scale: str = "small") -> str:
    return demo_steps[key].run(rng=random.Random(f"2026:{key}"), scale=scale, out=lambda text: None)


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in (
        Project, Phase, Task, TaskDependency, Milestone, ProjectMember, TimeEntry, Risk, Contract, PaymentMilestone,
        AccountMember, User,
    )}  # fmt: skip


@pytest.fixture
def loaded() -> dict[str, int]:
    run("org.staff")
    run("customers.bulk", SCALE)
    summary = run("delivery.bulk", SCALE)
    assert summary.startswith("bulk delivery: "), summary
    return counts()


def acyclic(edges: list[tuple[int, int]], nodes: set[int]) -> bool:
    """Kahn's algorithm over task → depends-on edges: every node comes out when there is no cycle."""
    waiting = Counter(task for task, _depends in edges)
    dependants = defaultdict(list)
    for task, depends_on in edges:
        dependants[depends_on].append(task)
    ready = deque(node for node in nodes if not waiting[node])
    seen = 0
    while ready:
        node = ready.popleft()
        seen += 1
        for task in dependants[node]:
            waiting[task] -= 1
            if not waiting[task]:
                ready.append(task)
    return seen == len(nodes)


def test_bulk_step_builds_the_projects_it_promises_once(loaded):
    sizes = demo_bulk.bulk_sizes(SCALE)

    assert run("delivery.bulk", SCALE).startswith("bulk delivery: already loaded")

    assert counts() == loaded
    assert loaded["Project"] == sizes["projects"]
    assert demo_bulk.bulk_delivery_loaded() == sizes
    assert User.objects.filter(username__startswith="bencheng").count() == sizes["engineers"]
    assert User.objects.filter(username__startswith="benchpm").count() == sizes["managers"]
    # Every project: six phases, three milestones (one per phase in the Gantt project), 8–12 tasks.
    assert loaded["Phase"] == 6 * sizes["projects"]
    gantt = demo_bulk.gantt_project()
    assert gantt is not None
    assert loaded["Milestone"] == 3 * (sizes["projects"] - 1) + 6
    tasks_per_project = Counter(Task.objects.exclude(project=gantt).values_list("project_id", flat=True))
    assert len(tasks_per_project) == sizes["projects"] - 1
    assert all(8 <= n <= 12 for n in tasks_per_project.values()), tasks_per_project
    assert loaded["Task"] == sum(tasks_per_project.values()) + demo_bulk.GANTT_TASKS


def test_every_project_has_its_own_contract_of_its_customer_and_a_unique_number(loaded):
    projects = list(Project.objects.select_related("contract").order_by("id"))
    assert len({p.contract_id for p in projects}) == len(projects)
    assert len({p.number for p in projects}) == len(projects)
    assert all(p.customer_id == p.contract.customer_id for p in projects)
    assert all(p.manager_id is not None and p.start_on <= p.planned_end_on for p in projects)
    # Every row about a customer carries the customer key of its project.
    for model in (Task, Milestone, TimeEntry, Risk):
        mismatched = [row for row in model.objects.select_related("project") if row.customer_id != row.project.customer_id]
        assert not mismatched, model
    # Four payment milestones on each contract the step added, adding up to the contract.
    for contract in Contract.objects.filter(number__startswith="CD-").prefetch_related("milestones"):
        assert sum(m.amount for m in contract.milestones.all()) == contract.amount
        assert len(contract.milestones.all()) == 4


def test_stored_health_is_what_health_compute_says(loaded):
    running = list(Project.objects.filter(status__in=RUNNING))
    assert running
    for project in running:
        verdict = health_compute(project)
        assert (project.health, project.health_reasons, project.forecast_end_on) == (
            verdict.health, verdict.reasons, verdict.forecast_end_on), project.number  # fmt: skip
    archived = Project.objects.exclude(status__in=RUNNING)
    assert archived.exists()
    assert not archived.filter(closed_at__isnull=True).exists()
    # A closed project has nothing left to do; its milestones are accepted.
    closed = archived.filter(status=ProjectStatus.CLOSED)
    assert not Task.objects.filter(project__in=closed).exclude(status=TaskStatus.DONE).exists()
    assert not Milestone.objects.filter(project__in=closed, accepted_on__isnull=True).exists()


def test_the_gantt_project_has_500_tasks_in_an_acyclic_finish_to_start_graph(loaded):
    gantt = demo_bulk.gantt_project()
    assert gantt is not None and gantt.status in RUNNING
    tasks = {t.pk: t for t in Task.objects.filter(project=gantt)}
    assert len(tasks) == demo_bulk.GANTT_TASKS
    edges = list(TaskDependency.objects.filter(task__project=gantt).values_list("task_id", "depends_on_id"))
    assert all(depends_on in tasks for _task, depends_on in edges)
    # Chains within the phases and links across them: more links than tasks, some between phases.
    assert len(edges) > len(tasks)
    assert any(tasks[task].phase_id != tasks[depends_on].phase_id for task, depends_on in edges)
    assert all(tasks[depends_on].end_on < tasks[task].start_on for task, depends_on in edges)
    assert acyclic(edges, set(tasks))
    statuses = Counter(t.status for t in tasks.values())
    assert statuses[TaskStatus.DONE] and statuses[TaskStatus.TODO] and statuses[TaskStatus.IN_PROGRESS], statuses
    # Done tasks wait only on done ones.
    assert all(tasks[depends_on].status == TaskStatus.DONE for task, depends_on in edges if tasks[task].status == TaskStatus.DONE)
    assert gantt.manager is not None and gantt.manager.username == demo_bulk.BENCH_MANAGER


def test_the_bench_engineer_and_manager_have_work_and_the_team_is_on_the_account_team(loaded):
    engineer = User.objects.get(username=demo_bulk.BENCH_ENGINEER)
    mine = Task.objects.filter(assignee=engineer, status__in=OPEN_TASK, project__status__in=RUNNING)
    assert mine.exists()
    # Assignees are on their project's team; hours are logged by team members only, at most a day's worth.
    members = set(ProjectMember.objects.values_list("project_id", "user_id"))
    assert set(Task.objects.filter(assignee__isnull=False).values_list("project_id", "assignee_id")) <= members
    assert set(TimeEntry.objects.values_list("project_id", "user_id")) <= members
    per_day = TimeEntry.objects.values("user_id", "work_date").annotate(n=Count("id"))
    assert all(row["n"] <= 2 for row in per_day)
    assert TimeEntry.objects.filter(status="submitted").exists() and TimeEntry.objects.filter(status="approved").exists()
    assert not TimeEntry.objects.filter(work_date__gt=timezone.localdate()).exists()
    assert not TimeEntry.objects.filter(work_date__lt=timezone.localdate() - timedelta(days=demo_bulk.TIMESHEET_DAYS)).exists()
    # While a project runs its team sits on the customer's account team.
    for project in Project.objects.filter(status__in=RUNNING).prefetch_related("members"):
        team = {m.user_id for m in project.members.all()}
        on_account = set(AccountMember.objects.filter(customer_id=project.customer_id, user_id__in=team).values_list("user_id", flat=True))
        assert team == on_account, project.number
