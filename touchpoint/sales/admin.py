"""Read-only admin views of the sales records, for superusers who need to look something up.

Every change goes through the sales pages and their services (events, price history, module areas,
allowed moves), so nothing here adds, edits or deletes.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from touchpoint.sales.models import (
    Contract,
    DiscountApproval,
    DiscountLimit,
    Feature,
    InstalledItem,
    Lead,
    MilestoneTemplate,
    Module,
    ModulePrice,
    Opportunity,
    Pipeline,
    Product,
    ProductVersion,
    Quote,
    RequirementArea,
    RequirementTemplate,
    Stage,
    StageTransition,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "name_en", "day_rate", "maintenance_percent", "retired_at"]
    search_fields = ["code", "name", "name_en"]


@admin.register(ProductVersion)
class ProductVersionAdmin(ReadOnlyAdmin):
    list_display = ["product", "number", "released_on", "support_ends_on", "retired_at"]
    list_filter = ["product"]


@admin.register(Module)
class ModuleAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "product", "is_core", "retired_at"]
    list_filter = ["product", "is_core"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Feature)
class FeatureAdmin(ReadOnlyAdmin):
    list_display = ["name", "module", "retired_at"]
    list_filter = ["module__product"]
    list_select_related = ["module"]


@admin.register(ModulePrice)
class ModulePriceAdmin(ReadOnlyAdmin):
    list_display = ["module", "licence_type", "list_price", "currency", "valid_from"]
    list_filter = ["licence_type", "module__product"]
    list_select_related = ["module"]


@admin.register(RequirementArea)
class RequirementAreaAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "name_en", "order", "is_active"]


@admin.register(RequirementTemplate)
class RequirementTemplateAdmin(ReadOnlyAdmin):
    list_display = ["name", "is_active"]


@admin.register(Pipeline)
class PipelineAdmin(ReadOnlyAdmin):
    list_display = ["name", "name_en", "is_default", "is_active"]


@admin.register(Stage)
class StageAdmin(ReadOnlyAdmin):
    list_display = ["pipeline", "order", "code", "name", "probability", "outcome"]
    list_filter = ["pipeline"]


@admin.register(StageTransition)
class StageTransitionAdmin(ReadOnlyAdmin):
    list_display = ["pipeline", "from_stage", "to_stage"]
    list_filter = ["pipeline"]
    list_select_related = ["from_stage", "to_stage", "pipeline"]


@admin.register(MilestoneTemplate)
class MilestoneTemplateAdmin(ReadOnlyAdmin):
    list_display = ["name", "is_default"]


@admin.register(DiscountLimit)
class DiscountLimitAdmin(ReadOnlyAdmin):
    list_display = ["position", "max_discount_percent"]


@admin.register(Lead)
class LeadAdmin(ReadOnlyAdmin):
    list_display = ["company_name", "status", "source", "owner", "created_at"]
    list_filter = ["status", "source"]
    search_fields = ["company_name", "contact_name"]


@admin.register(Opportunity)
class OpportunityAdmin(ReadOnlyAdmin):
    list_display = ["title", "customer", "owner", "stage", "amount", "close_date"]
    list_filter = ["stage"]
    list_select_related = ["customer", "owner", "stage"]
    search_fields = ["title"]


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "revision", "customer", "status", "grand_total", "valid_until"]
    list_filter = ["status"]
    list_select_related = ["customer"]
    search_fields = ["number"]


@admin.register(DiscountApproval)
class DiscountApprovalAdmin(ReadOnlyAdmin):
    list_display = ["quote", "requested_by", "discount_percent", "status", "created_at"]
    list_filter = ["status"]


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = ["number", "title", "customer", "status", "amount", "signed_on"]
    list_filter = ["status"]
    list_select_related = ["customer"]
    search_fields = ["number", "title"]


@admin.register(InstalledItem)
class InstalledItemAdmin(ReadOnlyAdmin):
    list_display = ["customer", "product", "module", "version", "status"]
    list_filter = ["status", "product"]
    list_select_related = ["customer", "product", "module", "version"]
