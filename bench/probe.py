"""In-process measurements: queries per request and the time of each scenario's main SQL.

Run by `python -m bench` as `python -m bench.probe --user NAME --out FILE` with the same
environment as the server. It asks the loaded dataset for the benchmark customer and search
terms, requests each scenario once through Django's test client while capturing the queries,
then re-runs the slowest SELECT with a raw cursor so the framework's share of a request shows.
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
        "contracts": Contract.objects.count(),
        "bundle_module_ids": [row["module_id"] for row in bundle],
        "sizes_loaded": bulk_sales_loaded(),
    }


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
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "touchpoint.settings")
    django.setup()
    if args.facts:
        output: Any = dataset_facts()
    else:
        with open(args.scenarios, encoding="utf-8") as handle:
            output = probe(json.load(handle), args.user)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(output, handle, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
