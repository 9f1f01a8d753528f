"""The upgrade campaign pages: pick the product, see the affected customers before saving, launch,
follow the progress per customer; who may manage them."""

from datetime import date

import pytest
from django.urls import reverse

from touchpoint.service.models import CampaignTarget, ServiceRequest, UpgradeCampaign
from touchpoint.service.services.campaigns import campaign_create
from touchpoint.service.tests.fixtures_maint import base  # noqa: F401

pytestmark = pytest.mark.django_db


def as_user(client, user, language="en"):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


@pytest.fixture
def campaign(personas, base):  # noqa: F811
    return campaign_create(by=personas.maintenance_lead, name="交易所新规升级", product=base.product, target_version=base.v60,
                           due_on=date(2027, 3, 31), from_versions=[base.v51, base.v52], reason="regulation")  # fmt: skip


def test_the_preview_lists_the_affected_customers_before_anything_is_saved(client, personas, base):  # noqa: F811
    as_user(client, personas.maintenance_lead)
    url = reverse("service:campaign_new")
    assert "Which product is upgraded?" in client.get(url).content.decode()
    form = client.get(url + f"?product={base.product.pk}")
    assert form.status_code == 200 and "5.1" in form.content.decode()
    preview = client.get(url, {"product": base.product.pk, "name": "x", "reason": "new_version", "from_versions": [base.v51.pk],
                               "target_version": base.v60.pk, "due_on": "2027-03-31"}, HTTP_HX_REQUEST="true")  # fmt: skip
    text = preview.content.decode()
    assert "华泰证券股份有限公司" in text and "中信建投" not in text and "<html" not in text
    assert not UpgradeCampaign.objects.exists()


def test_the_lead_saves_a_draft_then_launches_it_once(client, personas, base):  # noqa: F811
    as_user(client, personas.maintenance_lead)
    response = client.post(reverse("service:campaign_new"), {
        "product": base.product.pk, "name": "6.0 升级", "reason": "new_version", "from_versions": [base.v51.pk, base.v52.pk],
        "target_version": base.v60.pk, "due_on": "2027-03-31"})  # fmt: skip
    campaign = UpgradeCampaign.objects.get()
    assert response.status_code == 302 and campaign.targets.count() == 2
    launch = reverse("service:campaign_action", args=[campaign.pk, "launch"])
    client.post(launch)
    client.post(launch)
    assert ServiceRequest.objects.filter(category="upgrade").count() == 2


def test_a_target_version_of_another_product_is_a_field_error(client, personas, base):  # noqa: F811
    as_user(client, personas.maintenance_lead, "zh-hans")
    other = base.other_product_a.version
    response = client.post(reverse("service:campaign_new"), {
        "product": base.product.pk, "name": "x", "reason": "new_version", "target_version": other.pk, "due_on": "2027-03-31"})  # fmt: skip
    assert response.status_code == 400 and "target_version" in response.context["form"].errors
    assert not UpgradeCampaign.objects.exists()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_progress_view_shows_counts_and_each_customer_with_its_request(client, personas, campaign, language):
    as_user(client, personas.maintenance_lead, language)
    client.post(reverse("service:campaign_action", args=[campaign.pk, "launch"]))
    page = client.get(reverse("service:campaign_detail", args=[campaign.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "<svg" in text
    for target in CampaignTarget.objects.filter(campaign=campaign).select_related("request"):
        assert target.request.number in text
    assert page.context["progress"].counts["scheduled"] == 2
    only_done = client.get(reverse("service:campaign_detail", args=[campaign.pk]) + "?status=done")
    assert list(only_done.context["targets"]) == []


def test_skipping_a_customer_without_a_reason_says_why(client, personas, campaign):
    as_user(client, personas.maintenance_lead)
    target = campaign.targets.first()
    response = client.post(reverse("service:campaign_target", args=[campaign.pk, target.pk]), {"status": "skipped"}, follow=True)
    assert "Say why this customer is skipped." in response.content.decode()
    assert CampaignTarget.objects.get(pk=target.pk).status == "pending"


def test_an_agent_follows_the_campaign_but_cannot_launch_and_a_rep_cannot_see_it(client, personas, campaign):
    as_user(client, personas.maintenance_agent)
    assert client.get(reverse("service:campaign_detail", args=[campaign.pk])).status_code == 200
    assert client.post(reverse("service:campaign_action", args=[campaign.pk, "launch"])).status_code == 403
    assert client.get(reverse("service:campaign_new")).status_code == 403
    as_user(client, personas.sales_rep)
    assert client.get(reverse("service:campaign_list")).status_code == 403
    assert client.get(reverse("service:campaign_detail", args=[campaign.pk])).status_code == 404
    assert not ServiceRequest.objects.exists()


def test_an_unknown_action_changes_nothing(client, personas, campaign):
    as_user(client, personas.maintenance_lead)
    response = client.post(reverse("service:campaign_action", args=[campaign.pk, "explode"]), follow=True)
    assert response.status_code == 200 and UpgradeCampaign.objects.get(pk=campaign.pk).status == "draft"


def test_the_campaign_pages_query_counts_are_pinned(client, personas, campaign, django_assert_num_queries):
    as_user(client, personas.maintenance_lead)
    client.post(reverse("service:campaign_action", args=[campaign.pk, "launch"]))
    pages = [(reverse("service:campaign_list"), 7), (reverse("service:campaign_detail", args=[campaign.pk]), 12)]
    for url, _count in pages:
        client.get(url)
    for url, count in pages:
        with django_assert_num_queries(count):
            assert client.get(url).status_code == 200
