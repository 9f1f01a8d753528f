from django import forms
from django.utils.translation import gettext_lazy as _

from touchpoint.core.forms import StyledModelForm
from touchpoint.core.identifiers import normalise_phone, validate_mobile
from touchpoint.org.models import Department, User


class ProfileForm(StyledModelForm):
    class Meta:
        model = User
        fields = ["full_name", "email", "phone", "language"]
        widgets = {"language": forms.Select(choices=[("", _("Follow the browser")), ("zh-hans", "简体中文"), ("en", "English")])}

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone", "")
        if phone:
            validate_mobile(phone)
            return normalise_phone(phone)
        return ""


class DepartmentForm(StyledModelForm):
    class Meta:
        model = Department
        fields = ["code", "name", "name_en", "order", "is_active"]
