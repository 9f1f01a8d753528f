"""Query counts of the pages not pinned next to their own views, for an administrator."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from touchpoint.touchpoints.services import followup_create, touchpoint_log

PAGES = {
    "customer edit": ("/customers/{customer}/edit/", 8),
    "customer history": ("/customers/{customer}/history/", 7),
    "customer team": ("/customers/{customer}/team/", 7),
    "customer merge": ("/customers/{customer}/merge/", 6),
    "new customer": ("/customers/new/", 6),
    "contact detail": ("/contacts/{contact}/", 6),
    "contact edit": ("/contacts/{contact}/edit/", 5),
    "contact history": ("/contacts/{contact}/history/", 7),
    "new contact": ("/customers/{customer}/contacts/new/", 5),
    "log touchpoint": ("/customers/{customer}/touchpoints/new/", 9),
    "touchpoint edit": ("/touchpoints/{touchpoint}/edit/", 5),
    "touchpoint history": ("/touchpoints/{touchpoint}/history/", 9),
    "follow-up detail": ("/followups/{followup}/", 6),
    "follow-up edit": ("/followups/{followup}/edit/", 6),
    "new follow-up": ("/customers/{customer}/followups/new/", 7),
    "email": ("/customers/{customer}/email/", 6),
    "recycle bin": ("/recycle-bin/", 8),
    "notifications": ("/notifications/", 5),
    "profile": ("/profile/", 5),
    "policy table": ("/settings/policy/", 4),
    "departments": ("/settings/departments/", 5),
}


@pytest.fixture
def records(personas):
    touchpoint = touchpoint_log(by=personas.sales_rep, customer=personas.customer_a, channel="phone", direction="in",
                                subject="来电", contacts=[personas.contact_a],
                                files=[SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")])  # fmt: skip
    followup = followup_create(by=personas.sales_rep, customer=personas.customer_a, assignee=personas.sales_rep,
                               due_on=timezone.localdate(), subject="回访", touchpoint=touchpoint)  # fmt: skip
    return {"customer": personas.customer_a.pk, "contact": personas.contact_a.pk, "touchpoint": touchpoint.pk,
            "followup": followup.pk}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_query_count_is_pinned(client, personas, records, django_assert_num_queries, page):
    path, queries = PAGES[page]
    url = path.format(**records)
    client.force_login(personas.admin)
    assert client.get(url).status_code == 200
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
