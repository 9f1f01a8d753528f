"""Who may open and change touchpoints, attachments and follow-ups through the pages.

Every persona (the ten positions and a user with none) is tried against their own record, the
sales rep's (customer A) and the other rep's (customer B). A persona's own touchpoint is one they
logged on customer B and their own follow-up one assigned to them there. Expected answers are
derived from the policy defaults in `touchpoint.testing_matrix`.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from touchpoint.testing_matrix import (
    PDF_BYTES,
    PERSONAS,
    TARGETS,
    Page,
    Write,
    allowed,
    body_of,
    check_page,
    check_write,
    database_state,
    form_post_data,
    fresh,
    pdf,
    row,
)
from touchpoint.touchpoints.forms import FollowUpForm, TouchpointEditForm
from touchpoint.touchpoints.models import Attachment, FollowUp, Touchpoint
from touchpoint.touchpoints.services import followup_delete, touchpoint_delete

CHANGED = "权限矩阵修改"




def url(prefix, suffix=""):
    return lambda record: f"/{prefix}/{record.pk}/{suffix}"


def someone_else(world, current_id):
    p = world.personas
    return p.other_rep if current_id != p.other_rep.pk else p.sales_rep


# --- Touchpoints --------------------------------------------------------------------------

TOUCHPOINT_PAGES = {
    "view": Page("GET", url("touchpoints"), gate=("touchpoint", "view")),
    "history": Page("GET", url("touchpoints", "history/"), gate=("touchpoint", "view")),
    "edit_form": Page("GET", url("touchpoints", "edit/"), gate=("touchpoint", "view"), check=("touchpoint", "edit")),
}
# Logging a touchpoint is asked of the customer: visible, and within the touchpoint create scope.
NEW_TOUCHPOINT_FORM = Page("GET", url("customers", "touchpoints/new/"), gate=("customer", "view"),
                           check=("touchpoint", "create"))  # fmt: skip


def touchpoint_edit_data(world, user, touchpoint):
    return {**form_post_data(TouchpointEditForm(instance=touchpoint)), "subject": CHANGED}


def new_touchpoint_data(world, user, customer):
    occurred = timezone.localtime() - timedelta(hours=1)
    return {"channel": "phone", "direction": "in", "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"),
            "subject": "矩阵新记录", "notes": "", "outcome": ""}  # fmt: skip


TOUCHPOINT_WRITES = {
    "edit": Write(
        Page("POST", url("touchpoints", "edit/"), gate=("touchpoint", "view"), check=("touchpoint", "edit")),
        target=lambda bundle: bundle.touchpoint,
        data=touchpoint_edit_data,
        done=lambda world, touchpoint: row(touchpoint)["subject"] == CHANGED,
    ),
    "delete": Write(
        Page("POST", url("touchpoints", "delete/"), gate=("touchpoint", "view"), check=("touchpoint", "delete")),
        target=lambda bundle: bundle.touchpoint,
        done=lambda world, touchpoint: row(touchpoint)["deleted_at"] is not None,
    ),
    "restore": Write(
        Page("POST", url("touchpoints", "restore/"), gate=("touchpoint", "delete")),
        target=lambda bundle: bundle.touchpoint,
        prepare=lambda world, touchpoint: touchpoint_delete(touchpoint=touchpoint, by=world.personas.admin),
        done=lambda world, touchpoint: row(touchpoint)["deleted_at"] is None,
    ),
    "create": Write(
        Page("POST", url("customers", "touchpoints/new/"), gate=("customer", "view"), check=("touchpoint", "create")),
        target=lambda bundle: bundle.customer,
        data=new_touchpoint_data,
        done=lambda world, customer: Touchpoint.objects.filter(customer=customer, subject="矩阵新记录").exists(),
    ),
}


@pytest.mark.parametrize("action", [*TOUCHPOINT_PAGES, "create_form"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_touchpoint_page(w, client, persona, action):
    for target in TARGETS:
        bundle = w.bundle(persona, target)
        if action == "create_form":
            check_page(client, w, persona, NEW_TOUCHPOINT_FORM, bundle.customer, target=target)
        else:
            check_page(client, w, persona, TOUCHPOINT_PAGES[action], bundle.touchpoint, target=target)


@pytest.mark.parametrize("action", list(TOUCHPOINT_WRITES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_touchpoint_write(w, client, persona, action):
    for target in TARGETS:
        check_write(client, w, persona, TOUCHPOINT_WRITES[action], w.bundle(persona, target), target=target)


# --- Attachments --------------------------------------------------------------------------

DOWNLOAD = Page("GET", url("attachments", "download/"), gate=("attachment", "view"))

ATTACHMENT_WRITES = {
    "upload": Write(
        # Adding a file is asked of the touchpoint: visible, and within the attachment create scope.
        Page("POST", url("touchpoints", "attachments/"), gate=("touchpoint", "view"), check=("attachment", "create")),
        target=lambda bundle: bundle.touchpoint,
        data=lambda world, user, touchpoint: {"file": pdf("补充材料.pdf", b"%PDF-1.4 upload")},
        done=lambda world, touchpoint: Attachment.objects.filter(touchpoint_id=touchpoint.pk).count() == 2,
    ),
    "delete": Write(
        Page("POST", url("attachments", "delete/"), gate=("attachment", "view"), check=("attachment", "delete")),
        target=lambda bundle: bundle.attachment,
        done=lambda world, attachment: row(attachment)["deleted_at"] is not None,
    ),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_attachment_download(w, client, persona):
    for target in TARGETS:
        attachment = w.bundle(persona, target).attachment
        response = check_page(client, w, persona, DOWNLOAD, attachment, target=target)
        if response.status_code == 200:
            assert body_of(response) == PDF_BYTES
            assert response["Content-Disposition"].startswith("attachment")
        else:
            assert PDF_BYTES not in body_of(response)


@pytest.mark.parametrize("action", list(ATTACHMENT_WRITES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_attachment_write(w, client, persona, action):
    for target in TARGETS:
        check_write(client, w, persona, ATTACHMENT_WRITES[action], w.bundle(persona, target), target=target)


# --- Follow-ups ---------------------------------------------------------------------------

FOLLOWUP_PAGES = {
    "view": Page("GET", url("followups"), gate=("followup", "view")),
    "history": Page("GET", url("followups", "history/"), gate=("followup", "view")),
    "edit_form": Page("GET", url("followups", "edit/"), gate=("followup", "view"), check=("followup", "edit")),
}
NEW_FOLLOWUP_FORM = Page("GET", url("customers", "followups/new/"), gate=("customer", "view"),
                         check=("followup", "create"))  # fmt: skip


def followup_edit_data(world, user, followup):
    return {**form_post_data(FollowUpForm(instance=followup, contacts=followup.customer.contacts.all())), "subject": CHANGED}


def new_followup_data(world, user, customer):
    due = timezone.localdate() + timedelta(days=5)
    return {"subject": "矩阵新回访", "due_on": due.isoformat(), "assignee": user.pk, "notes": ""}


FOLLOWUP_WRITES = {
    "edit": Write(
        Page("POST", url("followups", "edit/"), gate=("followup", "view"), check=("followup", "edit")),
        target=lambda bundle: bundle.followup,
        data=followup_edit_data,
        done=lambda world, followup: row(followup)["subject"] == CHANGED,
    ),
    "done": Write(
        Page("POST", url("followups", "done/"), gate=("followup", "view"), check=("followup", "edit")),
        target=lambda bundle: bundle.followup,
        data=lambda world, user, followup: {"outcome": "已回访"},
        done=lambda world, followup: row(followup)["status"] == "done",
    ),
    "reassign": Write(
        Page("POST", url("followups", "reassign/"), gate=("followup", "view"), check=("followup", "assign")),
        target=lambda bundle: bundle.followup,
        data=lambda world, user, followup: {"assignee": someone_else(world, followup.assignee_id).pk, "reason": "人手调整"},
        done=lambda world, followup: row(followup)["assignee_id"] != followup.assignee_id,
    ),
    "delete": Write(
        Page("POST", url("followups", "delete/"), gate=("followup", "view"), check=("followup", "delete")),
        target=lambda bundle: bundle.followup,
        done=lambda world, followup: row(followup)["deleted_at"] is not None,
    ),
    "restore": Write(
        Page("POST", url("followups", "restore/"), gate=("followup", "delete")),
        target=lambda bundle: bundle.followup,
        prepare=lambda world, followup: followup_delete(followup=followup, by=world.personas.admin),
        done=lambda world, followup: row(followup)["deleted_at"] is None,
    ),
    "create": Write(
        Page("POST", url("customers", "followups/new/"), gate=("customer", "view"), check=("followup", "create")),
        target=lambda bundle: bundle.customer,
        data=new_followup_data,
        done=lambda world, customer: FollowUp.objects.filter(customer=customer, subject="矩阵新回访").exists(),
    ),
}


@pytest.mark.parametrize("action", [*FOLLOWUP_PAGES, "create_form"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_followup_page(w, client, persona, action):
    for target in TARGETS:
        bundle = w.bundle(persona, target)
        if action == "create_form":
            check_page(client, w, persona, NEW_FOLLOWUP_FORM, bundle.customer, target=target)
        else:
            check_page(client, w, persona, FOLLOWUP_PAGES[action], bundle.followup, target=target)


@pytest.mark.parametrize("action", list(FOLLOWUP_WRITES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_followup_write(w, client, persona, action):
    for target in TARGETS:
        check_write(client, w, persona, FOLLOWUP_WRITES[action], w.bundle(persona, target), target=target)


@pytest.mark.parametrize("persona", PERSONAS)
def test_followup_list_shows_exactly_the_visible_followups(w, client, persona):
    user = w.users[persona]
    client.force_login(user)
    response = client.get("/followups/", {"show": "all", "whose": "team"})
    assert response.status_code == 200
    html = response.content.decode()
    for bundle in w.all_bundles:
        followup = bundle.followup
        assert (f"/followups/{followup.pk}/" in html) == allowed(user, "followup", "view", followup), followup.subject


# --- What the customer 360 and its timeline show ------------------------------------------


@pytest.mark.parametrize("target", ["a", "b"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_customer_timeline_shows_only_touchpoints_the_user_may_see(w, client, persona, target):
    user = w.users[persona]
    customer = w.bundle(persona, target).customer
    client.force_login(user)
    response = client.get(f"/customers/{customer.pk}/timeline/", HTTP_HX_REQUEST="true")
    if not allowed(user, "customer", "view", customer):
        assert response.status_code == 404
        return
    html = response.content.decode()
    for touchpoint in Touchpoint.objects.filter(customer=customer):
        if not allowed(user, "touchpoint", "view", touchpoint):
            assert touchpoint.subject not in html, f"{persona} sees {touchpoint.subject}"
    if target == "a":  # the only touchpoint on customer A, so it is on the first page of the timeline
        assert (w.a.touchpoint.subject in html) == allowed(user, "touchpoint", "view", w.a.touchpoint)


@pytest.mark.parametrize("target", ["a", "b"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_customer_360_shows_only_followups_the_user_may_see(w, client, persona, target):
    user = w.users[persona]
    customer = w.bundle(persona, target).customer
    client.force_login(user)
    response = client.get(f"/customers/{customer.pk}/")
    if not allowed(user, "customer", "view", customer):
        assert response.status_code == 404
        return
    html = response.content.decode()
    for followup in FollowUp.objects.filter(customer=customer):
        if not allowed(user, "followup", "view", followup):
            assert followup.subject not in html, f"{persona} sees {followup.subject}"


# --- The key rules, by hand ---------------------------------------------------------------


def test_sales_rep_downloads_the_file_of_a_touchpoint_on_own_customer(w, client):
    client.force_login(w.personas.sales_rep)
    response = client.get(f"/attachments/{w.a.attachment.pk}/download/")
    assert response.status_code == 200
    assert body_of(response) == PDF_BYTES


def test_sales_rep_gets_404_for_a_file_on_another_reps_customer(w, client):
    client.force_login(w.personas.sales_rep)
    assert client.get(f"/attachments/{w.b.attachment.pk}/download/").status_code == 404


def test_marketing_sees_every_file_but_cannot_delete_one(w, client):
    client.force_login(w.personas.marketing)
    assert client.get(f"/attachments/{w.b.attachment.pk}/download/").status_code == 200
    before = database_state(w.b.attachment)
    assert client.post(f"/attachments/{w.b.attachment.pk}/delete/").status_code == 403
    assert database_state(w.b.attachment) == before


def test_engineer_cannot_open_a_touchpoint_he_had_no_part_in(w, client):
    client.force_login(w.personas.engineer)
    assert client.get(f"/touchpoints/{w.a.touchpoint.pk}/").status_code == 404
    assert client.get(f"/touchpoints/{w.own['engineer'].touchpoint.pk}/").status_code == 200


def test_participant_may_open_the_touchpoint(w, client):
    engineer = w.personas.engineer
    fresh(w.b.touchpoint).participants.add(engineer)
    client.force_login(engineer)
    assert client.get(f"/touchpoints/{w.b.touchpoint.pk}/").status_code == 200
    assert client.get(f"/attachments/{w.b.attachment.pk}/download/").status_code == 200


def test_deleted_attachment_is_no_longer_downloadable(w, client):
    p = w.personas
    client.force_login(p.admin)
    assert client.post(f"/attachments/{w.a.attachment.pk}/delete/").status_code == 302
    client.force_login(p.sales_rep)
    assert client.get(f"/attachments/{w.a.attachment.pk}/download/").status_code == 404


def test_sales_manager_reassigns_team_followup_but_not_other_teams(w, client):
    p = w.personas
    client.force_login(p.sales_manager)
    response = client.post(f"/followups/{w.a.followup.pk}/reassign/", {"assignee": p.sales_manager.pk, "reason": "休假"})
    assert response.status_code == 302
    assert row(w.a.followup)["assignee_id"] == p.sales_manager.pk
    before = database_state(w.b.followup)
    response = client.post(f"/followups/{w.b.followup.pk}/reassign/", {"assignee": p.sales_manager.pk, "reason": "休假"})
    assert response.status_code == 403
    assert database_state(w.b.followup) == before


def test_maintenance_agent_cannot_see_someone_elses_followup(w, client):
    client.force_login(w.personas.maintenance_agent)
    assert client.get(f"/followups/{w.a.followup.pk}/").status_code == 404
    before = database_state(w.a.followup)
    assert client.post(f"/followups/{w.a.followup.pk}/done/").status_code == 404
    assert database_state(w.a.followup) == before
