"""The benchmark scenarios and their targets (docs: DESIGN.md, rule 8 and `make bench`)."""

from dataclasses import dataclass, field
from typing import Any

READ_P95_MS = 50.0
WRITE_P95_MS = 100.0
# Issue 3's sales targets (p95 at full scale on PostgreSQL).
KANBAN_P95_MS = 100.0
FORECAST_P95_MS = 200.0
RECOMMENDATION_P95_MS = 100.0
PRICE_HISTORY_P95_MS = 100.0
# Issue 4's finance targets (p95 at full scale on PostgreSQL); the dunning run has none: its time is reported.
AGEING_P95_MS = 200.0
COLLECTION_PLAN_P95_MS = 50.0
# Issue 5's delivery targets (p95 at full scale on PostgreSQL).
GANTT_P95_MS = 150.0
MY_TASKS_P95_MS = 50.0
MY_PROJECTS_P95_MS = 50.0
# Issue 6's service targets (p95 at full scale on PostgreSQL); the SLA recomputation has none: its time is
# reported, and IMAP ingestion (bench/mail.py, when present) is a rate.
SERVICE_QUEUE_P95_MS = 100.0
FLOW_MONITOR_P95_MS = 100.0
MAIL_PER_SECOND = 50.0
READS_PER_SECOND = 300.0
WORKER_RSS_MB = 150.0


@dataclass
class Scenario:
    key: str
    title: str
    method: str
    path: str
    # p95 target in milliseconds; None means no latency target (the login page is a baseline).
    p95_target_ms: float | None
    is_read: bool = True
    body: dict[str, Any] = field(default_factory=dict)
    # Who is signed in for it; empty: the bench user (`--user`).
    user: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "title": self.title, "method": self.method, "path": self.path,
            "p95_target_ms": self.p95_target_ms, "is_read": self.is_read, "body": self.body, "user": self.user,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Scenario":
        return cls(**data)


def build_scenarios(
    *, customer_id: int, two_chars: str, initials: str, phone_fragment: str, sales: dict[str, Any] | None = None,
    finance: dict[str, Any] | None = None, delivery: dict[str, Any] | None = None, service: dict[str, Any] | None = None,
) -> list[Scenario]:  # fmt: skip
    """The scenario list, filled with ids and search terms taken from the loaded dataset."""
    return [*_core_scenarios(customer_id, two_chars, initials, phone_fragment), *sales_scenarios(sales),
            *finance_scenarios(finance), *delivery_scenarios(delivery), *service_scenarios(service)]  # fmt: skip


def _core_scenarios(customer_id: int, two_chars: str, initials: str, phone_fragment: str) -> list[Scenario]:
    return [
        Scenario("login_page", "login page", "GET", "/accounts/login/", None),
        Scenario("list_p1", "customer list, active by name, page 1", "GET",
                 "/customers/?status=active&sort=name&page=1", READ_P95_MS),
        Scenario("list_p500", "customer list, active by name, page 500", "GET",
                 "/customers/?status=active&sort=name&page=500", READ_P95_MS),
        Scenario("search_cjk", f"search, 2 Chinese characters ({two_chars})", "GET", f"/search/?q={two_chars}",
                 READ_P95_MS),
        Scenario("search_initials", f"search, pinyin initials ({initials})", "GET", f"/search/?q={initials}",
                 READ_P95_MS),
        Scenario("search_phone", f"search, phone fragment ({phone_fragment})", "GET",
                 f"/search/?q={phone_fragment}", READ_P95_MS),
        Scenario("customer_360", "customer 360, 5,000 touchpoints", "GET", f"/customers/{customer_id}/", READ_P95_MS),
        Scenario("contact_create", "create a contact (API)", "POST", "/api/v1/contacts/", WRITE_P95_MS,
                 is_read=False, body={"customer": customer_id, "name": "基准联系人", "title": "测试工程师"}),
    ]  # fmt: skip


def sales_scenarios(sales: dict[str, Any] | None) -> list[Scenario]:
    """Issue 3's scenarios, each signed in as the person who would open the page; none without the
    bulk sales data (facts from `bench.probe`'s `sales_facts`)."""
    if not sales:
        return []
    modules = ",".join(str(pk) for pk in sales["bundle_module_ids"])
    return [
        Scenario("sales_kanban", f"kanban board, {sales['manager']}'s {sales['manager_open']:,} open opportunities",
                 "GET", "/sales/opportunities/board/", KANBAN_P95_MS, user=sales["manager"]),
        Scenario("sales_forecast", f"forecast over {sales['opportunities']:,} opportunities ({sales['executive']})",
                 "GET", "/sales/forecast/", FORECAST_P95_MS, user=sales["executive"]),
        Scenario("sales_recommendation",
                 f"recommendation, {sales['requirements']} requirements over {sales['contracts']:,} contracts "
                 f"({sales['owner']})",
                 "GET", f"/sales/opportunities/{sales['opportunity_id']}/recommendation/", RECOMMENDATION_P95_MS,
                 user=sales["owner"]),
        Scenario("sales_price_history", f"price history of a {len(sales['bundle_module_ids'])}-module bundle "
                 f"({sales['owner']})", "GET", f"/sales/pricing/?modules={modules}", PRICE_HISTORY_P95_MS,
                 user=sales["owner"]),
    ]  # fmt: skip


def finance_scenarios(finance: dict[str, Any] | None) -> list[Scenario]:
    """Issue 4's pages, signed in as the demo finance officer, who sees every receivable; none without the
    bulk finance data (facts from `bench.probe`'s `finance_facts`)."""
    if not finance:
        return []
    return [
        Scenario("finance_ageing", f"AR ageing by customer over {finance['invoices']:,} invoices / "
                 f"{finance['receipts']:,} receipts ({finance['officer']})", "GET", "/finance/ageing/?group=customer",
                 AGEING_P95_MS, user=finance["officer"]),
        Scenario("finance_plan", f"collection plan of a customer with {finance['plan_milestones']} milestones "
                 f"({finance['officer']})", "GET", f"/finance/customers/{finance['plan_customer_id']}/plan/",
                 COLLECTION_PLAN_P95_MS, user=finance["officer"]),
    ]  # fmt: skip


def delivery_scenarios(delivery: dict[str, Any] | None) -> list[Scenario]:
    """Issue 5's pages, each signed in as the demo's project manager or engineer; none without the bulk
    delivery data (facts from `bench.probe`'s `delivery_facts`)."""
    if not delivery:
        return []
    manager, engineer = delivery["manager"], delivery["engineer"]
    return [
        Scenario("delivery_gantt", f"Gantt of a {delivery['gantt_tasks']}-task project, {delivery['gantt_dependencies']} "
                 f"dependencies ({manager})", "GET", f"/projects/{delivery['gantt_project_id']}/gantt/", GANTT_P95_MS,
                 user=manager),
        Scenario("delivery_my_tasks", f"my tasks, {delivery['engineer_open_tasks']} open, {delivery['projects']:,} projects "
                 f"({engineer})", "GET", "/my/tasks/", MY_TASKS_P95_MS, user=engineer),
        Scenario("delivery_my_projects", f"my projects, {delivery['manager_running']} running with health, milestones "
                 f"due, hours to approve ({manager})", "GET", "/my/projects/", MY_PROJECTS_P95_MS, user=manager),
        Scenario("delivery_projects_mine", f"project list, mine ({delivery['manager_mine']:,} of "
                 f"{delivery['projects']:,}) with health ({manager})", "GET", "/projects/?mine=1", MY_PROJECTS_P95_MS,
                 user=manager),
    ]  # fmt: skip


def service_scenarios(service: dict[str, Any] | None) -> list[Scenario]:
    """Issue 6's pages: the agent's queue signed in as the demo agent, the flow monitor as the maintenance
    lead; none without the bulk service data (facts from `bench.probe`'s `service_facts`)."""
    if not service:
        return []
    agent, lead = service["agent"], service["lead"]
    return [
        Scenario("service_queue", f"agent's queue, {service['agent_open']} of {service['open']:,} open requests "
                 f"({agent})", "GET", "/service/requests/", SERVICE_QUEUE_P95_MS, user=agent),
        Scenario("flow_monitor", f"flow monitor over {service['requests']:,} requests / {service['handoffs']:,} handoffs "
                 f"({lead})", "GET", "/insights/flow/", FLOW_MONITOR_P95_MS, user=lead),
    ]  # fmt: skip


def contact_body(template: dict[str, Any], serial: int) -> dict[str, Any]:
    """A fresh contact for each create, so duplicate checks do not turn the benchmark into a no-op."""
    return {**template, "name": f"{template['name']}{serial}", "mobile": f"199{serial % 10**8:08d}",
            "email": f"bench{serial}@bench.example"}  # fmt: skip
