from django.db import migrations

ZH_BODY_BEFORE = """{contact}您好：

贵司（{customer}）以下发票将于近日到期，合计 {total} {currency}：

{invoices}

烦请安排按期付款。如已付款，请忽略本邮件；如有疑问，请直接回复。

{company} 财务部
"""
EN_BODY_BEFORE = """Dear {contact},

The following invoices of {customer} fall due shortly, {total} {currency} in all:

{invoices}

Please arrange payment by the due date. If you have already paid, please ignore this email; if anything
is unclear, simply reply.

{company}, Finance
"""
ZH_BODY_AFTER = """{contact}您好：

截至 {today}，贵司（{customer}）以下发票已逾期，合计 {total} {currency}：

{invoices}

请尽快安排付款，并回复告知预计付款日期。如已付款，请提供银行回单以便我们核销。

{company} 财务部
"""
EN_BODY_AFTER = """Dear {contact},

As of {today} the following invoices of {customer} are overdue, {total} {currency} in all:

{invoices}

Please arrange payment as soon as possible and reply with the expected payment date. If you have paid,
please send the bank slip so that we can match it.

{company}, Finance
"""

LEVELS = [
    # days, name, English name, subject zh, subject en, body zh, body en, manager, executive
    (-7, "到期提醒", "Coming due", "付款提醒：{count} 张发票即将到期", "Reminder: {count} invoices fall due soon",
     ZH_BODY_BEFORE, EN_BODY_BEFORE, False, False),
    (1, "逾期通知", "Overdue notice", "逾期通知：{total} {currency} 已到期未付", "Overdue: {total} {currency} is past due",
     ZH_BODY_AFTER, EN_BODY_AFTER, False, False),
    (30, "二次催款", "Second notice", "第二次催款：{total} {currency} 逾期超过 30 天",
     "Second notice: {total} {currency} over 30 days overdue", ZH_BODY_AFTER, EN_BODY_AFTER, True, False),
    (60, "最终催款", "Final notice", "最终催款通知：{total} {currency} 逾期超过 60 天",
     "Final notice: {total} {currency} over 60 days overdue", ZH_BODY_AFTER, EN_BODY_AFTER, True, True),
]


def seed(apps, schema_editor):
    DunningLevel = apps.get_model("finance", "DunningLevel")
    CreditPolicy = apps.get_model("finance", "CreditPolicy")
    for days, name, name_en, subject_zh, subject_en, body_zh, body_en, manager, executive in LEVELS:
        DunningLevel.objects.get_or_create(days=days, defaults={
            "name": name, "name_en": name_en, "subject_zh": subject_zh, "subject_en": subject_en,
            "body_zh": body_zh, "body_en": body_en, "notify_manager": manager, "notify_executive": executive,
        })  # fmt: skip
    CreditPolicy.objects.get_or_create(pk=1)


def unseed(apps, schema_editor):
    apps.get_model("finance", "DunningLevel").objects.filter(days__in=[row[0] for row in LEVELS], letters__isnull=True).delete()
    apps.get_model("finance", "CreditPolicy").objects.filter(pk=1).delete()


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
