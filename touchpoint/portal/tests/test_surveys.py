"""Satisfaction surveys in the portal: the "Your opinion" card on the home page, the list of the
user's surveys, and answering one (NPS 0–10, CSAT 1–5) as a portal touchpoint; who sees which
survey, hostile scores, answering twice, and the pinned query counts of the pages."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from touchpoint.core.models import Channel
from touchpoint.org.models import Department
from touchpoint.portal.services import portal_survey_answer
from touchpoint.service.models import Survey
from touchpoint.touchpoints.models import FollowUp, Touchpoint

NPS_QUESTION_ZH = "您向同事或朋友推荐我们的可能性有多大？"


def nps_for(side, *, period="2026Q2", answered=False, **extra):
    """The side's quarterly NPS survey, sent to its admin's contact (as `nps_send_quarterly` does)."""
    contact = side.admin.portal_account.contact
    fields = {"kind": "nps", "customer": side.customer, "contact": contact, "period": period, "sent_at": timezone.now(), **extra}
    if answered:
        fields.update(score=9, answered_at=timezone.now())
    return Survey.objects.create(**fields)


def csat_for(side, *, contact=None):
    """The CSAT survey of the side's resolved request; the request was logged by the plain user, without a contact."""
    return Survey.objects.create(kind="csat", customer=side.customer, contact=contact, request=side.request, sent_at=timezone.now())


def signed_in(client, user, language="en"):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    client.get(reverse("portal:home"))  # the session's first request fills the policy cache
    return client


def portal_touches(side):
    return Touchpoint.objects.filter(customer=side.customer, channel=Channel.PORTAL)


# --- Who sees which survey ------------------------------------------------------------------------


def test_the_home_card_lists_open_surveys_nps_first_with_a_link_to_answer_each(w, client):
    older_csat = Survey.objects.create(kind="csat", customer=w.a.customer, contact=w.personas.contact_a, request=w.a.request,
                                       sent_at=timezone.now())  # fmt: skip
    nps = nps_for(w.a, sent_at=timezone.now() - timezone.timedelta(days=3))
    answered = nps_for(w.a, period="2026Q1", answered=True)
    page = signed_in(client, w.a.admin).get(reverse("portal:home")).content.decode()
    assert "Your opinion" in page
    nps_link, csat_link = reverse("portal:survey", args=[nps.pk]), reverse("portal:survey", args=[older_csat.pk])
    assert nps_link in page and csat_link in page and page.index(nps_link) < page.index(csat_link)
    assert reverse("portal:survey", args=[answered.pk]) not in page


def test_the_home_card_is_in_chinese_for_a_chinese_reader(w, client):
    nps_for(w.a)
    page = signed_in(client, w.a.admin, "zh-hans").get(reverse("portal:home")).content.decode()
    assert "您的意见" in page and f'href="{reverse("portal:surveys")}">我的满意度调查<' in page  # the card and the user menu


def test_no_card_when_nothing_waits_for_an_answer(w, client):
    nps_for(w.a, answered=True)
    page = signed_in(client, w.a.admin).get(reverse("portal:home")).content.decode()
    assert "Your opinion" not in page


def test_a_user_with_a_contact_sees_that_contacts_surveys_only(w, client):
    mine, customer_wide = nps_for(w.a), csat_for(w.a)
    page = signed_in(client, w.a.admin).get(reverse("portal:surveys")).content.decode()
    assert reverse("portal:survey", args=[mine.pk]) in page
    assert reverse("portal:survey", args=[customer_wide.pk]) not in page
    assert client.get(reverse("portal:survey", args=[customer_wide.pk])).status_code == 404


def test_a_user_without_a_contact_sees_the_customer_wide_surveys_but_not_a_colleagues(w, client):
    colleagues, customer_wide = nps_for(w.a), csat_for(w.a)
    signed_in(client, w.a.user)
    page = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:survey", args=[customer_wide.pk]) in page and w.a.request.number in page
    response = client.get(reverse("portal:survey", args=[colleagues.pk]))
    assert response.status_code == 404 and str(colleagues.period) not in response.content.decode()
    assert client.post(reverse("portal:survey", args=[colleagues.pk]), {"score": "10"}).status_code == 404
    colleagues.refresh_from_db()
    assert colleagues.score is None


@pytest.mark.parametrize("viewer", ["a_admin", "a_user"])
def test_the_other_customers_survey_is_not_found_and_stays_unanswered(w, client, viewer):
    theirs = [nps_for(w.b), csat_for(w.b)]
    signed_in(client, w.a.admin if viewer == "a_admin" else w.a.user)
    for survey in theirs:
        url = reverse("portal:survey", args=[survey.pk])
        assert client.get(url).status_code == 404
        response = client.post(url, {"score": "0", "comment": "试探"})
        assert response.status_code == 404 and w.b.mark not in response.content.decode()
    assert not Survey.objects.filter(customer=w.b.customer, answered_at__isnull=False).exists()
    assert w.b.request.number not in client.get(reverse("portal:surveys")).content.decode()


def test_the_list_shows_answered_and_open_surveys_newest_first(w, client):
    older = nps_for(w.a, period="2026Q1", answered=True, sent_at=timezone.now() - timezone.timedelta(days=90))
    newer = nps_for(w.a)
    page = signed_in(client, w.a.admin).get(reverse("portal:surveys")).content.decode()
    assert page.index(reverse("portal:survey", args=[newer.pk])) < page.index(reverse("portal:survey", args=[older.pk]))
    assert "9 / 10" in page and "No answer yet" in page


def test_a_staff_user_is_sent_back_to_their_workspace(w, client):
    survey = nps_for(w.a)
    client.force_login(w.personas.maintenance_agent)
    for url in (reverse("portal:surveys"), reverse("portal:survey", args=[survey.pk])):
        response = client.get(url)
        assert response.status_code == 302 and not response["Location"].startswith("/portal/")


# --- Answering ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "low", "high"), [("en", "Not at all likely", "Extremely likely"), ("zh-hans", "完全不可能", "非常可能")]
)
def test_the_nps_page_offers_0_to_10_with_the_scale_labels(w, client, language, low, high):
    survey = nps_for(w.a)
    page = signed_in(client, w.a.admin, language).get(reverse("portal:survey", args=[survey.pk])).content.decode()
    assert low in page and high in page
    assert [f'value="{n}"' in page for n in range(11)] == [True] * 11 and 'value="11"' not in page
    assert language == "en" or NPS_QUESTION_ZH in page


def test_answering_the_nps_stores_the_score_and_logs_a_portal_touchpoint(w, client):
    survey = nps_for(w.a)
    touches = portal_touches(w.a).count()
    signed_in(client, w.a.admin)
    response = client.post(reverse("portal:survey", args=[survey.pk]), {"score": "9", "comment": "响应及时"})
    assert response.status_code == 302 and response["Location"] == reverse("portal:survey", args=[survey.pk])
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.answered_by) == (9, "响应及时", w.a.admin)
    assert survey.followup is None  # a promoter is not followed up
    assert portal_touches(w.a).count() == touches + 1
    touch = portal_touches(w.a).order_by("-id").first()
    assert (touch.link_type, touch.link_id, touch.logged_by) == ("service.survey", survey.pk, w.a.admin)
    assert list(touch.contacts.all()) == [w.personas.contact_a]
    page = client.get(response["Location"]).content.decode()
    assert "Thank you" in page and "You gave 9 of 10" in page and 'name="score"' not in page


def test_a_low_nps_opens_the_leads_follow_up_as_the_service_does(w, client):
    survey = nps_for(w.a)
    head = Department.objects.get(code="maintenance").head
    lead = head or w.a.customer.service_owner or w.a.customer.owner
    signed_in(client, w.a.admin).post(reverse("portal:survey", args=[survey.pk]), {"score": "3", "comment": "太慢"})
    survey.refresh_from_db()
    assert survey.score == 3 and survey.followup is not None
    assert FollowUp.objects.get(pk=survey.followup_id).assignee == lead


def test_a_csat_is_answered_from_1_to_5_and_logged_on_its_request(w, client):
    survey = csat_for(w.a)
    signed_in(client, w.a.user)
    page = client.get(reverse("portal:survey", args=[survey.pk])).content.decode()
    assert 'value="5"' in page and 'value="0"' not in page and 'value="6"' not in page and "Very satisfied" in page
    refused = client.post(reverse("portal:survey", args=[survey.pk]), {"score": "6"})
    assert refused.status_code == 400 and refused.context["form"].errors["score"] == ["Choose a score from 1 to 5."]
    assert client.post(reverse("portal:survey", args=[survey.pk]), {"score": "4"}).status_code == 302
    survey.refresh_from_db()
    assert survey.score == 4
    touch = portal_touches(w.a).order_by("-id").first()
    assert (touch.link_type, touch.link_id) == ("service.servicerequest", w.a.request.pk)
    assert w.a.request.number in touch.subject


def test_answering_twice_is_refused_with_a_clear_message_and_changes_nothing(w, client):
    survey = nps_for(w.a)
    signed_in(client, w.a.admin, "zh-hans")
    client.post(reverse("portal:survey", args=[survey.pk]), {"score": "8"})
    touches = portal_touches(w.a).count()
    again = client.post(reverse("portal:survey", args=[survey.pk]), {"score": "2", "comment": "改主意了"})
    assert again.status_code == 400
    assert "该调查已经回复过了，谢谢！" in again.content.decode()
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.followup_id) == (8, "", None)
    assert portal_touches(w.a).count() == touches


@pytest.mark.parametrize("score", ["11", "-1", "abc", "", None, "5.5", "٣", "9" * 30])
@pytest.mark.parametrize(("language", "message"), [("en", "Choose a score from 0 to 10."), ("zh-hans", "请选择 0 到 10 之间的分数。")])
def test_a_hostile_score_gets_a_field_error_in_the_users_language_and_nothing_is_written(w, client, score, language, message):
    survey = nps_for(w.a)
    touches, followups = portal_touches(w.a).count(), FollowUp.objects.count()
    signed_in(client, w.a.admin, language)
    data = {"comment": "试探"} if score is None else {"score": score, "comment": "试探"}
    response = client.post(reverse("portal:survey", args=[survey.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].errors["score"] == [message] and message in response.content.decode()
    survey.refresh_from_db()
    assert (survey.score, survey.answered_at, survey.comment) == (None, None, "")
    assert (portal_touches(w.a).count(), FollowUp.objects.count()) == (touches, followups)


def test_the_portal_service_refuses_staff_and_a_survey_not_addressed_to_the_user(w):
    survey = nps_for(w.a)
    with pytest.raises(ValidationError):
        portal_survey_answer(by=w.personas.maintenance_agent, survey=survey, score=10)
    with pytest.raises(ValidationError):
        portal_survey_answer(by=w.a.user, survey=survey, score=10)  # addressed to the admin's contact
    survey.refresh_from_db()
    assert survey.score is None and not Touchpoint.objects.filter(link_type="service.survey", link_id=survey.pk).exists()


# --- Query counts -----------------------------------------------------------------------------------


def test_the_survey_pages_have_pinned_query_counts(w, client, django_assert_num_queries):
    signed_in(client, w.a.admin)
    nps_for(w.a)
    csat = Survey.objects.create(kind="csat", customer=w.a.customer, contact=w.personas.contact_a, request=w.a.request,
                                 sent_at=timezone.now())  # fmt: skip
    for period in ("2025Q1", "2025Q2", "2025Q3"):
        nps_for(w.a, period=period, answered=True)
    # Session, user, the portal scope, the account, the policy's positions (for the survey access rules), then the page's reads.
    for url, queries in [(reverse("portal:home"), 10), (reverse("portal:surveys"), 7), (reverse("portal:survey", args=[csat.pk]), 6)]:
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200
