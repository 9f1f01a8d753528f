"""Dunning: the daily run that reminds customers of invoices coming due and chases overdue ones.

Each active level sits at a number of days from the due date (−7: a week before; 30: a month late).
An invoice reaches the highest level whose day has come; if no letter has yet covered it at that
level or a higher one, it is due a letter. A customer gets at most one overdue notice per run and
currency, at the highest level any of its invoices reached, listing every invoice due a letter with
how late each is (and at most one "coming due" reminder besides). The letter goes by email to the
customer's finance contact in the customer's reminder language and is logged as an outbound email
touchpoint. The rep and finance are told in the app; higher levels also tell the sales manager and
the executives.

Idempotent: an (invoice, level) pair is covered at most once (a unique row), so a second run on the
same day, or a run racing another, sends nothing twice. Disputed invoices, customers whose dunning
is paused, and credit notes are left alone. A letter whose mail the server refused is marked so and
sent again by the next run.
"""

import logging
import re
import smtplib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import IntegerField, Max, OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import Channel, EventKind, Notification
from touchpoint.core.money import ZERO
from touchpoint.customers.models import Contact, ContactStatus, Customer, DecisionRole
from touchpoint.finance.models import (
    CreditProfile,
    DunningItem,
    DunningLanguage,
    DunningLetter,
    DunningLevel,
    Invoice,
    InvoiceKind,
    LetterStatus,
)
from touchpoint.org.models import Department, Membership, Position, Team, User

DUNNING_SENT = event_type("dunning.sent", kind=EventKind.FINANCE, label=gettext_lazy("Payment reminder sent"))
DUNNING_NO_CONTACT = event_type(
    "dunning.no_contact", kind=EventKind.FINANCE, label=gettext_lazy("Payment reminder not sent: no finance contact")
)
SENDER_USERNAME = "system-dunning"
RETRY_DAYS = 7
logger = logging.getLogger(__name__)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass
class RunResult:
    letters: int = 0
    invoices: int = 0
    no_contact: int = 0
    by_level: dict[int, int] = field(default_factory=dict)


def sender() -> User:
    """The account reminders are logged under: it cannot sign in."""
    user = User.objects.filter(username=SENDER_USERNAME).first()
    if user is None:
        user = User(username=SENDER_USERNAME, full_name="系统催款", is_active=False,
                    department=Department.objects.filter(code="finance").first())  # fmt: skip
        user.set_unusable_password()
        user.save()
    return user


def fill(template: str, values: dict[str, str]) -> str:
    """Replace {name} placeholders with plain values; unknown names stay as they are (no attribute access)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def finance_contact(customer_id: int) -> Contact | None:
    """The customer's finance contact who can take email (the finance decision role), if any."""
    contacts = Contact.objects.filter(customer_id=customer_id, status=ContactStatus.ACTIVE, do_not_contact=False).exclude(email="")
    return contacts.filter(decision_role=DecisionRole.FINANCE).order_by("id").first()


def _reached(levels: list[DunningLevel], overdue_days: int) -> DunningLevel | None:
    reached = None
    for level in levels:
        if overdue_days >= level.days:
            reached = level
    return reached


def due_for_dunning(today: date, levels: list[DunningLevel]) -> dict[tuple[int, str, bool], list[Invoice]]:
    """(customer id, currency, coming due?) → invoices to remind about today, each with `reached`: its level."""
    if not levels:
        return {}
    highest_sent = (
        DunningItem.objects.filter(invoice_id=OuterRef("pk")).order_by().values("invoice_id")
        .annotate(top=Max("level__days")).values("top")
    )  # fmt: skip
    paused = CreditProfile.objects.filter(dunning_paused=True).values("customer_id")
    candidates = (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE, open_amount__gt=0, disputed=False,
                               due_on__lte=today - timedelta(days=levels[0].days))  # fmt: skip
        .exclude(customer_id__in=paused)
        .annotate(top_sent=Subquery(highest_sent, output_field=IntegerField()))
        .only("pk", "number", "customer_id", "owner_id", "due_on", "open_amount", "currency", "issued_on", "tax_number")
        .order_by("customer_id", "due_on", "pk")
    )  # fmt: skip
    grouped: dict[tuple[int, str, bool], list[Invoice]] = defaultdict(list)
    for invoice in candidates.iterator(chunk_size=2000):
        level = _reached(levels, (today - invoice.due_on).days)
        if level is None or (invoice.top_sent is not None and invoice.top_sent >= level.days):
            continue
        if level.is_reminder and invoice.due_on < today:
            continue  # a "coming due" reminder makes no sense once the invoice is late
        invoice.reached = level  # type: ignore[attr-defined]
        grouped[(invoice.customer_id, invoice.currency, level.is_reminder)].append(invoice)
    return grouped


def _invoice_lines(invoices: list[Invoice], today: date) -> str:
    lines = []
    for invoice in invoices:
        late = (today - invoice.due_on).days
        when = (_("%(days)s days overdue") % {"days": late}) if late > 0 else (_("due on %(date)s") % {"date": invoice.due_on})
        lines.append(f"- {invoice.number}{' / ' + invoice.tax_number if invoice.tax_number else ''}  "
                     f"{invoice.open_amount:,.2f} {invoice.currency}  ({when})")  # fmt: skip
    return "\n".join(lines)


def _position_holders() -> dict[str, set[int]]:
    """Active finance officers and executives, read once per run rather than once per letter."""
    holders: dict[str, set[int]] = {Position.FINANCE: set(), Position.EXECUTIVE: set()}
    rows = Membership.objects.filter(position__in=list(holders), user__is_active=True).values_list("position", "user_id")
    for position, user_id in rows:
        holders[position].add(user_id)
    return holders


def _recipients(level: DunningLevel, customer: Customer, invoices: list[Invoice], holders: dict[str, set[int]]) -> set[int]:
    people: set[int] = set()
    if level.notify_rep:
        people |= {i.owner_id for i in invoices} | {customer.owner_id}
    if level.notify_finance:
        people |= holders[Position.FINANCE]
    if level.notify_executive:
        people |= holders[Position.EXECUTIVE]
    if level.notify_manager:
        people |= set(Team.objects.filter(members=customer.owner_id, lead__isnull=False).values_list("lead_id", flat=True))
    return people


def _send_letter(
    customer: Customer, level: DunningLevel, invoices: list[Invoice], today: date, by: User, *, language: str,
    holders: dict[str, set[int]],
) -> DunningLetter:  # fmt: skip
    from touchpoint.touchpoints.services import touchpoint_log

    contact = finance_contact(customer.pk)
    total = sum((i.open_amount for i in invoices), ZERO)
    currency = invoices[0].currency
    with translation.override(language):
        values = {
            "customer": customer.name, "contact": contact.name if contact else "", "total": f"{total:,.2f}",
            "currency": currency, "count": str(len(invoices)), "invoices": _invoice_lines(invoices, today),
            "company": settings.COMPANY_NAME_EN if language == DunningLanguage.ENGLISH else settings.COMPANY_NAME,
            "today": today.isoformat(),
        }  # fmt: skip
        english = language == DunningLanguage.ENGLISH
        subject = fill(level.subject_en if english else level.subject_zh, values)[:200]
        body = fill(level.body_en if english else level.body_zh, values)
    letter = DunningLetter.objects.create(
        customer=customer, level=level, run_on=today, contact=contact, email=contact.email if contact else "",
        language=language, subject=subject, body=body, total=total, currency=currency,
        status=LetterStatus.SENT if contact else LetterStatus.NO_CONTACT,
    )  # fmt: skip
    DunningItem.objects.bulk_create(
        [DunningItem(letter=letter, invoice_id=i.pk, level=getattr(i, "reached", level), open_amount=i.open_amount)
         for i in invoices]  # fmt: skip
    )
    payload = {"level": level.days, "subject": subject, "total": str(total), "currency": currency,
               "invoices": [i.number for i in invoices]}  # fmt: skip
    if contact is None:
        event_record(verb=DUNNING_NO_CONTACT, actor=None, customer_id=customer.pk, target=letter, payload=payload)
        text = _("No payment reminder went to %(customer)s: add a finance contact with an email.") % {"customer": customer.name}
    else:
        message_id = make_msgid(domain="touchpoint.crm")
        touchpoint = touchpoint_log(
            by=by, customer=customer, channel=Channel.EMAIL, direction="out", subject=subject, notes=body,
            contacts=[contact], email_to=contact.email, email_message_id=message_id,
            link_type="finance.dunningletter", link_id=letter.pk,
        )  # fmt: skip
        letter.touchpoint_id = touchpoint.pk
        letter.save(update_fields=["touchpoint_id"])
        event_record(verb=DUNNING_SENT, actor=None, customer_id=customer.pk, target=letter, payload=payload)
        mail = EmailMessage(subject=subject, body=body, to=[contact.email], headers={"Message-ID": message_id})
        transaction.on_commit(lambda: _deliver(letter.pk, mail))
        text = _("Payment reminder (%(level)s) sent to %(customer)s for %(total)s %(currency)s.") % {
            "level": level, "customer": customer.name, "total": f"{total:,.2f}", "currency": currency}
    notices = [Notification(recipient_id=user_id, key=f"dunning:{letter.pk}:{user_id}", text=text[:300],
                            url=f"/finance/customers/{customer.pk}/")  # fmt: skip
               for user_id in sorted(_recipients(level, customer, invoices, holders))]
    Notification.objects.bulk_create(notices, ignore_conflicts=True)
    return letter


def _deliver(letter_id: int, mail: EmailMessage) -> None:
    """Send after commit. A refused or unreachable mail server marks the letter for the next run and
    lets this run go on with the other customers."""
    try:
        mail.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("payment reminder %s not sent: %s", letter_id, error)
        DunningLetter.objects.filter(pk=letter_id).update(status=LetterStatus.FAILED)


def _resend_failed(today: date) -> int:
    """Letters of the last week whose mail failed go out again, as they were written."""
    failed = DunningLetter.objects.filter(status=LetterStatus.FAILED, run_on__gte=today - timedelta(days=RETRY_DAYS))
    count = 0
    for letter in failed.exclude(email="").order_by("pk"):
        mail = EmailMessage(subject=letter.subject, body=letter.body, to=[letter.email],
                            headers={"Message-ID": make_msgid(domain="touchpoint.crm")})  # fmt: skip
        DunningLetter.objects.filter(pk=letter.pk).update(status=LetterStatus.SENT)
        _deliver(letter.pk, mail)
        count += 1
    return count


def dunning_run(*, today: date | None = None) -> RunResult:
    """Send today's reminders; safe to run any number of times."""
    today = today or timezone.localdate()
    levels = list(DunningLevel.objects.filter(is_active=True).order_by("days"))
    result = RunResult()
    _resend_failed(today)
    grouped = due_for_dunning(today, levels)
    if not grouped:
        return result
    by = sender()
    customers = Customer.all_objects.in_bulk({customer_id for customer_id, _currency, _coming in grouped})
    languages = dict(CreditProfile.objects.filter(customer_id__in=list(customers)).values_list("customer_id", "dunning_language"))
    holders = _position_holders()
    for (customer_id, _currency, _coming), invoices in grouped.items():
        level = max((invoice.reached for invoice in invoices), key=lambda reached: reached.days)  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                letter = _send_letter(customers[customer_id], level, invoices, today, by, holders=holders,
                                      language=languages.get(customer_id, DunningLanguage.CHINESE))  # fmt: skip
        except IntegrityError:
            continue  # another run covered these invoices meanwhile
        result.letters += 1
        result.invoices += len(invoices)
        result.no_contact += letter.status == LetterStatus.NO_CONTACT
        result.by_level[level.days] = result.by_level.get(level.days, 0) + 1
    return result
