"""Who may open the policy table, departments and profile pages; and that policy edits apply at once.

Expected answers for the matrix come from the policy defaults (`touchpoint.testing_matrix`).
"""

import pytest
from django.core.cache import cache

from touchpoint.core.models import Event
from touchpoint.customers.models import Customer
from touchpoint.org.models import Department, PolicyRule
from touchpoint.org.policy import CACHE_KEY, S, effective_table
from touchpoint.testing_matrix import OUTSIDER, PERSONAS, scope_for, text_of


def may(user, entity, action):
    return scope_for(user, entity, action) > S.NONE


def policy_state():
    return list(PolicyRule.objects.values_list("position", "entity", "action", "scope")), Event.objects.count()


# --- The matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_policy_table_page(w, client, persona):
    user = w.users[persona]
    client.force_login(user)
    response = client.get("/settings/policy/")
    assert response.status_code == (200 if may(user, "policy", "view") else 403)


@pytest.mark.parametrize("persona", PERSONAS)
def test_policy_table_edit(w, client, persona):
    user = w.users[persona]
    client.force_login(user)
    cache.clear()
    before = policy_state()
    table = effective_table()
    response = client.post("/settings/policy/", {"marketing:customer:export": str(S.NONE)})
    if may(user, "policy", "edit"):
        assert response.status_code == 302
        assert PolicyRule.objects.get(position="marketing", entity="customer", action="export").scope == S.NONE
        assert Event.objects.count() == before[1] + 1
    else:
        assert response.status_code == 403
        assert policy_state() == before
        assert effective_table() == table


@pytest.mark.parametrize("persona", PERSONAS)
def test_departments_page(w, client, persona):
    user = w.users[persona]
    client.force_login(user)
    response = client.get("/settings/departments/")
    assert response.status_code == 200
    html = response.content.decode()
    for department in Department.objects.all():
        assert (department.name in html) == may(user, "department", "view"), department.name


@pytest.mark.parametrize("persona", PERSONAS)
def test_department_edit(w, client, persona):
    user = w.users[persona]
    department = Department.objects.get(code="sales")
    editable = may(user, "department", "edit")
    client.force_login(user)
    assert client.get(f"/settings/departments/{department.pk}/").status_code == (200 if editable else 403)
    before = (Department.objects.filter(pk=department.pk).values().get(), Event.objects.count())
    data = {"code": department.code, "name": "销售一部", "name_en": department.name_en, "order": department.order,
            "is_active": "on"}  # fmt: skip
    response = client.post(f"/settings/departments/{department.pk}/", data)
    if editable:
        assert response.status_code == 302
        assert Department.objects.get(pk=department.pk).name == "销售一部"
    else:
        assert response.status_code == 403
        assert (Department.objects.filter(pk=department.pk).values().get(), Event.objects.count()) == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_department_create(w, client, persona):
    user = w.users[persona]
    client.force_login(user)
    count = Department.objects.count()
    response = client.post("/settings/departments/new/", {"code": "rnd", "name": "研发部", "name_en": "R&D",
                                                          "order": 90, "is_active": "on"})  # fmt: skip
    if may(user, "department", "create"):
        assert response.status_code == 302
        assert Department.objects.filter(code="rnd").exists()
    else:
        assert response.status_code == 403
        assert Department.objects.count() == count


@pytest.mark.parametrize("persona", PERSONAS)
def test_own_profile_and_home_open_for_everyone(w, client, persona):
    client.force_login(w.users[persona])
    assert client.get("/profile/").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/notifications/").status_code == 200
    assert client.get("/recycle-bin/").status_code == 200


@pytest.mark.parametrize(
    "url", ["/customers/", "/contacts/", "/followups/", "/search/?q=华泰", "/settings/policy/", "/customers/export/"]
)
def test_anonymous_visitor_is_sent_to_sign_in(w, client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- The key rules, by hand ---------------------------------------------------------------


def test_position_less_user_sees_nothing(w, client):
    p = w.personas
    client.force_login(p.outsider)
    assert p.outsider.memberships.count() == 0
    for url in [f"/customers/{p.customer_a.pk}/", f"/contacts/{p.contact_a.pk}/", f"/touchpoints/{w.a.touchpoint.pk}/",
                f"/followups/{w.a.followup.pk}/", f"/attachments/{w.a.attachment.pk}/download/",
                f"/customers/{w.own[OUTSIDER].customer.pk}/"]:  # fmt: skip
        assert client.get(url).status_code == 404, url
    listing = client.get("/customers/").content.decode() + client.get("/contacts/").content.decode()
    for bundle in w.all_bundles:
        assert bundle.customer.name not in listing
        assert bundle.contact.name not in listing
    search = client.get("/search/", {"q": "证券"}).content.decode()
    assert p.customer_a.name not in search
    assert p.customer_b.name not in search
    assert client.get("/customers/export/").status_code == 403
    contacts_export = client.get("/contacts/export/")
    assert contacts_export.status_code == 403 or p.contact_a.name not in text_of(contacts_export)
    assert client.get("/settings/policy/").status_code == 403
    assert client.get("/customers/new/").status_code == 403


def test_admin_edits_the_policy_table_and_the_change_takes_effect_at_once(w, client):
    p = w.personas
    client.force_login(p.maintenance_agent)
    assert client.get(f"/customers/{p.customer_a.pk}/edit/").status_code == 403
    assert cache.get(CACHE_KEY) is not None  # the table is cached now

    client.force_login(p.admin)
    response = client.post("/settings/policy/", {"maintenance_agent:customer:edit": str(S.ALL)})
    assert response.status_code == 302
    assert PolicyRule.objects.filter(position="maintenance_agent", entity="customer", action="edit", scope=S.ALL).exists()

    client.force_login(p.maintenance_agent)
    assert client.get(f"/customers/{p.customer_a.pk}/edit/").status_code == 200

    # And back: taking a scope away is just as immediate.
    client.force_login(p.admin)
    client.post("/settings/policy/", {"maintenance_agent:customer:view": str(S.NONE)})
    client.force_login(p.maintenance_agent)
    assert client.get(f"/customers/{p.customer_a.pk}/").status_code == 404
    assert p.customer_a.name not in client.get("/customers/").content.decode()


def test_denied_policy_edit_changes_nothing(w, client):
    p = w.personas
    client.force_login(p.executive)
    before = policy_state()
    response = client.post("/settings/policy/", {"executive:customer:edit": str(S.ALL), "sales_rep:customer:view": "40"})
    assert response.status_code == 403
    assert policy_state() == before
    # The executive still cannot edit a customer.
    assert client.get(f"/customers/{p.customer_a.pk}/edit/").status_code == 403


def test_policy_edit_ignores_unknown_cells_and_scopes(w, client):
    client.force_login(w.personas.admin)
    before = policy_state()
    response = client.post("/settings/policy/", {"nobody:customer:view": "40", "sales_rep:spaceship:view": "40",
                                                 "sales_rep:customer:view": "99", "sales_rep:policy:delete": "40"})  # fmt: skip
    assert response.status_code == 302
    assert policy_state() == before


def test_sales_rep_given_team_scope_sees_the_team_customer_only(w, client):
    p = w.personas
    client.force_login(p.admin)
    client.post("/settings/policy/", {"sales_rep:customer:view": str(S.TEAM)})
    # The rep shares a team with the manager, who owns nothing here; customer B's owner is in another team.
    manager_customer = w.own["sales_manager"].customer
    client.force_login(p.sales_rep)
    assert client.get(f"/customers/{manager_customer.pk}/").status_code == 200
    assert client.get(f"/customers/{p.customer_b.pk}/").status_code == 404
    assert Customer.objects.filter(owner=p.sales_manager).exists()
