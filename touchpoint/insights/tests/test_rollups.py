"""The daily rollups: the same rows from the incremental job and from a full rebuild, idempotent, and
medians from the histograms within the stated error of the exact medians."""

import random
import statistics
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command

from touchpoint.insights import histogram
from touchpoint.insights.models import (
    AgentDay,
    DepartmentTimeDay,
    DurationDay,
    EscalationDay,
    HandoffDay,
    RequestDay,
    Watermark,
)
from touchpoint.insights.rollups import ROLLUPS, rollup_incremental, rollup_rebuild
from touchpoint.insights.selectors import Period, department_times, handoff_flow
from touchpoint.insights.tests.conftest import at, make_history
from touchpoint.org.models import Department
from touchpoint.service.models import Handoff, ServiceRequest

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list[tuple]]:
    """Every rollup row, without ids, in a stable order."""
    found = {}
    for model in ROLLUPS:
        names = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
        rows = [tuple(str(sorted(v.items())) if isinstance(v, dict) else v for v in row)
                for row in model.objects.values_list(*names)]  # fmt: skip
        found[model.__name__] = sorted(rows, key=repr)
    return found


def test_the_buckets_the_database_works_out_are_the_python_ones(personas, desk):
    sr = make_history(personas, desk, requests=1)[0]
    maintenance, engineering = Department.objects.get(code="maintenance"), Department.objects.get(code="engineering")
    lengths = [0, 59, 60, 61, 85, 119, 121, 3599, 3601, 86_400 * 3 + 17, 10**9]
    Handoff.objects.bulk_create([
        Handoff(request=sr, kind="transfer", from_department=maintenance, to_department=engineering, reason="x",
                at=at(2026, 5, 1, 10, 0) + timedelta(minutes=i), seconds_in_from=s)
        for i, s in enumerate(lengths)
    ])  # fmt: skip
    rollup_rebuild(since=date(2026, 5, 1), until=date(2026, 5, 1))
    row = DepartmentTimeDay.objects.get(day=date(2026, 5, 1), department=maintenance)
    expected: dict[str, int] = {}
    for s in lengths:
        expected[str(histogram.bucket_of(s))] = expected.get(str(histogram.bucket_of(s)), 0) + 1
    assert row.buckets == expected and row.count == len(lengths) and row.seconds == sum(lengths)
    assert max(int(k) for k in row.buckets) == histogram.BUCKETS - 1  # a billion seconds lands in the last bucket


def test_the_rollup_counts_what_happened(personas, desk):
    made = make_history(personas, desk, requests=6)
    rollup_rebuild()
    maintenance, engineering = Department.objects.get(code="maintenance"), Department.objects.get(code="engineering")
    # Six requests sent to engineering, three of them sent back.
    assert sum(HandoffDay.objects.filter(from_department=maintenance, to_department=engineering).values_list("count", flat=True)) == 6
    assert sum(HandoffDay.objects.filter(from_department=engineering, to_department=maintenance).values_list("count", flat=True)) == 3
    assert sum(RequestDay.objects.values_list("opened", flat=True)) == 6
    assert sum(RequestDay.objects.values_list("responded", flat=True)) == 6
    resolved = [sr for sr in made if sr.status == "resolved"]
    assert sum(RequestDay.objects.values_list("resolved", flat=True)) == len(resolved) == 3
    assert sum(AgentDay.objects.values_list("resolved", flat=True)) == sum(1 for sr in resolved if sr.assignee_id)
    assert sum(DurationDay.objects.filter(measure="response").values_list("count", flat=True)) == 6
    assert EscalationDay.objects.filter(reason="bounce").exists()  # the ping-pong escalated
    # The flow chart over the whole time shows the cycle both ways.
    chart = handoff_flow(user=personas.executive, period=Period(date(2026, 3, 1), date(2026, 3, 31)))
    pairs = {(f.source_id, f.target_id): f.count for f in chart.flows}
    assert pairs[(maintenance.pk, engineering.pk)] == 6 and pairs[(engineering.pk, maintenance.pk)] == 3
    assert chart.returns == 9


def test_the_incremental_job_gives_the_rows_of_a_full_rebuild_and_is_idempotent(personas, desk):
    make_history(personas, desk, requests=3)
    first = rollup_incremental()
    assert first["days"] >= 3
    make_history(personas, desk, requests=4, start=at(2026, 3, 4, 14, 0))  # overlaps the days already rolled up
    rollup_incremental()
    incremental = snapshot()
    assert incremental["HandoffDay"] and incremental["RequestDay"] and incremental["DepartmentTimeDay"]
    again = rollup_incremental()
    assert snapshot() == incremental  # twice is once
    rollup_rebuild()
    assert snapshot() == incremental
    rollup_rebuild()
    assert snapshot() == incremental
    assert again["days"] >= 0 and Watermark.objects.get(key="handoff").last_id == Handoff.objects.order_by("-id")[0].pk


def test_a_resolution_after_the_last_run_is_picked_up(personas, desk):
    made = make_history(personas, desk, requests=2)
    rollup_incremental()
    open_one = next(sr for sr in made if sr.status != "resolved")
    from touchpoint.service.services.requests import request_set_status

    request_set_status(request=open_one, by=personas.maintenance_agent, status="resolved", resolution="好了",
                       now=at(2026, 3, 10, 11, 0))  # fmt: skip
    rollup_incremental()
    assert RequestDay.objects.filter(day=date(2026, 3, 10), resolved=1).exists()
    incremental = snapshot()
    rollup_rebuild()
    assert snapshot() == incremental


def test_medians_from_the_histograms_are_within_the_stated_error(personas, desk):
    sr = make_history(personas, desk, requests=1)[0]
    rng = random.Random(20260306)
    departments = list(Department.objects.filter(code__in=("maintenance", "engineering", "sales")))
    exact: dict[int, list[int]] = {d.pk: [] for d in departments}
    rows = []
    for n in range(3000):
        source = departments[n % 3]
        target = departments[(n + 1) % 3]
        # Lognormal stays from minutes to weeks, a different spread per department.
        seconds = int(rng.lognormvariate(8 + (n % 3), 1.2))
        exact[source.pk].append(seconds)
        rows.append(Handoff(request=sr, kind="transfer", from_department=source, to_department=target, reason="x",
                            at=at(2026, 4, 1, 9, 0) + timedelta(hours=n % 500), seconds_in_from=seconds))  # fmt: skip
    Handoff.objects.filter(at__gte=at(2026, 4, 1, 0, 0)).delete()
    Handoff.objects.bulk_create(rows)
    rollup_rebuild(since=date(2026, 4, 1))
    times = {t.department_id: t for t in department_times(user=personas.executive, period=Period(date(2026, 4, 1), date(2026, 4, 30)))}
    for pk, values in exact.items():
        true = statistics.median(values)
        estimate = times[pk].median_seconds
        assert estimate is not None and abs(estimate - true) <= histogram.RELATIVE_ERROR * true, (pk, estimate, true)
        assert times[pk].stays == len(values)
        assert times[pk].mean_seconds == pytest.approx(statistics.fmean(values))


def test_quantile_of_small_sets_matches_the_exact_median_within_the_error():
    rng = random.Random(7)
    for _ in range(300):
        values = [rng.choice([rng.randint(60, 10**7), rng.randint(60, 5000)]) for _ in range(rng.randint(1, 9))]
        buckets: dict[str, int] = {}
        histogram.add(buckets, {histogram.bucket_of(v): 1 for v in []})
        for v in values:
            histogram.add(buckets, {histogram.bucket_of(v): 1})
        true = statistics.median(values)
        assert abs(histogram.quantile(buckets) - true) <= histogram.RELATIVE_ERROR * true + 1e-6
    assert histogram.quantile({}) is None
    assert histogram.quantile({"0": 3}) == 30  # under a minute: within 30 seconds


def test_the_rebuild_command(personas, desk):
    make_history(personas, desk, requests=2)
    call_command("insights_rollup")
    assert HandoffDay.objects.exists()
    call_command("insights_rollup", since="2026-03-03")
    assert RequestDay.objects.filter(day=date(2026, 3, 2)).exists()  # days before --since stay
    with pytest.raises(CommandError):
        call_command("insights_rollup", since="3 March")


def test_nothing_to_roll_up(db):
    assert rollup_rebuild() == {"days": 0, "rows": 0}
    assert rollup_incremental() == {"days": 0, "rows": 0}
    assert not ServiceRequest.objects.exists()
