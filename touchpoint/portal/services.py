"""Every write of the portal: inviting and deactivating customer users, accepting an invitation,
announcements, and what a customer user does on the portal (each a touchpoint on the portal channel).

Work on service requests goes through the service app's own services; the functions here only add
what the portal owns: the customer user's identity, their attachments and the portal touchpoint.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import Channel, EventKind
from touchpoint.customers.models import Contact, Customer
from touchpoint.org.models import User
from touchpoint.org.services import user_create, user_deactivate
from touchpoint.portal.access import can_invite_to, can_manage_account, portal_account
from touchpoint.portal.models import Announcement, Audience, PortalAccount, PortalInvitation
from touchpoint.touchpoints.models import Direction, Touchpoint
from touchpoint.touchpoints.services import touchpoint_log

PORTAL_INVITED = event_type("portal.invited", kind=EventKind.STRUCTURE, label=gettext_lazy("Invited to the customer portal"))
PORTAL_JOINED = event_type("portal.joined", kind=EventKind.STRUCTURE, label=gettext_lazy("Joined the customer portal"))
PORTAL_DEACTIVATED = event_type("portal.deactivated", kind=EventKind.STRUCTURE,
                                label=gettext_lazy("Customer portal access ended"))  # fmt: skip
ANNOUNCEMENT_SAVED = event_type("portal.announcement", kind=EventKind.SYSTEM, label=gettext_lazy("Announcement saved"))

INVITATION_DAYS = 7


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, code="permission")


# --- Customer users -------------------------------------------------------------------------------


@transaction.atomic
def portal_invite(
    *, by: Any, customer: Customer, email: str, site_url: str, contact: Contact | None = None, is_admin: bool = False,
    now: datetime | None = None,
) -> tuple[PortalInvitation, str]:  # fmt: skip
    """Invite someone of the customer to the portal: an emailed link to set a password, valid a week.

    Returns the invitation and the token (only its hash is stored). A new invitation to the same
    address replaces a pending one."""
    now = now or timezone.now()
    if not can_invite_to(by, customer):
        raise _refuse(_("You may not invite users for this customer."))
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError({"contact": _("The contact must belong to this customer.")})
    if User.objects.filter(email__iexact=email, is_active=True).exists() or User.objects.filter(username__iexact=email).exists():
        raise ValidationError({"email": _("This address already has an account. Ask for a password reset instead.")})
    inviter = portal_account(by)
    if inviter is not None and is_admin and not inviter.is_admin:
        raise _refuse(_("Only a customer admin may invite another customer admin."))
    PortalInvitation.objects.filter(customer=customer, email=email, accepted_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    token = secrets.token_urlsafe(32)
    invitation = PortalInvitation.objects.create(
        email=email, customer=customer, contact=contact, is_admin=is_admin, invited_by=by, token_hash=token_hash(token),
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )  # fmt: skip
    event_record(verb=PORTAL_INVITED, actor=by, customer_id=customer.pk, target=invitation,
                 channel=Channel.PORTAL if inviter else "", payload={"email": email, "admin": is_admin})  # fmt: skip
    if inviter is not None:
        portal_touch(by=by, subject=_("Invited a colleague to the portal: %(email)s") % {"email": email})
    link = site_url.rstrip("/") + reverse("portal:accept", args=[token])
    message = EmailMessage(
        subject=_("Your invitation to the %(company)s customer portal") % {"company": _("Touchpoint")},
        body=_("Hello,\n\n%(inviter)s invites you to the customer portal for %(customer)s. Open this link within "
               "%(days)s days to set your password:\n\n%(link)s\n\nIf you did not expect this mail, ignore it.")
        % {"inviter": by, "customer": customer, "days": INVITATION_DAYS, "link": link},
        to=[email],
    )  # fmt: skip
    transaction.on_commit(lambda: message.send(fail_silently=False))
    return invitation, token


def invitation_for(token: str, *, now: datetime | None = None) -> PortalInvitation:
    """The pending invitation of a token, or a ValidationError that says plainly what is wrong with it."""
    now = now or timezone.now()
    invitation = PortalInvitation.objects.select_related("customer").filter(token_hash=token_hash(token or "")).first()
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid. Check that you copied the whole link from the mail."),
                              code="invalid")  # fmt: skip
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used. Sign in with your password, or reset it."),
                              code="used")  # fmt: skip
    if invitation.expires_at <= now:
        raise ValidationError(_("This invitation has expired. Ask whoever invited you for a new one."), code="expired")
    return invitation


@transaction.atomic
def portal_accept_invitation(*, token: str, password: str, full_name: str, now: datetime | None = None) -> PortalAccount:
    """Accept an invitation: the customer user is created with the password they chose."""
    now = now or timezone.now()
    invitation = invitation_for(token, now=now)
    invitation = PortalInvitation.objects.select_for_update(of=("self",)).select_related("customer", "contact").get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used. Sign in with your password, or reset it."), code="used")
    full_name = (full_name or "").strip() or (invitation.contact.name if invitation.contact else "")
    if not full_name:
        raise ValidationError({"full_name": _("Enter your name.")})
    if User.objects.filter(username__iexact=invitation.email).exists():
        raise ValidationError(_("This address already has an account. Ask for a password reset instead."), code="taken")
    try:
        validate_password(password, User(username=invitation.email, email=invitation.email, full_name=full_name))
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    user = user_create(username=invitation.email, password=password, full_name=full_name[:60], email=invitation.email)
    account = PortalAccount.objects.create(user=user, customer=invitation.customer, contact=invitation.contact,
                                           is_admin=invitation.is_admin, invited_by=invitation.invited_by)  # fmt: skip
    invitation.accepted_at, invitation.account = now, account
    invitation.save(update_fields=["accepted_at", "account", "updated_at"])
    event_record(verb=PORTAL_JOINED, actor=user, customer_id=invitation.customer_id, target=account, channel=Channel.PORTAL,
                 payload={"email": invitation.email})  # fmt: skip
    portal_touch(by=user, subject=_("Joined the customer portal"))
    return account


@transaction.atomic
def portal_deactivate(*, account: PortalAccount, by: Any) -> PortalAccount:
    """End a customer user's access: the account and the user, with every session and token."""
    if not can_manage_account(by, account):
        raise _refuse(_("You may not change this portal user."))
    if not account.is_active:
        return account
    account.is_active, account.deactivated_at = False, timezone.now()
    account.save(update_fields=["is_active", "deactivated_at", "updated_at"])
    user_deactivate(user=account.user, by=by)
    event_record(verb=PORTAL_DEACTIVATED, actor=by, customer_id=account.customer_id, target=account,
                 payload={"user": str(account.user)})  # fmt: skip
    if portal_account(by) is not None:
        portal_touch(by=by, subject=_("Ended the portal access of %(user)s") % {"user": account.user})
    return account


@transaction.atomic
def portal_set_branches(*, account: PortalAccount, branches: list[Customer], by: Any) -> PortalAccount:
    """Grant a customer user the records of some of their customer's branches."""
    if not can_manage_account(by, account):
        raise _refuse(_("You may not change this portal user."))
    if any(branch.parent_id != account.customer_id for branch in branches):
        raise ValidationError({"branches": _("Only branches of the user's own customer can be granted.")})
    account.branches.set(branches)
    return account


# --- What a customer user does ----------------------------------------------------------------------


def portal_touch(*, by: Any, subject: str, notes: str = "", files: list[UploadedFile] | None = None,
                 link_type: str = "", link_id: int | None = None) -> Touchpoint:  # fmt: skip
    """Record a customer user's action as an inbound touchpoint on the portal channel."""
    account = portal_account(by)
    if account is None:
        raise _refuse(_("Only customer users act on the portal."))
    return touchpoint_log(by=by, customer=account.customer, channel=Channel.PORTAL, direction=Direction.INBOUND,
                          subject=subject[:200], notes=notes[:10_000], contacts=[account.contact] if account.contact else [],
                          files=files, link_type=link_type, link_id=link_id)  # fmt: skip


# --- Announcements ---------------------------------------------------------------------------------


@transaction.atomic
def announcement_save(
    *, by: Any, title: str, body: str, audience: str, customers: list[Customer], published_from: datetime,
    published_to: datetime | None, announcement: Announcement | None = None,
) -> Announcement:  # fmt: skip
    from touchpoint.portal.access import may_announce

    if not may_announce(by):
        raise _refuse(_("You may not publish announcements."))
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = _("Give the announcement a title.")
    if not (body or "").strip():
        errors["body"] = _("Write the announcement.")
    if audience not in Audience.values:
        errors["audience"] = _("Choose who sees the announcement.")
    elif audience == Audience.SELECTED and not customers:
        errors["customers"] = _("Choose at least one customer, or show it to all customers.")
    if published_to is not None and published_to <= published_from:
        errors["published_to"] = _("The end must come after the start.")
    if errors:
        raise ValidationError(errors)
    announcement = announcement or Announcement(created_by=by)
    announcement.title, announcement.body, announcement.audience = title.strip(), body.strip(), audience
    announcement.published_from, announcement.published_to = published_from, published_to
    announcement.save()
    announcement.customers.set(customers if audience == Audience.SELECTED else [])
    event_record(verb=ANNOUNCEMENT_SAVED, actor=by, target=announcement, payload={"title": announcement.title})
    return announcement


# --- Service requests from the portal -------------------------------------------------------------


def _checked_files(files: list[UploadedFile]) -> list[UploadedFile]:
    from touchpoint.core.uploads import check_upload

    messages = []
    for upload in files:
        try:
            check_upload(upload)
        except ValidationError as error:
            messages.extend(error.messages)
    if messages:
        raise ValidationError({"files": messages})
    return files


@transaction.atomic
def portal_request_create(
    *, by: Any, subject: str, description: str, category: str, severity: str, impact: str = "few",
    installed_item: Any = None, files: list[UploadedFile] | None = None,
) -> Any:  # fmt: skip
    """A customer user logs a request for their customer: the portal channel, their contact, their files."""
    from touchpoint.service.models import Category
    from touchpoint.service.services.requests import request_create

    account = portal_account(by)
    if account is None:
        raise _refuse(_("Only customer users act on the portal."))
    files = _checked_files(list(files or []))
    if category == Category.COMPLAINT:
        raise ValidationError({"category": _("File a complaint on the complaints page.")})
    customer = account.customer
    if installed_item is not None:
        from touchpoint.portal.access import customer_ids

        if installed_item.customer_id not in customer_ids(by):
            raise ValidationError({"installed_item": _("Choose one of your own installed modules.")})
        customer = installed_item.customer
    contact = account.contact if account.contact is not None and account.contact.customer_id == customer.pk else None
    request = request_create(by=by, customer=customer, subject=subject, channel=Channel.PORTAL, description=description,
                             contact=contact, requester_email=by.email, installed_item=installed_item, category=category,
                             severity=severity, impact=impact, files=files)  # fmt: skip
    return request


@transaction.atomic
def portal_request_reply(*, by: Any, request: Any, body: str, files: list[UploadedFile] | None = None) -> Any:
    """The customer user writes on their request; a resolved request is reopened by it."""
    from touchpoint.service.services.requests import request_customer_message

    account = portal_account(by)
    if account is None:
        raise _refuse(_("Only customer users act on the portal."))
    files = _checked_files(list(files or []))
    contact = account.contact if account.contact is not None and account.contact.customer_id == request.customer_id else None
    return request_customer_message(request=request, body=body, channel=Channel.PORTAL, by=by, contact=contact, files=files)


@transaction.atomic
def portal_request_confirm(*, by: Any, request: Any) -> Any:
    """The customer confirms the resolution: the resolved request is closed."""
    from touchpoint.service.models import Status
    from touchpoint.service.services.requests import request_set_status

    if portal_account(by) is None:
        raise _refuse(_("Only customer users act on the portal."))
    if request.status != Status.RESOLVED:
        raise ValidationError(_("Only a resolved request can be confirmed."))
    request_set_status(request=request, by=by, status=Status.CLOSED, note=_("The customer confirmed the resolution"))
    portal_touch(by=by, subject=_("%(number)s: resolution confirmed") % {"number": request.number},
                 link_type="service.servicerequest", link_id=request.pk)  # fmt: skip
    return request


@transaction.atomic
def portal_request_reopen(*, by: Any, request: Any, reason: str) -> Any:
    """The customer says the problem is not solved: their reason goes on the request and reopens it."""
    from touchpoint.service.models import Status

    if request.status != Status.RESOLVED:
        raise ValidationError(_("Only a resolved request can be reopened; a closed one needs a new request."))
    if not (reason or "").strip():
        raise ValidationError({"body": _("Say what is still not working.")})
    return portal_request_reply(by=by, request=request, body=reason)


# --- Satisfaction surveys ---------------------------------------------------------------------------


@transaction.atomic
def portal_survey_answer(*, by: Any, survey: Any, score: Any, comment: str = "") -> Any:
    """The customer user answers a survey addressed to them. The service app records the score once
    (and opens the lead's follow-up on a low one); the portal adds its touchpoint in the same
    transaction, so a refused answer leaves no trace at all."""
    from touchpoint.portal.selectors import portal_surveys
    from touchpoint.service.models import SurveyKind
    from touchpoint.service.services.surveys import survey_answer

    if portal_account(by) is None:
        raise _refuse(_("Only customer users act on the portal."))
    if not portal_surveys(by).filter(pk=survey.pk).exists():
        raise _refuse(_("This survey is not addressed to you."))
    answered = survey_answer(score=score, comment=comment, survey=survey, by=by)
    if answered.kind == SurveyKind.CSAT and answered.request is not None:
        subject = _("%(number)s: rated %(score)s of 5") % {"number": answered.request.number, "score": answered.score}
        link_type, link_id = "service.servicerequest", answered.request.pk
    else:
        subject = _("Answered the NPS survey %(period)s: %(score)s of 10") % {"period": answered.period, "score": answered.score}
        link_type, link_id = "service.survey", answered.pk
    portal_touch(by=by, subject=subject, notes=answered.comment, link_type=link_type, link_id=link_id)
    return answered
