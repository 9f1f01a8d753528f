"""Demo touchpoints and follow-ups: two years of work with securities firms on every channel.

The normal demo logs about 2,000 interactions through `touchpoint_log`, so events, history and
last-contact stamps come out exactly as in real use. At a benchmark scale a second step bulk-loads
ten million touchpoints with one `touchpoint.logged` event each.
"""

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from touchpoint.core.bulk import BulkLoader
from touchpoint.core.extensions import DemoStep, demo_steps
from touchpoint.core.models import Event, EventKind
from touchpoint.customers.demo import (
    BENCH_TOUCHPOINTS,
    BULK_NOTE,
    DEMO_NOTE,
    bench_customer,
    bulk_sizes_loaded,
    scale_sizes,
)
from touchpoint.customers.models import Contact, ContactStatus, Customer, CustomerStatus
from touchpoint.org.demo import users_by_position
from touchpoint.touchpoints.models import Channel, Direction, FollowUp, Touchpoint
from touchpoint.touchpoints.services import TOUCHPOINT_LOGGED, followup_complete, touchpoint_log

PRODUCTS = ["集中交易系统", "行情系统", "融资融券系统", "手机证券", "网上交易", "风控系统", "期权交易系统", "极速交易"]


@dataclass(frozen=True)
class Topic:
    key: str
    # Templates: {product} is one of PRODUCTS.
    subjects: tuple[str, ...]
    notes: tuple[str, ...]
    outcomes: tuple[str, ...]
    channels: tuple[str, ...]
    # Positions whose holders log this kind of interaction.
    positions: tuple[str, ...]
    weight: int
    followup: str = ""


TOPICS = [
    Topic(
        "market_data",
        ("{product}行情延迟排查", "Level-2行情接入咨询", "行情源切换方案沟通", "{product}行情断线告警"),
        ("客户反映开盘后行情刷新延迟约3秒，已远程查看行情网关日志，初步判断为组播丢包。",
         "客户计划新增Level-2行情，询问授权方式和服务器配置要求，已发送部署说明。",
         "沟通主备行情源切换演练安排，客户要求周末窗口操作。"),
        ("已定位原因，待客户确认", "已发送方案", "约定下周复测"),
        (Channel.PHONE, Channel.WECHAT, Channel.EMAIL, Channel.PORTAL),
        ("maintenance_agent", "maintenance_lead", "engineer"), 18, "复测行情延迟",
    ),
    Topic(
        "order_entry",
        ("{product}委托失败问题", "报盘通道扩容需求", "新股申购委托异常", "{product}撤单响应慢"),
        ("部分客户委托返回“通道繁忙”，检查报盘机队列后已调整并发参数。",
         "客户营业部开户数增长，需要增加两条报盘通道，已提交工程部评估。",
         "新股申购日个别委托被拒，核对后为柜台参数未同步，已协助修改。"),
        ("已解决", "转工程部评估", "客户确认恢复正常"),
        (Channel.PHONE, Channel.WECHAT, Channel.PORTAL),
        ("maintenance_agent", "engineer"), 14, "确认委托恢复情况",
    ),
    Topic(
        "margin",
        ("融资融券系统需求调研", "两融担保品折算率调整", "融资融券系统报价沟通", "两融业务上线方案评审"),
        ("与融资融券部讨论担保品管理、集中度控制和平仓预警需求，客户希望年内上线。",
         "客户新增担保品折算率规则，需要在系统中支持按行业分组设置。",
         "就融资融券模块进行报价沟通，客户关注实施周期和与现有柜台的对接。"),
        ("需求已记录，准备方案", "已提交报价", "客户内部评审中"),
        (Channel.MEETING, Channel.PHONE, Channel.EMAIL),
        ("sales_rep", "sales_manager", "project_manager"), 12, "提交融资融券方案",
    ),
    Topic(
        "risk",
        ("风控系统指标配置", "异常交易监控规则评审", "{product}风控阈值调整", "监管报送口径确认"),
        ("合规风控部要求增加对倒交易和频繁撤单的监控指标，已整理需求清单。",
         "讨论盘中实时风控阈值，客户希望按营业部分级设置。",
         "确认监管报送字段口径，客户将提供最新的报送模板。"),
        ("需求确认", "已完成配置", "待客户提供模板"),
        (Channel.MEETING, Channel.EMAIL, Channel.PHONE),
        ("sales_rep", "engineer", "project_manager"), 10, "跟进风控需求确认",
    ),
    Topic(
        "upgrade",
        ("{product}版本升级通知", "周末升级窗口确认", "{product}升级后回访", "信创环境适配升级"),
        ("通知客户新版本发布，包含性能优化和若干问题修复，建议在下个周末窗口升级。",
         "与客户确认周六晚间升级窗口及回退方案，客户安排值班人员配合。",
         "升级后回访，客户反馈系统运行平稳，交易峰值处理能力提升明显。"),
        ("升级窗口已确认", "升级完成", "客户满意"),
        (Channel.EMAIL, Channel.PHONE, Channel.LETTER, Channel.PORTAL),
        ("maintenance_lead", "maintenance_agent", "engineer"), 12, "确认升级结果",
    ),
    Topic(
        "fault",
        ("{product}故障处理", "数据库主备切换故障", "开盘前系统无法登录", "清算批处理超时"),
        ("客户报告开盘前交易终端无法登录，远程排查为证书过期，已更新证书并恢复。",
         "夜间清算批处理超时约40分钟，分析后为索引失效，已重建索引并优化脚本。",
         "数据库主备切换后部分服务未自动重连，已手工恢复并提交根因分析。"),
        ("已恢复，提交故障报告", "根因分析中", "已恢复"),
        (Channel.PHONE, Channel.WECHAT, Channel.FAX, Channel.PORTAL),
        ("maintenance_agent", "maintenance_lead"), 12, "提交故障分析报告",
    ),
    Topic(
        "training",
        ("{product}操作培训", "新版本功能培训", "运维人员培训安排"),
        ("为客户运维人员进行为期两天的系统运维培训，覆盖日常巡检和应急处理。",
         "为营业部柜员讲解新版本功能变化，并提供操作手册。",
         "确认培训时间和参训人数，客户希望线上线下结合。"),
        ("培训完成", "已发送培训资料", "培训时间已确认"),
        (Channel.MEETING, Channel.EMAIL, Channel.WEB),
        ("engineer", "project_manager"), 8, "收集培训反馈",
    ),
    Topic(
        "payment",
        ("合同第二期款项催收", "验收款开票确认", "维护费续费提醒", "回款计划沟通"),
        ("提醒客户第二期合同款已逾期30天，客户财务表示本月底前安排付款。",
         "确认验收款发票抬头和税号，发票已寄出。",
         "年度维护合同即将到期，发送续费通知和报价。"),
        ("客户承诺月底付款", "发票已寄出", "客户走内部审批"),
        (Channel.PHONE, Channel.EMAIL, Channel.LETTER),
        ("finance", "sales_rep"), 8, "确认款项到账",
    ),
    Topic(
        "sales",
        ("年度技术交流会邀请", "拜访信息技术部", "新产品演示", "招标文件澄清"),
        ("拜访客户信息技术部总经理，介绍极速交易和手机证券新版本，客户对低延迟方案感兴趣。",
         "邀请客户参加年度技术交流会，客户将派两人参加。",
         "针对招标文件中的技术条款进行澄清，已提交书面答复。"),
        ("客户有兴趣，安排演示", "已确认参会", "等待评标结果"),
        (Channel.MEETING, Channel.PHONE, Channel.WECHAT, Channel.EMAIL),
        ("sales_rep", "sales_manager", "marketing", "executive"), 10, "安排产品演示",
    ),
]

DEMO_TOUCHPOINTS = 2000
DEMO_FOLLOWUPS = 160


def _direction(rng: random.Random, channel: str) -> str:
    if channel == Channel.PORTAL:
        return Direction.INBOUND
    return Direction.INBOUND if rng.random() < 0.45 else Direction.OUTBOUND


def is_loaded() -> bool:
    return Touchpoint.all_objects.filter(customer__notes=DEMO_NOTE).exists()


def _moments(rng: random.Random, count: int, now: datetime) -> list[datetime]:
    """`count` moments over the last two years in office hours, ascending, all in the past."""
    start = now - timedelta(days=730)
    moments = []
    for _ in range(count):
        day = start + timedelta(days=rng.randrange(729))
        local = timezone.localtime(day).replace(hour=rng.randint(8, 19), minute=rng.randrange(60), second=0,
                                                microsecond=0)  # fmt: skip
        moments.append(min(local, now - timedelta(hours=1)))
    return sorted(moments)


def load_touchpoints(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    if is_loaded():
        return "touchpoints: already loaded"
    staff = users_by_position()
    customers = list(Customer.objects.filter(notes=DEMO_NOTE).select_related("owner").order_by("id"))
    contacts: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(customer__in=customers, status=ContactStatus.ACTIVE).order_by("id"):
        contacts.setdefault(contact.customer_id, []).append(contact)
    # Active customers and large firms are contacted far more often than prospects.
    weights = [5 if c.status == CustomerStatus.ACTIVE else 2 if c.status == CustomerStatus.PROSPECT else 1
               for c in customers]  # fmt: skip
    topic_weights = [t.weight for t in TOPICS]
    now = timezone.now()
    moments = _moments(rng, DEMO_TOUCHPOINTS, now)
    followup_at = set(rng.sample(range(DEMO_TOUCHPOINTS), DEMO_FOLLOWUPS))
    followups = 0
    with transaction.atomic():
        for index, occurred_at in enumerate(moments):
            customer = rng.choices(customers, weights=weights)[0]
            topic = rng.choices(TOPICS, weights=topic_weights)[0]
            position = rng.choice(topic.positions)
            by = customer.owner if position == "sales_rep" else rng.choice(staff[position])
            channel = rng.choice(topic.channels)
            people = contacts.get(customer.pk, [])
            chosen = rng.sample(people, min(len(people), rng.choice([1, 1, 1, 2]))) if people else []
            due = None
            if index in followup_at:
                due = (occurred_at + timedelta(days=rng.randint(2, 21))).date()
                followups += 1
            touchpoint_log(
                by=by, customer=customer, channel=channel, direction=_direction(rng, channel),
                subject=rng.choice(topic.subjects).format(product=rng.choice(PRODUCTS)),
                occurred_at=occurred_at, notes=rng.choice(topic.notes), outcome=rng.choice(topic.outcomes),
                contacts=chosen, followup_due_on=due, followup_subject=topic.followup if due else "",
                participants=[customer.owner] if channel == Channel.MEETING and by != customer.owner else None,
            )  # fmt: skip
        done = _complete_old_followups(rng, now)
        _backdate_setup(rng, customers, now)
    return f"touchpoints: {len(moments)} touchpoints, {followups} follow-ups ({done} done)"


def _complete_old_followups(rng: random.Random, now: datetime) -> int:
    """Most follow-ups due long ago are done; some stay open and overdue, recent ones stay open."""
    done = 0
    cutoff = (now - timedelta(days=14)).date()
    for followup in FollowUp.objects.filter(due_on__lt=cutoff).select_related("assignee").order_by("id"):
        if rng.random() < 0.85:
            outcome = rng.choice(["已处理完毕", "客户已确认", "已回访，问题关闭"])
            followup_complete(followup=followup, by=followup.assignee, outcome=outcome)
            done += 1
    return done


def _backdate_setup(rng: random.Random, customers: list[Customer], now: datetime) -> None:
    """Put the demo's setup on its two-year story instead of at the minute it was loaded.

    The services stamp every event with the time they run; the demo loads two years in seconds, so
    the customers, contacts, account teams and follow-ups it creates are moved back to when that
    story has them happen. Only demo data is rewritten this way.
    """
    first_touch = dict(
        Touchpoint.objects.filter(customer__in=customers).values("customer_id").annotate(first=Min("occurred_at"))
        .values_list("customer_id", "first")
    )  # fmt: skip
    setup_verbs = ["customer.created", "customer.branch_added", "customer.team_changed", "contact.created"]
    for customer in customers:
        start = first_touch.get(customer.pk, now - timedelta(days=700)) - timedelta(days=rng.randint(3, 60))
        Customer.all_objects.filter(pk=customer.pk).update(created_at=start)
        Contact.all_objects.filter(customer=customer).update(created_at=start)
        Event.objects.filter(customer_id=customer.pk, verb__in=setup_verbs).update(occurred_at=start)
    for followup in FollowUp.objects.filter(customer__in=customers).select_related("touchpoint"):
        planned = followup.touchpoint.occurred_at if followup.touchpoint else followup.created_at
        Event.objects.filter(target_type="touchpoints.followup", target_id=followup.pk, verb="followup.created").update(
            occurred_at=planned
        )
        if followup.done_at:
            done_at = min(now, datetime.combine(followup.due_on, time(hour=rng.randint(9, 17)), tzinfo=planned.tzinfo)
                          + timedelta(days=rng.randint(-2, 3)))  # fmt: skip
            FollowUp.all_objects.filter(pk=followup.pk).update(done_at=done_at, created_at=planned)
            Event.objects.filter(target_type="touchpoints.followup", target_id=followup.pk, verb="followup.done").update(
                occurred_at=done_at
            )


# --- Benchmark scale ---------------------------------------------------------------

TOUCHPOINT_COLUMNS = (
    "id", "created_at", "updated_at", "version", "customer_id", "channel", "direction", "occurred_at",
    "subject", "notes", "outcome", "department_id", "logged_by_id", "link_type", "email_to", "email_message_id",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "occurred_at", "actor_id", "verb", "kind", "customer_id", "department_id", "channel", "target_type",
    "target_id", "payload",
)  # fmt: skip
TIMESTAMPS = 100_000


def _bulk_variants() -> list[tuple[str, str, str, str]]:
    """Every (subject, notes, outcome, channel) a bulk touchpoint may have, from the demo topics."""
    variants = []
    for topic in TOPICS:
        for template in topic.subjects:
            for product in PRODUCTS if "{product}" in template else [""]:
                for position, channel in enumerate(topic.channels):
                    notes = topic.notes[position % len(topic.notes)]
                    outcome = topic.outcomes[position % len(topic.outcomes)]
                    variants.extend([(template.format(product=product), notes, outcome, str(channel))] * topic.weight)
    return variants


def load_bulk_touchpoints(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    sizes = scale_sizes(scale)
    if not sizes["touchpoints"]:
        return ""
    target = bench_customer()
    if target is None:
        return "bulk touchpoints: no bulk customers"
    if Touchpoint.all_objects.filter(customer=target).exists():
        return f"bulk touchpoints: already loaded at {bulk_sizes_loaded()}"
    customer_ids = list(
        Customer.objects.filter(notes=BULK_NOTE).order_by("id").values_list("id", flat=True)
    )
    total = sizes["touchpoints"]
    # Exactly BENCH_TOUCHPOINTS for the customer-360 benchmark customer, however small the scale.
    on_target = min(BENCH_TOUCHPOINTS, max(1, total // 2))
    loader = BulkLoader(report=out)
    staff = [u for users in users_by_position().values() for u in users]
    loggers = [(u.pk, u.department_id) for u in staff]
    now = timezone.now()
    moments = [loader.timestamp_text(now - timedelta(days=730) + (timedelta(days=730) - timedelta(hours=2)) * i / TIMESTAMPS)
               for i in range(TIMESTAMPS)]  # fmt: skip
    variants = _bulk_variants()
    payloads: dict[tuple[str, str], str] = {}
    first_touchpoint = loader.next_id(Touchpoint._meta.db_table)
    first_event = loader.next_id(Event._meta.db_table)
    target_rows = set(rng.sample(range(total), on_target))
    last_touch: dict[int, int] = {}
    events: list[tuple] = []
    verb, kind, target_type = TOUCHPOINT_LOGGED, str(EventKind.TOUCHPOINT), Touchpoint._meta.label_lower
    inbound, outbound = str(Direction.INBOUND), str(Direction.OUTBOUND)

    def touchpoint_rows(start: int, stop: int) -> Iterator[tuple]:
        count = len(customer_ids)
        for offset in range(start, stop):
            pk = first_touchpoint + offset
            if offset in target_rows:
                customer_id = target.pk
            else:
                # Skewed: a few large customers get many touchpoints, most get a handful.
                customer_id = customer_ids[int(count * rng.random() ** 1.5)]
            moment_index = offset * TIMESTAMPS // total
            moment = moments[moment_index]
            last_touch[customer_id] = moment_index
            subject, notes, outcome, channel = variants[rng.randrange(len(variants))]
            direction = inbound if channel == "portal" or rng.random() < 0.45 else outbound
            user_id, department_id = loggers[rng.randrange(len(loggers))]
            payload = payloads.get((subject, direction))
            if payload is None:
                payload = json.dumps({"subject": subject, "direction": direction}, ensure_ascii=False)
                payloads[(subject, direction)] = payload
            events.append((first_event + offset, moment, user_id, verb, kind, customer_id, department_id, channel,
                           target_type, pk, payload))  # fmt: skip
            yield (pk, moment, moment, 1, customer_id, channel, direction, moment, subject, notes, outcome,
                   department_id, user_id, "", "", "")  # fmt: skip

    chunk = 200_000
    with loader.loading([Touchpoint._meta.db_table, Event._meta.db_table]):
        for start in range(0, total, chunk):
            loader.write(Touchpoint._meta.db_table, TOUCHPOINT_COLUMNS, touchpoint_rows(start, min(total, start + chunk)))
            loader.write(Event._meta.db_table, EVENT_COLUMNS, events)
            events.clear()
            if start and start % 2_000_000 == 0:
                out(f"bulk: {start:,} touchpoints written")
        _stamp_last_touch(loader, {pk: moments[i] for pk, i in last_touch.items()})
        loader.reset_sequence(Touchpoint._meta.db_table)
        loader.reset_sequence(Event._meta.db_table)
    loader.analyze([Customer._meta.db_table])
    return f"bulk touchpoints: {total} touchpoints and events, {on_target} on customer {target.pk}"


def _stamp_last_touch(loader: BulkLoader, stamps: dict[int, str]) -> None:
    """Set last_touch_at of bulk customers to their latest touchpoint, as touchpoint_log does."""
    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        if loader.is_postgresql:
            cursor.execute("CREATE TEMPORARY TABLE bulk_last_touch (id bigint, at timestamptz) ON COMMIT DROP")
            loader.write("bulk_last_touch", ("id", "at"), stamps.items())
            cursor.execute(
                f"UPDATE {table} SET last_touch_at = bulk_last_touch.at FROM bulk_last_touch "  # noqa: S608
                f"WHERE {table}.id = bulk_last_touch.id"
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET last_touch_at = %s WHERE id = %s",  # noqa: S608
                [(at, pk) for pk, at in stamps.items()],
            )


demo_steps["touchpoints.demo"] = DemoStep(key="touchpoints.demo", order=300, run=load_touchpoints)
demo_steps["touchpoints.bulk"] = DemoStep(key="touchpoints.bulk", order=1300, run=load_bulk_touchpoints)
