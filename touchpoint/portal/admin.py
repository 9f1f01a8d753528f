from django.contrib import admin

from touchpoint.portal.models import Announcement, PortalAccount, PortalInvitation


@admin.register(PortalAccount)
class PortalAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "customer", "is_admin", "is_active", "created_at"]
    list_filter = ["is_admin", "is_active"]
    search_fields = ["user__username", "user__full_name", "customer__name"]
    raw_id_fields = ["user", "customer", "contact", "invited_by"]
    filter_horizontal = ["branches"]
    # Access ends through the service (it also ends sessions and tokens), not by editing the flag.
    readonly_fields = ["is_active", "deactivated_at"]


@admin.register(PortalInvitation)
class PortalInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "customer", "invited_by", "created_at", "expires_at", "accepted_at"]
    search_fields = ["email", "customer__name"]
    readonly_fields = ["email", "customer", "contact", "is_admin", "invited_by", "expires_at", "accepted_at", "account"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ["title", "audience", "published_from", "published_to", "created_by"]
    list_filter = ["audience"]
    search_fields = ["title", "body"]
    filter_horizontal = ["customers"]
    raw_id_fields = ["created_by"]

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
