"""The risks and issues log of a project. Open high-impact entries weigh on the project's health."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.delivery.models import Level, Project, Risk, RiskKind, RiskStatus
from touchpoint.delivery.services.health import health_refresh
from touchpoint.delivery.services.projects import notify, payload, project_url, require_running

RISK_RAISED = event_type("project.risk_raised", kind=EventKind.DELIVERY, label=gettext_lazy("Risk or issue raised"))
RISK_CLOSED = event_type("project.risk_closed", kind=EventKind.DELIVERY, label=gettext_lazy("Risk or issue closed"))

RISK_FIELDS = ("kind", "title", "description", "impact", "likelihood", "mitigation", "owner", "due_on", "status")


def _check(values: dict[str, Any]) -> None:
    if "title" in values and not (values["title"] or "").strip():
        raise ValidationError({"title": _("Give it a title.")})
    for field, choices in (("kind", RiskKind), ("impact", Level), ("likelihood", Level), ("status", RiskStatus)):
        if field in values and values[field] not in choices.values:
            raise ValidationError({field: _("Choose one of the listed values.")})


@transaction.atomic
def risk_raise(
    *, project: Project, by: Any, title: str, kind: str = RiskKind.RISK, description: str = "", impact: str = Level.MEDIUM,
    likelihood: str = Level.MEDIUM, mitigation: str = "", owner: Any = None, due_on: date | None = None,
) -> Risk:  # fmt: skip
    require_running(project)
    values = {"title": title, "kind": kind, "impact": impact, "likelihood": likelihood}
    _check(values)
    risk = Risk.objects.create(
        project=project, customer_id=project.customer_id, kind=kind, title=title.strip()[:160], description=description or "",
        impact=impact, likelihood=likelihood, mitigation=mitigation or "", owner=owner, due_on=due_on, raised_by=by,
    )  # fmt: skip
    event_record(verb=RISK_RAISED, actor=by, customer_id=project.customer_id, target=project,
                 payload=payload(project, risk=risk.title, kind=kind, impact=impact))  # fmt: skip
    if owner is not None and owner.pk != by.pk:
        notify(owner, f"risk:{risk.pk}:owner:{owner.pk}", _("A project risk is yours to handle: %(title)s") % {"title": risk.title},
               project_url(project) + "risks/")  # fmt: skip
    if impact == Level.HIGH and project.manager_id and project.manager_id != by.pk:
        text = _("High-impact %(kind)s on %(project)s: %(title)s") % {
            "kind": risk.get_kind_display(), "project": project.number, "title": risk.title}  # fmt: skip
        notify(project.manager, f"risk:{risk.pk}:high", text, project_url(project) + "risks/")
    health_refresh(project)
    return risk


@transaction.atomic
def risk_update(*, risk: Risk, by: Any, expected_version: int, **values: Any) -> Risk:
    current = Risk.objects.select_for_update().select_related("project").get(pk=risk.pk)
    require_running(current.project)
    if current.version != expected_version:
        raise ValidationError(_("Someone else changed this entry meanwhile; reload it and make your change again."))
    values = {k: v for k, v in values.items() if k in RISK_FIELDS}
    _check(values)
    closing = values.get("status") == RiskStatus.CLOSED and current.status != RiskStatus.CLOSED
    for field, value in values.items():
        setattr(current, field, value.strip() if isinstance(value, str) else value)
    if closing:
        current.closed_at = timezone.now()
    elif current.status != RiskStatus.CLOSED:
        current.closed_at = None  # reopened
    current.version += 1
    current.save()
    if closing:
        event_record(verb=RISK_CLOSED, actor=by, customer_id=current.customer_id, target=current.project,
                     payload=payload(current.project, risk=current.title))  # fmt: skip
    health_refresh(current.project)
    return current
