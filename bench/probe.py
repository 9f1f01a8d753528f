"""In-process measurements: queries per request and the time of each scenario's main SQL.

Run by `python -m bench` as `python -m bench.probe --user NAME --out FILE` with the same
environment as the server. It asks the loaded dataset for the benchmark customer and search
terms, requests each scenario once through Django's test client while capturing the queries,
then re-runs the slowest SELECT with a raw cursor so the framework's share of a request shows.

With `--finance` it times the receivables report functions behind the finance pages, called
directly, and one dunning run over the overdue invoices (see `finance_run`); with `--delivery`, the
selectors and the Gantt layout behind the delivery pages (see `delivery_run`); with `--service`, the
selectors behind the agent's queue and the flow monitor, and one SLA recomputation of every open request
(see `service_run`).
"""

import argparse
import json
import os
import random
import statistics
import time
from typing import Any

import django


def _time_sql(sql: str, repeat: int = 5) -> float | None:
    from django.db import connection

    if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
        return None
    timings = []
    with connection.cursor() as cursor:
        for _ in range(repeat):
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def dataset_facts() -> dict[str, Any]:
    from pypinyin import Style, lazy_pinyin

    from touchpoint.customers.demo import BENCH_CUSTOMER_NAME, bench_customer, bulk_sizes_loaded
    from touchpoint.customers.models import Contact, Customer
    from touchpoint.touchpoints.models import Touchpoint

    customer = bench_customer()
    if customer is None:
        raise SystemExit(f"No benchmark customer ({BENCH_CUSTOMER_NAME}); run `python -m touchpoint demo --scale …`")
    contact = Contact.objects.filter(customer=customer).exclude(mobile="").order_by("id").first()
    phone = contact.mobile[3:10] if contact else "1380013"
    return {
        "customer_id": customer.pk,
        "customer_touchpoints": Touchpoint.objects.filter(customer=customer).count(),
        "two_chars": customer.short_name[:2],
        "initials": "".join(lazy_pinyin(customer.short_name, style=Style.FIRST_LETTER)),
        "phone_fragment": phone,
        "sizes_loaded": bulk_sizes_loaded(),
        "customers": Customer.objects.count(),
        "sales": sales_facts(),
        "finance": finance_facts(),
        "delivery": delivery_facts(),
        "service": service_facts(),
    }


def sales_facts() -> dict[str, Any] | None:
    """What the sales scenarios need: the signed-in people, the benchmark opportunity, the manager's
    open count, and a bundle of the five modules quoted most often. None without the bulk sales data."""
    from django.db.models import Count

    from touchpoint.org.demo import users_by_position
    from touchpoint.org.models import User
    from touchpoint.sales.demo import BENCH_MANAGER, bench_opportunity, bulk_sales_loaded, manager_open_opportunities
    from touchpoint.sales.models import Contract, LineKind, Opportunity, QuoteLine

    opportunity = bench_opportunity()
    if opportunity is None:
        return None
    bundle = (
        QuoteLine.objects.filter(kind=LineKind.LICENCE, module__retired_at__isnull=True)
        .values("module_id").annotate(lines=Count("id")).order_by("-lines", "module_id")
    )[:5]  # fmt: skip
    return {
        "manager": BENCH_MANAGER,
        "manager_open": manager_open_opportunities(User.objects.get(username=BENCH_MANAGER)),
        "executive": users_by_position()["executive"][0].username,
        "owner": opportunity.owner.username,
        "opportunity_id": opportunity.pk,
        "requirements": opportunity.requirements.count(),
        "opportunities": Opportunity.objects.count(),
        # What the recommendation reads: contracts made from quotes (the finance share adds contracts without).
        "contracts": Contract.objects.filter(quote__isnull=False).count(),
        "bundle_module_ids": [row["module_id"] for row in bundle],
        "sizes_loaded": bulk_sales_loaded(),
    }


def finance_facts() -> dict[str, Any] | None:
    """What the finance scenarios need: the signed-in finance officer, the collection plan customer, and
    the dataset's sizes. None without the bulk finance data."""
    from django.utils import timezone

    from touchpoint.finance.demo import bulk_finance_loaded, plan_customer
    from touchpoint.finance.models import Allocation, CreditProfile, Invoice, InvoiceKind, Receipt
    from touchpoint.org.demo import users_by_position
    from touchpoint.sales.models import PaymentMilestone

    customer = plan_customer()
    if customer is None:
        return None
    today = timezone.localdate()
    invoices = Invoice.objects.filter(kind=InvoiceKind.INVOICE)
    open_invoices = invoices.filter(open_amount__gt=0)
    paused = CreditProfile.objects.filter(dunning_paused=True).values("customer_id")
    return {
        "officer": users_by_position()["finance"][0].username,
        "plan_customer_id": customer.pk,
        "plan_milestones": PaymentMilestone.objects.filter(contract__customer=customer).count(),
        "invoices": invoices.count(),
        "receipts": Receipt.objects.count(),
        "allocations": Allocation.objects.count(),
        "open": open_invoices.count(),
        # What the dunning run works through: overdue, not disputed, the customer's reminders not paused.
        "overdue": open_invoices.filter(due_on__lt=today, disputed=False).exclude(customer_id__in=paused).count(),
        "sizes_loaded": bulk_finance_loaded(),
    }


def delivery_facts() -> dict[str, Any] | None:
    """What the delivery scenarios need: the Gantt project, the engineer and project manager who sign in,
    and what they see. None without the bulk delivery data."""
    from django.db.models import Q

    from touchpoint.delivery.demo_bulk import BENCH_ENGINEER, BENCH_MANAGER, bulk_delivery_loaded, gantt_project
    from touchpoint.delivery.models import OPEN_TASK, RUNNING, Project, Task, TaskDependency, TimeEntry
    from touchpoint.delivery.selectors import my_tasks, time_to_approve
    from touchpoint.org.models import User

    project = gantt_project()
    if project is None:
        return None
    engineer = User.objects.get(username=BENCH_ENGINEER)
    manager = User.objects.get(username=BENCH_MANAGER)
    running = Project.objects.filter(status__in=RUNNING)
    return {
        "manager": manager.username,
        "engineer": engineer.username,
        "gantt_project_id": project.pk,
        "gantt_tasks": project.tasks.count(),
        "gantt_dependencies": TaskDependency.objects.filter(task__project=project).count(),
        "engineer_open_tasks": my_tasks(engineer).count(),
        "manager_running": running.filter(manager=manager).count(),
        "manager_mine": Project.objects.filter(Q(manager=manager) | Q(members__user=manager)).distinct().count(),
        "manager_to_approve": time_to_approve(manager).count(),
        "projects": Project.objects.count(),
        "running": running.count(),
        "tasks": Task.objects.count(),
        "open_tasks": Task.objects.filter(status__in=OPEN_TASK, project__status__in=RUNNING).count(),
        "time_entries": TimeEntry.objects.count(),
        "sizes_loaded": bulk_delivery_loaded(),
    }


def service_facts() -> dict[str, Any] | None:
    """What the service scenarios need: the agent and the lead who sign in, and the sizes. None without
    the bulk service data."""
    from touchpoint.service.demo_bulk import BENCH_AGENT, bulk_service_loaded
    from touchpoint.service.models import OPEN, Handoff, ServiceRequest

    sizes = bulk_service_loaded()
    if sizes is None:
        return None
    return {
        "agent": BENCH_AGENT,
        "lead": "zhenghua",
        "agent_open": ServiceRequest.objects.filter(assignee__username=BENCH_AGENT, status__in=OPEN).count(),
        "requests": ServiceRequest.objects.count(),
        "open": ServiceRequest.objects.filter(status__in=OPEN).count(),
        "handoffs": Handoff.objects.count(),
        "sizes_loaded": sizes,
    }


def _timed(function: Any, runs: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()  # warm-up, as in a running server
    with CaptureQueriesContext(connection) as captured:
        function()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {"runs": runs, "queries": len(captured.captured_queries), "p50_ms": statistics.median(timings),
            "p95_ms": timings[min(runs - 1, int(runs * 0.95))], "max_ms": timings[-1]}  # fmt: skip


def finance_run(runs: int) -> dict[str, Any]:
    """The report functions the finance pages call, timed in-process as the finance officer; then one
    dunning run, timed, inside a transaction that is rolled back so that the next bench run finds the
    same work. Its per-letter transactions become savepoints, so commits are not in the time; mail goes
    to the in-memory backend (and, rolled back, is never handed to it)."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from bench.scenarios import AGEING_P95_MS, COLLECTION_PLAN_P95_MS
    from touchpoint.finance.demo import plan_customer
    from touchpoint.finance.models import DunningLevel
    from touchpoint.finance.reports import ageing, customer_plan
    from touchpoint.finance.services.dunning import due_for_dunning, dunning_run
    from touchpoint.org.demo import users_by_position

    officer = users_by_position()["finance"][0]
    customer = plan_customer()
    functions = [
        {"key": "ageing", "call": "reports.ageing(group_by='customer')", "target_ms": AGEING_P95_MS,
         **_timed(lambda: ageing(user=officer, group_by="customer"), runs)},
        {"key": "plan", "call": "reports.customer_plan()", "target_ms": COLLECTION_PLAN_P95_MS,
         **_timed(lambda: customer_plan(user=officer, customer=customer), runs)},
    ]  # fmt: skip
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with transaction.atomic():
        levels = list(DunningLevel.objects.filter(is_active=True).order_by("days"))
        started = time.perf_counter()
        due = due_for_dunning(timezone.localdate(), levels)
        selection = time.perf_counter() - started
        started = time.perf_counter()
        result = dunning_run()
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    dunning = {
        "seconds": seconds, "selection_seconds": selection, "letters": result.letters, "invoices": result.invoices,
        "no_contact": result.no_contact, "by_level": {str(k): v for k, v in sorted(result.by_level.items())},
        "selected_invoices": sum(len(invoices) for invoices in due.values()),
    }  # fmt: skip
    return {"functions": functions, "dunning": dunning}


def delivery_run(runs: int) -> dict[str, Any]:
    """The selectors and the layout behind the delivery pages, called in-process as the people the
    scenarios sign in as, with what each page takes of them: the share of a page's time that is the
    database and Python's layout, without the template."""
    from bench.scenarios import GANTT_P95_MS, MY_PROJECTS_P95_MS, MY_TASKS_P95_MS
    from touchpoint.delivery.demo_bulk import BENCH_ENGINEER, BENCH_MANAGER, gantt_project
    from touchpoint.delivery.gantt import gantt
    from touchpoint.delivery.models import Project
    from touchpoint.delivery.selectors import milestones_due, my_tasks, project_list, time_to_approve
    from touchpoint.org.models import User

    engineer = User.objects.get(username=BENCH_ENGINEER)
    manager = User.objects.get(username=BENCH_MANAGER)
    project = gantt_project()
    assert project is not None, "no bulk delivery data"

    def desk() -> None:
        list(project_list(manager, status="running").filter(manager_id=manager.pk)[:100])
        list(milestones_due(manager)[:50])
        list(time_to_approve(manager)[:300])

    def mine() -> None:
        rows = project_list(manager, mine=True)
        rows.count()
        list(rows[:25])

    def chart() -> None:
        # The view fetches the project through the access layer first; its row is read fresh each time.
        gantt(Project.objects.get(pk=project.pk))

    functions = [
        {"key": "gantt", "call": "gantt(project)", "target_ms": GANTT_P95_MS, **_timed(chart, runs)},
        {"key": "my_tasks", "call": "my_tasks(engineer)[:200]", "target_ms": MY_TASKS_P95_MS,
         **_timed(lambda: list(my_tasks(engineer)[:200]), runs)},
        {"key": "my_projects", "call": "project_list(running, managed)[:100] + milestones_due + time_to_approve",
         "target_ms": MY_PROJECTS_P95_MS, **_timed(desk, runs)},
        {"key": "projects_mine", "call": "project_list(mine=True): count + page 1", "target_ms": MY_PROJECTS_P95_MS,
         **_timed(mine, runs)},
    ]  # fmt: skip
    return {"functions": functions}


def service_run(runs: int) -> dict[str, Any]:
    """The selectors behind the agent's queue and the flow monitor, called in-process as the people the
    scenarios sign in as; then one SLA recomputation of every open request after the standard and premium
    targets change, timed inside a transaction that is rolled back (the next run finds the same work)."""
    from datetime import timedelta

    from django.core.cache import cache
    from django.db import connection, transaction
    from django.db.models import F
    from django.utils import timezone

    from bench.scenarios import FLOW_MONITOR_P95_MS, SERVICE_QUEUE_P95_MS
    from touchpoint.insights import selectors as flow
    from touchpoint.org.models import User
    from touchpoint.service.demo_bulk import BENCH_AGENT
    from touchpoint.service.models import ServiceRequest, SlaPolicy
    from touchpoint.service.selectors import PeekPage, RequestQuery, peek_page, request_list
    from touchpoint.service.sla_recompute import sla_recompute
    from touchpoint.service.views.common import PAGE_SIZE

    agent = User.objects.get(username=BENCH_AGENT)
    lead = User.objects.get(username="zhenghua")
    today = timezone.localdate()
    period = flow.Period(start=today - timedelta(days=29), end=today)

    def queue() -> PeekPage:
        return peek_page(request_list(user=agent, query=RequestQuery()), page=None, per_page=PAGE_SIZE)

    def fresh_board() -> None:
        cache.clear()
        flow.flow_board(user=lead)

    def monitor() -> None:
        flow.flow_board(user=lead)
        flow.handoff_flow(user=lead, period=period)
        flow.department_times(user=lead, period=period)

    functions = [
        {"key": "service_queue", "call": "request_list(agent, mine) first page", "target_ms": SERVICE_QUEUE_P95_MS,
         **_timed(queue, runs)},
        {"key": "flow_board", "call": "flow_board(lead), counts shared from the cache", "target_ms": FLOW_MONITOR_P95_MS,
         **_timed(lambda: flow.flow_board(user=lead), runs)},
        {"key": "flow_board_fresh", "call": "flow_board(lead), counts taken afresh (cache emptied)",
         "target_ms": FLOW_MONITOR_P95_MS, **_timed(fresh_board, runs)},
        {"key": "flow_monitor", "call": "flow_board + handoff_flow + department_times (30 days)",
         "target_ms": FLOW_MONITOR_P95_MS, **_timed(monitor, runs)},
    ]  # fmt: skip
    with transaction.atomic():
        SlaPolicy.objects.update(resolution_minutes=F("resolution_minutes") + 60)
        started = time.perf_counter()
        counts = sla_recompute()
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # The rolled-back updates cleared the visibility map of the open requests' pages: vacuum them, or the
        # index-only reads (the flow board, least-loaded assignment) visit the table until autovacuum comes.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {ServiceRequest._meta.db_table}")
    rate = counts["read"] / seconds if seconds else 0.0
    return {"functions": functions, "recompute": {**counts, "seconds": seconds, "per_second": rate,
                                                  "million_seconds": 1_000_000 / rate if rate else None}}  # fmt: skip


def _request(client: Any, scenario: dict[str, Any]) -> Any:
    from bench.scenarios import contact_body

    if scenario["method"] == "POST":
        body = contact_body(scenario["body"], random.randrange(10**8))
        return client.post(scenario["path"], json.dumps(body), content_type="application/json")
    return client.get(scenario["path"])


def probe(scenarios: list[dict[str, Any]], username: str) -> list[dict[str, Any]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from touchpoint.org.models import User

    clients: dict[str, Client] = {}

    def client_for(name: str) -> Client:
        if name not in clients:
            clients[name] = Client()
            clients[name].force_login(User.objects.get(username=name))
        return clients[name]

    results = []
    for scenario in scenarios:
        client = client_for(scenario.get("user") or username)
        # A warm-up request fills caches (the policy table, templates) as in a running server.
        _request(client, scenario)
        with CaptureQueriesContext(connection) as captured:
            response = _request(client, scenario)
        queries = list(captured.captured_queries)
        # Server-side time of the whole request, without HTTP or concurrency: the floor under p50.
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            _request(client, scenario)
            timings.append((time.perf_counter() - started) * 1000)

        # The main query is the slowest SELECT when each is re-run alone; the captured times are
        # rounded to milliseconds, too coarse to tell sub-millisecond queries apart.
        timed = [(ms, q["sql"]) for q in queries if (ms := _time_sql(q["sql"], repeat=3)) is not None]
        main_ms, main_sql = max(timed, default=(None, ""))
        results.append({
            "key": scenario["key"],
            "user": scenario.get("user") or username,
            "status": response.status_code,
            "queries": len(queries),
            "main_sql": main_sql,
            "main_sql_ms": main_ms,
            "all_selects_ms": sum(ms for ms, _ in timed),
            "in_process_ms": statistics.median(timings),
        })  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--user", required=True)
    parser.add_argument("--facts", action="store_true", help="print the dataset facts only")
    parser.add_argument("--scenarios", help="JSON file of scenarios to probe")
    parser.add_argument("--finance", action="store_true", help="time the finance report functions and a dunning run")
    parser.add_argument("--delivery", action="store_true", help="time the delivery selectors and the Gantt layout")
    parser.add_argument("--service", action="store_true", help="time the service selectors and an SLA recomputation")
    parser.add_argument("--runs", type=int, default=30, help="timed calls per finance, delivery or service function")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "touchpoint.settings")
    django.setup()
    if args.facts:
        output: Any = dataset_facts()
    elif args.finance:
        output = finance_run(args.runs)
    elif args.delivery:
        output = delivery_run(args.runs)
    elif args.service:
        output = service_run(args.runs)
    else:
        with open(args.scenarios, encoding="utf-8") as handle:
            output = probe(json.load(handle), args.user)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(output, handle, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
