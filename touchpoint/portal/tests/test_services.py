"""Inviting customer users, accepting an invitation, ending access, and the portal scope."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from touchpoint.core.extensions import portal_customers
from touchpoint.customers.models import CustomerType
from touchpoint.customers.services import customer_create
from touchpoint.org.models import User
from touchpoint.portal.models import PortalAccount, PortalInvitation
from touchpoint.portal.services import portal_accept_invitation, portal_deactivate, portal_invite, portal_set_branches
from touchpoint.testing import PASSWORD
from touchpoint.touchpoints.models import Touchpoint

SITE = "https://crm.example"


@pytest.fixture(autouse=True)
def _english():
    """The messages are matched in English; the project's default language is Chinese."""
    with translation.override("en"):
        yield


NEW_PASSWORD = "Portal-Pass-2026!"


def token_from_mail() -> str:
    found = re.search(r"/portal/invitation/([^/\s]+)/", mail.outbox[-1].body)
    assert found is not None
    return found.group(1)


def test_account_owner_invites_and_the_invitee_sets_a_password(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = portal_invite(by=personas.sales_rep, customer=personas.customer_a, email="Ops@HTSC.example",
                                          site_url=SITE, contact=personas.contact_a)  # fmt: skip
    assert invitation.email == "ops@htsc.example"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ops@htsc.example"]
    assert token_from_mail() == token
    assert token not in invitation.token_hash  # only the hash is kept

    account = portal_accept_invitation(token=token, password=NEW_PASSWORD, full_name="运维值班")
    assert account.customer == personas.customer_a and account.contact == personas.contact_a
    assert not account.user.memberships.exists() and account.user.department is None
    assert account.user.check_password(NEW_PASSWORD)
    assert portal_customers(User.objects.get(pk=account.user.pk)) == frozenset({personas.customer_a.pk})
    assert Touchpoint.objects.filter(customer=personas.customer_a, channel="portal", logged_by=account.user).exists()


def test_a_used_expired_or_forged_token_says_what_is_wrong(personas):
    _invitation, token = portal_invite(by=personas.maintenance_lead, customer=personas.customer_a, email="a@htsc.example",
                                       site_url=SITE)  # fmt: skip
    portal_accept_invitation(token=token, password=NEW_PASSWORD, full_name="甲")
    with pytest.raises(ValidationError, match="already been used"):
        portal_accept_invitation(token=token, password=NEW_PASSWORD, full_name="甲")
    with pytest.raises(ValidationError, match="not valid"):
        portal_accept_invitation(token="forged-" + token, password=NEW_PASSWORD, full_name="甲")
    old, old_token = portal_invite(by=personas.maintenance_lead, customer=personas.customer_a, email="b@htsc.example", site_url=SITE)
    PortalInvitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="expired"):
        portal_accept_invitation(token=old_token, password=NEW_PASSWORD, full_name="乙")
    assert PortalAccount.objects.count() == 1


def test_a_weak_password_is_refused_on_its_field(personas):
    _invitation, token = portal_invite(by=personas.sales_rep, customer=personas.customer_a, email="c@htsc.example", site_url=SITE)
    with pytest.raises(ValidationError) as refused:
        portal_accept_invitation(token=token, password="123", full_name="丙")
    assert "password" in refused.value.message_dict
    assert not User.objects.filter(username="c@htsc.example").exists()


@pytest.mark.parametrize("who", ["other_rep", "finance", "engineer", "outsider"])
def test_staff_without_a_reason_may_not_invite(personas, who):
    with pytest.raises(ValidationError):
        portal_invite(by=getattr(personas, who), customer=personas.customer_a, email="x@htsc.example", site_url=SITE)
    assert not PortalInvitation.objects.exists()


def test_a_customer_admin_invites_only_to_their_own_customer(personas, portal):
    invitation, _token = portal_invite(by=portal.portal_a_admin, customer=personas.customer_a, email="d@htsc.example", site_url=SITE)
    assert invitation.invited_by == portal.portal_a_admin
    assert Touchpoint.objects.filter(logged_by=portal.portal_a_admin, channel="portal").exists()
    for who in (portal.portal_a_admin, portal.portal_a, portal.portal_b):
        with pytest.raises(ValidationError):
            portal_invite(by=who, customer=personas.customer_b, email="e@csc.example", site_url=SITE)
    with pytest.raises(ValidationError):
        portal_invite(by=portal.portal_a, customer=personas.customer_a, email="f@htsc.example", site_url=SITE)


def test_an_address_with_an_account_cannot_be_invited_again(personas, portal):
    with pytest.raises(ValidationError, match="already has an account"):
        portal_invite(by=personas.sales_rep, customer=personas.customer_a, email=portal.portal_a.email, site_url=SITE)


def test_deactivating_ends_access_and_sessions(personas, portal, client):
    client.login(username="portal_a", password=PASSWORD)
    account = PortalAccount.objects.get(user=portal.portal_a)
    with pytest.raises(ValidationError):
        portal_deactivate(account=account, by=portal.portal_b_admin)
    portal_deactivate(account=account, by=portal.portal_a_admin)
    account.refresh_from_db()
    assert not account.is_active and not User.objects.get(pk=portal.portal_a.pk).is_active
    assert client.get("/portal/").status_code == 302  # the session is gone
    assert portal_customers(User.objects.get(pk=portal.portal_a.pk)) == frozenset()


def test_granted_branches_widen_the_scope_and_only_branches_can_be_granted(personas, portal):
    branch = customer_create(by=personas.sales_rep, owner=personas.sales_rep, name="华泰证券南京营业部", parent=personas.customer_a,
                             customer_type=CustomerType.BRANCH, province="江苏", city="南京")  # fmt: skip
    account = PortalAccount.objects.get(user=portal.portal_a)
    with pytest.raises(ValidationError):
        portal_set_branches(account=account, branches=[personas.customer_b], by=portal.portal_a_admin)
    portal_set_branches(account=account, branches=[branch], by=portal.portal_a_admin)
    assert portal_customers(User.objects.get(pk=portal.portal_a.pk)) == frozenset({personas.customer_a.pk, branch.pk})


def test_staff_are_not_customer_users(personas):
    for user in personas.by_position().values():
        assert portal_customers(user) is None


def test_the_demo_step_needs_demo_customers_and_runs_once(personas, portal):
    import random

    from touchpoint.core.extensions import demo_steps

    def run() -> str:
        return demo_steps["portal.demo"].run(rng=random.Random(1), scale="small", out=lambda text: None)

    assert run() == "portal: already loaded"  # the personas' customer users count as loaded
    PortalAccount.objects.all().delete()
    assert run() == "portal: no demo customer with an installed base"
    assert not PortalAccount.objects.exists()
