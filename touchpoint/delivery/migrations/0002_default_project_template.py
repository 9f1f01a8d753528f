"""The default project template: the six phases every implementation goes through."""

from django.db import migrations

PHASES = [
    # name, English name, days, milestone, English milestone, delivery event, tasks
    ("需求确认", "Requirement confirmation", 10, "需求确认完成", "Requirements signed off", "",
     "需求调研 | 24\n需求规格说明书 | 24\n需求评审 | 8"),
    ("开发/定制", "Development and customisation", 30, "", "", "",
     "定制开发 | 160\n内部测试 | 40"),
    ("安装部署", "Installation", 10, "安装验收", "Installation accepted", "delivery_accepted",
     "环境检查 | 8\n生产环境安装 | 24\n灾备环境安装 | 16"),
    ("联调测试", "Commissioning and integration testing", 15, "", "", "",
     "交易所接口联调 | 40\n柜台系统联调 | 40\n全真测试 | 24"),
    ("培训", "Training", 5, "", "", "",
     "管理员培训 | 8\n营业部用户培训 | 16"),
    ("上线验收", "Go-live acceptance", 10, "上线验收", "Go-live accepted", "go_live",
     "上线切换 | 16\n上线保障 | 40\n验收报告 | 8"),
]


def create(apps, schema_editor):
    ProjectTemplate = apps.get_model("delivery", "ProjectTemplate")
    TemplatePhase = apps.get_model("delivery", "TemplatePhase")
    template = ProjectTemplate.objects.create(name="标准实施项目", name_en="Standard implementation", is_default=True)
    for order, (name, name_en, days, milestone, milestone_en, event, tasks) in enumerate(PHASES, start=1):
        TemplatePhase.objects.create(
            template=template, order=order, name=name, name_en=name_en, duration_days=days, milestone_name=milestone,
            milestone_name_en=milestone_en, milestone_event=event, tasks=tasks,
        )


def remove(apps, schema_editor):
    ProjectTemplate = apps.get_model("delivery", "ProjectTemplate")
    for template in ProjectTemplate.objects.filter(name="标准实施项目", is_default=True):
        template.phases.all().delete()
        template.delete()


class Migration(migrations.Migration):
    dependencies = [("delivery", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
