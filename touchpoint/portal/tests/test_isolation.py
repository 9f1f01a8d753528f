"""Isolation is absolute: two customers with two customer users each, over every portal URL, the API
and the staff site. A customer user never sees the other customer's data, through any URL, guessed
id, download, search, fragment or error message; an internal note never reaches any customer.

The portal's URLs are enumerated from the URL configuration, so a new URL that this matrix does not
know fails `test_every_portal_url_is_in_the_matrix` until it is added here.
"""

from typing import Any

import pytest
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from touchpoint.api_urls import router
from touchpoint.portal.models import PortalAccount
from touchpoint.portal.tests.world import INTERNAL_MARK, PortalWorld, Side
from touchpoint.service.models import Survey

VIEWERS = ["a_admin", "a_user", "b_admin", "b_user"]

# Portal URLs without an id: every customer user gets them, and they show only their own customer.
PAGES = ["home", "products", "contracts", "milestones", "documents", "announcements", "knowledge", "requests", "request_new",
         "request_suggestions", "complaints", "complaint_new", "profile", "mfa_activate", "colleagues", "surveys"]  # fmt: skip
# Portal URLs with ids of one customer's records: {url name: {argument: which record of a side}}.
RECORD_URLS: dict[str, dict[str, str]] = {
    "document_download": {"pk": "shared_document"},
    "announcement": {"pk": "announcement"},
    "request": {"pk": "request"},
    "request_reply": {"pk": "request"},
    "request_confirm": {"pk": "request"},
    "request_reopen": {"pk": "request"},
    "request_rate": {"pk": "request"},
    "request_file": {"pk": "request", "file_pk": "attachment"},
    "complaint": {"pk": "complaint"},
    "complaint_confirm": {"pk": "complaint"},
    "colleague_deactivate": {"pk": "account"},
    "survey": {"pk": "survey"},
}
# Knowledge articles are not any customer's: customer-visible ones show to every customer user.
SHARED_URLS = {"article": "pk", "article_feedback": "pk"}
# Pages for visitors who are not signed in; a customer user reaching them sees nothing of anyone.
ANONYMOUS = {"login", "logout", "password_reset", "password_reset_done", "password_reset_complete", "password_reset_confirm",
             "accept", "mfa_deactivate"}  # fmt: skip
# Staff pages under /portal/staff/: a customer user is sent back to the portal.
STAFF = {"staff_announcements", "staff_announcement_new", "staff_announcement_edit", "staff_customer_users",
         "staff_customer_user_deactivate"}  # fmt: skip


def portal_patterns() -> list[URLPattern]:
    return list(get_resolver().namespace_dict["portal"][1].url_patterns)


def sides(w: PortalWorld, viewer: str) -> tuple[Side, Side, Any]:
    """The viewer's own side, the other side, and the viewer."""
    own, other = (w.a, w.b) if viewer.startswith("a") else (w.b, w.a)
    return own, other, own.admin if viewer.endswith("admin") else own.user


def record_id(side: Side, kind: str) -> int:
    if kind == "account":
        return PortalAccount.objects.get(user=side.user).pk
    if kind == "survey":  # the side's quarterly NPS survey, sent to its admin's contact
        return nps_survey(side).pk
    return getattr(side, kind).pk


def nps_survey(side: Side) -> Survey:
    contact = PortalAccount.objects.get(user=side.admin).contact
    survey, _created = Survey.objects.get_or_create(kind="nps", customer=side.customer, contact=contact, period="2026Q2",
                                                    defaults={"sent_at": timezone.now()})  # fmt: skip
    return survey


def forbidden_words(w: PortalWorld, other: Side) -> list[str]:
    """What of the other customer must never appear: its name, its records' numbers and texts, its people."""
    other_users = [str(other.admin), str(other.user), other.admin.email, other.user.email]
    return [other.mark, other.customer.name, other.customer.display_name, other.request.number, other.complaint.number,
            other.coverage.number, other.project.number, INTERNAL_MARK, *other_users]  # fmt: skip


def assert_clean(response: Any, words: list[str]) -> None:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", errors="replace")
    for word in words:
        assert word not in text, f"{word!r} leaked in {response.status_code} {response.request['PATH_INFO']}"


def test_every_portal_url_is_in_the_matrix():
    names = {pattern.name for pattern in portal_patterns()}
    known = set(PAGES) | set(RECORD_URLS) | set(SHARED_URLS) | ANONYMOUS | STAFF
    assert names - known == set(), "add the new portal URL to the isolation matrix"
    for name in PAGES:
        assert not next(p for p in portal_patterns() if p.name == name).pattern.converters


@pytest.mark.parametrize("viewer", VIEWERS)
def test_pages_show_only_the_viewers_own_customer(w, client, viewer):
    _own, other, user = sides(w, viewer)
    client.force_login(user)
    for name in PAGES:
        response = client.get(reverse(f"portal:{name}"), {"subject": "行情延迟", "q": "行情延迟"})  # words both customers used
        assert response.status_code in (200, 302, 404), name  # colleagues: 404 for a plain user; two-factor: sign in again
        assert_clean(response, forbidden_words(w, other))


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("name", sorted(RECORD_URLS))
def test_the_other_customers_ids_are_not_found_with_any_method(w, client, viewer, name):
    _own, other, user = sides(w, viewer)
    client.force_login(user)
    url = reverse(f"portal:{name}", kwargs={arg: record_id(other, kind) for arg, kind in RECORD_URLS[name].items()})
    for method in (client.get, client.post):
        response = method(url, {"body": "试探", "score": "5", "helpful": "yes"})
        assert response.status_code in (404, 405), f"{method.__name__} {url}"
        assert_clean(response, forbidden_words(w, other))


@pytest.mark.parametrize("name", sorted(RECORD_URLS))
def test_garbage_and_missing_ids_get_the_same_not_found(w, client, name):
    client.force_login(w.a.user)
    for guess in ("999999", "-1", "abc", "1 OR 1=1", "%00"):
        response = client.get(reverse(f"portal:{name}", kwargs={arg: guess for arg in RECORD_URLS[name]}))
        assert response.status_code in (404, 405)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_viewers_own_records_open(w, client, viewer):
    own, other, user = sides(w, viewer)
    client.force_login(user)
    for name in ("request", "complaint", "announcement"):
        response = client.get(reverse(f"portal:{name}", args=[record_id(own, name)]))
        assert response.status_code == 200, name
        assert own.mark in response.content.decode()
        assert_clean(response, forbidden_words(w, other))
    download = client.get(reverse("portal:document_download", args=[own.shared_document.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    attachment = client.get(reverse("portal:request_file", args=[own.request.pk, own.attachment.pk]))
    assert attachment.status_code == 200


def test_a_document_not_shared_with_the_customer_does_not_download(w, client):
    client.force_login(w.a.user)
    response = client.get(reverse("portal:document_download", args=[w.a.private_document.pk]))
    assert response.status_code == 404
    page = client.get(reverse("portal:documents")).content.decode()
    assert w.a.shared_document.title in page and w.a.private_document.title not in page


def test_the_other_customers_file_does_not_download_through_the_viewers_own_request(w, client):
    client.force_login(w.a.user)
    response = client.get(reverse("portal:request_file", args=[w.a.request.pk, w.b.attachment.pk]))
    assert response.status_code == 404


def test_the_conversation_shows_replies_but_never_internal_notes(w, client):
    client.force_login(w.a.user)
    page = client.get(reverse("portal:request", args=[w.a.request.pk])).content.decode()
    assert "我们正在处理" in page
    assert INTERNAL_MARK not in page
    assert w.a.request.queue.name not in page  # nor the internal queue


def test_the_knowledge_base_shows_customer_visible_articles_only(w, client):
    client.force_login(w.b.user)
    page = client.get(reverse("portal:knowledge"), {"q": "行情延迟"}).content.decode()
    assert w.articles["public"].title in page and INTERNAL_MARK not in page
    fragment = client.get(reverse("portal:request_suggestions"), {"subject": "行情延迟"}).content.decode()
    assert w.articles["public"].title in fragment and INTERNAL_MARK not in fragment
    assert client.get(reverse("portal:article", args=[w.articles["internal"].pk])).status_code == 404


def test_announcements_reach_their_audience_only(w, client):
    client.force_login(w.a.user)
    page = client.get(reverse("portal:announcements")).content.decode()
    assert w.everyone_announcement.title in page and w.a.announcement.title in page and w.b.announcement.title not in page


@pytest.mark.parametrize("viewer", ["a_admin", "b_user"])
def test_staff_pages_send_customer_users_to_the_portal(w, client, viewer):
    _own, other, user = sides(w, viewer)
    client.force_login(user)
    urls = [f"/{p.pattern}" for p in get_resolver().url_patterns if isinstance(p, URLPattern) and not p.pattern.converters]
    urls += [*staff_urls(other), f"/customers/{other.customer.pk}/", "/customers/search/?q=中信", "/admin/", "/service/"]
    for name in STAFF:
        urls.append(reverse(f"portal:{name}", kwargs=staff_kwargs(name, other)))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/portal/", url


def staff_kwargs(name: str, side: Side) -> dict[str, int]:
    kwargs = {"staff_announcement_edit": {"pk": side.announcement.pk}, "staff_customer_users": {"pk": side.customer.pk},
              "staff_customer_user_deactivate": {"pk": side.customer.pk, "account_pk": 1}}  # fmt: skip
    return kwargs.get(name, {})


def staff_urls(side: Side) -> list[str]:
    """Every staff URL without an id, from the included apps' URL lists."""
    urls = []
    for pattern in get_resolver().url_patterns:
        prefix = str(pattern.pattern)
        if prefix.startswith(("api/", "portal/", "i18n/", "accounts/", "admin/")) or not hasattr(pattern, "url_patterns"):
            continue
        for inner in pattern.url_patterns:
            if isinstance(inner, URLPattern) and not inner.pattern.converters:
                urls.append(f"/{prefix}{inner.pattern}")
    return urls


@pytest.mark.parametrize("viewer", ["a_user", "b_admin"])
def test_the_api_serves_nothing_of_the_other_customer(w, client, viewer):
    _own, other, user = sides(w, viewer)
    token = Token.objects.create(user=user)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    words = forbidden_words(w, other)
    for prefix, _viewset, _basename in router.registry:
        if "{" in prefix or prefix.endswith("/answer"):
            continue
        response = client.get(f"/api/v1/{prefix}/", **auth)
        assert response.status_code in (200, 403, 404, 405), prefix
        assert_clean(response, words)
    guesses = {
        "customers": other.customer.pk, "projects": other.project.pk, "milestones": other.milestone.pk,
        "project-documents": other.shared_document.pk, "service-requests": other.request.pk, "complaints": other.complaint.pk,
        "contracts": other.project.contract_id, "touchpoints": other.attachment.touchpoint_id,
    }  # fmt: skip
    for prefix, pk in guesses.items():
        response = client.get(f"/api/v1/{prefix}/{pk}/", **auth)
        assert response.status_code == 404, prefix
        assert_clean(response, words)


def test_the_api_gives_a_customer_user_their_own_request_without_internal_notes(w, client):
    token = Token.objects.create(user=w.a.user)
    response = client.get(f"/api/v1/service-requests/{w.a.request.pk}/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code in (200, 404)
    assert_clean(response, [INTERNAL_MARK, w.b.mark])
