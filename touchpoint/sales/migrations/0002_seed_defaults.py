from decimal import Decimal

from django.db import migrations

AREAS = [
    ("market_data", "行情", "Market data"),
    ("order_entry", "委托交易", "Order entry"),
    ("margin_trading", "融资融券", "Margin trading"),
    ("options", "期权", "Options"),
    ("risk_control", "风险控制", "Risk control"),
    ("clearing", "清算与交易所接口", "Clearing and exchange interfaces"),
    ("mobile", "移动交易", "Mobile trading"),
    ("reporting", "报表", "Reporting"),
    ("compliance", "合规", "Compliance"),
    ("other", "其他", "Other"),
]

STAGES = [
    ("lead_confirm", "线索确认", "Lead confirmed", 10, "open"),
    ("discovery", "需求调研", "Requirements discovery", 25, "open"),
    ("proposal", "方案与报价", "Proposal and quote", 50, "open"),
    ("negotiation", "商务谈判", "Negotiation", 75, "open"),
    ("won", "赢单", "Won", 100, "won"),
    ("lost", "输单", "Lost", 0, "lost"),
]

MILESTONES = [
    ("签约款", "30", "signing", "", 0),
    ("到货验收款", "40", "event", "delivery_accepted", 90),
    ("上线款", "20", "event", "go_live", 180),
    ("质保金", "10", "event", "warranty_ended", 545),
]

DISCOUNT_LIMITS = [("sales_rep", "10"), ("sales_manager", "25"), ("executive", "100"), ("admin", "100")]


def seed(apps, schema_editor):
    RequirementArea = apps.get_model("sales", "RequirementArea")
    for order, (code, name, name_en) in enumerate(AREAS, start=1):
        RequirementArea.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "order": order * 10})

    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    StageTransition = apps.get_model("sales", "StageTransition")
    if not Pipeline.objects.filter(is_default=True).exists():
        pipeline = Pipeline.objects.create(name="标准销售流程", name_en="Standard sales process", is_default=True)
        stages = {}
        for order, (code, name, name_en, probability, outcome) in enumerate(STAGES, start=1):
            stages[code] = Stage.objects.create(
                pipeline=pipeline, code=code, name=name, name_en=name_en, order=order * 10,
                probability=probability, outcome=outcome,
            )
        open_codes = [code for code, *_rest, outcome in STAGES if outcome == "open"]
        moves = set()
        for index, code in enumerate(open_codes):
            if index + 1 < len(open_codes):
                moves.add((code, open_codes[index + 1]))  # one step forward
            for earlier in open_codes[:index]:
                moves.add((code, earlier))  # back to any earlier stage
            moves.add((code, "lost"))
        moves.add(("negotiation", "won"))
        moves.add(("lost", "lead_confirm"))  # a lost deal may be reopened
        for source, target in sorted(moves):
            StageTransition.objects.create(pipeline=pipeline, from_stage=stages[source], to_stage=stages[target])

    MilestoneTemplate = apps.get_model("sales", "MilestoneTemplate")
    MilestoneTemplateItem = apps.get_model("sales", "MilestoneTemplateItem")
    if not MilestoneTemplate.objects.filter(is_default=True).exists():
        template = MilestoneTemplate.objects.create(name="标准付款（30/40/20/10）", is_default=True)
        for order, (name, percent, trigger, event, offset) in enumerate(MILESTONES, start=1):
            MilestoneTemplateItem.objects.create(
                template=template, order=order, name=name, percent=Decimal(percent), trigger=trigger,
                trigger_event=event, offset_days=offset,
            )

    DiscountLimit = apps.get_model("sales", "DiscountLimit")
    for position, percent in DISCOUNT_LIMITS:
        DiscountLimit.objects.get_or_create(position=position, defaults={"max_discount_percent": Decimal(percent)})


def unseed(apps, schema_editor):
    apps.get_model("sales", "DiscountLimit").objects.all().delete()
    apps.get_model("sales", "MilestoneTemplate").objects.filter(is_default=True).delete()
    apps.get_model("sales", "Pipeline").objects.filter(is_default=True).delete()
    apps.get_model("sales", "RequirementArea").objects.filter(code__in=[code for code, *_ in AREAS]).delete()


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
