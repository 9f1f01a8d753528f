"""Query counts of the forecast and report pages, their exports and endpoints: pinned, and the same
over 5 extra opportunities as over 50 (the aggregation is GROUP BY in SQL, never a query per row)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from touchpoint.sales.models import Opportunity, Pipeline, Product, Stage
from touchpoint.sales.tests.test_reports import ReportData, build_report_data, login

URLS = {
    "forecast page": (reverse("sales:forecast"), {"group_by": "team"}),
    "forecast export": (reverse("sales:forecast_export"), {"group_by": "team"}),
    "forecast endpoint": ("/api/v1/sales-forecast/", {"group_by": "team"}),
    "reports page": (reverse("sales:reports"), {"period": "year"}),
    "reports export": (reverse("sales:reports_export"), {"period": "year"}),
    "reports endpoint": ("/api/v1/sales-reports/", {"period": "year"}),
}
# Session, user, policy rules and memberships (4); the stages (1); the aggregations (forecast by
# team: open, won, the owners' teams = 3; reports: pipeline by stage, owner (+ names), region,
# product (+ names), win rates (+ names), bookings, lost reasons, expected and won by month = 12);
# pages add the unread notifications and the filter form's owner, team and product choices (4).
QUERIES = {
    "forecast page": 12,
    "forecast export": 8,
    "forecast endpoint": 8,
    "reports page": 21,
    "reports export": 17,
    "reports endpoint": 17,
}


@pytest.fixture
def report_data(personas) -> ReportData:
    return build_report_data(personas)


def add_opportunities(personas, count: int) -> None:
    """`count` more opportunities, spread over owners, customers, products, stages and months."""
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("order"))
    products = list(Product.objects.all())
    owners = [personas.sales_rep, personas.other_rep, personas.sales_manager]
    customers = [personas.customer_a, personas.customer_b]
    today = date.today()
    Opportunity.objects.bulk_create([
        Opportunity(customer=customers[i % 2], title=f"批量 {i}", owner=owners[i % 3], pipeline=pipeline,
                    stage=stages[i % len(stages)], probability=stages[i % len(stages)].probability,
                    amount=Decimal(10_000 * (i + 1)), close_date=today + timedelta(days=9 * i),
                    product=products[i % len(products)], lost_reason="price" if stages[i % len(stages)].code == "lost" else "")
        for i in range(count)
    ])  # fmt: skip


@pytest.mark.parametrize("extra", [5, 50])
@pytest.mark.parametrize("name", list(URLS))
def test_query_count_is_pinned_whatever_the_number_of_opportunities(client, report_data, django_assert_num_queries,
                                                                    name, extra):  # fmt: skip
    add_opportunities(report_data.personas, extra)
    login(client, report_data.personas.sales_manager)
    url, params = URLS[name]
    with django_assert_num_queries(QUERIES[name]):
        response = client.get(url, params)
    assert response.status_code == 200
