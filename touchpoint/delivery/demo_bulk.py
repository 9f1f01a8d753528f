"""The delivery share of the scale dataset (demo step order 1600, after the finance share).

At full scale 50,000 implementation projects, one per bulk contract: the contracts the sales and
finance shares wrote get their projects first; contracts without quotes are added for the rest,
signed over the five years before the oldest of those (completed, their payment milestones paid, when
they are that old), so that the receivables and the recommendation data stay as they were.

Each project is laid out like `project_open` lays out the default template (six phases, one
milestone at the end of three of them, tasks in a chain), with 8–12 tasks, and brought to where its
age puts it: old projects are closed, terminated contracts' projects cancelled, recent ones running
with their past tasks done (a few stalled and late), the current one in progress and the rest to do.
The running projects' tasks are spread over a benchmark engineering department (800 engineers and
200 project managers at full scale, besides the demo's own), so that an engineer holds a few dozen
open tasks (about 40 at full scale; the demo engineer the "my tasks" benchmark signs in as takes two
engineers' share). The team members get their project-long account-team memberships, engineers log
the last eight weeks of their hours, some projects carry risks, and health is computed in the load
from the same rules as `health_compute`.

One more project, the Gantt benchmark's, has exactly 500 tasks in parallel workstreams: a chain per
workstream inside each phase, links from each phase into the next and some across workstreams,
every link pointing from a task that ends before its dependant starts (so the graph is acyclic).

Bulk rows carry no events, no history rows and no handovers; the dataset is for measuring reads.
Fractional scales shrink every count but the 500 tasks (and keep at least two engineers and two
project managers).
"""

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from touchpoint.core.bulk import BulkLoader
from touchpoint.core.extensions import DemoStep, demo_steps
from touchpoint.core.money import HUNDRED, default_tax_rate, money
from touchpoint.customers.demo import BULK_NOTE, bench_customer, person_name, scale_factor
from touchpoint.customers.models import AccountMember, Customer
from touchpoint.delivery.demo import RISKS
from touchpoint.delivery.models import (
    OPEN_TASK,
    RUNNING,
    DeliverySettings,
    Health,
    Level,
    Milestone,
    MilestoneStatus,
    Phase,
    Project,
    ProjectMember,
    ProjectStatus,
    ProjectTemplate,
    Risk,
    RiskKind,
    RiskStatus,
    Task,
    TaskDependency,
    TaskStatus,
    TeamRole,
    TimeEntry,
    TimeStatus,
)
from touchpoint.delivery.services.projects import ACCOUNT_ROLE, _template_tasks
from touchpoint.org.demo import users_by_position
from touchpoint.org.models import Department, Membership, Position, User
from touchpoint.org.services import user_create
from touchpoint.sales.demo import MILESTONE_PLAN, PROJECTS
from touchpoint.sales.models import Contract, ContractStatus, PaymentMilestone
from touchpoint.sales.models import MilestoneStatus as PaymentStatus

FULL_SIZES = {"projects": 50_000, "engineers": 800, "managers": 200}
# The Gantt benchmark's project has this many tasks at every scale.
GANTT_TASKS = 500
GANTT_NUMBER = "PB-GANTT-0500"
GANTT_CONTRACT = "CD-GANTT-0500"
GANTT_NAME = "基准：集中交易系统全面升级（500 项任务）"
GANTT_ENGINEERS = 16
# The delivery scenarios sign in as the demo's project manager and engineer; both also take their
# share of the bulk projects.
BENCH_MANAGER = "sunhao"
BENCH_ENGINEER = "zhoujie"
BENCH_DEPARTMENT = ("bench-delivery", "实施交付部（基准）", "Delivery (benchmark)")
# A past task left unfinished holds up the rest of its project (the chain waits on it).
STALL = 0.04
BLOCKED = 0.1
ON_HOLD = 0.03
# Contracts added for the rest of the projects are signed over this many years before the oldest
# contract already there (or before today, without the sales and finance shares).
HISTORY_YEARS = 5
# Days of hours logged before today, and the share of closed and running projects with a risk.
TIMESHEET_DAYS = 56
RISK_SHARE = {"running": 0.3, "archived": 0.2}
WORKSTREAMS = ["集中交易", "融资融券", "行情系统", "网上交易", "移动交易", "风控系统", "清算对账", "数据中心"]

PROJECT_COLUMNS = (
    "id", "created_at", "updated_at", "version", "number", "name", "status", "start_on", "planned_end_on",
    "forecast_end_on", "closed_at", "health", "health_reasons", "health_at", "hourly_cost", "description", "contract_id",
    "customer_id", "manager_id", "template_id",
)  # fmt: skip
MEMBER_COLUMNS = ("project_id", "user_id", "role", "added_at")
PHASE_COLUMNS = ("id", "project_id", '"order"', "name", "name_en")
TASK_COLUMNS = (
    "id", "created_at", "updated_at", "version", "project_id", "customer_id", "phase_id", '"order"', "name",
    "description", "assignee_id", "start_on", "end_on", "estimate_hours", "status", "done_on",
)  # fmt: skip
DEPENDENCY_COLUMNS = ("task_id", "depends_on_id")
MILESTONE_COLUMNS = (
    "created_at", "updated_at", "project_id", "customer_id", "phase_id", "name", "name_en", "due_on", "delivery_event",
    "status", "accepted_on", "accepted_at", "accepted_by_id",
)  # fmt: skip
RISK_COLUMNS = (
    "created_at", "updated_at", "version", "project_id", "customer_id", "kind", "title", "description", "impact",
    "likelihood", "mitigation", "owner_id", "due_on", "status", "closed_at", "raised_by_id",
)  # fmt: skip
TIME_COLUMNS = (
    "created_at", "updated_at", "project_id", "customer_id", "task_id", "user_id", "work_date", "hours", "note", "status",
    "decided_by_id", "decided_at", "reject_reason",
)  # fmt: skip
ACCOUNT_COLUMNS = ("customer_id", "user_id", "role", "added_at", "expires_with")
CONTRACT_COLUMNS = (
    "id", "created_at", "updated_at", "version", "number", "customer_id", "opportunity_id", "quote_id", "owner_id",
    "title", "status", "signed_on", "signed_by_contact_id", "amount", "tax_amount", "currency", "terms", "scope",
    "check_results", "activated_at", "ended_at", "end_reason",
)  # fmt: skip
PAYMENT_COLUMNS = (
    "contract_id", "customer_id", '"order"', "name", "percent", "amount", "trigger", "trigger_event", "expected_date",
    "status", "due_at",
)  # fmt: skip
TABLES = [model._meta.db_table for model in (Project, ProjectMember, Phase, Task, TaskDependency, Milestone, Risk, TimeEntry,
                                             Contract, PaymentMilestone, AccountMember)]  # fmt: skip
SMALL_TABLES = [model._meta.db_table for model in (User, Membership, Department)]
NOTES = ["联调", "现场支持", "参数配置", "问题排查", "需求沟通", "测试验证", "文档编写", ""]


def bulk_sizes(scale: str) -> dict[str, int]:
    factor = scale_factor(scale)
    if not factor:
        return {}
    sizes = {key: max(2, round(size * factor)) for key, size in FULL_SIZES.items()}
    sizes["gantt_tasks"] = GANTT_TASKS
    return sizes


def gantt_project() -> Project | None:
    """The Gantt benchmark's project."""
    return Project.objects.filter(number=GANTT_NUMBER, description__startswith=BULK_NOTE).first()


def bulk_delivery_loaded() -> dict[str, int] | None:
    found = gantt_project()
    if found is None:
        return None
    sizes: dict[str, int] = json.loads(found.description.removeprefix(BULK_NOTE).strip())
    return sizes


# --- The plan, in memory -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhasePlan:
    """A phase of the default template: its name, length, milestone and task lines."""

    name: str
    name_en: str
    days: int
    milestone: str
    milestone_en: str
    event: str
    tasks: list[tuple[str, Decimal]]


@dataclass
class PlannedTask:
    pk: int
    phase: int  # phase id
    phase_index: int
    order: int
    name: str
    start: date
    end: date
    estimate: Decimal
    assignee: int | None
    status: str = TaskStatus.TODO
    done_on: date | None = None
    depends_on: list[int] = field(default_factory=list)
    stream: int = 0  # the workstream, in the Gantt project


@dataclass
class Book:
    """The rows of the load, planned before any is written (the row lists go to COPY as they are)."""

    rng: random.Random
    loader: BulkLoader
    today: date
    template_id: int
    phases_plan: list[PhasePlan]
    hourly_cost: Decimal
    red_slip_days: int
    red_overdue_tasks: int
    tax_rate: Decimal
    next_id: dict[str, int]
    # (customer, user) pairs on an account team already, or granted by this load.
    account_pairs: set[tuple[int, int]]
    rows: dict[str, list[tuple]] = field(default_factory=dict)
    # user id -> [(task, project, customer, manager, first day, last day)] of the work that can be logged.
    work: dict[int, list[tuple[int, int, int, int, date, date]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    stamps: dict[int, str] = field(default_factory=dict)

    def take(self, table: str, n: int = 1) -> int:
        first = self.next_id[table]
        self.next_id[table] += n
        return first

    def add(self, table: str, row: tuple) -> None:
        self.rows.setdefault(table, []).append(row)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def stamp(self, day: date, hour: int = 10) -> str:
        """That day at `hour` (never later than now) as the database's timestamp text; computed once a day."""
        key = day.toordinal() * 24 + hour
        if key not in self.stamps:
            moment = timezone.make_aware(datetime.combine(day, time(hour, 0)))
            self.stamps[key] = self.loader.timestamp_text(min(moment, timezone.now()))
        return self.stamps[key]


@dataclass(frozen=True)
class Deal:
    """The contract a project delivers: its id, customer, sales rep, title, status, signing and end."""

    contract: int
    customer: int
    owner: int
    title: str
    status: str
    signed: date
    ended: date | None


def _phases_plan(template: ProjectTemplate) -> list[PhasePlan]:
    return [
        PhasePlan(p.name, p.name_en, max(int(p.duration_days), 1), p.milestone_name, p.milestone_name_en, p.milestone_event,
                  _template_tasks(p.tasks) or [(p.name, Decimal(0))])
        for p in template.phases.order_by("order", "id")
    ]  # fmt: skip


def _tasks_per_phase(rng: random.Random, plan: list[PhasePlan], wanted: int) -> list[int]:
    """At least one task per phase, then the template's further tasks in random phases until `wanted`."""
    counts = [1] * len(plan)
    room = [len(p.tasks) - 1 for p in plan]
    for _n in range(max(0, wanted - len(plan))):
        open_phases = [i for i, left in enumerate(room) if left > 0]
        if not open_phases:
            break
        chosen = open_phases[rng.randrange(len(open_phases))]
        counts[chosen] += 1
        room[chosen] -= 1
    return counts


def _progress(book: Book, tasks: list[PlannedTask], as_of: date) -> None:
    """Walk the chain as of a day: tasks past their end are done (unless one stalls, holding up the
    rest), the first one under way is in progress (or blocked), everything after waits."""
    rng = book.rng
    for task in tasks:
        if task.end < as_of - timedelta(days=2) and rng.random() > STALL:
            task.status = TaskStatus.DONE
            task.done_on = min(max(task.start, task.end + timedelta(days=rng.choice([-1, 0, 0, 0, 1, 2, 3]))), as_of)
            continue
        if task.start <= as_of:
            task.status = TaskStatus.BLOCKED if rng.random() < BLOCKED else TaskStatus.IN_PROGRESS
        break


def _finish_all(book: Book, tasks: list[PlannedTask], last_day: date) -> None:
    for task in tasks:
        task.status = TaskStatus.DONE
        task.done_on = min(max(task.start, task.end + timedelta(days=book.rng.choice([-1, 0, 0, 0, 1, 2]))), last_day)


def _health(book: Book, tasks: list[PlannedTask], milestones: list[tuple[date, bool]], risks: list[tuple[str, str]],
            planned_end: date) -> tuple[str, list[dict[str, Any]], date | None]:  # fmt: skip
    """What `health_compute` says of a running project, from its planned rows."""
    today = book.today
    open_tasks = [t for t in tasks if t.status in OPEN_TASK]
    overdue = sum(1 for t in open_tasks if t.end < today)
    forecast = max((t.end for t in open_tasks), default=None)
    if forecast is not None and overdue:
        forecast = max(forecast, today)
    slip = max((forecast - planned_end).days, 0) if forecast else 0
    late_milestones = sum(1 for due, accepted in milestones if not accepted and due < today)
    high_issues = sum(1 for kind, impact in risks if kind == RiskKind.ISSUE and impact == Level.HIGH)
    high_risks = sum(1 for kind, impact in risks if kind == RiskKind.RISK and impact == Level.HIGH)
    reasons: list[dict[str, Any]] = []
    if slip:
        reasons.append({"code": "slip", "days": slip})
    if overdue:
        reasons.append({"code": "overdue_tasks", "count": overdue})
    if late_milestones:
        reasons.append({"code": "late_milestones", "count": late_milestones})
    if high_issues:
        reasons.append({"code": "high_issues", "count": high_issues})
    if high_risks:
        reasons.append({"code": "high_risks", "count": high_risks})
    red = slip >= book.red_slip_days or overdue >= book.red_overdue_tasks or high_issues > 0
    return (Health.RED if red else Health.AMBER if reasons else Health.GREEN), reasons, forecast


@dataclass
class Outline:
    """One project's plan before its rows are written: phases, tasks and milestones."""

    pk: int
    start: date
    phases: list[tuple[int, int, PhasePlan]] = field(default_factory=list)  # (phase id, order, template phase)
    tasks: list[PlannedTask] = field(default_factory=list)
    # (phase id, phase index, name, English name, due, delivery event)
    milestones: list[tuple[int, int, str, str, date, str]] = field(default_factory=list)

    @property
    def planned_end(self) -> date:
        return max([t.end for t in self.tasks] + [m[4] for m in self.milestones] + [self.start])


def _lay_out(book: Book, *, start: date, stretch: float, wanted: int, engineers: list[int]) -> Outline:
    """The default template laid out from `start` as `project_open` does, its phases `stretch` times as
    long, with `wanted` tasks in one chain; the engineers take a phase each in turn."""
    outline = Outline(pk=book.take("project"), start=start)
    counts = _tasks_per_phase(book.rng, book.phases_plan, wanted)
    day, order, previous = start, 0, None
    for index, (plan, count) in enumerate(zip(book.phases_plan, counts, strict=True)):
        phase_id = book.take("phase")
        outline.phases.append((phase_id, index + 1, plan))
        length = max(round(plan.days * stretch), 1)
        end = day + timedelta(days=length - 1)
        share = max(length // count, 1)
        for n, (name, estimate) in enumerate(plan.tasks[:count]):
            task_start = min(day + timedelta(days=n * share), end)
            task_end = end if n == count - 1 else min(task_start + timedelta(days=share - 1), end)
            order += 1
            task = PlannedTask(pk=book.take("task"), phase=phase_id, phase_index=index, order=order, name=name,
                               start=task_start, end=task_end, estimate=estimate,
                               assignee=engineers[(index + n) % len(engineers)] if engineers else None)  # fmt: skip
            if previous is not None:
                task.depends_on.append(previous.pk)
            outline.tasks.append(task)
            previous = task
        if plan.milestone:
            outline.milestones.append((phase_id, index, plan.milestone, plan.milestone_en, end, plan.event))
        day = end + timedelta(days=1)
    return outline


def _write_project(
    book: Book, outline: Outline, *, deal: Deal, number: str, name: str, status: str, as_of: date, manager: int,
    engineers: list[int], closed: date | None, description: str = "", risks: list[tuple[str, str, str, str, str]] | None = None,
) -> str:  # fmt: skip
    """The project's rows, its team's account memberships while it runs, and its loggable work. Returns its health."""
    rng, pk, customer = book.rng, outline.pk, deal.customer
    running = status in (ProjectStatus.PLANNING, ProjectStatus.IN_PROGRESS, ProjectStatus.ON_HOLD)
    created = book.stamp(outline.start, 9)
    for phase_id, order, plan in outline.phases:
        book.add("phase", (phase_id, pk, order, plan.name, plan.name_en))
    done_by_phase: dict[int, list[PlannedTask]] = {}
    for task in outline.tasks:
        done_by_phase.setdefault(task.phase, []).append(task)
        updated = book.stamp(task.done_on or min(as_of, max(task.start, outline.start)), 17)
        book.add("task", (task.pk, created, updated, 1, pk, customer, task.phase, task.order, task.name, "", task.assignee,
                          task.start.isoformat(), task.end.isoformat(), task.estimate, str(task.status),
                          task.done_on.isoformat() if task.done_on else None))  # fmt: skip
        for depends_on in task.depends_on:
            book.add("dependency", (task.pk, depends_on))
        if task.assignee and task.status != TaskStatus.TODO and status != ProjectStatus.CANCELLED:
            until = task.done_on or as_of
            if until >= book.today - timedelta(days=TIMESHEET_DAYS):
                book.work.setdefault(task.assignee, []).append((task.pk, pk, customer, manager, task.start, until))
    milestone_states = []
    for phase_id, _index, label, label_en, due, event in outline.milestones:
        phase_tasks = done_by_phase.get(phase_id, [])
        accepted = due <= as_of and all(t.status == TaskStatus.DONE for t in phase_tasks)
        accepted_on = None
        if accepted:
            finished = max((t.done_on for t in phase_tasks if t.done_on), default=due)
            accepted_on = min(as_of, max(due, finished) + timedelta(days=rng.randint(0, 3)))
        milestone_states.append((due, accepted))
        book.add("milestone", (created, book.stamp(accepted_on, 16) if accepted_on else created, pk, customer, phase_id,
                               label, label_en, due.isoformat(), event,
                               str(MilestoneStatus.ACCEPTED if accepted else MilestoneStatus.OPEN),
                               accepted_on.isoformat() if accepted_on else None,
                               book.stamp(accepted_on, 16) if accepted_on else None, manager if accepted else None))  # fmt: skip
    open_risks = []
    for kind, title, impact, likelihood, mitigation in risks or []:
        raised = min(as_of, outline.start + timedelta(days=rng.randint(5, 40)))
        closed_at = None if running else book.stamp(min(as_of, raised + timedelta(days=rng.randint(7, 60))), 15)
        if running:
            open_risks.append((kind, impact))
        book.add("risk", (book.stamp(raised, 11), closed_at or book.stamp(raised, 11), 1, pk, customer, kind, title, "",
                          impact, likelihood, mitigation, manager,
                          (raised + timedelta(days=rng.randint(5, 25))).isoformat(),
                          str(RiskStatus.OPEN if running else RiskStatus.CLOSED), closed_at, manager))  # fmt: skip
    planned_end = outline.planned_end
    if running:
        health, reasons, forecast = _health(book, outline.tasks, milestone_states, open_risks, planned_end)
        health_at = book.loader.timestamp_text(timezone.now())
    else:
        health, reasons, forecast, health_at = Health.GREEN, [], None, book.stamp(closed or as_of, 18)
    book.add("project", (pk, created, health_at, 1, number, name[:160], str(status), outline.start.isoformat(),
                         planned_end.isoformat(), forecast.isoformat() if forecast else None,
                         book.stamp(closed, 18) if closed else None, str(health), json.dumps(reasons), health_at,
                         book.hourly_cost, description, deal.contract, customer, manager, book.template_id))  # fmt: skip
    team = [(manager, TeamRole.MANAGER), *((e, TeamRole.ENGINEER) for e in engineers if e != manager)]
    if deal.owner not in {user for user, _role in team}:
        team.append((deal.owner, TeamRole.SALES))
    for user, role in team:
        book.add("member", (pk, user, str(role), created))
        # While it runs, its team sits on the customer's account team (unless already there).
        if running and (customer, user) not in book.account_pairs:
            book.account_pairs.add((customer, user))
            book.add("account", (customer, user, str(ACCOUNT_ROLE[role]), created, f"project:{pk}"))
    book.count(f"{status} projects")
    book.count(f"{health} running" if running else "archived")
    return str(health)


# --- The ordinary projects -------------------------------------------------------------------------------


def _plan_bulk_project(book: Book, deal: Deal, *, serial: int, manager: int, engineers: list[int]) -> None:
    rng, today = book.rng, book.today
    outline = _lay_out(book, start=deal.signed, stretch=rng.uniform(1.8, 2.6), wanted=rng.randint(8, 12),
                       engineers=engineers)  # fmt: skip
    planned_end = outline.planned_end
    handed_over = planned_end + timedelta(days=rng.randint(10, 45))
    closed: date | None = None
    if deal.status == ContractStatus.TERMINATED:
        status = ProjectStatus.CANCELLED
        closed = as_of = min(today, max(outline.start + timedelta(days=1), deal.ended or planned_end))
        _progress(book, outline.tasks, as_of)
    elif handed_over < today:
        status, closed, as_of = ProjectStatus.CLOSED, handed_over, handed_over
        _finish_all(book, outline.tasks, planned_end + timedelta(days=5))
    elif outline.start > today - timedelta(days=2):
        status, as_of = ProjectStatus.PLANNING, today
    else:
        as_of = today
        status = ProjectStatus.ON_HOLD if rng.random() < ON_HOLD else ProjectStatus.IN_PROGRESS
        _progress(book, outline.tasks, as_of)
    running = closed is None
    risks = []
    if rng.random() < RISK_SHARE["running" if running else "archived"]:
        risks.append(RISKS[rng.randrange(len(RISKS))])
    _write_project(book, outline, deal=deal, number=f"PB-{outline.start.year}-{serial:06d}", name=deal.title, status=status,
                   as_of=as_of, manager=manager, engineers=engineers, closed=closed, risks=risks)  # fmt: skip


# --- The Gantt benchmark's project -----------------------------------------------------------------------


def _split(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights`, by largest remainder, at least one each."""
    whole = sum(weights)
    shares = [max(1, total * w // whole) for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: -(total * weights[i] % whole))
    i = 0
    while sum(shares) < total:
        shares[remainders[i % len(weights)]] += 1
        i += 1
    while sum(shares) > total:
        largest = max(range(len(shares)), key=lambda j: shares[j])
        shares[largest] -= 1
    return shares


def _gantt_outline(book: Book, *, start: date, engineers: list[int]) -> Outline:
    """GANTT_TASKS tasks over the template's phases (five times as long), each phase in parallel
    workstreams. Within a workstream tasks follow each other; each workstream's first task in a phase
    waits on its own last task of the phase before, a third also on a neighbour's; one task in ten waits
    on some task of an earlier phase and one in twenty on an earlier one of another workstream."""
    rng = book.rng
    outline = Outline(pk=book.take("project"), start=start)
    counts = _split(GANTT_TASKS, [p.days for p in book.phases_plan])
    day, order = start, 0
    previous_ends: dict[int, PlannedTask] = {}  # workstream -> its last task of the previous phase
    earlier: list[PlannedTask] = []  # tasks of the phases before
    for index, (plan, count) in enumerate(zip(book.phases_plan, counts, strict=True)):
        phase_id = book.take("phase")
        outline.phases.append((phase_id, index + 1, plan))
        length = max(plan.days * 5, 1)
        end = day + timedelta(days=length - 1)
        streams = min(len(WORKSTREAMS), count)
        in_phase: list[PlannedTask] = []
        last_of_stream: dict[int, PlannedTask] = {}
        for stream, stream_count in enumerate(_split(count, [1] * streams)):
            # Cut the phase into `stream_count` consecutive tasks of uneven length.
            cuts = sorted(rng.sample(range(1, length), stream_count - 1)) if length > stream_count else list(range(1, stream_count))
            bounds = [0, *cuts, length]
            previous: PlannedTask | None = None
            base_names = plan.tasks
            for n in range(stream_count):
                first_day = day + timedelta(days=bounds[n])
                last_day = max(first_day, day + timedelta(days=bounds[n + 1] - 1))
                base, estimate = base_names[n % len(base_names)]
                round_number = n // len(base_names) + 1
                label = f"{WORKSTREAMS[stream]}：{base}" + (f"（{round_number}）" if round_number > 1 else "")
                order += 1
                assignee = engineers[(stream + (n % 2) * len(WORKSTREAMS)) % len(engineers)] if engineers else None
                task = PlannedTask(pk=book.take("task"), phase=phase_id, phase_index=index, order=order, name=label[:160],
                                   start=first_day, end=last_day, estimate=estimate, assignee=assignee, stream=stream)  # fmt: skip
                if previous is not None:
                    task.depends_on.append(previous.pk)
                else:
                    if stream in previous_ends:
                        task.depends_on.append(previous_ends[stream].pk)
                    neighbour = previous_ends.get((stream + 1) % len(WORKSTREAMS))
                    if stream % 3 == 0 and neighbour is not None:
                        task.depends_on.append(neighbour.pk)
                if earlier and rng.random() < 0.1:
                    task.depends_on.append(earlier[rng.randrange(len(earlier))].pk)
                if previous is not None and rng.random() < 0.05:
                    before = [t for t in in_phase if t.end < task.start and t.pk != previous.pk]
                    if before:
                        task.depends_on.append(before[rng.randrange(len(before))].pk)
                task.depends_on = list(dict.fromkeys(task.depends_on))
                outline.tasks.append(task)
                in_phase.append(task)
                previous = last_of_stream[stream] = task
        milestone = plan.milestone or f"{plan.name}完成"
        milestone_en = plan.milestone_en or (f"{plan.name_en} complete" if plan.name_en else "")
        outline.milestones.append((phase_id, index, milestone, milestone_en, end, plan.event))
        previous_ends = last_of_stream
        earlier.extend(in_phase)
        day = end + timedelta(days=1)
    outline.tasks.sort(key=lambda t: (t.start, t.order))
    return outline


def _gantt_progress(book: Book, outline: Outline) -> None:
    """As of today, workstream by workstream: past tasks done unless one runs late (one in twenty), which
    holds up the rest of its stream; the first task not done is in progress, or blocked while a task
    it waits on (in another stream) is not done; what follows it waits."""
    rng, today = book.rng, book.today
    status: dict[int, str] = {}
    halted: set[int] = set()
    # By start: every task a task waits on ends before it starts, so its status is known by then.
    for task in sorted(outline.tasks, key=lambda t: (t.start, t.order)):
        ready = all(status.get(pk) == TaskStatus.DONE for pk in task.depends_on)
        if task.stream in halted:
            task.status = TaskStatus.TODO
        elif task.end < today - timedelta(days=2) and ready and rng.random() > 0.05:
            task.status = TaskStatus.DONE
            task.done_on = min(max(task.start, task.end + timedelta(days=rng.choice([-1, 0, 0, 1, 2]))), today)
        elif task.start <= today:
            task.status = TaskStatus.IN_PROGRESS if ready else TaskStatus.BLOCKED
            halted.add(task.stream)
        else:
            halted.add(task.stream)
        status[task.pk] = task.status


def _plan_gantt(book: Book, deal: Deal, *, manager: int, engineers: list[int], sizes: dict[str, int]) -> int:
    outline = _gantt_outline(book, start=deal.signed, engineers=engineers)
    _gantt_progress(book, outline)
    risks = [RISKS[0], RISKS[1], RISKS[3]]
    _write_project(book, outline, deal=deal, number=GANTT_NUMBER, name=GANTT_NAME, status=ProjectStatus.IN_PROGRESS,
                   as_of=book.today, manager=manager, engineers=engineers, closed=None,
                   description=f"{BULK_NOTE} {json.dumps(sizes, sort_keys=True)}", risks=risks)  # fmt: skip
    book.count("gantt dependencies", sum(len(t.depends_on) for t in outline.tasks))
    return outline.pk


# --- Contracts, people, timesheets -----------------------------------------------------------------------


def _add_contract(book: Book, *, customer: int, owner: int, signed: date, number: str, title: str, amount: Decimal) -> Deal:
    """A contract with the four standard payment milestones, as the sales share writes them: completed
    after 600 days, its milestones paid 45 days after they fall due."""
    today = book.today
    pk = book.take("contract")
    completed = (today - signed).days > 600
    status = ContractStatus.COMPLETED if completed else ContractStatus.ACTIVE
    ended = signed + timedelta(days=600) if completed else None
    moment = book.stamp(signed)
    book.add("contract", (pk, moment, moment, 1, number, customer, None, None, owner, title[:160], str(status),
                          signed.isoformat(), None, amount, money(amount * book.tax_rate / (HUNDRED + book.tax_rate)), "CNY",
                          "", "[]", "[]", moment, book.stamp(ended) if ended else None, ""))  # fmt: skip
    remaining = amount
    for order, (name, percent, trigger, event, days) in enumerate(MILESTONE_PLAN, start=1):
        share = remaining if order == len(MILESTONE_PLAN) else money(amount * percent / HUNDRED)
        remaining -= share
        expected = signed + timedelta(days=days)
        if completed or expected <= today - timedelta(days=45):
            state, due = PaymentStatus.PAID, expected
        elif expected <= today:
            state, due = PaymentStatus.DUE, expected
        else:
            state, due = PaymentStatus.PENDING, None
        book.add("payment", (pk, customer, order, name, percent, share, str(trigger), str(event), expected.isoformat(),
                             str(state), book.stamp(due, 0) if due else None))  # fmt: skip
    book.count("contracts added")
    return Deal(pk, customer, owner, title, str(status), signed, ended)


def _deals(book: Book, wanted: int, customers: list[tuple[int, int]], bench_id: int) -> list[Deal]:
    """`wanted` contracts without a project: the bulk contracts already there (evenly sampled if there
    are more), then older ones added, signed over HISTORY_YEARS before the oldest."""
    rng, today = book.rng, book.today
    found = [
        Deal(pk, customer, owner, title, status, signed or today, timezone.localdate(ended) if ended else None)
        for pk, customer, owner, title, status, signed, ended in Contract.objects.filter(
            customer__notes=BULK_NOTE, projects__isnull=True, signed_on__isnull=False,
            status__in=[ContractStatus.ACTIVE, ContractStatus.COMPLETED, ContractStatus.TERMINATED],
        ).exclude(customer_id=bench_id).order_by("signed_on", "id")
        .values_list("id", "customer_id", "owner_id", "title", "status", "signed_on", "ended_at")
    ]  # fmt: skip
    if len(found) > wanted:
        found = [found[i * len(found) // wanted] for i in range(wanted)]
    book.count("contracts reused", len(found))
    missing = wanted - len(found)
    latest = found[0].signed - timedelta(days=1) if found else today
    earliest = latest - timedelta(days=365 * HISTORY_YEARS)
    added = []
    for serial in range(1, missing + 1):
        signed = earliest + timedelta(days=rng.randint(0, (latest - earliest).days))
        customer, owner = customers[rng.randrange(len(customers))]
        added.append(_add_contract(book, customer=customer, owner=owner, signed=signed, number=f"CD-{signed.year}-{serial:06d}",
                                   title=PROJECTS[rng.randrange(len(PROJECTS))][0],
                                   amount=Decimal(rng.randrange(100, 1000) * 10_000)))  # fmt: skip
    return sorted([*found, *added], key=lambda d: (d.signed, d.contract))


def _bench_staff(rng: random.Random, prefix: str, position: str, count: int) -> list[int]:
    """`count` people of the benchmark delivery department. No password: nobody signs in as them."""
    code, name, name_en = BENCH_DEPARTMENT
    department, _created = Department.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "order": 91})
    existing = dict(User.objects.filter(username__startswith=prefix).values_list("username", "pk"))
    ids = []
    for index in range(1, count + 1):
        username = f"{prefix}{index:03d}"
        if username not in existing:
            existing[username] = user_create(username=username, password=None, full_name=person_name(rng),
                                             email=f"{username}@touchpoint.example", department=department,
                                             positions=[position]).pk  # fmt: skip
        ids.append(existing[username])
    return ids


def _timesheets(book: Book) -> None:
    """The last eight weeks of hours: each working day an engineer splits about eight hours over one or
    two of the tasks they had under way that day. Hours up to the Monday before last are approved by
    the project manager (one entry in a hundred rejected); the rest wait for approval."""
    rng, today = book.rng, book.today
    monday = today - timedelta(days=today.weekday())
    approved_until = monday - timedelta(days=7)
    days = [today - timedelta(days=n) for n in range(TIMESHEET_DAYS, -1, -1)]
    days = [d for d in days if d.weekday() < 5]
    for user in sorted(book.work):
        spans = book.work[user]
        for day in days:
            active = [s for s in spans if s[4] <= day <= s[5]]
            if not active:
                continue
            chosen = rng.sample(active, min(2, len(active)))
            split: tuple[float, ...] = (rng.choice([6, 7, 7.5, 8]),) if len(chosen) == 1 else rng.choice([(4, 4), (5, 3), (6, 2)])
            hours = [Decimal(h) for h in split]
            for (task, project, customer, manager, _first, _last), spent in zip(chosen, hours, strict=False):
                logged = book.stamp(day, 18)
                if day < approved_until and manager != user:
                    rejected = rng.random() < 0.01
                    decided = book.stamp(day - timedelta(days=day.weekday()) + timedelta(days=7), 9)
                    status = TimeStatus.REJECTED if rejected else TimeStatus.APPROVED
                    book.add("time", (logged, decided, project, customer, task, user, day.isoformat(), spent,
                                      NOTES[rng.randrange(len(NOTES))], str(status), manager, decided,
                                      "工时与任务不符，请拆分到具体任务后重新提交。" if rejected else ""))  # fmt: skip
                else:
                    book.add("time", (logged, logged, project, customer, task, user, day.isoformat(), spent,
                                      NOTES[rng.randrange(len(NOTES))], str(TimeStatus.SUBMITTED), None, None, ""))  # fmt: skip


def _open_tasks(username: str) -> int:
    return Task.objects.filter(assignee__username=username, status__in=OPEN_TASK, project__status__in=RUNNING).count()


def _running_managed(username: str) -> int:
    return Project.objects.filter(manager__username=username, status__in=RUNNING).count()


def load_bulk_delivery(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    sizes = bulk_sizes(scale)
    if not sizes:
        return ""
    loaded = bulk_delivery_loaded()
    if loaded is not None:
        return f"bulk delivery: already loaded at {loaded}"
    bench = bench_customer()
    if bench is None:
        return "bulk delivery: no bulk customers"
    staff = {u.username: u for users in users_by_position().values() for u in users}
    if BENCH_MANAGER not in staff or BENCH_ENGINEER not in staff:
        return "bulk delivery: no delivery staff"
    template = ProjectTemplate.objects.filter(is_active=True, is_default=True).order_by("id").first()
    if template is None:
        return "bulk delivery: no default project template"
    customers = list(Customer.objects.filter(notes=BULK_NOTE).exclude(pk=bench.pk).order_by("id").values_list("id", "owner_id"))
    if not customers:
        return "bulk delivery: no bulk customers"
    loader = BulkLoader(report=out)
    settings = DeliverySettings.current()
    with transaction.atomic():
        engineers = _bench_staff(rng, "bencheng", Position.ENGINEER, sizes["engineers"])
        managers = _bench_staff(rng, "benchpm", Position.PROJECT_MANAGER, sizes["managers"])
        demo_engineers = [u.pk for u in users_by_position().get("engineer", [])]
        # The bench engineer is in the pool twice: the "my tasks" benchmark measures a busy engineer.
        engineer_pool = [*engineers, *demo_engineers, staff[BENCH_ENGINEER].pk]
        manager_pool = [*managers, staff[BENCH_MANAGER].pk]
        book = Book(
            rng=rng, loader=loader, today=timezone.localdate(), template_id=template.pk, phases_plan=_phases_plan(template),
            hourly_cost=settings.hourly_cost, red_slip_days=settings.red_slip_days,
            red_overdue_tasks=settings.red_overdue_tasks, tax_rate=default_tax_rate(),
            next_id={key: loader.next_id(model._meta.db_table) for key, model in
                     (("project", Project), ("phase", Phase), ("task", Task), ("contract", Contract))},
            account_pairs=set(AccountMember.objects.values_list("customer_id", "user_id")),
        )  # fmt: skip
        deals = _deals(book, sizes["projects"] - 1, customers, bench.pk)
        for serial, deal in enumerate(deals, start=1):
            team = rng.sample(engineer_pool, 2)
            while team[0] == team[1]:
                team = rng.sample(engineer_pool, 2)
            _plan_bulk_project(book, deal, serial=serial, manager=manager_pool[rng.randrange(len(manager_pool))], engineers=team)
        # The Gantt project: a large contract signed eight months ago, its manager the bench PM, sixteen
        # engineers (the demo's among them) on its workstreams.
        customer, owner = customers[len(customers) // 2]
        gantt_deal = _add_contract(book, customer=customer, owner=owner, signed=book.today - timedelta(days=240),
                                   number=GANTT_CONTRACT, title=GANTT_NAME, amount=Decimal(28_600_000))  # fmt: skip
        gantt_team = list(dict.fromkeys([staff[BENCH_ENGINEER].pk, *demo_engineers, *engineers]))[:GANTT_ENGINEERS]
        gantt_id = _plan_gantt(book, gantt_deal, manager=staff[BENCH_MANAGER].pk, engineers=gantt_team, sizes=sizes)
        _timesheets(book)
        tables = {"contract": (Contract, CONTRACT_COLUMNS), "payment": (PaymentMilestone, PAYMENT_COLUMNS),
                  "project": (Project, PROJECT_COLUMNS), "member": (ProjectMember, MEMBER_COLUMNS),
                  "phase": (Phase, PHASE_COLUMNS), "task": (Task, TASK_COLUMNS),
                  "dependency": (TaskDependency, DEPENDENCY_COLUMNS), "milestone": (Milestone, MILESTONE_COLUMNS),
                  "risk": (Risk, RISK_COLUMNS), "time": (TimeEntry, TIME_COLUMNS),
                  "account": (AccountMember, ACCOUNT_COLUMNS)}  # fmt: skip
        written: dict[str, int] = {}
        with loader.loading(TABLES):
            for key, (model, columns) in tables.items():
                written[key] = loader.write(model._meta.db_table, columns, book.rows.get(key, []))
            for table in TABLES:
                loader.reset_sequence(table)
    # Outside the load's transaction, so that PostgreSQL vacuums too (index-only scans need the visibility map).
    loader.analyze([*TABLES, *SMALL_TABLES])
    out(f"bulk: gantt project id {gantt_id} ({GANTT_TASKS} tasks, {book.counts.get('gantt dependencies', 0)} dependencies), "
        f"{BENCH_ENGINEER} has {_open_tasks(BENCH_ENGINEER)} open tasks, {BENCH_MANAGER} manages "
        f"{_running_managed(BENCH_MANAGER)} running projects")  # fmt: skip
    states = ", ".join(f"{n} {key}" for key, n in sorted(book.counts.items()) if key.endswith(("projects", "running", "archived")))
    return (f"bulk delivery: {written['project']} projects ({states}), {written['phase']} phases, {written['task']} tasks, "
            f"{written['dependency']} dependencies, {written['milestone']} milestones, {written['member']} team members, "
            f"{written['time']} time entries, {written['risk']} risks, {written['account']} account-team grants; "
            f"{book.counts.get('contracts reused', 0)} contracts reused, {written['contract']} added "
            f"({len(engineers)} bench engineers, {len(managers)} bench project managers)")  # fmt: skip


demo_steps["delivery.bulk"] = DemoStep(key="delivery.bulk", order=1600, run=load_bulk_delivery)
