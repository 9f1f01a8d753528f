"""Satisfaction surveys: a CSAT survey emailed to the contact when a request is resolved, an NPS
survey to each customer under maintenance once a quarter, answered once through a signed link (or
in the portal). A low score opens a follow-up for the lead."""

import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.extensions import portal_customers
from touchpoint.core.models import EventKind
from touchpoint.core.notifications import notify
from touchpoint.customers.models import Contact, ContactStatus, Customer
from touchpoint.org.models import Department, User
from touchpoint.service.models import (
    CoverageStatus,
    MaintenanceContract,
    ServiceRequest,
    Status,
    Survey,
    SurveyKind,
)
from touchpoint.service.services.flow import owner_lead_id
from touchpoint.touchpoints.services import email_send, followup_create

logger = logging.getLogger(__name__)

SURVEY_SENT = event_type("survey.sent", kind=EventKind.SERVICE, label=gettext_lazy("Satisfaction survey sent"))
SURVEY_ANSWERED = event_type("survey.answered", kind=EventKind.SERVICE, label=gettext_lazy("Satisfaction survey answered"))

TOKEN_SALT = "touchpoint.service.survey"  # noqa: S105  # a namespace for the signature, not a secret
TOKEN_MAX_AGE = timedelta(days=60)
FOLLOWUP_DAYS = 2  # a low score is followed up within two days


class SurveyTokenError(ValidationError):
    """A survey link that cannot be used: forged, expired, or already answered. `code` says which."""


def survey_token(survey: Survey) -> str:
    return signing.dumps({"survey": survey.pk, "kind": survey.kind}, salt=TOKEN_SALT)


def survey_link(survey: Survey) -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/") + reverse("service:survey_answer", args=[survey_token(survey)])


def survey_from_token(token: str) -> Survey:
    """The survey a link is for; a SurveyTokenError with a clear message when it cannot be used."""
    try:
        data = signing.loads(token[:500], salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise SurveyTokenError(_("This survey link has expired."), code="expired") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise SurveyTokenError(_("This survey link is not valid. Please use the link from our email."), code="forged") from None
    survey_id = data.get("survey") if isinstance(data, dict) else None
    surveys = Survey.objects.select_related("customer", "contact", "request")
    survey = surveys.filter(pk=survey_id).first() if isinstance(survey_id, int) else None
    if survey is None:
        raise SurveyTokenError(_("This survey link is not valid. Please use the link from our email."), code="forged")
    return survey


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _send_mail(survey: Survey, by: Any) -> None:
    contact = survey.contact
    if contact is None or not contact.email or contact.do_not_contact or by is None:
        return
    link = survey_link(survey)
    if survey.kind == SurveyKind.CSAT:
        assert survey.request is not None
        subject = _("How did we do? %(number)s %(subject)s") % {"number": survey.request.number, "subject": survey.request.subject}
        body = _("Dear %(name)s,\n\nYour request %(number)s has been resolved. Please tell us how satisfied you are "
                 "(1 to 5), it takes one click:\n\n%(link)s\n\nThank you.") % {
            "name": contact.name, "number": survey.request.number, "link": link}  # fmt: skip
    else:
        subject = _("Would you recommend us? A one-question survey")
        body = _("Dear %(name)s,\n\nHow likely are you to recommend us to a colleague (0 to 10)? Answer here:\n\n"
                 "%(link)s\n\nThank you.") % {"name": contact.name, "link": link}  # fmt: skip
    email_send(by=by, contact=contact, subject=subject, body=body, link_type="service.survey", link_id=survey.pk)


@transaction.atomic
def survey_send_for_request(*, request: ServiceRequest, by: Any) -> Survey | None:
    """Create the CSAT survey of a resolved request and email its link to the contact. Idempotent:
    a second call returns the survey already sent. None when the request has no customer."""
    if request.status not in (Status.RESOLVED, Status.CLOSED):
        raise ValidationError({"request": _("A satisfaction survey goes out only once the request is resolved.")})
    if request.customer_id is None:
        return None
    existing = Survey.objects.filter(kind=SurveyKind.CSAT, request=request).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            survey = Survey.objects.create(kind=SurveyKind.CSAT, customer_id=request.customer_id, contact=request.contact,
                                           request=request, sent_at=timezone.now())  # fmt: skip
    except IntegrityError:  # sent by a concurrent caller in the meantime
        return Survey.objects.get(kind=SurveyKind.CSAT, request=request)
    _send_mail(survey, by)
    event_record(verb=SURVEY_SENT, actor=by, customer_id=request.customer_id, target=request,
                 payload={"kind": SurveyKind.CSAT, "number": request.number, "survey": survey.pk})  # fmt: skip
    return survey


def survey_send_after_resolve(*, request_id: int, by: Any) -> Survey | None:
    """For `transaction.on_commit` after a request is resolved: send its CSAT survey unless the
    request has moved on meanwhile. A survey that cannot go out never undoes the resolution."""
    request = ServiceRequest.objects.select_related("contact").filter(pk=request_id).first()
    if request is None or request.status != Status.RESOLVED:
        return None
    try:
        return survey_send_for_request(request=request, by=by)
    except ValidationError:
        logger.warning("CSAT survey not sent for request %s", request_id, exc_info=True)
        return None


def _nps_contact(customer: Customer) -> Contact | None:
    contacts = Contact.objects.filter(customer=customer, status=ContactStatus.ACTIVE, do_not_contact=False).exclude(email="")
    order = ["decision_maker", "technical", "user", "influencer", "finance", ""]
    return min(contacts, key=lambda c: (order.index(c.decision_role) if c.decision_role in order else 9, c.pk), default=None)


def nps_send_quarterly(*, today: date | None = None) -> int:
    """Send this quarter's NPS survey to every customer under an active maintenance contract that
    has not had one this quarter. Idempotent: run it daily, each customer is asked once."""
    today = today or timezone.localdate()
    period = quarter_of(today)
    asked = Survey.objects.filter(kind=SurveyKind.NPS, period=period).values("customer_id")
    customer_ids = (MaintenanceContract.objects.filter(status=CoverageStatus.ACTIVE, starts_on__lte=today, ends_on__gte=today)
                    .exclude(customer_id__in=asked).values_list("customer_id", flat=True).distinct())  # fmt: skip
    sent = 0
    for customer in Customer.objects.filter(pk__in=list(customer_ids)).select_related("service_owner", "owner").order_by("pk"):
        contact = _nps_contact(customer)
        sender = customer.service_owner or customer.owner
        if contact is None or sender is None:
            continue
        with transaction.atomic():
            try:
                with transaction.atomic():
                    survey = Survey.objects.create(kind=SurveyKind.NPS, customer=customer, contact=contact, period=period,
                                                   sent_at=timezone.now())  # fmt: skip
            except IntegrityError:
                continue
            _send_mail(survey, sender)
            event_record(verb=SURVEY_SENT, actor=None, customer_id=customer.pk, target=survey,
                         payload={"kind": SurveyKind.NPS, "period": period, "survey": survey.pk})  # fmt: skip
            sent += 1
    return sent


def _lead_for(survey: Survey) -> User | None:
    """Who follows a low score up: the case owner's lead for a request, else the maintenance head,
    else the customer's service owner or account owner."""
    lead_id = owner_lead_id(survey.request) if survey.request is not None else None
    if lead_id is None:
        lead_id = Department.objects.filter(code="maintenance").values_list("head_id", flat=True).first()
    if lead_id is None:
        lead_id = survey.customer.service_owner_id or survey.customer.owner_id
    return User.objects.filter(pk=lead_id, is_active=True).first() if lead_id else None


@transaction.atomic
def survey_answer(*, score: Any, comment: str = "", token: str | None = None, survey: Survey | None = None, by: Any = None) -> Survey:
    """Record the answer, once. A reused, forged or expired token changes nothing and says why."""
    if survey is None:
        if not token:
            raise SurveyTokenError(_("This survey link is not valid. Please use the link from our email."), code="forged")
        survey = survey_from_token(token)
    locked = Survey.objects.select_for_update(of=("self",)).select_related("customer", "request").get(pk=survey.pk)
    if locked.is_answered:
        raise SurveyTokenError(_("This survey has already been answered. Thank you."), code="answered")
    customers = portal_customers(by) if by is not None else None
    if customers is not None and locked.customer_id not in customers:
        raise SurveyTokenError(_("This survey link is not valid. Please use the link from our email."), code="forged")
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        value = None
    if value is None or not locked.min_score <= value <= locked.max_score:
        bounds = {"low": locked.min_score, "high": locked.max_score}
        raise ValidationError({"score": _("Choose a score from %(low)s to %(high)s.") % bounds})
    locked.score, locked.comment = value, (comment or "").strip()[:5000]
    locked.answered_at = timezone.now()
    locked.answered_by = by if by is not None and getattr(by, "is_authenticated", False) else None
    if locked.is_low:
        lead = _lead_for(locked)
        if lead is not None:
            what = locked.request.number if locked.request is not None else locked.period
            locked.followup = followup_create(
                by=locked.answered_by or lead, customer=locked.customer, assignee=lead, contact=locked.contact,
                due_on=timezone.localdate() + timedelta(days=FOLLOWUP_DAYS),
                subject=_("Low %(kind)s score %(score)s: %(what)s") % {"kind": locked.get_kind_display(), "score": value, "what": what},
                notes=locked.comment,
            )  # fmt: skip
            notify(lead.pk, f"survey:{locked.pk}:low",
                   _("Low %(kind)s score from %(customer)s: %(score)s") % {
                       "kind": locked.get_kind_display(), "customer": locked.customer.display_name, "score": value},
                   f"/followups/{locked.followup.pk}/")  # fmt: skip
    locked.save()
    event_record(verb=SURVEY_ANSWERED, actor=locked.answered_by, customer_id=locked.customer_id,
                 target=locked.request if locked.request is not None else locked,
                 payload={"kind": locked.kind, "score": value, "comment": locked.comment[:300], "low": locked.is_low,
                          "number": locked.request.number if locked.request is not None else "", "period": locked.period})  # fmt: skip
    return locked
