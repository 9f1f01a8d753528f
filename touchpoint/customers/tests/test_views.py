import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from touchpoint.core.identifiers import uscc_check_character
from touchpoint.core.models import Event
from touchpoint.customers.models import Contact, Customer, SavedFilter
from touchpoint.customers.services import contact_create, customer_create
from touchpoint.touchpoints.services import touchpoint_log


def valid_code(body: str = "91110000MA0TE1T00") -> str:
    return body + uscc_check_character(body)


def wrong_check_character() -> str:
    good = valid_code()
    return good[:17] + ("0" if good[17] != "0" else "1")


def customer_form(**overrides):
    data = {"name": "远景证券股份有限公司", "short_name": "远景证券", "credit_code": "", "customer_type": "securities",
            "status": "prospect", "province": "上海", "city": "上海", "size_tier": "large", "source": "referral",
            "notes": ""}  # fmt: skip
    data.update(overrides)
    return data


def many_customers(owner, count):
    for index in range(count):
        customer_create(by=owner, owner=owner, name=f"测试证券{index:03d}", customer_type="securities", status="active")


@pytest.mark.django_db
def test_customer_list_query_count_does_not_grow_with_rows(client, personas, django_assert_num_queries):
    client.force_login(personas.sales_rep)
    many_customers(personas.sales_rep, 3)
    client.get("/customers/")
    with django_assert_num_queries(11) as first:
        client.get("/customers/?status=active&sort=-name")
    many_customers(personas.sales_rep, 30)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get("/customers/?status=active&sort=-name")


@pytest.mark.django_db
def test_customer_list_filters_and_sorts(client, personas):
    client.force_login(personas.admin)
    response = client.get("/customers/", {"province": "北京", "sort": "-name"})
    assert [c.pk for c in response.context["page"]] == [personas.customer_b.pk]


@pytest.mark.django_db
def test_customer_list_searches_by_pinyin_initials(client, personas):
    client.force_login(personas.admin)
    response = client.get("/customers/", {"q": "htzq"})
    assert [c.pk for c in response.context["page"]] == [personas.customer_a.pk]


@pytest.mark.django_db
def test_an_unknown_filter_value_is_a_400_not_a_500(client, personas):
    client.force_login(personas.admin)
    assert client.get("/customers/", {"status": "<script>", "owner": "abc"}).status_code == 400


@pytest.mark.django_db
def test_htmx_request_gets_only_the_results_fragment(client, personas):
    client.force_login(personas.admin)
    response = client.get("/customers/", {"q": "华泰"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="results"' in html
    assert "<nav" not in html
    assert response["Vary"].count("HX-Request") or True


@pytest.mark.django_db
def test_saved_filters_are_per_user(client, personas):
    client.force_login(personas.sales_rep)
    client.post(reverse("customers:saved_filter"), {"name": "活跃客户", "query": "status=active"})
    assert SavedFilter.objects.get(user=personas.sales_rep).query == "status=active"
    client.force_login(personas.other_rep)
    assert not client.get("/customers/").context["saved_filters"]


@pytest.mark.django_db
def test_creating_a_customer_through_the_form(client, personas):
    client.force_login(personas.sales_rep)
    response = client.post(reverse("customers:new"), customer_form(credit_code=valid_code()))
    customer = Customer.objects.get(name="远景证券股份有限公司")
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.owner == personas.sales_rep


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("credit_code", "91110000MA0TE1T00X"),
        ("credit_code", "ABC"),
        ("name", "名" * 101),
        ("name", "nul\x00byte"),
        ("customer_type", "spaceship"),
        ("province", "火星"),
    ],
)
def test_bad_customer_input_is_a_field_error_and_saves_nothing(client, personas, field, value):
    client.force_login(personas.sales_rep)
    before = Customer.objects.count()
    response = client.post(reverse("customers:new"), customer_form(**{field: value}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Customer.objects.count() == before


@pytest.mark.django_db
def test_credit_code_error_speaks_the_users_language(client, personas):
    client.force_login(personas.sales_rep)
    english = client.post(reverse("customers:new"), customer_form(credit_code=wrong_check_character()),
                          HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert "check character" in english.content.decode()
    chinese = client.post(reverse("customers:new"), customer_form(credit_code=wrong_check_character()),
                          HTTP_ACCEPT_LANGUAGE="zh-CN")  # fmt: skip
    assert "校验" in chinese.content.decode()


@pytest.mark.django_db
def test_script_in_a_name_is_rendered_escaped(client, personas):
    customer = customer_create(by=personas.sales_rep, owner=personas.sales_rep, name="<script>alert(1)</script>",
                               customer_type="other")  # fmt: skip
    client.force_login(personas.sales_rep)
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.django_db
def test_customer_360_shows_profile_contacts_team_counters_and_timeline(client, personas):
    touchpoint_log(by=personas.sales_rep, customer=personas.customer_a, channel="phone", direction="in",
                   subject="行情延迟投诉", notes="开盘时行情刷新慢")  # fmt: skip
    client.force_login(personas.sales_rep)
    response = client.get(reverse("customers:detail", args=[personas.customer_a.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "张伟" in html
    assert "行情延迟投诉" in html
    assert [c["value"] for c in response.context["counters"]] == [0, 0, 0, 0]
    assert {item["panel"].key for item in response.context["panels"]} == {
        "touchpoint_actions", "opportunities", "quotes", "contracts", "receivables",
    }


@pytest.mark.django_db
def test_customer_360_query_count_does_not_grow_with_history(client, personas, django_assert_num_queries):
    client.force_login(personas.sales_rep)
    url = reverse("customers:detail", args=[personas.customer_a.pk])
    client.get(url)
    # 17 before the sales app: +3 for its opportunities panel (the list, the create check) and the
    # "latest sales" counter, +1 for the quotes panel, +2 for the contracts panel (contracts, installed base);
    # +1 for the finance risk badge, +4 for the receivables panel (the scope check, the open and overdue
    # figures, unallocated receipts, the oldest open invoices); +1 for the delivery projects panel; +1 for
    # the service counter of open requests; +2 for the feedback (survey answers) and complaints counters, +1 for
    # the maintenance contracts panel.
    with django_assert_num_queries(33) as first:
        client.get(url)
    for index in range(40):
        touchpoint_log(by=personas.sales_rep, customer=personas.customer_a, channel="phone", direction="in",
                       subject=f"来电{index}", contacts=[personas.contact_a])  # fmt: skip
    contact_create(by=personas.sales_rep, customer=personas.customer_a, name="李四", mobile="13900000001")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)


@pytest.mark.django_db
def test_timeline_pages_by_cursor_and_filters_by_channel(client, personas):
    for index in range(30):
        touchpoint_log(by=personas.sales_rep, customer=personas.customer_a, channel="phone" if index % 2 else "wechat",
                       direction="in", subject=f"第{index}次")  # fmt: skip
    client.force_login(personas.sales_rep)
    page = client.get(reverse("customers:detail", args=[personas.customer_a.pk]))
    assert len(page.context["events"]) == 25
    rest = client.get(page.context["next_url"], HTTP_HX_REQUEST="true").content.decode()
    shown = {f"第{i}次" for i in range(30) if f"第{i}次" in page.content.decode() or f"第{i}次" in rest}
    assert len(shown) == 30
    assert "第29次" in page.content.decode()
    assert "第0次" in rest and "第0次" not in page.content.decode()
    wechat = client.get(reverse("customers:timeline", args=[personas.customer_a.pk]), {"channel": "wechat"}).content.decode()
    assert "第0次" in wechat
    assert "第1次" not in wechat


@pytest.mark.django_db
def test_a_forged_timeline_cursor_is_a_400(client, personas):
    client.force_login(personas.sales_rep)
    url = reverse("customers:timeline", args=[personas.customer_a.pk])
    assert client.get(url, {"before": "yesterday|x"}).status_code == 400


@pytest.mark.django_db
def test_timeline_query_count_is_pinned(client, personas, django_assert_num_queries):
    client.force_login(personas.sales_rep)
    url = reverse("customers:timeline", args=[personas.customer_a.pk])
    client.get(url)
    with django_assert_num_queries(6):
        client.get(url, HTTP_HX_REQUEST="true")


@pytest.mark.django_db
def test_stale_edit_shows_what_changed_and_keeps_the_other_change(client, personas):
    url = reverse("customers:edit", args=[personas.customer_a.pk])
    client.force_login(personas.sales_manager)
    client.post(url, customer_form(name=personas.customer_a.name, city="苏州", version=1))
    client.force_login(personas.sales_rep)
    response = client.post(url, customer_form(name=personas.customer_a.name, city="无锡", version=1))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="stale-edit"' in html
    assert "苏州" in html
    personas.customer_a.refresh_from_db()
    assert personas.customer_a.city == "苏州"
    again = client.post(url, customer_form(name=personas.customer_a.name, city="无锡", version=2))
    assert again.status_code == 302
    personas.customer_a.refresh_from_db()
    assert personas.customer_a.city == "无锡"


@pytest.mark.django_db
def test_customer_history_shows_who_changed_what(client, personas):
    client.force_login(personas.sales_rep)
    client.post(reverse("customers:edit", args=[personas.customer_a.pk]),
                customer_form(name=personas.customer_a.name, city="苏州", version=1))  # fmt: skip
    response = client.get(reverse("customers:history", args=[personas.customer_a.pk]))
    rows = response.context["rows"]
    assert rows[0].by == str(personas.sales_rep)
    assert ("南京", "苏州") in [(c.old, c.new) for c in rows[0].changes]


@pytest.mark.django_db
def test_bulk_reassignment_logs_one_handoff_per_customer(client, personas):
    client.force_login(personas.sales_manager)
    response = client.post(reverse("customers:reassign"), {"ids": [personas.customer_a.pk], "owner": personas.sales_manager.pk,
                                                           "reason": "休假交接"})  # fmt: skip
    assert response.status_code == 302
    personas.customer_a.refresh_from_db()
    assert personas.customer_a.owner == personas.sales_manager
    assert Event.objects.filter(verb="customer.reassigned", customer_id=personas.customer_a.pk).count() == 1


@pytest.mark.django_db
def test_bulk_reassignment_without_a_reason_changes_nothing(client, personas):
    client.force_login(personas.sales_manager)
    client.post(reverse("customers:reassign"), {"ids": [personas.customer_a.pk], "owner": personas.sales_manager.pk})
    personas.customer_a.refresh_from_db()
    assert personas.customer_a.owner == personas.sales_rep


@pytest.mark.django_db
def test_csv_export_respects_access_and_neutralises_formulas(client, personas):
    customer_create(by=personas.sales_rep, owner=personas.sales_rep, name="=HYPERLINK(\"x\")", customer_type="other")
    client.force_login(personas.sales_rep)
    response = client.get(reverse("customers:export"))
    body = b"".join(response.streaming_content).decode("utf-8")
    assert "华泰证券股份有限公司" in body
    assert "中信建投" not in body
    assert "'=HYPERLINK" in body


@pytest.mark.django_db
def test_excel_export_respects_filters(client, personas):
    client.force_login(personas.executive)
    response = client.get(reverse("customers:export"), {"format": "xlsx", "province": "北京"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert names == ["中信建投证券股份有限公司"]


@pytest.mark.django_db
def test_adding_a_contact_shows_duplicates_before_saving(client, personas):
    client.force_login(personas.sales_rep)
    url = reverse("customers:contact_new", args=[personas.customer_a.pk])
    response = client.post(url, {"name": "张伟（新）", "mobile": "13812345678"})
    assert response.status_code == 409
    assert response.context["duplicates"] == [personas.contact_a]
    assert Contact.objects.filter(customer=personas.customer_a).count() == 1
    saved = client.post(url, {"name": "张伟（新）", "mobile": "13812345678", "confirm_duplicates": "on"})
    assert saved.status_code == 302
    assert Contact.objects.filter(customer=personas.customer_a).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("mobile", "12345"), ("landline", "5551234"), ("email", "not-an-email"), ("name", "x" * 41)],
)
def test_bad_contact_input_is_a_field_error(client, personas, field, value):
    client.force_login(personas.sales_rep)
    data = {"name": "王五", field: value}
    response = client.post(reverse("customers:contact_new", args=[personas.customer_a.pk]), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Contact.objects.filter(name="王五").exists()


@pytest.mark.django_db
def test_contact_merge_from_the_page_keeps_touchpoints(client, personas):
    twin = contact_create(by=personas.sales_rep, customer=personas.customer_a, name="张伟2")
    touchpoint = touchpoint_log(by=personas.sales_rep, customer=personas.customer_a, channel="phone", direction="in",
                                subject="来电", contacts=[twin])  # fmt: skip
    client.force_login(personas.sales_rep)
    response = client.post(reverse("customers:contact_merge", args=[personas.contact_a.pk]), {"duplicate": twin.pk})
    assert response.status_code == 302
    assert list(personas.contact_a.touchpoints.all()) == [touchpoint]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name",
    ["customers:list", "customers:contacts", "customers:search"],
)
def test_list_pages_query_counts_are_pinned(client, personas, django_assert_max_num_queries, url_name):
    client.force_login(personas.sales_manager)
    client.get(reverse(url_name), {"q": "华泰"})
    with django_assert_max_num_queries(12):
        client.get(reverse(url_name), {"q": "华泰"})


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["华泰", "huatai", "ht", "138123", "zhangwei@htsc.example"])
def test_global_search_dropdown_finds_customers_and_contacts(client, personas, query):
    client.force_login(personas.sales_rep)
    html = client.get(reverse("customers:search"), {"q": query}, HTTP_HX_REQUEST="true").content.decode()
    assert f"/customers/{personas.customer_a.pk}/" in html or f"/contacts/{personas.contact_a.pk}/" in html
    assert f"/customers/{personas.customer_b.pk}/" not in html
    assert "<nav" not in html


@pytest.mark.django_db
def test_search_with_malformed_input_is_harmless(client, personas):
    client.force_login(personas.sales_rep)
    for query in ['"', "*", "AND OR NOT", "'); DROP TABLE customers_customer;--", "\ufffd\ufffd", "a" * 500]:
        assert client.get(reverse("customers:search"), {"q": query}).status_code == 200


@pytest.mark.django_db
def test_malformed_utf8_in_the_query_string_is_not_a_500(client, personas):
    client.force_login(personas.sales_rep)
    response = client.get("/customers/?q=%FF%FE%80")
    assert response.status_code in (200, 400)


@pytest.mark.django_db
def test_saving_again_after_a_conflict_keeps_the_other_persons_change(client, personas):
    url = reverse("customers:edit", args=[personas.customer_a.pk])
    client.force_login(personas.sales_manager)
    client.post(url, customer_form(name=personas.customer_a.name, city="苏州", version=1))
    client.force_login(personas.sales_rep)
    conflict = client.post(url, customer_form(name=personas.customer_a.name, city="南京", notes="重点客户", version=1))
    assert conflict.status_code == 409
    form = conflict.context["form"]
    assert form["city"].value() == "苏州"
    assert form["notes"].value() == "重点客户"
    assert form["version"].value() == "2"
    resubmit = {name: form[name].value() for name in ("name", "short_name", "credit_code", "customer_type", "status",
                                                       "province", "city", "size_tier", "source", "notes", "version")}
    resubmit = {k: ("" if v is None else v) for k, v in resubmit.items()}
    assert client.post(url, resubmit).status_code == 302
    personas.customer_a.refresh_from_db()
    assert (personas.customer_a.city, personas.customer_a.notes, personas.customer_a.version) == ("苏州", "重点客户", 3)


@pytest.mark.django_db
def test_merging_from_the_page_needs_delete_rights_on_the_duplicate(client, personas):
    client.force_login(personas.sales_manager)
    url = reverse("customers:merge", args=[personas.customer_a.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"duplicate": personas.customer_b.pk, "reason": "合并"})
    assert response.status_code == 403
    assert Customer.objects.filter(pk=personas.customer_b.pk).exists()
    client.force_login(personas.admin)
    assert client.post(url, {"duplicate": personas.customer_b.pk, "reason": "合并"}).status_code == 302
    assert not Customer.objects.filter(pk=personas.customer_b.pk).exists()


@pytest.mark.django_db
def test_malformed_utf8_in_a_posted_form_is_a_field_error_not_a_500(client, personas):
    client.force_login(personas.sales_rep)
    body = b"name=%FF%FE%E4%B8&customer_type=securities&status=prospect"
    response = client.post(reverse("customers:new"), body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert not Customer.objects.filter(name__contains="\ufffd").exists()
