"""English milestone names that read as milestones, not as statuses ("Installation acceptance", not
"Installation accepted"): in the project templates and in the milestones projects already took from them.
The Chinese names stay as they are."""

from django.db import migrations

RENAMES = [
    # Chinese name, old English name, new English name
    ("需求确认完成", "Requirements signed off", "Requirements sign-off"),
    ("安装验收", "Installation accepted", "Installation acceptance"),
    ("上线验收", "Go-live accepted", "Go-live acceptance"),
]


def rename(apps, *, forward: bool) -> None:
    TemplatePhase = apps.get_model("delivery", "TemplatePhase")
    Milestone = apps.get_model("delivery", "Milestone")
    for name, old, new in RENAMES:
        before, after = (old, new) if forward else (new, old)
        TemplatePhase.objects.filter(milestone_name=name, milestone_name_en=before).update(milestone_name_en=after)
        Milestone.objects.filter(name=name, name_en=before).update(name_en=after)


def forwards(apps, schema_editor):
    rename(apps, forward=True)


def backwards(apps, schema_editor):
    rename(apps, forward=False)


class Migration(migrations.Migration):
    dependencies = [("delivery", "0002_default_project_template")]

    operations = [migrations.RunPython(forwards, backwards)]
