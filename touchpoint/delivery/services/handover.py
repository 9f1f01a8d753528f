"""The handover to maintenance, the last act of a project.

    draft ──submit (checklist complete)──▶ submitted ──signed by the PM and a maintenance lead──▶ signed
      ▲                                       │
      └──────────── sent back (with a reason) ┘

Signing by both:
- records the installed base as installed (version, site, go-live date);
- emits "handover signed" (the service module builds the warranty entitlement from it);
- hands the customer's service relationship to the maintenance centre, as a logged handoff;
- closes the project, archives its documents and ends the team's temporary access to the customer.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.extensions import handover_signed_hooks
from touchpoint.core.models import EventKind
from touchpoint.customers.models import Contact, Customer
from touchpoint.customers.services import customer_service_handoff
from touchpoint.delivery.access import is_maintenance_lead
from touchpoint.delivery.models import (
    CustomerRole,
    DefectSeverity,
    Environment,
    Handover,
    HandoverContact,
    HandoverDefect,
    HandoverStatus,
    HandoverSystem,
    HandoverTraining,
    KeyContactRole,
    MilestoneStatus,
    Project,
    ProjectStatus,
)
from touchpoint.delivery.services.projects import locked, move, notify, payload, project_url, team_access_expire
from touchpoint.org.models import Membership, Position
from touchpoint.sales.models import DeliveryEvent, InstalledItem, ProductVersion

HANDOVER_OPENED = event_type("handover.opened", kind=EventKind.DELIVERY, label=gettext_lazy("Handover started"))
HANDOVER_SUBMITTED = event_type("handover.submitted", kind=EventKind.DELIVERY, label=gettext_lazy("Handover submitted for sign-off"))
HANDOVER_RETURNED = event_type("handover.returned", kind=EventKind.DELIVERY, label=gettext_lazy("Handover sent back"))
HANDOVER_SIGNATURE = event_type("handover.signature", kind=EventKind.DELIVERY, label=gettext_lazy("Handover signed by one side"))
HANDOVER_SIGNED = event_type("handover.signed", kind=EventKind.DELIVERY, label=gettext_lazy("Handover signed"))

WARRANTY_DAYS = 365


def _locked(handover: Handover) -> Handover:
    return Handover.objects.select_for_update().select_related("project").get(pk=handover.pk)


def _require_draft(handover: Handover) -> None:
    if handover.status != HandoverStatus.DRAFT:
        raise ValidationError(_("The handover is %(status)s; send it back to change it.")
                              % {"status": handover.get_status_display()})  # fmt: skip


def _go_live(project: Project) -> date | None:
    accepted = project.milestones.filter(delivery_event=DeliveryEvent.GO_LIVE, status=MilestoneStatus.ACCEPTED).first()
    return accepted.accepted_on if accepted else None


@transaction.atomic
def handover_open(*, project: Project, by: Any) -> Handover:
    """Start the handover: the project moves to "handing over" and the record is prefilled with what the
    system already knows (installed modules, go-live date, customer-side IT and operations contacts)."""
    project = locked(project)
    existing = Handover.objects.filter(project=project).first()
    if existing is not None:
        if project.status != ProjectStatus.HANDOVER:
            move(project, ProjectStatus.HANDOVER)
            project.save(update_fields=["status", "updated_at"])
        return existing
    move(project, ProjectStatus.HANDOVER)
    project.version += 1
    project.save(update_fields=["status", "version", "updated_at"])
    go_live = _go_live(project)
    start = go_live or timezone.localdate()
    handover = Handover.objects.create(
        project=project, customer_id=project.customer_id, warranty_start=start,
        warranty_end=start + timedelta(days=WARRANTY_DAYS - 1),
    )  # fmt: skip
    site = project.customer.city or project.customer.province or ""
    for item in InstalledItem.objects.filter(contract_id=project.contract_id).order_by("id"):
        HandoverSystem.objects.create(handover=handover, installed_item=item, version_id=item.version_id, site=site,
                                      environment=Environment.PRODUCTION, go_live_on=go_live)  # fmt: skip
    roles = {CustomerRole.IT: KeyContactRole.IT, CustomerRole.OPERATIONS: KeyContactRole.OPERATIONS}
    for link in project.customer_contacts.filter(role__in=roles):
        HandoverContact.objects.get_or_create(handover=handover, contact_id=link.contact_id, role=roles[link.role])  # type: ignore[index]
    event_record(verb=HANDOVER_OPENED, actor=by, customer_id=project.customer_id, target=project, payload=payload(project))
    return handover


# --- Filling it in --------------------------------------------------------------------------------------

HANDOVER_FIELDS = ("customisations", "interfaces", "known_risks", "no_open_defects", "warranty_start", "warranty_end")


@transaction.atomic
def handover_update(*, handover: Handover, by: Any, expected_version: int, **values: Any) -> Handover:
    current = _locked(handover)
    _require_draft(current)
    if current.version != expected_version:
        raise ValidationError(_("Someone else changed this handover meanwhile; reload it and make your change again."))
    for field in HANDOVER_FIELDS:
        if field in values:
            value = values[field]
            setattr(current, field, value.strip() if isinstance(value, str) else value)
    if current.warranty_start and current.warranty_end and current.warranty_end < current.warranty_start:
        raise ValidationError({"warranty_end": _("The warranty cannot end before it starts.")})
    if current.no_open_defects and current.defects.exists():
        raise ValidationError({"no_open_defects": _("Open defects are listed; remove them or leave this unticked.")})
    current.version += 1
    current._history_user = by  # type: ignore[attr-defined]
    current.save()
    return current


@transaction.atomic
def system_add(
    *, handover: Handover, by: Any, installed_item: InstalledItem, site: str, environment: str,
    version: ProductVersion | None = None, go_live_on: date | None = None,
) -> HandoverSystem:  # fmt: skip
    handover = _locked(handover)
    _require_draft(handover)
    if installed_item.customer_id != handover.customer_id:
        raise ValidationError({"installed_item": _("The module must be in this customer's installed base.")})
    if version is not None and version.product_id != installed_item.product_id:
        raise ValidationError({"version": _("The version must be of the module's product.")})
    if environment not in Environment.values:
        raise ValidationError({"environment": _("Choose production, disaster recovery or test.")})
    site = (site or "").strip()
    if not site:
        raise ValidationError({"site": _("Say where it is installed.")})
    if HandoverSystem.objects.filter(handover=handover, installed_item=installed_item, environment=environment, site=site[:120]).exists():
        raise ValidationError({"site": _("This module is already listed for this site and environment.")})
    return HandoverSystem.objects.create(handover=handover, installed_item=installed_item, version=version, site=site[:120],
                                         environment=environment, go_live_on=go_live_on)  # fmt: skip


@transaction.atomic
def system_update(*, system: HandoverSystem, by: Any, **values: Any) -> HandoverSystem:
    _require_draft(_locked(system.handover))
    if "version" in values and values["version"] is not None and values["version"].product_id != system.installed_item.product_id:
        raise ValidationError({"version": _("The version must be of the module's product.")})
    if "site" in values:
        values["site"] = (values["site"] or "").strip()[:120]
        if not values["site"]:
            raise ValidationError({"site": _("Say where it is installed.")})
    if "environment" in values and values["environment"] not in Environment.values:
        raise ValidationError({"environment": _("Choose production, disaster recovery or test.")})
    for field in ("version", "site", "environment", "go_live_on"):
        if field in values:
            setattr(system, field, values[field])
    system.save()
    return system


@transaction.atomic
def defect_add(*, handover: Handover, by: Any, title: str, severity: str = DefectSeverity.P3, description: str = "") -> HandoverDefect:
    handover = _locked(handover)
    _require_draft(handover)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the defect a title.")})
    if severity not in DefectSeverity.values:
        raise ValidationError({"severity": _("Choose a severity from P1 to P4.")})
    if handover.no_open_defects:
        Handover.objects.filter(pk=handover.pk).update(no_open_defects=False)
    return HandoverDefect.objects.create(handover=handover, title=title[:160], severity=severity, description=(description or "")[:5000])


@transaction.atomic
def training_add(*, handover: Handover, by: Any, topic: str, trainees: str, trained_on: date | None, trainer: str = "") -> HandoverTraining:
    handover = _locked(handover)
    _require_draft(handover)
    topic, trainees = (topic or "").strip(), (trainees or "").strip()
    if not topic:
        raise ValidationError({"topic": _("Say what the training covered.")})
    if not trainees:
        raise ValidationError({"trainees": _("Say who was trained.")})
    if trained_on is None:
        raise ValidationError({"trained_on": _("Enter the date of the training.")})
    if trained_on > timezone.localdate():
        raise ValidationError({"trained_on": _("A training record is for training that took place.")})
    return HandoverTraining.objects.create(handover=handover, topic=topic[:160], trainees=trainees[:500], trained_on=trained_on,
                                           trainer=(trainer or "").strip()[:60])  # fmt: skip


@transaction.atomic
def key_contact_add(*, handover: Handover, by: Any, contact: Contact, role: str) -> HandoverContact:
    handover = _locked(handover)
    _require_draft(handover)
    if contact.customer_id != handover.customer_id:
        raise ValidationError({"contact": _("The contact must belong to this customer.")})
    if role not in KeyContactRole.values:
        raise ValidationError({"role": _("Choose operations or IT.")})
    link, _created = HandoverContact.objects.get_or_create(handover=handover, contact=contact, role=role)
    return link


@transaction.atomic
def item_remove(*, item: HandoverSystem | HandoverDefect | HandoverTraining | HandoverContact, by: Any) -> None:
    """Take a row (a system, a defect, a training record, a key contact) off a draft handover."""
    _require_draft(_locked(item.handover))
    item.delete()


# --- The checklist --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    label: Promise | str
    done: bool
    hint: Promise | str = ""


def checklist(handover: Handover) -> list[ChecklistItem]:
    systems = list(handover.systems.all())
    defects = handover.defects.count()
    roles = set(handover.key_contacts.values_list("role", flat=True))
    systems_complete = bool(systems) and all(s.version_id and s.site and s.go_live_on for s in systems)
    warranty_ok = bool(handover.warranty_start and handover.warranty_end and handover.warranty_end > handover.warranty_start)
    return [
        ChecklistItem("installed_base", _("Installed base: every module with its version, site, environment and go-live date"),
                      systems_complete, _("List at least one module; each needs a version, a site and a go-live date.")),
        ChecklistItem("customisations", _("Customisations and configuration notes"), bool(handover.customisations.strip()),
                      _("Write what was customised and configured, or “none”.")),
        ChecklistItem("interfaces", _("Interfaces to exchange and clearing systems"), bool(handover.interfaces.strip()),
                      _("Describe each interface, or write “none”.")),
        ChecklistItem("defects", _("Open defects"), defects > 0 or handover.no_open_defects,
                      _("List the open defects, or tick “no open defects”.")),
        ChecklistItem("training", _("Training records"), handover.trainings.exists(), _("Record who was trained, on what and when.")),
        ChecklistItem("contacts", _("Key customer contacts for operations and IT"),
                      {KeyContactRole.OPERATIONS, KeyContactRole.IT} <= roles, _("Name at least one operations and one IT contact.")),
        ChecklistItem("warranty", _("Warranty start and end"), warranty_ok, _("Enter the warranty period; it must end after it starts.")),
        ChecklistItem("risks", _("Known risks"), bool(handover.known_risks.strip()), _("Write the known risks, or “none”.")),
    ]  # fmt: skip


def _require_complete(handover: Handover) -> None:
    missing = [item for item in checklist(handover) if not item.done]
    if missing:
        messages = [str(_("Not complete: %(item)s. %(hint)s") % {"item": i.label, "hint": i.hint}) for i in missing]
        raise ValidationError({"checklist": messages})


def maintenance_leads() -> list[Any]:
    from touchpoint.org.models import User

    ids = Membership.objects.filter(position=Position.MAINTENANCE_LEAD).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True))


# --- Submitting and signing ----------------------------------------------------------------------------


@transaction.atomic
def handover_submit(*, handover: Handover, by: Any) -> Handover:
    current = _locked(handover)
    _require_draft(current)
    _require_complete(current)
    current.status, current.submitted_at = HandoverStatus.SUBMITTED, timezone.now()
    current.version += 1
    current._history_user = by  # type: ignore[attr-defined]
    current.save()
    project = current.project
    event_record(verb=HANDOVER_SUBMITTED, actor=by, customer_id=current.customer_id, target=project, payload=payload(project))
    for lead in maintenance_leads():
        notify(lead, f"handover:{current.pk}:submitted:{current.version}",
               _("Handover of %(project)s awaits your signature.") % {"project": project}, project_url(project) + "handover/")  # fmt: skip
    return current


@transaction.atomic
def handover_return(*, handover: Handover, by: Any, reason: str) -> Handover:
    """Send a submitted handover back to the project for more work; signatures given so far lapse."""
    current = _locked(handover)
    if current.status != HandoverStatus.SUBMITTED:
        raise ValidationError({"status": _("Only a handover awaiting signatures can be sent back.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what is missing.")})
    current.status = HandoverStatus.DRAFT
    current.pm_signed_by = current.pm_signed_at = current.lead_signed_by = current.lead_signed_at = None
    current.version += 1
    current._history_user = by  # type: ignore[attr-defined]
    current.save()
    project = current.project
    event_record(verb=HANDOVER_RETURNED, actor=by, customer_id=current.customer_id, target=project,
                 payload=payload(project, reason=reason[:500]))  # fmt: skip
    notify(project.manager, f"handover:{current.pk}:returned:{current.version}",
           _("Handover of %(project)s was sent back: %(reason)s") % {"project": project.number, "reason": reason[:200]},
           project_url(project) + "handover/")  # fmt: skip
    return current


@transaction.atomic
def handover_sign(*, handover: Handover, by: Any) -> Handover:
    """Sign as the project manager or as a maintenance lead; the second signature completes it."""
    current = _locked(handover)
    if current.status != HandoverStatus.SUBMITTED:
        if current.status == HandoverStatus.SIGNED:
            raise ValidationError({"status": _("This handover is already signed.")})
        raise ValidationError({"status": _("Submit the handover with its checklist complete before signing.")})
    _require_complete(current)
    project = current.project
    now = timezone.now()
    if by.pk == project.manager_id:
        if current.pm_signed_by_id:
            raise ValidationError({"status": _("You have already signed this handover.")})
        current.pm_signed_by, current.pm_signed_at = by, now
        side = "delivery"
    elif is_maintenance_lead(by):
        if current.lead_signed_by_id:
            raise ValidationError({"status": _("The maintenance centre has already signed this handover.")})
        current.lead_signed_by, current.lead_signed_at = by, now
        side = "maintenance"
    else:
        raise ValidationError({"status": _("Only the project manager and a maintenance lead sign the handover.")})
    current.version += 1
    current._history_user = by  # type: ignore[attr-defined]
    current.save()
    event_record(verb=HANDOVER_SIGNATURE, actor=by, customer_id=current.customer_id, target=project,
                 payload=payload(project, side=side))  # fmt: skip
    if current.pm_signed_by_id and current.lead_signed_by_id:
        _complete(current, by)
    else:
        waiting = maintenance_leads() if side == "delivery" else [project.manager]
        for person in waiting:
            notify(person, f"handover:{current.pk}:countersign:{current.version}",
                   _("Handover of %(project)s is signed by %(user)s and awaits your signature.") % {"project": project, "user": by},
                   project_url(project) + "handover/")  # fmt: skip
    return current


def _complete(handover: Handover, by: Any) -> None:
    from touchpoint.delivery.services.documents import documents_archive
    from touchpoint.sales.services.contracts import installed_item_record_installation

    project = locked(handover.project)
    handover.status, handover.signed_at = HandoverStatus.SIGNED, timezone.now()
    handover.save(update_fields=["status", "signed_at", "updated_at"])
    installed = []
    for system in handover.systems.select_related("installed_item__module", "version").filter(environment=Environment.PRODUCTION):
        installed_item_record_installation(item=system.installed_item, version=system.version,
                                           installed_on=system.go_live_on, by=by)  # fmt: skip
        installed.append(f"{system.installed_item.module} {system.version.number if system.version else ''}".strip())
    move(project, ProjectStatus.CLOSED)
    project.closed_at = timezone.now()
    project.version += 1
    project._history_user = by  # type: ignore[attr-defined]
    project.save()
    documents_archive(project)
    lead = handover.lead_signed_by
    assert lead is not None
    event_record(
        verb=HANDOVER_SIGNED, actor=by, customer_id=handover.customer_id, target=project,
        payload=payload(project, handover_id=handover.pk, contract_id=project.contract_id,
                        warranty_start=handover.warranty_start.isoformat() if handover.warranty_start else "",
                        warranty_end=handover.warranty_end.isoformat() if handover.warranty_end else "",
                        installed=installed, open_defects=handover.defects.count(),
                        pm=str(handover.pm_signed_by), maintenance_lead=str(lead)),
    )  # fmt: skip
    customer = Customer.objects.get(pk=handover.customer_id)
    # The reason is stored once and read by everyone in their own language: the project number says it all
    # (the event itself reads "service relationship handed over").
    customer_service_handoff(customer=customer, to_user=lead, to_department=lead.department, by=by, reason=project.number)
    team_access_expire(project, by)
    for hook in handover_signed_hooks.values():
        hook(handover, by)
    text = _("Handover of %(project)s is signed; the maintenance centre serves %(customer)s from now on.") % {
        "project": project.number, "customer": customer.display_name}  # fmt: skip
    for person in {project.manager, lead, customer.owner} - {None}:
        notify(person, f"handover:{handover.pk}:signed", text, project_url(project) + "handover/")
