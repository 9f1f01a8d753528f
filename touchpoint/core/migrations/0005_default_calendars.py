"""The two calendars SLA policies start from: the maintenance centre's working days, and 7×24 for P1."""

from datetime import time

from django.db import migrations

CALENDARS = [
    {"code": "workdays", "name": "工作日 8:30–17:00", "name_en": "Working days 8:30–17:00", "round_the_clock": False},
    {"code": "always", "name": "全天候 7×24", "name_en": "Round the clock 7×24", "round_the_clock": True},
]


def create(apps, schema_editor):
    calendar = apps.get_model("core", "BusinessCalendar")
    for row in CALENDARS:
        calendar.objects.get_or_create(code=row["code"], defaults={**row, "opens_at": time(8, 30), "closes_at": time(17, 0)})


def remove(apps, schema_editor):
    apps.get_model("core", "BusinessCalendar").objects.filter(code__in=[row["code"] for row in CALENDARS]).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0004_business_calendars")]
    operations = [migrations.RunPython(create, remove)]
