"""Demo product catalogue: securities-trading products with modules, features, versions and prices,
plus two requirement templates. Runs after the customers and touchpoints steps; the sales demo
steps that build opportunities and quotes on it come later.

Goes through the catalogue services, so events and price history are as in real use. Dates are
relative to today so that 'support ends soon' and 'scheduled price' always have something to show.
Each product is skipped when its code exists already, each template when its name does.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from touchpoint.core.extensions import DemoStep, demo_steps
from touchpoint.org.demo import users_by_position
from touchpoint.sales.models import LicenceType, Priority, Product, RequirementArea, RequirementTemplate
from touchpoint.sales.services.catalogue import (
    feature_create,
    module_create,
    module_retire,
    price_set,
    product_create,
    version_create,
    version_retire,
)
from touchpoint.sales.services.settings import TemplateItemSpec, requirement_template_save

SEAT, BRANCH = "seat", "branch"


@dataclass(frozen=True)
class DemoModule:
    code: str
    name: str
    name_en: str
    perpetual: int  # CNY
    features: list[tuple[str, str, tuple[str, ...]]]  # name, English name, area codes
    core: bool = False
    extra: tuple[str, ...] = ()  # per-seat and/or per-branch pricing as well
    retired: bool = False


@dataclass(frozen=True)
class DemoProduct:
    code: str
    name: str
    name_en: str
    day_rate: int
    maintenance: int
    description: str
    # Version number, released this many days ago, support for this many days after release (None: open).
    versions: list[tuple[str, int, int | None]]
    modules: list[DemoModule] = field(default_factory=list)
    retired_versions: tuple[str, ...] = ()


PRODUCTS = [
    DemoProduct(
        "online-trading", "网上交易系统", "Online trading system", 3000, 18,
        "面向证券公司经纪业务的集中交易前端，支持网页、PC 客户端与算法交易。",
        [("V5.2", 1700, 1300), ("V6.0", 1180, 1460), ("V6.1", 590, 1460)],
        [
            DemoModule("ot-core", "交易核心", "Trading core", 1_200_000, [
                ("委托下单与撤单", "Order placing and cancelling", ("order_entry",)),
                ("股票、基金、债券交易", "Equity, fund and bond trading", ("order_entry",)),
                ("交易所报盘接口", "Exchange order routing", ("clearing",)),
            ], core=True),
            DemoModule("ot-web", "网页交易终端", "Web trading terminal", 350_000, [
                ("网页版委托", "Browser order entry", ("order_entry",)),
                ("网页行情展示", "Browser market data", ("market_data",)),
            ], extra=(BRANCH,)),
            DemoModule("ot-pc", "PC 交易客户端", "PC trading client", 450_000, [
                ("快捷键下单", "Hot-key order entry", ("order_entry",)),
                ("条件单与止盈止损", "Conditional and stop orders", ("order_entry", "risk_control")),
                ("自选股与盘口", "Watch lists and order book", ("market_data",)),
            ], extra=(SEAT, BRANCH)),
            DemoModule("ot-algo", "算法交易", "Algorithmic trading", 800_000, [
                ("TWAP/VWAP 算法单", "TWAP/VWAP algorithms", ("order_entry",)),
                ("篮子交易", "Basket trading", ("order_entry",)),
            ], extra=(SEAT,)),
            DemoModule("ot-compliance", "适当性与合规", "Suitability and compliance", 500_000, [
                ("投资者适当性管理", "Investor suitability", ("compliance",)),
                ("异常交易监控", "Abnormal trading surveillance", ("compliance", "risk_control")),
            ]),
            DemoModule("ot-flash", "旧版 Flash 交易插件", "Legacy Flash trading plug-in", 120_000, [
                ("浏览器插件下单", "Browser plug-in order entry", ("order_entry",)),
            ], retired=True),
        ],
    ),
    DemoProduct(
        "market-data", "行情系统", "Market data system", 2800, 15,
        "沪深、港美股与期货期权行情的接入、分发与分析。",
        [("V3.5", 2000, 1300), ("V4.0", 1280, 1430), ("V4.2", 470, 1400)],
        [
            DemoModule("md-core", "行情接入与分发", "Feed handling and distribution", 900_000, [
                ("沪深 Level-1 行情接入", "SSE/SZSE Level-1 feeds", ("market_data",)),
                ("Level-2 逐笔行情", "Level-2 tick-by-tick data", ("market_data",)),
                ("行情分发集群", "Distribution cluster", ("market_data",)),
            ], core=True),
            DemoModule("md-hk-us", "港股美股行情", "HK and US market data", 400_000, [
                ("港股通行情", "Stock Connect quotes", ("market_data",)),
                ("美股延时行情", "Delayed US quotes", ("market_data",)),
            ]),
            DemoModule("md-derivatives", "期货期权行情", "Futures and options market data", 450_000, [
                ("期货行情", "Futures quotes", ("market_data",)),
                ("期权 T 型报价", "Options chain (T-quote)", ("options", "market_data")),
            ]),
            DemoModule("md-analytics", "行情分析与资讯", "Analytics and news", 300_000, [
                ("技术指标与选股", "Technical indicators and screening", ("market_data",)),
                ("资讯推送", "News push", ("reporting",)),
            ], extra=(SEAT,)),
        ],
        retired_versions=("V3.5",),
    ),
    DemoProduct(
        "mobile-app", "移动交易APP", "Mobile trading app", 3200, 18,
        "iOS 与 Android 手机证券 APP：交易、行情、开户、两融与理财。",
        [("V8.0", 1030, 1100), ("V9.0", 530, 1100)],
        [
            DemoModule("app-trading", "APP 交易", "App trading", 1_000_000, [
                ("手机委托", "Mobile order entry", ("mobile", "order_entry")),
                ("指纹与人脸登录", "Fingerprint and face sign-in", ("mobile", "compliance")),
            ], core=True),
            DemoModule("app-market", "APP 行情", "App market data", 500_000, [
                ("分时与 K 线", "Intraday and candlestick charts", ("mobile", "market_data")),
                ("自选股云同步", "Watch-list sync", ("mobile",)),
            ]),
            DemoModule("app-account", "线上开户", "Online account opening", 650_000, [
                ("视频见证开户", "Video-witnessed account opening", ("mobile", "compliance")),
                ("风险测评问卷", "Risk-profile questionnaire", ("compliance",)),
            ]),
            DemoModule("app-margin", "APP 两融", "App margin trading", 550_000, [
                ("融资买入与融券卖出", "Margin buy and short sell", ("mobile", "margin_trading")),
            ]),
            DemoModule("app-wealth", "理财商城", "Wealth mall", 400_000, [
                ("基金申购赎回", "Fund subscription and redemption", ("mobile", "order_entry")),
                ("理财产品展示", "Wealth product showcase", ("mobile",)),
            ], extra=(BRANCH,)),
        ],
    ),
    DemoProduct(
        "margin-trading", "融资融券系统", "Margin trading system", 3500, 20,
        "信用交易全流程：授信、担保品、券源、转融通与监管报送。",
        [("V3.0", 1510, 1340), ("V3.2", 735, 1500)],
        [
            DemoModule("mt-core", "两融交易核心", "Margin trading core", 2_000_000, [
                ("信用账户管理", "Credit account management", ("margin_trading",)),
                ("融资融券委托", "Margin orders", ("margin_trading", "order_entry")),
            ], core=True),
            DemoModule("mt-collateral", "担保品管理", "Collateral management", 700_000, [
                ("担保品折算率", "Collateral haircuts", ("margin_trading", "risk_control")),
                ("维持担保比例监控", "Maintenance ratio monitoring", ("margin_trading", "risk_control")),
            ]),
            DemoModule("mt-lending", "券源管理", "Securities lending pool", 600_000, [
                ("券源调度", "Lending pool allocation", ("margin_trading",)),
                ("转融通接口", "Refinancing interface", ("margin_trading", "clearing")),
            ]),
            DemoModule("mt-reporting", "两融报表与报送", "Margin reporting", 350_000, [
                ("监管报送", "Regulatory reporting", ("reporting", "compliance")),
                ("日终报表", "End-of-day reports", ("reporting",)),
            ]),
        ],
    ),
    DemoProduct(
        "risk-control", "风控系统", "Risk control system", 3300, 18,
        "事前、事中、事后一体化风控：委托风控、实时监控、信用风险与风险报表。",
        [("V2.5", 1365, 1400), ("V3.0", 56, None)],
        [
            DemoModule("rk-pretrade", "事前风控", "Pre-trade risk", 900_000, [
                ("委托风控规则", "Order risk rules", ("risk_control", "order_entry")),
                ("黑白名单", "Black and white lists", ("risk_control", "compliance")),
            ], core=True),
            DemoModule("rk-realtime", "实时监控", "Real-time monitoring", 750_000, [
                ("异常交易预警", "Abnormal trading alerts", ("risk_control", "compliance")),
                ("持仓集中度", "Position concentration", ("risk_control",)),
            ], extra=(SEAT,)),
            DemoModule("rk-credit", "信用风险", "Credit risk", 650_000, [
                ("客户授信", "Client credit lines", ("risk_control", "margin_trading")),
                ("强平预警", "Forced liquidation alerts", ("risk_control", "margin_trading")),
            ]),
            DemoModule("rk-reports", "风险报表", "Risk reports", 250_000, [
                ("风险指标日报", "Daily risk indicators", ("reporting", "risk_control")),
            ]),
        ],
    ),
    DemoProduct(
        "options-trading", "期权交易系统", "Options trading system", 3500, 20,
        "股票期权经纪业务：委托、组合保证金、行权与做市接口。",
        [("V1.8", 1245, 1340), ("V2.0", 621, 1400)],
        [
            DemoModule("op-core", "期权交易核心", "Options trading core", 1_500_000, [
                ("个股期权委托", "Equity option orders", ("options", "order_entry")),
                ("组合策略保证金", "Strategy margin", ("options", "margin_trading")),
            ], core=True),
            DemoModule("op-risk", "期权风控", "Options risk", 600_000, [
                ("保证金实时计算", "Real-time margin", ("options", "risk_control")),
                ("行权指派", "Exercise and assignment", ("options", "clearing")),
            ]),
            DemoModule("op-mm", "做市商接口", "Market-maker interface", 500_000, [
                ("双边报价", "Two-sided quoting", ("options", "order_entry")),
            ]),
        ],
    ),
    DemoProduct(
        "clearing", "清算系统", "Clearing system", 2500, 15,
        "日终清算交收、登记公司与交易所接口、银证转账。",
        [("V4.1", 1780, 1450), ("V5.0", 815, 1950)],
        [
            DemoModule("cl-core", "日终清算", "End-of-day clearing", 1_100_000, [
                ("交收数据处理", "Settlement data processing", ("clearing",)),
                ("资金清算", "Cash clearing", ("clearing",)),
            ], core=True),
            DemoModule("cl-interfaces", "交易所与登记公司接口", "Exchange and CSDC interfaces", 450_000, [
                ("中国结算接口", "CSDC interface", ("clearing",)),
                ("沪深交易所文件", "SSE/SZSE files", ("clearing",)),
            ]),
            DemoModule("cl-bank", "银证转账", "Bank-securities transfer", 300_000, [
                ("第三方存管", "Third-party custody", ("clearing",)),
            ]),
            DemoModule("cl-reports", "清算报表", "Clearing reports", 200_000, [
                ("对账报表", "Reconciliation reports", ("reporting", "clearing")),
            ]),
        ],
    ),
]  # fmt: skip

TEMPLATES = [
    ("经纪业务标准需求", "证券经纪业务上线网上交易与移动交易时的常见需求。", [
        ("order_entry", "支持沪深 A 股、基金、债券的委托与撤单", Priority.MUST),
        ("order_entry", "支持条件单、止盈止损单", Priority.SHOULD),
        ("market_data", "提供沪深 Level-1 实时行情，可选 Level-2", Priority.MUST),
        ("mobile", "提供 iOS 与 Android 手机交易 APP", Priority.MUST),
        ("mobile", "支持视频见证线上开户", Priority.SHOULD),
        ("compliance", "投资者适当性管理与风险测评", Priority.MUST),
        ("risk_control", "委托前风控规则与黑白名单", Priority.MUST),
        ("clearing", "对接中国结算与沪深交易所接口", Priority.MUST),
        ("reporting", "营业部交易量与客户活跃度报表", Priority.COULD),
        ("other", "与现有 CRM 和统一认证平台单点登录", Priority.SHOULD),
    ]),
    ("两融业务标准需求", "开展融资融券业务所需的交易、担保品、风控与报送需求。", [
        ("margin_trading", "信用账户开立与授信管理", Priority.MUST),
        ("margin_trading", "融资买入、融券卖出、还款还券委托", Priority.MUST),
        ("margin_trading", "担保品折算率与标的证券管理", Priority.MUST),
        ("risk_control", "维持担保比例实时监控与追保通知", Priority.MUST),
        ("risk_control", "强制平仓预警与执行", Priority.MUST),
        ("margin_trading", "券源管理与转融通接口", Priority.SHOULD),
        ("reporting", "两融监管报送与日终报表", Priority.MUST),
        ("mobile", "手机 APP 支持两融交易", Priority.SHOULD),
        ("compliance", "两融业务合规检查与留痕", Priority.COULD),
    ]),
]  # fmt: skip


def _round(amount: Decimal) -> Decimal:
    step = Decimal(1000) if amount >= 10_000 else Decimal(100)
    return (amount / step).quantize(Decimal(1)) * step


def _prices(perpetual: int, extra: tuple[str, ...]) -> dict[str, Decimal]:
    base = Decimal(perpetual)
    prices: dict[str, Decimal] = {LicenceType.PERPETUAL: base, LicenceType.YEARLY: _round(base * Decimal("0.28"))}
    if SEAT in extra:
        prices[LicenceType.PER_SEAT] = _round(base / 150)
    if BRANCH in extra:
        prices[LicenceType.PER_BRANCH] = _round(base * Decimal("0.06"))
    return prices


def _load_product(demo: DemoProduct, *, rng: random.Random, areas: dict[str, RequirementArea], by: object, today: date) -> int:
    product = product_create(by=by, code=demo.code, name=demo.name, name_en=demo.name_en, description=demo.description,
                             day_rate=Decimal(demo.day_rate), maintenance_percent=Decimal(demo.maintenance))  # fmt: skip
    for number, days_ago, support_days in demo.versions:
        released = today - timedelta(days=days_ago)
        version = version_create(
            by=by, product=product, number=number, released_on=released,
            support_ends_on=released + timedelta(days=support_days) if support_days else None,
            notes=f"{demo.name} {number} 正式发布。",
        )  # fmt: skip
        if number in demo.retired_versions:
            version_retire(version=version, by=by)
    count = 0
    for spec in demo.modules:
        module = module_create(by=by, product=product, code=spec.code, name=spec.name, name_en=spec.name_en,
                               is_core=spec.core)  # fmt: skip
        for name, name_en, codes in spec.features:
            feature_create(by=by, module=module, name=name, name_en=name_en, areas=[areas[c] for c in codes])
        for licence_type, price in _prices(spec.perpetual, spec.extra).items():
            # Two years ago at about 5% less, then the current list price; a few get a rise next month.
            price_set(by=by, module=module, licence_type=licence_type, list_price=_round(price * Decimal("0.95")),
                      valid_from=today - timedelta(days=730))  # fmt: skip
            price_set(by=by, module=module, licence_type=licence_type, list_price=price,
                      valid_from=today - timedelta(days=rng.randint(120, 300)))  # fmt: skip
            if licence_type == LicenceType.PERPETUAL and rng.random() < 0.25:
                price_set(by=by, module=module, licence_type=licence_type, list_price=_round(price * Decimal("1.05")),
                          valid_from=today + timedelta(days=rng.randint(20, 60)))  # fmt: skip
        if spec.retired:
            module_retire(module=module, by=by)
        count += 1
    return count


def load_catalogue(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    admin = users_by_position()["admin"][0]
    areas = {area.code: area for area in RequirementArea.objects.all()}
    today = timezone.localdate()
    products = modules = 0
    for demo in PRODUCTS:
        if Product.objects.filter(code=demo.code).exists():
            continue
        with transaction.atomic():
            modules += _load_product(demo, rng=rng, areas=areas, by=admin, today=today)
        products += 1
    templates = 0
    for name, description, items in TEMPLATES:
        if RequirementTemplate.objects.filter(name=name).exists():
            continue
        requirement_template_save(
            by=admin, template=None, name=name, description=description,
            items=[TemplateItemSpec(area=areas[code], description=text, priority=priority) for code, text, priority in items],
        )  # fmt: skip
        templates += 1
    if not (products or templates):
        return "catalogue: already loaded"
    return f"catalogue: {products} products, {modules} modules, {templates} requirement templates"


demo_steps["sales.catalogue"] = DemoStep(key="sales.catalogue", order=350, run=load_catalogue)
