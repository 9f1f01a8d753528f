"""The maintenance centre's starting set-up: a queue per department, SLA policies for every tier and
severity (P1 round the clock, the rest on working days), and the routing rules that send change
requests to engineering and everything else to L1. L2 queues per product come with the products."""

from django.db import migrations

QUEUES = [
    # code, kind, department, name, English name
    ("l1", "l1", "maintenance", "维护中心一线", "Maintenance centre L1"),
    ("engineering", "engineering", "engineering", "研发工程", "Engineering"),
    ("sales", "sales", "sales", "销售商务", "Sales"),
    ("finance", "finance", "finance", "财务", "Finance"),
]
# tier: {severity: (first response, resolution)} in business minutes; a working day is 510 minutes.
POLICIES = {
    "premium": {"P1": (15, 240), "P2": (30, 510), "P3": (120, 1530), "P4": (240, 5100)},
    "standard": {"P1": (30, 480), "P2": (60, 1020), "P3": (240, 2550), "P4": (480, 7650)},
    "basic": {"P1": (60, 960), "P2": (120, 2040), "P3": (480, 5100), "P4": (960, 10200)},
}


def create(apps, schema_editor):
    department = apps.get_model("org", "Department")
    queue = apps.get_model("service", "Queue")
    calendar = apps.get_model("core", "BusinessCalendar")
    policy = apps.get_model("service", "SlaPolicy")
    rule = apps.get_model("service", "RoutingRule")
    made = {}
    for code, kind, department_code, name, name_en in QUEUES:
        home = department.objects.filter(code=department_code).first()
        if home is None:
            continue
        made[code], _ = queue.objects.get_or_create(code=code, defaults={"kind": kind, "department": home, "name": name,
                                                                          "name_en": name_en})  # fmt: skip
    workdays, always = calendar.objects.get(code="workdays"), calendar.objects.get(code="always")
    for tier, targets in POLICIES.items():
        for severity, (response, resolution) in targets.items():
            policy.objects.get_or_create(tier=tier, severity=severity, defaults={
                "response_minutes": response, "resolution_minutes": resolution,
                "calendar": always if severity == "P1" else workdays})  # fmt: skip
    if "engineering" in made:
        rule.objects.get_or_create(name="变更需求转研发", defaults={"order": 10, "category": "change", "queue": made["engineering"]})
    if "l1" in made:
        rule.objects.get_or_create(name="其余进一线", defaults={"order": 1000, "queue": made["l1"]})


def remove(apps, schema_editor):
    apps.get_model("service", "RoutingRule").objects.all().delete()
    apps.get_model("service", "SlaPolicy").objects.all().delete()
    apps.get_model("service", "Queue").objects.filter(code__in=[q[0] for q in QUEUES]).delete()


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial"), ("core", "0005_default_calendars"), ("org", "0005_department_head")]
    operations = [migrations.RunPython(create, remove)]
