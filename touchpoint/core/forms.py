"""Form plumbing shared by every app: Bootstrap styling and the version field for stale edits."""

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.forms import DeclarativeFieldsMetaclass
from django.forms.models import ModelFormMetaclass
from django.forms.renderers import TemplatesSetting
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Renderer(TemplatesSetting):
    form_template_name = "core/forms/form.html"
    field_template_name = "core/forms/field.html"


class FastSelect(forms.Select):
    """A <select> rendered in one pass instead of one template per <option>.

    Lists of owners, regions and tags make Django's template-per-option rendering the costliest
    part of a list page; the markup is the same.
    """

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        options = format_html_join("", '<option value="{}"{}>{}</option>', self._options(self.format_value(value)))
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(attrs), options)

    def _options(self, wanted: list[str]) -> Iterator[tuple[Any, str, Any]]:
        """(value, selected marker, label) of each option, selected as Django's optgroups() decides."""
        has_selected = False
        for option_value, option_label in self.choices:
            if isinstance(option_label, list | tuple):
                group = option_label
            else:
                group = [("" if option_value is None else option_value, option_label)]
            for subvalue, sublabel in group:
                selected = (not has_selected or self.allow_multiple_selected) and str(subvalue) in wanted
                has_selected |= selected
                yield subvalue, " selected" if selected else "", sublabel


class FastSelectMultiple(FastSelect, forms.SelectMultiple):
    pass


def _faster(widget: forms.Widget) -> forms.Widget:
    kinds: dict[type[forms.Widget], type[FastSelect]] = {forms.Select: FastSelect, forms.SelectMultiple: FastSelectMultiple}
    kind = kinds.get(type(widget))
    if kind is None:
        return widget
    fast = kind(attrs=widget.attrs)
    fast.choices = widget.choices  # type: ignore[attr-defined]
    fast.is_required = widget.is_required
    return fast


def style_fields(fields: dict[str, forms.Field]) -> None:
    """Bootstrap classes and one-pass selects. Idempotent: subclasses share their parents' fields."""
    for field in fields.values():
        field.widget = _faster(field.widget)
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            continue
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        classes = widget.attrs.get("class", "")
        if css not in classes.split():
            widget.attrs["class"] = f"{classes} {css}".strip()


class StyledFormMetaclass(DeclarativeFieldsMetaclass):
    """Styles a form class's fields once, when the class is built; each form then deep-copies styled fields."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> type:
        new_class = super().__new__(mcs, name, bases, attrs)
        style_fields(new_class.base_fields)  # type: ignore[attr-defined]
        return new_class


class StyledModelFormMetaclass(ModelFormMetaclass):
    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> type:
        new_class = super().__new__(mcs, name, bases, attrs)
        style_fields(new_class.base_fields)  # type: ignore[attr-defined]
        return new_class


# What Django puts where the request held bytes that are not UTF-8.
UNREADABLE = "\ufffd"


class ReadableText(forms.BaseForm):
    """Refuses text that arrived as malformed UTF-8, field by field, instead of storing mojibake."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and UNREADABLE in value:
                self.add_error(name, _("This text arrived garbled (it was not valid UTF-8). Please type it again."))
        return cleaned


class StyledForm(ReadableText, forms.Form, metaclass=StyledFormMetaclass):
    pass


class StyledModelForm(ReadableText, forms.ModelForm, metaclass=StyledModelFormMetaclass):
    pass


class VersionedModelForm(StyledModelForm):
    """Carries the version the user loaded, so the service can refuse a stale edit."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "version" not in self.initial:
            self.initial["version"] = self.instance.version

    def rebase(self, *, current: Any) -> None:
        """After a refused stale edit, move the form onto the record as it is now.

        The user's own edits stay; every field the user left as loaded takes its current value, so
        that saving again applies this user's edits without undoing what someone else changed.
        """
        loaded_version = self.cleaned_data.get("version")
        loaded = current.history.filter(version=loaded_version).order_by("-history_date", "-history_id").first()
        data = self.data.copy()  # type: ignore[attr-defined]
        data["version"] = str(current.version)
        for name in self._meta.fields or []:
            model_field = current._meta.get_field(name)
            if loaded is None or name not in self.cleaned_data or model_field.many_to_many:
                continue
            mine = getattr(self.cleaned_data[name], "pk", self.cleaned_data[name])
            was, now = getattr(loaded, model_field.attname), getattr(current, model_field.attname)
            if mine != was or now == was:
                continue
            widget = self.fields[name].widget
            if isinstance(widget, forms.CheckboxInput):
                if now:
                    data[name] = "on"
                else:
                    data.pop(name, None)
                continue
            if isinstance(now, datetime):
                now = timezone.localtime(now)
            data[name] = "" if now is None else widget.format_value(now) or ""
        self.data = data

    def changed_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or [] if name in self.cleaned_data}


def limit_choices(form: forms.BaseForm, **querysets: Any) -> None:
    """Narrow the choices of model choice fields to what the user may pick."""
    for name, queryset in querysets.items():
        field = form.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset


def share_choices(first: forms.ModelChoiceField, *others: forms.ModelChoiceField) -> None:
    """Query the rows of `first` once and list them in every field given (two forms on a page over the same rows).

    Each field keeps its own empty label, and its own queryset for validation.
    """
    rows = [first.iterator(first).choice(row) for row in first.queryset or ()]
    for field in (first, *others):
        empty = [("", field.empty_label)] if field.empty_label is not None else []
        field.widget.choices = [*empty, *rows]  # type: ignore[attr-defined]


def apply_validation_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for item in errors:
                form.add_error(target, item)
    else:
        form.add_error(None, error)


PERIOD_EARLIEST, PERIOD_LATEST = date(2000, 1, 1), date(2099, 12, 31)
PERIOD_MAX_DAYS = 366 * 5
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodQueryForm(StyledForm):
    """A report's period: `from` and `to` in the query string (Python keeps `from` for itself), checked
    for range and order. Each report says what a blank day means in its own `period()`."""

    # "To" alone is the recipient of a mail in the catalog.
    start = forms.DateField(label=pgettext_lazy("first day of a period", "From"), required=False, widget=DATE_INPUT)
    end = forms.DateField(label=pgettext_lazy("last day of a period", "To"), required=False, widget=DATE_INPUT)

    def add_prefix(self, field_name: str) -> str:
        return {"start": "from", "end": "to"}.get(field_name, field_name)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("start", "end"):
            value = data.get(name)
            if value and not PERIOD_EARLIEST <= value <= PERIOD_LATEST:
                self.add_error(name, gettext_now("Choose a date from %(first)s to %(last)s.")
                               % {"first": PERIOD_EARLIEST.year, "last": PERIOD_LATEST.year})  # fmt: skip
        start, end = data.get("start"), data.get("end")
        if start and end and not self.errors:
            if end < start:
                self.add_error("end", gettext_now("The last day comes before the first."))
            elif (end - start).days > PERIOD_MAX_DAYS:
                self.add_error("end", gettext_now("Choose at most five years."))
        return data
