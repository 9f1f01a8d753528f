"""The service app's models, split by meaning: queues and routing, SLA policies, maintenance
contracts, requests with their handoffs and escalations."""

from touchpoint.service.models.complaints import (  # noqa: F401
    COMPLAINT_OPEN,
    Complaint,
    ComplaintAbout,
    ComplaintEvent,
    ComplaintSeverity,
    ComplaintStatus,
    ComplaintStep,
)
from touchpoint.service.models.contracts import CoverageKind, CoverageStatus, MaintenanceContract
from touchpoint.service.models.knowledge import (  # noqa: F401
    Article,
    ArticleCategory,
    ArticleFeedback,
    ArticleLanguage,
    ArticleStatus,
    ArticleVisibility,
)
from touchpoint.service.models.mail import InboundMail, MailboxState, MailOutcome  # noqa: F401
from touchpoint.service.models.maintenance import (  # noqa: F401
    CampaignReason,
    CampaignStatus,
    CampaignTarget,
    CheckResult,
    Frequency,
    MaintenancePlan,
    ReminderStage,
    RenewalReminder,
    ScheduledOrder,
    TargetStatus,
    UpgradeCampaign,
)
from touchpoint.service.models.queues import Assignment, Queue, QueueKind, QueueMember, RoutingRule
from touchpoint.service.models.requests import (
    OPEN,
    Category,
    Entitlement,
    Escalation,
    EscalationReason,
    Handoff,
    HandoffKind,
    Impact,
    MessageKind,
    RequestMessage,
    ServiceRequest,
    ServiceSettings,
    Status,
    StatusChange,
)
from touchpoint.service.models.sla import Severity, SlaPolicy, SlaState, Tier
from touchpoint.service.models.surveys import CSAT_LOW, NPS_LOW, Survey, SurveyKind  # noqa: F401

__all__ = [
    "OPEN", "Assignment", "Category", "CoverageKind", "CoverageStatus", "Entitlement", "Escalation", "EscalationReason",
    "Handoff", "HandoffKind", "Impact", "MaintenanceContract", "MessageKind", "Queue", "QueueKind", "QueueMember",
    "RequestMessage", "RoutingRule", "ServiceRequest", "ServiceSettings", "Severity", "SlaPolicy", "SlaState", "Status",
    "StatusChange", "Tier",
]  # fmt: skip
