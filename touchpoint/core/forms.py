"""Form plumbing shared by every app: Bootstrap styling and the version field for stale edits."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting


class Renderer(TemplatesSetting):
    form_template_name = "core/forms/form.html"
    field_template_name = "core/forms/field.html"


def style_widgets(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            continue
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class StyledForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_widgets(self)


class StyledModelForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_widgets(self)


class VersionedModelForm(StyledModelForm):
    """Carries the version the user loaded, so the service can refuse a stale edit."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "version" not in self.initial:
            self.initial["version"] = self.instance.version

    def changed_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or [] if name in self.cleaned_data}


def limit_choices(form: forms.BaseForm, **querysets: Any) -> None:
    """Narrow the choices of model choice fields to what the user may pick."""
    for name, queryset in querysets.items():
        field = form.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset


def keep_input_on_conflict(form: forms.BaseForm, current_version: int) -> None:
    """After a refused stale edit, keep what the user typed but move the form to the current version,
    so that saving again, having seen what changed, applies it."""
    data = form.data.copy()  # type: ignore[attr-defined]
    data["version"] = str(current_version)
    form.data = data


def apply_validation_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for item in errors:
                form.add_error(target, item)
    else:
        form.add_error(None, error)
