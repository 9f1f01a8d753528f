"""Invoices against payment milestones, credit notes (红字发票) and disputes."""

from datetime import timedelta
from decimal import Decimal

import pytest

from touchpoint.core.models import Event
from touchpoint.finance.models import Invoice, InvoiceKind, InvoiceStatus, VatType
from touchpoint.finance.selectors import invoice_requests
from touchpoint.finance.services.credit import credit_profile_for, credit_profile_update
from touchpoint.finance.services.invoices import (
    credit_note_issue,
    invoice_dispute,
    invoice_issue,
    invoice_set_tax_number,
    milestone_remainder,
    milestone_sync,
    tax_within,
)
from touchpoint.finance.tests.builders import all_milestones_due, days_from_today, fresh, pay, refused, row_counts, today
from touchpoint.finance.tests.conftest import issue
from touchpoint.sales.models import MilestoneStatus, PaymentMilestone
from touchpoint.sales.services.contracts import contract_terminate

pytestmark = pytest.mark.django_db


def test_issuing_without_an_amount_invoices_the_whole_remainder(personas, contract, due_milestone):
    invoice = invoice_issue(milestone=due_milestone, by=personas.finance, tax_number="04412345")

    assert invoice.number.startswith(f"INV-{today().year}-")
    assert invoice.kind == InvoiceKind.INVOICE and invoice.status == InvoiceStatus.OPEN
    assert invoice.amount == Decimal("413400.00") == invoice.open_amount
    assert invoice.tax_rate == Decimal("6") and invoice.tax_amount == Decimal("23400.00")
    assert invoice.customer == personas.customer_a and invoice.owner == contract.owner
    assert invoice.vat_type == VatType.SPECIAL and invoice.currency == "CNY"
    assert fresh(due_milestone).status == MilestoneStatus.INVOICED
    event = Event.objects.get(verb="invoice.issued")
    assert event.customer_id == personas.customer_a.pk and event.actor == personas.finance
    assert event.payload["number"] == invoice.number and event.payload["tax_number"] == "04412345"


def test_partial_invoices_keep_the_request_open_until_the_milestone_is_covered(personas, contract, due_milestone):
    first = issue(due_milestone, personas.finance, "100000.00")

    assert first.amount == Decimal("100000.00")
    assert fresh(due_milestone).status == MilestoneStatus.DUE
    [request] = invoice_requests(personas.finance)
    assert request.pk == due_milestone.pk and request.remainder == Decimal("313400.00")

    rest = issue(due_milestone, personas.finance)

    assert rest.amount == Decimal("313400.00")
    assert fresh(due_milestone).status == MilestoneStatus.INVOICED
    assert list(invoice_requests(personas.finance)) == []
    assert milestone_remainder(due_milestone) == 0


@pytest.mark.parametrize(
    ("amount", "rate", "tax"),
    [
        ("413400.00", "6", "23400.00"),
        ("100.00", "6", "5.66"),
        ("30.00", "6", "1.70"),
        ("0.09", "6", "0.01"),
        ("123456.78", "6", "6988.12"),
        ("1000.00", "13", "115.04"),
        ("7.00", "13", "0.81"),
        ("99999.99", "13", "11504.42"),
        ("123456.78", "13", "14202.99"),
    ],
)
def test_the_tax_inside_an_invoice_is_amount_times_rate_over_100_plus_rate_to_the_cent(
    personas, contract, due_milestone, amount, rate, tax
):
    invoice = invoice_issue(milestone=due_milestone, by=personas.finance, amount=amount, tax_rate=rate)

    stored = fresh(invoice)
    assert stored.amount == Decimal(amount)
    assert stored.tax_rate == Decimal(rate)
    assert stored.tax_amount == Decimal(tax)


def test_an_exact_half_cent_of_tax_is_rounded_up():
    # 0.12 × 60 / 160 = 0.045: half up gives 0.05 where banker's rounding would give 0.04.
    assert tax_within(Decimal("0.12"), Decimal("60")) == Decimal("0.05")
    assert tax_within(Decimal("0.04"), Decimal("60")) == Decimal("0.02")


def test_the_due_date_follows_the_customers_payment_terms(personas, contract, due_milestone):
    profile = credit_profile_for(personas.customer_a)
    credit_profile_update(customer=personas.customer_a, by=personas.finance, expected_version=profile.version,
                          payment_terms_days=45)  # fmt: skip

    invoice = issue(due_milestone, personas.finance, "1000.00", days_ago=10)

    assert invoice.issued_on == today() - timedelta(days=10)
    assert invoice.due_on == invoice.issued_on + timedelta(days=45)


def test_the_default_payment_terms_are_thirty_days(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance)

    assert invoice.due_on == today() + timedelta(days=30)


def test_the_milestone_goes_from_due_to_invoiced_to_paid_as_money_arrives(personas, contract, due_milestone):
    assert due_milestone.status == MilestoneStatus.DUE
    invoice = issue(due_milestone, personas.finance)
    assert fresh(due_milestone).status == MilestoneStatus.INVOICED

    pay(personas.customer_a, personas.finance, "400000.00")
    assert fresh(invoice).status == InvoiceStatus.PARTIAL
    assert fresh(due_milestone).status == MilestoneStatus.INVOICED

    pay(personas.customer_a, personas.finance, "13400.00")
    assert fresh(invoice).status == InvoiceStatus.PAID
    assert milestone_sync(due_milestone.pk) == MilestoneStatus.PAID
    assert fresh(due_milestone).status == MilestoneStatus.PAID


def test_milestone_sync_leaves_pending_and_cancelled_milestones_alone(personas, contract):
    pending = contract.milestones.get(order=2)
    assert milestone_sync(pending.pk) == MilestoneStatus.PENDING
    PaymentMilestone.objects.filter(pk=pending.pk).update(status=MilestoneStatus.CANCELLED)
    assert milestone_sync(pending.pk) == MilestoneStatus.CANCELLED


def test_a_credit_note_reduces_the_open_amount_and_reopens_the_invoice_request(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance)

    note = credit_note_issue(invoice=invoice, by=personas.finance, amount="13400.00", reason="开票金额有误",
                             tax_number="04499999")  # fmt: skip

    assert note.kind == InvoiceKind.CREDIT_NOTE and note.number.startswith("CN-")
    assert note.credited_invoice == invoice and note.status == InvoiceStatus.ISSUED
    assert note.amount == Decimal("13400.00") and note.tax_amount == Decimal("758.49")
    invoice = fresh(invoice)
    assert invoice.credited_amount == Decimal("13400.00")
    assert invoice.open_amount == Decimal("400000.00")
    assert invoice.status == InvoiceStatus.OPEN and invoice.version == 2
    assert fresh(due_milestone).status == MilestoneStatus.DUE
    [request] = invoice_requests(personas.finance)
    assert request.remainder == Decimal("13400.00")
    event = Event.objects.get(verb="invoice.credit_note")
    assert event.payload["credit_note"] == note.number and event.payload["reason"] == "开票金额有误"


def test_a_full_credit_note_marks_the_invoice_credited(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance)

    credit_note_issue(invoice=invoice, by=personas.finance, amount=invoice.amount, reason="作废重开")

    invoice = fresh(invoice)
    assert invoice.open_amount == 0 and invoice.status == InvoiceStatus.CREDITED
    assert milestone_remainder(due_milestone) == Decimal("413400.00")
    again = issue(due_milestone, personas.finance)
    assert again.amount == Decimal("413400.00")


def test_a_credit_note_beyond_the_open_amount_is_refused_and_nothing_changes(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    pay(personas.customer_a, personas.finance, "400000.00")

    with refused("amount"):
        credit_note_issue(invoice=invoice, by=personas.finance, amount="13400.01", reason="多开")

    invoice = fresh(invoice)
    assert invoice.credited_amount == 0 and invoice.open_amount == Decimal("13400.00") and invoice.version == 2


def test_a_credit_note_cannot_correct_another_credit_note(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    note = credit_note_issue(invoice=invoice, by=personas.finance, amount="100.00", reason="折让")

    with refused("invoice"):
        credit_note_issue(invoice=note, by=personas.finance, amount="50.00", reason="再冲红")

    assert fresh(invoice).credited_amount == Decimal("100.00")


def test_a_credit_note_needs_a_reason(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance)

    with refused("reason"):
        credit_note_issue(invoice=invoice, by=personas.finance, amount="100.00", reason="   ")

    assert fresh(invoice).open_amount == invoice.amount


@pytest.mark.parametrize("amount", ["0", "-5.00", "abc", "1.005"])
def test_a_credit_note_with_a_bad_amount_is_refused(personas, contract, due_milestone, amount):
    invoice = issue(due_milestone, personas.finance)

    with refused("amount"):
        credit_note_issue(invoice=invoice, by=personas.finance, amount=amount, reason="冲红")

    assert fresh(invoice).version == 1


def test_a_duplicate_tax_invoice_number_is_a_field_error_and_nothing_is_written(personas, contract, due_milestone):
    issue(due_milestone, personas.finance, "1000.00", tax_number="04412345")
    milestone_before = fresh(due_milestone)

    with refused("tax_number") as caught:
        issue(due_milestone, personas.finance, "1000.00", tax_number=" 04412345 ")

    assert "04412345" in caught.value.message_dict["tax_number"][0]
    assert fresh(due_milestone).status == milestone_before.status
    assert Invoice.objects.filter(tax_number="04412345").count() == 1


def test_a_credit_note_cannot_reuse_a_tax_invoice_number(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance, tax_number="04412345")

    with refused("tax_number"):
        credit_note_issue(invoice=invoice, by=personas.finance, amount="10.00", reason="折让", tax_number="04412345")

    assert fresh(invoice).credited_amount == 0


def test_a_tax_invoice_number_recorded_later_must_be_unique_and_current(personas, contract, due_milestone):
    first = issue(due_milestone, personas.finance, "1000.00", tax_number="04400001")
    second = issue(due_milestone, personas.finance, "1000.00")

    with refused("tax_number"):
        invoice_set_tax_number(invoice=second, by=personas.finance, tax_number="04400001", expected_version=1)
    with refused("version"):
        invoice_set_tax_number(invoice=second, by=personas.finance, tax_number="04400002", expected_version=7)
    with refused("tax_number"):
        invoice_set_tax_number(invoice=second, by=personas.finance, tax_number="04400002; DROP", expected_version=1)

    updated = invoice_set_tax_number(invoice=second, by=personas.finance, tax_number="04400002", expected_version=1)
    assert updated.tax_number == "04400002" and updated.version == 2
    assert fresh(first).tax_number == "04400001"


def test_an_invoice_beyond_the_milestones_remainder_is_refused(personas, contract, due_milestone):
    issue(due_milestone, personas.finance, "400000.00")

    with refused("amount") as caught:
        issue(due_milestone, personas.finance, "13400.01")

    assert "13400.00" in caught.value.message_dict["amount"][0]
    assert fresh(due_milestone).status == MilestoneStatus.DUE
    assert milestone_remainder(due_milestone) == Decimal("13400.00")


def test_a_fully_invoiced_milestone_takes_no_further_invoice(personas, contract, due_milestone):
    issue(due_milestone, personas.finance)

    with refused("amount"):
        issue(due_milestone, personas.finance)
    with refused("amount"):
        issue(due_milestone, personas.finance, "0.01")


def test_a_milestone_not_yet_due_cannot_be_invoiced(personas, contract):
    pending = contract.milestones.get(order=2)

    with refused("milestone"):
        issue(pending, personas.finance)

    assert fresh(pending).status == MilestoneStatus.PENDING


def test_a_cancelled_milestone_cannot_be_invoiced(personas, contract):
    cancelled = contract.milestones.get(order=2)
    PaymentMilestone.objects.filter(pk=cancelled.pk).update(status=MilestoneStatus.CANCELLED)

    with refused("milestone"):
        issue(cancelled, personas.finance)


def test_a_terminated_contract_is_not_invoiced(personas, contract, due_milestone):
    contract_terminate(contract=contract, by=personas.sales_manager, reason="客户取消项目")

    with refused("milestone"):
        issue(due_milestone, personas.finance)


@pytest.mark.parametrize("amount", ["0", "0.00", "-1", "-0.01", "abc", "1.005", "12.345", "NaN", "Infinity", "1e20", "1e-3"])
def test_a_bad_amount_is_refused_with_a_field_error(personas, contract, due_milestone, amount):
    with refused("amount"):
        issue(due_milestone, personas.finance, amount)

    assert fresh(due_milestone).status == MilestoneStatus.DUE


@pytest.mark.parametrize("amount", [Decimal("-100"), 0, -3, Decimal("0.001")])
def test_bad_amounts_given_as_numbers_are_refused_too(personas, contract, due_milestone, amount):
    with refused("amount"):
        invoice_issue(milestone=due_milestone, by=personas.finance, amount=amount)


def test_an_issue_date_in_the_future_is_refused(personas, contract, due_milestone):
    with refused("issued_on"):
        invoice_issue(milestone=due_milestone, by=personas.finance, issued_on=days_from_today(1))


def test_an_invoice_in_another_currency_than_the_contract_is_refused(personas, contract, due_milestone):
    with refused("currency") as caught:
        invoice_issue(milestone=due_milestone, by=personas.finance, amount="1000.00", currency="USD")

    assert "CNY" in caught.value.message_dict["currency"][0]


@pytest.mark.parametrize("rate", ["-1", "100", "6.125", "six"])
def test_a_bad_tax_rate_is_refused(personas, contract, due_milestone, rate):
    with refused("tax_rate"):
        invoice_issue(milestone=due_milestone, by=personas.finance, amount="1000.00", tax_rate=rate)


def test_an_unknown_vat_type_is_refused(personas, contract, due_milestone):
    with refused("vat_type"):
        invoice_issue(milestone=due_milestone, by=personas.finance, amount="1000.00", vat_type="other")


def test_an_ordinary_vat_invoice_for_goods_at_13_percent(personas, contract, due_milestone):
    invoice = invoice_issue(milestone=due_milestone, by=personas.finance, amount="113000.00", tax_rate="13",
                            vat_type=VatType.ORDINARY)  # fmt: skip

    assert invoice.vat_type == VatType.ORDINARY and invoice.tax_amount == Decimal("13000.00")


def test_every_milestone_of_the_contract_can_be_invoiced_once_due_and_the_total_matches_the_contract(personas, contract):
    milestones = all_milestones_due(contract, personas.sales_rep)

    invoices = [issue(milestone, personas.finance) for milestone in milestones]

    assert sum(i.amount for i in invoices) == contract.amount
    assert {fresh(m).status for m in milestones} == {MilestoneStatus.INVOICED}


def test_a_dispute_is_marked_with_a_reason_and_then_settled(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance)

    with refused("reason"):
        invoice_dispute(invoice=invoice, by=personas.finance, disputed=True, reason="")
    disputed = invoice_dispute(invoice=invoice, by=personas.finance, disputed=True, reason="客户对验收范围有异议")

    assert disputed.disputed and disputed.dispute_reason == "客户对验收范围有异议" and disputed.version == 2
    assert Event.objects.filter(verb="invoice.disputed", customer=personas.customer_a).count() == 1
    with refused("disputed"):
        invoice_dispute(invoice=invoice, by=personas.finance, disputed=True, reason="再次")

    settled = invoice_dispute(invoice=invoice, by=personas.finance, disputed=False)

    assert not settled.disputed and settled.dispute_reason == "" and settled.version == 3
    assert Event.objects.filter(verb="invoice.dispute_cleared").count() == 1
    assert settled.open_amount == invoice.amount


def test_a_dispute_counts_in_the_customers_risk(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance)

    invoice_dispute(invoice=invoice, by=personas.finance, disputed=True, reason="金额有异议")

    profile = credit_profile_for(personas.customer_a)
    assert profile.risk_factors["disputes"] == 1 and profile.risk_factors["dispute_points"] == 10


def test_a_credit_note_cannot_be_disputed(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    note = credit_note_issue(invoice=invoice, by=personas.finance, amount="10.00", reason="折让")

    with refused("invoice"):
        invoice_dispute(invoice=note, by=personas.finance, disputed=True, reason="异议")


def test_refused_invoices_leave_no_number_gap_behind(personas, contract, due_milestone):
    with refused("amount"):
        issue(due_milestone, personas.finance, "999999999.00")

    invoice = issue(due_milestone, personas.finance, "10.00")

    assert invoice.number == f"INV-{today().year}-000001"
    assert row_counts()["finance.Invoice"] == 1


@pytest.mark.parametrize("number", ["含中文的号码", "4403 0001", "-4403", "44\u00b9"])
def test_a_tax_number_is_ascii_letters_digits_and_dashes_only(personas, contract, due_milestone, number):
    with refused("tax_number"):
        invoice_issue(milestone=due_milestone, by=personas.finance, amount="1000.00", tax_number=number)


def test_recording_the_tax_number_later_is_an_event(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance, "1000.00")
    invoice_set_tax_number(invoice=invoice, by=personas.finance, tax_number="44031234", expected_version=invoice.version)
    event = Event.objects.filter(verb="invoice.tax_number").get()
    assert (event.target_id, event.payload["tax_number"], event.payload["previous"]) == (invoice.pk, "44031234", "")
