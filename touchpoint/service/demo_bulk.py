"""The service share of the scale dataset (demo step order 1700, after the delivery share).

At full scale 2,000,000 service requests over the last three years, 200,000 of them open, and about
10,000,000 handoffs: each request is routed to the maintenance centre's L1 queue and assigned there,
then about half move on to engineering, sales or finance (and often back: a ping-pong flags the
request as bouncing), each stop assigned to an agent of that queue. Stays in a department follow a
lognormal law per department (the maintenance centre a couple of hours, engineering about a day).
Bounced requests carry their level-1 escalation; a few open ones are stuck, with theirs.

The requests belong to the bulk customers; the agents are a benchmark maintenance crew seated in the
default queues (400 at full scale), plus the demo's agent `fenglei`, who holds a normal agent's share
of the open requests (about 250) for the "agent's queue" benchmark.

Rows are written in chunks of requests, each chunk's requests, handoffs and escalations one COPY each
(batched inserts on SQLite), with the secondary indexes off during the load. Deadlines are wall-clock
approximations of the SLA targets (the bench measures reads; `sla_recompute` puts them right in
business time). Bulk rows carry no events, status rows or messages. Fractional scales shrink every
count (at least two agents per queue).
"""

import json
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from touchpoint.core.bulk import BulkLoader
from touchpoint.core.extensions import DemoStep, demo_steps
from touchpoint.customers.demo import BULK_NOTE, person_name, scale_factor
from touchpoint.customers.models import Customer
from touchpoint.org.models import Position, User
from touchpoint.org.services import user_create
from touchpoint.service.models import Escalation, Handoff, Queue, QueueMember, ServiceRequest, SlaPolicy

FULL_SIZES = {"requests": 2_000_000, "open": 200_000, "agents": 400}
BENCH_AGENT = "fenglei"
AGENT_OPEN_SHARE = 250 / 200_000
MARKER = "SR-B00000001"
CHUNK = 20_000
HISTORY_DAYS = 3 * 365
OPEN_DAYS = 60
# Agents per queue, as shares of the crew; and each department's stay: lognormal median (hours) and spread.
CREW = {"l1": 0.5, "engineering": 0.3, "sales": 0.12, "finance": 0.08}
STAY = {"l1": (2.0, 1.1), "engineering": (20.0, 1.0), "sales": (8.0, 0.9), "finance": (12.0, 0.9)}
# Department transfers per request after L1, and the chance that a transfer goes back where it came from.
TRANSFERS = ((0, 0.30), (1, 0.25), (2, 0.22), (3, 0.12), (4, 0.07), (5, 0.04))
RETURN = 0.15
BOUNCE_HOPS = 3
STUCK_SHARE = 0.03
WAITING_SHARE = 0.12
SUBJECTS = ["集中交易系统委托回报延迟", "行情快照丢失", "清算文件生成失败", "融资融券额度校验报错", "网上交易登录超时",
            "风控指标计算不一致", "柜台系统升级咨询", "报表导出乱码", "新增营业部参数配置", "数据修复申请"]  # fmt: skip
CHANNELS = ["phone", "email", "portal", "wechat", "meeting", "fax", "letter"]
CHANNEL_WEIGHTS = [40, 30, 15, 10, 2, 2, 1]
CATEGORIES = ["fault", "consultation", "change", "upgrade", "training", "data_fix", "complaint"]
CATEGORY_WEIGHTS = [45, 25, 10, 8, 4, 6, 2]
SEVERITIES = ["P1", "P2", "P3", "P4"]
SEVERITY_WEIGHTS = [3, 17, 50, 30]
REASONS = ["需要研发排查", "涉及商务条款", "账务问题", "非缺陷，退回维护", "补充信息后转回", "客户要求升级处理"]

REQUEST_COLUMNS = tuple(f.column for f in ServiceRequest._meta.concrete_fields)
HANDOFF_COLUMNS = tuple(f.column for f in Handoff._meta.concrete_fields if f.column != "id")
ESCALATION_COLUMNS = tuple(f.column for f in Escalation._meta.concrete_fields if f.column != "id")
TABLES = [model._meta.db_table for model in (ServiceRequest, Handoff, Escalation)]


def bulk_sizes(scale: str) -> dict[str, int]:
    factor = scale_factor(scale)
    if not factor:
        return {}
    return {key: max(2 if key == "agents" else 20, round(size * factor)) for key, size in FULL_SIZES.items()}


def bulk_service_loaded() -> dict[str, int] | None:
    found = ServiceRequest.objects.filter(number=MARKER).values_list("description", flat=True).first()
    if not found or not found.startswith(BULK_NOTE):
        return None
    sizes: dict[str, int] = json.loads(found.removeprefix(BULK_NOTE).strip())
    return sizes


@dataclass
class Desk:
    """What the stories are told with: queues by code with their department and agents, policies, customers."""

    queues: dict[str, tuple[int, int, list[int]]]  # code -> (queue id, department id, agent ids)
    policies: dict[str, tuple[int, int, int, int]]  # severity -> (policy id, calendar id, response min, resolution min)
    customers: list[int]
    bench_agent: int
    now: datetime
    counts: dict[str, int] = field(default_factory=dict)


def _crew(rng: random.Random, total: int) -> dict[str, tuple[int, int, list[int]]]:
    """The benchmark crew, seated in the default queues (created once; no password)."""
    queues = {q.code: q for q in Queue.objects.filter(code__in=list(CREW))}
    crew: dict[str, tuple[int, int, list[int]]] = {}
    existing = dict(User.objects.filter(username__startswith="benchsvc").values_list("username", "pk"))
    for code, share in CREW.items():
        queue = queues[code]
        ids = []
        for index in range(1, max(2, round(total * share)) + 1):
            username = f"benchsvc-{code[:3]}{index:03d}"
            if username not in existing:
                position = Position.MAINTENANCE_AGENT if code == "l1" else Position.ENGINEER
                existing[username] = user_create(username=username, password=None, full_name=person_name(rng),
                                                 email=f"{username}@touchpoint.example", department=queue.department,
                                                 positions=[position]).pk  # fmt: skip
            ids.append(existing[username])
            QueueMember.objects.get_or_create(queue=queue, user_id=existing[username])
        crew[code] = (queue.pk, queue.department_id, ids)
    return crew


def _stay(rng: random.Random, code: str) -> float:
    median, spread = STAY[code]
    return max(60.0, rng.lognormvariate(math.log(median * 3600), spread))


def _pick(rng: random.Random, values: list[str], weights: list[int]) -> str:
    return rng.choices(values, weights)[0]


@dataclass
class Story:
    request: tuple[Any, ...]
    handoffs: list[tuple[Any, ...]]
    escalations: list[tuple[Any, ...]]


def _story(desk: Desk, loader: BulkLoader, rng: random.Random, pk: int, is_open: bool, sizes: dict[str, int],
           bench_agent: bool = False) -> Story:  # fmt: skip
    """One request from logging to where it is now (or to its resolution), with its handoffs."""
    now = desk.now
    ts, flag = loader.timestamp_text, loader.boolean
    if is_open:
        created = now - timedelta(seconds=OPEN_DAYS * 86400 * rng.random() ** 2)
    else:
        created = now - timedelta(seconds=rng.uniform(OPEN_DAYS / 2, HISTORY_DAYS) * 86400)
    customer = desk.customers[rng.randrange(len(desk.customers))]
    severity = _pick(rng, SEVERITIES, SEVERITY_WEIGHTS)
    policy, calendar, response_minutes, resolution_minutes = desk.policies[severity]
    transfers = rng.choices([n for n, _w in TRANSFERS], [w for _n, w in TRANSFERS])[0]
    stops = ["l1"]
    for _index in range(transfers):
        if len(stops) >= 2 and rng.random() < RETURN:
            stops.append(stops[-2])
        else:
            stops.append(rng.choice([code for code in CREW if code != stops[-1]]))
    if bench_agent and stops[-1] != "l1":
        stops.append("l1")  # the agent's requests are back with the maintenance centre
    # Times: a stay in each department; an open request's stays are squeezed to end before now.
    stays = [_stay(rng, code) for code in stops]
    budget = (now - created).total_seconds() * (0.9 if is_open else 10**9)
    if sum(stays[:-1]) > budget:
        ratio = budget / sum(stays[:-1])
        stays = [s * ratio for s in stays]
    owner = desk.queues["l1"][2][rng.randrange(len(desk.queues["l1"][2]))]
    handoffs: list[tuple[Any, ...]] = []
    at, previous_user, previous_queue, previous_department = created, None, None, None
    hops, ping_pong = 0, False
    for index, code in enumerate(stops):
        queue, department, agents = desk.queues[code]
        agent: int | None = desk.bench_agent if bench_agent and index == len(stops) - 1 else agents[rng.randrange(len(agents))]
        if is_open and index == len(stops) - 1 and not bench_agent and rng.random() < 0.1:
            agent = None
        if index == 0:
            handoffs.append((pk, customer, "route", None, None, None, None, queue, department, "Routed on intake", None,
                             ts(at), None))  # fmt: skip
        else:
            hops += 1
            ping_pong = ping_pong or (index >= 2 and stops[index - 2] == code)
            seconds = int(stays[index - 1])
            at = at + timedelta(seconds=stays[index - 1])
            kind = "return" if index >= 2 and stops[index - 2] == code else "transfer"
            handoffs.append((pk, customer, kind, previous_user, previous_queue, previous_department, None, queue, department,
                             REASONS[rng.randrange(len(REASONS))], previous_user, ts(at), seconds))  # fmt: skip
        if agent is not None:
            handoffs.append((pk, customer, "assign", None, queue, department, agent, queue, department, "Assigned", None,
                             ts(at + timedelta(minutes=3)), None))  # fmt: skip
        previous_user, previous_queue, previous_department = agent, queue, department
    department_since = at
    bounced = ping_pong or hops > BOUNCE_HOPS
    responded = created + timedelta(seconds=rng.lognormvariate(math.log(1800), 1.0))
    response_due = created + timedelta(minutes=response_minutes * 2.5)
    resolution_due = created + timedelta(minutes=resolution_minutes * 2.8)
    response_warn = created + timedelta(minutes=response_minutes * 2.5 * 0.75)
    resolution_warn = created + timedelta(minutes=resolution_minutes * 2.8 * 0.75)
    response_breached = responded > response_due
    resolved_at = closed_at = paused_at = None
    stuck = False
    if is_open:
        waiting = rng.random() < WAITING_SHARE
        status = "waiting" if waiting else rng.choice(["new", "triaged", "in_progress", "in_progress", "in_progress"])
        if responded > now:
            responded = None  # type: ignore[assignment]
            response_breached = False
        last_action = max(department_since, now - timedelta(seconds=rng.uniform(600, 5 * 86400)))
        stuck = not waiting and rng.random() < STUCK_SHARE
        if stuck:
            last_action = department_since
        if waiting:
            paused_at = last_action
            state = "breached" if response_breached else "paused"
        elif response_breached or now >= resolution_due:
            state = "breached"
        elif now >= resolution_warn:
            state = "warning"
        else:
            state = "ok"
        resolution_breached = False
    else:
        resolved_at = department_since + timedelta(seconds=_stay(rng, stops[-1]))
        status = "closed" if rng.random() < 0.8 else "resolved"
        closed_at = resolved_at + timedelta(days=3) if status == "closed" else None
        resolution_breached = resolved_at > resolution_due
        state = "breached" if response_breached or resolution_breached else "met"
        last_action = closed_at or resolved_at
    escalations: list[tuple[Any, ...]] = []
    if bounced:
        escalations.append((pk, customer, 1, "bounce", owner, "", None, ts(department_since)))
    if stuck:
        escalations.append((pk, customer, 1, "stuck", owner, "", None, ts(now - timedelta(hours=1))))
    channel = _pick(rng, CHANNELS, CHANNEL_WEIGHTS)
    category = _pick(rng, CATEGORIES, CATEGORY_WEIGHTS)
    number = f"SR-B{pk - desk.counts['first_id'] + 1:08d}"
    description = f"{BULK_NOTE} {json.dumps(sizes, sort_keys=True)}" if number == MARKER else ""
    last_agent = previous_user
    values = {
        "id": pk, "created_at": ts(created), "updated_at": ts(last_action), "version": 1, "number": number,
        "customer_id": customer, "contact_id": None, "requester_email": "", "installed_item_id": None, "product_id": None,
        "product_version_id": None, "category": category, "severity": severity, "impact": "few", "channel": channel,
        "subject": SUBJECTS[rng.randrange(len(SUBJECTS))], "description": description, "status": status,
        "needs_triage": flag(False), "entitlement": "maintenance", "coverage_id": None, "owner_id": owner,
        "queue_id": previous_queue, "assignee_id": last_agent, "department_id": previous_department,
        "department_since": ts(department_since), "sla_policy_id": policy, "calendar_id": calendar, "sla_state": state,
        "response_due_at": ts(response_due), "responded_at": ts(responded) if responded else None,
        "resolution_due_at": None if paused_at else ts(resolution_due),
        "resolution_warn_at": None if paused_at else ts(resolution_warn), "response_warn_at": ts(response_warn),
        "clock_started_at": None if (paused_at or not is_open) else ts(created), "spent_seconds": 0,
        "paused_at": ts(paused_at) if paused_at else (ts(resolved_at) if resolved_at else None),
        "response_breached": flag(response_breached), "resolution_breached": flag(resolution_breached), "hops": hops,
        "bounced": flag(bounced), "stuck": flag(stuck), "last_action_at": ts(last_action),
        "escalation_level": 1 if escalations else 0, "reopened": 0, "resolution": "" if is_open else "已处理",
        "resolved_at": ts(resolved_at) if resolved_at else None, "closed_at": ts(closed_at) if closed_at else None,
        "created_by_id": None,
    }  # fmt: skip
    return Story(request=tuple(values[c] for c in REQUEST_COLUMNS), handoffs=handoffs, escalations=escalations)


def _chunks(desk: Desk, loader: BulkLoader, rng: random.Random, sizes: dict[str, int]) -> Iterator[list[Story]]:
    total, open_count = sizes["requests"], sizes["open"]
    first = desk.counts["first_id"]
    # Which requests are open: spread evenly through the ids.
    step = total / open_count
    open_ids = {first + int(i * step) for i in range(open_count)}
    # The bench agent's share: about 250 at full scale, a handful at any scale.
    mine = set(rng.sample(sorted(open_ids), min(open_count, max(5, round(open_count * AGENT_OPEN_SHARE)))))
    for start in range(0, total, CHUNK):
        yield [_story(desk, loader, rng, first + n, first + n in open_ids, sizes, first + n in mine)
               for n in range(start, min(total, start + CHUNK))]  # fmt: skip


def load_bulk_service(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    sizes = bulk_sizes(scale)
    if not sizes:
        return ""
    loaded = bulk_service_loaded()
    if loaded is not None:
        return f"bulk service: already loaded at {loaded}"
    customers = list(Customer.objects.filter(notes=BULK_NOTE).order_by("id").values_list("id", flat=True))
    if not customers:
        return "bulk service: no bulk customers"
    bench_agent = User.objects.filter(username=BENCH_AGENT).first()
    if bench_agent is None:
        return f"bulk service: no demo agent {BENCH_AGENT}"
    policies = {}
    for policy in SlaPolicy.objects.filter(tier="standard"):
        policies[policy.severity] = (policy.pk, policy.calendar_id, policy.response_minutes, policy.resolution_minutes)
    if set(policies) != set(SEVERITIES):
        return "bulk service: no standard SLA policies"
    loader = BulkLoader(report=out)
    with transaction.atomic():
        queues = _crew(rng, sizes["agents"])
        l1 = Queue.objects.get(code="l1")
        QueueMember.objects.get_or_create(queue=l1, user=bench_agent)
        desk = Desk(queues=queues, policies=policies, customers=customers, bench_agent=bench_agent.pk, now=timezone.now(),
                    counts={"first_id": loader.next_id(ServiceRequest._meta.db_table)})  # fmt: skip
        written = {"requests": 0, "handoffs": 0, "escalations": 0}
        with loader.loading(TABLES):
            for stories in _chunks(desk, loader, rng, sizes):
                written["requests"] += loader.write(TABLES[0], REQUEST_COLUMNS, (s.request for s in stories))
                written["handoffs"] += loader.write(TABLES[1], HANDOFF_COLUMNS, (h for s in stories for h in s.handoffs))
                written["escalations"] += loader.write(TABLES[2], ESCALATION_COLUMNS, (e for s in stories for e in s.escalations))
            for table in TABLES:
                loader.reset_sequence(table)
    # Outside the load's transaction, so that PostgreSQL vacuums too (index-only scans need the visibility map).
    loader.analyze(TABLES)
    mine = ServiceRequest.objects.filter(assignee=bench_agent, status__in=("new", "triaged", "in_progress", "waiting")).count()
    out(f"bulk: {BENCH_AGENT} has {mine} open requests assigned")
    return (f"bulk service: {written['requests']} requests ({sizes['open']} open), {written['handoffs']} handoffs, "
            f"{written['escalations']} escalations, {sum(len(q[2]) for q in queues.values())} bench agents")  # fmt: skip


demo_steps["service.bulk"] = DemoStep(key="service.bulk", order=1700, run=load_bulk_service)
