import pytest
from django.test import Client
from django.urls import reverse

from touchpoint.testing import PASSWORD


@pytest.mark.django_db
def test_login_by_username_lands_on_the_workspace(client, personas):
    response = client.post(reverse("account_login"), {"login": "rep", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/"
    assert "王销售" in response.content.decode()


@pytest.mark.django_db
def test_login_by_email_works_too(client, personas):
    response = client.post(reverse("account_login"), {"login": "rep@touchpoint.example", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_wrong_password_shows_an_error_and_no_session(client, personas):
    response = client.post(reverse("account_login"), {"login": "rep", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_repeated_failures_lock_the_account(settings, personas):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    browser = Client(REMOTE_ADDR="10.9.8.7")
    for _ in range(3):
        browser.post(reverse("account_login"), {"login": "rep", "password": "wrong"})
    response = browser.post(reverse("account_login"), {"login": "rep", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in browser.session


@pytest.mark.django_db
def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_browser_language_picks_chinese_or_english(client, personas):
    client.force_login(personas.sales_rep)
    assert 'lang="zh-hans"' in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert 'lang="en"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()


@pytest.mark.django_db
def test_switching_language_sticks_for_the_session(client, personas):
    client.force_login(personas.sales_rep)
    client.post(reverse("set_language"), {"language": "en", "next": "/"}, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert 'lang="en"' in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()


@pytest.mark.django_db
def test_profile_language_wins_over_the_browser(client, personas):
    personas.sales_rep.language = "en"
    personas.sales_rep.save()
    client.force_login(personas.sales_rep)
    assert 'lang="en"' in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()


@pytest.mark.django_db
def test_profile_refuses_a_bad_mobile_with_a_field_error(client, personas):
    client.force_login(personas.sales_rep)
    response = client.post(reverse("org:profile"), {"full_name": "王销售", "email": "rep@touchpoint.example",
                                                     "phone": "12345", "language": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    personas.sales_rep.refresh_from_db()
    assert personas.sales_rep.phone == ""


@pytest.mark.django_db
def test_api_token_can_be_created_and_revoked(client, personas):
    from rest_framework.authtoken.models import Token

    client.force_login(personas.sales_rep)
    client.post(reverse("org:token"), {"action": "create"})
    assert Token.objects.filter(user=personas.sales_rep).count() == 1
    client.post(reverse("org:token"), {"action": "revoke"})
    assert not Token.objects.filter(user=personas.sales_rep).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("position", "panels"),
    [
        ("sales_rep", {"my_followups", "my_customers", "recent_touchpoints", "overdue_invoices"}),
        ("sales_manager", {"my_followups", "my_customers", "recent_touchpoints", "team_overdue_followups",
                           "team_quiet_customers", "team_pipeline", "stalled_opportunities", "approvals_waiting",
                           "receivables_summary"}),
        ("executive", {"headline_counts", "my_followups", "team_quiet_customers", "approvals_waiting",
                       "receivables_summary"}),
        ("maintenance_lead", {"my_followups", "team_overdue_followups", "team_quiet_customers", "handovers_to_sign"}),
        # The credit-held panel shows only when a contract is held.
        ("finance", {"my_followups", "invoice_requests", "receipts_to_allocate", "overdue_invoices", "receivables_summary"}),
    ],
)
def test_each_position_lands_on_its_own_workspace(client, personas, position, panels):
    client.force_login(personas.by_position()[position])
    response = client.get("/")
    assert response.status_code == 200
    assert {item["panel"].key for item in response.context["panels"]} == panels


@pytest.mark.django_db
def test_workspace_query_count_is_pinned(client, personas, django_assert_max_num_queries):
    client.force_login(personas.sales_manager)
    client.get("/")
    # 16 before finance; +1 for the receivables headline (open, overdue and DSO in one query).
    with django_assert_max_num_queries(17):
        client.get("/")


@pytest.mark.django_db
def test_admin_edits_the_policy_table_from_the_page(client, personas):
    client.force_login(personas.admin)
    page = client.get(reverse("org:policy"))
    assert page.status_code == 200
    response = client.post(reverse("org:policy"), {"sales_rep:customer:view": "40", "bogus:thing:x": "40"})
    assert response.status_code == 302
    from touchpoint.customers.access import visible_customers

    assert visible_customers(personas.sales_rep).count() == 2


@pytest.mark.django_db
def test_non_admin_cannot_open_or_post_the_policy_table(client, personas):
    client.force_login(personas.sales_manager)
    assert client.get(reverse("org:policy")).status_code == 403
    assert client.post(reverse("org:policy"), {"sales_rep:customer:view": "40"}).status_code == 403
    from touchpoint.org.models import PolicyRule

    assert not PolicyRule.objects.exists()


@pytest.mark.django_db
def test_admin_adds_a_department(client, personas):
    from touchpoint.org.models import Department

    client.force_login(personas.admin)
    response = client.post(reverse("org:department_new"), {"code": "presales", "name": "售前部", "name_en": "Pre-sales",
                                                           "order": 15, "is_active": "on"})  # fmt: skip
    assert response.status_code == 302
    assert Department.objects.filter(code="presales", name="售前部").exists()


@pytest.mark.django_db
def test_password_reset_sends_a_working_link_by_email(client, personas, mailoutbox):
    import re

    response = client.post(reverse("account_reset_password"), {"email": "rep@touchpoint.example"})
    assert response.status_code == 302
    [message] = mailoutbox
    assert message.to == ["rep@touchpoint.example"]
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    new_password = "Fresh-Passw0rd-2026"
    done = client.post(form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
                       {"password1": new_password, "password2": new_password})  # fmt: skip
    assert done.status_code == 302
    personas.sales_rep.refresh_from_db()
    assert personas.sales_rep.check_password(new_password)


@pytest.mark.django_db
def test_login_page_offers_the_language_switch_before_signing_in(client):
    html = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="language-switch"' in html
    assert "Sign in to Touchpoint CRM" in html


@pytest.mark.django_db
def test_admin_deactivates_a_user_from_the_admin_and_their_token_dies(client, personas):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=personas.sales_rep)
    personas.admin.is_staff = personas.admin.is_superuser = True
    personas.admin.save()
    client.force_login(personas.admin)
    response = client.post("/admin/org/user/", {"action": "deactivate", "_selected_action": [personas.sales_rep.pk]})
    assert response.status_code == 302
    personas.sales_rep.refresh_from_db()
    assert not personas.sales_rep.is_active
    assert not Token.objects.filter(pk=token.pk).exists()


@pytest.mark.django_db
def test_admin_adds_a_user_with_a_position(client, personas):
    from touchpoint.org.models import Membership, User
    from touchpoint.testing import department

    personas.admin.is_staff = personas.admin.is_superuser = True
    personas.admin.save()
    client.force_login(personas.admin)
    assert client.get("/admin/org/user/add/").status_code == 200
    response = client.post("/admin/org/user/add/", {
        "username": "newrep", "full_name": "新销售", "email": "newrep@touchpoint.example",
        "department": department("sales").pk, "password1": "Touchpoint-New-2026", "password2": "Touchpoint-New-2026",
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0",
        "memberships-0-department": department("sales").pk, "memberships-0-position": "sales_rep",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="newrep")
    assert Membership.objects.filter(user=user, position="sales_rep").exists()
