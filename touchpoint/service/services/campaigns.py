"""Upgrade campaigns (升级活动): for a new version or a regulation change, pick the affected customers
from the installed base by product and version, open one upgrade request per customer, and follow
each to done.

A campaign is a draft while its targets are chosen, launched once its requests exist, and closed at
the end. Launching twice makes no second request: a target keeps the one it has.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import Channel, EventKind
from touchpoint.core.numbering import next_number
from touchpoint.core.versioning import StaleEdit
from touchpoint.sales.models import InstalledItem, InstalledStatus, Product, ProductVersion
from touchpoint.service.models import OPEN, Category, Severity
from touchpoint.service.models.maintenance import (
    CampaignReason,
    CampaignStatus,
    CampaignTarget,
    TargetStatus,
    UpgradeCampaign,
)

CAMPAIGN_CREATED = event_type("campaign.created", kind=EventKind.SERVICE, label=gettext_lazy("Upgrade campaign created"))
CAMPAIGN_UPDATED = event_type("campaign.updated", kind=EventKind.CHANGE, label=gettext_lazy("Upgrade campaign updated"))
CAMPAIGN_LAUNCHED = event_type("campaign.launched", kind=EventKind.SERVICE, label=gettext_lazy("Upgrade campaign launched"))
CAMPAIGN_CLOSED = event_type("campaign.closed", kind=EventKind.SERVICE, label=gettext_lazy("Upgrade campaign closed"))
TARGET_UPDATED = event_type("campaign.target", kind=EventKind.SERVICE, label=gettext_lazy("Upgrade for a customer updated"))

# Which target status may follow which (done and skipped may be reopened to scheduled by hand).
TARGET_MOVES: dict[str, tuple[str, ...]] = {
    TargetStatus.PENDING: (TargetStatus.SKIPPED,),
    TargetStatus.SCHEDULED: (TargetStatus.DONE, TargetStatus.SKIPPED),
    TargetStatus.DONE: (TargetStatus.SCHEDULED,),
    TargetStatus.SKIPPED: (TargetStatus.PENDING,),
}


def _payload(campaign: UpgradeCampaign, **extra: Any) -> dict[str, Any]:
    return {"number": campaign.number, "name": campaign.name, **extra}


def _check(*, name: str, reason: str, product: Product | None, from_versions: list[ProductVersion],
           target_version: ProductVersion | None, due_on: Any) -> None:  # fmt: skip
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = _("Name the campaign.")
    if reason not in CampaignReason.values:
        errors["reason"] = _("Choose why the upgrade is needed.")
    if product is None:
        errors["product"] = _("Choose the product.")
    if target_version is None or (product is not None and target_version.product_id != product.pk):
        errors["target_version"] = _("Choose a version of this product to upgrade to.")
    if product is not None and any(v.product_id != product.pk for v in from_versions):
        errors["from_versions"] = _("Choose versions of this product only.")
    elif target_version is not None and target_version in from_versions:
        errors["from_versions"] = _("The version to upgrade to cannot be one to upgrade from.")
    if not isinstance(due_on, date):
        errors["due_on"] = _("Enter the date by which the upgrades are done.")
    if errors:
        raise ValidationError(errors)


def affected_items(*, product: Product, from_versions: list[ProductVersion], target_version: ProductVersion) -> Any:
    """Installed modules of the product at one of the versions (any version but the target when
    none is named); retired ones are left out."""
    items = InstalledItem.objects.filter(product=product).exclude(status=InstalledStatus.RETIRED)
    if from_versions:
        return items.filter(version__in=from_versions)
    return items.exclude(version=target_version)


@transaction.atomic
def campaign_create(*, by: Any, name: str, product: Product, target_version: ProductVersion, due_on: date,
                    from_versions: list[ProductVersion] | None = None, reason: str = CampaignReason.NEW_VERSION,
                    description: str = "") -> UpgradeCampaign:  # fmt: skip
    from_versions = list(from_versions or [])
    _check(name=name, reason=reason, product=product, from_versions=from_versions, target_version=target_version, due_on=due_on)
    campaign = UpgradeCampaign.objects.create(
        number=next_number("UC", year=timezone.localdate().year, width=4), name=name.strip()[:160], reason=reason,
        description=(description or "").strip()[:10_000], product=product, target_version=target_version, due_on=due_on,
        created_by=by,
    )  # fmt: skip
    campaign.from_versions.set(from_versions)
    event_record(verb=CAMPAIGN_CREATED, actor=by, target=campaign,
                 payload=_payload(campaign, product=str(product), target_version=target_version.number,
                                  from_versions=[v.number for v in from_versions]))  # fmt: skip
    campaign_select_targets(campaign=campaign, by=by)
    return campaign


def _locked(campaign: UpgradeCampaign) -> UpgradeCampaign:
    return UpgradeCampaign.objects.select_for_update(of=("self",)).select_related("product", "target_version").get(pk=campaign.pk)


@transaction.atomic
def campaign_update(*, campaign: UpgradeCampaign, by: Any, expected_version: int, **values: Any) -> UpgradeCampaign:
    """Edit a draft; the product or versions changing chooses the targets again."""
    current = _locked(campaign)
    if current.version != expected_version:
        raise StaleEdit([], current.version)
    if current.status != CampaignStatus.DRAFT:
        raise ValidationError(_("Only a draft campaign can be edited; this one is %(status)s.") % {"status": current.get_status_display()})
    from_versions = list(values.pop("from_versions", current.from_versions.all()))
    for field in ("name", "reason", "description", "product", "target_version", "due_on"):
        if field in values:
            setattr(current, field, values[field])
    _check(name=current.name, reason=current.reason, product=current.product, from_versions=from_versions,
           target_version=current.target_version, due_on=current.due_on)  # fmt: skip
    current.name, current.description = current.name.strip()[:160], (current.description or "").strip()[:10_000]
    current.version += 1
    current.save()
    current.from_versions.set(from_versions)
    event_record(verb=CAMPAIGN_UPDATED, actor=by, target=current, payload=_payload(current))
    campaign_select_targets(campaign=current, by=by)
    campaign.refresh_from_db()
    return current


@transaction.atomic
def campaign_select_targets(*, campaign: UpgradeCampaign, by: Any) -> list[CampaignTarget]:
    """Choose the affected customers again from the installed base: one target per customer, with
    the modules it runs at an affected version. Only while the campaign is a draft."""
    current = _locked(campaign)
    if current.status != CampaignStatus.DRAFT:
        raise ValidationError(_("The customers are chosen before the launch; this campaign is %(status)s.")
                              % {"status": current.get_status_display()})  # fmt: skip
    items = affected_items(product=current.product, from_versions=list(current.from_versions.all()),
                           target_version=current.target_version)  # fmt: skip
    by_customer: dict[int, list[int]] = {}
    for item_id, customer_id in items.order_by("customer_id", "pk").values_list("pk", "customer_id"):
        by_customer.setdefault(customer_id, []).append(item_id)
    current.targets.exclude(customer_id__in=list(by_customer)).delete()
    existing = {t.customer_id: t for t in current.targets.all()}
    targets = []
    for customer_id, item_ids in by_customer.items():
        target = existing.get(customer_id) or CampaignTarget.objects.create(campaign=current, customer_id=customer_id)
        target.items.set(item_ids)
        targets.append(target)
    return targets


def _request_for(campaign: UpgradeCampaign, target: CampaignTarget, by: Any, now: Any) -> Any:
    from touchpoint.service.services.requests import request_create

    items = list(target.items.select_related("module", "version").order_by("pk"))
    modules = "、".join(f"{item.module} {item.version.number if item.version else ''}".strip() for item in items)
    description = "\n\n".join(part for part in [
        _("Upgrade campaign %(number)s: %(name)s.") % {"number": campaign.number, "name": campaign.name},
        _("Reason: %(reason)s. Upgrade to %(target)s by %(due)s.") % {
            "reason": campaign.get_reason_display(), "target": campaign.target_version.number, "due": campaign.due_on.isoformat()},
        _("Modules: %(modules)s") % {"modules": modules}, campaign.description,
    ] if part)  # fmt: skip
    return request_create(
        by=by, customer=target.customer, channel=Channel.OTHER, category=Category.UPGRADE, severity=Severity.P3,
        impact="few", installed_item=items[0] if items else None, log_touchpoint=False, now=now, description=description,
        subject=_("Upgrade %(product)s to %(version)s (%(number)s)") % {
            "product": campaign.product, "version": campaign.target_version.number, "number": campaign.number},
    )  # fmt: skip


@transaction.atomic
def campaign_launch(*, campaign: UpgradeCampaign, by: Any, now: Any = None) -> int:
    """Open one upgrade request per pending target; return how many were opened. Launching again
    opens only those still missing."""
    now = now or timezone.now()
    current = _locked(campaign)
    if current.status == CampaignStatus.CLOSED:
        raise ValidationError(_("This campaign is closed."))
    pending = list(current.targets.filter(status=TargetStatus.PENDING, request=None).select_related("customer").order_by("pk"))
    if current.status == CampaignStatus.DRAFT and not current.targets.exists():
        raise ValidationError(_("No customer runs %(product)s at the chosen versions: there is nobody to upgrade.")
                              % {"product": current.product})  # fmt: skip
    for target in pending:
        target.request = _request_for(current, target, by, now)
        target.status = TargetStatus.SCHEDULED
        target.save(update_fields=["request", "status", "updated_at"])
    first_launch = current.status == CampaignStatus.DRAFT
    if first_launch:
        current.status, current.launched_at = CampaignStatus.LAUNCHED, now
        current.version += 1
        current.save()
    if first_launch or pending:
        event_record(verb=CAMPAIGN_LAUNCHED, actor=by, target=current, payload=_payload(current, requests=len(pending)))
    campaign.refresh_from_db()
    return len(pending)


@transaction.atomic
def campaign_close(*, campaign: UpgradeCampaign, by: Any, now: Any = None) -> UpgradeCampaign:
    current = _locked(campaign)
    if current.status != CampaignStatus.LAUNCHED:
        raise ValidationError(
            _("Only a launched campaign can be closed; this one is %(status)s.") % {"status": current.get_status_display()}
        )
    current.status, current.closed_at = CampaignStatus.CLOSED, now or timezone.now()
    current.version += 1
    current.save()
    progress = campaign_progress(current).counts
    event_record(verb=CAMPAIGN_CLOSED, actor=by, target=current, payload=_payload(current, progress=progress))
    campaign.refresh_from_db()
    return current


@transaction.atomic
def campaign_target_update(*, target: CampaignTarget, by: Any, status: str, reason: str = "") -> CampaignTarget:
    current = CampaignTarget.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=target.pk)
    reason = (reason or "").strip()
    if current.campaign.status == CampaignStatus.CLOSED:
        raise ValidationError(_("This campaign is closed."))
    if status not in TargetStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status == TargetStatus.PENDING and current.request_id is not None:
        status = TargetStatus.SCHEDULED  # a target with its request is scheduled again, not pending
    if status != current.status and status not in TARGET_MOVES[current.status]:
        raise ValidationError({"status": _("An upgrade that is %(before)s cannot become %(after)s.")
                               % {"before": current.get_status_display(), "after": TargetStatus(status).label}})  # fmt: skip
    if status == TargetStatus.SKIPPED and not reason:
        raise ValidationError({"reason": _("Say why this customer is skipped.")})
    before = current.status
    current.status = status
    current.skip_reason = reason[:500] if status == TargetStatus.SKIPPED else ""
    current.save(update_fields=["status", "skip_reason", "updated_at"])
    event_record(verb=TARGET_UPDATED, actor=by, customer_id=current.customer_id, target=current.campaign,
                 payload=_payload(current.campaign, before=before, after=status, reason=reason))  # fmt: skip
    target.refresh_from_db()
    return current


def campaigns_mark_done(*, by: Any = None) -> int:
    """Scheduled targets whose request is resolved or closed are done. Safe to run twice."""
    done = 0
    finished = CampaignTarget.objects.filter(status=TargetStatus.SCHEDULED, campaign__status=CampaignStatus.LAUNCHED)
    for target in finished.exclude(request=None).exclude(request__status__in=OPEN).order_by("pk"):
        campaign_target_update(target=target, by=by, status=TargetStatus.DONE)
        done += 1
    return done


# Bootstrap's success, primary, secondary and warning colours, as SVG fills (the CSP allows no inline style).
BAR_COLOURS: dict[str, str] = {TargetStatus.PENDING: "#ffc107", TargetStatus.SCHEDULED: "#0d6efd", TargetStatus.DONE: "#198754",
               TargetStatus.SKIPPED: "#6c757d"}  # fmt: skip


@dataclass(frozen=True)
class Progress:
    counts: dict[str, int]
    total: int
    requests_open: int

    @property
    def finished(self) -> int:
        return self.counts.get(TargetStatus.DONE, 0) + self.counts.get(TargetStatus.SKIPPED, 0)

    @property
    def percent_done(self) -> int:
        return round(100 * self.finished / self.total) if self.total else 0

    def bars(self) -> list[dict[str, Any]]:
        """Each status with its count, its share and where its segment starts, for the progress bar."""
        bars, offset = [], 0.0
        for value, label in TargetStatus.choices:
            count = self.counts.get(value, 0)
            percent = round(100 * count / self.total, 1) if self.total else 0
            bars.append({"status": value, "label": label, "count": count, "percent": percent, "offset": offset,
                         "colour": BAR_COLOURS[value]})  # fmt: skip
            offset = round(offset + percent, 1)
        return bars


def campaign_progress(campaign: UpgradeCampaign) -> Progress:
    """Targets by status, and how many of their requests are still open. Two queries."""
    rows = dict(campaign.targets.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    counts = {value: int(rows.get(value, 0)) for value in TargetStatus.values}
    still_open = campaign.targets.filter(request__status__in=OPEN).count()
    return Progress(counts=counts, total=sum(counts.values()), requests_open=still_open)
