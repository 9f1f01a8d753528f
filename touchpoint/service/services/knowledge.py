"""The knowledge base: write, edit and publish articles, write one from a resolved request, take
"was this helpful" votes (one per user), and suggest articles from what a request says."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.core.search import CJK_RUN, MAX_TOKEN, WORD, fts_table, name_tokens, normalise
from touchpoint.core.versioning import FieldChange, edit_apply
from touchpoint.sales.models import Product, ProductVersion
from touchpoint.service.models import (
    Article,
    ArticleCategory,
    ArticleFeedback,
    ArticleLanguage,
    ArticleStatus,
    ArticleVisibility,
    ServiceRequest,
    Status,
)

ARTICLE_CREATED = event_type("article.created", kind=EventKind.SERVICE, label=gettext_lazy("Knowledge article written"))
ARTICLE_UPDATED = event_type("article.updated", kind=EventKind.CHANGE, label=gettext_lazy("Knowledge article updated"))
ARTICLE_PUBLISHED = event_type("article.published", kind=EventKind.SERVICE, label=gettext_lazy("Knowledge article published"))
ARTICLE_FEEDBACK = event_type("article.feedback", kind=EventKind.SERVICE, label=gettext_lazy("Knowledge article rated"))

EDITABLE_FIELDS = ("title", "body", "language", "visibility", "category", "product")
BODY_TOKENS = 4000  # the body's distinct terms kept in the index; enough for any real article
SUGGEST_TERMS = 24  # the terms of a request's text a suggestion looks for
SUGGEST_CANDIDATES = 200


# --- Search ---------------------------------------------------------------------------------------


def text_terms(text: str, limit: int) -> list[str]:
    """CJK bigrams and Latin words of free text, in order of first appearance, without repeats."""
    text = normalise(text)
    terms: dict[str, None] = {}
    for run in CJK_RUN.findall(text):
        for i in range(max(1, len(run) - 1)):
            terms.setdefault(run[i : i + 2], None)
    for word in WORD.findall(CJK_RUN.sub(" ", text)):
        if len(word) >= 2:
            terms.setdefault(word[:MAX_TOKEN], None)
    return list(terms)[:limit]


def article_search_text(article: Article) -> str:
    """The title with its pinyin (as names are indexed), then the body's bigrams and words."""
    tokens = name_tokens(article.title) | set(text_terms(article.body, BODY_TOKENS))
    if article.product is not None:
        tokens |= {"".join(WORD.findall(normalise(article.product.code)))}
    return " ".join(sorted(t for t in tokens if t))


def matching_any(queryset: QuerySet[Article], terms: list[str]) -> QuerySet[Article]:
    """Articles whose index holds at least one of `terms` (the full-text index, either database)."""
    if not terms:
        return queryset.none()
    if connection.vendor == "postgresql":
        tsquery = " | ".join(f"{t}:*" for t in terms)
        # The terms are bound parameters; the SQL itself is constant.
        matches = RawSQL("SELECT id FROM service_article WHERE search_vector @@ to_tsquery('simple', %s)", [tsquery])
        return queryset.filter(pk__in=matches)
    table = fts_table(Article)  # from the model's metadata, never from input
    match = " OR ".join(f'"{t}"*' for t in terms)  # terms are CJK bigrams and [a-z0-9] words only
    return queryset.filter(pk__in=RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [match]))  # noqa: S608, S611


def _reindex(article: Article) -> None:
    article.search_text = article_search_text(article)
    Article.objects.filter(pk=article.pk).update(search_text=article.search_text)


# --- Writes ---------------------------------------------------------------------------------------


def _check(values: dict[str, Any], errors: dict[str, str]) -> None:
    if "title" in values and not (values["title"] or "").strip():
        errors["title"] = _("Give the article a title.")
    if "body" in values and not (values["body"] or "").strip():
        errors["body"] = _("Write the article's text.")
    if "language" in values and values["language"] not in ArticleLanguage.values:
        errors["language"] = _("Choose the article's language.")
    if "visibility" in values and values["visibility"] not in ArticleVisibility.values:
        errors["visibility"] = _("Choose who may read the article.")
    if "category" in values and values["category"] not in ArticleCategory.values:
        errors["category"] = _("Choose a category.")


def _check_versions(product: Product | None, versions: list[ProductVersion]) -> None:
    if versions and (product is None or any(v.product_id != product.pk for v in versions)):
        raise ValidationError({"versions": _("Pick versions of the article's product.")})


@transaction.atomic
def article_create(
    *,
    by: Any,
    title: str,
    body: str,
    language: str = ArticleLanguage.ZH,
    visibility: str = ArticleVisibility.INTERNAL,
    category: str = ArticleCategory.TROUBLESHOOTING,
    product: Product | None = None,
    versions: list[ProductVersion] | None = None,
    source_request: ServiceRequest | None = None,
) -> Article:
    values = {"title": title, "body": body, "language": language, "visibility": visibility, "category": category}
    errors: dict[str, str] = {}
    _check(values, errors)
    if errors:
        raise ValidationError(errors)
    _check_versions(product, versions or [])
    article = Article(title=title.strip()[:200], body=body.strip()[:50_000], language=language, visibility=visibility,
                      category=category, product=product, source_request=source_request, author=by)  # fmt: skip
    article._history_user = by  # type: ignore[attr-defined]
    article.save()
    if versions:
        article.versions.set(versions)
    _reindex(article)
    event_record(verb=ARTICLE_CREATED, actor=by, customer_id=source_request.customer_id if source_request else None,
                 target=article, payload={"title": article.title, "request": source_request.number if source_request else ""})  # fmt: skip
    return article


@transaction.atomic
def article_update(
    *, article: Article, by: Any, expected_version: int, versions: list[ProductVersion] | None = None, **values: Any
) -> tuple[Article, list[FieldChange]]:
    values = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    errors: dict[str, str] = {}
    _check(values, errors)
    if errors:
        raise ValidationError(errors)
    for name in ("title", "body"):
        if name in values:
            values[name] = values[name].strip()
    if versions is not None:
        _check_versions(values.get("product", article.product), versions)
    updated, diff = edit_apply(instance=article, changes=values, expected_version=expected_version, by=by)
    assert isinstance(updated, Article)
    if versions is not None and set(updated.versions.values_list("pk", flat=True)) != {v.pk for v in versions}:
        updated.versions.set(versions)
        diff.append(FieldChange(field="versions", label=str(Article._meta.get_field("versions").verbose_name), old="",
                                new=", ".join(v.number for v in versions)))  # fmt: skip
    if diff:
        _reindex(updated)
        event_record(verb=ARTICLE_UPDATED, actor=by, target=updated,
                     payload={"title": updated.title, "changes": [c.label for c in diff]})  # fmt: skip
    return updated, diff


@transaction.atomic
def article_publish(*, article: Article, by: Any, now: datetime | None = None) -> Article:
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if locked.status == ArticleStatus.PUBLISHED:
        raise ValidationError(_("This article is already published."))
    locked.status, locked.published_at = ArticleStatus.PUBLISHED, now or timezone.now()
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save(update_fields=["status", "published_at", "version", "updated_at"])
    event_record(verb=ARTICLE_PUBLISHED, actor=by, target=locked,
                 payload={"title": locked.title, "visibility": locked.visibility})  # fmt: skip
    return locked


@transaction.atomic
def article_from_request(*, request: ServiceRequest, by: Any, title: str = "", body: str = "",
                         visibility: str = ArticleVisibility.INTERNAL) -> Article:  # fmt: skip
    """A draft article from a resolved request: its subject, description and resolution."""
    if request.status not in (Status.RESOLVED, Status.CLOSED):
        raise ValidationError({"request": _("Write an article from a request once it is resolved.")})
    if not body:
        parts = [_("Problem"), request.description.strip(), "", _("Solution"), request.resolution.strip()]
        body = "\n".join(parts).strip()
    return article_create(
        by=by, title=title or request.subject, body=body, visibility=visibility, product=request.product,
        versions=[request.product_version] if request.product_version is not None else [], source_request=request,
        category=ArticleCategory.TROUBLESHOOTING,
    )  # fmt: skip


@transaction.atomic
def article_feedback(*, article: Article, by: Any, helpful: bool) -> Article:
    """One vote per user: voting again replaces the earlier vote, and the counts follow."""
    if not article.is_published:
        raise ValidationError(_("Only a published article can be rated."))
    Article.objects.select_for_update().filter(pk=article.pk).first()
    before = ArticleFeedback.objects.filter(article=article, user=by).first()
    if before is not None and before.helpful == helpful:
        return Article.objects.get(pk=article.pk)
    counts: dict[str, Any] = {}
    if before is not None:
        earlier = "helpful_count" if before.helpful else "not_helpful_count"
        counts[earlier] = F(earlier) - 1
        before.helpful, before.at = helpful, timezone.now()
        before.save(update_fields=["helpful", "at"])
    else:
        ArticleFeedback.objects.create(article=article, user=by, helpful=helpful, at=timezone.now())
    key = "helpful_count" if helpful else "not_helpful_count"
    counts[key] = F(key) + 1
    Article.objects.filter(pk=article.pk).update(**counts)
    event_record(verb=ARTICLE_FEEDBACK, actor=by, target=article, payload={"title": article.title, "helpful": helpful})
    return Article.objects.get(pk=article.pk)


# --- Suggestions ----------------------------------------------------------------------------------


def knowledge_suggest(*, user: Any, text: str, product: Product | None = None, limit: int = 5) -> list[Article]:
    """Published articles the user may read that share the most terms with `text` (a request's
    subject and description), the product's own first."""
    from touchpoint.service.access import visible_articles

    terms = text_terms((text or "")[:5000], SUGGEST_TERMS)
    if not terms:
        return []
    candidates = matching_any(visible_articles(user).filter(status=ArticleStatus.PUBLISHED), terms)
    fields = ("id", "title", "search_text", "product_id", "visibility", "category", "helpful_count")
    rows = list(candidates.only(*fields).order_by("-updated_at")[:SUGGEST_CANDIDATES])

    def score(article: Article) -> tuple[int, int, int]:
        tokens = set(article.search_text.split())
        hits = sum(1 for t in terms if t in tokens or any(token.startswith(t) for token in tokens if len(t) > 2))
        same_product = 1 if product is not None and article.product_id == product.pk else 0
        return (hits + 2 * same_product, article.helpful_count, article.pk)

    rows.sort(key=score, reverse=True)
    return rows[: max(1, min(limit, 20))]
