"""The knowledge base: articles written, edited and published, written from a resolved request, one
vote per reader, and suggestions from a request's Chinese text."""

import pytest
from django.core.exceptions import ValidationError

from touchpoint.core.models import Event
from touchpoint.core.versioning import StaleEdit
from touchpoint.service.access import can_edit_article, can_publish_article, visible_articles
from touchpoint.service.models import Article, ArticleFeedback
from touchpoint.service.services.knowledge import (
    article_create,
    article_feedback,
    article_from_request,
    article_publish,
    article_update,
    knowledge_suggest,
)
from touchpoint.service.tests import fixtures_records
from touchpoint.service.tests.fixtures_records import log_request

pytestmark = pytest.mark.django_db
product = fixtures_records.product
resolved = fixtures_records.resolved
version = fixtures_records.version


def write(personas, publish=True, **extra):
    fields = {"title": "行情服务器断线后如何恢复", "body": "检查行情网关证书是否过期。\n\n重启行情网关服务。",
              "visibility": "customer"}  # fmt: skip
    fields.update(extra)
    article = article_create(by=personas.maintenance_agent, **fields)
    return article_publish(article=article, by=personas.maintenance_lead) if publish else article


def test_an_article_is_written_as_a_draft_then_published(personas):
    article = write(personas, publish=False)
    assert article.status == "draft" and article.author == personas.maintenance_agent
    assert "断线" in article.search_text.split() and "hangqing" in article.search_text
    published = article_publish(article=article, by=personas.maintenance_lead)
    assert published.status == "published" and published.published_at is not None
    with pytest.raises(ValidationError):
        article_publish(article=published, by=personas.maintenance_lead)
    assert Event.objects.filter(verb="article.published", target_id=article.pk).count() == 1


def test_bad_input_is_refused_by_field(personas, product, version):
    with pytest.raises(ValidationError) as refused:
        article_create(by=personas.maintenance_agent, title="", body=" ", visibility="everyone", category="?", language="fr")
    assert set(refused.value.message_dict) == {"title", "body", "visibility", "category", "language"}
    with pytest.raises(ValidationError) as refused:
        article_create(by=personas.maintenance_agent, title="t", body="b", versions=[version])  # a version with no product
    assert "versions" in refused.value.message_dict
    assert not Article.objects.exists()


def test_an_edit_reindexes_and_a_stale_edit_is_refused(personas):
    article = write(personas)
    updated, diff = article_update(article=article, by=personas.maintenance_agent, expected_version=article.version,
                                   title="委托下单超时的排查")  # fmt: skip
    assert diff and "委托" in updated.search_text.split() and "断线" not in Article.objects.get(pk=article.pk).title
    with pytest.raises(StaleEdit):
        article_update(article=article, by=personas.maintenance_lead, expected_version=article.version, title="旧版本")


def test_an_article_from_a_resolved_request_carries_its_problem_and_solution(personas, resolved):
    article = article_from_request(request=resolved, by=personas.maintenance_agent)
    assert article.source_request == resolved and article.title == resolved.subject
    assert "重启行情网关" in article.body and article.status == "draft"


def test_no_article_from_an_open_request(personas, desk):
    with pytest.raises(ValidationError):
        article_from_request(request=log_request(personas), by=personas.maintenance_agent)


def test_one_vote_per_reader_and_a_changed_vote_moves_the_counts(personas):
    article = write(personas)
    article_feedback(article=article, by=personas.sales_rep, helpful=True)
    article = article_feedback(article=article, by=personas.sales_rep, helpful=True)
    assert (article.helpful_count, article.not_helpful_count) == (1, 0)
    article = article_feedback(article=article, by=personas.sales_rep, helpful=False)
    assert (article.helpful_count, article.not_helpful_count) == (0, 1)
    article = article_feedback(article=article, by=personas.engineer, helpful=True)
    assert (article.helpful_count, article.not_helpful_count) == (1, 1)
    assert ArticleFeedback.objects.filter(article=article).count() == 2


def test_a_draft_cannot_be_rated(personas):
    with pytest.raises(ValidationError):
        article_feedback(article=write(personas, publish=False), by=personas.sales_rep, helpful=True)


def test_suggestions_find_articles_from_chinese_request_text(personas):
    match = write(personas)
    write(personas, title="委托下单超时", body="检查交易网关的连接数。")
    write(personas, title="行情断线（草稿）", publish=False)
    found = knowledge_suggest(user=personas.maintenance_agent, text="客户反映今天早上行情服务器断线了，刷新不出来")
    assert found and found[0] == match
    assert all(a.status == "published" for a in found)
    assert knowledge_suggest(user=personas.maintenance_agent, text="") == []
    assert knowledge_suggest(user=personas.maintenance_agent, text="\"* OR NEAR( ' ; --") == []


def test_suggestions_prefer_the_requests_product(personas, product):
    write(personas, title="行情断线 A")
    mine = write(personas, title="行情断线 B", product=product)
    assert knowledge_suggest(user=personas.maintenance_agent, text="行情断线", product=product)[0] == mine


def test_internal_articles_stay_with_staff_and_drafts_with_editors(personas, monkeypatch):
    internal = write(personas, visibility="internal")
    public = write(personas)
    draft = write(personas, publish=False)
    assert set(visible_articles(personas.sales_rep)) == {internal, public}
    assert set(visible_articles(personas.maintenance_lead)) == {internal, public, draft}
    assert draft in visible_articles(personas.maintenance_agent)  # the author
    assert not visible_articles(personas.outsider).exists()
    assert can_edit_article(personas.maintenance_agent, draft) and not can_edit_article(personas.engineer, draft)
    assert can_publish_article(personas.maintenance_lead, draft) and not can_publish_article(personas.maintenance_agent, draft)
    monkeypatch.setattr("touchpoint.org.policy.portal_customers", lambda user: frozenset({personas.customer_a.pk}))
    assert set(visible_articles(personas.outsider)) == {public}
    assert knowledge_suggest(user=personas.outsider, text="行情服务器断线") == [public]
