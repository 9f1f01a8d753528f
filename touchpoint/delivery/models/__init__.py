"""The delivery app's models, split by meaning: projects and teams, the plan, the work around it,
documents, the handover."""

from touchpoint.delivery.models.documents import DocumentKind, DocumentVersion, ProjectDocument
from touchpoint.delivery.models.handover import (
    DefectSeverity,
    Environment,
    Handover,
    HandoverContact,
    HandoverDefect,
    HandoverStatus,
    HandoverSystem,
    HandoverTraining,
    KeyContactRole,
)
from touchpoint.delivery.models.plan import (
    OPEN_TASK,
    Milestone,
    MilestoneStatus,
    Phase,
    Task,
    TaskDependency,
    TaskRequirement,
    TaskStatus,
)
from touchpoint.delivery.models.projects import (
    RUNNING,
    CustomerRole,
    DeliverySettings,
    Health,
    Project,
    ProjectContact,
    ProjectMember,
    ProjectStatus,
    ProjectTemplate,
    TeamRole,
    TemplatePhase,
)
from touchpoint.delivery.models.work import (
    ChangeRequest,
    ChangeStatus,
    Level,
    ReportStatus,
    Risk,
    RiskKind,
    RiskStatus,
    StatusReport,
    TimeEntry,
    TimeStatus,
)

__all__ = [
    "OPEN_TASK", "RUNNING", "ChangeRequest", "ChangeStatus", "CustomerRole", "DefectSeverity", "DeliverySettings",
    "DocumentKind", "DocumentVersion", "Environment", "Handover", "HandoverContact", "HandoverDefect", "HandoverStatus",
    "HandoverSystem", "HandoverTraining", "Health", "KeyContactRole", "Level", "Milestone", "MilestoneStatus", "Phase",
    "Project", "ProjectContact", "ProjectDocument", "ProjectMember", "ProjectStatus", "ProjectTemplate", "ReportStatus",
    "Risk", "RiskKind", "RiskStatus", "StatusReport", "Task", "TaskDependency", "TaskRequirement", "TaskStatus",
    "TeamRole", "TemplatePhase", "TimeEntry", "TimeStatus",
]  # fmt: skip
