"""Demo customers: fictional Chinese securities firms, their branches, contacts and account teams.

Every firm name is invented for the demo; any likeness to a real firm is coincidence. The normal
demo goes through the services, so events, history and search text are exactly as in real use.
At a benchmark scale (`demo --scale full`) a second step bulk-loads 100,000 customers and
1,000,000 contacts with the same derived columns.
"""

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.db import transaction
from django.utils import timezone

from touchpoint.core.bulk import BulkLoader
from touchpoint.core.extensions import DemoStep, demo_steps
from touchpoint.core.identifiers import USCC_ALPHABET, uscc_check_character
from touchpoint.core.models import Event, EventKind
from touchpoint.core.search import email_tokens, load_pinyin, name_tokens, phone_tokens
from touchpoint.customers.models import (
    AccountMember,
    AccountRole,
    Contact,
    ContactStatus,
    Customer,
    CustomerSource,
    CustomerStatus,
    CustomerType,
    DecisionRole,
    PreferredChannel,
    SizeTier,
    Tag,
)
from touchpoint.customers.services import CUSTOMER_CREATED, account_member_set, contact_create, customer_create
from touchpoint.org.demo import users_by_position

DEMO_NOTE = "演示数据：公司名称纯属虚构。"
BULK_NOTE = "基准测试数据（批量生成）。"
# The customer of the customer-360 benchmark; its touchpoint count is fixed by the touchpoints step.
BENCH_CUSTOMER_NAME = "沧澜证券股份有限公司（基准）"
BENCH_TOUCHPOINTS = 5000

FULL_SIZES = {"customers": 100_000, "contacts": 1_000_000, "touchpoints": 10_000_000}

# Province, six-digit administrative division code (for the credit code), cities with area codes.
REGIONS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("上海", "310000", [("上海", "021")]),
    ("北京", "110000", [("北京", "010")]),
    ("广东", "440000", [("深圳", "0755"), ("广州", "020"), ("东莞", "0769"), ("珠海", "0756")]),
    ("浙江", "330000", [("杭州", "0571"), ("宁波", "0574"), ("温州", "0577")]),
    ("江苏", "320000", [("南京", "025"), ("苏州", "0512"), ("无锡", "0510")]),
    ("山东", "370000", [("济南", "0531"), ("青岛", "0532"), ("烟台", "0535")]),
    ("四川", "510000", [("成都", "028"), ("绵阳", "0816")]),
    ("湖北", "420000", [("武汉", "027"), ("宜昌", "0717")]),
    ("福建", "350000", [("福州", "0591"), ("厦门", "0592"), ("泉州", "0595")]),
    ("天津", "120000", [("天津", "022")]),
    ("重庆", "500000", [("重庆", "023")]),
    ("湖南", "430000", [("长沙", "0731"), ("株洲", "0731")]),
    ("河南", "410000", [("郑州", "0371"), ("洛阳", "0379")]),
    ("安徽", "340000", [("合肥", "0551"), ("芜湖", "0553")]),
    ("陕西", "610000", [("西安", "029")]),
    ("辽宁", "210000", [("沈阳", "024"), ("大连", "0411")]),
    ("云南", "530000", [("昆明", "0871")]),
    ("江西", "360000", [("南昌", "0791")]),
    ("广西", "450000", [("南宁", "0771"), ("桂林", "0773")]),
    ("黑龙江", "230000", [("哈尔滨", "0451")]),
]

# Invented two-character brand names for the demo firms.
BRANDS = [
    "沧澜", "鼎晟", "泓源", "望川", "云岭", "青峦", "明远", "汇泽", "凯拓", "润泽", "晟嘉", "瀚岳",
    "祥泰", "远帆", "沐川", "昱辰", "嘉禾", "朗峰", "澄江", "启衡", "恒岳", "锦程", "立信", "同舟",
    "天枢", "北辰", "东篱", "南溪", "西岭", "玉衡", "星河", "银杉", "金穗", "铭诚", "翰林", "拓邦",
    "睿信", "致远", "博远", "弘毅", "泰和", "安澜", "崇德", "峻岭", "碧川", "松鹤", "清源", "永盛",
    "聚源", "华稷", "丰泽", "德润", "瑞丰", "和畅", "信合", "衡泰", "长川", "海晏", "宏图", "正元",
]  # fmt: skip

ROADS = ["人民", "解放", "中山", "建设", "和平", "新华", "长江", "黄河", "世纪", "滨江", "湖滨", "金融"]

TAGS = ["重点客户", "两融客户", "信创改造", "续约中", "招标中", "新签客户", "高频交易", "风险关注", "VIP"]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀英", "霞", "平", "刚", "桂英", "建华", "晓东", "志强", "海燕", "丹", "鹏", "宇航", "思远", "雨欣",
    "子涵", "浩然", "梓萱", "晨曦", "文博", "嘉怡", "俊杰", "婷婷", "立新", "国栋", "春梅", "红霞",
    "建军", "晓明", "慧敏", "振华", "永刚", "凤英", "志刚", "亚楠", "天宇", "欣怡", "一鸣", "佳琪",
]  # fmt: skip

# Title, department at the customer, decision role, preferred channel.
CONTACT_ROLES = [
    ("信息技术部总经理", "信息技术部", DecisionRole.DECISION_MAKER, PreferredChannel.VISIT),
    ("首席信息官", "公司领导", DecisionRole.DECISION_MAKER, PreferredChannel.VISIT),
    ("分管副总裁", "公司领导", DecisionRole.DECISION_MAKER, PreferredChannel.PHONE),
    ("经纪业务部总经理", "经纪业务部", DecisionRole.INFLUENCER, PreferredChannel.PHONE),
    ("融资融券部负责人", "融资融券部", DecisionRole.INFLUENCER, PreferredChannel.WECHAT),
    ("合规风控部经理", "合规风控部", DecisionRole.INFLUENCER, PreferredChannel.EMAIL),
    ("运维主管", "信息技术部", DecisionRole.TECHNICAL, PreferredChannel.WECHAT),
    ("系统管理员", "信息技术部", DecisionRole.TECHNICAL, PreferredChannel.PHONE),
    ("交易系统工程师", "信息技术部", DecisionRole.TECHNICAL, PreferredChannel.WECHAT),
    ("数据中心值班长", "信息技术部", DecisionRole.TECHNICAL, PreferredChannel.PHONE),
    ("营业部总经理", "营业部", DecisionRole.USER, PreferredChannel.PHONE),
    ("客户服务主管", "营业部", DecisionRole.USER, PreferredChannel.PHONE),
    ("财务部经理", "计划财务部", DecisionRole.FINANCE, PreferredChannel.EMAIL),
    ("采购经理", "采购部", DecisionRole.FINANCE, PreferredChannel.EMAIL),
]

HEAD_TYPES = [CustomerType.SECURITIES] * 7 + [CustomerType.FUTURES, CustomerType.FUND, CustomerType.BANK]
TYPE_SUFFIX = {
    CustomerType.SECURITIES: ("证券", "证券股份有限公司"),
    CustomerType.FUTURES: ("期货", "期货有限公司"),
    CustomerType.FUND: ("基金", "基金管理有限公司"),
    CustomerType.BANK: ("银行", "银行股份有限公司"),
    CustomerType.OTHER: ("资管", "资产管理有限公司"),
}


def pick_status(rng: random.Random) -> str:
    roll = rng.random()
    return CustomerStatus.ACTIVE if roll < 0.7 else CustomerStatus.PROSPECT if roll < 0.9 else CustomerStatus.FORMER


def pick_size(rng: random.Random) -> str:
    return rng.choices([SizeTier.LARGE, SizeTier.MEDIUM, SizeTier.SMALL], weights=[2, 5, 3])[0]


class CreditCodes:
    """Unique, valid unified social credit codes: 91 (enterprise) + division code + organisation code."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set(Customer.all_objects.exclude(credit_code="").values_list("credit_code", flat=True))

    def make(self, division: str) -> str:
        while True:
            body = "91" + division + "".join(self.rng.choice(USCC_ALPHABET) for _ in range(9))
            code = body + uscc_check_character(body)
            if code not in self.seen:
                self.seen.add(code)
                return code


class Phones:
    """Unique mainland mobiles and landlines with the city's area code."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def mobile(self) -> str:
        while True:
            number = f"1{self.rng.choice('356789')}{self.rng.randrange(10**9):09d}"
            if number not in self.seen:
                self.seen.add(number)
                return number

    def landline(self, area: str) -> str:
        digits = 8 if len(area) == 3 else 7
        return f"{area}-{self.rng.randrange(2, 10)}{self.rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


@lru_cache(maxsize=50_000)
def _pinyin(name: str) -> str:
    """A mailbox name from pinyin: 张伟 → zhangwei."""
    return "".join(load_pinyin().lazy_pinyin(name))


@dataclass
class Firm:
    name: str
    short_name: str
    customer_type: str
    province: str
    division: str
    city: str
    area: str
    domain: str
    parent_index: int | None = None


def demo_firms(rng: random.Random) -> list[Firm]:
    """About 40 head offices and 20 branches, deterministic for a seed."""
    brands = rng.sample(BRANDS, 40)
    firms: list[Firm] = []
    for index, brand in enumerate(brands):
        customer_type = HEAD_TYPES[index % len(HEAD_TYPES)] if index else CustomerType.SECURITIES
        short_suffix, suffix = TYPE_SUFFIX[customer_type]
        province, division, cities = rng.choice(REGIONS)
        city, area = cities[0]
        domain = "".join(_pinyin(brand)) + {"证券": "sec", "期货": "futures", "基金": "fund", "银行": "bank"}.get(
            short_suffix, "am"
        )
        firms.append(Firm(f"{brand}{suffix}", f"{brand}{short_suffix}", customer_type, province, division, city, area,
                          f"{domain}.example"))  # fmt: skip
    securities = [i for i, f in enumerate(firms) if f.customer_type == CustomerType.SECURITIES]
    for _ in range(20):
        parent_index = rng.choice(securities[:12])
        parent = firms[parent_index]
        province, division, cities = rng.choice(REGIONS)
        city, area = rng.choice(cities)
        if rng.random() < 0.4:
            name = f"{parent.short_name}{city}分公司"
        else:
            name = f"{parent.short_name}{city}{rng.choice(ROADS)}路证券营业部"
        if any(f.name == name for f in firms):
            continue
        firms.append(Firm(name, name.removeprefix(parent.short_name)[:30], CustomerType.BRANCH, province, division,
                          city, area, parent.domain, parent_index))  # fmt: skip
    return firms


def is_loaded() -> bool:
    return Customer.all_objects.filter(notes=DEMO_NOTE).exists()


@transaction.atomic
def load_customers(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    if is_loaded():
        return "customers: already loaded"
    staff = users_by_position()
    reps = staff["sales_rep"] + staff["sales_manager"]
    admin = staff["admin"][0]
    tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]
    codes = CreditCodes(rng)
    phones = Phones(rng)
    customers: list[Customer] = []
    contact_count = 0
    for firm in demo_firms(rng):
        owner = rng.choice(reps)
        status = pick_status(rng) if firm.parent_index is None else customers[firm.parent_index].status
        customer = customer_create(
            by=owner, owner=owner, name=firm.name, short_name=firm.short_name,
            credit_code=codes.make(firm.division), customer_type=firm.customer_type, province=firm.province,
            city=firm.city, size_tier=pick_size(rng) if firm.parent_index is None else SizeTier.SMALL,
            status=status, source=rng.choice(CustomerSource.values),
            parent=customers[firm.parent_index] if firm.parent_index is not None else None,
            notes=DEMO_NOTE, tags=rng.sample(tags, rng.choice([0, 1, 1, 2, 3])),
        )  # fmt: skip
        customers.append(customer)
        _set_account_team(rng=rng, customer=customer, staff=staff, by=admin)
        contact_count += _add_contacts(rng=rng, customer=customer, firm=firm, phones=phones, by=owner)
    return f"customers: {len(customers)} customers, {contact_count} contacts"


def _set_account_team(*, rng: random.Random, customer: Customer, staff: dict, by: object) -> None:
    team = [
        (AccountRole.PRESALES, rng.choice(staff["engineer"])),
        (AccountRole.MAINTENANCE, rng.choice(staff["maintenance_agent"] + staff["maintenance_lead"])),
    ]
    if customer.status == CustomerStatus.ACTIVE:
        team.append((AccountRole.PROJECT_MANAGER, rng.choice(staff["project_manager"])))
        team.append((AccountRole.FINANCE, rng.choice(staff["finance"])))
    for role, user in team:
        account_member_set(customer=customer, user=user, role=role, by=by)


def _add_contacts(*, rng: random.Random, customer: Customer, firm: Firm, phones: Phones, by: object) -> int:
    count = rng.randint(5, 9) if firm.parent_index is None else rng.randint(2, 4)
    names: set[str] = set()
    for _ in range(count):
        name = person_name(rng)
        while name in names:
            name = person_name(rng)
        names.add(name)
        title, department, role, channel = rng.choice(CONTACT_ROLES)
        left = rng.random() < 0.08
        contact_create(
            by=by, customer=customer, name=name, title=title, department_name=department, decision_role=role,
            mobile=phones.mobile(), landline=phones.landline(firm.area) if rng.random() < 0.7 else "",
            email=f"{_pinyin(name)}{rng.randint(1, 99) if rng.random() < 0.3 else ''}@{firm.domain}",
            wechat_id=f"wx_{_pinyin(name)}{rng.randint(10, 999)}" if rng.random() < 0.5 else "",
            preferred_channel=channel,
            status=ContactStatus.LEFT if left else ContactStatus.ACTIVE,
            left_on=timezone.localdate() - timedelta(days=rng.randint(30, 600)) if left else None,
            notes="已离职，交接给继任者。" if left else "",
        )  # fmt: skip
    return count


# --- Benchmark scale ---------------------------------------------------------------


def scale_factor(scale: str) -> float:
    """`small` is the normal demo only (0); `full` is 1; a number is a fraction or multiple of full."""
    if scale in ("", "small"):
        return 0.0
    if scale == "full":
        return 1.0
    factor = float(scale)
    if factor <= 0:
        raise ValueError("--scale must be small, full or a positive number")
    return factor


def scale_sizes(scale: str) -> dict[str, int]:
    factor = scale_factor(scale)
    return {key: max(1, round(size * factor)) if factor else 0 for key, size in FULL_SIZES.items()}


def bench_customer() -> Customer | None:
    return Customer.objects.filter(name=BENCH_CUSTOMER_NAME).first()


def _bulk_note(sizes: dict[str, int]) -> str:
    return f"{BULK_NOTE} {json.dumps(sizes, sort_keys=True)}"


def bulk_sizes_loaded() -> dict[str, int] | None:
    """The sizes of the bulk data already in the database, or None."""
    found = bench_customer()
    if found is None or not found.notes.startswith(BULK_NOTE):
        return None
    sizes: dict[str, int] = json.loads(found.notes.removeprefix(BULK_NOTE).strip())
    return sizes


@lru_cache(maxsize=50_000)
def _name_index(name: str) -> frozenset[str]:
    return frozenset(name_tokens(name))


def bulk_search_text(*, names: list[str], phones: list[str] = (), emails: list[str] = (), codes: list[str] = ()) -> str:  # type: ignore[assignment]
    """index_tokens() with the name part cached: bulk names repeat, their pinyin is the slow part."""
    tokens: set[str] = set()
    for name in names:
        if name:
            tokens |= _name_index(name)
    for phone in phones:
        tokens |= phone_tokens(phone)
    for email in emails:
        tokens |= email_tokens(email)
    for code in codes:
        if code:
            tokens.add(code.lower())
    return " ".join(sorted(t for t in tokens if t))


def bulk_firm_names(rng: random.Random, count: int) -> Iterator[tuple[str, str, str, str, str, str]]:
    """(name, short_name, customer_type, province, city, division) for bulk customers; one in five a head office."""
    heads: list[str] = []
    for index in range(count):
        province, division, cities = REGIONS[rng.randrange(len(REGIONS))]
        city = cities[rng.randrange(len(cities))][0]
        if index % 5 == 0 or not heads:
            brand = BRANDS[rng.randrange(len(BRANDS))]
            customer_type = HEAD_TYPES[rng.randrange(len(HEAD_TYPES))]
            short_suffix, suffix = TYPE_SUFFIX[customer_type]
            short = f"{city}{brand}{short_suffix}"
            heads.append(short)
            yield f"{city}{brand}{suffix}（{index // 5 + 1}）", short, customer_type, province, city, division
        else:
            parent = heads[rng.randrange(len(heads))]
            road = ROADS[rng.randrange(len(ROADS))]
            yield (f"{parent}{city}{road}路第{index}营业部", f"{city}{road}路营业部", CustomerType.BRANCH, province,
                   city, division)  # fmt: skip


CUSTOMER_COLUMNS = (
    "id", "created_at", "updated_at", "version", "name", "short_name", "credit_code", "customer_type",
    "province", "city", "size_tier", "status", "owner_id", "source", "notes", "search_text",
)  # fmt: skip
CONTACT_COLUMNS = (
    "id", "created_at", "updated_at", "version", "customer_id", "name", "title", "department_name",
    "decision_role", "mobile", "landline", "email", "email_alt", "wechat_id", "preferred_channel",
    "do_not_contact", "status", "left_on", "notes", "search_text",
)  # fmt: skip


def load_bulk_customers(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    sizes = scale_sizes(scale)
    if not sizes["customers"]:
        return ""
    loaded = bulk_sizes_loaded()
    if loaded is not None:
        return f"bulk customers: already loaded at {loaded}"
    staff = users_by_position()
    owners = [u.pk for u in staff["sales_rep"] + staff["sales_manager"]]
    loader = BulkLoader(report=out)
    now = timezone.now()
    created = loader.timestamp_text(now - timedelta(days=800))
    updated = loader.timestamp_text(now - timedelta(days=1))
    codes = CreditCodes(rng)
    sources = CustomerSource.values
    statuses = [pick_status(rng) for _ in range(1000)]
    sizes_tiers = [pick_size(rng) for _ in range(1000)]
    customer_ids: list[int] = []
    first_id = loader.next_id(Customer._meta.db_table)
    tags = [Tag.objects.get_or_create(name=name)[0].pk for name in TAGS]

    def customer_rows() -> Iterator[tuple]:
        for offset, (name, short, ctype, province, city, division) in enumerate(
            bulk_firm_names(rng, sizes["customers"] - 1)
        ):
            pk = first_id + offset + 1
            customer_ids.append(pk)
            code = codes.make(division) if ctype != CustomerType.BRANCH or offset % 3 == 0 else ""
            yield (pk, created, updated, 1, name, short[:30], code, str(ctype), province,
                   city, sizes_tiers[offset % 1000], statuses[offset % 1000], owners[offset % len(owners)],
                   sources[offset % len(sources)], BULK_NOTE,
                   bulk_search_text(names=[name, short], codes=[code]))  # fmt: skip

    with loader.loading([Customer._meta.db_table, Contact._meta.db_table]):
        bench_code = codes.make("310000")
        bench_row = (first_id, created, updated, 1, BENCH_CUSTOMER_NAME, "沧澜证券", bench_code,
                     CustomerType.SECURITIES, "上海", "上海", SizeTier.LARGE, CustomerStatus.ACTIVE, owners[0],
                     CustomerSource.EXISTING, _bulk_note(sizes),
                     bulk_search_text(names=[BENCH_CUSTOMER_NAME, "沧澜证券"], codes=[bench_code]))  # fmt: skip
        loader.write(Customer._meta.db_table, CUSTOMER_COLUMNS, [bench_row])
        customer_ids.append(first_id)
        loader.write(Customer._meta.db_table, CUSTOMER_COLUMNS, customer_rows())
        customer_count = len(customer_ids)
        loader.write(
            AccountMember._meta.db_table, ("customer_id", "user_id", "role", "added_at"),
            ((pk, owners[(pk - first_id - 1) % len(owners)] if pk != first_id else owners[0],
              AccountRole.ACCOUNT_MANAGER, created) for pk in customer_ids),
        )  # fmt: skip
        loader.write(
            Customer.tags.through._meta.db_table, ("customer_id", "tag_id"),
            ((pk, tags[pk % len(tags)]) for pk in customer_ids if pk % 3 == 0),
        )  # fmt: skip
        contact_count = loader.write(
            Contact._meta.db_table, CONTACT_COLUMNS,
            _contact_rows(rng=rng, loader=loader, first_id=loader.next_id(Contact._meta.db_table),
                          customer_ids=customer_ids, count=sizes["contacts"], created=created, updated=updated),
        )  # fmt: skip
        loader.write(
            Event._meta.db_table, ("occurred_at", "verb", "kind", "customer_id", "channel", "target_type",
                                   "target_id", "payload"),
            [(created, CUSTOMER_CREATED, EventKind.STRUCTURE, first_id, "", "customers.customer", first_id,
              json.dumps({"name": BENCH_CUSTOMER_NAME}, ensure_ascii=False))],
        )  # fmt: skip
        loader.reset_sequence(Customer._meta.db_table)
        loader.reset_sequence(Contact._meta.db_table)
        loader.reset_sequence(AccountMember._meta.db_table)
    out(f"bulk: benchmark customer id {first_id} ({BENCH_CUSTOMER_NAME})")
    return f"bulk customers: {customer_count} customers, {contact_count} contacts"


def _contact_rows(
    *, rng: random.Random, loader: BulkLoader, first_id: int, customer_ids: list[int], count: int, created: str,
    updated: str,
) -> Iterator[tuple]:
    """Contact rows, ten per customer on average; the generator runs inside a COPY, so it queries nothing."""
    phones = Phones(rng)
    left_on = (timezone.localdate() - timedelta(days=200)).isoformat()
    active, left = str(ContactStatus.ACTIVE), str(ContactStatus.LEFT)
    false = loader.boolean(False)
    customers = len(customer_ids)
    for offset in range(count):
        customer_id = customer_ids[offset % customers]
        name = SURNAMES[rng.randrange(len(SURNAMES))] + GIVEN[rng.randrange(len(GIVEN))]
        title, department, role, channel = CONTACT_ROLES[rng.randrange(len(CONTACT_ROLES))]
        mobile = phones.mobile()
        email = f"{_pinyin(name)}{offset}@c{customer_id}.example"
        gone = offset % 13 == 0
        yield (first_id + offset, created, updated, 1, customer_id, name, title, department, role, mobile, "",
               email, "", "", channel, false, left if gone else active, left_on if gone else None, "",
               bulk_search_text(names=[name], phones=[mobile], emails=[email]))  # fmt: skip


demo_steps["customers.demo"] = DemoStep(key="customers.demo", order=200, run=load_customers)
demo_steps["customers.bulk"] = DemoStep(key="customers.bulk", order=1200, run=load_bulk_customers)
