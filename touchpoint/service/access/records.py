"""Who may see and work complaints, satisfaction surveys and knowledge articles.

A complaint and a survey are 'own' to the complaint's owner and to whoever owns the customer or sits
on its account team; the maintenance centre works every complaint. A customer's portal users see
their own customer's complaints and surveys. Knowledge articles are read by all staff; portal users
read published, customer-visible ones only. Publishing takes an edit scope of department or wider.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from touchpoint.customers.access import account_customer_ids, can_view_customer
from touchpoint.org.policy import Rules, S, may, portal_scope, register_entity, row, scope_of
from touchpoint.service.models import Article, ArticleStatus, ArticleVisibility, Complaint, Survey

__all__ = [
    "ARTICLE",
    "COMPLAINT",
    "SURVEY",
    "can_edit_article",
    "can_log_complaint_for",
    "can_publish_article",
    "can_view_article",
    "can_view_complaint",
    "can_view_survey",
    "can_work_complaint",
    "may_log_complaints",
    "may_view_surveys",
    "may_write_articles",
    "visible_articles",
    "visible_complaints",
    "visible_surveys",
]

register_entity(
    "complaint",
    label=_("Complaints"),
    defaults={
        "sales_rep": row(view=S.OWN, create=S.OWN),
        "sales_manager": row(view=S.ALL, create=S.ALL, export=S.ALL),
        "project_manager": row(view=S.ALL, create=S.ALL),
        "engineer": row(view=S.OWN, create=S.OWN),
        # edit: work the complaint (root cause, action, inform, close, reopen).
        "maintenance_agent": row(view=S.ALL, create=S.ALL, edit=S.ALL, export=S.ALL),
        "maintenance_lead": row(view=S.ALL, create=S.ALL, edit=S.ALL, export=S.ALL, assign=S.ALL),
        "finance": row(view=S.ALL, create=S.ALL, edit=S.OWN),
        "executive": row(view=S.ALL, export=S.ALL),
        "admin": row(view=S.ALL, create=S.ALL, edit=S.ALL, export=S.ALL, assign=S.ALL),
    },
    actions=("view", "create", "edit", "export", "assign"),
)
register_entity(
    "survey",
    label=_("Satisfaction surveys"),
    defaults={
        "sales_rep": row(view=S.OWN),
        "sales_manager": row(view=S.ALL, export=S.ALL),
        "project_manager": row(view=S.ALL),
        "maintenance_agent": row(view=S.ALL),
        "maintenance_lead": row(view=S.ALL, export=S.ALL),
        "executive": row(view=S.ALL, export=S.ALL),
        "admin": row(view=S.ALL, export=S.ALL),
    },
    actions=("view", "export"),
)
register_entity(
    "knowledge_article",
    label=_("Knowledge articles"),
    defaults={
        "sales_rep": row(view=S.ALL),
        "sales_manager": row(view=S.ALL),
        "project_manager": row(view=S.ALL, create=S.OWN, edit=S.OWN),
        "engineer": row(view=S.ALL, create=S.OWN, edit=S.OWN),
        # An edit scope of department or wider also publishes.
        "maintenance_agent": row(view=S.ALL, create=S.OWN, edit=S.OWN),
        "maintenance_lead": row(view=S.ALL, create=S.ALL, edit=S.ALL),
        "finance": row(view=S.ALL),
        "marketing": row(view=S.ALL),
        "executive": row(view=S.ALL),
        "admin": row(view=S.ALL, create=S.ALL, edit=S.ALL),
    },
    actions=("view", "create", "edit"),
)


def _own_complaint(user: Any) -> Q:
    return Q(owner_id=user.pk) | Q(created_by_id=user.pk) | Q(customer__owner_id=user.pk) | Q(customer_id__in=account_customer_ids(user))


def _own_survey(user: Any) -> Q:
    return Q(customer__owner_id=user.pk) | Q(customer_id__in=account_customer_ids(user)) | Q(request__owner_id=user.pk)


def _own_article(user: Any) -> Q:
    return Q(author_id=user.pk)


COMPLAINT = Rules("complaint", owner_path="owner", own=_own_complaint, portal_path="customer")
SURVEY = Rules("survey", owner_path="request__owner", own=_own_survey, portal_path="customer")
ARTICLE = Rules("knowledge_article", owner_path="author", own=_own_article)


# --- Complaints -----------------------------------------------------------------------------------


def visible_complaints(user: Any) -> QuerySet[Complaint]:
    return COMPLAINT.scoped(user, "view", Complaint.objects.all())


def can_view_complaint(user: Any, complaint: Complaint) -> bool:
    return COMPLAINT.allows(user, complaint, "view")


def can_work_complaint(user: Any, complaint: Complaint) -> bool:
    """Edit the facts, move it along, record that the customer was informed, close and reopen it."""
    return portal_scope(user) is None and COMPLAINT.allows(user, complaint, "edit")


def may_log_complaints(user: Any) -> bool:
    return may(user, "complaint", "create") or bool(portal_scope(user))


def can_log_complaint_for(user: Any, customer: Any) -> bool:
    customers = portal_scope(user)
    if customers is not None:
        return customer.pk in customers
    return may(user, "complaint", "create") and can_view_customer(user, customer)


# --- Surveys --------------------------------------------------------------------------------------


def visible_surveys(user: Any) -> QuerySet[Survey]:
    return SURVEY.scoped(user, "view", Survey.objects.all())


def can_view_survey(user: Any, survey: Survey) -> bool:
    return SURVEY.allows(user, survey, "view")


def may_view_surveys(user: Any) -> bool:
    return portal_scope(user) is None and may(user, "survey", "view")


# --- Knowledge articles ---------------------------------------------------------------------------


def visible_articles(user: Any) -> QuerySet[Article]:
    """Portal users: published customer-visible articles. Staff: every published article, and the
    drafts they wrote or may edit."""
    articles = Article.objects.all()
    if portal_scope(user) is not None:
        if not portal_scope(user):
            return articles.none()
        return articles.filter(status=ArticleStatus.PUBLISHED, visibility=ArticleVisibility.CUSTOMER)
    if not may(user, "knowledge_article", "view"):
        return articles.none()
    if scope_of(user, "knowledge_article", "edit") >= S.DEPARTMENT:
        return articles
    return articles.filter(Q(status=ArticleStatus.PUBLISHED) | Q(author_id=user.pk))


def can_view_article(user: Any, article: Article) -> bool:
    return visible_articles(user).filter(pk=article.pk).exists()


def can_edit_article(user: Any, article: Article) -> bool:
    return portal_scope(user) is None and ARTICLE.allows(user, article, "edit")


def can_publish_article(user: Any, article: Article) -> bool:
    return portal_scope(user) is None and scope_of(user, "knowledge_article", "edit") >= S.DEPARTMENT


def may_write_articles(user: Any) -> bool:
    return portal_scope(user) is None and may(user, "knowledge_article", "create")
