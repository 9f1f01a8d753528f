"""Demo sales: leads, opportunities over the whole pipeline, requirements, quotes, discount approvals
and contracts for the demo securities firms; and, at a benchmark scale, the sales share of the scale
dataset.

The normal demo (order 400, after the catalogue) goes through the services, so every step lands on
the customers' 360 timelines exactly as in real use. The services stamp the moment they run; the
demo then moves what each step wrote onto a story of the last twelve months (and the next nine, for
close dates), so that reports, the forecast and time in stage have history.

The bulk step (order 1400) writes rows directly, like the other bulk steps: 200,000 opportunities at
full scale, 2,000 of them open on the desks of the sales manager's team (the kanban benchmark),
5,000 past contracts with their quotes, lines, milestones and installed base (recommendation and
price history), and one opportunity with exactly 50 requirements. Bulk rows carry no events and no
history rows; the dataset is for measuring reads.

Competitor names are invented, like the firms.
"""

import json
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from touchpoint.core.bulk import BulkLoader
from touchpoint.core.extensions import DemoStep, demo_steps
from touchpoint.core.models import Event
from touchpoint.core.money import HUNDRED, ZERO, default_tax_rate, money
from touchpoint.customers.demo import (
    BULK_NOTE,
    DEMO_NOTE,
    REGIONS,
    Phones,
    _pinyin,
    bench_customer,
    person_name,
    scale_factor,
)
from touchpoint.customers.models import AccountMember, Contact, ContactStatus, Customer, CustomerStatus, CustomerType
from touchpoint.org.demo import users_by_position
from touchpoint.org.models import Department, Membership, Position, User
from touchpoint.org.services import user_create
from touchpoint.sales.access import visible_opportunities
from touchpoint.sales.models import (
    ApprovalStatus,
    Contract,
    ContractStatus,
    Coverage,
    DeliveryEvent,
    DiscountApproval,
    InstalledItem,
    InstalledStatus,
    Lead,
    LeadSource,
    LicenceType,
    LineKind,
    LostReason,
    MilestoneStatus,
    MilestoneTrigger,
    Module,
    ModulePrice,
    Opportunity,
    PaymentMilestone,
    Pipeline,
    Priority,
    Product,
    ProductVersion,
    Quote,
    QuoteLine,
    QuoteStatus,
    Requirement,
    RequirementArea,
    RequirementTemplate,
    Stage,
    StageOutcome,
    StageVisit,
)
from touchpoint.sales.services.contracts import contract_confirm, contract_from_quote, delivery_event_fire
from touchpoint.sales.services.leads import lead_assign, lead_create, lead_disqualify, lead_qualify
from touchpoint.sales.services.opportunities import (
    default_pipeline,
    opportunity_create,
    opportunity_move,
    opportunity_update,
)
from touchpoint.sales.services.quotes import (
    approval_decide,
    quote_accept,
    quote_create,
    quote_decline,
    quote_line_add,
    quote_mark_sent,
    quote_submit,
)
from touchpoint.sales.services.requirements import requirement_add, requirements_from_template

# Invented vendors competing for the same deals.
COMPETITORS = ["恒远科技", "金桥软件", "顶峰信息", "同达网络", "华讯金科", "融安数据", "博衍软件"]

# Project titles and the product each is mainly about.
PROJECTS: list[tuple[str, str]] = [
    ("集中交易系统升级", "online-trading"), ("网上交易系统信创改造", "online-trading"),
    ("算法交易平台建设", "online-trading"), ("PC 交易客户端替换", "online-trading"),
    ("两融系统建设", "margin-trading"), ("融资融券系统升级", "margin-trading"),
    ("转融通与券源管理建设", "margin-trading"), ("移动APP改版", "mobile-app"), ("手机证券APP重构", "mobile-app"),
    ("线上开户系统建设", "mobile-app"), ("风控平台替换", "risk-control"), ("实时风控系统建设", "risk-control"),
    ("行情系统扩容", "market-data"), ("Level-2 行情接入", "market-data"), ("港美股行情建设", "market-data"),
    ("期权业务系统建设", "options-trading"), ("股票期权做市系统", "options-trading"),
    ("清算系统信创改造", "clearing"), ("日终清算系统升级", "clearing"),
]  # fmt: skip

# What customers ask for, by requirement area.
REQUIREMENT_TEXTS: dict[str, list[str]] = {
    "market_data": ["沪深 Level-1 行情秒级刷新，开盘峰值不丢包", "接入 Level-2 逐笔成交与委托队列",
                    "港股通实时行情与美股延时行情", "行情主备源自动切换，切换时间小于 3 秒",
                    "期货与期权行情统一展示"],
    "order_entry": ["普通委托、撤单与批量下单", "条件单、止盈止损单与网格交易", "TWAP/VWAP 算法单与篮子交易",
                    "新股、新债申购一键委托", "委托峰值 5,000 笔每秒，平均时延低于 2 毫秒", "基金申购赎回与理财产品购买"],
    "margin_trading": ["信用账户开立、授信与额度管理", "担保品折算率按行业分组设置", "维持担保比例实时计算与追保通知",
                       "券源调度与转融通接口", "融资融券合约展期与了结"],
    "options": ["个股期权与 ETF 期权委托", "组合策略保证金计算", "行权指派与到期提醒", "做市商双边报价接口"],
    "risk_control": ["委托前风控规则可按营业部分级配置", "异常交易实时预警（对倒、频繁撤单）",
                     "客户持仓集中度监控", "强制平仓预警与执行留痕", "黑白名单与交易权限控制"],
    "clearing": ["对接中国结算与沪深交易所清算文件", "日终清算批处理 2 小时内完成", "第三方存管银证转账",
                 "清算对账报表与差错处理"],
    "mobile": ["iOS 与 Android 手机交易 APP，支持鸿蒙", "指纹与人脸登录", "视频见证线上开户",
               "APP 内两融交易", "自选股云同步与消息推送"],
    "reporting": ["营业部交易量与客户活跃度日报", "两融监管报送与日终报表", "风险指标日报与管理驾驶舱",
                  "报表可导出 Excel 并按权限分发"],
    "compliance": ["投资者适当性管理与风险测评", "交易行为留痕与合规检查", "满足等保三级与信创适配要求",
                   "监管报送口径可配置"],
    "other": ["与现有统一认证平台单点登录", "与 CRM 及客服系统对接", "提供两地三中心部署方案",
              "项目期内驻场实施与培训"],
}  # fmt: skip

DECISIONS = [
    "信息技术部牵头选型，经纪业务部参与评审，最终由总经理办公会决策。",
    "公开招标，技术分占 60%，商务分占 40%。",
    "先做 POC 测试，两家厂商入围，预算已列入年度信息化投入。",
    "分管副总裁拍板，采购部负责商务谈判。",
    "需经集团科技委评审，预计两轮技术交流。",
]
NEXT_STEPS = ["安排产品演示", "提交技术方案", "组织需求调研会", "拜访分管副总裁", "准备 POC 环境", "提交商务报价",
              "澄清招标技术条款", "约客户参观标杆案例"]  # fmt: skip
LOST_DETAILS: dict[str, list[str]] = {
    LostReason.PRICE: ["报价高于客户预算约 15%", "对手报价低 20%，客户最终选择低价方案"],
    LostReason.COMPETITOR: ["客户选择了{competitor}", "{competitor}与客户现有柜台同一厂商，集成成本低"],
    LostReason.FEATURES: ["缺少鸿蒙版 APP，短期无法满足", "客户要求的组合保证金功能尚未发布"],
    LostReason.BUDGET: ["年度预算被压缩，项目取消", "信息化预算转投数据中心建设"],
    LostReason.TIMING: ["监管新规未落地，项目延期至明年", "客户换届，项目暂停"],
    LostReason.RELATIONSHIP: ["客户关键决策人调整，新领导倾向原厂商"],
}
DISQUALIFY_REASONS = ["个人投资者咨询，不是机构客户", "重复提交，已有对应客户", "学生调研，无采购需求",
                      "联系方式无效，多次联系未果", "境外机构，暂不在服务范围", "同行厂商打探价格"]  # fmt: skip
LEAD_BRANDS = ["岚峰", "逸舟", "瑞禾", "云帆", "衡信", "澜沧", "锦川", "南岳", "启明", "泓川", "华彬", "汇航",
               "盛远", "长岭", "沐阳", "鼎信", "青云", "映山", "栖霞", "凌云"]  # fmt: skip
LEAD_TYPES = [("证券股份有限公司", CustomerType.SECURITIES), ("期货有限公司", CustomerType.FUTURES),
              ("基金管理有限公司", CustomerType.FUND), ("资产管理有限公司", CustomerType.OTHER)]  # fmt: skip
LEAD_TITLES = ["信息技术部经理", "首席信息官", "经纪业务部副总", "运维主管", "采购经理"]
LEAD_INTERESTS = [
    "想了解贵司网上交易系统的信创版本和报价。", "计划明年上线融资融券业务，希望安排方案交流。",
    "手机 APP 需要改版，希望看看贵司的产品演示。", "现有风控系统即将过保，考虑替换，请联系。",
    "咨询期权交易系统的部署周期和参考客户。", "对 Level-2 行情接入方案感兴趣。",
]  # fmt: skip

OPEN_PATH = ["lead_confirm", "discovery", "proposal", "negotiation"]
# The stages the directly created opportunities end in (the qualified leads add eight more).
DEMO_FINAL_STAGES = (
    ["lead_confirm"] * 8 + ["discovery"] * 12 + ["proposal"] * 14 + ["negotiation"] * 10 + ["won"] * 16 + ["lost"] * 12
)
# Of the opportunities in 方案与报价, how many wait for the manager's discount approval, and how many
# hold a draft quote.
PENDING_APPROVALS = 4
DRAFT_QUOTES = 4
APPROVAL_COMMENTS = ["战略客户，同意本次折扣。", "同意，请在合同中约定付款节点。", "标杆项目，同意。"]


def is_loaded() -> bool:
    return Opportunity.all_objects.filter(customer__notes=DEMO_NOTE).exists()


class Clock:
    """Moves the events the services have just written onto the story's time."""

    def __init__(self) -> None:
        self.last = Event.objects.aggregate(top=Max("id"))["top"] or 0

    def stamp(self, moment: datetime) -> None:
        top = Event.objects.aggregate(top=Max("id"))["top"] or 0
        if top > self.last:
            Event.objects.filter(pk__gt=self.last, pk__lte=top).update(occurred_at=moment)
        self.last = top


@dataclass
class Setting:
    """What the normal demo's stories draw on, read once."""

    rng: random.Random
    now: datetime
    clock: Clock
    stages: dict[str, Stage]
    areas: dict[str, RequirementArea]
    products: dict[str, Product]
    modules: dict[str, list[Module]]  # product code -> modules on sale
    module_areas: dict[int, set[str]]
    templates: dict[str, RequirementTemplate]
    contacts: dict[int, list[Contact]]
    reps: list[User]
    manager: User
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


def _setting(rng: random.Random) -> Setting:
    staff = users_by_position()
    modules: dict[str, list[Module]] = {}
    for module in Module.objects.filter(retired_at__isnull=True).select_related("product").order_by("product__code", "code"):
        modules.setdefault(module.product.code, []).append(module)
    module_areas: dict[int, set[str]] = {}
    for module_id, code in Module.areas.through.objects.values_list("module_id", "requirementarea__code"):
        module_areas.setdefault(module_id, set()).add(code)
    contacts: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(customer__notes=DEMO_NOTE, status=ContactStatus.ACTIVE).order_by("id"):
        contacts.setdefault(contact.customer_id, []).append(contact)
    templates = {t.name: t for t in RequirementTemplate.objects.filter(is_active=True)}
    return Setting(
        rng=rng, now=timezone.now(), clock=Clock(),
        stages={stage.code: stage for stage in default_pipeline().stages.all()},
        areas={area.code: area for area in RequirementArea.objects.filter(is_active=True)},
        products={product.code: product for product in Product.objects.filter(retired_at__isnull=True)},
        modules=modules, module_areas=module_areas, templates=templates, contacts=contacts,
        reps=staff.get("sales_rep", []), manager=staff["sales_manager"][0],
    )  # fmt: skip


def _between(start: datetime, end: datetime, fraction: float) -> datetime:
    return start + (end - start) * fraction


def _stage_times(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    """`count` moments from start to end, evenly spread with some jitter, in order."""
    if count == 1:
        return [start]
    gap = (end - start) / (count - 1)
    times = [start]
    for index in range(1, count - 1):
        times.append(start + gap * index + gap * rng.uniform(-0.25, 0.25))
    times.append(end)
    return times


# --- Opportunities ----------------------------------------------------------------------------


def _bundle(s: Setting, product: Product) -> list[Module]:
    """The main product's core modules and one to three others; sometimes a module of a second product."""
    own = s.modules.get(product.code, [])
    core = [m for m in own if m.is_core]
    others = [m for m in own if not m.is_core]
    chosen = core + s.rng.sample(others, min(len(others), s.rng.randint(1, 3)))
    if s.rng.random() < 0.25:
        extra = [m for code, mods in s.modules.items() if code != product.code for m in mods if not m.is_core]
        chosen.append(s.rng.choice(extra))
    return chosen


def _list_price(module: Module) -> Decimal:
    price = (
        ModulePrice.objects.filter(module=module, licence_type=LicenceType.PERPETUAL, valid_from__lte=timezone.localdate())
        .order_by("-valid_from").values_list("list_price", flat=True).first()
    )  # fmt: skip
    return price or Decimal(0)


def _add_requirements(s: Setting, opportunity: Opportunity, bundle: list[Module], by: User) -> list[Requirement]:
    """Five to fifteen requirements: sometimes a template first, then items from the areas the bundle
    serves (mostly) and others, linked to the modules that cover them."""
    rng = s.rng
    wanted = rng.randint(5, 15)
    added: list[Requirement] = []
    product_code = opportunity.product.code if opportunity.product else ""
    template_name = "两融业务标准需求" if product_code in ("margin-trading", "risk-control") else "经纪业务标准需求"
    if rng.random() < 0.3 and template_name in s.templates:
        added += requirements_from_template(opportunity=opportunity, template=s.templates[template_name], by=by)
    bundle_areas = sorted({code for m in bundle for code in s.module_areas.get(m.pk, ())} & set(s.areas))
    used: set[str] = {r.description for r in added}
    people = s.contacts.get(opportunity.customer_id, [])
    while len(added) < wanted:
        area = rng.choice(bundle_areas) if bundle_areas and rng.random() < 0.75 else rng.choice(sorted(s.areas))
        texts = [t for t in REQUIREMENT_TEXTS.get(area, []) if t not in used]
        if not texts:
            if not [a for a in s.areas if any(t not in used for t in REQUIREMENT_TEXTS.get(a, []))]:
                break
            continue
        text = rng.choice(texts)
        used.add(text)
        covering = [m for m in bundle if area in s.module_areas.get(m.pk, ())]
        if covering and rng.random() < 0.85:
            modules = rng.sample(covering, min(len(covering), rng.choice([1, 1, 2])))
            coverage, effort = rng.choice([Coverage.STANDARD, Coverage.STANDARD, Coverage.CONFIGURABLE]), 0
            if rng.random() < 0.15:
                coverage, effort = Coverage.CUSTOM, rng.randint(3, 20)
        else:
            modules = []
            coverage = Coverage.CUSTOM if rng.random() < 0.7 else Coverage.OUT_OF_SCOPE
            effort = rng.randint(5, 60) if coverage == Coverage.CUSTOM else 0
        added.append(requirement_add(
            opportunity=opportunity, by=by, area=s.areas[area], description=text,
            priority=rng.choices([Priority.MUST, Priority.SHOULD, Priority.COULD], weights=[4, 4, 2])[0],
            asked_by=rng.choice(people) if people and rng.random() < 0.7 else None,
            coverage=coverage, custom_effort_days=effort, modules=modules,
        ))  # fmt: skip
    return added


def _quote(
    s: Setting, opportunity: Opportunity, bundle: list[Module], requirements: list[Requirement], *, by: User,
    discount: Decimal,
) -> Quote:  # fmt: skip
    """A draft: a licence line per module (linked to the requirements it covers), services for the custom
    effort, and the first year's maintenance."""
    people = s.contacts.get(opportunity.customer_id, [])
    quote = quote_create(opportunity=opportunity, by=by, contact=people[0] if people else None)
    licence = ZERO
    by_id = {r.pk: r for r in requirements}
    covered_by: dict[int, list[Requirement]] = {}
    links = Requirement.modules.through.objects.filter(requirement__opportunity=opportunity)
    for requirement_id, module_id in links.values_list("requirement_id", "module_id"):
        covered_by.setdefault(module_id, []).append(by_id[requirement_id])
    for module in bundle:
        covering = covered_by.get(module.pk, [])
        line = quote_line_add(quote=quote, by=by, module=module, licence_type=LicenceType.PERPETUAL,
                              discount_percent=discount, requirements=covering)  # fmt: skip
        licence += line.net_amount
    effort = sum((r.custom_effort_days for r in requirements if r.coverage == Coverage.CUSTOM), ZERO)
    product = opportunity.product
    if effort and product:
        quote_line_add(quote=quote, by=by, kind=LineKind.SERVICE, description="实施与定制开发", quantity=effort,
                       unit_price=product.day_rate)  # fmt: skip
    if product and licence:
        quote_line_add(quote=quote, by=by, kind=LineKind.MAINTENANCE,
                       description=f"首年维护（许可费的 {product.maintenance_percent}%）",
                       unit_price=money(licence * product.maintenance_percent / HUNDRED))  # fmt: skip
    quote.refresh_from_db()
    return quote


def _approve_if_asked(s: Setting, quote: Quote, at: datetime) -> Quote:
    approval = DiscountApproval.objects.filter(quote=quote, status=ApprovalStatus.PENDING).first()
    if approval is not None:
        approval_decide(approval=approval, by=s.manager, approve=True, comment=s.rng.choice(APPROVAL_COMMENTS))
        s.clock.stamp(at)
        DiscountApproval.objects.filter(pk=approval.pk).update(decided_at=at)
        s.count("approved discounts")
    quote.refresh_from_db()
    return quote


def _opportunity_story(s: Setting, *, customer: Customer, owner: User, final: str, quote_plan: str = "") -> Opportunity:
    """One opportunity from first contact to where it stands, each step at its moment in the story."""
    rng, now = s.rng, s.now
    title, product_code = rng.choice(PROJECTS)
    product = s.products[product_code]
    bundle = _bundle(s, product)
    list_total = sum((_list_price(m) for m in bundle), ZERO)
    amount = min(Decimal(5_000_000), max(Decimal(300_000), (list_total * Decimal("1.25") / 10_000).quantize(1) * 10_000))
    if final in ("won", "lost"):
        reach = rng.choices([1, 2, 3, 4], weights=[2, 3, 3, 2])[0]
        path = [*OPEN_PATH, "won"] if final == "won" else [*OPEN_PATH[:reach], "lost"]
        end = now - timedelta(days=rng.uniform(3, 360))
        start = end - timedelta(days=rng.uniform(40, 200))
        close_date = timezone.localdate(end)
    else:
        path = OPEN_PATH[: OPEN_PATH.index(final) + 1]
        start = now - timedelta(days=rng.uniform(20, 300))
        end = now - timedelta(days=rng.uniform(2, 15))
        close_date = timezone.localdate(now) + timedelta(days=rng.randint(-20, 270))
    times = _stage_times(rng, start, end, len(path))
    competitors = "、".join(rng.sample(COMPETITORS, rng.choice([0, 1, 1, 2, 2, 3])))
    is_open = final not in ("won", "lost")
    opportunity = opportunity_create(
        by=owner, customer=customer, title=title if rng.random() < 0.5 else f"{close_date.year}年{title}项目",
        owner=owner, close_date=close_date, amount=amount, product=product, competitors=competitors,
        decision_process=rng.choice(DECISIONS),
        next_step=rng.choice(NEXT_STEPS) if is_open else "",
        next_step_date=timezone.localdate(now) + timedelta(days=rng.randint(-5, 30)) if is_open else None,
    )  # fmt: skip
    s.clock.stamp(times[0])
    requirements = _add_requirements(s, opportunity, bundle, owner)
    asked_at = _between(times[0], times[1], 0.5) if len(times) > 1 else _between(times[0], now, 0.5)
    s.clock.stamp(asked_at)
    Requirement.objects.filter(opportunity=opportunity).update(created_at=asked_at)
    s.count("requirements", len(requirements))
    quote: Quote | None = None
    stamps: dict[str, datetime] = {}
    for index, (code, moment) in enumerate(zip(path[1:], times[1:], strict=True), start=1):
        previous = times[index - 1]
        if code == "negotiation" or (code == "lost" and path[index - 1] in ("proposal", "negotiation") and quote is None):
            quote = _quote(s, opportunity, bundle, requirements, by=owner, discount=_discount(s))
            stamps["created"] = _between(previous, moment, 0.2)
            s.clock.stamp(stamps["created"])
            quote = quote_submit(quote=quote, by=owner, reason="客户预算有限，竞争激烈")
            s.clock.stamp(_between(previous, moment, 0.3))
            quote = _approve_if_asked(s, quote, _between(previous, moment, 0.45))
            quote = quote_mark_sent(quote=quote, by=owner)
            stamps["sent"] = _between(previous, moment, 0.6)
            s.clock.stamp(stamps["sent"])
        if code == "won" and quote is not None:
            quote = quote_accept(quote=quote, by=owner)
            stamps["decided"] = _between(previous, moment, 0.7)
            s.clock.stamp(stamps["decided"])
            contract = contract_from_quote(quote=quote, by=owner, signed_on=timezone.localdate(moment),
                                           title=opportunity.title)  # fmt: skip
            s.clock.stamp(_between(previous, moment, 0.85))
            contract_confirm(contract=contract, by=owner)  # activates and moves the opportunity to 赢单
            s.clock.stamp(moment)
            _contract_story(s, contract, signed=moment, created=_between(previous, moment, 0.85))
            continue
        if code == "lost":
            if quote is not None and quote.status == QuoteStatus.SENT:
                quote = quote_decline(quote=quote, by=owner, reason="客户选择了其他方案")
                stamps["decided"] = _between(previous, moment, 0.8)
                s.clock.stamp(stamps["decided"])
            reason = rng.choice([r for r in LOST_DETAILS])
            detail = rng.choice(LOST_DETAILS[reason]).format(competitor=rng.choice(COMPETITORS))
            opportunity = opportunity_move(opportunity=opportunity, to_stage=s.stages["lost"], by=owner,
                                           lost_reason=reason, lost_detail=detail)  # fmt: skip
        else:
            opportunity = opportunity_move(opportunity=opportunity, to_stage=s.stages[code], by=owner)
        s.clock.stamp(moment)
    if final == "proposal" and quote_plan:
        quote = _quote(s, opportunity, bundle, requirements, by=owner,
                       discount=Decimal(25) if quote_plan == "pending" else _discount(s))  # fmt: skip
        stamps["created"] = _between(times[-1], now, 0.3)
        s.clock.stamp(stamps["created"])
        if quote_plan == "pending":
            quote = quote_submit(quote=quote, by=owner, reason="客户为标杆券商，竞争对手报价更低，申请特殊折扣")
            submitted = _between(times[-1], now, 0.6)
            s.clock.stamp(submitted)
            DiscountApproval.objects.filter(quote=quote).update(created_at=submitted)
            s.count("pending approvals" if quote.status == QuoteStatus.PENDING_APPROVAL else "approved quotes")
    if quote is not None:
        Quote.objects.filter(pk=quote.pk).update(
            created_at=stamps.get("created", times[-1]), sent_at=stamps.get("sent") if quote.sent_at else None,
            decided_at=stamps.get("decided") if quote.decided_at else None,
            valid_until=timezone.localdate(stamps.get("created", times[-1])) + timedelta(days=60),
        )  # fmt: skip
        DiscountApproval.objects.filter(quote=quote, decided_at__isnull=False).update(
            created_at=_between(stamps.get("created", times[-1]), stamps.get("sent", now), 0.3)
        )
        s.count(f"quotes {quote.status}")
    _rewrite_visits(opportunity, times, start)
    s.count(f"stage {path[-1]}")
    return opportunity


def _discount(s: Setting) -> Decimal:
    """A licence discount: mostly within a rep's 10%, sometimes above it (the manager approves)."""
    return Decimal(s.rng.choice([0, 3, 5, 5, 8, 8, 10, 10, 12, 15, 18, 20]))


def _rewrite_visits(opportunity: Opportunity, times: list[datetime], created: datetime) -> None:
    visits = list(StageVisit.objects.filter(opportunity=opportunity).order_by("entered_at", "id"))
    for index, visit in enumerate(visits):
        entered = times[min(index, len(times) - 1)]
        left = times[index + 1] if index + 1 < len(visits) else None
        StageVisit.objects.filter(pk=visit.pk).update(entered_at=entered, left_at=left)
    closed = Opportunity.all_objects.filter(pk=opportunity.pk, closed_at__isnull=False).exists()
    Opportunity.all_objects.filter(pk=opportunity.pk).update(
        created_at=created, stage_entered_at=times[-1], closed_at=times[-1] if closed else None
    )


def _contract_story(s: Setting, contract: Contract, *, signed: datetime, created: datetime) -> None:
    """An active contract: older ones have passed delivery acceptance and go-live, so those milestones are due."""
    Contract.objects.filter(pk=contract.pk).update(created_at=created, activated_at=signed)
    PaymentMilestone.objects.filter(contract=contract, status=MilestoneStatus.DUE).update(due_at=signed)
    InstalledItem.objects.filter(contract=contract).update(created_at=signed)
    s.count("active contracts")
    for event, days in ((DeliveryEvent.DELIVERY_ACCEPTED, 90), (DeliveryEvent.GO_LIVE, 180)):
        moment = signed + timedelta(days=days + s.rng.randint(-10, 20))
        if moment >= s.now:
            break
        due = delivery_event_fire(contract=contract, event=event, by=contract.owner)
        s.clock.stamp(moment)
        PaymentMilestone.objects.filter(pk__in=[m.pk for m in due]).update(due_at=moment)
        s.count("milestones made due by delivery", len(due))


# --- Leads ------------------------------------------------------------------------------------


def _lead_values(rng: random.Random, phones: Phones, index: int) -> dict[str, Any]:
    brand = LEAD_BRANDS[index % len(LEAD_BRANDS)]
    suffix, _type = LEAD_TYPES[index % len(LEAD_TYPES)]
    province, _division, cities = rng.choice(REGIONS)
    name = person_name(rng)
    return {
        "company_name": f"{brand}{suffix}", "province": province, "city": cities[0][0], "contact_name": name,
        "contact_title": rng.choice(LEAD_TITLES), "phone": phones.mobile(),
        "email": f"{_pinyin(name)}@{_pinyin(brand)}.example", "interest": rng.choice(LEAD_INTERESTS),
    }  # fmt: skip


def _leads(s: Setting, phones: Phones) -> list[Opportunity]:
    """25 leads: 7 new from the web form waiting to be assigned, 4 being worked, 8 qualified (with their
    opportunities), 6 disqualified with a reason. Returns the qualified leads' opportunities."""
    rng, now = s.rng, s.now
    plans = ["new"] * 7 + ["working"] * 4 + ["qualified"] * 8 + ["disqualified"] * 6
    opportunities = []
    for index, plan in enumerate(plans):
        values = _lead_values(rng, phones, index)
        created = now - timedelta(days=rng.uniform(0.5, 18) if plan in ("new", "working") else rng.uniform(20, 200))
        rep = rng.choice(s.reps)
        if plan in ("new", "working") or rng.random() < 0.5:
            lead = lead_create(by=None, source=LeadSource.WEB_FORM, submitted_from=f"203.0.113.{index + 10}", **values)
        else:
            lead = lead_create(by=rep, source=rng.choice([LeadSource.MANUAL, LeadSource.IMPORT]), owner=rep, **values)
        s.clock.stamp(created)
        handled = _between(created, now, rng.uniform(0.1, 0.4))
        if plan != "new" and lead.owner_id is None:
            lead = lead_assign(lead=lead, owner=rep, by=s.manager, reason="按区域分配")
            s.clock.stamp(_between(created, handled, 0.5))
        if plan == "qualified":
            customer_type = LEAD_TYPES[index % len(LEAD_TYPES)][1]
            lead = lead_qualify(lead=lead, by=rep, title=f"{values['company_name'][:4]}{rng.choice(PROJECTS)[0]}",
                                close_date=timezone.localdate(now) + timedelta(days=rng.randint(60, 270)),
                                amount=Decimal(rng.randrange(30, 300)) * 10_000, customer_type=customer_type)  # fmt: skip
            s.clock.stamp(handled)
            Customer.all_objects.filter(pk=lead.customer_id).update(created_at=handled)
            opportunity = Opportunity.objects.get(pk=lead.opportunity_id)
            opportunities.append(opportunity)
        elif plan == "disqualified":
            lead = lead_disqualify(lead=lead, by=rep, reason=DISQUALIFY_REASONS[index % len(DISQUALIFY_REASONS)])
            s.clock.stamp(handled)
        Lead.all_objects.filter(pk=lead.pk).update(
            created_at=created, qualified_at=handled if plan == "qualified" else None
        )
        s.count(f"leads {plan}")
    return opportunities


def _qualified_opportunity_story(s: Setting, opportunity: Opportunity, index: int) -> None:
    """A qualified lead's opportunity: requirements gathered, half of them already in 需求调研."""
    lead = Lead.all_objects.get(opportunity=opportunity)
    assert lead.qualified_at is not None
    start = lead.qualified_at
    product = s.products[PROJECTS[index % len(PROJECTS)][1]]
    opportunity, _changes = opportunity_update(opportunity=opportunity, by=opportunity.owner,
                                               expected_version=opportunity.version, product=product)  # fmt: skip
    requirements = _add_requirements(s, opportunity, _bundle(s, product), opportunity.owner)
    s.count("requirements", len(requirements))
    times = [start]
    asked = _between(start, s.now, 0.3)
    s.clock.stamp(asked)
    Requirement.objects.filter(opportunity=opportunity).update(created_at=asked)
    if index % 2:
        opportunity_move(opportunity=opportunity, to_stage=s.stages["discovery"], by=opportunity.owner)
        times.append(_between(start, s.now, 0.5))
        s.clock.stamp(times[-1])
    _rewrite_visits(opportunity, times, start)
    s.count(f"stage {'discovery' if index % 2 else 'lead_confirm'}")


# --- The normal demo step ---------------------------------------------------------------------


@transaction.atomic
def load_sales(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    if is_loaded():
        return "sales: already loaded"
    customers = list(Customer.objects.filter(notes=DEMO_NOTE).select_related("owner").order_by("id"))
    if not customers or not Product.objects.exists():
        return "sales: no demo customers or catalogue"
    s = _setting(rng)
    weights = [3 if c.status == CustomerStatus.ACTIVE else 2 if c.status == CustomerStatus.PROSPECT else 0.5
               for c in customers]  # fmt: skip
    finals = list(DEMO_FINAL_STAGES)
    rng.shuffle(finals)
    proposal_plans = ["pending"] * PENDING_APPROVALS + ["draft"] * DRAFT_QUOTES
    for final in finals:
        customer = rng.choices(customers, weights=weights)[0]
        owner = customer.owner
        plan = ""
        if final == "proposal" and proposal_plans:
            plan = proposal_plans.pop(0)
            if plan == "pending" and owner.pk == s.manager.pk:
                # The manager approves the reps' discounts; her own would go to an executive.
                owner = s.reps[len(proposal_plans) % len(s.reps)]
        _opportunity_story(s, customer=customer, owner=owner, final=final, quote_plan=plan)
    for index, opportunity in enumerate(_leads(s, Phones(rng))):
        _qualified_opportunity_story(s, opportunity, index)
    summary = ", ".join(f"{n} {key}" for key, n in sorted(s.counts.items()))
    return f"sales: {Opportunity.objects.count()} opportunities; {summary}"


# --- Benchmark scale --------------------------------------------------------------------------

FULL_SIZES = {"opportunities": 200_000, "contracts": 5_000, "kanban": 2_000, "owners": 200}
# The recommendation benchmark's opportunity has this many requirements at every scale.
BENCH_REQUIREMENTS = 50
BENCH_OPPORTUNITY_TITLE = "基准：集中交易与两融一体化建设（50 项需求）"
# The kanban benchmark signs in as this sales manager; her team's reps hold the open opportunities.
BENCH_MANAGER = "zhaomin"
BENCH_DEPARTMENT = ("bench-sales", "渠道销售部（基准）", "Channel sales (benchmark)")
# Share of the bench owners' opportunities that are open, won and lost.
OUTCOMES = (0.55, 0.15, 0.30)
LOST_QUOTES_PER_CONTRACT = 0.8

OPPORTUNITY_COLUMNS = (
    "id", "created_at", "updated_at", "deleted_at", "deleted_by_id", "version", "customer_id", "title", "owner_id",
    "pipeline_id", "stage_id", "probability", "amount", "currency", "close_date", "product_id", "competitors",
    "decision_process", "next_step", "next_step_date", "lost_reason", "lost_detail", "stage_entered_at", "closed_at",
    "search_text",
)  # fmt: skip
QUOTE_COLUMNS = (
    "id", "created_at", "updated_at", "number", "revision", "previous_id", "opportunity_id", "customer_id",
    "contact_id", "owner_id", "status", "valid_until", "currency", "terms", "list_total", "net_total", "tax_total",
    "grand_total", "discount_percent", "sent_at", "decided_at",
)  # fmt: skip
LINE_COLUMNS = (
    "id", "quote_id", '"order"', "kind", "module_id", "licence_type", "description", "quantity", "unit_price",
    "discount_percent", "tax_rate", "net_amount", "tax_amount", "total",
)  # fmt: skip
CONTRACT_COLUMNS = (
    "id", "created_at", "updated_at", "version", "number", "customer_id", "opportunity_id", "quote_id", "owner_id",
    "title", "status", "signed_on", "signed_by_contact_id", "amount", "tax_amount", "currency", "terms", "scope",
    "check_results", "activated_at", "ended_at", "end_reason",
)  # fmt: skip
MILESTONE_COLUMNS = (
    "contract_id", "customer_id", '"order"', "name", "percent", "amount", "trigger", "trigger_event", "expected_date",
    "status", "due_at",
)  # fmt: skip
INSTALLED_COLUMNS = (
    "created_at", "updated_at", "customer_id", "product_id", "module_id", "version_id", "contract_id", "status",
    "installed_on",
)  # fmt: skip
SMALL_TABLES = [
    model._meta.db_table
    for model in (Product, Module, Module.areas.through, ModulePrice, ProductVersion, Pipeline, Stage, Requirement,
                  Requirement.modules.through, RequirementArea, User, Membership, Department)
]  # fmt: skip
MILESTONE_PLAN = [("签约款", Decimal(30), MilestoneTrigger.SIGNING, "", 0),
                  ("到货验收款", Decimal(40), MilestoneTrigger.DELIVERY_EVENT, DeliveryEvent.DELIVERY_ACCEPTED, 90),
                  ("上线款", Decimal(20), MilestoneTrigger.DELIVERY_EVENT, DeliveryEvent.GO_LIVE, 180),
                  ("质保金", Decimal(10), MilestoneTrigger.DELIVERY_EVENT, DeliveryEvent.WARRANTY_ENDED, 545)]  # fmt: skip


def bulk_sizes(scale: str) -> dict[str, int]:
    factor = scale_factor(scale)
    if not factor:
        return {}
    sizes = {key: max(1, round(size * factor)) for key, size in FULL_SIZES.items()}
    sizes["owners"] = max(2, sizes["owners"])
    sizes["requirements"] = BENCH_REQUIREMENTS
    return sizes


def bench_opportunity() -> Opportunity | None:
    return Opportunity.objects.filter(title=BENCH_OPPORTUNITY_TITLE, decision_process__startswith=BULK_NOTE).first()


def bulk_sales_loaded() -> dict[str, int] | None:
    found = bench_opportunity()
    if found is None:
        return None
    sizes: dict[str, int] = json.loads(found.decision_process.removeprefix(BULK_NOTE).strip())
    return sizes


def manager_open_opportunities(manager: User) -> int:
    """What the kanban benchmark shows: the open opportunities the manager sees in the default pipeline."""
    return visible_opportunities(manager).filter(pipeline__is_default=True, stage__outcome=StageOutcome.OPEN).count()


@lru_cache(maxsize=1024)
def _search_text(title: str) -> str:
    from touchpoint.core.search import index_tokens

    return index_tokens(names=[title])


def _bench_owners(rng: random.Random, count: int) -> list[int]:
    """`count` sales reps of a benchmark department outside the demo's sales department, so that the
    demo's sales manager does not see their deals. No password: nobody signs in as them."""
    code, name, name_en = BENCH_DEPARTMENT
    department, _created = Department.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en,
                                                                                 "order": 90})  # fmt: skip
    existing = {u.username: u.pk for u in User.objects.filter(username__startswith="benchrep")}
    ids = []
    for index in range(1, count + 1):
        username = f"benchrep{index:03d}"
        if username not in existing:
            existing[username] = user_create(username=username, password=None, full_name=person_name(rng),
                                             email=f"{username}@touchpoint.example", department=department,
                                             positions=[Position.SALES_REP]).pk  # fmt: skip
        ids.append(existing[username])
    return ids


def _bench_opportunity(rng: random.Random, customer: Customer, owner: User, sizes: dict[str, int]) -> Opportunity:
    """The recommendation benchmark's opportunity: exactly BENCH_REQUIREMENTS requirements over every area,
    most of them linked to the modules that cover them. Through the services, like real work."""
    pipeline = default_pipeline()
    opportunity = opportunity_create(
        by=owner, customer=customer, title=BENCH_OPPORTUNITY_TITLE, owner=owner, amount=Decimal(4_800_000),
        close_date=timezone.localdate() + timedelta(days=120), product=Product.objects.get(code="online-trading"),
    )  # fmt: skip
    opportunity_move(opportunity=opportunity, to_stage=pipeline.stages.get(code="discovery"), by=owner)
    areas = {area.code: area for area in RequirementArea.objects.filter(is_active=True)}
    covering: dict[str, list[Module]] = {}
    for module in Module.objects.filter(retired_at__isnull=True).prefetch_related("areas").order_by("code"):
        for area in module.areas.all():
            covering.setdefault(area.code, []).append(module)
    items = [(code, text) for code in sorted(areas) for text in REQUIREMENT_TEXTS.get(code, [])]
    people = list(Contact.objects.filter(customer=customer).order_by("id")[:5])
    for index in range(BENCH_REQUIREMENTS):
        code, text = items[index % len(items)]
        if index >= len(items):
            text = f"{text}（第二期）"
        modules = covering.get(code, [])
        linked = rng.sample(modules, min(len(modules), rng.randint(1, 2))) if modules and index % 5 else []
        requirement_add(
            opportunity=opportunity, by=owner, area=areas[code], description=text,
            priority=[Priority.MUST, Priority.SHOULD, Priority.COULD][index % 3],
            asked_by=people[index % len(people)] if people else None,
            coverage=Coverage.STANDARD if linked else Coverage.CUSTOM, custom_effort_days=0 if linked else 10 + index % 20,
            modules=linked,
        )  # fmt: skip
    Opportunity.objects.filter(pk=opportunity.pk).update(decision_process=f"{BULK_NOTE} {json.dumps(sizes, sort_keys=True)}")
    return opportunity


@dataclass
class BulkPlan:
    """What the bulk rows are drawn from, read before the load (the row generators query nothing)."""

    rng: random.Random
    loader: BulkLoader
    now: datetime
    pipeline: Pipeline
    stages: dict[str, Stage]
    products: list[tuple[int, str]]  # (id, code)
    modules: dict[int, list[tuple[int, bool, Decimal, str]]]  # product id -> (module id, core, price, name)
    versions: dict[int, int]  # product id -> newest released version id
    tax_rate: Decimal
    won: list[tuple[int, int, int, datetime, str]] = field(default_factory=list)  # opp, customer, owner, closed, title
    lost: list[tuple[int, int, int, datetime, str]] = field(default_factory=list)

    def ts(self, moment: datetime | None) -> str | None:
        return None if moment is None else self.loader.timestamp_text(moment)


def _bulk_plan(rng: random.Random, loader: BulkLoader) -> BulkPlan:
    pipeline = default_pipeline()
    today = timezone.localdate()
    prices: dict[int, Decimal] = {}
    for module_id, price in (
        ModulePrice.objects.filter(licence_type=LicenceType.PERPETUAL, valid_from__lte=today)
        .order_by("module_id", "-valid_from").values_list("module_id", "list_price")
    ):  # fmt: skip
        prices.setdefault(module_id, price)
    modules: dict[int, list[tuple[int, bool, Decimal, str]]] = {}
    for module in Module.objects.filter(retired_at__isnull=True, product__retired_at__isnull=True).order_by("id"):
        if prices.get(module.pk):
            modules.setdefault(module.product_id, []).append((module.pk, module.is_core, prices[module.pk], module.name))
    versions: dict[int, int] = {}
    for version in ProductVersion.objects.filter(retired_at__isnull=True, released_on__lte=today).order_by("released_on", "id"):
        versions[version.product_id] = version.pk
    return BulkPlan(
        rng=rng, loader=loader, now=timezone.now(), pipeline=pipeline,
        stages={stage.code: stage for stage in pipeline.stages.all()},
        products=[(p.pk, p.code) for p in Product.objects.filter(pk__in=modules).order_by("code")],
        modules=modules, versions=versions, tax_rate=default_tax_rate(),
    )  # fmt: skip


def _opportunity_rows(
    plan: BulkPlan, *, first_id: int, count: int, owners: Sequence[int], customers: Sequence[int], open_only: bool,
    collect: bool,
) -> Iterator[tuple]:  # fmt: skip
    """Opportunity rows; closed ones over the last two years (for the price trend), open ones closing
    over the next nine months (a few overdue)."""
    rng, now, today = plan.rng, plan.now, timezone.localdate(plan.now)
    open_codes = OPEN_PATH
    open_weights = [30, 30, 25, 15]
    product_of_code = {code: pid for pid, code in plan.products}
    for offset in range(count):
        pk = first_id + offset
        owner = owners[offset % len(owners)]
        customer = customers[rng.randrange(len(customers))]
        title, product_code = PROJECTS[rng.randrange(len(PROJECTS))]
        product = product_of_code.get(product_code)
        amount = Decimal(rng.randrange(30, 500) * 10_000)
        roll = 0.0 if open_only else rng.random()
        if roll < OUTCOMES[0]:
            stage = plan.stages[rng.choices(open_codes, weights=open_weights)[0]]
            created = now - timedelta(days=rng.uniform(5, 365))
            entered = created + (now - created) * rng.random()
            closed = None
            close_date = today + timedelta(days=rng.randint(-30, 270))
            lost_reason = ""
        else:
            won = roll < OUTCOMES[0] + OUTCOMES[1]
            stage = plan.stages["won" if won else "lost"]
            closed = now - timedelta(days=rng.uniform(1, 730))
            created = closed - timedelta(days=rng.uniform(30, 240))
            entered = closed
            close_date = timezone.localdate(closed)
            lost_reason = "" if won else rng.choice(LostReason.values[:-1])
            if collect:
                (plan.won if won else plan.lost).append((pk, customer, owner, closed, title))
        competitors = COMPETITORS[offset % len(COMPETITORS)] if offset % 3 else ""
        yield (pk, plan.ts(created), plan.ts(entered), None, None, 1, customer, title, owner, plan.pipeline.pk,
               stage.pk, stage.probability, amount, "CNY", close_date.isoformat(), product, competitors, "", "", None,
               lost_reason, "", plan.ts(entered), plan.ts(closed), _search_text(title))  # fmt: skip


def _bulk_discount(plan: BulkPlan, *, won: bool, closed: datetime) -> float:
    """A licence discount off list: won deals give more than lost ones, and discounts creep up over time."""
    recent = 1 - min(1.0, (plan.now - closed).days / 730)
    centre = (12 + 4 * recent) if won else (7 + 3 * recent)
    return min(35.0, max(0.0, round(plan.rng.gauss(centre, 5 if won else 4) * 2) / 2))


def _licence_modules(plan: BulkPlan, wanted: int) -> list[tuple[int, bool, Decimal, str]]:
    """`wanted` modules: the core and some other modules of one or two products, more products if needed."""
    order = plan.rng.sample(plan.products, len(plan.products))
    main = order[: plan.rng.choice([1, 1, 2])]
    core = [m for pid, _code in main for m in plan.modules[pid] if m[1]]
    others = [m for pid, _code in main for m in plan.modules[pid] if not m[1]]
    plan.rng.shuffle(others)
    rest = [m for pid, _code in order if (pid, _code) not in main for m in plan.modules[pid]]
    return (core + others + rest)[:wanted]


@dataclass
class QuoteRows:
    quotes: list[tuple] = field(default_factory=list)
    lines: list[tuple] = field(default_factory=list)
    contracts: list[tuple] = field(default_factory=list)
    milestones: list[tuple] = field(default_factory=list)
    installed: list[tuple] = field(default_factory=list)


def _quote_rows(plan: BulkPlan, *, first: dict[str, int], contracts: int) -> QuoteRows:
    """Quotes with 3–8 licence lines for `contracts` won deals (accepted, with a contract, milestones and
    installed base) and for some lost ones (rejected or expired)."""
    rng, today = plan.rng, timezone.localdate(plan.now)
    rows = QuoteRows()
    won = rng.sample(plan.won, min(contracts, len(plan.won)))
    lost = rng.sample(plan.lost, min(round(contracts * LOST_QUOTES_PER_CONTRACT), len(plan.lost)))
    deals = sorted([(d, True) for d in won] + [(d, False) for d in lost], key=lambda item: item[0][3])
    quote_id, line_id, contract_id = first["quote"], first["line"], first["contract"]
    for serial, ((opportunity, customer, owner, closed, title), is_won) in enumerate(deals, start=1):
        discount = _bulk_discount(plan, won=is_won, closed=closed)
        chosen = _licence_modules(plan, rng.randint(3, 8))
        list_total = net_total = tax_total = ZERO
        for order, (module_id, _core, price, name) in enumerate(chosen, start=1):
            line_discount = Decimal(str(min(40.0, max(0.0, discount + rng.choice([-2, -1, 0, 0, 0, 1, 2])))))
            net = money(price * (HUNDRED - line_discount) / HUNDRED)
            tax = money(net * plan.tax_rate / HUNDRED)
            rows.lines.append((line_id, quote_id, order, str(LineKind.LICENCE), module_id, str(LicenceType.PERPETUAL), name,
                               Decimal(1), price, line_discount, plan.tax_rate, net, tax, net + tax))  # fmt: skip
            line_id += 1
            list_total, net_total, tax_total = list_total + price, net_total + net, tax_total + tax
        created = closed - timedelta(days=rng.uniform(20, 60))
        sent = created + timedelta(days=rng.uniform(2, 10))
        status = QuoteStatus.ACCEPTED if is_won else rng.choice([QuoteStatus.REJECTED] * 7 + [QuoteStatus.EXPIRED] * 3)
        year = timezone.localtime(created).year
        rows.quotes.append((
            quote_id, plan.ts(created), plan.ts(closed), f"QB-{year}-{serial:06d}", 1, None, opportunity, customer, None,
            owner, str(status), (timezone.localdate(sent) + timedelta(days=30)).isoformat(), "CNY", "", list_total,
            net_total, tax_total, net_total + tax_total, money((list_total - net_total) * HUNDRED / list_total),
            plan.ts(sent), plan.ts(closed) if status != QuoteStatus.EXPIRED else None,
        ))  # fmt: skip
        if is_won:
            _contract_rows(plan, rows, contract_id=contract_id, quote_id=quote_id, serial=serial, deal=(
                opportunity, customer, owner, closed, title), chosen=chosen, amount=net_total + tax_total,
                tax=tax_total, today=today)  # fmt: skip
            contract_id += 1
        quote_id += 1
    return rows


def _contract_rows(
    plan: BulkPlan, rows: QuoteRows, *, contract_id: int, quote_id: int, serial: int,
    deal: tuple[int, int, int, datetime, str], chosen: list[tuple[int, bool, Decimal, str]], amount: Decimal,
    tax: Decimal, today: date,
) -> None:  # fmt: skip
    opportunity, customer, owner, closed, title = deal
    signed = timezone.localdate(closed)
    age = (today - signed).days
    status = ContractStatus.TERMINATED if serial % 97 == 0 else ContractStatus.COMPLETED if age > 600 else ContractStatus.ACTIVE
    ended = plan.ts(closed + timedelta(days=min(age - 1, 600))) if status != ContractStatus.ACTIVE else None
    rows.contracts.append((
        contract_id, plan.ts(closed), plan.ts(closed), 1, f"CB-{signed.year}-{serial:06d}", customer, opportunity,
        quote_id, owner, title, str(status), signed.isoformat(), None, amount, tax, "CNY", "", "[]", "[]", plan.ts(closed),
        ended, "客户业务调整，双方协商终止" if status == ContractStatus.TERMINATED else "",
    ))  # fmt: skip
    remaining = amount
    for order, (name, percent, trigger, event, days) in enumerate(MILESTONE_PLAN, start=1):
        share = remaining if order == len(MILESTONE_PLAN) else money(amount * percent / HUNDRED)
        remaining -= share
        expected = signed + timedelta(days=days)
        if status == ContractStatus.COMPLETED or (expected <= today - timedelta(days=45) and order == 1):
            state, due = MilestoneStatus.PAID, expected
        elif status == ContractStatus.TERMINATED:
            state, due = MilestoneStatus.CANCELLED, None
        elif expected <= today - timedelta(days=45):
            state, due = MilestoneStatus.PAID, expected
        elif expected <= today:
            state, due = MilestoneStatus.DUE, expected
        else:
            state, due = MilestoneStatus.PENDING, None
        due_at = plan.ts(datetime.combine(due, datetime.min.time(), tzinfo=closed.tzinfo)) if due else None
        rows.milestones.append((contract_id, customer, order, name, percent, share, str(trigger), str(event),
                                expected.isoformat(), str(state), due_at))  # fmt: skip
    if status == ContractStatus.TERMINATED:
        return
    product_of = {m[0]: pid for pid, mods in plan.modules.items() for m in mods}
    installed_on = signed + timedelta(days=120)
    done = installed_on <= today
    for module_id, *_rest in chosen:
        product = product_of[module_id]
        rows.installed.append((plan.ts(closed), plan.ts(closed), customer, product, module_id, plan.versions.get(product),
                               contract_id, str(InstalledStatus.INSTALLED if done else InstalledStatus.PURCHASED),
                               installed_on.isoformat() if done else None))  # fmt: skip


def load_bulk_sales(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    sizes = bulk_sizes(scale)
    if not sizes:
        return ""
    target = bench_customer()
    if target is None:
        return "bulk sales: no bulk customers"
    loaded = bulk_sales_loaded()
    if loaded is not None:
        return f"bulk sales: already loaded at {loaded}"
    manager = User.objects.get(username=BENCH_MANAGER)
    team_reps = [u for u in users_by_position().get("sales_rep", [])]
    loader = BulkLoader(report=out)
    tables = [Opportunity._meta.db_table, Quote._meta.db_table, QuoteLine._meta.db_table, Contract._meta.db_table,
              PaymentMilestone._meta.db_table, InstalledItem._meta.db_table]  # fmt: skip
    with transaction.atomic():
        owners = _bench_owners(rng, sizes["owners"])
        bench = _bench_opportunity(rng, target, team_reps[0], sizes)
        # The manager's board holds exactly `kanban` open deals: what the demo gave her team, topped up.
        team_count = max(0, sizes["kanban"] - manager_open_opportunities(manager))
        rest = sizes["opportunities"] - 1 - team_count
        bulk_customers = list(Customer.objects.filter(notes=BULK_NOTE).order_by("id").values_list("id", "owner_id"))
        hers = set(AccountMember.objects.filter(user=manager).values_list("customer_id", flat=True))
        rep_ids = [u.pk for u in team_reps]
        team_customers = [pk for pk, owner in bulk_customers if owner in rep_ids] or [target.pk]
        other_customers = [pk for pk, _owner in bulk_customers if pk not in hers] or [target.pk]
        plan = _bulk_plan(rng, loader)
        with loader.loading(tables):
            first = loader.next_id(Opportunity._meta.db_table)
            loader.write(Opportunity._meta.db_table, OPPORTUNITY_COLUMNS, _opportunity_rows(
                plan, first_id=first, count=team_count, owners=rep_ids, customers=team_customers, open_only=True,
                collect=False))  # fmt: skip
            loader.write(Opportunity._meta.db_table, OPPORTUNITY_COLUMNS, _opportunity_rows(
                plan, first_id=first + team_count, count=rest, owners=owners, customers=other_customers,
                open_only=False, collect=True))  # fmt: skip
            rows = _quote_rows(plan, first={"quote": loader.next_id(Quote._meta.db_table),
                                            "line": loader.next_id(QuoteLine._meta.db_table),
                                            "contract": loader.next_id(Contract._meta.db_table)},
                               contracts=sizes["contracts"])  # fmt: skip
            loader.write(Quote._meta.db_table, QUOTE_COLUMNS, rows.quotes)
            loader.write(QuoteLine._meta.db_table, LINE_COLUMNS, rows.lines)
            loader.write(Contract._meta.db_table, CONTRACT_COLUMNS, rows.contracts)
            loader.write(PaymentMilestone._meta.db_table, MILESTONE_COLUMNS, rows.milestones)
            loader.write(InstalledItem._meta.db_table, INSTALLED_COLUMNS, rows.installed)
            for table in tables:
                loader.reset_sequence(table)
    # The small tables the sales pages join (catalogue, stages, the new users) change too little for
    # autovacuum to analyze them; without statistics the planner takes 29 modules for one.
    loader.analyze([*tables, *SMALL_TABLES])
    out(f"bulk: benchmark opportunity id {bench.pk} ({BENCH_REQUIREMENTS} requirements), kanban manager "
        f"{BENCH_MANAGER} sees {manager_open_opportunities(manager)} open")  # fmt: skip
    return (f"bulk sales: {sizes['opportunities']} opportunities ({team_count} open for {BENCH_MANAGER}'s team, "
            f"{len(owners)} bench owners), {len(rows.contracts)} contracts, {len(rows.quotes)} quotes, "
            f"{len(rows.lines)} quote lines, {len(rows.installed)} installed items")  # fmt: skip


demo_steps["sales.demo"] = DemoStep(key="sales.demo", order=400, run=load_sales)
demo_steps["sales.bulk"] = DemoStep(key="sales.bulk", order=1400, run=load_bulk_sales)
