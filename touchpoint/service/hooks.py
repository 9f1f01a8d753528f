"""What the service module does when delivery hands a customer over: the warranty starts as the
customer's first maintenance contract, and each open defect on the handover becomes a request."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.extensions import PeriodicJob, handover_signed_hooks, periodic_jobs
from touchpoint.core.models import Channel, EventKind
from touchpoint.service.models import CoverageKind, MaintenanceContract, Tier

WARRANTY_STARTED = event_type("coverage.warranty_started", kind=EventKind.SERVICE, label=gettext_lazy("Warranty started"))


def warranty_from_handover(handover: Any, by: Any) -> MaintenanceContract | None:
    """Idempotent: a handover gives at most one warranty (the row is keyed by the handover)."""
    existing = MaintenanceContract.objects.filter(handover_id=handover.pk).first()
    if existing is not None or handover.warranty_start is None or handover.warranty_end is None:
        return existing
    from touchpoint.service.services.contracts import contract_create

    systems = list(handover.systems.select_related("installed_item"))
    project = handover.project
    warranty = contract_create(
        by=by, customer=handover.customer, kind=CoverageKind.WARRANTY, tier=Tier.STANDARD, starts_on=handover.warranty_start,
        ends_on=handover.warranty_end, sites="、".join(sorted({s.site for s in systems if s.site}))[:300],
        sales_contract=project.contract, handover_id=handover.pk, items={s.installed_item for s in systems},
    )  # fmt: skip
    event_record(verb=WARRANTY_STARTED, actor=by, customer_id=handover.customer_id, target=warranty,
                 payload={"number": warranty.number, "project": project.number, "starts_on": warranty.starts_on.isoformat(),
                          "ends_on": warranty.ends_on.isoformat()})  # fmt: skip
    return warranty


def defects_to_requests(handover: Any, by: Any) -> list[Any]:
    """Each open defect still without a request becomes one, owned by the lead who signed."""
    from touchpoint.service.services.requests import request_create

    made = []
    lead = handover.lead_signed_by or by
    for defect in handover.defects.filter(request_ref=""):
        request = request_create(
            by=lead, customer=handover.customer, channel=Channel.OTHER, category="fault", severity=defect.severity,
            subject=defect.title,
            description=_("Open defect handed over with project %(project)s.") % {"project": handover.project.number}
            + ("\n\n" + defect.description if defect.description else ""),
            log_touchpoint=False, now=timezone.now(),
        )  # fmt: skip
        defect.request_ref = request.number
        defect.save(update_fields=["request_ref"])
        made.append(request)
    return made


def on_handover_signed(handover: Any, by: Any) -> None:
    warranty_from_handover(handover, by)
    defects_to_requests(handover, by)


handover_signed_hooks["service.warranty"] = on_handover_signed


def _enqueue_flow_sweep() -> Any:
    from touchpoint.service.tasks import service_flow_sweep

    return service_flow_sweep.enqueue()


# Every five minutes: a 75% warning or a stuck request is news within minutes, not hours.
periodic_jobs["service_flow_sweep"] = PeriodicJob("service_flow_sweep", every_seconds=300, enqueue=_enqueue_flow_sweep)


def _enqueue_maintenance_daily() -> Any:
    from touchpoint.service.tasks import service_maintenance_daily

    return service_maintenance_daily.enqueue()


# Hourly, though the work is daily: each step is idempotent, so a restart or a missed run costs at
# most an hour, and a second run the same day does nothing.
periodic_jobs["service_maintenance_daily"] = PeriodicJob("service_maintenance_daily", every_seconds=3600,
                                                         enqueue=_enqueue_maintenance_daily)  # fmt: skip


def _enqueue_mailbox_poll() -> Any:
    from django.conf import settings

    from touchpoint.service.tasks import service_mailbox_poll

    return service_mailbox_poll.enqueue() if settings.IMAP_HOST else None


periodic_jobs["service_mailbox_poll"] = PeriodicJob("service_mailbox_poll", every_seconds=60, enqueue=_enqueue_mailbox_poll)
