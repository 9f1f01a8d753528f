"""Linking a complaint to the requests and touchpoints involved: the service, who may do it, the
complaint page's card and form, the API, and isolation (another customer's records are refused on
their field and never linked)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from touchpoint.core.models import Event
from touchpoint.service.models import Complaint, ComplaintEvent
from touchpoint.service.services.complaints import complaint_create, complaint_link, complaint_unlink
from touchpoint.service.tests import fixtures_records
from touchpoint.service.tests.fixtures_records import as_user, log_request
from touchpoint.touchpoints.models import Touchpoint
from touchpoint.touchpoints.services import touchpoint_delete, touchpoint_log

pytestmark = pytest.mark.django_db
api_as = fixtures_records.api_as
resolved = fixtures_records.resolved

# Who may work a complaint of customer A (its owner is the maintenance agent who raised it).
WORKERS = ["maintenance_agent", "maintenance_lead", "admin"]
READERS = ["sales_rep", "sales_manager", "project_manager", "executive"]  # see it, may not work it


@pytest.fixture
def complaint(personas, resolved) -> Complaint:
    return complaint_create(by=personas.maintenance_agent, request=resolved, subject="断线处理太慢", description="三次断线",
                            about="service")  # fmt: skip


@pytest.fixture
def other_request_a(personas, desk):
    return log_request(personas, subject="委托下单超时")


@pytest.fixture
def request_b(personas, desk):
    return log_request(personas, customer=personas.customer_b, contact=personas.contact_b, subject="乙方行情中断")


def touch(personas, customer, subject, *, days_ago=1):
    return touchpoint_log(by=personas.maintenance_agent, customer=customer, channel="phone", direction="in", subject=subject,
                          occurred_at=timezone.now() - timedelta(days=days_ago))  # fmt: skip


def links_of(complaint):
    complaint.refresh_from_db()
    return sorted(complaint.requests.values_list("pk", flat=True)), sorted(complaint.touchpoints.values_list("pk", flat=True))


# --- The service ----------------------------------------------------------------------------------


def test_a_request_and_a_touchpoint_of_the_same_customer_are_linked_with_a_step_and_an_event(personas, complaint, other_request_a):
    call = touch(personas, personas.customer_a, "客户来电催促")
    complaint_link(complaint=complaint, by=personas.maintenance_agent, request=other_request_a, touchpoint=call)
    requests, touchpoints = links_of(complaint)
    assert other_request_a.pk in requests and touchpoints == [call.pk]
    step = ComplaintEvent.objects.filter(complaint=complaint).order_by("-id").first()
    assert step.step == "updated" and other_request_a.number in step.note and "客户来电催促" in step.note
    event = Event.objects.filter(verb="complaint.linked").get()
    assert event.customer_id == personas.customer_a.pk and event.payload["request"] == other_request_a.number


def test_another_customers_records_are_refused_on_their_field_and_nothing_is_linked(personas, complaint, other_request_a, request_b):
    before = links_of(complaint)
    with pytest.raises(ValidationError) as refused:
        complaint_link(complaint=complaint, by=personas.maintenance_agent, request=request_b)
    assert set(refused.value.message_dict) == {"request"}
    with pytest.raises(ValidationError) as refused:
        complaint_link(complaint=complaint, by=personas.maintenance_agent, request=other_request_a,
                       touchpoint=touch(personas, personas.customer_b, "乙方来电"))  # fmt: skip
    assert set(refused.value.message_dict) == {"touchpoint"}
    assert links_of(complaint) == before  # the good request of the same call was not linked either
    assert not Event.objects.filter(verb="complaint.linked").exists()


def test_a_record_already_linked_or_deleted_is_refused(personas, complaint, resolved):
    call = touch(personas, personas.customer_a, "回访")
    complaint_link(complaint=complaint, by=personas.maintenance_agent, touchpoint=call)
    with pytest.raises(ValidationError) as refused:
        complaint_link(complaint=complaint, by=personas.maintenance_agent, request=resolved, touchpoint=call)
    assert resolved.number in refused.value.message_dict["request"][0] and refused.value.message_dict["touchpoint"]
    gone = touch(personas, personas.customer_a, "误录")
    touchpoint_delete(touchpoint=gone, by=personas.maintenance_agent)
    with pytest.raises(ValidationError) as refused:
        complaint_link(complaint=complaint, by=personas.maintenance_agent, touchpoint=gone)
    assert "touchpoint" in refused.value.message_dict
    with pytest.raises(ValidationError):
        complaint_link(complaint=complaint, by=personas.maintenance_agent)


def test_unlinking_removes_a_link_but_never_the_request_the_complaint_was_raised_from(personas, complaint, resolved, other_request_a):
    call = touch(personas, personas.customer_a, "回访")
    complaint_link(complaint=complaint, by=personas.maintenance_agent, request=other_request_a, touchpoint=call)
    complaint_unlink(complaint=complaint, by=personas.maintenance_agent, request=other_request_a, touchpoint=call)
    assert links_of(complaint) == ([resolved.pk], [])
    with pytest.raises(ValidationError) as refused:
        complaint_unlink(complaint=complaint, by=personas.maintenance_agent, request=resolved)
    assert "request" in refused.value.message_dict and links_of(complaint) == ([resolved.pk], [])
    with pytest.raises(ValidationError):
        complaint_unlink(complaint=complaint, by=personas.maintenance_agent, request=other_request_a)
    assert Event.objects.filter(verb="complaint.unlinked").count() == 1


# --- Permissions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("position", WORKERS)
def test_those_who_work_the_complaint_see_the_form_and_link(client, personas, complaint, other_request_a, position):
    as_user(client, personas.by_position()[position])
    url = reverse("service:complaint_detail", args=[complaint.pk])
    assert 'name="touchpoint"' in client.get(url).content.decode()
    response = client.post(reverse("service:complaint_link", args=[complaint.pk]), {"request": other_request_a.number})
    assert response.status_code == 302 and other_request_a.pk in links_of(complaint)[0]


@pytest.mark.parametrize("position", READERS)
def test_those_who_only_read_the_complaint_see_the_links_but_may_not_change_them(client, personas, complaint, other_request_a,
                                                                                  position):  # fmt: skip
    as_user(client, personas.by_position()[position])
    page = client.get(reverse("service:complaint_detail", args=[complaint.pk]))
    assert page.status_code == 200 and complaint.raised_from.number in page.content.decode()
    assert 'name="touchpoint"' not in page.content.decode() and "Unlink" not in page.content.decode()
    before = links_of(complaint)
    linked = client.post(reverse("service:complaint_link", args=[complaint.pk]), {"request": other_request_a.number})
    unlinked = client.post(reverse("service:complaint_unlink", args=[complaint.pk]), {"request": complaint.raised_from_id})
    assert (linked.status_code, unlinked.status_code) == (403, 403) and links_of(complaint) == before


@pytest.mark.parametrize("position", ["engineer", "marketing", "finance"])
def test_those_who_may_not_see_the_complaint_get_not_found(client, personas, complaint, other_request_a, position):
    as_user(client, personas.by_position()[position])
    before = links_of(complaint)
    if position == "finance":  # finance reads every complaint but works only its own
        assert client.post(reverse("service:complaint_link", args=[complaint.pk]), {"request": other_request_a.number}).status_code == 403
    else:
        assert client.post(reverse("service:complaint_link", args=[complaint.pk]), {"request": other_request_a.number}).status_code == 404
    assert links_of(complaint) == before


# --- The complaint page ---------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "title"), [("en", "Linked requests and touchpoints"), ("zh-hans", "关联的工单和互动记录")])
def test_the_card_lists_the_links_with_their_pages(client, personas, complaint, resolved, language, title):
    call = touch(personas, personas.customer_a, "客户来电催促")
    complaint_link(complaint=complaint, by=personas.maintenance_agent, touchpoint=call)
    page = as_user(client, personas.maintenance_lead, language).get(reverse("service:complaint_detail", args=[complaint.pk]))
    text = page.content.decode()
    assert title in text
    assert f'href="/service/requests/{resolved.pk}/"' in text and f'href="/touchpoints/{call.pk}/"' in text
    assert text.count('name="touchpoint" value=') == 1  # one unlink button: the request it was raised from stays


def test_the_touchpoint_choice_offers_the_customers_latest_touchpoints_only(client, personas, complaint):
    mine = [touch(personas, personas.customer_a, f"甲方来电{n}", days_ago=n) for n in range(1, 4)]
    theirs = touch(personas, personas.customer_b, "乙方来电")
    linked = touch(personas, personas.customer_a, "已关联的来电")
    complaint_link(complaint=complaint, by=personas.maintenance_agent, touchpoint=linked)
    form = as_user(client, personas.maintenance_agent).get(reverse("service:complaint_detail", args=[complaint.pk])).context["link_form"]
    offered = [value.value for value, _label in form.fields["touchpoint"].choices if value]
    customers = set(Touchpoint.objects.filter(pk__in=offered).values_list("customer_id", flat=True))
    assert customers == {personas.customer_a.pk} and {t.pk for t in mine} <= set(offered)
    assert theirs.pk not in offered and linked.pk not in offered
    assert offered == sorted(offered, key=lambda pk: Touchpoint.objects.get(pk=pk).occurred_at, reverse=True)


@pytest.mark.parametrize(
    ("data", "field", "language", "message"),
    [
        ({"request": "SR-1999-99999"}, "request", "en", "No request with the number SR-1999-99999."),
        ({"request": "SR-1999-99999"}, "request", "zh-hans", "没有编号为 SR-1999-99999 的工单。"),
        ({"request": "<script>"}, "request", "en", "No request with the number <script>."),
        ({}, None, "en", "Enter a request number or choose a touchpoint."),
        ({"touchpoint": "abc"}, "touchpoint", "en", None),
        ({"touchpoint": "9" * 30}, "touchpoint", "en", None),
    ],
)  # fmt: skip
def test_bad_input_gets_a_field_error_and_links_nothing(client, personas, complaint, data, field, language, message):
    before = links_of(complaint)
    response = as_user(client, personas.maintenance_agent, language).post(reverse("service:complaint_link", args=[complaint.pk]), data)
    assert response.status_code == 400
    errors = response.context["link_form"].errors
    assert field in errors if field else "__all__" in errors
    if message:
        assert errors[field or "__all__"] == [message]
    assert links_of(complaint) == before


def test_another_customers_request_and_an_already_linked_one_are_refused_on_the_field(client, personas, complaint, resolved,
                                                                                       request_b):  # fmt: skip
    as_user(client, personas.maintenance_agent, "zh-hans")
    url = reverse("service:complaint_link", args=[complaint.pk])
    other = client.post(url, {"request": request_b.number})
    assert other.status_code == 400 and other.context["link_form"].errors["request"] == ["该工单属于其他客户；只能关联该投诉客户的工单。"]
    again = client.post(url, {"request": resolved.number.lower()})
    assert again.status_code == 400 and again.context["link_form"].errors["request"] == [f"工单 {resolved.number} 已关联。"]
    theirs = touch(personas, personas.customer_b, "乙方来电")
    tampered = client.post(url, {"touchpoint": theirs.pk})
    assert tampered.status_code == 400 and "touchpoint" in tampered.context["link_form"].errors
    assert links_of(complaint) == ([resolved.pk], [])


def test_unlinking_from_the_page(client, personas, complaint, other_request_a):
    call = touch(personas, personas.customer_a, "回访")
    complaint_link(complaint=complaint, by=personas.maintenance_agent, request=other_request_a, touchpoint=call)
    as_user(client, personas.maintenance_agent)
    url = reverse("service:complaint_unlink", args=[complaint.pk])
    assert client.post(url, {"touchpoint": call.pk}).status_code == 302
    assert client.post(url, {"request": other_request_a.pk}).status_code == 302
    assert links_of(complaint) == ([complaint.raised_from_id], [])
    refused = client.post(url, {"request": complaint.raised_from_id}, follow=True)
    assert "stays linked" in refused.content.decode() and links_of(complaint) == ([complaint.raised_from_id], [])
    assert client.post(url, {"request": "abc"}).status_code == 302  # names nothing linked: nothing changes


def test_the_complaint_page_query_count_does_not_grow_with_links(client, personas, complaint, django_assert_max_num_queries):
    as_user(client, personas.maintenance_agent)
    url = reverse("service:complaint_detail", args=[complaint.pk])
    client.get(url)
    with django_assert_max_num_queries(22) as first:
        assert client.get(url).status_code == 200
    for n in range(4):
        complaint_link(complaint=complaint, by=personas.maintenance_agent, touchpoint=touch(personas, personas.customer_a, f"来电{n}"),
                       request=log_request(personas, subject=f"相关工单{n}"))  # fmt: skip
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(url).status_code == 200


# --- The API --------------------------------------------------------------------------------------


def test_links_are_listed_added_and_removed_through_the_api(api_as, personas, complaint, resolved, other_request_a):
    api = api_as(personas.maintenance_agent)
    url = f"/api/v1/complaints/{complaint.pk}/links/"
    listed = api.get(url)
    assert listed.status_code == 200 and listed.json()["raised_from"] == resolved.pk
    assert [row["number"] for row in listed.json()["requests"]] == [resolved.number]
    call = touch(personas, personas.customer_a, "客户来电")
    added = api.post(url, {"request": other_request_a.pk, "touchpoint": call.pk}, format="json")
    assert added.status_code == 200, added.json()
    assert {row["id"] for row in added.json()["requests"]} == {resolved.pk, other_request_a.pk}
    assert added.json()["touchpoints"][0]["id"] == call.pk
    again = api.post(url, {"request": other_request_a.pk}, format="json")
    assert again.status_code == 400 and list(again.json()) == ["request"]
    assert api.delete(f"{url}requests/{other_request_a.pk}/").status_code == 200
    assert api.delete(f"{url}touchpoints/{call.pk}/").status_code == 200
    assert links_of(complaint) == ([resolved.pk], [])
    raised_from = api.delete(f"{url}requests/{resolved.pk}/")
    assert raised_from.status_code == 400 and "request" in raised_from.json()
    for bad in ("abc", "99999999", "9" * 30):
        assert api.delete(f"{url}requests/{bad}/").status_code == 404
        assert api.delete(f"{url}touchpoints/{bad}/").status_code == 404


def test_the_api_refuses_another_customers_records_on_their_field(api_as, personas, complaint, request_b):
    api = api_as(personas.maintenance_agent, "zh-hans")
    url = f"/api/v1/complaints/{complaint.pk}/links/"
    before = links_of(complaint)
    refused = api.post(url, {"request": request_b.pk}, format="json")
    assert refused.status_code == 400 and refused.json() == {"request": ["该工单属于其他客户；只能关联该投诉客户的工单。"]}
    theirs = touch(personas, personas.customer_b, "乙方来电")
    assert api.post(url, {"touchpoint": theirs.pk}, format="json").json().keys() == {"touchpoint"}
    for body in ({}, {"request": "abc"}, {"request": [1]}, {"touchpoint": True}, {"request": 10**30}):
        response = api.post(url, body, format="json")
        assert response.status_code == 400, body
    assert links_of(complaint) == before


def test_the_api_refuses_readers_and_portal_users_and_hides_other_customers_complaints(api_as, personas, complaint, other_request_a):
    from touchpoint.testing import make_portal_personas

    portal = make_portal_personas(personas)
    url = f"/api/v1/complaints/{complaint.pk}/links/"
    before = links_of(complaint)
    assert api_as(personas.executive).post(url, {"request": other_request_a.pk}, format="json").status_code == 403
    assert api_as(personas.executive).get(url).status_code == 200
    assert api_as(personas.engineer).post(url, {"request": other_request_a.pk}, format="json").status_code == 404
    assert api_as(portal.portal_a_admin).post(url, {"request": other_request_a.pk}, format="json").status_code in (403, 400)
    assert api_as(portal.portal_a_admin).get(url).status_code == 403
    assert api_as(portal.portal_b_admin).get(url).status_code == 404
    assert api_as(portal.portal_b_admin).delete(f"{url}requests/{complaint.raised_from_id}/").status_code == 404
    assert links_of(complaint) == before


def test_the_api_links_query_count_is_pinned(api_as, personas, complaint, django_assert_max_num_queries):
    api = api_as(personas.maintenance_agent)
    for n in range(3):
        complaint_link(complaint=complaint, by=personas.maintenance_agent, touchpoint=touch(personas, personas.customer_a, f"来电{n}"))
    with django_assert_max_num_queries(10):
        assert api.get(f"/api/v1/complaints/{complaint.pk}/links/").status_code == 200
