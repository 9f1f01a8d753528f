from django.db import migrations

DEPARTMENTS = [
    ("sales", "销售部", "Sales", 10),
    ("engineering", "工程部", "Engineering", 20),
    ("maintenance", "维护中心", "Maintenance Centre", 30),
    ("finance", "财务部", "Finance", 40),
    ("marketing", "市场部", "Marketing", 50),
    ("management", "管理层", "Management", 60),
]


def seed(apps, schema_editor):
    Department = apps.get_model("org", "Department")
    for code, name, name_en, order in DEPARTMENTS:
        Department.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "order": order})


def unseed(apps, schema_editor):
    Department = apps.get_model("org", "Department")
    Department.objects.filter(code__in=[code for code, *_ in DEPARTMENTS], users__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
