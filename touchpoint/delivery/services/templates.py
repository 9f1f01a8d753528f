"""Project templates: the phases (with their tasks and closing milestone) new projects start from."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from touchpoint.delivery.models import DeliverySettings, ProjectTemplate, TemplatePhase
from touchpoint.sales.models import DeliveryEvent

PHASE_FIELDS = ("name", "name_en", "duration_days", "milestone_name", "milestone_name_en", "milestone_event", "tasks")


@transaction.atomic
def template_save(
    *, template: ProjectTemplate | None, by: Any, name: str, name_en: str, is_default: bool, is_active: bool,
    products: list[Any], phases: list[dict[str, Any]],
) -> ProjectTemplate:  # fmt: skip
    """Create or replace a template with its phases, in order. One template is the default."""
    name, name_en = (name or "").strip(), (name_en or "").strip()
    if not name or not name_en:
        raise ValidationError({"name": _("Name the template in Chinese and in English.")})
    phases = [p for p in phases if (p.get("name") or "").strip()]
    if not phases:
        raise ValidationError({"phases": _("A template needs at least one phase.")})
    for index, phase in enumerate(phases, start=1):
        days = phase.get("duration_days")
        if not isinstance(days, int) or not 1 <= days <= 730:
            raise ValidationError({"phases": _("Phase %(n)s: the duration must be 1 to 730 days.") % {"n": index}})
        if phase.get("milestone_event") and phase["milestone_event"] not in DeliveryEvent.values:
            raise ValidationError({"phases": _("Phase %(n)s: unknown delivery event.") % {"n": index}})
        if phase.get("milestone_event") and not (phase.get("milestone_name") or "").strip():
            raise ValidationError({"phases": _("Phase %(n)s: name the milestone that makes payment due.") % {"n": index}})
    if is_default and not is_active:
        raise ValidationError({"is_default": _("The default template must be in use.")})
    template = template or ProjectTemplate()
    template.name, template.name_en, template.is_default, template.is_active = name[:60], name_en[:60], is_default, is_active
    template.save()
    template.products.set(products)
    if is_default:
        ProjectTemplate.objects.exclude(pk=template.pk).filter(is_default=True).update(is_default=False)
    template.phases.all().delete()
    for order, phase in enumerate(phases, start=1):
        TemplatePhase.objects.create(template=template, order=order, **{
            f: (phase.get(f) or "").strip() if isinstance(phase.get(f), str) or phase.get(f) is None else phase[f]
            for f in PHASE_FIELDS
        })  # fmt: skip
    return template


@transaction.atomic
def delivery_settings_save(*, by: Any, **values: Any) -> DeliverySettings:
    current = DeliverySettings.objects.select_for_update().filter(pk=1).first() or DeliverySettings.current()
    for field in ("hourly_cost", "red_slip_days", "red_overdue_tasks", "hours_per_day"):
        if field in values:
            setattr(current, field, values[field])
    if current.hours_per_day <= 0 or current.hours_per_day > 24:
        raise ValidationError({"hours_per_day": _("A working day has between 1 and 24 hours.")})
    current.full_clean()
    current.save()
    return current
