"""The support mailbox's API: the list with the page's filters, the retry, and who is refused."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from touchpoint.core.models import Event
from touchpoint.customers.models import Contact
from touchpoint.service.models import InboundMail, ServiceRequest
from touchpoint.service.tests import fixtures_records
from touchpoint.service.tests.test_mail_log import _support_address, compose, failed_earlier, failing_reply, mail_log_fixture  # noqa: F401
from touchpoint.testing import make_portal_personas

pytestmark = pytest.mark.django_db
api_as = fixtures_records.api_as
URL = "/api/v1/service/inbound-mails/"


def retry_url(mail: InboundMail) -> str:
    return f"{URL}{mail.pk}/retry/"


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def test_the_lead_lists_every_mail_newest_first_with_its_outcome_and_request(api_as, personas, mail_log):
    response = api_as(personas.maintenance_lead).get(URL)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == sorted((mail.pk for mail in mail_log.values()), reverse=True)
    created = next(row for row in rows if row["id"] == mail_log["created"].pk)
    assert created["outcome"] == "created" and created["outcome_group"] == "taken"
    assert created["request"] == mail_log["created"].request.pk and created["request_number"] == mail_log["created"].request.number
    assert created["has_original"] is False and created["sender"] == "zhangwei@htsc.example" and created["uid"] == 1
    failed = next(row for row in rows if row["id"] == mail_log["failed"].pk)
    assert failed["outcome_group"] == "problems" and failed["has_original"] is True and failed["request"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"group": "taken"}, {"created", "threaded"}), ({"group": "ignored"}, {"bounce", "auto"}),
     ({"group": "problems"}, {"failed", "rejected"}), ({"outcome": "auto_reply"}, {"auto"}),
     ({"search": "wangfang"}, {"failed"}), ({"search": "<bounce@mx>"}, {"bounce"})],
)  # fmt: skip
def test_the_list_filters_like_the_page(api_as, personas, mail_log, query, expected):
    response = api_as(personas.maintenance_agent).get(URL, query)
    assert response.status_code == 200 and ids(response) == {mail_log[key].pk for key in expected}


def test_the_list_filters_by_received_day_and_by_request(api_as, personas, mail_log):
    InboundMail.objects.filter(pk=mail_log["bounce"].pk).update(created_at=timezone.now() - timedelta(days=10))
    client = api_as(personas.maintenance_lead)
    old = (timezone.localdate() - timedelta(days=10)).isoformat()
    assert ids(client.get(URL, {"since": old, "until": old})) == {mail_log["bounce"].pk}
    assert mail_log["bounce"].pk not in ids(client.get(URL, {"since": timezone.localdate().isoformat()}))
    request = mail_log["created"].request
    assert ids(client.get(URL, {"request": request.pk})) == {mail_log["created"].pk, mail_log["threaded"].pk}


@pytest.mark.parametrize(
    ("query", "field"),
    [({"group": "everything"}, "group"), ({"since": "yesterday"}, "since"), ({"since": "0001-01-01"}, "since"),
     ({"since": "2026-03-10", "until": "2026-03-01"}, "until"), ({"search": "x" * 101}, "search"),
     ({"search": "a\x00b"}, "search"), ({"sender": "x"}, "sender"), ({"ordering": "reason"}, "ordering"),
     ({"page_size": "-3"}, "page_size")],
)  # fmt: skip
def test_bad_filters_are_a_400_naming_the_parameter_in_the_readers_language(api_as, personas, mail_log, query, field):
    response = api_as(personas.maintenance_lead, "zh-hans").get(URL, query)
    assert response.status_code == 400 and field in response.json()
    assert any(ord(ch) > 0x3000 for ch in str(response.json()[field]))


@pytest.mark.parametrize("position", ["sales_rep", "sales_manager", "engineer", "finance", "executive", "marketing"])
def test_staff_outside_the_maintenance_centre_are_refused(api_as, personas, mail_log, position):
    client = api_as(personas.by_position()[position])
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{mail_log['failed'].pk}/").status_code == 403
    assert client.post(retry_url(mail_log["failed"])).status_code == 403
    mail_log["failed"].refresh_from_db()
    assert mail_log["failed"].outcome == "failed"


def test_portal_users_and_outsiders_are_refused_and_anonymous_callers_must_sign_in(api_as, personas, mail_log):
    for user in [*make_portal_personas(personas).all().values(), personas.outsider]:
        client = api_as(user)
        assert client.get(URL).status_code == 403
        assert client.post(retry_url(mail_log["failed"])).status_code == 403
    assert APIClient().get(URL).status_code == 401
    assert APIClient().post(retry_url(mail_log["failed"])).status_code == 401
    mail_log["failed"].refresh_from_db()
    assert mail_log["failed"].outcome == "failed" and not ServiceRequest.objects.filter(subject="委托回报延迟").exists()


def test_one_mail_reads_and_an_unknown_or_malformed_id_is_a_404(api_as, personas, mail_log):
    client = api_as(personas.maintenance_agent)
    response = client.get(f"{URL}{mail_log['threaded'].pk}/")
    assert response.status_code == 200 and response.json()["outcome"] == "threaded"
    assert client.get(f"{URL}999999/").status_code == 404
    assert client.get(f"{URL}abc/").status_code == 404


def test_the_lead_retries_a_failed_mail_once(api_as, personas, mail_log):
    client = api_as(personas.maintenance_lead)
    response = client.post(retry_url(mail_log["failed"]))
    assert response.status_code == 200
    body = response.json()
    assert body["taken_in"] is True and body["mail"]["outcome"] == "created" and body["mail"]["request_number"]
    assert ServiceRequest.objects.filter(subject="委托回报延迟").count() == 1
    again = client.post(retry_url(mail_log["failed"]))
    assert again.status_code == 400 and "non_field_errors" in again.json()
    assert ServiceRequest.objects.filter(subject="委托回报延迟").count() == 1
    assert Event.objects.filter(verb="mail.retried").count() == 1


def test_a_retry_that_fails_again_answers_with_the_new_reason(api_as, personas, desk):
    request, failed = failing_reply(personas)
    response = api_as(personas.admin).post(retry_url(failed))
    assert response.status_code == 200
    body = response.json()
    assert body["taken_in"] is False and body["mail"]["outcome"] == "failed" and "ValidationError" in body["mail"]["reason"]
    assert body["mail"]["reason"] in body["detail"]
    Contact.objects.filter(pk=personas.contact_b.pk).update(customer=personas.customer_a)
    body = api_as(personas.admin).post(retry_url(failed)).json()
    assert body["taken_in"] is True and body["mail"]["outcome"] == "threaded" and body["mail"]["request"] == request.pk


def test_an_agent_reads_but_may_not_retry(api_as, personas, mail_log):
    client = api_as(personas.maintenance_agent)
    assert client.get(URL).status_code == 200
    assert client.post(retry_url(mail_log["failed"])).status_code == 403
    mail_log["failed"].refresh_from_db()
    assert mail_log["failed"].outcome == "failed"


def test_a_retry_of_a_mail_that_did_not_fail_is_a_400_in_the_readers_language(api_as, personas, mail_log):
    response = api_as(personas.maintenance_lead, "zh-hans").post(retry_url(mail_log["bounce"]))
    assert response.status_code == 400 and "只有处理失败的邮件才能重试" in response.json()["non_field_errors"][0]
    mail_log["bounce"].refresh_from_db()
    assert mail_log["bounce"].outcome == "bounce"


def test_the_list_query_count_is_pinned_and_does_not_grow_with_the_mails(api_as, personas, mail_log, django_assert_num_queries):
    client = api_as(personas.maintenance_lead)
    client.get(URL)
    with django_assert_num_queries(4) as first:
        client.get(URL, {"group": "problems"})
    for index in range(30):
        failed_earlier(compose(subject=f"委托失败{index}", message_id=f"<f{index}@mail.htsc.example>"), uid=100 + index)
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(URL, {"group": "problems"})
    assert len(response.json()["results"]) == 32
