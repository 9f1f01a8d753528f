"""Who may open and change customers and contacts through the pages, exports and search.

The matrix runs every persona (the ten positions and a user with none) against their own record,
the sales rep's (customer A) and the other rep's (customer B); the expected answer of each request
is derived from the policy defaults in `touchpoint.testing_matrix`. The sentence-named tests at the
end spell out the key rules by hand.
"""

import pytest

from touchpoint.core.models import Event
from touchpoint.customers.forms import ContactForm, CustomerForm
from touchpoint.customers.models import AccountMember, Contact, Customer
from touchpoint.customers.services import contact_delete, customer_delete
from touchpoint.org.policy import S
from touchpoint.testing_matrix import (
    LABELS,
    PERSONAS,
    TARGETS,
    Page,
    Write,
    allowed,
    check_page,
    check_write,
    database_state,
    form_post_data,
    fresh,
    row,
    scope_for,
    text_of,
)

NOTE = "权限矩阵修改"




def customer_url(suffix=""):
    return lambda customer: f"/customers/{customer.pk}/{suffix}"


def contact_url(suffix=""):
    return lambda contact: f"/contacts/{contact.pk}/{suffix}"


# --- Customers ----------------------------------------------------------------------------

CUSTOMER_PAGES = {
    "view": Page("GET", customer_url(), gate=("customer", "view")),
    "history": Page("GET", customer_url("history/"), gate=("customer", "view")),
    "timeline": Page("GET", customer_url("timeline/"), gate=("customer", "view"), htmx=True),
    "edit_form": Page("GET", customer_url("edit/"), gate=("customer", "view"), check=("customer", "edit")),
    "team_form": Page("GET", customer_url("team/"), gate=("customer", "view"), check=("customer", "edit")),
}


def customer_edit_data(world, user, customer):
    data = form_post_data(CustomerForm(instance=customer, parents=Customer.objects.none()))
    return {**data, "notes": NOTE}


def someone_else(world, current_id):
    """A colleague to hand a record to who is not its current holder."""
    p = world.personas
    return p.other_rep if current_id != p.other_rep.pk else p.sales_rep


def newcomer(world, customer):
    p = world.personas
    return p.engineer if customer.owner_id != p.engineer.pk else p.finance


def delete_first(world, customer):
    customer_delete(customer=customer, by=world.personas.admin)


CUSTOMER_WRITES = {
    "edit": Write(
        Page("POST", customer_url("edit/"), gate=("customer", "view"), check=("customer", "edit")),
        target=lambda bundle: bundle.customer,
        data=customer_edit_data,
        done=lambda world, customer: row(customer)["notes"] == NOTE,
    ),
    "team_add": Write(
        Page("POST", customer_url("team/"), gate=("customer", "view"), check=("customer", "edit")),
        target=lambda bundle: bundle.customer,
        data=lambda world, user, customer: {"user": newcomer(world, customer).pk, "role": "engineer"},
        done=lambda world, customer: AccountMember.objects.filter(customer_id=customer.pk,
                                                                user=newcomer(world, customer)).exists(),
    ),
    "delete": Write(
        Page("POST", customer_url("delete/"), gate=("customer", "view"), check=("customer", "delete")),
        target=lambda bundle: bundle.customer,
        done=lambda world, customer: row(customer)["deleted_at"] is not None,
    ),
    "restore": Write(
        # A deleted customer is visible only in the recycle bin, to those whose delete scope covers it.
        Page("POST", customer_url("restore/"), gate=("customer", "delete")),
        target=lambda bundle: bundle.customer,
        prepare=delete_first,
        done=lambda world, customer: row(customer)["deleted_at"] is None,
    ),
    "assign": Write(
        # The bulk form skips customers the user cannot see and sends them back to the list.
        Page("POST", lambda customer: "/customers/reassign/", gate=("customer", "view"), check=("customer", "assign"),
             hidden_status=302),  # fmt: skip
        target=lambda bundle: bundle.customer,
        data=lambda world, user, customer: {"ids": [customer.pk], "owner": someone_else(world, customer.owner_id).pk,
                                            "reason": "客户归属调整"},  # fmt: skip
        done=lambda world, customer: row(customer)["owner_id"] != customer.owner_id,
    ),
}


@pytest.mark.parametrize("action", list(CUSTOMER_PAGES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_customer_page(w, client, persona, action):
    for target in TARGETS:
        check_page(client, w, persona, CUSTOMER_PAGES[action], w.bundle(persona, target).customer, target=target)


@pytest.mark.parametrize("action", list(CUSTOMER_WRITES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_customer_write(w, client, persona, action):
    for target in TARGETS:
        check_write(client, w, persona, CUSTOMER_WRITES[action], w.bundle(persona, target), target=target)


def new_customer_data(label):
    data = form_post_data(CustomerForm(parents=Customer.objects.none()))
    return {**data, "name": f"{label}新建客户有限公司", "customer_type": "securities", "province": "上海"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_customer_create(w, client, persona):
    user = w.users[persona]
    # A new customer is owned by its creator, so the create scope must reach the user's own records.
    permitted = allowed(user, "customer", "create", w.own[persona].customer)
    client.force_login(user)
    assert client.get("/customers/new/").status_code == (200 if permitted else 403)
    before = database_state()
    response = client.post("/customers/new/", new_customer_data(LABELS[persona]))
    assert response.status_code == (302 if permitted else 403)
    created = Customer.objects.filter(name=f"{LABELS[persona]}新建客户有限公司", owner=user)
    if permitted:
        assert created.exists()
    else:
        assert database_state() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_customer_list_shows_exactly_the_visible_customers(w, client, persona):
    user = w.users[persona]
    client.force_login(user)
    response = client.get("/customers/")
    assert response.status_code == 200
    html = response.content.decode()
    for bundle in w.all_bundles:
        customer = bundle.customer
        assert (customer.name in html) == allowed(user, "customer", "view", customer), customer.name


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_customer_export_holds_exactly_the_exportable_customers(w, client, persona, file_format):
    user = w.users[persona]
    client.force_login(user)
    response = client.get(f"/customers/export/?format={file_format}")
    if scope_for(user, "customer", "export") == S.NONE:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    exported = text_of(response)
    for bundle in w.all_bundles:
        customer = bundle.customer
        assert (customer.name in exported) == allowed(user, "customer", "export", customer), customer.name


# --- Contacts -----------------------------------------------------------------------------

CONTACT_PAGES = {
    "view": Page("GET", contact_url(), gate=("contact", "view")),
    "history": Page("GET", contact_url("history/"), gate=("contact", "view")),
    "edit_form": Page("GET", contact_url("edit/"), gate=("contact", "view"), check=("contact", "edit")),
    "merge_form": Page("GET", contact_url("merge/"), gate=("contact", "view"), check=("contact", "edit")),
}
# Adding a contact is asked of its customer: the customer must be visible, the contact create scope must reach it.
NEW_CONTACT_FORM = Page("GET", customer_url("contacts/new/"), gate=("customer", "view"), check=("contact", "create"))


def contact_edit_data(world, user, contact):
    return {**form_post_data(ContactForm(instance=contact)), "notes": NOTE}


def new_contact_data(world, user, customer):
    return {"name": "新来的联系人", "title": "技术总监"}


CONTACT_WRITES = {
    "edit": Write(
        Page("POST", contact_url("edit/"), gate=("contact", "view"), check=("contact", "edit")),
        target=lambda bundle: bundle.contact,
        data=contact_edit_data,
        done=lambda world, contact: row(contact)["notes"] == NOTE,
    ),
    "delete": Write(
        Page("POST", contact_url("delete/"), gate=("contact", "view"), check=("contact", "delete")),
        target=lambda bundle: bundle.contact,
        done=lambda world, contact: row(contact)["deleted_at"] is not None,
    ),
    "restore": Write(
        Page("POST", contact_url("restore/"), gate=("contact", "delete")),
        target=lambda bundle: bundle.contact,
        prepare=lambda world, contact: contact_delete(contact=contact, by=world.personas.admin),
        done=lambda world, contact: row(contact)["deleted_at"] is None,
    ),
    "merge": Write(
        # The second contact sits on the same customer, so the scopes reach both alike. Merging edits
        # the kept contact and deletes the other; in every default delete reaches no further than edit.
        Page("POST", contact_url("merge/"), gate=("contact", "view"), check=("contact", "delete")),
        target=lambda bundle: bundle.contact,
        data=lambda world, user, contact: {"duplicate": second_contact_of(world, contact).pk},
        done=lambda world, contact: row(second_contact_of(world, contact))["deleted_at"] is not None,
        watch=lambda bundle: [bundle.contact, bundle.second_contact],
    ),
    "create": Write(
        Page("POST", customer_url("contacts/new/"), gate=("customer", "view"), check=("contact", "create")),
        target=lambda bundle: bundle.customer,
        data=new_contact_data,
        done=lambda world, customer: Contact.objects.filter(customer=customer, name="新来的联系人").exists(),
    ),
}


def second_contact_of(world, contact):
    return next(b.second_contact for b in world.all_bundles if b.contact.pk == contact.pk)


@pytest.mark.parametrize("action", [*CONTACT_PAGES, "create_form"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_contact_page(w, client, persona, action):
    for target in TARGETS:
        bundle = w.bundle(persona, target)
        if action == "create_form":
            check_page(client, w, persona, NEW_CONTACT_FORM, bundle.customer, target=target)
        else:
            check_page(client, w, persona, CONTACT_PAGES[action], bundle.contact, target=target)


@pytest.mark.parametrize("action", list(CONTACT_WRITES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_contact_write(w, client, persona, action):
    for target in TARGETS:
        check_write(client, w, persona, CONTACT_WRITES[action], w.bundle(persona, target), target=target)


def all_contacts(world):
    return [contact for bundle in world.all_bundles for contact in (bundle.contact, bundle.second_contact)]


@pytest.mark.parametrize("persona", PERSONAS)
def test_contact_list_shows_exactly_the_visible_contacts(w, client, persona):
    user = w.users[persona]
    client.force_login(user)
    pages = [client.get(f"/contacts/?page={number}") for number in (1, 2)]
    assert [page.status_code for page in pages] == [200, 200]
    html = "".join(page.content.decode() for page in pages)
    for contact in all_contacts(w):
        assert (f"/contacts/{contact.pk}/" in html) == allowed(user, "contact", "view", contact), contact.name


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_contact_export_holds_exactly_the_exportable_contacts(w, client, persona, file_format):
    user = w.users[persona]
    client.force_login(user)
    response = client.get(f"/contacts/export/?format={file_format}")
    # Refusing outright (403) is covered by a test of its own below; here no row may leak.
    assert response.status_code in (200, 403)
    exported = text_of(response) if response.status_code == 200 else ""
    for contact in all_contacts(w):
        assert (contact.name in exported) == allowed(user, "contact", "export", contact), contact.name


# --- Search -------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "dropdown"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_search_reveals_only_visible_customers_and_contacts(w, client, persona, htmx):
    user = w.users[persona]
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    client.force_login(user)
    for target in TARGETS:
        customer, contact = w.bundle(persona, target).customer, w.bundle(persona, target).contact
        # Ask with a fragment, so the full name can only come from a result and not from the echoed query.
        for query, record, entity, link in [
            (customer.name[:4], customer, "customer", f"/customers/{customer.pk}/"),
            (contact.mobile[-6:], contact, "contact", f"/contacts/{contact.pk}/"),
        ]:
            response = client.get("/search/", {"q": query}, **headers)
            assert response.status_code == 200
            html = response.content.decode()
            visible = allowed(user, entity, "view", record)
            assert (link in html) == visible, f"{persona} searching {query!r} ({target} record)"
            assert (record.name in html) == visible, f"{persona} searching {query!r} ({target} record)"


# --- The key rules, by hand ---------------------------------------------------------------
# These share the module's data set, so they use `w.personas` (the same personas as the `personas`
# fixture) and pass fresh copies to services.


def customer_row(customer):
    return Customer.all_objects.filter(pk=customer.pk).values().get()


def edit_post(customer, **changes):
    return {**form_post_data(CustomerForm(instance=fresh(customer), parents=Customer.objects.none())), **changes}


def test_sales_rep_cannot_open_another_reps_customer(w, client):
    p = w.personas
    before = customer_row(p.customer_b)
    client.force_login(p.sales_rep)
    assert client.get(f"/customers/{p.customer_b.pk}/").status_code == 404
    assert client.get(f"/customers/{p.customer_b.pk}/timeline/", HTTP_HX_REQUEST="true").status_code == 404
    assert client.post(f"/customers/{p.customer_b.pk}/edit/", edit_post(p.customer_b, notes=NOTE)).status_code == 404
    assert client.post(f"/customers/{p.customer_b.pk}/delete/").status_code == 404
    assert customer_row(p.customer_b) == before
    assert client.get(f"/customers/{p.customer_a.pk}/").status_code == 200


def test_sales_manager_sees_team_members_customer(w, client):
    p = w.personas
    client.force_login(p.sales_manager)
    response = client.get(f"/customers/{p.customer_a.pk}/")
    assert response.status_code == 200
    assert p.customer_a.name in response.content.decode()
    assert client.get(f"/customers/{p.customer_a.pk}/edit/").status_code == 200
    # The other rep is in the same department but another team: visible, not editable.
    assert client.get(f"/customers/{p.customer_b.pk}/").status_code == 200
    assert client.get(f"/customers/{p.customer_b.pk}/edit/").status_code == 403


def test_maintenance_agent_sees_every_customer_but_cannot_edit(w, client):
    p = w.personas
    client.force_login(p.maintenance_agent)
    events = Event.objects.count()
    for customer in (p.customer_a, p.customer_b):
        before = customer_row(customer)
        assert client.get(f"/customers/{customer.pk}/").status_code == 200
        assert client.get(f"/customers/{customer.pk}/edit/").status_code == 403
        assert client.post(f"/customers/{customer.pk}/edit/", edit_post(customer, notes=NOTE)).status_code == 403
        assert client.post(f"/customers/{customer.pk}/delete/").status_code == 403
        assert customer_row(customer) == before
    assert Event.objects.count() == events


def test_executive_can_export_but_not_edit(w, client):
    p = w.personas
    client.force_login(p.executive)
    exported = text_of(client.get("/customers/export/?format=csv"))
    assert p.customer_a.name in exported
    assert p.customer_b.name in exported
    before = customer_row(p.customer_a)
    assert client.post(f"/customers/{p.customer_a.pk}/edit/", edit_post(p.customer_a, notes=NOTE)).status_code == 403
    assert customer_row(p.customer_a) == before


def test_sales_rep_export_leaves_out_other_reps_customers(w, client):
    p = w.personas
    client.force_login(p.sales_rep)
    exported = text_of(client.get("/customers/export/?format=xlsx"))
    assert p.customer_a.name in exported
    assert p.customer_b.name not in exported


def test_engineer_cannot_export_customers(w, client):
    client.force_login(w.personas.engineer)
    assert client.get("/customers/export/?format=csv").status_code == 403


def test_contact_export_is_refused_without_an_export_scope(w, client):
    # Like the customer export: a user with no contact export scope gets a 403, not an empty file.
    client.force_login(w.personas.engineer)
    assert client.get("/contacts/export/?format=csv").status_code == 403


def test_sales_rep_cannot_reassign_even_own_customer(w, client):
    p = w.personas
    client.force_login(p.sales_rep)
    response = client.post("/customers/reassign/", {"ids": [p.customer_a.pk], "owner": p.other_rep.pk, "reason": "想换人"})
    assert response.status_code == 403
    assert customer_row(p.customer_a)["owner_id"] == p.sales_rep.pk


def test_bulk_reassign_that_reaches_beyond_the_assign_scope_moves_nothing(w, client):
    p = w.personas
    client.force_login(p.sales_manager)
    # Customer B is visible to the manager (same department) but outside his team's assign scope.
    response = client.post("/customers/reassign/", {
        "ids": [p.customer_a.pk, p.customer_b.pk], "owner": p.sales_manager.pk, "reason": "整理"})
    assert response.status_code == 403
    assert customer_row(p.customer_a)["owner_id"] == p.sales_rep.pk
    assert customer_row(p.customer_b)["owner_id"] == p.other_rep.pk


def test_recycle_bin_lists_only_customers_the_user_may_restore(w, client):
    p = w.personas
    customer_delete(customer=fresh(p.customer_b), by=p.admin)
    client.force_login(p.sales_manager)
    # The manager may delete only within his team; customer B belongs to another team.
    assert p.customer_b.name not in client.get("/recycle-bin/").content.decode()
    assert client.post(f"/customers/{p.customer_b.pk}/restore/").status_code == 404
    assert customer_row(p.customer_b)["deleted_at"] is not None
    client.force_login(p.admin)
    assert p.customer_b.name in client.get("/recycle-bin/").content.decode()


def test_stale_customer_edit_is_refused_even_when_allowed(w, client):
    p = w.personas
    client.force_login(p.sales_rep)
    data = edit_post(p.customer_a)
    assert client.post(f"/customers/{p.customer_a.pk}/edit/", {**data, "notes": "第一次"}).status_code == 302
    assert client.post(f"/customers/{p.customer_a.pk}/edit/", {**data, "notes": "第二次"}).status_code == 409
    assert customer_row(p.customer_a)["notes"] == "第一次"


def test_contact_of_a_hidden_customer_is_found_neither_by_url_nor_by_search(w, client):
    p = w.personas
    client.force_login(p.sales_rep)
    assert client.get(f"/contacts/{p.contact_b.pk}/").status_code == 404
    html = client.get("/search/", {"q": "1398765"}, HTTP_HX_REQUEST="true").content.decode()
    assert p.contact_b.name not in html
    assert f"/contacts/{p.contact_b.pk}/" not in html


def test_contact_merge_needs_delete_scope_on_the_folded_contact(w, client):
    # Merging deletes the duplicate: a maintenance agent may edit contacts but not delete them.
    p = w.personas
    keep, duplicate = w.a.contact, w.a.second_contact
    before = database_state(keep, duplicate)
    client.force_login(p.maintenance_agent)
    response = client.post(f"/contacts/{keep.pk}/merge/", {"duplicate": duplicate.pk})
    assert response.status_code == 403
    assert database_state(keep, duplicate) == before
