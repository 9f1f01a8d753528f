"""Catalogue pages: browse products and modules (every internal user), manage them (catalogue managers).

Retired items are hidden unless `?retired=1`; then they show greyed with their retirement date.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.forms import apply_validation_error
from touchpoint.org.http import AuthedRequest
from touchpoint.sales import access
from touchpoint.sales.forms.catalogue import FeatureForm, ModuleForm, PriceForm, ProductForm, VersionForm
from touchpoint.sales.models import Feature, LicenceType, Module, ModulePrice, Product, ProductVersion
from touchpoint.sales.services import catalogue as services

# A version whose support ends within this many days gets a warning on the list.
SUPPORT_WARNING_DAYS = 180


def _show_retired(request: AuthedRequest) -> bool:
    return request.GET.get("retired") == "1"


def _on_sale(show_retired: bool) -> Q:
    return Q() if show_retired else Q(retired_at__isnull=True)


def _require_manager(request: AuthedRequest) -> None:
    if not access.can_manage_catalogue(request.user):
        raise PermissionDenied


def _product_for(request: AuthedRequest, pk: int) -> Product:
    return get_object_or_404(access.visible_products(request.user), pk=pk)


def _module_for(request: AuthedRequest, pk: int) -> Module:
    return get_object_or_404(access.visible_modules(request.user).select_related("product"), pk=pk)


def current_version(versions: list[ProductVersion], today: date) -> ProductVersion | None:
    """The newest released version on sale (versions come newest first)."""
    return next((v for v in versions if not v.is_retired and v.released_on <= today), None)


def support_state(version: ProductVersion | None, today: date) -> str:
    if version is None or version.support_ends_on is None:
        return ""
    if version.support_ends_on < today:
        return "ended"
    if version.support_ends_on <= today + timedelta(days=SUPPORT_WARNING_DAYS):
        return "ending"
    return ""


# --- Browsing ----------------------------------------------------------------------------------


@login_required
@require_GET
def product_list(request: AuthedRequest) -> HttpResponse:
    show_retired = _show_retired(request)
    today = timezone.localdate()
    module_filter = Q() if show_retired else Q(modules__retired_at__isnull=True)
    products = list(
        access.visible_products(request.user)
        .filter(_on_sale(show_retired))
        .annotate(module_count=Count("modules", filter=module_filter))
        .prefetch_related(Prefetch("versions", queryset=ProductVersion.objects.order_by("-released_on", "-id")))
        .order_by("code")
    )
    rows = []
    for product in products:
        version = current_version(list(product.versions.all()), today)
        rows.append({"product": product, "version": version, "support": support_state(version, today)})
    context = {"rows": rows, "show_retired": show_retired, "can_manage": access.can_manage_catalogue(request.user)}
    return render(request, "sales/catalogue/product_list.html", context)


@dataclass
class PriceCell:
    current: ModulePrice | None
    upcoming: ModulePrice | None


def price_grid(module_ids: list[int], today: date) -> dict[int, list[PriceCell]]:
    """For each module, one cell per licence type: the price valid today and the next scheduled one."""
    rows = ModulePrice.objects.filter(module_id__in=module_ids).order_by("valid_from", "id")
    by_key: dict[tuple[int, str], list[ModulePrice]] = {}
    for row in rows:
        by_key.setdefault((row.module_id, row.licence_type), []).append(row)
    grid: dict[int, list[PriceCell]] = {}
    for module_id in module_ids:
        cells = []
        for licence_type in LicenceType.values:
            history = by_key.get((module_id, licence_type), [])
            past = [p for p in history if p.valid_from <= today]
            future = [p for p in history if p.valid_from > today]
            cells.append(PriceCell(current=past[-1] if past else None, upcoming=future[0] if future else None))
        grid[module_id] = cells
    return grid


@login_required
@require_GET
def product_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    product = _product_for(request, pk)
    show_retired = _show_retired(request)
    today = timezone.localdate()
    features = Feature.objects.filter(_on_sale(show_retired)).prefetch_related("areas").order_by("id")
    modules = list(
        product.modules.filter(_on_sale(show_retired))
        .prefetch_related(Prefetch("features", queryset=features))
        .order_by("-is_core", "code")
    )
    versions = list(product.versions.filter(_on_sale(show_retired)).order_by("-released_on", "-id"))
    grid = price_grid([m.pk for m in modules], today)
    context = {
        "product": product,
        "modules": [{"module": m, "prices": grid[m.pk]} for m in modules],
        "licence_types": LicenceType.choices,
        "versions": [{"version": v, "support": support_state(v, today)} for v in versions],
        "current_version": current_version(versions, today),
        "show_retired": show_retired,
        "can_manage": access.can_manage_catalogue(request.user),
    }
    return render(request, "sales/catalogue/product_detail.html", context)


@login_required
@require_GET
def module_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    module = _module_for(request, pk)
    show_retired = _show_retired(request)
    today = timezone.localdate()
    prices = list(module.prices.order_by("licence_type", "-valid_from", "-id"))
    current = {(p.licence_type, p.pk) for p in services.current_prices([module.pk], today).values()}
    context = {
        "module": module,
        "product": module.product,
        "features": module.features.filter(_on_sale(show_retired)).prefetch_related("areas").order_by("id"),
        "areas": module.areas.order_by("order", "id"),
        "prices": [{"price": p, "is_current": (p.licence_type, p.pk) in current, "is_future": p.valid_from > today}
                   for p in prices],  # fmt: skip
        "show_retired": show_retired,
        "can_manage": access.can_manage_catalogue(request.user),
    }
    return render(request, "sales/catalogue/module_detail.html", context)


# --- Managing ----------------------------------------------------------------------------------


def _form_page(
    request: AuthedRequest, *, form: Any, title: str, back_url: str, crumbs: list[tuple[str, str]],
    save: Callable[[dict[str, Any]], Any], saved: Callable[[Any], str], message: str,
) -> HttpResponse:  # fmt: skip
    """GET shows the form; a valid POST calls `save` and redirects to `saved(result)`."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, message)
            return redirect(saved(result))
    context = {"form": form, "title": title, "back_url": back_url, "crumbs": crumbs}
    return render(request, "sales/catalogue/form.html", context, status=400 if form.errors else 200)


def _pick(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: data[name] for name in names if name in data}


def _product_crumbs(product: Product | None) -> list[tuple[str, str]]:
    crumbs = [(_("Products"), reverse("sales:products"))]
    if product is not None:
        crumbs.append((str(product), reverse("sales:product_detail", args=[product.pk])))
    return crumbs


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: AuthedRequest) -> HttpResponse:
    _require_manager(request)
    form = ProductForm(request.POST or None)
    return _form_page(
        request, form=form, title=_("New product"), back_url=reverse("sales:products"), crumbs=_product_crumbs(None),
        save=lambda data: services.product_create(by=request.user, **_pick(data, *ProductForm.Meta.fields)),
        saved=lambda product: reverse("sales:product_detail", args=[product.pk]), message=_("Product saved."),
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    product = _product_for(request, pk)
    _require_manager(request)
    form = ProductForm(request.POST or None, instance=Product.objects.get(pk=product.pk))
    back = reverse("sales:product_detail", args=[product.pk])
    return _form_page(
        request, form=form, title=_("Edit product"), back_url=back, crumbs=_product_crumbs(product),
        save=lambda data: services.product_update(product=product, by=request.user, **_pick(data, *services.PRODUCT_FIELDS)),
        saved=lambda _product: back, message=_("Product saved."),
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def module_create(request: AuthedRequest, pk: int) -> HttpResponse:
    product = _product_for(request, pk)
    _require_manager(request)
    form = ModuleForm(request.POST or None)
    return _form_page(
        request, form=form, title=_("New module"), back_url=reverse("sales:product_detail", args=[product.pk]),
        crumbs=_product_crumbs(product),
        save=lambda data: services.module_create(by=request.user, product=product, **_pick(data, *ModuleForm.Meta.fields)),
        saved=lambda module: reverse("sales:module_detail", args=[module.pk]), message=_("Module saved."),
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def module_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    module = _module_for(request, pk)
    _require_manager(request)
    form = ModuleForm(request.POST or None, instance=Module.objects.get(pk=module.pk))
    back = reverse("sales:module_detail", args=[module.pk])
    return _form_page(
        request, form=form, title=_("Edit module"), back_url=back,
        crumbs=[*_product_crumbs(module.product), (str(module), back)],
        save=lambda data: services.module_update(module=module, by=request.user, **_pick(data, *services.MODULE_FIELDS)),
        saved=lambda _module: back, message=_("Module saved."),
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def feature_create(request: AuthedRequest, pk: int) -> HttpResponse:
    module = _module_for(request, pk)
    _require_manager(request)
    form = FeatureForm(request.POST or None)
    back = reverse("sales:module_detail", args=[module.pk])
    return _form_page(
        request, form=form, title=_("New feature"), back_url=back,
        crumbs=[*_product_crumbs(module.product), (str(module), back)],
        save=lambda data: services.feature_create(by=request.user, module=module, name=data["name"],
                                                  name_en=data["name_en"], areas=list(data["areas"])),
        saved=lambda _feature: back, message=_("Feature saved."),
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def feature_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    feature = get_object_or_404(Feature.objects.filter(module__in=access.visible_modules(request.user)), pk=pk)
    _require_manager(request)
    module = Module.objects.select_related("product").get(pk=feature.module_id)
    form = FeatureForm(request.POST or None, feature=feature)
    back = reverse("sales:module_detail", args=[module.pk])
    return _form_page(
        request, form=form, title=_("Edit feature"), back_url=back,
        crumbs=[*_product_crumbs(module.product), (str(module), back)],
        save=lambda data: services.feature_update(feature=feature, by=request.user, name=data["name"],
                                                  name_en=data["name_en"], areas=list(data["areas"])),
        saved=lambda _feature: back, message=_("Feature saved."),
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def version_create(request: AuthedRequest, pk: int) -> HttpResponse:
    product = _product_for(request, pk)
    _require_manager(request)
    form = VersionForm(request.POST or None)
    back = reverse("sales:product_detail", args=[product.pk])
    return _form_page(
        request, form=form, title=_("New version"), back_url=back, crumbs=_product_crumbs(product),
        save=lambda data: services.version_create(by=request.user, product=product, **_pick(data, *services.VERSION_FIELDS)),
        saved=lambda _version: back, message=_("Version saved."),
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def version_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(ProductVersion.objects.filter(product__in=access.visible_products(request.user)), pk=pk)
    _require_manager(request)
    product = version.product
    form = VersionForm(request.POST or None, instance=ProductVersion.objects.get(pk=version.pk))
    back = reverse("sales:product_detail", args=[product.pk])
    return _form_page(
        request, form=form, title=_("Edit version"), back_url=back, crumbs=_product_crumbs(product),
        save=lambda data: services.version_update(version=version, by=request.user, **_pick(data, *services.VERSION_FIELDS)),
        saved=lambda _version: back, message=_("Version saved."),
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def price_create(request: AuthedRequest, pk: int) -> HttpResponse:
    module = _module_for(request, pk)
    _require_manager(request)
    form = PriceForm(request.POST or None, initial={"licence_type": request.GET.get("licence_type", "")[:12]})
    back = reverse("sales:module_detail", args=[module.pk])
    return _form_page(
        request, form=form, title=_("New list price"), back_url=back,
        crumbs=[*_product_crumbs(module.product), (str(module), back)],
        save=lambda data: services.price_set(by=request.user, module=module, **data),
        saved=lambda _price: back, message=_("List price saved. Earlier prices stay on record."),
    )  # fmt: skip


# --- Retiring ----------------------------------------------------------------------------------

RETIRABLE: dict[str, tuple[Callable[[Any], QuerySet], Callable[..., Any], Callable[..., Any]]] = {
    "product": (access.visible_products, services.product_retire, services.product_unretire),
    "module": (access.visible_modules, services.module_retire, services.module_unretire),
    "feature": (
        lambda user: Feature.objects.filter(module__in=access.visible_modules(user)),
        services.feature_retire, services.feature_unretire,
    ),
    "version": (
        lambda user: ProductVersion.objects.filter(product__in=access.visible_products(user)),
        services.version_retire, services.version_unretire,
    ),
}  # fmt: skip


@login_required
@require_POST
def catalogue_retire(request: AuthedRequest, kind: str, pk: int, retire: bool = True) -> HttpResponse:
    """Retire (or bring back) a product, module, feature or version; nothing is ever deleted."""
    if kind not in RETIRABLE:
        raise Http404
    visible, retire_service, unretire_service = RETIRABLE[kind]
    item = get_object_or_404(visible(request.user), pk=pk)
    _require_manager(request)
    service = retire_service if retire else unretire_service
    try:
        service(**{kind: item}, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(item)s retired.") % {"item": item} if retire
                         else _("%(item)s is on sale again.") % {"item": item})  # fmt: skip
    return redirect(_back_to(kind, item))


def _back_to(kind: str, item: Any) -> str:
    if kind == "product":
        return reverse("sales:product_detail", args=[item.pk]) + "?retired=1"
    if kind == "module":
        return reverse("sales:module_detail", args=[item.pk]) + "?retired=1"
    if kind == "feature":
        return reverse("sales:module_detail", args=[item.module_id]) + "?retired=1"
    return reverse("sales:product_detail", args=[item.product_id]) + "?retired=1"
