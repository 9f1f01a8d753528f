"""Satisfaction surveys: a CSAT survey per resolved request through a signed link, answered once;
NPS once a quarter per customer; a low score opens a follow-up for the lead."""

from datetime import date, timedelta

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.urls import reverse

from touchpoint.core.models import Event, Notification
from touchpoint.service.models import Survey
from touchpoint.service.services import surveys
from touchpoint.service.services.surveys import (
    SurveyTokenError,
    nps_send_quarterly,
    survey_answer,
    survey_send_for_request,
    survey_token,
)
from touchpoint.service.tests import fixtures_records
from touchpoint.service.tests.fixtures_records import log_request
from touchpoint.touchpoints.models import FollowUp, Touchpoint

pytestmark = pytest.mark.django_db
resolved = fixtures_records.resolved


def test_a_resolved_request_sends_one_survey_by_email_however_often_asked(personas, resolved, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        survey = survey_send_for_request(request=resolved, by=personas.maintenance_agent)
        again = survey_send_for_request(request=resolved, by=personas.maintenance_agent)
    assert again == survey and Survey.objects.filter(request=resolved).count() == 1
    assert survey.kind == "csat" and survey.contact == personas.contact_a
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [personas.contact_a.email]
    assert reverse("service:survey_answer", args=[survey_token(survey)]).split("/survey/")[0] in mail.outbox[0].body
    assert Touchpoint.objects.filter(link_type="service.survey", link_id=survey.pk, channel="email").exists()
    assert Event.objects.filter(verb="survey.sent", target_id=resolved.pk).count() == 1


def test_no_survey_for_a_request_that_is_not_resolved(personas, desk):
    request = log_request(personas)
    with pytest.raises(ValidationError):
        survey_send_for_request(request=request, by=personas.maintenance_agent)
    assert not Survey.objects.exists()


def test_an_answer_through_the_token_is_recorded_once(personas, resolved):
    survey = survey_send_for_request(request=resolved, by=personas.maintenance_agent)
    token = survey_token(survey)
    answered = survey_answer(token=token, score="4", comment="处理及时")
    assert answered.score == 4 and answered.answered_at is not None and answered.followup is None
    with pytest.raises(SurveyTokenError) as reused:
        survey_answer(token=token, score=1, comment="改主意了")
    assert reused.value.code == "answered"
    answered.refresh_from_db()
    assert answered.score == 4 and answered.comment == "处理及时"


def test_a_forged_or_tampered_token_changes_nothing(personas, resolved):
    survey = survey_send_for_request(request=resolved, by=personas.maintenance_agent)
    forged = signing.dumps({"survey": survey.pk, "kind": "csat"}, salt="another-salt")
    tampered = survey_token(survey)[:-2] + "xx"
    for token in (forged, tampered, "", "not-a-token", "a" * 5000, "{'survey': 1}"):
        with pytest.raises(SurveyTokenError) as refused:
            survey_answer(token=token, score=5)
        assert refused.value.code == "forged"
    other = signing.dumps({"survey": survey.pk + 999, "kind": "csat"}, salt=surveys.TOKEN_SALT)
    with pytest.raises(SurveyTokenError):
        survey_answer(token=other, score=5)
    survey.refresh_from_db()
    assert survey.score is None


def test_an_expired_token_says_so(personas, resolved, monkeypatch):
    survey = survey_send_for_request(request=resolved, by=personas.maintenance_agent)
    token = survey_token(survey)
    monkeypatch.setattr(surveys, "TOKEN_MAX_AGE", timedelta(seconds=-1))
    with pytest.raises(SurveyTokenError) as refused:
        survey_answer(token=token, score=5)
    assert refused.value.code == "expired"


def test_a_score_out_of_range_is_refused_on_the_field(personas, resolved):
    survey = survey_send_for_request(request=resolved, by=personas.maintenance_agent)
    for score in ("0", "6", "abc", None, "4.5", -1):
        with pytest.raises(ValidationError) as refused:
            survey_answer(survey=survey, score=score)
        assert "score" in refused.value.message_dict
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_a_low_csat_opens_a_follow_up_for_the_owners_lead(personas, resolved):
    survey = survey_send_for_request(request=resolved, by=personas.maintenance_agent)
    answered = survey_answer(token=survey_token(survey), score=2, comment="拖了太久")
    followup = FollowUp.objects.get(pk=answered.followup_id)
    assert followup.assignee == personas.maintenance_lead and followup.customer == personas.customer_a
    assert "拖了太久" in followup.notes
    assert Notification.objects.filter(recipient=personas.maintenance_lead, key=f"survey:{survey.pk}:low").exists()


def test_nps_goes_once_per_customer_per_quarter(personas, covered):
    assert nps_send_quarterly(today=date(2026, 5, 6)) == 1
    assert nps_send_quarterly(today=date(2026, 6, 30)) == 0
    survey = Survey.objects.get(kind="nps")
    assert survey.period == "2026Q2" and survey.customer == personas.customer_a and survey.contact == personas.contact_a
    assert nps_send_quarterly(today=date(2026, 7, 1)) == 1
    assert Survey.objects.filter(kind="nps").count() == 2


def test_a_detractor_nps_opens_a_follow_up_and_a_promoter_does_not(personas, covered, desk):
    nps_send_quarterly(today=date(2026, 5, 6))
    survey = Survey.objects.get(kind="nps")
    answered = survey_answer(token=survey_token(survey), score=6)
    assert answered.followup is not None and answered.followup.assignee == personas.maintenance_lead
    assert FollowUp.objects.count() == 1


def test_a_portal_user_of_another_customer_cannot_answer(personas, resolved, monkeypatch):
    survey = survey_send_for_request(request=resolved, by=personas.maintenance_agent)
    monkeypatch.setattr(surveys, "portal_customers", lambda user: frozenset({personas.customer_b.pk}))
    with pytest.raises(SurveyTokenError):
        survey_answer(survey=survey, score=5, by=personas.outsider)
    survey.refresh_from_db()
    assert survey.score is None


def test_the_after_resolve_hook_sends_once_and_skips_a_request_that_moved_on(personas, resolved, desk):
    assert surveys.survey_send_after_resolve(request_id=resolved.pk, by=personas.maintenance_agent) is not None
    assert surveys.survey_send_after_resolve(request_id=resolved.pk, by=personas.maintenance_agent) is not None
    assert Survey.objects.filter(request=resolved).count() == 1
    still_open = log_request(personas)
    assert surveys.survey_send_after_resolve(request_id=still_open.pk, by=personas.maintenance_agent) is None
    assert surveys.survey_send_after_resolve(request_id=10**9, by=personas.maintenance_agent) is None
