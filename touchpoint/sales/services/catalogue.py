"""Every write to the product catalogue, and the price lookup quotes use.

Nothing in the catalogue is deleted: products, modules, features and versions are retired (hidden
from new sales, kept for the quotes, contracts and installed base that point at them), and a price
change is a new `ModulePrice` row valid from a date, so the price a past quote used stays readable.

`Module.areas` is the union of the areas of the module's features that are on sale; every service
that changes a feature brings it back in step, because recommendation ranks modules by it.
"""

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.core.money import money
from touchpoint.sales.models import (
    Feature,
    LicenceType,
    Module,
    ModulePrice,
    Product,
    ProductVersion,
    RequirementArea,
)

CATALOGUE_CREATED = event_type("catalogue.created", kind=EventKind.CHANGE, label=gettext_lazy("Catalogue item added"))
CATALOGUE_UPDATED = event_type("catalogue.updated", kind=EventKind.CHANGE, label=gettext_lazy("Catalogue item changed"))
CATALOGUE_RETIRED = event_type("catalogue.retired", kind=EventKind.CHANGE, label=gettext_lazy("Catalogue item retired"))
CATALOGUE_UNRETIRED = event_type(
    "catalogue.unretired", kind=EventKind.CHANGE, label=gettext_lazy("Catalogue item back on sale")
)
PRICE_SET = event_type("catalogue.price_set", kind=EventKind.CHANGE, label=gettext_lazy("List price set"))

PRODUCT_FIELDS = ("name", "name_en", "description", "day_rate", "maintenance_percent")
MODULE_FIELDS = ("name", "name_en", "description", "is_core")
VERSION_FIELDS = ("number", "released_on", "support_ends_on", "notes")


# --- Reads the quotes use --------------------------------------------------------------------


def current_price(module: Module | int, licence_type: str, on: date | None = None) -> ModulePrice | None:
    """The list price of `module` for `licence_type` on the day `on` (today by default): the newest
    row valid by then, or None when the module has no price for that licence type yet."""
    module_id = module if isinstance(module, int) else module.pk
    on = on or timezone.localdate()
    return (
        ModulePrice.objects.filter(module_id=module_id, licence_type=licence_type, valid_from__lte=on)
        .order_by("-valid_from", "-id")
        .first()
    )


def current_prices(module_ids: Iterable[int], on: date | None = None) -> dict[tuple[int, str], ModulePrice]:
    """The prices valid on `on` of many modules in one query: {(module_id, licence_type): row}."""
    on = on or timezone.localdate()
    found: dict[tuple[int, str], ModulePrice] = {}
    rows = ModulePrice.objects.filter(module_id__in=list(module_ids), valid_from__lte=on).order_by(
        "module_id", "licence_type", "-valid_from", "-id"
    )
    for row in rows:
        found.setdefault((row.module_id, row.licence_type), row)
    return found


# --- Shared steps ------------------------------------------------------------------------------


def _log(verb: str, *, item: Model, by: Any, payload: dict[str, Any] | None = None) -> None:
    event_record(
        verb=verb, actor=by, target=item, customer_id=None,
        payload={"kind": item._meta.model_name, "name": str(item), **(payload or {})},
    )  # fmt: skip


def _save(item: Model, by: Any, **kwargs: Any) -> None:
    item._history_user = by  # type: ignore[attr-defined]
    item.full_clean(validate_unique=True, validate_constraints=False)
    item.save(**kwargs)


def _apply(item: Model, fields: Sequence[str], values: dict[str, Any]) -> dict[str, list[str]]:
    """Set the given fields; return {field: [old, new]} of those that changed."""
    unknown = set(values) - set(fields)
    if unknown:
        raise TypeError(f"not editable here: {sorted(unknown)}")
    changed: dict[str, list[str]] = {}
    for name, value in values.items():
        old = getattr(item, name)
        if old != value:
            changed[name] = [str(old), str(value)]
            setattr(item, name, value)
    return changed


def _check_code_free(model: type[Model], code: str, exclude_pk: int | None = None) -> None:
    if model._default_manager.filter(code=code).exclude(pk=exclude_pk).exists():
        raise ValidationError({"code": _("Another item already has this code.")})


def _retire(item: Any, *, by: Any) -> Any:
    if item.is_retired:
        raise ValidationError(_("This item is already retired."))
    item.retire()
    item._history_user = by
    item.save(update_fields=["retired_at"])
    _log(CATALOGUE_RETIRED, item=item, by=by)
    return item


def _unretire(item: Any, *, by: Any) -> Any:
    if not item.is_retired:
        raise ValidationError(_("This item is on sale; there is nothing to bring back."))
    item.retired_at = None
    item._history_user = by
    item.save(update_fields=["retired_at"])
    _log(CATALOGUE_UNRETIRED, item=item, by=by)
    return item


def _check_money(**values: Any) -> None:
    errors = {name: _("Enter an amount of zero or more.") for name, value in values.items()
              if value is not None and Decimal(value) < 0}  # fmt: skip
    if errors:
        raise ValidationError(errors)


def _check_percent(name: str, value: Any) -> None:
    if value is not None and not (0 <= Decimal(value) <= 100):
        raise ValidationError({name: _("Enter a percentage from 0 to 100.")})


# --- Products ----------------------------------------------------------------------------------


@transaction.atomic
def product_create(
    *, by: Any, code: str, name: str, name_en: str, day_rate: Decimal, maintenance_percent: Decimal,
    description: str = "",
) -> Product:  # fmt: skip
    _check_code_free(Product, code)
    _check_money(day_rate=day_rate)
    _check_percent("maintenance_percent", maintenance_percent)
    product = Product(code=code, name=name, name_en=name_en, description=description, day_rate=money(day_rate),
                      maintenance_percent=maintenance_percent)  # fmt: skip
    _save(product, by)
    _log(CATALOGUE_CREATED, item=product, by=by)
    return product


@transaction.atomic
def product_update(*, product: Product, by: Any, **values: Any) -> Product:
    """Change a product's names, description, day rate or maintenance %. The code never changes."""
    locked = Product.objects.select_for_update().get(pk=product.pk)
    if "day_rate" in values:
        _check_money(day_rate=values["day_rate"])
    if "maintenance_percent" in values:
        _check_percent("maintenance_percent", values["maintenance_percent"])
    changed = _apply(locked, PRODUCT_FIELDS, values)
    if changed:
        _save(locked, by)
        _log(CATALOGUE_UPDATED, item=locked, by=by, payload={"changes": changed})
    return locked


@transaction.atomic
def product_retire(*, product: Product, by: Any) -> Product:
    """Take a product off sale. Its modules keep their own state; quotes only offer products on sale."""
    return _retire(Product.objects.select_for_update().get(pk=product.pk), by=by)


@transaction.atomic
def product_unretire(*, product: Product, by: Any) -> Product:
    return _unretire(Product.objects.select_for_update().get(pk=product.pk), by=by)


# --- Versions ----------------------------------------------------------------------------------


def _check_version_dates(released_on: date | None, support_ends_on: date | None) -> None:
    if released_on and support_ends_on and support_ends_on < released_on:
        raise ValidationError({"support_ends_on": _("Support cannot end before the version is released.")})


@transaction.atomic
def version_create(
    *, by: Any, product: Product, number: str, released_on: date, support_ends_on: date | None = None,
    notes: str = "",
) -> ProductVersion:  # fmt: skip
    if ProductVersion.objects.filter(product=product, number=number).exists():
        raise ValidationError({"number": _("This product already has a version with this number.")})
    _check_version_dates(released_on, support_ends_on)
    version = ProductVersion(product=product, number=number, released_on=released_on,
                             support_ends_on=support_ends_on, notes=notes)  # fmt: skip
    _save(version, by)
    _log(CATALOGUE_CREATED, item=version, by=by, payload={"product": product.code})
    return version


@transaction.atomic
def version_update(*, version: ProductVersion, by: Any, **values: Any) -> ProductVersion:
    locked = ProductVersion.objects.select_for_update().get(pk=version.pk)
    number = values.get("number", locked.number)
    if ProductVersion.objects.filter(product_id=locked.product_id, number=number).exclude(pk=locked.pk).exists():
        raise ValidationError({"number": _("This product already has a version with this number.")})
    _check_version_dates(values.get("released_on", locked.released_on), values.get("support_ends_on", locked.support_ends_on))
    changed = _apply(locked, VERSION_FIELDS, values)
    if changed:
        _save(locked, by)
        _log(CATALOGUE_UPDATED, item=locked, by=by, payload={"changes": changed})
    return locked


@transaction.atomic
def version_retire(*, version: ProductVersion, by: Any) -> ProductVersion:
    return _retire(ProductVersion.objects.select_for_update().get(pk=version.pk), by=by)


@transaction.atomic
def version_unretire(*, version: ProductVersion, by: Any) -> ProductVersion:
    return _unretire(ProductVersion.objects.select_for_update().get(pk=version.pk), by=by)


# --- Modules -----------------------------------------------------------------------------------


@transaction.atomic
def module_create(
    *, by: Any, product: Product, code: str, name: str, name_en: str, description: str = "", is_core: bool = False
) -> Module:
    _check_code_free(Module, code)
    module = Module(product=product, code=code, name=name, name_en=name_en, description=description, is_core=is_core)
    _save(module, by)
    _log(CATALOGUE_CREATED, item=module, by=by, payload={"product": product.code})
    return module


@transaction.atomic
def module_update(*, module: Module, by: Any, **values: Any) -> Module:
    locked = Module.objects.select_for_update().get(pk=module.pk)
    changed = _apply(locked, MODULE_FIELDS, values)
    if changed:
        _save(locked, by)
        _log(CATALOGUE_UPDATED, item=locked, by=by, payload={"changes": changed})
    return locked


@transaction.atomic
def module_retire(*, module: Module, by: Any) -> Module:
    return _retire(Module.objects.select_for_update().get(pk=module.pk), by=by)


@transaction.atomic
def module_unretire(*, module: Module, by: Any) -> Module:
    return _unretire(Module.objects.select_for_update().get(pk=module.pk), by=by)


def module_sync_areas(module: Module) -> None:
    """Bring `module.areas` in step with the areas of its features on sale (call inside a transaction)."""
    wanted = set(
        Feature.areas.through.objects.filter(feature__module=module, feature__retired_at__isnull=True).values_list(
            "requirementarea_id", flat=True
        )
    )
    module.areas.set(wanted)


# --- Features ----------------------------------------------------------------------------------


def _check_areas(areas: Sequence[RequirementArea]) -> None:
    if not areas:
        raise ValidationError({"areas": _("Tag the feature with at least one requirement area.")})


@transaction.atomic
def feature_create(
    *, by: Any, module: Module, name: str, areas: Sequence[RequirementArea], name_en: str = ""
) -> Feature:
    _check_areas(areas)
    locked = Module.objects.select_for_update().get(pk=module.pk)
    feature = Feature(module=locked, name=name, name_en=name_en)
    _save(feature, by)
    feature.areas.set(areas)
    module_sync_areas(locked)
    _log(CATALOGUE_CREATED, item=feature, by=by, payload={"module": locked.code, "areas": sorted(a.code for a in areas)})
    return feature


@transaction.atomic
def feature_update(
    *, feature: Feature, by: Any, name: str, name_en: str, areas: Sequence[RequirementArea]
) -> Feature:
    _check_areas(areas)
    module = Module.objects.select_for_update().get(pk=feature.module_id)
    locked = Feature.objects.select_for_update().get(pk=feature.pk)
    before = sorted(locked.areas.values_list("code", flat=True))
    changed = _apply(locked, ("name", "name_en"), {"name": name, "name_en": name_en})
    after = sorted(a.code for a in areas)
    if before != after:
        changed["areas"] = [", ".join(before), ", ".join(after)]
    if changed:
        _save(locked, by)
        locked.areas.set(areas)
        module_sync_areas(module)
        _log(CATALOGUE_UPDATED, item=locked, by=by, payload={"changes": changed})
    return locked


@transaction.atomic
def feature_retire(*, feature: Feature, by: Any) -> Feature:
    module = Module.objects.select_for_update().get(pk=feature.module_id)
    retired = _retire(Feature.objects.select_for_update().get(pk=feature.pk), by=by)
    module_sync_areas(module)
    return retired


@transaction.atomic
def feature_unretire(*, feature: Feature, by: Any) -> Feature:
    module = Module.objects.select_for_update().get(pk=feature.module_id)
    back = _unretire(Feature.objects.select_for_update().get(pk=feature.pk), by=by)
    module_sync_areas(module)
    return back


# --- Prices ------------------------------------------------------------------------------------


@transaction.atomic
def price_set(*, by: Any, module: Module, licence_type: str, list_price: Decimal, valid_from: date) -> ModulePrice:
    """A new list price from `valid_from` on. Earlier rows stay untouched, so history is kept.

    The date must come after the newest existing price of that licence type: history is only
    ever added to at its end, never rewritten in the middle.
    """
    if licence_type not in LicenceType.values:
        raise ValidationError({"licence_type": _("Pick a licence type from the list.")})
    _check_money(list_price=list_price)
    locked = Module.objects.select_for_update().get(pk=module.pk)
    newest = locked.prices.filter(licence_type=licence_type).order_by("-valid_from").first()
    if newest is not None and valid_from <= newest.valid_from:
        raise ValidationError(
            {"valid_from": _("A price for this licence type is already valid from %(date)s; a new price must start later.")
             % {"date": newest.valid_from.isoformat()}}
        )  # fmt: skip
    price = ModulePrice(module=locked, licence_type=licence_type, list_price=money(list_price), valid_from=valid_from,
                        currency=locked.product.currency)  # fmt: skip
    _save(price, by)
    _log(PRICE_SET, item=price, by=by, payload={
        "module": locked.code, "licence_type": licence_type, "list_price": str(price.list_price),
        "valid_from": valid_from.isoformat(), "previous": str(newest.list_price) if newest else None,
    })  # fmt: skip
    return price
