"""The service share of the scale dataset at a tiny scale, the rollups over it, and the bench pieces
that read it: the counts it promises, consistent rows, only once; the scenarios and the in-process probe."""

import random

import pytest
from django.db.models import Count, F, Q

from bench.probe import service_facts, service_run
from bench.report import _mail_lines, _service_lines
from bench.scenarios import FLOW_MONITOR_P95_MS, SERVICE_QUEUE_P95_MS, service_scenarios
from touchpoint.core.extensions import demo_steps
from touchpoint.insights.models import HandoffDay, RequestDay
from touchpoint.service import demo_bulk
from touchpoint.service.models import OPEN, Escalation, Handoff, ServiceRequest

pytestmark = pytest.mark.django_db
SCALE = "0.0005"  # 1,000 requests, 100 open


def run(key: str, scale: str = "small") -> str:
    return demo_steps[key].run(rng=random.Random(f"2026:{key}"), scale=scale, out=lambda text: None)


@pytest.fixture
def loaded() -> dict[str, int]:
    run("org.staff")
    run("customers.bulk", SCALE)
    summary = run("service.bulk", SCALE)
    assert summary.startswith("bulk service: "), summary
    return demo_bulk.bulk_sizes(SCALE)


def test_the_bulk_share_builds_what_it_promises_once(loaded):
    assert loaded == {"requests": 1000, "open": 100, "agents": 2}  # at least two agents in each queue
    assert ServiceRequest.objects.count() == 1000
    assert ServiceRequest.objects.filter(status__in=OPEN).count() == 100
    assert demo_bulk.bulk_service_loaded() == loaded
    handoffs = Handoff.objects.count()
    assert 4 * 1000 <= handoffs <= 6 * 1000  # about five a request
    again = run("service.bulk", SCALE)
    assert again.startswith("bulk service: already loaded") and ServiceRequest.objects.count() == 1000


def test_the_rows_agree_with_each_other(loaded):
    # Every request starts with its routing; hops count the department moves; a bounce carries its escalation.
    routed = Handoff.objects.filter(kind="route").values("request_id").annotate(n=Count("id"))
    assert all(row["n"] == 1 for row in routed) and routed.count() == 1000
    moves = dict(Handoff.objects.exclude(from_department=None).exclude(from_department=F("to_department"))
                 .values_list("request_id").annotate(n=Count("id")).values_list("request_id", "n"))  # fmt: skip
    for pk, hops, bounced in ServiceRequest.objects.values_list("pk", "hops", "bounced"):
        assert moves.get(pk, 0) == hops
        if bounced:
            assert Escalation.objects.filter(request_id=pk, reason="bounce").exists()
    assert ServiceRequest.objects.filter(bounced=True).exists()
    # Open requests sit where their last handoff took them; closed ones are resolved after it.
    assert not ServiceRequest.objects.filter(status__in=OPEN, resolved_at__isnull=False).exists()
    assert not ServiceRequest.objects.filter(~Q(status__in=OPEN), resolved_at__lt=F("department_since")).exists()
    assert ServiceRequest.objects.filter(status__in=OPEN, assignee__username=demo_bulk.BENCH_AGENT).exists()


def test_the_rollup_step_and_the_probe(loaded):
    summary = run("insights.rollup", SCALE)
    assert summary.startswith("bulk insights: rollups rebuilt"), summary
    assert run("insights.rollup", SCALE) == "bulk insights: rollups already up to date"
    assert sum(RequestDay.objects.values_list("opened", flat=True)) == 1000
    moved = Handoff.objects.exclude(from_department=None).exclude(from_department=F("to_department")).count()
    assert sum(HandoffDay.objects.values_list("count", flat=True)) == moved

    facts = service_facts()
    assert facts is not None and facts["requests"] == 1000 and facts["open"] == 100 and facts["agent_open"] >= 1
    scenarios = service_scenarios(facts)
    assert [(s.path, s.p95_target_ms, s.user) for s in scenarios] == [
        ("/service/requests/", SERVICE_QUEUE_P95_MS, demo_bulk.BENCH_AGENT), ("/insights/flow/", FLOW_MONITOR_P95_MS, "zhenghua"),
    ]  # fmt: skip
    result = service_run(runs=2)
    assert [row["key"] for row in result["functions"]] == ["service_queue", "flow_board", "flow_board_fresh", "flow_monitor"]
    assert result["recompute"]["read"] == 100 and result["recompute"]["changed"] >= 1
    # Rolled back: the policies and the deadlines are as the load left them.
    assert service_run(runs=1)["recompute"]["changed"] == result["recompute"]["changed"]
    mail = {"fetched": 500, "database": "postgresql", "mails_per_second": 100.0, "target_per_second": 50.0,
            "meets_target": True, "mails_per_cpu_second": 120.0, "queries_per_mail": 30.0, "load_average": 1.0,
            "outcomes": {"new": 450, "reply": 50}}  # fmt: skip
    lines = "\n".join(_service_lines(result, facts) + _mail_lines(None) + _mail_lines(mail))
    assert "SLA recomputation" in lines and "not measured" in lines and "100.0 mails/s" in lines


def test_no_bulk_service_data_means_no_scenarios(db):
    assert service_facts() is None and service_scenarios(None) == []
    assert run("service.bulk") == ""
