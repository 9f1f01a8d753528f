"""The handover API: reading it by its project, filling it in, submitting, signing by the project
manager and a maintenance lead, sending it back; who may do what, hostile input that changes
nothing, languages and query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from touchpoint.core.models import Event
from touchpoint.delivery.models import (
    Handover,
    HandoverContact,
    HandoverDefect,
    HandoverSystem,
    HandoverTraining,
    Project,
)
from touchpoint.delivery.services import handover as ho
from touchpoint.delivery.services.plan import milestone_accept
from touchpoint.org import policy
from touchpoint.org.models import PolicyRule, Scope
from touchpoint.sales.models import InstalledItem, ProductVersion
from touchpoint.sales.services.opportunities import opportunity_create

pytestmark = pytest.mark.django_db

HANDOVERS = "/api/v1/handovers/"


def today():
    return timezone.localdate()


def url(handover, action=""):
    return f"{HANDOVERS}{handover.project_id}/{action + '/' if action else ''}"


def snapshot():
    """What a refused write must leave alone: the handover and its rows, the projects and the events."""
    return (
        list(Handover.objects.order_by("pk").values()),
        list(HandoverSystem.objects.order_by("pk").values()),
        list(HandoverDefect.objects.order_by("pk").values()),
        list(HandoverTraining.objects.order_by("pk").values()),
        list(HandoverContact.objects.order_by("pk").values()),
        list(Project.objects.order_by("pk").values("pk", "status", "version")),
        Event.objects.count(),
    )


@pytest.fixture
def handover(staffed, personas) -> Handover:
    """Go-live accepted: the project is handing over and its handover is a draft, prefilled."""
    milestone_accept(milestone=staffed.milestones.get(delivery_event="go_live"), by=personas.project_manager)
    return Handover.objects.get(project=staffed)


def complete(handover, personas):
    """Everything the checklist asks for, filled in through the services."""
    pm = personas.project_manager
    handover = ho.handover_update(handover=handover, by=pm, expected_version=handover.version, customisations="无",
                                  interfaces="上交所、深交所、中登", known_risks="无", no_open_defects=True)  # fmt: skip
    for system in handover.systems.select_related("installed_item"):
        ho.system_update(system=system, by=pm, go_live_on=today(), version=system.installed_item.product.versions.first())
    ho.training_add(handover=handover, by=pm, topic="管理员培训", trainees="张伟", trained_on=today() - timedelta(days=1))
    ho.key_contact_add(handover=handover, by=pm, contact=personas.contact_a, role="it")
    ho.key_contact_add(handover=handover, by=pm, contact=personas.contact_a, role="operations")
    return Handover.objects.get(pk=handover.pk)


@pytest.fixture
def submitted(handover, personas) -> Handover:
    return ho.handover_submit(handover=complete(handover, personas), by=personas.project_manager)


# --- Reading ---------------------------------------------------------------------------------------


def test_the_handover_is_read_by_its_projects_id_with_its_checklist(api_as, personas, handover):
    response = api_as(personas.project_manager).get(url(handover))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == handover.pk and body["project"] == handover.project_id and body["status"] == "draft"
    assert {s["module_name"] for s in body["systems"]} == {"trade-core", "trade-margin"}
    assert all(s["site"] == "南京" and s["environment"] == "production" for s in body["systems"])
    assert [item["code"] for item in body["checklist"]] == ["installed_base", "customisations", "interfaces", "defects", "training",
                                                          "contacts", "warranty", "risks"]  # fmt: skip
    # The installed base came with its versions, and the go-live date from the accepted milestone.
    assert {item["code"] for item in body["checklist"] if item["done"]} == {"installed_base", "warranty"}
    assert body["warranty_start"] == today().isoformat()


@pytest.mark.parametrize(("name", "visible"), [("project_manager", True), ("engineer", True), ("maintenance_lead", True),
                                               ("maintenance_agent", True), ("sales_rep", True), ("finance", True),
                                               ("other_rep", False), ("outsider", False)])  # fmt: skip
def test_who_sees_the_handover(api_as, personas, handover, name, visible):
    client = api_as(getattr(personas, name))
    assert client.get(url(handover)).status_code == (200 if visible else 404)
    assert client.get(HANDOVERS).json()["count"] == (1 if visible else 0)


def test_the_list_filters_handovers_and_leaves_the_checklist_out(api_as, personas, submitted):
    client = api_as(personas.maintenance_lead)
    [row] = client.get(HANDOVERS, {"status": "submitted"}).json()["results"]
    assert row["project"] == submitted.project_id and row["checklist"] is None and len(row["systems"]) == 2
    assert client.get(HANDOVERS, {"status": "draft"}).json()["count"] == 0
    assert client.get(HANDOVERS, {"customer": submitted.customer_id}).json()["count"] == 1
    assert client.get(HANDOVERS, {"status": "lost"}).status_code == 400


@pytest.mark.parametrize("project_id", ["abc", "0", "99999999999999999999999"])
def test_a_malformed_or_unknown_project_id_is_a_json_404(api_as, personas, handover, project_id):
    response = api_as(personas.project_manager).get(f"{HANDOVERS}{project_id}/")
    assert response.status_code == 404 and "detail" in response.json()


def test_a_project_not_yet_handing_over_has_no_handover(api_as, personas, staffed):
    assert api_as(personas.project_manager).get(f"{HANDOVERS}{staffed.pk}/").status_code == 404


# --- Filling it in ----------------------------------------------------------------------------------


def test_the_manager_fills_in_the_handover_with_the_version_read(api_as, personas, handover):
    payload = {"customisations": "行情源切换为 Level-2", "interfaces": "上交所 FAST、深交所 Binary", "known_risks": "无",
               "warranty_end": (today() + timedelta(days=730)).isoformat(), "version": handover.version}  # fmt: skip
    response = api_as(personas.project_manager).patch(url(handover), payload, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["version"] == handover.version + 1 and body["interfaces"] == "上交所 FAST、深交所 Binary"
    done = {item["code"]: item["done"] for item in body["checklist"]}
    assert done["customisations"] and done["interfaces"] and done["risks"] and not done["training"]


def test_a_stale_handover_edit_is_a_409(api_as, personas, handover):
    ho.handover_update(handover=handover, by=personas.admin, expected_version=handover.version, known_risks="行情延迟")
    before = snapshot()
    response = api_as(personas.project_manager).patch(url(handover), {"known_risks": "无", "version": handover.version}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_version" and body["current_version"] == handover.version + 1
    assert body["revisions"][-1]["changes"][0]["field"] == "known_risks"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [({"warranty_end": "2000-01-01"}, "warranty_end"), ({"warranty_start": "soon"}, "warranty_start"),
     ({"customisations": "c" * 20001}, "customisations"), ({"version": 0}, "version"), ({"no_open_defects": "perhaps"}, "no_open_defects")],
)  # fmt: skip
def test_bad_handover_edits_are_a_field_level_400(api_as, personas, handover, change, field):
    before = snapshot()
    response = api_as(personas.project_manager).patch(url(handover), {"version": handover.version, **change}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert snapshot() == before


def test_listed_defects_and_no_open_defects_contradict(api_as, personas, handover):
    ho.defect_add(handover=handover, by=personas.project_manager, title="盘后对账偶发超时", severity="P3")
    handover.refresh_from_db()
    before = snapshot()
    response = api_as(personas.project_manager).patch(url(handover), {"no_open_defects": True, "version": handover.version}, format="json")
    assert response.status_code == 400 and "no_open_defects" in response.json()
    assert snapshot() == before


def test_the_manager_lists_and_updates_installed_systems(api_as, personas, handover):
    client = api_as(personas.project_manager)
    item = InstalledItem.objects.filter(contract_id=handover.project.contract_id).first()
    version = ProductVersion.objects.get(number="5.2")
    payload = {"installed_item": item.pk, "site": "上海灾备中心", "environment": "dr", "version": version.pk,
               "go_live_on": today().isoformat()}  # fmt: skip
    response = client.post(url(handover, "systems"), payload, format="json")
    assert response.status_code == 200, response.json()
    added = next(s for s in response.json()["systems"] if s["environment"] == "dr")
    assert added["version_number"] == "5.2" and added["site"] == "上海灾备中心"
    duplicate = client.post(url(handover, "systems"), payload, format="json")
    assert duplicate.status_code == 400 and "site" in duplicate.json()
    prefilled = next(s for s in response.json()["systems"] if s["environment"] == "production")
    changed = client.patch(url(handover, f"systems/{prefilled['id']}"), {"version": version.pk, "go_live_on": today().isoformat()},
                           format="json")  # fmt: skip
    assert changed.status_code == 200, changed.json()
    assert next(s for s in changed.json()["systems"] if s["id"] == prefilled["id"])["version"] == version.pk
    removed = client.delete(url(handover, f"systems/{added['id']}"))
    assert removed.status_code == 200 and added["id"] not in {s["id"] for s in removed.json()["systems"]}


@pytest.mark.parametrize(
    ("change", "field"),
    [({"site": ""}, "site"), ({"environment": "cloud"}, "environment"), ({"installed_item": 999999}, "installed_item"),
     ({"version": 999999}, "version"), ({"go_live_on": "someday"}, "go_live_on")],
)  # fmt: skip
def test_bad_systems_are_a_field_level_400(api_as, personas, handover, change, field):
    item = InstalledItem.objects.filter(contract_id=handover.project.contract_id).first()
    before = snapshot()
    payload = {"installed_item": item.pk, "site": "上海", "environment": "test", **change}
    response = api_as(personas.project_manager).post(url(handover, "systems"), payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert snapshot() == before


def test_a_module_of_another_customer_is_not_in_this_installed_base(api_as, personas, handover, catalogue):
    from touchpoint.finance.tests.conftest import active_contract

    opportunity = opportunity_create(by=personas.other_rep, customer=personas.customer_b, title="风控系统",
                                     owner=personas.other_rep, close_date=today() + timedelta(days=90), amount=300000)  # fmt: skip
    contract = active_contract(personas, opportunity, [catalogue["trade-risk"]], rep=personas.other_rep)
    foreign = InstalledItem.objects.get(contract=contract)
    before = snapshot()
    payload = {"installed_item": foreign.pk, "site": "北京", "environment": "production"}
    response = api_as(personas.admin).post(url(handover, "systems"), payload, format="json")
    assert response.status_code == 400 and "installed_item" in response.json()
    assert snapshot() == before


def test_the_manager_lists_defects_trainings_and_key_contacts(api_as, personas, handover):
    client = api_as(personas.project_manager)
    defect = client.post(url(handover, "defects"), {"title": "盘后对账偶发超时", "severity": "P2"}, format="json")
    assert defect.status_code == 200 and defect.json()["defects"][0]["severity"] == "P2"
    given = {"topic": "营业部用户培训", "trainees": "营业部柜员 20 人", "trained_on": today().isoformat(), "trainer": "周工程师"}
    training = client.post(url(handover, "trainings"), given, format="json")
    assert training.status_code == 200 and training.json()["trainings"][0]["topic"] == "营业部用户培训"
    contact = client.post(url(handover, "key-contacts"), {"contact": personas.contact_a.pk, "role": "it"}, format="json")
    assert contact.status_code == 200 and contact.json()["key_contacts"][0]["contact_name"] == "张伟"
    body = contact.json()
    for kind, rows in (("defects", "defects"), ("trainings", "trainings"), ("key-contacts", "key_contacts")):
        response = client.delete(url(handover, f"{kind}/{body[rows][0]['id']}"))
        assert response.status_code == 200 and response.json()[rows] == []


@pytest.mark.parametrize(
    ("kind", "payload", "field"),
    [("defects", {"title": ""}, "title"), ("defects", {"title": "x", "severity": "P9"}, "severity"),
     ("trainings", {"topic": "培训", "trainees": "张伟", "trained_on": "2999-01-01"}, "trained_on"),
     ("trainings", {"topic": "培训", "trained_on": "2026-01-01"}, "trainees"),
     ("key-contacts", {"contact": 999999, "role": "it"}, "contact"), ("key-contacts", {"role": "it"}, "contact"),
     ("key-contacts", {"contact": 1, "role": "ceo"}, "role")],
)  # fmt: skip
def test_bad_rows_are_a_field_level_400(api_as, personas, handover, kind, payload, field):
    before = snapshot()
    response = api_as(personas.project_manager).post(url(handover, kind), payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert snapshot() == before


def test_a_key_contact_of_another_customer_is_refused(api_as, personas, handover):
    before = snapshot()
    response = api_as(personas.project_manager).post(url(handover, "key-contacts"), {"contact": personas.contact_b.pk, "role": "it"},
                                                     format="json")  # fmt: skip
    assert response.status_code == 400 and "contact" in response.json()
    assert snapshot() == before


def test_a_row_of_another_handover_or_a_malformed_id_is_not_found(api_as, personas, handover):
    client = api_as(personas.project_manager)
    for path in ("systems/999999", "defects/abc", "trainings/0", "key-contacts/99999999999999999999999"):
        assert client.delete(url(handover, path)).status_code == 404, path


@pytest.mark.parametrize(("name", "code"), [("engineer", 403), ("maintenance_lead", 403), ("sales_rep", 403), ("other_rep", 404)])
def test_who_may_not_edit_the_project_cannot_fill_in_the_handover(api_as, personas, handover, name, code):
    client = api_as(getattr(personas, name))
    before = snapshot()
    assert client.patch(url(handover), {"known_risks": "x", "version": handover.version}, format="json").status_code == code
    assert client.post(url(handover, "defects"), {"title": "x"}, format="json").status_code == code
    assert client.post(url(handover, "submit"), format="json").status_code == code
    system = handover.systems.first()
    assert client.delete(url(handover, f"systems/{system.pk}")).status_code == code
    assert snapshot() == before


def test_errors_come_in_the_readers_language(api_as, personas, handover):
    client = api_as(personas.project_manager, "zh-hans")
    response = client.patch(url(handover), {"known_risks": "无"}, format="json")
    assert response.status_code == 400 and response.json() == {"version": ["请提交您正在编辑的记录的版本号。"]}
    response = client.post(url(handover, "trainings"), {"topic": "培训", "trainees": "张伟"}, format="json")
    assert response.json() == {"trained_on": ["该字段是必填项。"]}


# --- Submitting ---------------------------------------------------------------------------------------


def test_an_incomplete_handover_is_not_submitted(api_as, personas, handover):
    before = snapshot()
    response = api_as(personas.project_manager).post(url(handover, "submit"), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["checklist"] and len(response.json()["checklist"]) == 6
    assert snapshot() == before


def test_a_complete_handover_is_submitted_for_signatures(api_as, personas, handover):
    complete(handover, personas)
    response = api_as(personas.project_manager).post(url(handover, "submit"), format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "submitted" and response.json()["submitted_at"]
    assert all(item["done"] for item in response.json()["checklist"])


def test_a_submitted_handover_is_changed_only_after_it_is_sent_back(api_as, personas, submitted):
    before = snapshot()
    client = api_as(personas.project_manager)
    response = client.patch(url(submitted), {"known_risks": "x", "version": submitted.version}, format="json")
    assert response.status_code == 400 and "send it back" in response.json()["non_field_errors"][0]
    assert client.post(url(submitted, "defects"), {"title": "x"}, format="json").status_code == 400
    assert client.post(url(submitted, "submit"), format="json").status_code == 400
    assert snapshot() == before


# --- Signing ---------------------------------------------------------------------------------------


def test_signing_a_draft_with_its_checklist_incomplete_is_refused(api_as, personas, handover):
    before = snapshot()
    response = api_as(personas.project_manager).post(url(handover, "sign"), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == ["Submit the handover with its checklist complete before signing."]
    assert len(body["checklist"]) == 6 and body["checklist"][0].startswith("Not complete: Customisations")
    assert snapshot() == before


@pytest.mark.parametrize("name", ["engineer", "sales_rep", "finance", "maintenance_agent", "admin"])
def test_only_the_project_manager_and_a_maintenance_lead_sign(api_as, personas, submitted, name):
    before = snapshot()
    response = api_as(getattr(personas, name)).post(url(submitted, "sign"), format="json")
    assert response.status_code == 400
    assert response.json() == {"status": ["Only the project manager and a maintenance lead sign the handover."]}
    assert snapshot() == before


def test_a_signature_by_someone_who_may_not_see_it_is_a_404(api_as, personas, submitted):
    before = snapshot()
    assert api_as(personas.other_rep).post(url(submitted, "sign"), format="json").status_code == 404
    assert snapshot() == before


def test_both_signatures_close_the_project_and_hand_the_customer_to_maintenance(api_as, personas, submitted):
    pm = api_as(personas.project_manager)
    response = pm.post(url(submitted, "sign"), format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["pm_signed_by"] == personas.project_manager.pk and response.json()["status"] == "submitted"
    before = snapshot()
    again = pm.post(url(submitted, "sign"), format="json")
    assert again.status_code == 400 and again.json() == {"status": ["You have already signed this handover."]}
    assert snapshot() == before
    response = api_as(personas.maintenance_lead).post(url(submitted, "sign"), format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "signed" and body["lead_signed_by"] == personas.maintenance_lead.pk and body["signed_at"]
    project = Project.objects.get(pk=submitted.project_id)
    assert project.status == "closed"
    project.customer.refresh_from_db()
    assert project.customer.service_owner == personas.maintenance_lead
    assert Event.objects.filter(verb="handover.signed").count() == 1
    assert set(InstalledItem.objects.filter(contract=project.contract).values_list("status", flat=True)) == {"installed"}
    signed = api_as(personas.project_manager).post(url(submitted, "sign"), format="json")
    assert signed.status_code == 400 and signed.json() == {"status": ["This handover is already signed."]}
    assert api_as(personas.engineer).get(url(submitted)).status_code == 404  # the team's reach ended with the project


def test_a_maintenance_lead_signs_once(api_as, personas, submitted):
    client = api_as(personas.maintenance_lead)
    assert client.post(url(submitted, "sign"), format="json").status_code == 200
    before = snapshot()
    response = client.post(url(submitted, "sign"), format="json")
    assert response.status_code == 400 and "already signed" in response.json()["status"][0]
    assert snapshot() == before


def test_a_maintenance_lead_without_the_right_to_sign_is_refused(api_as, personas, submitted):
    PolicyRule.objects.create(position="maintenance_lead", entity="handover", action="edit", scope=Scope.NONE)
    policy.invalidate()
    before = snapshot()
    assert api_as(personas.maintenance_lead).post(url(submitted, "sign"), format="json").status_code == 403
    assert snapshot() == before


# --- Sending back -------------------------------------------------------------------------------------


def test_a_maintenance_lead_sends_the_handover_back_and_signatures_lapse(api_as, personas, submitted):
    ho.handover_sign(handover=submitted, by=personas.project_manager)
    client = api_as(personas.maintenance_lead)
    before = snapshot()
    refused = client.post(url(submitted, "return"), {}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()
    assert snapshot() == before
    response = client.post(url(submitted, "return"), {"reason": "缺少灾备环境的安装记录"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "draft" and response.json()["pm_signed_by"] is None
    assert Event.objects.get(verb="handover.returned").payload["reason"] == "缺少灾备环境的安装记录"


def test_a_draft_cannot_be_sent_back(api_as, personas, handover):
    before = snapshot()
    response = api_as(personas.project_manager).post(url(handover, "return"), {"reason": "x"}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(("name", "code"), [("engineer", 403), ("sales_rep", 403), ("maintenance_agent", 403), ("other_rep", 404)])
def test_who_is_neither_side_cannot_send_it_back(api_as, personas, submitted, name, code):
    before = snapshot()
    assert api_as(getattr(personas, name)).post(url(submitted, "return"), {"reason": "x"}, format="json").status_code == code
    assert snapshot() == before


# --- Query counts ---------------------------------------------------------------------------------


def test_the_handover_detail_query_count(api_as, personas, handover, django_assert_num_queries):
    client = api_as(personas.maintenance_lead)
    client.get(url(handover))
    # token, memberships, the handover (project, customer, signers joined), systems, defects, trainings,
    # key contacts, and the checklist's contact roles
    with django_assert_num_queries(8):
        assert client.get(url(handover)).status_code == 200


def test_the_handover_list_query_count(api_as, personas, handover, django_assert_num_queries):
    client = api_as(personas.project_manager)
    client.get(HANDOVERS)
    # token, memberships, count, page (project, customer, signers joined), systems, defects, trainings, key contacts
    with django_assert_num_queries(8):
        assert client.get(HANDOVERS).json()["count"] == 1
