"""The recommendation and price history pages, the one-click quote, and their API endpoints."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from touchpoint.sales.models import Coverage, ModulePrice, Priority, Quote, QuoteStatus
from touchpoint.sales.tests.test_recommendation import (
    add_requirement,
    build_modules,
    closed_quote,
    installed_contract,
    make_customer,
    make_opportunity,
)

AREAS = ["order_entry", "market_data", "risk_control", "margin_trading", "options"]


@pytest.fixture
def modules(db):
    return build_modules()


@pytest.fixture
def world(personas, modules):
    """An opportunity on customer A, similar customers with past contracts, and a priced history."""
    opportunity = make_opportunity(personas.sales_rep, personas.customer_a)
    alike = make_customer(personas.sales_rep, "江苏同类证券")
    hidden = make_customer(personas.other_rep, "北京同类证券", province="北京")
    installed_contract(alike, [modules["trade-margin"], modules["md-options"]])
    installed_contract(hidden, [modules["trade-margin"]])
    for discount in (4, 6, 8, 10, 12, 14):
        closed_quote(alike, [(modules["trade-core"], str(discount)), (modules["trade-pc"], str(discount + 2))])
    closed_quote(hidden, [(modules["trade-core"], "30")], status=QuoteStatus.REJECTED, contract_status=None)
    return {"opportunity": opportunity, "alike": alike, "hidden": hidden}


def fill(opportunity, count):
    for index in range(count):
        add_requirement(opportunity, AREAS[index % 5], [Priority.MUST, Priority.SHOULD, Priority.COULD][index % 3],
                        custom_effort_days=Decimal(index % 2))  # fmt: skip
    add_requirement(opportunity, "compliance", Priority.MUST, custom_effort_days=Decimal(8), coverage=Coverage.CUSTOM)


def url(opportunity):
    return f"/sales/opportunities/{opportunity.pk}/recommendation/"


# --- The recommendation page --------------------------------------------------------------------


def test_the_page_shows_the_bundle_its_reasons_and_similar_customers(client, personas, world):
    fill(world["opportunity"], 5)
    client.force_login(personas.sales_rep)
    response = client.get(url(world["opportunity"]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Build a draft quote from this bundle" in page
    assert "trade-pc" in page and "trade-core" in page
    assert "江苏同类证券" in page
    assert "北京同类证券" not in page  # another team's customer: counted, not named
    assert "and 1 more" in page
    assert "/sales/pricing/?modules=" in page


def test_without_requirements_the_page_says_what_to_do(client, personas, world):
    client.force_login(personas.sales_rep)
    response = client.get(url(world["opportunity"]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "No requirements yet" in page and "Capture requirements" in page
    assert "Build a draft quote" not in page
    assert "江苏同类证券" in page  # what similar customers bought needs no requirements
    assert response.context["result"].bundle == []


def test_an_opportunity_outside_the_users_scope_is_a_404(client, personas, world):
    client.force_login(personas.other_rep)
    assert client.get(url(world["opportunity"])).status_code == 404
    assert client.post(url(world["opportunity"]) + "quote/").status_code == 404
    assert client.get("/sales/opportunities/999999/recommendation/").status_code == 404
    assert Quote.objects.count() == 7


def test_a_reader_who_may_not_quote_sees_no_button_and_gets_a_403(client, personas, world):
    fill(world["opportunity"], 3)
    client.force_login(personas.executive)
    response = client.get(url(world["opportunity"]))
    assert response.status_code == 200
    assert response.context["can_quote"] is False
    assert b"Build a draft quote" not in response.content
    before = Quote.objects.count()
    assert client.post(url(world["opportunity"]) + "quote/").status_code == 403
    assert Quote.objects.count() == before


def test_one_click_builds_a_draft_quote_from_the_bundle_and_opens_it(client, personas, world, modules):
    opportunity = world["opportunity"]
    fill(opportunity, 5)
    client.force_login(personas.sales_rep)
    response = client.post(url(opportunity) + "quote/")
    quote = Quote.objects.get(opportunity=opportunity)
    assert response.status_code == 302
    assert response["Location"] == f"/sales/quotes/{quote.pk}/"
    assert quote.status == QuoteStatus.DRAFT
    licence = set(quote.lines.filter(kind="licence").values_list("module__code", flat=True))
    assert licence == {"trade-pc", "trade-core", "trade-risk", "trade-margin", "md-options", "md-core"}
    services = quote.lines.get(kind="service")
    assert services.quantity == Decimal("10")  # 2 × 1 day plus 8 days of custom development


def test_ticking_modules_quotes_those_and_a_foreign_module_is_refused(client, personas, world, modules):
    opportunity = world["opportunity"]
    fill(opportunity, 5)
    ModulePrice.objects.create(module=modules["trade-pc"], licence_type="yearly", list_price=Decimal(90000),
                               valid_from=date(2024, 1, 1))  # fmt: skip
    client.force_login(personas.sales_rep)
    chosen = {"choose": "1", "modules": [modules["trade-pc"].pk], "licence_type": "yearly"}
    assert client.post(url(opportunity) + "quote/", chosen).status_code == 302
    line = Quote.objects.get(opportunity=opportunity).lines.get(kind="licence")
    assert (line.module.code, line.licence_type) == ("trade-pc", "yearly")
    for bad in ({"choose": "1", "modules": ["abc"]}, {"choose": "1", "modules": [modules["trade-old"].pk]},
                {"choose": "1"}, {"licence_type": "forever"}):  # fmt: skip
        response = client.post(url(opportunity) + "quote/", bad, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "The quote was not built." in response.content.decode()
    assert Quote.objects.filter(opportunity=opportunity).count() == 1


def test_a_closed_opportunity_is_refused_with_a_message_and_nothing_is_created(client, personas, world):
    from touchpoint.sales.models import Stage

    opportunity = world["opportunity"]
    fill(opportunity, 2)
    opportunity.stage = Stage.objects.get(code="lost")
    opportunity.save()
    client.force_login(personas.sales_rep)
    response = client.post(url(opportunity) + "quote/")
    assert response.status_code == 400
    assert not Quote.objects.filter(opportunity=opportunity).exists()


def _count(client, path):
    client.get(path)  # the first request of a session reads and refreshes things the next ones need not
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_the_page_query_count_does_not_grow_with_requirements(client, personas, world):
    opportunity = world["opportunity"]
    client.force_login(personas.sales_rep)
    fill(opportunity, 5)
    few = _count(client, url(opportunity))
    fill(opportunity, 45)
    assert _count(client, url(opportunity)) == few == 14


# --- The price history page ---------------------------------------------------------------------


def test_the_price_history_page_shows_the_band_and_the_trend(client, personas, world, modules):
    client.force_login(personas.sales_rep)
    response = client.get(f"/sales/pricing/?modules={modules['trade-core'].pk},{modules['trade-pc'].pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["history"].band.enough
    assert 'data-chart-source="price-trend"' in page and 'id="price-trend"' in page
    assert "sales/charts.js" in page and "vendor/echarts/echarts.min.js" in page
    assert "<script>" not in page.replace('<script id="', "")  # options ride in json_script, no inline code


def test_the_price_history_page_for_an_opportunity_uses_its_bundle_and_similar_customers(client, personas, world):
    opportunity = world["opportunity"]
    fill(opportunity, 3)
    client.force_login(personas.sales_rep)
    response = client.get(f"/sales/pricing/?opportunity={opportunity.pk}&similar=1")
    assert response.status_code == 200
    history = response.context["history"]
    assert [m.code for m in history.modules] == ["trade-pc", "trade-core", "trade-risk"]
    assert (history.customer_type, history.size_tier) == ("securities", personas.customer_a.size_tier)


def test_the_price_history_page_for_a_quote_shows_the_warning(client, personas, world, modules):
    from touchpoint.sales.services.quotes import quote_create, quote_line_add

    quote = quote_create(opportunity=world["opportunity"], by=personas.sales_rep)
    quote_line_add(quote=quote, by=personas.sales_rep, module=modules["trade-core"], discount_percent=Decimal(40))
    client.force_login(personas.sales_rep)
    response = client.get(f"/sales/pricing/?quote={quote.pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["guidance"]["outside"] is True
    assert "is above the band of won deals" in response.content.decode()


def test_the_price_history_page_has_friendly_empty_states(client, personas, modules):
    client.force_login(personas.sales_rep)
    response = client.get("/sales/pricing/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "Choose modules" in response.content.decode()
    response = client.get(f"/sales/pricing/?modules={modules['md-core'].pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "No history yet" in response.content.decode()


def test_the_price_history_page_refuses_bad_input_and_strangers(client, personas, world):
    client.force_login(personas.sales_rep)
    assert client.get("/sales/pricing/?modules=1,abc").status_code == 400
    assert client.get("/sales/pricing/?modules=999999").status_code == 400
    assert client.get("/sales/pricing/?customer_type=martian").status_code == 400
    client.force_login(personas.other_rep)
    assert client.get(f"/sales/pricing/?opportunity={world['opportunity'].pk}").status_code == 404
    client.force_login(personas.engineer)  # sees no quotes at all
    assert client.get("/sales/pricing/").status_code == 403


def test_the_price_history_page_query_count_does_not_grow_with_modules(client, personas, world, modules):
    client.force_login(personas.sales_rep)
    one = _count(client, f"/sales/pricing/?modules={modules['trade-core'].pk}")
    five = ",".join(str(modules[c].pk) for c in ("trade-core", "trade-pc", "trade-risk", "md-core", "md-options"))
    assert _count(client, f"/sales/pricing/?modules={five}&customer_type=securities") == one == 6


# --- API --------------------------------------------------------------------------------------


def test_the_recommendation_endpoint(client, personas, world):
    opportunity = world["opportunity"]
    fill(opportunity, 5)
    client.force_login(personas.sales_rep)
    response = client.get(f"/api/v1/recommendations/{opportunity.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert [item["module"]["code"] for item in body["bundle"]][:2] == ["trade-pc", "trade-core"]
    assert body["service_days"] == "10.0"
    margin = next(s for s in body["also_bought"] if s["module"]["code"] == "trade-margin")
    assert [c["name"] for c in margin["customers"]] == ["江苏同类证券"] and margin["unnamed_count"] == 1
    assert client.get("/api/v1/recommendations/abc/").status_code == 404
    client.force_login(personas.other_rep)
    assert client.get(f"/api/v1/recommendations/{opportunity.pk}/").status_code == 404


def test_the_price_history_endpoint(client, personas, world, modules):
    client.force_login(personas.sales_rep)
    core = modules["trade-core"].pk
    response = client.get(f"/api/v1/price-history/?modules={core}&similar_to={world['opportunity'].pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["band"] == {"low": "6.00", "high": "12.00", "median": "8.00", "sample_size": 6, "enough": True}
    assert body["lost"]["count"] == 1
    assert client.get("/api/v1/price-history/").status_code == 400
    assert client.get("/api/v1/price-history/?modules=1,x").status_code == 400
    assert client.get(f"/api/v1/price-history/?modules={core}&colour=red").status_code == 400
    assert client.get("/api/v1/price-history/?modules=999999").status_code == 400
    client.force_login(personas.engineer)
    assert client.get(f"/api/v1/price-history/?modules={core}").status_code == 403


def test_the_endpoints_query_counts_do_not_grow(client, personas, world, modules):
    opportunity = world["opportunity"]
    client.force_login(personas.sales_rep)
    fill(opportunity, 5)
    few = _count(client, f"/api/v1/recommendations/{opportunity.pk}/")
    fill(opportunity, 45)
    assert _count(client, f"/api/v1/recommendations/{opportunity.pk}/") == few == 12
    one = _count(client, f"/api/v1/price-history/?modules={modules['trade-core'].pk}")
    five = ",".join(str(modules[c].pk) for c in ("trade-core", "trade-pc", "trade-risk", "md-core", "md-options"))
    assert _count(client, f"/api/v1/price-history/?modules={five}") == one == 5
