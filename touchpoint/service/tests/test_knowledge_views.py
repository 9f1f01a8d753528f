"""The knowledge base pages: search, an article and its helpful buttons, writing and publishing,
an article from a request, and the suggestions fragment."""

import pytest
from django.urls import reverse

from touchpoint.service.models import Article, ArticleFeedback
from touchpoint.service.services.knowledge import article_create, article_publish
from touchpoint.service.tests import fixtures_records
from touchpoint.service.tests.fixtures_records import as_user

pytestmark = pytest.mark.django_db
resolved = fixtures_records.resolved


def write(personas, publish=True, **extra):
    fields = {"title": "行情服务器断线后如何恢复", "body": "检查行情网关证书。\n\n<script>alert(1)</script>重启行情网关。",
              "visibility": "customer"}  # fmt: skip
    fields.update(extra)
    article = article_create(by=personas.maintenance_agent, **fields)
    return article_publish(article=article, by=personas.maintenance_lead) if publish else article


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_knowledge_base_searches_in_chinese(client, personas, language):
    match, other = write(personas), write(personas, title="委托超时", body="交易网关")
    as_user(client, personas.sales_rep, language)
    page = client.get(reverse("service:knowledge_list"), {"q": "断线"}).content.decode()
    assert match.title in page and other.title not in page
    fragment = client.get(reverse("service:knowledge_list"), {"q": "委托"}, HTTP_HX_REQUEST="true").content.decode()
    assert other.title in fragment and "<html" not in fragment


def test_the_list_query_count_is_pinned(client, personas, django_assert_max_num_queries):
    write(personas)
    as_user(client, personas.sales_rep)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("service:knowledge_list")).status_code == 200
    for n in range(5):
        write(personas, title=f"文章{n}")
    with django_assert_max_num_queries(10):
        assert client.get(reverse("service:knowledge_list")).status_code == 200


def test_an_article_shows_its_text_escaped_and_takes_one_vote_per_reader(client, personas, django_assert_max_num_queries):
    article = write(personas)
    as_user(client, personas.sales_rep)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("service:article_detail", args=[article.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    url = reverse("service:article_feedback", args=[article.pk])
    fragment = client.post(url, {"helpful": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="article-feedback"' in fragment and "<html" not in fragment
    client.post(url, {"helpful": "1"}, HTTP_HX_REQUEST="true")
    client.post(url, {"helpful": "maybe"}, HTTP_HX_REQUEST="true")
    article.refresh_from_db()
    assert article.helpful_count == 1 and ArticleFeedback.objects.count() == 1


def test_an_article_is_written_edited_and_published_through_the_pages(client, personas):
    as_user(client, personas.maintenance_agent)
    refused = client.post(reverse("service:article_new"), {"title": "", "language": "zh-hans", "visibility": "internal",
                                                           "category": "faq", "body": ""})  # fmt: skip
    assert refused.status_code == 400 and not Article.objects.exists()
    created = client.post(reverse("service:article_new"), {"title": "如何导出成交回报", "language": "zh-hans", "visibility": "customer",
                                                           "category": "how_to", "body": "菜单 → 导出"})  # fmt: skip
    article = Article.objects.get()
    assert created.status_code == 302 and article.status == "draft"
    edited = client.post(reverse("service:article_edit", args=[article.pk]), {
        "title": "如何导出成交回报（新版）", "language": "zh-hans", "visibility": "customer", "category": "how_to",
        "body": "菜单 → 导出 → Excel", "version": article.version})  # fmt: skip
    assert edited.status_code == 302
    assert client.post(reverse("service:article_publish", args=[article.pk])).status_code == 403  # an agent does not publish
    as_user(client, personas.maintenance_lead)
    assert client.post(reverse("service:article_publish", args=[article.pk])).status_code == 302
    article.refresh_from_db()
    assert article.status == "published" and article.title.endswith("（新版）")


def test_an_article_from_a_resolved_request_is_prefilled(client, personas, resolved):
    as_user(client, personas.maintenance_agent)
    page = client.get(reverse("service:article_new"), {"request": resolved.pk})
    assert page.status_code == 200 and "重启行情网关" in page.content.decode()
    client.post(reverse("service:article_new") + f"?request={resolved.pk}", {
        "title": resolved.subject, "language": "zh-hans", "visibility": "internal", "category": "troubleshooting",
        "body": "步骤"})  # fmt: skip
    assert Article.objects.get().source_request == resolved
    assert client.get(reverse("service:article_new"), {"request": "abc"}).status_code == 200
    assert client.get(reverse("service:article_new"), {"request": "99999999"}).status_code == 404


def test_the_suggestions_fragment_lists_matching_articles_only_to_those_who_may_read_them(client, personas, django_assert_max_num_queries):
    public, internal = write(personas), write(personas, title="行情断线内部处理", visibility="internal")
    write(personas, title="行情断线草稿", publish=False)
    as_user(client, personas.maintenance_agent)
    url = reverse("service:knowledge_suggest")
    with django_assert_max_num_queries(6):
        fragment = client.get(url, {"q": "客户说行情又断线了", "product": "abc"}, HTTP_HX_REQUEST="true").content.decode()
    assert public.title in fragment and internal.title in fragment and "草稿" not in fragment and "<html" not in fragment
    assert client.get(url, {"q": '" OR * NEAR('}).status_code == 200
    assert client.get(url, {"q": "x" * 20000}).status_code == 200
    client.logout()
    assert client.get(url, {"q": "行情"}).status_code == 302
