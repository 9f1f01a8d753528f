"""Price intelligence: discounts of won and lost deals, weighted percentiles, the band and the warning."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from touchpoint.sales.models import QuoteStatus, Stage
from touchpoint.sales.services.pricing import (
    band_since,
    licence_discount,
    price_guidance,
    price_history,
    weighted_percentile,
)
from touchpoint.sales.services.quotes import quote_create, quote_line_add
from touchpoint.sales.tests.test_recommendation import build_modules, closed_quote, make_customer, make_opportunity

D = Decimal


@pytest.fixture
def modules(db):
    return build_modules()


def test_weighted_percentiles_on_known_data():
    equal = [(D(5), D(1)), (D(20), D(1)), (D(10), D(1)), (D(15), D(1))]
    assert weighted_percentile(equal, D("0.25")) == D("5.00")
    assert weighted_percentile(equal, D("0.5")) == D("10.00")
    assert weighted_percentile(equal, D("0.75")) == D("15.00")
    heavy = [(D(10), D(1)), (D(20), D(3))]
    assert weighted_percentile(heavy, D("0.25")) == D("10.00")
    assert weighted_percentile(heavy, D("0.5")) == D("20.00")
    assert weighted_percentile([], D("0.5")) is None


def test_licence_discount_is_weighted_by_list_value():
    assert licence_discount([(D(1), D(300), D(10)), (D(1), D(100), D(30))]) == D("15.00")
    assert licence_discount([]) is None


@pytest.fixture
def buyer(personas):
    return make_customer(personas.sales_rep, "历史客户证券", size_tier="large")


def won_at(buyer, module, discounts, **extra):
    return [closed_quote(buyer, [(module, str(d))], **extra) for d in discounts]


def test_the_band_is_the_interquartile_range_of_won_deals(personas, modules, buyer):
    core = modules["trade-core"]
    won_at(buyer, core, [4, 6, 8, 10, 12, 14, 16, 18])
    won_at(buyer, core, [30, 35], status=QuoteStatus.REJECTED)
    won_at(buyer, core, [60], status=QuoteStatus.DRAFT)
    won_at(buyer, core, [70], status=QuoteStatus.SUPERSEDED)
    history = price_history(modules=[core])
    assert (history.band.low, history.band.median, history.band.high) == (D("6.00"), D("10.00"), D("14.00"))
    assert history.band.sample_size == 8 and history.band.enough
    assert history.won.count == 8 and history.lost.count == 2
    assert history.lost.median == D("30.00")


def test_the_band_weighs_deals_by_list_value(personas, modules, buyer):
    won_at(buyer, modules["trade-core"], [20, 20, 20])  # 1,000,000 each
    won_at(buyer, modules["trade-risk"], [5, 5, 5, 5, 5])  # 300,000 each: 1,500,000 in all
    band = price_history(modules=[modules["trade-core"], modules["trade-risk"]]).band
    # By count, most deals went at 5%; by list value, most of the money went at 20%.
    assert (band.low, band.median, band.high) == (D("5.00"), D("20.00"), D("20.00"))
    assert band.sample_size == 8


def test_a_sent_quote_counts_by_its_opportunitys_outcome(personas, modules, buyer):
    won_stage, lost_stage = Stage.objects.get(code="won"), Stage.objects.get(code="lost")
    won_opportunity = make_opportunity(personas.sales_rep, buyer, "赢单商机")
    lost_opportunity = make_opportunity(personas.sales_rep, buyer, "输单商机")
    open_opportunity = make_opportunity(personas.sales_rep, buyer, "进行中")
    won_opportunity.stage, lost_opportunity.stage = won_stage, lost_stage
    won_opportunity.save()
    lost_opportunity.save()
    core = modules["trade-core"]
    closed_quote(buyer, [(core, "11")], status=QuoteStatus.SENT, opportunity=won_opportunity)
    closed_quote(buyer, [(core, "22")], status=QuoteStatus.SENT, opportunity=lost_opportunity)
    closed_quote(buyer, [(core, "33")], status=QuoteStatus.SENT, opportunity=open_opportunity)
    history = price_history(modules=[core])
    assert (history.won.count, history.won.median) == (1, D("11.00"))
    assert (history.lost.count, history.lost.median) == (1, D("22.00"))


def test_history_is_by_quarter_and_filters_to_similar_customers(personas, modules, buyer):
    small = make_customer(personas.sales_rep, "小型证券", size_tier="small")
    bank = make_customer(personas.sales_rep, "某银行", customer_type="bank", size_tier="large")
    core = modules["trade-core"]
    first = timezone.make_aware(datetime(2025, 2, 10, 10))
    second = timezone.make_aware(datetime(2025, 8, 10, 10))
    won_at(buyer, core, [10, 12], decided_at=first)
    won_at(buyer, core, [20], status=QuoteStatus.EXPIRED, decided_at=first)
    won_at(small, core, [30], decided_at=second)
    won_at(bank, core, [40], decided_at=second)
    history = price_history(modules=[core])
    assert [(q.quarter, q.won_median, q.lost_median, q.won_count) for q in history.quarters] == [
        ("2025-Q1", D("10.00"), D("20.00"), 2), ("2025-Q3", D("30.00"), None, 2),
    ]  # fmt: skip
    similar = price_history(modules=[core], customer_type="securities", size_tier="large")
    assert similar.won.count == 2 and similar.lost.count == 1
    assert price_history(modules=[core], customer_type="bank").won.median == D("40.00")


def test_the_band_reads_only_the_last_eight_quarters(personas, modules, buyer):
    core = modules["trade-core"]
    old = timezone.make_aware(datetime.combine(band_since() - timedelta(days=1), datetime.min.time()))
    won_at(buyer, core, [50, 50, 50, 50, 50], decided_at=old)
    history = price_history(modules=[core])
    assert history.won.count == 5
    assert history.band.sample_size == 0 and not history.band.enough


def draft(personas, opportunity, module, discount):
    quote = quote_create(opportunity=opportunity, by=personas.sales_rep)
    quote_line_add(quote=quote, by=personas.sales_rep, module=module, discount_percent=D(discount))
    return quote


@pytest.mark.parametrize(("discount", "outside", "direction"), [("20", True, "above"), ("10", False, ""), ("2", True, "below")])
def test_guidance_warns_when_the_discount_is_outside_the_band(personas, modules, buyer, discount, outside, direction):
    won_at(buyer, modules["trade-core"], [4, 6, 8, 10, 12, 14, 16, 18])
    opportunity = make_opportunity(personas.sales_rep, personas.customer_a)
    guidance = price_guidance(draft(personas, opportunity, modules["trade-core"], discount))
    assert (guidance["band_low"], guidance["band_high"], guidance["sample_size"]) == (D("6.00"), D("14.00"), 8)
    assert guidance["discount"] == D(discount).quantize(D("0.01"))
    assert (guidance["outside"], guidance["direction"], guidance["enough"]) == (outside, direction, True)


def test_with_too_few_won_deals_guidance_says_so_instead_of_guessing(personas, modules, buyer):
    won_at(buyer, modules["trade-core"], [4, 6, 8, 10])
    opportunity = make_opportunity(personas.sales_rep, personas.customer_a)
    guidance = price_guidance(draft(personas, opportunity, modules["trade-core"], "40"))
    assert guidance["enough"] is False and guidance["outside"] is False
    assert guidance["band_low"] is None and guidance["band_high"] is None
    assert guidance["sample_size"] == 4 and guidance["min_samples"] == 5


def test_guidance_leaves_out_the_quotes_own_versions(personas, modules, buyer):
    opportunity = make_opportunity(personas.sales_rep, personas.customer_a)
    quote = draft(personas, opportunity, modules["trade-core"], "10")
    won_at(buyer, modules["trade-core"], [10, 10, 10, 10])
    own = closed_quote(personas.customer_a, [(modules["trade-core"], "10")])
    own.number = quote.number
    own.revision = 2
    own.save()
    assert price_guidance(quote)["sample_size"] == 4


def test_price_history_is_one_query_and_guidance_two(personas, modules, buyer, django_assert_num_queries):
    won_at(buyer, modules["trade-core"], [4, 6, 8, 10, 12])
    won_at(buyer, modules["trade-risk"], [4, 6], status=QuoteStatus.REJECTED)
    chosen = [modules[code] for code in ("trade-core", "trade-risk", "trade-pc", "md-core", "md-options")]
    opportunity = make_opportunity(personas.sales_rep, personas.customer_a)
    quote = draft(personas, opportunity, modules["trade-core"], "10")
    with django_assert_num_queries(1):
        price_history(modules=chosen, customer_type="securities", size_tier="large")
    with django_assert_num_queries(2):
        price_guidance(quote)
