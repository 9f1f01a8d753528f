import shutil
import subprocess
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from touchpoint.core.extensions import BLOCK, CheckResult, quote_checks
from touchpoint.core.models import Event, Notification
from touchpoint.core.numbering import next_number
from touchpoint.sales.models import ApprovalStatus, DiscountApproval, Quote, QuoteStatus
from touchpoint.sales.services.quote_pdf import quote_pdf
from touchpoint.sales.services.quotes import (
    approval_decide,
    line_amounts,
    quote_accept,
    quote_create,
    quote_from_bundle,
    quote_line_add,
    quote_line_update,
    quote_revise,
    quote_send,
    quote_submit,
    quote_withdraw,
    quotes_expire,
)
from touchpoint.touchpoints.models import Touchpoint


def drafted(personas, opportunity, catalogue, discount="0") -> Quote:
    quote = quote_create(opportunity=opportunity, by=personas.sales_rep, contact=personas.contact_a)
    quote_line_add(quote=quote, by=personas.sales_rep, module=catalogue["trade-core"], discount_percent=Decimal(discount))
    return Quote.objects.get(pk=quote.pk)


@pytest.mark.django_db
def test_a_licence_line_takes_the_list_price_and_the_totals_follow(personas, opportunity, catalogue):
    quote = drafted(personas, opportunity, catalogue, discount="10")
    line = quote.lines.get()
    assert line.unit_price == Decimal("800000.00")
    assert line.net_amount == Decimal("720000.00")
    assert line.tax_amount == Decimal("43200.00")  # 6% on software and services
    assert quote.list_total == Decimal("800000.00")
    assert quote.grand_total == Decimal("763200.00")
    assert quote.discount_percent == Decimal("10.00")
    assert quote.number.startswith(f"Q-{timezone.localdate().year}-")


@given(
    lines=st.lists(
        st.tuples(
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000"), places=2),
            st.decimals(min_value=Decimal("0"), max_value=Decimal("5000000"), places=2),
            st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2),
            st.sampled_from([Decimal("0"), Decimal("6"), Decimal("13")]),
        ),
        min_size=1,
        max_size=6,
    )
)
@settings(max_examples=60, deadline=None)
def test_line_amounts_add_up_and_never_exceed_list(lines):
    for quantity, price, discount, rate in lines:
        net, tax, total = line_amounts(quantity=quantity, unit_price=price, discount_percent=discount, tax_rate=rate)
        assert total == net + tax
        assert Decimal(0) <= net <= (quantity * price).quantize(Decimal("0.01")) + Decimal("0.01")
        assert tax == (net * rate / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        if discount == 100:
            assert net == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("quantity", {"quantity": Decimal("-1")}),
        ("unit_price", {"unit_price": Decimal("-5")}),
        ("discount_percent", {"discount_percent": Decimal("100.5")}),
    ],
)
def test_bad_line_values_are_refused_and_nothing_changes(personas, opportunity, catalogue, field, values):
    quote = drafted(personas, opportunity, catalogue)
    with pytest.raises(ValidationError) as error:
        quote_line_add(quote=quote, by=personas.sales_rep, module=catalogue["trade-risk"], **values)
    assert field in error.value.message_dict
    assert quote.lines.count() == 1
    assert Quote.objects.get(pk=quote.pk).grand_total == quote.grand_total


@pytest.mark.django_db
def test_within_the_reps_limit_the_quote_is_approved_at_once(personas, opportunity, catalogue):
    quote = quote_submit(quote=drafted(personas, opportunity, catalogue, discount="8"), by=personas.sales_rep)
    assert quote.status == QuoteStatus.APPROVED
    assert not DiscountApproval.objects.exists()


@pytest.mark.django_db
def test_a_discount_above_the_limit_waits_for_the_manager_who_is_notified(personas, opportunity, catalogue):
    quote = quote_submit(quote=drafted(personas, opportunity, catalogue, discount="18"), by=personas.sales_rep,
                         reason="竞品报价低")  # fmt: skip
    assert quote.status == QuoteStatus.PENDING_APPROVAL
    approval = DiscountApproval.objects.get(quote=quote)
    assert approval.limit_percent == Decimal("10.00")
    assert Notification.objects.filter(recipient=personas.sales_manager, url=f"/sales/quotes/{quote.pk}/").exists()
    with pytest.raises(ValidationError):
        approval_decide(approval=approval, by=personas.sales_rep, approve=True)  # not your own
    with pytest.raises(ValidationError) as error:
        approval_decide(approval=approval, by=personas.sales_manager, approve=False)
    assert "comment" in error.value.message_dict
    approval_decide(approval=approval, by=personas.sales_manager, approve=True, comment="同意")
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.APPROVED
    assert Notification.objects.filter(recipient=personas.sales_rep).exists()
    assert Event.objects.filter(verb="quote.approved", customer=personas.customer_a).exists()


@pytest.mark.django_db
def test_a_rejected_discount_sends_the_quote_back_to_draft(personas, opportunity, catalogue):
    quote = quote_submit(quote=drafted(personas, opportunity, catalogue, discount="30"), by=personas.sales_rep)
    approval = DiscountApproval.objects.get(quote=quote)
    approval_decide(approval=approval, by=personas.sales_manager, approve=False, comment="折扣过大")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT
    quote_line_update(line=quote.lines.get(), by=personas.sales_rep, discount_percent=Decimal("9"))
    assert quote_submit(quote=quote, by=personas.sales_rep).status == QuoteStatus.APPROVED


@pytest.mark.django_db
def test_withdrawing_a_request_closes_it(personas, opportunity, catalogue):
    quote = quote_submit(quote=drafted(personas, opportunity, catalogue, discount="30"), by=personas.sales_rep)
    quote_withdraw(quote=quote, by=personas.sales_rep)
    assert DiscountApproval.objects.get(quote=quote).status == ApprovalStatus.WITHDRAWN


@pytest.mark.django_db
def test_a_registered_check_that_blocks_stops_the_submission(personas, opportunity, catalogue):
    quote_checks["test-block"] = lambda quote, user: CheckResult("test", BLOCK, "客户信用冻结")
    try:
        with pytest.raises(ValidationError) as error:
            quote_submit(quote=drafted(personas, opportunity, catalogue), by=personas.sales_rep)
    finally:
        del quote_checks["test-block"]
    assert error.value.message_dict["status"] == ["客户信用冻结"]
    assert Quote.objects.get().status == QuoteStatus.DRAFT


@pytest.mark.django_db
def test_a_sent_quote_cannot_be_edited_and_revising_makes_v2(personas, opportunity, catalogue):
    quote = quote_submit(quote=drafted(personas, opportunity, catalogue), by=personas.sales_rep)
    quote = quote_send(quote=quote, by=personas.sales_rep, contact=personas.contact_a, subject="报价单", body="请查收")
    with translation.override("en"), pytest.raises(ValidationError) as error:
        quote_line_add(quote=quote, by=personas.sales_rep, module=catalogue["trade-risk"])
    assert "Revise" in error.value.message_dict["status"][0]
    revision = quote_revise(quote=quote, by=personas.sales_rep)
    assert (revision.number, revision.revision, revision.status) == (quote.number, 2, QuoteStatus.DRAFT)
    assert revision.grand_total == quote.grand_total
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.SUPERSEDED
    with pytest.raises(ValidationError):
        quote_revise(quote=Quote.objects.get(pk=quote.pk), by=personas.sales_rep)


@pytest.mark.django_db
def test_sending_mails_the_pdf_and_logs_an_email_touchpoint(personas, opportunity, catalogue, django_capture_on_commit_callbacks):
    quote = quote_submit(quote=drafted(personas, opportunity, catalogue), by=personas.sales_rep)
    with django_capture_on_commit_callbacks(execute=True):
        quote = quote_send(quote=quote, by=personas.sales_rep, contact=personas.contact_a, subject="报价单", body="请查收")
    assert quote.status == QuoteStatus.SENT and quote.sent_at is not None
    message = mail.outbox[-1]
    assert message.to == [personas.contact_a.email]
    name, content, kind = message.attachments[0]
    assert name == f"{quote.number}-v1.pdf" and content.startswith(b"%PDF") and kind == "application/pdf"
    touchpoint = Touchpoint.objects.get(link_type="sales.quote", link_id=quote.pk)
    assert touchpoint.channel == "email" and touchpoint.attachments.count() == 1


@pytest.mark.django_db
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_pdf_is_in_chinese_with_the_totals(personas, opportunity, catalogue, tmp_path):
    quote = drafted(personas, opportunity, catalogue, discount="10")
    path = tmp_path / "q.pdf"
    path.write_bytes(quote_pdf(quote))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "报价单" in text
    assert "集中交易核心" in text
    assert "763,200.00" in text, text
    assert quote.customer.name in text


@pytest.mark.django_db
def test_accepting_closes_the_quote_and_expiry_runs_once(personas, opportunity, catalogue):
    quote = quote_submit(quote=drafted(personas, opportunity, catalogue), by=personas.sales_rep)
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    assert quotes_expire() == 1
    assert quotes_expire() == 0
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.EXPIRED
    other = quote_submit(quote=drafted(personas, opportunity, catalogue), by=personas.sales_rep)
    with pytest.raises(ValidationError):
        quote_accept(quote=other, by=personas.sales_rep)  # approved, not yet sent
    assert Quote.objects.get(pk=other.pk).status == QuoteStatus.APPROVED


@pytest.mark.django_db
def test_a_bundle_becomes_a_draft_with_licence_services_and_maintenance(personas, opportunity, catalogue):
    quote = quote_from_bundle(opportunity=opportunity, by=personas.sales_rep,
                              modules=[catalogue["trade-core"], catalogue["trade-risk"]], service_days=Decimal("20"))  # fmt: skip
    kinds = list(quote.lines.order_by("order").values_list("kind", "net_amount"))
    assert kinds == [("licence", Decimal("800000.00")), ("licence", Decimal("300000.00")),
                     ("service", Decimal("60000.00")), ("maintenance", Decimal("165000.00"))]  # fmt: skip


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="row locks need PostgreSQL")
def test_numbers_stay_unique_when_drafted_at_the_same_moment():
    numbers: list[str] = []
    barrier = threading.Barrier(4)

    def draw() -> None:
        barrier.wait()
        for _ in range(5):
            numbers.append(next_number("T"))
        connection.close()

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(numbers) == 20 and len(set(numbers)) == 20


@pytest.mark.django_db
def test_a_deep_cut_on_one_licence_line_needs_approval_even_when_the_overall_discount_is_small(personas, opportunity, catalogue):
    quote = quote_create(opportunity=opportunity, by=personas.sales_rep)
    quote_line_add(quote=quote, by=personas.sales_rep, module=catalogue["trade-risk"], discount_percent=Decimal("25"))
    quote_line_add(quote=quote, by=personas.sales_rep, module=catalogue["trade-core"])
    quote_line_add(quote=quote, by=personas.sales_rep, kind="service", description="实施", quantity=Decimal("100"),
                   unit_price=Decimal("3000"))  # fmt: skip
    quote = Quote.objects.get(pk=quote.pk)
    assert quote.discount_percent < Decimal("10")
    quote = quote_submit(quote=quote, by=personas.sales_rep)
    assert quote.status == QuoteStatus.PENDING_APPROVAL
    assert DiscountApproval.objects.get(quote=quote).discount_percent == Decimal("25.00")
