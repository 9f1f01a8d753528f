"""Forms of the catalogue management pages. They check input; the services in
services/catalogue.py do every write."""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from touchpoint.core.forms import StyledForm, StyledModelForm
from touchpoint.sales.models import Feature, LicenceType, Module, ModulePrice, Product, ProductVersion, RequirementArea


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class ProductForm(StyledModelForm):
    class Meta:
        model = Product
        fields = ["code", "name", "name_en", "description", "day_rate", "maintenance_percent"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "code": _("Short, unique, letters, digits and hyphens; it cannot change later."),
            "day_rate": _("Price of one person-day of implementation, in CNY."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True


class ModuleForm(StyledModelForm):
    class Meta:
        model = Module
        fields = ["code", "name", "name_en", "description", "is_core"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"is_core": _("A core module comes with every sale of the product.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True

    def validate_unique(self) -> None:
        """The services report a taken code on the field; the product is not a form field here."""


class FeatureForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
    areas = forms.ModelMultipleChoiceField(
        label=_("Requirement areas"), queryset=RequirementArea.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tag the feature with at least one requirement area.")},
    )  # fmt: skip

    def __init__(self, *args: Any, feature: Feature | None = None, **kwargs: Any) -> None:
        if feature is not None:
            kwargs.setdefault("initial", {"name": feature.name, "name_en": feature.name_en,
                                          "areas": list(feature.areas.all())})  # fmt: skip
        super().__init__(*args, **kwargs)
        # Areas out of use stay pickable on a feature that already has them.
        in_use = RequirementArea.objects.filter(is_active=True)
        if feature is not None:
            in_use = RequirementArea.objects.filter(pk__in=in_use.values("pk")) | feature.areas.all()
        self.fields["areas"].queryset = in_use.distinct().order_by("order", "id")  # type: ignore[attr-defined]


class VersionForm(StyledModelForm):
    class Meta:
        model = ProductVersion
        fields = ["number", "released_on", "support_ends_on", "notes"]
        widgets = {"released_on": DateInput(), "support_ends_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self) -> None:
        """The service reports a taken version number on the field."""


class PriceForm(StyledModelForm):
    class Meta:
        model = ModulePrice
        fields = ["licence_type", "list_price", "valid_from"]
        widgets = {"valid_from": DateInput()}
        help_texts = {
            "valid_from": _("Earlier prices stay on record; quotes made before this date keep theirs."),
            "list_price": _("In CNY, before discount and tax."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["licence_type"].choices = LicenceType.choices  # type: ignore[attr-defined]
        self.fields["valid_from"].initial = timezone.localdate()

    def validate_unique(self) -> None:
        """The service reports a clash of dates on the valid-from field."""
