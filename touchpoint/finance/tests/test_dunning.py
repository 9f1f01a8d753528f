"""The daily dunning run, with its mail caught by a real SMTP server on 127.0.0.1."""

import socket
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import translation
from django.utils.translation import gettext

from touchpoint.core.models import Channel, Event, Notification
from touchpoint.customers.models import ContactStatus
from touchpoint.finance.models import DunningItem, DunningLetter, DunningLevel, LetterStatus
from touchpoint.finance.services.credit import credit_profile_for, credit_profile_update, dunning_pause_set
from touchpoint.finance.services.dunning import dunning_run
from touchpoint.finance.services.invoices import credit_note_issue, invoice_dispute
from touchpoint.finance.tests.builders import contract_for, finance_contact, pay, today
from touchpoint.finance.tests.conftest import issue
from touchpoint.sales.models import Contract
from touchpoint.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


@dataclass
class Envelopes:
    """What the SMTP server accepted, as (recipients, parsed message)."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for recipients, message in self.received if address in recipients]


def subject_of(message: EmailMessage) -> str:
    # A folded encoded subject unfolds with the folding space in front; mail clients drop it.
    return str(message["subject"]).strip()


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.fixture
def sink(settings):
    envelopes = Envelopes()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(envelopes, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield envelopes
    controller.stop()


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run dunning as the scheduler would, sending the mail its transactions leave behind."""

    def go(**kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return dunning_run(**kwargs)

    return go


@pytest.fixture
def contract_b(personas, catalogue, contract) -> Contract:
    return contract_for(personas.customer_b, personas.other_rep, personas, [catalogue["trade-risk"]])


@pytest.fixture
def contacts(personas):
    """Finance contacts of both customers; customer B reads its reminders in English."""
    a = finance_contact(personas.customer_a, personas.sales_rep, "caiwu@htsc.example", name="陈会计")
    b = finance_contact(personas.customer_b, personas.other_rep, "finance@csc.example", name="Liu Yang")
    profile = credit_profile_for(personas.customer_b)
    credit_profile_update(customer=personas.customer_b, by=personas.finance, expected_version=profile.version,
                          dunning_language="en")  # fmt: skip
    return a, b


def letter_of(customer, days: int) -> DunningLetter:
    return DunningLetter.objects.get(customer=customer, level__days=days)


def in_language(language: str, text: str, **values: Any) -> str:
    with translation.override(language):
        return gettext(text) % values


def test_a_reminder_before_the_due_date_and_an_overdue_notice_reach_the_finance_contact_in_chinese(
    personas, contract, due_milestone, contacts, sink, run
):
    coming = issue(due_milestone, personas.finance, "100000.00", tax_number="04410001", due_days_ago=-3)
    late = issue(due_milestone, personas.finance, "20000.00", days_ago=35, due_days_ago=5)

    result = run()

    assert (result.letters, result.invoices, result.no_contact, result.by_level) == (2, 2, 0, {-7: 1, 1: 1})
    [reminder, notice] = sorted(sink.to("caiwu@htsc.example"), key=lambda m: "逾期" in subject_of(m))
    assert len(sink.received) == 2
    assert subject_of(reminder) == "付款提醒：1 张发票即将到期"
    text = body_of(reminder)
    assert text.startswith("陈会计您好：") and "合计 100,000.00 CNY" in text and "触点软件科技有限公司 财务部" in text
    assert f"{coming.number} / 04410001  100,000.00 CNY" in text
    assert in_language("zh-hans", "due on %(date)s", date=coming.due_on) in text
    assert subject_of(notice) == "逾期通知：20,000.00 CNY 已到期未付"
    text = body_of(notice)
    assert late.number in text and "合计 20,000.00 CNY" in text and f"截至 {today().isoformat()}" in text
    assert in_language("zh-hans", "%(days)s days overdue", days=5) in text
    assert coming.number not in text
    letter = letter_of(personas.customer_a, 1)
    assert (letter.status, letter.email, letter.language, letter.total) == (LetterStatus.SENT, "caiwu@htsc.example", "zh-hans", 20000)
    assert letter.subject == subject_of(notice) and letter.contact == contacts[0]
    assert list(letter.items.values_list("invoice_id", "open_amount")) == [(late.pk, 20000)]


def test_an_english_speaking_customer_gets_the_english_letter_whatever_language_is_active(
    personas, contract_b, contacts, sink, run
):
    late = issue(contract_b.milestones.get(order=1), personas.finance, days_ago=40, due_days_ago=5)

    with translation.override("zh-hans"):
        run()

    [message] = sink.to("finance@csc.example")
    assert subject_of(message) == "Overdue: 95,400.00 CNY is past due"
    text = body_of(message)
    assert text.startswith("Dear Liu Yang,")
    assert f"the following invoices of {personas.customer_b.name} are overdue, 95,400.00 CNY in all" in text
    assert f"{late.number}  95,400.00 CNY  (5 days overdue)" in text
    assert "Touchpoint Software Co., Ltd., Finance" in text  # English letters sign with COMPANY_NAME_EN
    assert letter_of(personas.customer_b, 1).language == "en"


def test_an_edited_template_can_name_the_customer(personas, contract, due_milestone, contacts, sink, run):
    DunningLevel.objects.filter(days=1).update(subject_zh="{customer}：{count} 张发票已逾期",
                                               body_zh="{customer} {contact}：{invoices}\n{unknown} {__class__}")  # fmt: skip
    late = issue(due_milestone, personas.finance, "500.00", due_days_ago=2)

    run()

    [message] = sink.to("caiwu@htsc.example")
    assert subject_of(message) == f"{personas.customer_a.name}：1 张发票已逾期"
    text = body_of(message)
    assert text.startswith(f"{personas.customer_a.name} 陈会计：- {late.number}")
    assert "{unknown} {__class__}" in text  # placeholders it does not know stay as written


def test_each_letter_is_logged_as_an_outbound_email_touchpoint_on_the_customer(personas, contract, due_milestone, contacts, sink, run):
    issue(due_milestone, personas.finance, "20000.00", due_days_ago=5)

    run()

    letter = letter_of(personas.customer_a, 1)
    touchpoint = Touchpoint.objects.get(pk=letter.touchpoint_id)
    assert touchpoint.customer == personas.customer_a and touchpoint.channel == Channel.EMAIL
    assert touchpoint.direction == "out" and touchpoint.subject == letter.subject and touchpoint.notes == letter.body
    assert touchpoint.email_to == "caiwu@htsc.example" and list(touchpoint.contacts.all()) == [contacts[0]]
    assert (touchpoint.link_type, touchpoint.link_id) == ("finance.dunningletter", letter.pk)
    [message] = sink.to("caiwu@htsc.example")
    assert message["Message-ID"] == touchpoint.email_message_id
    assert Event.objects.filter(verb="dunning.sent", customer=personas.customer_a, target_id=letter.pk).count() == 1


def test_the_rep_and_finance_are_told_in_the_app(personas, contract, due_milestone, contacts, sink, run):
    issue(due_milestone, personas.finance, "20000.00", due_days_ago=5)

    run()

    letter = letter_of(personas.customer_a, 1)
    told = set(Notification.objects.filter(key__startswith=f"dunning:{letter.pk}:").values_list("recipient__username", flat=True))
    assert told == {"rep", "finance"}
    note = Notification.objects.get(recipient=personas.sales_rep)
    assert "20,000.00" in note.text and personas.customer_a.name in note.text
    assert note.url == f"/finance/customers/{personas.customer_a.pk}/"


@pytest.mark.parametrize(
    ("days_late", "level", "told"),
    [
        (35, 30, {"rep", "finance", "salesmgr"}),
        (65, 60, {"rep", "finance", "salesmgr", "exec"}),
    ],
)
def test_later_notices_escalate_to_the_sales_manager_and_then_the_executives(
    personas, contract, due_milestone, contacts, sink, run, days_late, level, told
):
    issue(due_milestone, personas.finance, "20000.00", days_ago=days_late + 30, due_days_ago=days_late)

    result = run()

    assert result.by_level == {level: 1}
    letter = letter_of(personas.customer_a, level)
    assert set(Notification.objects.filter(key__startswith=f"dunning:{letter.pk}:").values_list("recipient__username", flat=True)) == told
    [message] = sink.to("caiwu@htsc.example")
    assert "逾期超过" in subject_of(message)


def test_a_customer_whose_rep_has_no_team_lead_escalates_to_no_manager(personas, contract_b, contacts, sink, run):
    issue(contract_b.milestones.get(order=1), personas.finance, days_ago=70, due_days_ago=35)

    run()

    letter = letter_of(personas.customer_b, 30)
    assert set(Notification.objects.filter(key__startswith=f"dunning:{letter.pk}:").values_list("recipient__username", flat=True)) == {
        "rep2", "finance",
    }  # fmt: skip


def test_running_twice_sends_nothing_twice_and_a_later_level_still_goes_out(personas, contract, due_milestone, contacts, sink, run):
    late = issue(due_milestone, personas.finance, "20000.00", due_days_ago=5)
    run()
    counts = (len(sink.received), DunningLetter.objects.count(), Notification.objects.count(), Touchpoint.objects.count())

    again = run()

    assert again.letters == 0
    assert (len(sink.received), DunningLetter.objects.count(), Notification.objects.count(), Touchpoint.objects.count()) == counts

    later = run(today=today() + timedelta(days=25))  # now 30 days late: the second notice

    assert later.by_level == {30: 1}
    assert len(sink.received) == counts[0] + 1
    assert list(DunningItem.objects.filter(invoice=late).order_by("level__days").values_list("level__days", flat=True)) == [1, 30]
    assert run(today=today() + timedelta(days=25)).letters == 0


def test_an_invoice_already_chased_at_a_higher_level_is_not_sent_a_lower_one(personas, contract, due_milestone, contacts, sink, run):
    issue(due_milestone, personas.finance, "20000.00", due_days_ago=45)
    run()
    assert DunningLetter.objects.get().level.days == 30

    assert run(today=today() - timedelta(days=14)).letters == 0  # a run for an earlier day finds it covered


def test_paused_customers_and_disputed_invoices_are_left_alone(personas, contract, due_milestone, contract_b, contacts, sink, run):
    disputed = issue(due_milestone, personas.finance, "20000.00", due_days_ago=5)
    invoice_dispute(invoice=disputed, by=personas.finance, disputed=True, reason="验收有争议")
    issue(contract_b.milestones.get(order=1), personas.finance, due_days_ago=5)
    dunning_pause_set(customer=personas.customer_b, by=personas.finance, on=True, reason="已签还款协议")

    result = run()

    assert result.letters == 0 and sink.received == [] and DunningLetter.objects.count() == 0
    assert not Notification.objects.filter(key__startswith="dunning:").exists()

    dunning_pause_set(customer=personas.customer_b, by=personas.finance, on=False)
    assert run().letters == 1
    assert [recipients for recipients, _message in sink.received] == [["finance@csc.example"]]


def test_paid_credited_and_far_off_invoices_are_not_chased(personas, contract, due_milestone, contacts, sink, run):
    paid = issue(due_milestone, personas.finance, "1000.00", due_days_ago=5)
    pay(personas.customer_a, personas.finance, "1000.00")
    credited = issue(due_milestone, personas.finance, "2000.00", due_days_ago=5)
    credit_note_issue(invoice=credited, by=personas.finance, amount="2000.00", reason="作废")
    issue(due_milestone, personas.finance, "3000.00", due_days_ago=-8)  # due in 8 days: the reminder comes in a day

    assert run().letters == 0 and sink.received == []
    assert run(today=today() + timedelta(days=1)).by_level == {-7: 1}
    assert paid.pk not in DunningItem.objects.values_list("invoice_id", flat=True)


def test_a_switched_off_level_sends_nothing(personas, contract, due_milestone, contacts, sink, run):
    DunningLevel.objects.filter(days=-7).update(is_active=False)
    issue(due_milestone, personas.finance, "1000.00", due_days_ago=-3)

    assert run().letters == 0 and sink.received == []


@pytest.mark.parametrize("contact_change", ["none", "left", "do_not_contact", "no_email"])
def test_a_customer_without_a_finance_contact_gets_no_mail_and_finance_is_told(
    personas, contract, due_milestone, sink, run, contact_change
):
    if contact_change != "none":
        contact = finance_contact(personas.customer_a, personas.sales_rep, "caiwu@htsc.example")
        changes: dict[str, dict[str, Any]] = {"left": {"status": ContactStatus.LEFT}, "do_not_contact": {"do_not_contact": True},
                                              "no_email": {"email": ""}}  # fmt: skip
        type(contact).objects.filter(pk=contact.pk).update(**changes[contact_change])
    late = issue(due_milestone, personas.finance, "20000.00", due_days_ago=5)

    result = run()

    assert (result.letters, result.no_contact) == (1, 1)
    letter = letter_of(personas.customer_a, 1)
    assert (letter.status, letter.email, letter.contact, letter.touchpoint_id) == (LetterStatus.NO_CONTACT, "", None, None)
    assert sink.received == [] and not Touchpoint.objects.filter(link_type="finance.dunningletter").exists()
    assert Event.objects.filter(verb="dunning.no_contact", customer=personas.customer_a).count() == 1
    told = Notification.objects.get(recipient=personas.finance, key=f"dunning:{letter.pk}:{personas.finance.pk}")
    assert personas.customer_a.name in told.text
    assert DunningItem.objects.get(letter=letter).invoice == late


def test_invoices_in_different_currencies_go_in_separate_letters(personas, catalogue, contract, due_milestone, contacts, sink, run):
    usd_contract = contract_for(personas.customer_a, personas.sales_rep, personas, [catalogue["trade-risk"]])
    Contract.objects.filter(pk=usd_contract.pk).update(currency="USD")
    issue(usd_contract.milestones.get(order=1), personas.finance, "1000.00", due_days_ago=5)
    issue(due_milestone, personas.finance, "20000.00", due_days_ago=5)

    result = run()

    assert result.letters == 2
    totals = set(DunningLetter.objects.values_list("currency", "total"))
    assert totals == {("USD", 1000), ("CNY", 20000)}
    assert sorted(subject_of(message) for _to, message in sink.received) == [
        "逾期通知：1,000.00 USD 已到期未付", "逾期通知：20,000.00 CNY 已到期未付",
    ]  # fmt: skip


def test_a_customer_gets_one_overdue_notice_at_the_highest_level_listing_every_late_invoice(
    personas, contract, due_milestone, contacts, sink, run
):
    recent = issue(due_milestone, personas.finance, "20000.00", days_ago=40, due_days_ago=5)
    older = issue(due_milestone, personas.finance, "30000.00", days_ago=80, due_days_ago=45)

    result = run()

    assert (result.letters, result.invoices, result.by_level) == (1, 2, {30: 1})
    [message] = sink.to("caiwu@htsc.example")
    text = body_of(message)
    assert recent.number in text and older.number in text and "合计 50,000.00 CNY" in text
    assert in_language("zh-hans", "%(days)s days overdue", days=5) in text
    assert in_language("zh-hans", "%(days)s days overdue", days=45) in text
    levels = dict(DunningItem.objects.values_list("invoice_id", "level__days"))
    assert levels == {recent.pk: 1, older.pk: 30}  # each invoice is covered at the level it reached
    tomorrow = run(today=today() + timedelta(days=1))
    assert tomorrow.letters == 0 and len(sink.received) == 1


def test_a_refused_mail_marks_the_letter_and_the_next_run_sends_it_again(
    personas, contract, due_milestone, contacts, sink, run, settings
):
    issue(due_milestone, personas.finance, "20000.00", days_ago=40, due_days_ago=5)
    working_port = settings.EMAIL_PORT
    with socket.socket() as probe:  # a port nobody listens on: the mail server is down
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = probe.getsockname()[1]

    first = run()

    letter = DunningLetter.objects.get()
    assert first.letters == 1 and letter.status == LetterStatus.FAILED and sink.received == []
    settings.EMAIL_PORT = working_port

    again = run()

    letter.refresh_from_db()
    assert again.letters == 0 and letter.status == LetterStatus.SENT
    [message] = sink.to("caiwu@htsc.example")
    assert subject_of(message) == letter.subject
    assert run().letters == 0 and len(sink.received) == 1
