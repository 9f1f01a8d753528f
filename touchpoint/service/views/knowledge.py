"""Knowledge base pages: search and list, an article with its "was this helpful" buttons, writing,
editing and publishing, an article from a resolved request, and the suggestions fragment that the
request intake page loads while a request is typed."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.forms import StyledForm, apply_validation_error
from touchpoint.core.pagination import CappedPaginator
from touchpoint.core.search import is_searchable, search_filter
from touchpoint.core.versioning import StaleEdit
from touchpoint.org.http import AuthedRequest
from touchpoint.sales.models import Product, ProductVersion
from touchpoint.service import access
from touchpoint.service.models import Article, ArticleCategory, ArticleLanguage, ArticleStatus, ArticleVisibility, Status
from touchpoint.service.services import knowledge as services
from touchpoint.service.views.complaints import MAX_ID, as_id

PAGE_SIZE = 25


def article_for(request: AuthedRequest, pk: int) -> Article:
    """The article if the user may read it; 404 otherwise, whether or not it exists."""
    return get_object_or_404(access.visible_articles(request.user).select_related("product", "author", "source_request"), pk=pk)


def editable_article(request: AuthedRequest, pk: int) -> Article:
    article = article_for(request, pk)
    if not access.can_edit_article(request.user, article):
        raise PermissionDenied
    return article


def _products() -> QuerySet[Product]:
    return Product.objects.order_by("code")


class ArticleFilterForm(StyledForm):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    product = forms.ModelChoiceField(label=gettext_lazy("Product"), required=False, queryset=Product.objects.none(),
                                     empty_label=gettext_lazy("All"))  # fmt: skip
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False,
                                 choices=[("", gettext_lazy("All")), *ArticleCategory.choices])  # fmt: skip
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=[("", gettext_lazy("All")), *ArticleStatus.choices])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = _products()  # type: ignore[attr-defined]


class ArticleForm(StyledForm):
    title = forms.CharField(label=gettext_lazy("Article title"), max_length=200)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=ArticleLanguage.choices)
    visibility = forms.ChoiceField(label=gettext_lazy("Visibility"), choices=ArticleVisibility.choices)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=ArticleCategory.choices)
    product = forms.ModelChoiceField(label=gettext_lazy("Product"), required=False, queryset=Product.objects.none())
    versions = forms.ModelMultipleChoiceField(label=gettext_lazy("Versions"), required=False, queryset=ProductVersion.objects.none())
    body = forms.CharField(label=gettext_lazy("Text"), max_length=50_000, widget=forms.Textarea(attrs={"rows": 14}),
                           help_text=gettext_lazy("Plain text; blank lines separate paragraphs."))  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2_147_483_647)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = _products()  # type: ignore[attr-defined]
        self.fields["versions"].queryset = ProductVersion.objects.select_related("product").order_by("product__code", "number")  # type: ignore[attr-defined]
        self.fields["versions"].label_from_instance = lambda v: f"{v.product.code} {v.number}"  # type: ignore[attr-defined]


def _initial(article: Article) -> dict[str, Any]:
    return {"title": article.title, "language": article.language, "visibility": article.visibility, "category": article.category,
            "product": article.product_id, "versions": [v.pk for v in article.versions.all()], "body": article.body,
            "version": article.version}  # fmt: skip


@login_required
@require_GET
def knowledge_list(request: AuthedRequest) -> HttpResponse:
    form = ArticleFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    rows = access.visible_articles(request.user).select_related("product", "author")
    if values.get("q") and is_searchable(values["q"]):
        rows = search_filter(rows, values["q"])
    for name in ("product", "category", "status"):
        if values.get(name):
            rows = rows.filter(**{name: values[name]})
    paginator = CappedPaginator(rows.order_by("-updated_at", "-id"), PAGE_SIZE, page=request.GET.get("page", 1))
    page = paginator.get_page(request.GET.get("page"))
    template = "service/knowledge/list.html#results" if request.htmx else "service/knowledge/list.html"
    return render(request, template, {"page": page, "form": form, "may_write": access.may_write_articles(request.user)})


@login_required
@require_GET
def article_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    article = article_for(request, pk)
    vote = article.feedback.filter(user=request.user).values_list("helpful", flat=True).first()
    return render(request, "service/knowledge/detail.html", {
        "article": article, "vote": vote, "versions": article.versions.order_by("number"),
        "can_edit": access.can_edit_article(request.user, article),
        "can_publish": not article.is_published and access.can_publish_article(request.user, article),
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def article_new(request: AuthedRequest) -> HttpResponse:
    if not access.may_write_articles(request.user):
        raise PermissionDenied
    source = None
    if (request_id := as_id(request.GET.get("request"))) is not None:
        source = get_object_or_404(access.visible_requests(request.user).select_related("product"), pk=request_id)
    initial: dict[str, Any] = {"language": ArticleLanguage.ZH, "visibility": ArticleVisibility.INTERNAL}
    if source is not None:
        if source.status not in (Status.RESOLVED, Status.CLOSED):
            messages.error(request, _("Write an article from a request once it is resolved."))
        initial.update(title=source.subject, product=source.product_id, body="\n".join(
            [_("Problem"), source.description.strip(), "", _("Solution"), source.resolution.strip()]).strip(),
            versions=[source.product_version_id] if source.product_version_id else [])  # fmt: skip
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        values.pop("version", None)
        values["versions"] = list(values["versions"])
        try:
            if source is not None and source.status not in (Status.RESOLVED, Status.CLOSED):
                raise ValidationError({"request": _("Write an article from a request once it is resolved.")})
            article = services.article_create(by=request.user, source_request=source, **values)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Article saved as a draft."))
            return redirect("service:article_detail", pk=article.pk)
    return render(request, "service/knowledge/form.html", {"form": form, "source": source}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    article = editable_article(request, pk)
    form = ArticleForm(request.POST or None, initial=_initial(article))
    stale = None
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        version = values.pop("version") or 0
        versions = list(values.pop("versions"))
        try:
            services.article_update(article=article, by=request.user, expected_version=version, versions=versions, **values)
        except StaleEdit as error:
            stale = error
            form.add_error(None, str(error))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Article saved."))
            return redirect("service:article_detail", pk=article.pk)
    return render(request, "service/knowledge/form.html", {"form": form, "article": article, "stale": stale},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_POST
def article_publish(request: AuthedRequest, pk: int) -> HttpResponse:
    article = article_for(request, pk)
    if not access.can_publish_article(request.user, article):
        raise PermissionDenied
    try:
        services.article_publish(article=article, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Article published."))
    return redirect("service:article_detail", pk=article.pk)


@login_required
@require_POST
def article_feedback(request: AuthedRequest, pk: int) -> HttpResponse:
    article = article_for(request, pk)
    helpful = request.POST.get("helpful")
    error = ""
    if helpful not in ("1", "0"):
        error = _("Say whether the article helped.")
    else:
        try:
            article = services.article_feedback(article=article, by=request.user, helpful=helpful == "1")
        except ValidationError as refused:
            error = " ".join(refused.messages)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("service:article_detail", pk=article.pk)
    vote = None if error else helpful == "1"
    return render(request, "service/knowledge/detail.html#feedback", {"article": article, "vote": vote, "error": error})


@login_required
@require_GET
def knowledge_suggest(request: AuthedRequest) -> HttpResponse:
    """A short list of articles matching `q` (a request's text so far), as an HTML fragment."""
    product_id = as_id(request.GET.get("product"))
    product = Product.objects.filter(pk=product_id).first() if product_id is not None and product_id <= MAX_ID else None
    suggestions = services.knowledge_suggest(user=request.user, text=request.GET.get("q", "")[:5000], product=product)
    response = render(request, "service/knowledge/suggest.html", {"suggestions": suggestions})
    response["Vary"] = "HX-Request"
    return response


urlpatterns: list[URLPattern] = [
    path("knowledge/", knowledge_list, name="knowledge_list"),
    path("knowledge/new/", article_new, name="article_new"),
    path("knowledge/suggest/", knowledge_suggest, name="knowledge_suggest"),
    path("knowledge/<int:pk>/", article_detail, name="article_detail"),
    path("knowledge/<int:pk>/edit/", article_edit, name="article_edit"),
    path("knowledge/<int:pk>/publish/", article_publish, name="article_publish"),
    path("knowledge/<int:pk>/feedback/", article_feedback, name="article_feedback"),
]
