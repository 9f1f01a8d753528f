"""Credit: profiles, exposure, the credit check on contracts and quotes, finance's override of a block."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from touchpoint.core.extensions import APPROVE, BLOCK, PASS, WARN
from touchpoint.core.models import Event
from touchpoint.finance.models import CreditOverride, CreditPolicy, CreditProfile, Rating
from touchpoint.finance.risk import customer_rescore, rescore_all
from touchpoint.finance.services.credit import (
    credit_check,
    credit_hold_set,
    credit_override,
    credit_profile_for,
    credit_profile_update,
    credit_rating_override,
    dunning_pause_set,
    exposure_of,
    service_hold_set,
)
from touchpoint.finance.services.invoices import credit_note_issue, invoice_dispute
from touchpoint.finance.tests.builders import (
    WATCHED,
    draft_contract,
    draft_quote,
    fresh,
    pay,
    profile_of,
    refused,
    row_counts,
)
from touchpoint.finance.tests.conftest import issue
from touchpoint.sales.models import ContractStatus, DiscountApproval, MilestoneStatus, QuoteStatus
from touchpoint.sales.services.contracts import contract_confirm
from touchpoint.sales.services.quotes import quote_accept, quote_mark_sent, quote_submit

pytestmark = pytest.mark.django_db


def set_limit(customer, limit: str, by) -> CreditProfile:
    profile = credit_profile_for(customer)
    return credit_profile_update(customer=customer, by=by, expected_version=profile.version, credit_limit=limit)


def set_policy(**values) -> CreditPolicy:
    CreditPolicy.objects.filter(pk=CreditPolicy.current().pk).update(**values)
    return CreditPolicy.current()


@pytest.fixture
def open_quotes(personas, catalogue, contract):
    """Customer A's quotes in each state: approved 318,000, sent 530,000, accepted without a contract
    848,000, and a draft; customer B has an approved quote of its own."""
    rep = personas.sales_rep
    approved = quote_submit(quote=draft_quote(personas.customer_a, rep, [catalogue["trade-risk"]]), by=rep)
    sent = quote_mark_sent(quote=quote_submit(quote=draft_quote(personas.customer_a, rep, [catalogue["trade-margin"]]),
                                              by=rep), by=rep)  # fmt: skip
    accepted = draft_quote(personas.customer_a, rep, [catalogue["trade-core"]])
    accepted = quote_accept(quote=quote_mark_sent(quote=quote_submit(quote=accepted, by=rep), by=rep), by=rep)
    draft = draft_quote(personas.customer_a, rep, [catalogue["trade-core"]])
    others = quote_submit(quote=draft_quote(personas.customer_b, personas.other_rep, [catalogue["trade-core"]]),
                          by=personas.other_rep)  # fmt: skip
    assert [q.status for q in (approved, sent, accepted, draft, others)] == [
        QuoteStatus.APPROVED, QuoteStatus.SENT, QuoteStatus.ACCEPTED, QuoteStatus.DRAFT, QuoteStatus.APPROVED,
    ]  # fmt: skip
    return {"approved": approved, "sent": sent, "accepted": accepted, "draft": draft}


# --- Exposure --------------------------------------------------------------------------------


def test_exposure_is_unpaid_invoices_plus_the_unbilled_rest_plus_open_quotes(personas, contract, due_milestone, open_quotes):
    issue(due_milestone, personas.finance, "100000.00")
    pay(personas.customer_a, personas.finance, "40000.00")

    exposure = exposure_of(personas.customer_a.pk)

    assert exposure.unpaid_invoices == Decimal("60000.00")
    assert exposure.unbilled_contracts == Decimal("1278000.00")  # 1,378,000 signed, 100,000 billed
    assert exposure.open_quotes == Decimal("1696000.00")  # 318,000 + 530,000 + 848,000
    assert exposure.total == Decimal("3034000.00")
    assert exposure.currency == "CNY" and exposure.limit == 0
    assert exposure.available is None and exposure.used_percent is None


def test_a_credit_note_moves_exposure_from_billed_back_to_unbilled(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance, "100000.00")

    credit_note_issue(invoice=invoice, by=personas.finance, amount="10000.00", reason="折让")

    exposure = exposure_of(personas.customer_a.pk)
    assert exposure.unpaid_invoices == Decimal("90000.00")
    assert exposure.unbilled_contracts == Decimal("1288000.00")
    assert exposure.total == contract.amount  # what was credited can be invoiced again


@pytest.mark.parametrize(
    ("switched_off", "expected"),
    [
        ("include_unpaid_invoices", {"unpaid_invoices": "0", "unbilled_contracts": "1278000.00", "open_quotes": "1696000.00"}),
        ("include_unbilled_contracts", {"unpaid_invoices": "100000.00", "unbilled_contracts": "0", "open_quotes": "1696000.00"}),
        ("include_open_quotes", {"unpaid_invoices": "100000.00", "unbilled_contracts": "1278000.00", "open_quotes": "0"}),
    ],
)
def test_each_part_of_exposure_can_be_switched_off_in_the_policy(
    personas, contract, due_milestone, open_quotes, switched_off, expected
):
    issue(due_milestone, personas.finance, "100000.00")
    set_policy(**{switched_off: False})

    exposure = exposure_of(personas.customer_a.pk)

    parts = {name: getattr(exposure, name) for name in expected}
    assert parts == {name: Decimal(value) for name, value in expected.items()}
    assert exposure.total == sum(parts.values())


def test_exposure_in_use_against_the_limit(personas, contract):
    set_limit(personas.customer_a, "2756000.00", personas.finance)

    exposure = exposure_of(personas.customer_a.pk)

    assert exposure.total == contract.amount
    assert exposure.available == Decimal("1378000.00") and exposure.used_percent == Decimal("50.00")


def test_a_customer_without_a_profile_is_counted_in_the_default_currency(personas, settings):
    settings.DEFAULT_CURRENCY = "HKD"

    exposure = exposure_of(personas.customer_b.pk)

    assert exposure.currency == "HKD" and exposure.total == 0
    assert not CreditProfile.objects.filter(customer=personas.customer_b).exists()


# --- The credit check ------------------------------------------------------------------------


@pytest.fixture
def second_contract(personas, catalogue, contract):
    """A draft contract of customer A for 318,000, on top of the active 1,378,000 one."""
    return draft_contract(personas.customer_a, personas.sales_rep, [catalogue["trade-risk"]])


@pytest.mark.parametrize(
    ("limit", "outcome"),
    [("0", PASS), ("3000000.00", PASS), ("2120000.00", PASS), ("2000000.00", WARN), ("1696000.00", WARN), ("1695999.99", BLOCK)],
)
def test_the_credit_check_passes_warns_or_blocks_against_the_limit(personas, second_contract, limit, outcome):
    # Exposure 1,378,000 + this contract's 318,000 = 1,696,000; the policy warns above 80% of the limit.
    set_limit(personas.customer_a, limit, personas.finance)

    result = credit_check(second_contract, personas.sales_rep)

    assert result.check == "credit" and result.outcome == outcome
    if outcome == BLOCK:
        assert "1,696,000.00" in result.message and "1,695,999.99" in result.message  # amounts read with separators


def test_a_blocked_contract_waits_in_pending_checks_with_the_reason_in_plain_words(personas, second_contract):
    set_limit(personas.customer_a, "1500000.00", personas.finance)

    held = contract_confirm(contract=second_contract, by=personas.sales_rep)

    assert held.status == ContractStatus.PENDING_CHECKS
    [credit] = [r for r in held.check_results if r["check"] == "credit"]
    assert credit["result"] == BLOCK and "1,500,000.00" in credit["message"]
    assert fresh(held).milestones.get(order=1).status == MilestoneStatus.PENDING


def test_a_credit_hold_blocks_new_business_whatever_the_limit(personas, second_contract):
    credit_hold_set(customer=personas.customer_a, by=personas.finance, on=True, reason="多笔回款逾期")

    result = credit_check(second_contract, personas.sales_rep)

    assert result.outcome == BLOCK and "多笔回款逾期" in result.message


def test_an_invoice_overdue_beyond_the_policy_days_blocks_new_business(personas, due_milestone, second_contract):
    invoice = issue(due_milestone, personas.finance, "1000.00", days_ago=120, due_days_ago=90)
    assert credit_check(second_contract, personas.sales_rep).outcome == PASS

    issue(due_milestone, personas.finance, "1000.00", days_ago=121, due_days_ago=91)

    result = credit_check(second_contract, personas.sales_rep)
    assert result.outcome == BLOCK and "91" in result.message
    set_policy(block_overdue_days=0)
    assert credit_check(second_contract, personas.sales_rep).outcome == PASS
    set_policy(block_overdue_days=90)
    assert fresh(invoice).open_amount == Decimal("1000.00")


def test_a_disputed_overdue_invoice_does_not_block(personas, due_milestone, second_contract):
    invoice = issue(due_milestone, personas.finance, "1000.00", days_ago=200, due_days_ago=150)

    invoice_dispute(invoice=invoice, by=personas.finance, disputed=True, reason="验收未完成")

    assert credit_check(second_contract, personas.sales_rep).outcome == PASS


def test_the_check_of_a_quote_counts_the_other_open_quotes_but_not_itself(personas, catalogue, contract, open_quotes):
    # 1,378,000 unbilled + 1,696,000 open quotes = 3,074,000 before the draft's 848,000.
    set_limit(personas.customer_a, "3922000.00", personas.finance)
    assert credit_check(open_quotes["draft"], personas.sales_rep).outcome == WARN
    # The approved quote's own 318,000 is counted once: 3,074,000 is 78% of the limit.
    assert credit_check(open_quotes["approved"], personas.sales_rep).outcome == PASS

    set_limit(personas.customer_a, "3921999.99", personas.finance)
    assert credit_check(open_quotes["draft"], personas.sales_rep).outcome == BLOCK


def test_a_blocked_quote_is_not_submitted(personas, catalogue, contract):
    set_limit(personas.customer_a, "1000000.00", personas.finance)
    quote = draft_quote(personas.customer_a, personas.sales_rep, [catalogue["trade-risk"]])

    with refused("status"):
        quote_submit(quote=quote, by=personas.sales_rep)

    assert fresh(quote).status == QuoteStatus.DRAFT


def high_risk(personas, milestone) -> CreditProfile:
    """An unpaid invoice 90 days overdue: 40 points for the overdue share, 30 for lateness."""
    issue(milestone, personas.finance, "1000.00", days_ago=100, due_days_ago=90)
    customer_rescore(customer_id=personas.customer_a.pk)
    return profile_of(personas.customer_a)


def test_payment_behaviour_gives_the_risk_score_and_rating(personas, due_milestone):
    profile = high_risk(personas, due_milestone)

    assert profile.risk_score == 70 and profile.computed_rating == Rating.C and profile.rating == Rating.C
    assert profile.risk_factors["overdue_points"] == 40 and profile.risk_factors["lateness_points"] == 30
    assert profile.risk_factors["overdue_ratio"] == "1.0000" and profile.risk_factors["average_days_late"] == "90.0"


def test_lateness_counts_from_the_day_the_money_arrived_not_the_day_it_was_entered(personas, due_milestone):
    issue(due_milestone, personas.finance, "1000.00", days_ago=50, due_days_ago=20)

    pay(personas.customer_a, personas.finance, "1000.00", days_ago=25)  # paid before the due date, entered today

    profile = profile_of(personas.customer_a)
    assert profile.risk_factors["average_days_late"] == "0.0"
    assert profile.risk_score == 0 and profile.rating == Rating.A


def test_the_nightly_rescore_covers_every_customer_with_invoices_or_a_profile(personas, due_milestone):
    issue(due_milestone, personas.finance, "1000.00", days_ago=100, due_days_ago=90)
    credit_profile_for(personas.customer_b)

    assert rescore_all() == 2

    assert profile_of(personas.customer_a).risk_score == 70 and profile_of(personas.customer_b).risk_score == 0


def test_a_high_risk_customers_quote_needs_approval_even_within_the_discount_limit(personas, catalogue, due_milestone):
    high_risk(personas, due_milestone)
    quote = draft_quote(personas.customer_a, personas.sales_rep, [catalogue["trade-risk"]])
    assert quote.discount_percent == 0
    assert credit_check(quote, personas.sales_rep).outcome == APPROVE

    submitted = quote_submit(quote=quote, by=personas.sales_rep)

    assert submitted.status == QuoteStatus.PENDING_APPROVAL
    approval = DiscountApproval.objects.get(quote=quote)
    assert "70" in approval.reason


def test_high_risk_quotes_go_through_when_the_policy_does_not_ask_for_approval(personas, catalogue, due_milestone):
    high_risk(personas, due_milestone)
    set_policy(high_risk_requires_approval=False)
    quote = draft_quote(personas.customer_a, personas.sales_rep, [catalogue["trade-risk"]])

    assert quote_submit(quote=quote, by=personas.sales_rep).status == QuoteStatus.APPROVED


def test_high_risk_does_not_hold_a_contract(personas, due_milestone, second_contract):
    high_risk(personas, due_milestone)

    assert credit_check(second_contract, personas.sales_rep).outcome == PASS


# --- Override --------------------------------------------------------------------------------


@pytest.fixture
def held_contract(personas, second_contract):
    credit_hold_set(customer=personas.customer_a, by=personas.finance, on=True, reason="逾期未回款")
    held = contract_confirm(contract=second_contract, by=personas.sales_rep)
    assert held.status == ContractStatus.PENDING_CHECKS
    return held


def test_finance_overrides_a_held_contract_which_becomes_active(personas, held_contract):
    override = credit_override(by=personas.finance, contract=held_contract, reason="客户已承诺月底结清")

    assert override.customer == personas.customer_a and override.by == personas.finance
    assert override.reason == "客户已承诺月底结清" and "逾期未回款" in override.blocked_because
    contract = fresh(held_contract)
    assert contract.status == ContractStatus.ACTIVE
    [credit] = [r for r in contract.check_results if r["check"] == "credit"]
    assert credit["result"] == WARN and "客户已承诺月底结清" in credit["message"]
    assert contract.milestones.get(order=1).status == MilestoneStatus.DUE
    event = Event.objects.get(verb="credit.block_overridden")
    assert event.actor == personas.finance and event.customer_id == personas.customer_a.pk
    assert event.payload["reason"] == "客户已承诺月底结清"


@pytest.mark.parametrize("who", ["sales_rep", "sales_manager", "executive", "engineer", "outsider"])
def test_an_override_by_someone_who_may_not_override_is_refused_and_nothing_changes(personas, held_contract, who):
    before = row_counts(WATCHED)

    with pytest.raises(PermissionDenied):
        credit_override(by=getattr(personas, who), contract=held_contract, reason="我来放行")

    assert row_counts(WATCHED) == before
    contract = fresh(held_contract)
    assert contract.status == ContractStatus.PENDING_CHECKS and contract.version == held_contract.version


def test_an_override_needs_a_reason(personas, held_contract):
    with refused("reason"):
        credit_override(by=personas.finance, contract=held_contract, reason="  ")

    assert fresh(held_contract).status == ContractStatus.PENDING_CHECKS


def test_a_contract_that_is_not_blocked_cannot_be_overridden(personas, held_contract):
    credit_hold_set(customer=personas.customer_a, by=personas.finance, on=False)

    with refused("record"):
        credit_override(by=personas.finance, contract=held_contract, reason="放行")

    assert fresh(held_contract).status == ContractStatus.PENDING_CHECKS


def test_an_active_contract_cannot_be_overridden(personas, contract):
    credit_hold_set(customer=personas.customer_a, by=personas.finance, on=True, reason="逾期")

    with refused("contract"):
        credit_override(by=personas.finance, contract=contract, reason="放行")


def test_an_override_names_a_contract_or_a_quote(personas):
    with refused("record"):
        credit_override(by=personas.finance, reason="放行")


def test_finance_lets_a_blocked_quote_through_and_the_rep_submits_it_again(personas, catalogue, contract):
    credit_hold_set(customer=personas.customer_a, by=personas.finance, on=True, reason="逾期")
    quote = draft_quote(personas.customer_a, personas.sales_rep, [catalogue["trade-risk"]])
    with refused("status"):
        quote_submit(quote=quote, by=personas.sales_rep)

    credit_override(by=personas.finance, quote=quote, reason="总经理特批")

    assert CreditOverride.objects.get(quote=quote).reason == "总经理特批"
    assert credit_check(quote, personas.sales_rep).outcome == WARN
    assert quote_submit(quote=quote, by=personas.sales_rep).status == QuoteStatus.APPROVED


# --- Profile, rating, holds, pause -----------------------------------------------------------


def test_finance_sets_limit_terms_and_reminder_language(personas):
    profile = credit_profile_for(personas.customer_a)

    updated = credit_profile_update(customer=personas.customer_a, by=personas.finance, expected_version=profile.version,
                                    credit_limit="5000000.00", payment_terms_days="60", dunning_language="en")  # fmt: skip

    assert updated.credit_limit == Decimal("5000000.00") and updated.payment_terms_days == 60
    assert updated.dunning_language == "en" and updated.version == profile.version + 1
    event = Event.objects.get(verb="credit.profile_changed")
    assert {c["field"] for c in event.payload["changes"]} == {"credit_limit", "payment_terms_days", "dunning_language"}
    assert updated.history.count() == 2


def test_a_stale_profile_edit_is_a_conflict_and_changes_nothing(personas):
    profile = credit_profile_for(personas.customer_a)
    credit_profile_update(customer=personas.customer_a, by=personas.finance, expected_version=profile.version,
                          payment_terms_days=45)  # fmt: skip

    with refused("version"):
        credit_profile_update(customer=personas.customer_a, by=personas.finance, expected_version=profile.version,
                              payment_terms_days=60)  # fmt: skip

    assert profile_of(personas.customer_a).payment_terms_days == 45


def test_an_edit_that_changes_nothing_writes_nothing(personas):
    profile = credit_profile_for(personas.customer_a)

    same = credit_profile_update(customer=personas.customer_a, by=personas.finance, expected_version=profile.version,
                                 payment_terms_days=30)  # fmt: skip

    assert same.version == profile.version and not Event.objects.filter(verb="credit.profile_changed").exists()


@pytest.mark.parametrize("days", [-1, 366, "abc", "30.5", "1e3"])
def test_payment_terms_out_of_range_are_refused(personas, days):
    profile = credit_profile_for(personas.customer_a)

    with refused("payment_terms_days"):
        credit_profile_update(customer=personas.customer_a, by=personas.finance, expected_version=profile.version,
                              payment_terms_days=days)  # fmt: skip

    assert profile_of(personas.customer_a).payment_terms_days == 30


@pytest.mark.parametrize("days", [0, 365])
def test_payment_terms_at_the_edges_are_accepted(personas, days):
    profile = credit_profile_for(personas.customer_a)

    updated = credit_profile_update(customer=personas.customer_a, by=personas.finance, expected_version=profile.version,
                                    payment_terms_days=days)  # fmt: skip

    assert updated.payment_terms_days == days


@pytest.mark.parametrize("limit", ["-1.00", "abc", "1.001"])
def test_a_bad_credit_limit_is_refused(personas, limit):
    profile = credit_profile_for(personas.customer_a)

    with refused("credit_limit"):
        credit_profile_update(customer=personas.customer_a, by=personas.finance, expected_version=profile.version,
                              credit_limit=limit)  # fmt: skip


@pytest.mark.parametrize("zero", ["0", "0.00", "0.0", 0, Decimal("0")])
def test_a_zero_limit_means_no_limit(personas, zero):
    set_limit(personas.customer_a, "1000.00", personas.finance)
    profile = profile_of(personas.customer_a)

    updated = credit_profile_update(customer=personas.customer_a, by=personas.finance, expected_version=profile.version,
                                    credit_limit=zero)  # fmt: skip

    assert updated.credit_limit == 0


def test_an_unknown_reminder_language_is_refused(personas):
    profile = credit_profile_for(personas.customer_a)

    with refused("dunning_language"):
        credit_profile_update(customer=personas.customer_a, by=personas.finance, expected_version=profile.version,
                              dunning_language="fr")  # fmt: skip


def test_a_rating_set_by_hand_needs_a_reason_and_is_logged(personas):
    with refused("reason"):
        credit_rating_override(customer=personas.customer_a, by=personas.finance, rating=Rating.D, reason="")
    with refused("rating"):
        credit_rating_override(customer=personas.customer_a, by=personas.finance, rating="E", reason="试试")

    profile = credit_rating_override(customer=personas.customer_a, by=personas.finance, rating=Rating.D, reason="涉诉")

    assert profile.rating == Rating.D and profile.computed_rating == Rating.A
    assert profile.rating_override_reason == "涉诉"
    event = Event.objects.get(verb="credit.rating_overridden")
    assert event.payload == {"from": "A", "to": "D", "computed": "A", "reason": "涉诉"}

    cleared = credit_rating_override(customer=personas.customer_a, by=personas.finance, rating="", reason="诉讼已和解")

    assert cleared.rating == Rating.A and cleared.rating_override == "" and cleared.rating_override_reason == ""


@pytest.mark.parametrize(
    ("setter", "field", "reason_field"),
    [
        (credit_hold_set, "credit_hold", "credit_hold_reason"),
        (service_hold_set, "service_hold", "service_hold_reason"),
        (dunning_pause_set, "dunning_paused", "dunning_pause_reason"),
    ],
)
def test_holds_and_the_dunning_pause_need_a_reason_to_start(personas, setter, field, reason_field):
    with refused("reason"):
        setter(customer=personas.customer_a, by=personas.finance, on=True, reason=" ")

    profile = setter(customer=personas.customer_a, by=personas.finance, on=True, reason="已约定还款计划")

    assert getattr(profile, field) is True and getattr(profile, reason_field) == "已约定还款计划"
    with refused(field):
        setter(customer=personas.customer_a, by=personas.finance, on=True, reason="再一次")

    lifted = setter(customer=personas.customer_a, by=personas.finance, on=False)

    assert getattr(lifted, field) is False and getattr(lifted, reason_field) == ""
    assert Event.objects.filter(customer=personas.customer_a, verb__startswith="credit.").count() == 2
    assert lifted.history.count() == 3


def test_a_contract_in_another_currency_than_the_limit_is_not_counted_against_it_and_says_so(personas, contract):
    from touchpoint.sales.models import Contract

    profile = credit_profile_for(personas.customer_a)
    credit_profile_update(customer=personas.customer_a, by=personas.finance, expected_version=profile.version,
                          credit_limit="1000.00")  # fmt: skip
    Contract.objects.filter(pk=contract.pk).update(currency="USD")
    contract.refresh_from_db()

    result = credit_check(contract, personas.sales_rep)

    assert result.outcome == WARN and "USD" in result.message and "CNY" in result.message
