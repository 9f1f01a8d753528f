"""Upgrade campaigns: the affected customers chosen by product and version, one upgrade request per
customer on launch (never two), each followed to done, and the progress counted."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from touchpoint.core.models import Event
from touchpoint.sales.models import ProductVersion
from touchpoint.service.models import CampaignTarget, ServiceRequest, UpgradeCampaign
from touchpoint.service.services.campaigns import (
    campaign_close,
    campaign_create,
    campaign_launch,
    campaign_progress,
    campaign_target_update,
    campaign_update,
    campaigns_mark_done,
)
from touchpoint.service.services.requests import request_set_status
from touchpoint.service.tests.fixtures_maint import base, row_counts  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English; the project's default language is Chinese."""
    with translation.override("en"):
        yield


def new_campaign(personas, base, from_versions=None, **values):  # noqa: F811
    return campaign_create(by=personas.maintenance_lead, name=values.pop("name", "交易所新规升级"), product=base.product,
                           target_version=base.v60, due_on=date(2027, 3, 31),
                           from_versions=[base.v51, base.v52] if from_versions is None else from_versions,
                           reason=values.pop("reason", "regulation"), **values)  # fmt: skip


def test_targets_are_the_customers_running_the_product_at_the_chosen_versions(personas, base):  # noqa: F811
    campaign = new_campaign(personas, base, from_versions=[base.v51])
    targets = list(campaign.targets.all())
    assert [t.customer for t in targets] == [personas.customer_a]
    assert list(targets[0].items.all()) == [base.core_a]  # risk control runs 5.2; market data is another product


def test_with_no_versions_named_every_version_but_the_target_is_affected(personas, base):  # noqa: F811
    campaign = new_campaign(personas, base, from_versions=[])
    by_customer = {t.customer: set(t.items.all()) for t in campaign.targets.all()}
    assert by_customer == {personas.customer_a: {base.core_a, base.risk_a}, personas.customer_b: {base.core_b}}


def test_a_retired_module_or_one_at_the_target_version_is_not_a_target(personas, base):  # noqa: F811
    base.core_b.version = base.v60
    base.core_b.save()
    base.risk_a.status = "retired"
    base.risk_a.save()
    campaign = new_campaign(personas, base, from_versions=[])
    assert [(t.customer, list(t.items.all())) for t in campaign.targets.all()] == [(personas.customer_a, [base.core_a])]


def test_a_campaign_with_versions_of_another_product_or_upgrading_to_itself_is_refused(personas, base):  # noqa: F811
    before = row_counts()
    stranger = ProductVersion.objects.exclude(product=base.product).first()
    with pytest.raises(ValidationError) as caught:
        new_campaign(personas, base, from_versions=[stranger])
    assert "from_versions" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        new_campaign(personas, base, from_versions=[base.v60])
    assert "from_versions" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        new_campaign(personas, base, name="", reason="whim")
    assert {"name", "reason"} <= set(caught.value.message_dict)
    assert row_counts() == before


def test_editing_the_draft_chooses_the_targets_again(personas, base):  # noqa: F811
    campaign = new_campaign(personas, base, from_versions=[base.v51])
    campaign_update(campaign=campaign, by=personas.maintenance_lead, expected_version=1, from_versions=[base.v52])
    assert {t.customer for t in campaign.targets.all()} == {personas.customer_a, personas.customer_b}
    assert set(CampaignTarget.objects.get(campaign=campaign, customer=personas.customer_a).items.all()) == {base.risk_a}


def test_launch_opens_one_upgrade_request_per_customer_and_launching_again_opens_none(personas, base):  # noqa: F811
    campaign = new_campaign(personas, base)
    assert campaign_launch(campaign=campaign, by=personas.maintenance_lead) == 2
    assert campaign_launch(campaign=campaign, by=personas.maintenance_lead) == 0
    requests = ServiceRequest.objects.filter(category="upgrade")
    assert requests.count() == 2 and {r.customer for r in requests} == {personas.customer_a, personas.customer_b}
    assert set(campaign.targets.values_list("status", flat=True)) == {"scheduled"}
    assert campaign.status == "launched" and campaign.launched_at is not None
    request_a = CampaignTarget.objects.get(campaign=campaign, customer=personas.customer_a).request
    assert campaign.number in request_a.subject and "6.0" in request_a.subject
    assert Event.objects.filter(verb="campaign.launched", target_id=campaign.pk).count() == 1


def test_a_launched_campaign_keeps_its_customers(personas, base):  # noqa: F811
    campaign = new_campaign(personas, base)
    campaign_launch(campaign=campaign, by=personas.maintenance_lead)
    with pytest.raises(ValidationError, match="draft"):
        campaign_update(campaign=campaign, by=personas.maintenance_lead, expected_version=campaign.version, name="改名")


def test_a_campaign_matching_no_customer_cannot_be_launched(personas, base):  # noqa: F811
    other = ProductVersion.objects.create(product=base.product, number="4.0", released_on=date(2024, 1, 1))
    campaign = new_campaign(personas, base, from_versions=[other])
    assert not campaign.targets.exists()
    before = row_counts()
    with pytest.raises(ValidationError, match="nobody to upgrade"):
        campaign_launch(campaign=campaign, by=personas.maintenance_lead)
    assert row_counts() == before
    assert UpgradeCampaign.objects.get(pk=campaign.pk).status == "draft"


def test_targets_follow_their_workflow_and_a_skip_needs_a_reason(personas, base):  # noqa: F811
    campaign = new_campaign(personas, base)
    campaign_launch(campaign=campaign, by=personas.maintenance_lead)
    target = CampaignTarget.objects.get(campaign=campaign, customer=personas.customer_b)
    with pytest.raises(ValidationError) as caught:
        campaign_target_update(target=target, by=personas.maintenance_lead, status="skipped")
    assert "reason" in caught.value.message_dict
    campaign_target_update(target=target, by=personas.maintenance_lead, status="skipped", reason="客户暂缓升级")
    with pytest.raises(ValidationError) as caught:
        campaign_target_update(target=target, by=personas.maintenance_lead, status="done")
    assert "status" in caught.value.message_dict
    assert CampaignTarget.objects.get(pk=target.pk).skip_reason == "客户暂缓升级"


def test_progress_counts_targets_by_status_and_resolved_requests_mark_them_done(personas, base, desk):  # noqa: F811
    campaign = new_campaign(personas, base)
    campaign_launch(campaign=campaign, by=personas.maintenance_lead)
    target_a = CampaignTarget.objects.get(campaign=campaign, customer=personas.customer_a)
    request_set_status(request=target_a.request, by=personas.maintenance_agent, status="resolved", resolution="已升级到 6.0")
    assert campaigns_mark_done() == 1 and campaigns_mark_done() == 0
    progress = campaign_progress(campaign)
    assert progress.counts == {"pending": 0, "scheduled": 1, "done": 1, "skipped": 0}
    assert (progress.total, progress.requests_open, progress.percent_done) == (2, 1, 50)
    assert [bar["percent"] for bar in progress.bars()] == [0, 50.0, 50.0, 0]
    campaign_close(campaign=campaign, by=personas.maintenance_lead)
    with pytest.raises(ValidationError, match="closed"):
        campaign_launch(campaign=campaign, by=personas.maintenance_lead)
