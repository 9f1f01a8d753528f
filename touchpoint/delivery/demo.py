"""The delivery share of the demo: the projects the demo contracts opened, brought to where their age
puts them, through the services.

Every active demo contract opened its project when the sales demo activated it. Here each project
gets its manager, engineers and customer-side contacts; tasks whose dates have passed are done (a
few are late); milestones whose payments the sales story already made due are accepted; projects
that went live long ago are handed over to the maintenance centre and closed, one waits for the
maintenance lead's signature and one is still being filled in. Running projects get two weeks of
timesheets, a risks log, a change request and a draft weekly report.
"""

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from touchpoint.core.extensions import DemoStep, demo_steps
from touchpoint.customers.demo import DEMO_NOTE
from touchpoint.customers.models import Contact
from touchpoint.delivery.models import (
    MilestoneStatus,
    Project,
    ProjectStatus,
    TaskStatus,
    TimeEntry,
    TimeStatus,
)
from touchpoint.delivery.services import handover as handovers
from touchpoint.delivery.services.changes import change_request_quote, change_request_raise
from touchpoint.delivery.services.plan import milestone_accept, task_set_status, task_update
from touchpoint.delivery.services.projects import contact_add, member_add, project_set_manager
from touchpoint.delivery.services.risks import risk_raise
from touchpoint.delivery.services.status_reports import status_report_draft
from touchpoint.delivery.services.timesheets import site_visit_log, time_decide, time_log
from touchpoint.org.demo import users_by_position
from touchpoint.sales.models import MilestoneStatus as PaymentStatus
from touchpoint.sales.models import ProductVersion

RISKS = [
    ("risk", "交易所接口规范可能在上线前调整", "high", "medium", "跟踪交易所技术通知，预留两周联调窗口。"),
    ("risk", "客户测试环境资源不足", "medium", "high", "已向客户信息技术部申请扩容两台服务器。"),
    ("issue", "柜台系统联调报文字段不一致", "high", "high", "与柜台厂商约定字段映射，周三前出补丁。"),
    ("risk", "关键用户培训时间难以协调", "low", "medium", "分营业部分批培训，提供录屏材料。"),
]
TRAININGS = [("系统管理员培训", "信息技术部 4 人"), ("营业部操作员培训", "各营业部柜员 23 人"), ("风控参数配置培训", "风险管理部 3 人")]


def is_loaded() -> bool:
    return Project.objects.filter(customer__notes=DEMO_NOTE, manager__isnull=False).exists()


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def load_delivery(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    if is_loaded():
        return "delivery: already loaded"
    staff = users_by_position()
    managers, engineers = staff.get("project_manager", []), staff.get("engineer", [])
    leads, finance = staff.get("maintenance_lead", []), staff.get("finance", [])
    projects = list(Project.objects.filter(customer__notes=DEMO_NOTE).select_related("contract", "customer").order_by("start_on", "id"))
    if not projects or not managers or not engineers or not leads:
        return "delivery: no demo projects or no delivery staff"
    today = timezone.localdate()
    counts: dict[str, int] = {}

    def count(key: str, n: int = 1) -> None:
        counts[key] = counts.get(key, 0) + n

    for index, project in enumerate(projects):
        with transaction.atomic():
            manager = managers[index % len(managers)]
            _staff(rng, project, manager, engineers, finance)
            _progress(rng, project, manager, today, count)
    # Of the projects that went live, the two most recent are still handing over (one submitted, one
    # being filled in); the others were handed over to the maintenance centre.
    live = [p for p in Project.objects.filter(pk__in=[p.pk for p in projects], status=ProjectStatus.HANDOVER).order_by("start_on", "id")]
    for index, project in enumerate(live):
        recent = len(live) - index
        with transaction.atomic():
            _hand_over(rng, project, project.manager, leads[0], today, count, sign=recent > 2, submit=recent == 2)
    for project in Project.objects.filter(pk__in=[p.pk for p in projects], status=ProjectStatus.IN_PROGRESS):
        with transaction.atomic():
            _running_work(rng, project, project.manager, today, count)
    _showcase(rng, list(Project.objects.filter(pk__in=[p.pk for p in projects], status=ProjectStatus.IN_PROGRESS)
                        .select_related("manager", "contract")), today, count)  # fmt: skip
    summary = ", ".join(f"{n} {key}" for key, n in sorted(counts.items()))
    return f"delivery: {len(projects)} projects, {summary}"


def _staff(rng: random.Random, project: Project, manager: Any, engineers: list[Any], finance: list[Any]) -> None:
    project_set_manager(project=project, manager=manager, by=manager)
    for engineer in rng.sample(engineers, k=min(len(engineers), 2)):
        member_add(project=project, user=engineer, role="engineer", by=manager)
    if finance:
        member_add(project=project, user=finance[0], role="finance", by=manager)
    contacts = list(Contact.objects.filter(customer_id=project.customer_id).order_by("id")[:3])
    for contact, role in zip(contacts, ("project_lead", "it", "operations"), strict=False):
        contact_add(project=project, contact=contact, role=role, by=manager)
    if contacts:
        contact_add(project=project, contact=contacts[0], role="acceptance", by=manager)


def _progress(rng: random.Random, project: Project, manager: Any, today: date, count: Callable[..., None]) -> None:
    """Tasks whose dates have passed are done (a few run late), the one under way is in progress;
    milestones whose payments are already due are accepted."""
    engineers = [m.user for m in project.members.filter(role="engineer").select_related("user")]
    settled = [PaymentStatus.PENDING, PaymentStatus.CANCELLED]
    due_events = set(project.contract.milestones.exclude(status__in=settled).values_list("trigger_event", flat=True))
    went_live = "go_live" in due_events
    for task in project.tasks.order_by("start_on", "order", "id"):
        assignee = rng.choice(engineers) if engineers else None
        task = task_update(task=task, by=manager, expected_version=task.version, assignee=assignee)
        if went_live or (task.end_on < today - timedelta(days=2) and rng.random() > 0.04):
            task_set_status(task=task, to=TaskStatus.DONE, by=assignee or manager)
            count("tasks done")
        elif task.start_on <= today and not task.depends_on.exclude(status=TaskStatus.DONE).exists():
            task_set_status(task=task, to=TaskStatus.IN_PROGRESS, by=assignee or manager)
            count("tasks in progress")
            break
        else:
            break
    for milestone in project.milestones.filter(status=MilestoneStatus.OPEN).order_by("due_on"):
        phase_done = milestone.phase_id is None or not project.tasks.filter(phase=milestone.phase).exclude(status=TaskStatus.DONE).exists()
        if (milestone.delivery_event and milestone.delivery_event in due_events) or (not milestone.delivery_event and phase_done
                                                                                       and milestone.due_on < today):
            milestone_accept(milestone=milestone, by=manager, accepted_on=min(milestone.due_on + timedelta(days=rng.randint(0, 6)), today))
            count("milestones accepted")


def _hand_over(rng: random.Random, project: Project, manager: Any, lead: Any, today: date, count: Callable[..., None], *,
               sign: bool, submit: bool) -> None:  # fmt: skip
    """Finish the plan and the handover; sign it by both, or leave it submitted, or half filled in."""
    for task in project.tasks.exclude(status=TaskStatus.DONE).order_by("start_on", "order", "id"):
        task_set_status(task=task, to=TaskStatus.DONE, by=manager)
    for milestone in project.milestones.filter(status=MilestoneStatus.OPEN).order_by("due_on"):
        milestone_accept(milestone=milestone, by=manager, accepted_on=min(milestone.due_on, today))
    project.refresh_from_db()
    if project.status == ProjectStatus.IN_PROGRESS:
        handovers.handover_open(project=project, by=manager)
    handover = handovers.Handover.objects.get(project=project)
    go_live = min(project.planned_end_on, today)
    handover = handovers.handover_update(
        handover=handover, by=manager, expected_version=handover.version,
        customisations="两融担保品折算率取客户参数表；行情源主备切换阈值 3 秒；营业部权限按客户组织架构配置。",
        interfaces="" if not (sign or submit) else "上交所 FAST 行情、深交所 Binary 行情与报盘；中国结算 DBF 清算文件；柜台系统 T2 接口。",
        known_risks="年度交易所规则调整需提前评估；客户柜台系统升级窗口需提前两周通知。",
        no_open_defects=sign, warranty_start=go_live, warranty_end=go_live + timedelta(days=364),
    )  # fmt: skip
    version = None
    for system in handover.systems.select_related("installed_item"):
        version = ProductVersion.objects.filter(product_id=system.installed_item.product_id).order_by("-released_on").first()
        handovers.system_update(system=system, by=manager, version=version, site="上海张江数据中心", go_live_on=go_live)
        if rng.random() < 0.5:
            handovers.system_add(handover=handover, by=manager, installed_item=system.installed_item, version=version,
                                 site="深圳灾备中心", environment="dr", go_live_on=go_live)  # fmt: skip
    if not sign:
        handovers.defect_add(handover=handover, by=manager, title="日终清算文件偶发重复导入告警", severity="P3")
    for topic, trainees in rng.sample(TRAININGS, k=2):
        handovers.training_add(handover=handover, by=manager, topic=topic, trainees=trainees,
                               trained_on=go_live - timedelta(days=rng.randint(3, 20)), trainer=str(manager))  # fmt: skip
    contacts = {link.role: link.contact for link in project.customer_contacts.select_related("contact")}
    fallback = next(iter(contacts.values()), None)
    for role in ("it", "operations"):
        contact = contacts.get(role, fallback)
        if contact is not None:
            handovers.key_contact_add(handover=handover, by=manager, contact=contact, role=role)
    if not (sign or submit):
        count("handovers being filled in")
        return
    handover.refresh_from_db()
    if not all(item.done for item in handovers.checklist(handover)):
        count("handovers incomplete")
        return
    handovers.handover_submit(handover=handover, by=manager)
    handovers.handover_sign(handover=handover, by=manager)
    if sign:
        handovers.handover_sign(handover=handover, by=lead)
        count("handovers signed")
    else:
        count("handovers awaiting the maintenance lead")


def _running_work(rng: random.Random, project: Project, manager: Any, today: date, count: Callable[..., None]) -> None:
    """Two weeks of timesheets (last week approved), a site visit and a risks log."""
    members = [m.user for m in project.members.filter(role="engineer").select_related("user")]
    tasks = list(project.tasks.filter(status__in=[TaskStatus.IN_PROGRESS, TaskStatus.DONE]).order_by("-start_on")[:3])
    if not tasks:
        return
    monday = today - timedelta(days=today.weekday())
    for engineer in members:
        for offset in range(-7, 5):
            day = monday + timedelta(days=offset)
            if day > today or day.weekday() >= 5:
                continue
            if TimeEntry.objects.filter(user=engineer, work_date=day).count() >= 2:
                continue
            time_log(user=engineer, task=rng.choice(tasks), work_date=day, hours=Decimal(rng.choice([3, 4, 4.5])),
                     note=rng.choice(["联调", "现场支持", "参数配置", "问题排查", ""]))  # fmt: skip
            count("hours logged", 1)
        old = list(TimeEntry.objects.filter(user=engineer, project=project, work_date__lt=monday, status=TimeStatus.SUBMITTED))
        if old:
            time_decide(entries=old, by=manager, approve=True)
    for kind, title, impact, likelihood, mitigation in rng.sample(RISKS, k=2):
        risk_raise(project=project, by=manager, kind=kind, title=title, impact=impact, likelihood=likelihood,
                   mitigation=mitigation, owner=manager, due_on=today + timedelta(days=rng.randint(3, 20)))  # fmt: skip
        count("risks logged")
    contact = project.customer_contacts.select_related("contact").first()
    if members:
        site_visit_log(project=project, by=members[0], occurred_at=_at(today - timedelta(days=rng.randint(1, 6)), 14),
                       subject="现场联调与生产环境检查", notes="完成行情接入验证，记录两项待办。",
                       contacts=[contact.contact] if contact else [], participants=members[:1])  # fmt: skip
        count("site visits")


def _showcase(rng: random.Random, running: list[Project], today: date, count: Callable[..., None]) -> None:
    """On the biggest running project: a change request quoted to the customer and this week's report."""
    if not running:
        return
    project = max(running, key=lambda p: p.contract.amount)
    manager = project.manager
    change = change_request_raise(project=project, by=manager, title="新增港股通交易模块对接",
                                  description="客户要求上线前增加港股通委托与行情展示，需改造交易前端并联调。",
                                  effort_days=Decimal(25), schedule_days=15)  # fmt: skip
    if project.contract.opportunity_id:
        change_request_quote(change=change, by=manager)
    change_request_raise(project=project, by=manager, title="营业部报表格式调整", description="按客户新版报表模板调整三张日报。",
                         effort_days=Decimal(3), schedule_days=0)  # fmt: skip
    count("change requests", 2)
    status_report_draft(project=project, by=manager)
    count("weekly reports drafted")


demo_steps["delivery.demo"] = DemoStep(key="delivery.demo", order=550, run=load_delivery)
