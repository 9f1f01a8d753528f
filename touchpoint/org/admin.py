"""Administration of users, positions, teams and departments.

Deactivation goes through `user_deactivate` (an action), so that it ends sessions and API tokens
at once; the active flag is therefore read-only in the form.
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from touchpoint.org.models import Department, Membership, PolicyRule, Team, User
from touchpoint.org.services import user_deactivate


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "email", "department", "is_active", "last_login"]
    list_filter = ["is_active", "department", "memberships__position"]
    search_fields = ["username", "full_name", "email", "phone"]
    inlines = [MembershipInline]
    actions = ["deactivate"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "email", "phone", "department", "language")}),
        (_("Status"), {"fields": ("is_active", "is_staff", "is_superuser", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "email", "department", "password1", "password2")}),
    )
    readonly_fields = ["is_active", "last_login", "date_joined"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # People leave; their history stays. Deactivate instead of deleting.
        return False

    @admin.action(description=_("Deactivate (ends their sessions and API tokens at once)"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset.filter(is_active=True):
            user_deactivate(user=user, by=request.user)
            count += 1
        self.message_user(request, _("%(count)d users deactivated.") % {"count": count}, messages.SUCCESS)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "department", "lead"]
    list_filter = ["department"]
    filter_horizontal = ["members"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "order", "is_active"]


@admin.register(PolicyRule)
class PolicyRuleAdmin(admin.ModelAdmin):
    """Read-only here: the policy table page edits it, invalidates the cache and logs each change."""

    list_display = ["position", "entity", "action", "scope", "updated_at"]
    list_filter = ["position", "entity"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
