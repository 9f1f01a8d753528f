"""The public survey page reached from the emailed link, and the staff list of answers."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from touchpoint.service.models import Survey
from touchpoint.service.services.surveys import survey_send_for_request, survey_token
from touchpoint.service.tests import fixtures_records
from touchpoint.service.tests.fixtures_records import as_user
from touchpoint.touchpoints.models import FollowUp

pytestmark = pytest.mark.django_db
resolved = fixtures_records.resolved


@pytest.fixture
def survey(personas, resolved):
    return survey_send_for_request(request=resolved, by=personas.maintenance_agent)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_contact_answers_without_signing_in_once(client, survey, language, django_assert_max_num_queries):
    with translation.override(language):
        thanks = translation.gettext("Thank you! Your answer has been recorded.")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    url = reverse("service:survey_answer", args=[survey_token(survey)])
    with django_assert_max_num_queries(4):
        page = client.get(url)
    assert page.status_code == 200 and survey.request.number in page.content.decode()
    answered = client.post(url, {"score": "5", "comment": "很满意"})
    assert answered.status_code == 200 and thanks in answered.content.decode()
    again = client.post(url, {"score": "1"})
    assert again.status_code == 200 and client.get(url).context["done"] is True
    survey.refresh_from_db()
    assert survey.score == 5 and survey.comment == "很满意"


def test_a_forged_link_gets_a_clear_message_and_changes_nothing(client, survey):
    for token in (survey_token(survey)[:-4] + "AAAA", "nonsense", "x" * 3000):
        response = client.get(reverse("service:survey_answer", args=[token]))
        assert response.status_code == 400 and response.context["code"] == "forged"
        assert client.post(reverse("service:survey_answer", args=[token]), {"score": "1"}).status_code == 400
    survey.refresh_from_db()
    assert survey.score is None


def test_a_bad_score_is_refused_on_the_field(client, survey):
    url = reverse("service:survey_answer", args=[survey_token(survey)])
    for score in ("0", "6", "abc", ""):
        response = client.post(url, {"score": score})
        assert response.status_code == 400 and response.context["form"].errors
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_a_low_score_on_the_page_opens_the_follow_up(client, personas, survey):
    client.post(reverse("service:survey_answer", args=[survey_token(survey)]), {"score": "1", "comment": "太慢"})
    assert FollowUp.objects.get().assignee == personas.maintenance_lead


def test_the_staff_list_shows_scores_with_a_pinned_query_count(client, personas, survey, django_assert_max_num_queries):
    Survey.objects.filter(pk=survey.pk).update(score=2, comment="一般", answered_at=timezone.now())
    as_user(client, personas.maintenance_lead)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("service:survey_list"), {"low": "on"})
    assert page.status_code == 200 and "一般" in page.content.decode()
    assert client.get(reverse("service:survey_list"), {"kind": "<b>", "page": "-3"}).status_code == 200
    as_user(client, personas.marketing)
    assert client.get(reverse("service:survey_list")).status_code == 403
