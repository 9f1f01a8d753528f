"""The sales app's models, split by meaning: catalogue, pipeline, requirements, quotes, contracts."""

from touchpoint.sales.models.catalogue import (
    ON_SALE,
    Feature,
    LicenceType,
    Module,
    ModulePrice,
    Product,
    ProductVersion,
    RequirementArea,
)
from touchpoint.sales.models.contracts import (
    Contract,
    ContractDocument,
    ContractStatus,
    DeliveryEvent,
    InstalledItem,
    InstalledStatus,
    MilestoneStatus,
    MilestoneTemplate,
    MilestoneTemplateItem,
    MilestoneTrigger,
    PaymentMilestone,
)
from touchpoint.sales.models.pipeline import (
    Lead,
    LeadSource,
    LeadStatus,
    LostReason,
    Opportunity,
    OpportunityMember,
    OpportunityRole,
    Pipeline,
    Stage,
    StageOutcome,
    StageTransition,
    StageVisit,
)
from touchpoint.sales.models.quotes import (
    ApprovalStatus,
    DiscountApproval,
    DiscountLimit,
    LineKind,
    Quote,
    QuoteLine,
    QuoteStatus,
)
from touchpoint.sales.models.requirements import (
    Coverage,
    Priority,
    Requirement,
    RequirementTemplate,
    RequirementTemplateItem,
)

__all__ = [
    "ON_SALE", "ApprovalStatus", "Contract", "ContractDocument", "ContractStatus", "Coverage", "DeliveryEvent",
    "DiscountApproval", "DiscountLimit", "Feature", "InstalledItem", "InstalledStatus", "Lead", "LeadSource",
    "LeadStatus", "LicenceType", "LineKind", "LostReason", "MilestoneStatus", "MilestoneTemplate",
    "MilestoneTemplateItem", "MilestoneTrigger", "Module", "ModulePrice", "Opportunity", "OpportunityMember",
    "OpportunityRole", "PaymentMilestone", "Pipeline", "Priority", "Product", "ProductVersion", "Quote",
    "QuoteLine", "QuoteStatus", "Requirement", "RequirementArea", "RequirementTemplate", "RequirementTemplateItem",
    "Stage", "StageOutcome", "StageTransition", "StageVisit",
]  # fmt: skip
