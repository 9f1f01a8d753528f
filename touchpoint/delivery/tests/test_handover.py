"""The handover to maintenance: prefilled, completed against its checklist, signed by both sides."""

from datetime import date, timedelta

import pytest

from touchpoint.core.models import Event, EventKind, Notification
from touchpoint.customers.access import can_view_customer
from touchpoint.customers.models import AccountMember, Customer
from touchpoint.delivery.models import (
    DocumentKind,
    DocumentVersion,
    HandoverContact,
    HandoverStatus,
    HandoverSystem,
    ProjectDocument,
    ProjectStatus,
)
from touchpoint.delivery.services import handover as ho
from touchpoint.delivery.services.documents import document_upload
from touchpoint.delivery.services.projects import contact_add
from touchpoint.delivery.tests.builders import (
    another_project,
    at_handover,
    days_from_today,
    fill_in,
    fresh,
    pdf,
    refused,
    signed,
    submitted,
)
from touchpoint.org.models import Department
from touchpoint.sales.models import InstalledItem, ProductVersion

pytestmark = pytest.mark.django_db

CHECKLIST = ["installed_base", "customisations", "interfaces", "defects", "training", "contacts", "warranty", "risks"]


def missing(handover):
    return [item.code for item in ho.checklist(fresh(handover)) if not item.done]


# --- Opening --------------------------------------------------------------------------------------------


def test_accepting_go_live_opens_a_handover_prefilled_from_the_installed_base_and_the_project(personas, contract, staffed):
    go_live = days_from_today(-10)
    contact_add(project=staffed, contact=personas.contact_a, role="operations", by=personas.project_manager)

    handover = at_handover(staffed, personas, go_live_on=go_live)

    assert fresh(staffed).status == ProjectStatus.HANDOVER
    assert handover.status == HandoverStatus.DRAFT and handover.customer_id == staffed.customer_id
    items = list(InstalledItem.objects.filter(contract=contract).order_by("id"))
    assert len(items) == 2
    assert [(s.installed_item, s.version, s.site, s.environment, s.go_live_on) for s in handover.systems.order_by("id")] == [
        (item, item.version, "南京", "production", go_live) for item in items
    ]  # fmt: skip
    assert items[0].version.number == "5.2"
    # The IT and operations contacts come over; the sponsor does not.
    assert set(handover.key_contacts.values_list("contact", "role")) == {
        (personas.contact_a.pk, "it"), (personas.contact_a.pk, "operations"),
    }  # fmt: skip
    assert (handover.warranty_start, handover.warranty_end) == (go_live, go_live + timedelta(days=364))
    assert Event.objects.filter(verb="handover.opened", target_id=staffed.pk).count() == 1


def test_opening_the_handover_again_returns_the_same_one(personas, staffed):
    handover = at_handover(staffed, personas)

    again = ho.handover_open(project=staffed, by=personas.project_manager)

    assert again.pk == handover.pk
    assert HandoverSystem.objects.filter(handover=handover).count() == 2
    assert Event.objects.filter(verb="handover.opened").count() == 1


# --- The checklist --------------------------------------------------------------------------------------


def test_a_new_handover_misses_what_only_people_can_say(personas, staffed):
    handover = at_handover(staffed, personas)

    assert missing(handover) == ["customisations", "interfaces", "defects", "training", "contacts", "risks"]


def test_a_filled_in_handover_completes_every_item(personas, staffed):
    handover = fill_in(at_handover(staffed, personas), personas)

    assert [item.code for item in ho.checklist(handover)] == CHECKLIST
    assert missing(handover) == []


def undo(code, handover, personas):
    """Take away exactly what one checklist item needs."""
    pm = personas.project_manager
    if code == "installed_base":
        ho.system_update(system=handover.systems.first(), by=pm, go_live_on=None)
    elif code in ("customisations", "interfaces", "risks"):
        field = {"risks": "known_risks"}.get(code, code)
        ho.handover_update(handover=handover, by=pm, expected_version=fresh(handover).version, **{field: "  "})
    elif code == "defects":
        ho.handover_update(handover=handover, by=pm, expected_version=fresh(handover).version, no_open_defects=False)
    elif code == "training":
        ho.item_remove(item=handover.trainings.get(), by=pm)
    elif code == "contacts":
        ho.item_remove(item=handover.key_contacts.get(role="it"), by=pm)
    elif code == "warranty":
        ho.handover_update(handover=handover, by=pm, expected_version=fresh(handover).version,
                           warranty_end=fresh(handover).warranty_start)  # fmt: skip


@pytest.mark.parametrize("code", CHECKLIST)
def test_each_checklist_item_holds_back_the_submission_on_its_own(personas, staffed, code):
    handover = fill_in(at_handover(staffed, personas), personas)
    undo(code, handover, personas)
    handover = fresh(handover)
    assert missing(handover) == [code]
    label = str(next(item.label for item in ho.checklist(handover) if item.code == code))

    with refused("checklist", handover) as caught:
        ho.handover_submit(handover=handover, by=personas.project_manager)

    [message] = caught.value.message_dict["checklist"]
    assert label in message


def test_a_handover_without_any_installed_module_is_incomplete(personas, staffed):
    handover = fill_in(at_handover(staffed, personas), personas)
    for system in handover.systems.all():
        ho.item_remove(item=system, by=personas.project_manager)

    assert missing(handover) == ["installed_base"]


def test_listing_an_open_defect_completes_the_defects_item_and_clears_the_no_defects_tick(personas, staffed):
    handover = fill_in(at_handover(staffed, personas), personas)
    assert handover.no_open_defects

    ho.defect_add(handover=handover, by=personas.project_manager, title="部分营业部行情延迟", severity="P3")

    handover = fresh(handover)
    assert not handover.no_open_defects and missing(handover) == []
    with refused("no_open_defects", handover):
        ho.handover_update(handover=handover, by=personas.project_manager, expected_version=handover.version,
                           no_open_defects=True)  # fmt: skip


def test_submitting_an_incomplete_handover_names_every_missing_item_and_changes_nothing(personas, staffed):
    handover = at_handover(staffed, personas)
    notifications = Notification.objects.count()

    with refused("checklist", handover) as caught:
        ho.handover_submit(handover=handover, by=personas.project_manager)

    messages = caught.value.message_dict["checklist"]
    assert len(messages) == 6
    for item in ho.checklist(handover):
        if not item.done:
            assert any(str(item.label) in message for message in messages), item.code
    assert Notification.objects.count() == notifications


def test_a_training_record_is_for_training_that_took_place(personas, staffed):
    handover = at_handover(staffed, personas)
    with refused("trained_on"):
        ho.training_add(handover=handover, by=personas.project_manager, topic="交易员培训", trainees="营业部",
                        trained_on=days_from_today(1))  # fmt: skip


def test_a_key_contact_and_a_module_must_be_this_customers(personas, catalogue, staffed):
    handover = at_handover(staffed, personas)
    other = another_project(personas, [catalogue["trade-risk"]], customer=personas.customer_b, owner=personas.other_rep)
    foreign_item = InstalledItem.objects.get(contract=other.contract)

    with refused("contact"):
        ho.key_contact_add(handover=handover, by=personas.project_manager, contact=personas.contact_b, role="it")
    with refused("installed_item"):
        ho.system_add(handover=handover, by=personas.project_manager, installed_item=foreign_item, site="北京", environment="production")


# --- Submitting and signing -----------------------------------------------------------------------------


def test_submitting_a_complete_handover_asks_the_maintenance_leads_to_sign(personas, staffed):
    handover = submitted(staffed, personas)

    assert handover.status == HandoverStatus.SUBMITTED and handover.submitted_at is not None
    assert Event.objects.filter(verb="handover.submitted").count() == 1
    assert Notification.objects.filter(recipient=personas.maintenance_lead, url__endswith="handover/").exists()
    with refused(None, handover):
        ho.handover_update(handover=handover, by=personas.project_manager, expected_version=handover.version, known_risks="改")


def test_a_draft_cannot_be_signed(personas, staffed):
    handover = fill_in(at_handover(staffed, personas), personas)

    with refused("status", handover):
        ho.handover_sign(handover=handover, by=personas.project_manager)


@pytest.mark.parametrize("who", ["engineer", "maintenance_agent", "sales_rep", "sales_manager", "admin"])
def test_only_the_project_manager_and_a_maintenance_lead_sign(personas, staffed, who):
    handover = submitted(staffed, personas)

    with refused("status", handover, staffed):
        ho.handover_sign(handover=handover, by=getattr(personas, who))


def test_the_project_manager_signs_only_once(personas, staffed):
    handover = submitted(staffed, personas)
    handover = ho.handover_sign(handover=handover, by=personas.project_manager)
    assert handover.pm_signed_by == personas.project_manager and handover.status == HandoverStatus.SUBMITTED

    with refused("status", handover, staffed):
        ho.handover_sign(handover=handover, by=personas.project_manager)


def test_the_first_signature_asks_the_other_side_to_countersign(personas, staffed):
    handover = submitted(staffed, personas)

    ho.handover_sign(handover=handover, by=personas.maintenance_lead)

    handover = fresh(handover)
    assert handover.lead_signed_by == personas.maintenance_lead and handover.pm_signed_by is None
    assert handover.status == HandoverStatus.SUBMITTED and fresh(staffed).status == ProjectStatus.HANDOVER
    assert Notification.objects.filter(recipient=personas.project_manager, key__contains="countersign").exists()
    assert Event.objects.get(verb="handover.signature").payload["side"] == "maintenance"


def test_sending_a_handover_back_clears_its_signatures(personas, staffed):
    handover = submitted(staffed, personas)
    ho.handover_sign(handover=handover, by=personas.project_manager)

    with refused("reason", handover):
        ho.handover_return(handover=handover, by=personas.maintenance_lead, reason=" ")
    ho.handover_return(handover=handover, by=personas.maintenance_lead, reason="缺少灾备环境的安装记录")

    handover = fresh(handover)
    assert handover.status == HandoverStatus.DRAFT
    assert (handover.pm_signed_by, handover.pm_signed_at, handover.lead_signed_by, handover.lead_signed_at) == (None,) * 4
    assert Event.objects.get(verb="handover.returned").payload["reason"] == "缺少灾备环境的安装记录"
    assert Notification.objects.filter(recipient=personas.project_manager, key__contains="returned").exists()
    with refused("status", handover):
        ho.handover_return(handover=handover, by=personas.maintenance_lead, reason="再退一次")


def test_signed_by_both_the_project_closes_and_the_maintenance_centre_takes_over(personas, contract, staffed):
    pm, lead = personas.project_manager, personas.maintenance_lead
    design = document_upload(project=staffed, by=pm, upload=pdf("设计说明书.pdf"), kind=DocumentKind.DESIGN).document
    go_live = days_from_today(-10)
    handover = fill_in(at_handover(staffed, personas, go_live_on=go_live), personas)
    newer = ProductVersion.objects.create(product=handover.systems.first().installed_item.product, number="5.3",
                                          released_on=date(2026, 6, 1))  # fmt: skip
    for system in handover.systems.all():
        ho.system_update(system=system, by=pm, version=newer)
    handover = ho.handover_submit(handover=handover, by=pm)

    ho.handover_sign(handover=handover, by=pm)
    ho.handover_sign(handover=handover, by=lead)

    handover, project = fresh(handover), fresh(staffed)
    assert handover.status == HandoverStatus.SIGNED and handover.signed_at is not None
    assert project.status == ProjectStatus.CLOSED and project.closed_at is not None
    for item in InstalledItem.objects.filter(contract=contract):
        assert (item.status, item.version, item.installed_on) == ("installed", newer, go_live)
    assert fresh(design).archived_at is not None
    with refused(None, design):
        document_upload(project=project, by=pm, upload=pdf("设计说明书v2.pdf"), document=design)
    assert DocumentVersion.objects.filter(document=design).count() == 1

    event = Event.objects.get(verb="handover.signed")
    assert event.customer_id == project.customer_id and event.target_id == project.pk and event.actor == lead
    assert event.payload == {
        "number": project.number, "name": project.name, "handover_id": handover.pk, "contract_id": contract.pk,
        "warranty_start": go_live.isoformat(), "warranty_end": (go_live + timedelta(days=364)).isoformat(),
        "installed": ["集中交易核心 5.3", "融资融券 5.3"], "open_defects": 0, "pm": str(pm), "maintenance_lead": str(lead),
    }  # fmt: skip

    maintenance = Department.objects.get(code="maintenance")
    customer = Customer.objects.get(pk=project.customer_id)
    assert customer.service_owner == lead and customer.service_department == maintenance
    handoff = Event.objects.filter(verb="customer.service_handoff").latest("id")
    assert handoff.kind == EventKind.HANDOFF and handoff.department_id == maintenance.pk
    assert (handoff.payload["from_id"], handoff.payload["to_id"]) == (pm.pk, lead.pk)
    assert handoff.payload["to_department"] == str(maintenance)

    assert not AccountMember.objects.filter(expires_with=f"project:{project.pk}").exists()
    assert not can_view_customer(personas.engineer, customer)
    for person in (pm, lead, personas.sales_rep):
        assert Notification.objects.filter(recipient=person, key=f"handover:{handover.pk}:signed").exists()


def test_the_maintenance_lead_may_sign_first(personas, staffed):
    handover = submitted(staffed, personas)

    ho.handover_sign(handover=handover, by=personas.maintenance_lead)
    ho.handover_sign(handover=handover, by=personas.project_manager)

    assert fresh(handover).status == HandoverStatus.SIGNED
    assert fresh(staffed).status == ProjectStatus.CLOSED
    assert Event.objects.get(verb="handover.signed").actor == personas.project_manager


def test_only_production_systems_are_recorded_as_installed(personas, contract, staffed):
    handover = fill_in(at_handover(staffed, personas), personas)
    for system in handover.systems.all():
        ho.system_update(system=system, by=personas.project_manager, environment="test")
    first = handover.systems.order_by("id").first()
    ho.system_update(system=first, by=personas.project_manager, environment="production")
    ho.handover_submit(handover=handover, by=personas.project_manager)
    ho.handover_sign(handover=handover, by=personas.project_manager)
    ho.handover_sign(handover=handover, by=personas.maintenance_lead)

    statuses = dict(InstalledItem.objects.filter(contract=contract).values_list("pk", "status"))
    assert statuses == {first.installed_item_id: "installed", **{pk: "purchased" for pk in statuses if pk != first.installed_item_id}}


def test_a_signed_handover_is_final(personas, staffed):
    handover = signed(staffed, personas)
    events = Event.objects.count()

    with refused("status", handover):
        ho.handover_sign(handover=handover, by=personas.maintenance_lead)
    with refused(None, handover):
        ho.handover_update(handover=handover, by=personas.project_manager, expected_version=handover.version, known_risks="补充")
    with refused(None):
        ho.key_contact_add(handover=handover, by=personas.project_manager, contact=personas.contact_a, role="it")

    assert Event.objects.count() == events
    assert HandoverContact.objects.filter(handover=handover).count() == 2
    assert ProjectDocument.objects.filter(project=staffed, archived_at__isnull=True).count() == 0
    assert fresh(staffed).status == ProjectStatus.CLOSED
