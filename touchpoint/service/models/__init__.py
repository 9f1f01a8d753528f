"""The service app's models, split by meaning: queues and routing, SLA policies, maintenance
contracts, requests with their handoffs and escalations."""

from touchpoint.service.models.contracts import CoverageKind, CoverageStatus, MaintenanceContract
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

__all__ = [
    "OPEN", "Assignment", "Category", "CoverageKind", "CoverageStatus", "Entitlement", "Escalation", "EscalationReason",
    "Handoff", "HandoffKind", "Impact", "MaintenanceContract", "MessageKind", "Queue", "QueueKind", "QueueMember",
    "RequestMessage", "RoutingRule", "ServiceRequest", "ServiceSettings", "Severity", "SlaPolicy", "SlaState", "Status",
    "StatusChange", "Tier",
]  # fmt: skip
