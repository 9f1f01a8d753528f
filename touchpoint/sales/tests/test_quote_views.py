from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from touchpoint.sales.models import Contract, ContractStatus, DiscountApproval, InstalledItem, Quote, QuoteLine, QuoteStatus
from touchpoint.sales.services.quotes import quote_create, quote_line_add, quote_mark_sent, quote_submit


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def draft(personas, opportunity, catalogue) -> Quote:
    quote = quote_create(opportunity=opportunity, by=personas.sales_rep, contact=personas.contact_a)
    quote_line_add(quote=quote, by=personas.sales_rep, module=catalogue["trade-core"])
    return Quote.objects.get(pk=quote.pk)


@pytest.mark.django_db
def test_the_whole_way_from_draft_to_an_active_contract_through_the_pages(client, personas, opportunity, catalogue):
    rep = signed_in(client, personas.sales_rep)
    response = rep.post(f"/sales/opportunities/{opportunity.pk}/quotes/new/",
                        {"contact": personas.contact_a.pk, "valid_until": "2099-01-31", "terms": "含首年维护"})  # fmt: skip
    quote = Quote.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sales/quotes/{quote.pk}/"
    response = rep.post(f"/sales/quotes/{quote.pk}/lines/", {
        "kind": "licence", "module": catalogue["trade-core"].pk, "licence_type": "perpetual", "quantity": "1",
        "discount_percent": "20",
    })  # fmt: skip
    assert response.status_code == 302
    response = rep.post(f"/sales/quotes/{quote.pk}/submit/", {"reason": "竞争激烈"})
    assert Quote.objects.get().status == QuoteStatus.PENDING_APPROVAL
    client.logout()
    manager = signed_in(client, personas.sales_manager)
    assert "竞争激烈" in manager.get("/sales/approvals/").content.decode()
    response = manager.post(f"/sales/quotes/{quote.pk}/decide/", {"decision": "approve", "comment": "可以", "next": "inbox"})
    assert response.status_code == 302 and response["Location"] == "/sales/approvals/"
    client.logout()
    rep = signed_in(client, personas.sales_rep)
    response = rep.post(f"/sales/quotes/{quote.pk}/send/",
                        {"contact": personas.contact_a.pk, "subject": "报价单", "body": "请查收"})  # fmt: skip
    assert response.status_code == 302
    assert Quote.objects.get().status == QuoteStatus.SENT
    assert rep.post(f"/sales/quotes/{quote.pk}/accept/").status_code == 302
    response = rep.post(f"/sales/quotes/{quote.pk}/contract/new/", {
        "title": "两融系统建设合同", "signed_on": timezone.localdate().isoformat(),
        "signed_by_contact": personas.contact_a.pk, "terms": "", "template": "",
    })  # fmt: skip
    assert response.status_code == 400  # the template is required
    from touchpoint.sales.models import MilestoneTemplate

    response = rep.post(f"/sales/quotes/{quote.pk}/contract/new/", {
        "title": "两融系统建设合同", "signed_on": timezone.localdate().isoformat(),
        "signed_by_contact": personas.contact_a.pk, "terms": "", "template": MilestoneTemplate.objects.get().pk,
    })  # fmt: skip
    contract = Contract.objects.get()
    assert response["Location"] == f"/sales/contracts/{contract.pk}/"
    response = rep.post(f"/sales/contracts/{contract.pk}/documents/",
                        {"file": SimpleUploadedFile("signed.pdf", b"%PDF-1.4 signed", content_type="application/pdf")})  # fmt: skip
    assert response.status_code == 302 and contract.documents.count() == 1
    assert rep.post(f"/sales/contracts/{contract.pk}/confirm/").status_code == 302
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    assert InstalledItem.objects.filter(customer=personas.customer_a).count() == 1
    page = rep.get(f"/sales/contracts/{contract.pk}/").content.decode()
    assert "签约款" in page and "集中交易核心" in page


@pytest.mark.django_db
def test_a_bad_line_gets_field_errors_and_adds_nothing(client, personas, draft, catalogue):
    response = signed_in(client, personas.sales_rep).post(f"/sales/quotes/{draft.pk}/lines/", {
        "kind": "licence", "module": catalogue["trade-risk"].pk, "quantity": "-2", "discount_percent": "120",
    })  # fmt: skip
    assert response.status_code == 400
    errors = response.context["line_form"].errors
    assert "quantity" in errors and "discount_percent" in errors
    assert QuoteLine.objects.filter(quote=draft).count() == 1


@pytest.mark.django_db
def test_script_in_a_line_description_is_shown_as_text(client, personas, draft, catalogue):
    signed_in(client, personas.sales_rep).post(f"/sales/quotes/{draft.pk}/lines/", {
        "kind": "other", "description": "<script>alert(1)</script>", "quantity": "1", "unit_price": "100",
        "discount_percent": "0",
    })  # fmt: skip
    page = client.get(f"/sales/quotes/{draft.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.django_db
def test_a_sent_quote_refuses_new_lines_and_says_to_revise(client, personas, draft, catalogue):
    quote_mark_sent(quote=quote_submit(quote=draft, by=personas.sales_rep), by=personas.sales_rep)
    response = signed_in(client, personas.sales_rep).post(f"/sales/quotes/{draft.pk}/lines/", {
        "kind": "licence", "module": catalogue["trade-risk"].pk, "quantity": "1", "discount_percent": "0",
    })  # fmt: skip
    assert response.status_code == 400
    assert len(response.context["line_form"].non_field_errors()) == 1  # "… revise it to make a new version"
    assert QuoteLine.objects.filter(quote=draft).count() == 1
    response = client.post(f"/sales/quotes/{draft.pk}/revise/")
    revision = Quote.objects.get(revision=2)
    assert response["Location"] == f"/sales/quotes/{revision.pk}/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [("sales_rep", 200), ("sales_manager", 200), ("finance", 200), ("executive", 200), ("other_rep", 404),
     ("engineer", 404), ("maintenance_agent", 404), ("marketing", 404), ("outsider", 404)],
)  # fmt: skip
def test_who_sees_a_quote(client, personas, draft, persona, status):
    assert signed_in(client, getattr(personas, persona)).get(f"/sales/quotes/{draft.pk}/").status_code == status
    assert client.get(f"/sales/quotes/{draft.pk}/pdf/").status_code == status


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "status"), [("finance", 403), ("executive", 403), ("other_rep", 404)])
def test_readers_cannot_change_a_quote_and_nothing_changes(client, personas, draft, catalogue, persona, status):
    response = signed_in(client, getattr(personas, persona)).post(f"/sales/quotes/{draft.pk}/lines/", {
        "kind": "licence", "module": catalogue["trade-risk"].pk, "quantity": "1", "discount_percent": "0",
    })  # fmt: skip
    assert response.status_code == status
    assert client.post(f"/sales/quotes/{draft.pk}/submit/", {"reason": ""}).status_code == status
    draft.refresh_from_db()
    assert draft.status == QuoteStatus.DRAFT and draft.lines.count() == 1


@pytest.mark.django_db
def test_only_an_approver_may_decide_a_discount(client, personas, draft, catalogue):
    line = draft.lines.get()
    from touchpoint.sales.services.quotes import quote_line_update

    quote_line_update(line=line, by=personas.sales_rep, discount_percent=Decimal("30"))
    quote_submit(quote=draft, by=personas.sales_rep)
    for persona in ("sales_rep", "finance"):
        response = signed_in(client, getattr(personas, persona)).post(
            f"/sales/quotes/{draft.pk}/decide/", {"decision": "approve", "comment": ""}
        )
        assert response.status_code == 403
    assert DiscountApproval.objects.get().status == "pending"
    response = signed_in(client, personas.executive).post(f"/sales/quotes/{draft.pk}/decide/",
                                                           {"decision": "reject", "comment": ""})  # fmt: skip
    assert response.status_code == 400  # a rejection needs a comment
    assert Quote.objects.get(pk=draft.pk).status == QuoteStatus.PENDING_APPROVAL


@pytest.mark.django_db
def test_the_sent_mail_carries_the_pdf(client, personas, draft):
    quote_submit(quote=draft, by=personas.sales_rep)
    signed_in(client, personas.sales_rep).post(f"/sales/quotes/{draft.pk}/send/",
                                               {"contact": personas.contact_a.pk, "subject": "报价", "body": "附件"})  # fmt: skip
    assert Quote.objects.get(pk=draft.pk).status == QuoteStatus.SENT


@pytest.mark.django_db
def test_milestones_that_do_not_sum_to_100_are_refused_on_the_page(client, personas, draft):
    quote_mark_sent(quote=quote_submit(quote=draft, by=personas.sales_rep), by=personas.sales_rep)
    from touchpoint.sales.services.contracts import contract_from_quote
    from touchpoint.sales.services.quotes import quote_accept

    contract = contract_from_quote(quote=quote_accept(quote=draft, by=personas.sales_rep), by=personas.sales_rep)
    data = {"m-TOTAL_FORMS": "2", "m-INITIAL_FORMS": "0", "m-MIN_NUM_FORMS": "0", "m-MAX_NUM_FORMS": "12",
            "m-0-name": "首付", "m-0-percent": "60", "m-0-trigger": "signing",
            "m-1-name": "尾款", "m-1-percent": "30", "m-1-trigger": "event", "m-1-trigger_event": "go_live"}  # fmt: skip
    response = signed_in(client, personas.sales_rep).post(f"/sales/contracts/{contract.pk}/milestones/", data)
    assert response.status_code == 400
    assert "100" in response.content.decode()
    assert contract.milestones.count() == 4


@pytest.mark.django_db
def test_page_query_counts_are_pinned(client, personas, draft, django_assert_num_queries):
    signed_in(client, personas.sales_rep)
    client.get(f"/sales/quotes/{draft.pk}/")
    # 18 for the quote itself, +1 for the finance risk badge beside the customer's name.
    with django_assert_num_queries(18 + 1):
        assert client.get(f"/sales/quotes/{draft.pk}/").status_code == 200
    with django_assert_num_queries(7):
        assert client.get("/sales/quotes/").status_code == 200
    with django_assert_num_queries(6):
        assert client.get("/sales/contracts/").status_code == 200
    with django_assert_num_queries(5):
        assert client.get("/sales/approvals/").status_code == 200


def test_mail_outbox_is_isolated():
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_draft_line_is_changed_in_place_and_bad_values_are_refused(client, personas, draft):
    line = draft.lines.get()
    rep = signed_in(client, personas.sales_rep)
    values = {"description": "集中交易核心（含两融）", "quantity": "2", "unit_price": "800000", "discount_percent": "5",
              "tax_rate": "6"}  # fmt: skip
    response = rep.post(f"/sales/quotes/{draft.pk}/lines/{line.pk}/", values)
    assert response.status_code == 302 and response["Location"].endswith(f"#line-{line.pk}")
    draft.refresh_from_db()
    assert draft.list_total == Decimal("1600000.00") and draft.net_total == Decimal("1520000.00")
    response = rep.post(f"/sales/quotes/{draft.pk}/lines/{line.pk}/", {**values, "discount_percent": "150", "quantity": "0"})
    assert response.status_code == 400
    assert {"discount_percent", "quantity"} <= set(response.context["lines"][0].edit_form.errors)
    draft.refresh_from_db()
    assert draft.net_total == Decimal("1520000.00")
    assert signed_in(client, personas.finance).post(f"/sales/quotes/{draft.pk}/lines/{line.pk}/", values).status_code == 403
