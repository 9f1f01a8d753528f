"""The maintenance centre's share of the demo: the queues staffed, maintenance contracts beside the
warranties the signed handovers started, and six weeks of requests told through the services.

Most requests run the usual course (logged, answered, worked, resolved, closed). A few show what the
maintenance centre exists to catch: a fault that went back and forth between L1 and engineering, a
request nobody has touched for days, a P2 whose response target passed, and a mail from an unknown
sender waiting for triage. The flow watch then runs once, as the scheduler would.
"""

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from touchpoint.core.extensions import DemoStep, demo_steps
from touchpoint.core.models import Channel
from touchpoint.customers.demo import DEMO_NOTE
from touchpoint.customers.models import Contact, Customer
from touchpoint.org.demo import users_by_position
from touchpoint.org.models import Department, User
from touchpoint.sales.models import InstalledItem, ProductVersion
from touchpoint.service.models import MaintenanceContract, Queue, QueueMember, ServiceRequest, ServiceSettings, Status
from touchpoint.service.services.campaigns import campaign_create, campaign_launch, campaign_select_targets
from touchpoint.service.services.complaints import complaint_create, complaint_inform_customer
from touchpoint.service.services.flow import flow_sweep
from touchpoint.service.services.knowledge import article_create, article_publish
from touchpoint.service.services.plans import plan_create, plan_generate_orders
from touchpoint.service.services.requests import (
    request_assign,
    request_create,
    request_note,
    request_reply,
    request_set_status,
    request_transfer,
)

# (subject, description, category, severity, channel)
REQUESTS = [
    ("早盘集合竞价期间委托回报延迟", "9:20 起部分营业部委托回报延迟 5–10 秒，柜台日志显示报盘队列积压。", "fault", "P2", Channel.PHONE),
    ("两融担保品折算率参数如何批量导入", "风控部希望按交易所最新名单批量调整折算率，请提供导入模板。", "consultation", "P4", Channel.EMAIL),
    ("行情主备切换后个股分时图断档", "昨日 13:05 主行情源切换后，部分个股分时图缺少 3 分钟数据。", "fault", "P3", Channel.WECHAT),
    ("新增北交所行情展示需求", "客户希望手机交易端增加北交所个股行情与委托。", "change", "P3", Channel.MEETING),
    ("日终清算文件导入重复告警", "清算文件导入后系统提示重复记录，但核对后数据无误。", "fault", "P3", Channel.EMAIL),
    ("营业部新柜员操作培训", "三家新开营业部共 12 名柜员需要交易终端操作培训。", "training", "P4", Channel.PHONE),
    ("客户资料字段错位需数据修复", "上周批量开户导入后，部分客户的证件有效期与联系地址错位。", "data_fix", "P3", Channel.LETTER),
    ("交易所规则调整后的版本升级安排", "交易所发布新规，需确认升级窗口与回退方案。", "upgrade", "P3", Channel.FAX),
    ("风控预警短信未按时发送", "维持担保比例低于 130% 的客户未收到预警短信。", "fault", "P2", Channel.PHONE),
    ("移动端登录偶发超时", "高峰时段约 1% 的用户登录超时，需排查网关连接池。", "fault", "P3", Channel.WEB),
    ("报表中心导出 Excel 乱码", "导出的日报在 WPS 中打开中文乱码。", "fault", "P4", Channel.EMAIL),
    ("询问维保合同续约报价", "客户信息技术部询问明年维保续约的价格与服务内容。", "consultation", "P4", Channel.PHONE),
]
STORIES = ["closed", "closed", "closed", "resolved", "in_progress", "waiting", "closed", "in_progress", "closed", "triaged",
           "closed", "in_progress"]  # fmt: skip
REPLIES = [
    "您好，已收到您的问题，工程师正在排查，我们会在今天内给您反馈。",
    "您好，问题原因已定位，补丁已在测试环境验证，计划今晚 20:00 后部署。",
    "您好，请提供出现问题时的柜台日志与截图，便于我们进一步分析。",
]
NOTES = ["已电话确认影响范围，仅涉及两家营业部。", "与研发确认为已知问题，补丁在下个小版本。", "客户同意夜间窗口操作。"]
RESOLUTIONS = ["调整报盘线程池并清理积压队列，次日早盘观察正常。", "提供导入模板并远程指导完成导入。", "修复数据并补充导入校验规则。"]


def is_loaded() -> bool:
    return ServiceRequest.objects.filter(customer__notes=DEMO_NOTE).exists()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _logged(request: ServiceRequest, at: datetime) -> ServiceRequest:
    """The demo tells past requests: their row says when they were logged, as the services were told."""
    ServiceRequest.objects.filter(pk=request.pk).update(created_at=at)
    return request


def _workday(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def load_service(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    if is_loaded():
        return "service: already loaded"
    staff = users_by_position()
    agents, leads = staff.get("maintenance_agent", []), staff.get("maintenance_lead", [])
    engineers, managers = staff.get("engineer", []), staff.get("project_manager", [])
    executives, finance = staff.get("executive", []), staff.get("finance", [])
    customers = list(Customer.objects.filter(notes=DEMO_NOTE).order_by("id"))
    if not agents or not leads or not engineers or not customers:
        return "service: no demo customers or no maintenance staff"
    counts: dict[str, int] = {}

    def count(key: str, n: int = 1) -> None:
        counts[key] = counts.get(key, 0) + n

    with transaction.atomic():
        _staff(agents, leads[0], engineers, managers, executives, finance)
        _contracts(rng, customers, count)
    today = timezone.localdate()
    start = today - timedelta(days=42)
    for index, (subject, description, category, severity, channel) in enumerate(REQUESTS):
        customer = customers[index % len(customers)]
        logged = _at(_workday(start + timedelta(days=index * 3)), 9 + index % 6, 10 * (index % 5))
        with transaction.atomic():
            _tell(rng, STORIES[index], customer=customer, subject=subject, description=description, category=category,
                  severity=severity, channel=channel, logged=logged, agent=agents[index % len(agents)], lead=leads[0],
                  today=today)  # fmt: skip
        count(f"requests {STORIES[index]}")
    with transaction.atomic():
        _bounce(customers[1 % len(customers)], agents[0], engineers, today)
        _stuck(customers[2 % len(customers)], agents[-1], today)
        _breach(customers[3 % len(customers)], agents[0], today)
        _triage(today)
    count("requests showing a bounce, a stuck request, a breach and a mail to triage", 4)
    swept = flow_sweep()
    count("escalations by the flow watch", swept["escalated"])
    with transaction.atomic():
        _records(leads[0], agents[0], today, count)
    summary = ", ".join(f"{n} {key}" for key, n in sorted(counts.items()))
    return f"service: {summary}"


ARTICLES = [
    ("行情主备切换后分时图断档的处理", "现象：主行情源切换后个股分时图缺少数分钟数据。\n"
     "处理：在行情服务管理台执行“补齐分时”，选择断档时段；若仍缺失，检查备用行情源的 FAST 通道是否订阅全市场。",
     "troubleshooting", "customer"),
    ("两融担保品折算率批量导入说明", "在风控参数中心选择“担保品折算率”，下载导入模板，按交易所最新名单填写证券代码与折算率后导入；"
     "导入前系统会校验代码与比例范围，校验失败的行会列出原因。", "how_to", "customer"),
    ("报盘队列积压的排查步骤（内部）", "1. 查看报盘网关线程池使用率；2. 检查柜台回报延迟；3. 必要时在盘后调整线程数并清理积压队列。"
     "切勿在盘中重启报盘网关。", "troubleshooting", "internal"),
]


def _records(lead: User, agent: User, today: date, count: Callable[..., None]) -> None:
    """The knowledge base, a complaint about the bounced request, a quarterly inspection plan and an
    upgrade campaign, through their services."""
    for title, body, category, visibility in ARTICLES:
        article = article_create(by=lead, title=title, body=body, category=category, visibility=visibility)
        article_publish(article=article, by=lead)
        count("knowledge articles")
    bounced = ServiceRequest.objects.filter(bounced=True).select_related("customer").first()
    if bounced is not None and bounced.customer is not None:
        complaint = complaint_create(by=agent, request=bounced, about="service", severity="high",
                                     department=Department.objects.filter(code="maintenance").first(),
                                     subject="对账差异问题在部门间来回转派，三天无人答复",
                                     description="客户信息技术部总经理来电投诉：融资负债利息差异问题被多次转派，至今没有明确答复。",
                                     owner=lead)  # fmt: skip
        complaint_inform_customer(complaint=complaint, by=lead, via="phone", note="已电话致歉，承诺本周内给出修复方案。")
        count("complaints")
    contract = MaintenanceContract.objects.filter(kind="maintenance", status="active").order_by("id").first()
    if contract is not None:
        plan_create(by=lead, contract=contract, name="季度系统巡检", frequency="quarterly",
                    next_due_on=today + timedelta(days=5),
                    checklist="交易主机 CPU、内存与磁盘余量\n行情源主备切换演练\n日终清算文件导入日志\n数据库备份与恢复验证")  # fmt: skip
        plan_generate_orders(today=today)
        count("inspection plans")
    item = InstalledItem.objects.filter(version__isnull=False).select_related("product").order_by("id").first()
    latest = ProductVersion.objects.filter(product_id=item.product_id).order_by("-released_on", "-id").first() if item else None
    if item is not None and latest is not None and latest.pk != item.version_id:
        campaign = campaign_create(by=lead, name=f"{item.product} 交易所新规升级", product=item.product, target_version=latest,
                                   due_on=today + timedelta(days=45), reason="regulation",
                                   description="交易所发布新业务规则，需在生效前完成升级。")  # fmt: skip
        if campaign_select_targets(campaign=campaign, by=lead):
            campaign_launch(campaign=campaign, by=lead)
            count("upgrade campaigns launched")


def _staff(agents: list[User], lead: User, engineers: list[User], managers: list[User], executives: list[User],
           finance: list[User]) -> None:  # fmt: skip
    """L1 staffed by the agents under the maintenance lead, engineering by the engineers, finance and
    sales queues by one person each; department heads and the executive for the last rung."""
    queues = {queue.code: queue for queue in Queue.objects.all()}
    Queue.objects.filter(code="l1").update(lead=lead)
    for agent in agents:
        QueueMember.objects.get_or_create(queue=queues["l1"], user=agent)
    for engineer in engineers:
        QueueMember.objects.get_or_create(queue=queues["engineering"], user=engineer)
    if managers:
        Queue.objects.filter(code="engineering").update(lead=managers[0])
        Department.objects.filter(code="engineering").update(head=managers[0])
    if finance and "finance" in queues:
        QueueMember.objects.get_or_create(queue=queues["finance"], user=finance[0])
    sales_reps = users_by_position().get("sales_rep", [])
    if sales_reps and "sales" in queues:
        QueueMember.objects.get_or_create(queue=queues["sales"], user=sales_reps[0])
    Department.objects.filter(code="maintenance").update(head=lead)
    settings = ServiceSettings.objects.first() or ServiceSettings.objects.create()
    if executives:
        settings.executive = executives[0]
        settings.save(update_fields=["executive"])


def _contracts(rng: random.Random, customers: list[Customer], count: Callable[..., None]) -> None:
    """Customers whose warranty ran out, or who never had one, get a maintenance contract for this year."""
    year = timezone.localdate().year
    covered = set(MaintenanceContract.objects.filter(ends_on__gte=timezone.localdate()).values_list("customer_id", flat=True))
    for index, customer in enumerate(customers):
        if customer.pk in covered or index % 4 == 3:  # every fourth uncovered customer stays uncovered
            continue
        items = list(InstalledItem.objects.filter(customer=customer))
        if not items:
            continue
        contract = MaintenanceContract.objects.create(
            number=f"MC-{year}-{index + 1:04d}", customer=customer, kind="maintenance",
            tier="premium" if index % 5 == 0 else "standard", status="active",
            starts_on=date(year, 1, 1), ends_on=date(year, 12, 31),
            price=Decimal(rng.choice([180_000, 240_000, 320_000, 450_000])),
        )  # fmt: skip
        contract.items.set(items)
        count("maintenance contracts")


def _contact(customer: Customer) -> Contact | None:
    return Contact.objects.filter(customer=customer).exclude(email="").order_by("id").first()


def _tell(rng: random.Random, story: str, *, customer: Customer, subject: str, description: str, category: str, severity: str,
          channel: str, logged: datetime, agent: User, lead: User, today: date) -> ServiceRequest:  # fmt: skip
    contact = _contact(customer)
    item = InstalledItem.objects.filter(customer=customer).order_by("id").first()
    request = request_create(by=agent, customer=customer, contact=contact, subject=subject, description=description,
                             category=category, severity=severity, channel=channel, installed_item=item, now=logged)  # fmt: skip
    _logged(request, logged)
    moment = logged + timedelta(minutes=rng.randint(12, 50))
    request_set_status(request=request, by=agent, status=Status.TRIAGED, now=moment)
    if story == "triaged":
        return request
    if contact is not None:
        request_reply(request=request, by=agent, body=rng.choice(REPLIES), now=moment + timedelta(minutes=5))
    moment += timedelta(hours=rng.randint(1, 5))
    request_set_status(request=request, by=agent, status=Status.IN_PROGRESS, now=moment)
    request_note(request=request, by=agent, body=rng.choice(NOTES), now=moment + timedelta(minutes=20))
    if story == "in_progress":
        return request
    if story == "waiting":
        request_set_status(request=request, by=agent, status=Status.WAITING, note="等待客户提供日志", now=moment + timedelta(hours=1))
        return request
    resolved = min(moment + timedelta(days=rng.randint(1, 3)), timezone.now() - timedelta(hours=2))
    request_set_status(request=request, by=agent, status=Status.RESOLVED, resolution=rng.choice(RESOLUTIONS), now=resolved)
    if story == "closed":
        request_set_status(request=request, by=agent, status=Status.CLOSED, now=min(resolved + timedelta(days=2), timezone.now()))
    return request


def _bounce(customer: Customer, agent: User, engineers: list[User], today: date) -> None:
    """A fault that went L1 → engineering → L1 → engineering: the return trip flags the bounce."""
    l1, engineering = Queue.objects.get(code="l1"), Queue.objects.get(code="engineering")
    logged = _at(_workday(today - timedelta(days=6)), 10)
    request = request_create(by=agent, customer=customer, contact=_contact(customer), channel=Channel.PHONE, severity="P2",
                             subject="融资融券负债明细与柜台不一致", installed_item=InstalledItem.objects.filter(customer=customer).first(),
                             description="客户对账发现 17 笔融资负债利息与柜台相差 0.01 元。", now=logged)  # fmt: skip
    _logged(request, logged)
    request_set_status(request=request, by=agent, status=Status.IN_PROGRESS, now=logged + timedelta(minutes=30))
    request_transfer(request=request, by=agent, queue=engineering, reason="疑似利息计算精度问题，需研发确认",
                     now=logged + timedelta(hours=2))  # fmt: skip
    request_transfer(request=request, by=engineers[0], queue=l1, reason="研发认为是柜台数据口径问题，退回维护中心核对",
                     now=logged + timedelta(days=1, hours=3))  # fmt: skip
    request_transfer(request=request, by=agent, queue=engineering, reason="核对柜台口径一致，仍需研发修复舍入规则",
                     now=logged + timedelta(days=2, hours=1))  # fmt: skip


def _stuck(customer: Customer, agent: User, today: date) -> None:
    """Logged a week ago, taken by an agent, then nobody touched it."""
    logged = _at(_workday(today - timedelta(days=8)), 14)
    request = request_create(by=agent, customer=customer, contact=_contact(customer), channel=Channel.EMAIL, severity="P3",
                             subject="历史成交查询超过一年无法导出", description="导出超过 12 个月的历史成交时页面无响应。",
                             now=logged)  # fmt: skip
    _logged(request, logged)
    if request.assignee_id != agent.pk:
        request_assign(request=request, by=agent, user=agent, now=logged + timedelta(minutes=40))


def _breach(customer: Customer, agent: User, today: date) -> None:
    """A P2 whose response target passed before anyone answered."""
    logged = _at(_workday(today - timedelta(days=2)), 9, 40)
    request = request_create(by=agent, customer=customer, contact=_contact(customer), channel=Channel.PHONE, severity="P2",
                             subject="盘中部分营业部无法撤单", description="营业部反馈 10:15 起撤单返回超时，重试后成功。",
                             now=logged)  # fmt: skip
    _logged(request, logged)


def _triage(today: date) -> None:
    """A mail from an address no contact holds: no customer yet, flagged for triage."""
    agents = users_by_position().get("maintenance_agent", [])
    request_create(by=agents[0] if agents else None, customer=None, requester_email="it-ops@unknown-broker.example",
                   channel=Channel.EMAIL, subject="咨询贵司交易系统的等保测评材料",
                   description="我司正在准备等保三级测评，想了解贵司交易系统可提供哪些材料。",
                   now=timezone.now() - timedelta(hours=3))  # fmt: skip


demo_steps["service.demo"] = DemoStep(key="service.demo", order=650, run=load_service)
