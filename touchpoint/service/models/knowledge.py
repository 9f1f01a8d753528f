"""The knowledge base (知识库): articles internal or customer-visible, per product and version,
searched by the same CJK bigram index as customers, with one helpful / not helpful vote per user."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from touchpoint.core.models import TimeStamped, Versioned
from touchpoint.sales.models import Product, ProductVersion
from touchpoint.service.models.requests import ServiceRequest


class ArticleVisibility(models.TextChoices):
    INTERNAL = "internal", _("Internal")
    CUSTOMER = "customer", _("Customer-visible")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ArticleCategory(models.TextChoices):
    TROUBLESHOOTING = "troubleshooting", _("Troubleshooting")
    HOW_TO = "how_to", _("How-to")
    FAQ = "faq", _("Frequently asked question")
    RELEASE = "release", _("Release note")
    REGULATION = "regulation", _("Regulation change")


class ArticleLanguage(models.TextChoices):
    ZH = "zh-hans", _("Chinese")
    EN = "en", _("English")


class Article(TimeStamped, Versioned):
    title = models.CharField(_("article title"), max_length=200)
    body = models.TextField(_("body"), max_length=50_000, help_text=_("Plain text; blank lines separate paragraphs."))
    language = models.CharField(_("language"), max_length=7, choices=ArticleLanguage.choices, default=ArticleLanguage.ZH)
    visibility = models.CharField(_("visibility"), max_length=8, choices=ArticleVisibility.choices,
                                  default=ArticleVisibility.INTERNAL)  # fmt: skip
    category = models.CharField(_("category"), max_length=16, choices=ArticleCategory.choices,
                                default=ArticleCategory.TROUBLESHOOTING)  # fmt: skip
    product = models.ForeignKey(Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")  # fmt: skip
    versions = models.ManyToManyField(ProductVersion, verbose_name=_("versions"), blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    source_request = models.ForeignKey(ServiceRequest, verbose_name=_("written from request"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="articles")  # fmt: skip
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, on_delete=models.SET_NULL,
                               related_name="+")  # fmt: skip
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0)
    not_helpful_count = models.PositiveIntegerField(_("not helpful"), default=0)
    search_text = models.TextField(blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at", "search_text", "helpful_count", "not_helpful_count"],
                                m2m_fields=[])  # fmt: skip

    class Meta:
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["status", "visibility", "product"], name="article_listing")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class ArticleFeedback(models.Model):
    """One user's "was this helpful" vote on an article; voting again changes it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField(_("helpful"))
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "user"], name="article_feedback_once")]

    def __str__(self) -> str:
        return f"{self.article_id}:{self.user_id}:{self.helpful}"
