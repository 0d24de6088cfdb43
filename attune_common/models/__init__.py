"""What things are: one frozen dataclass per table and one StrEnum per SQL enum type."""

from .definitions import Action, Pack, Policy, Rule, Runtime, Sensor, Trigger, Worker
from .enums import (
    ArtifactRetention,
    ArtifactType,
    EnforcementCondition,
    EnforcementStatus,
    ExecutionStatus,
    InquiryStatus,
    NotificationStatus,
    OwnerType,
    PolicyMethod,
    RuntimeType,
    WorkerStatus,
    WorkerType,
)
from .history import Artifact, Enforcement, Event, Execution, Inquiry, Notification, QueueStats
from .identities import Identity, Key, PermissionAssignment, PermissionSet
from .json import Json, JsonArray, JsonObject

__all__ = [
    "Action",
    "Artifact",
    "ArtifactRetention",
    "ArtifactType",
    "Enforcement",
    "EnforcementCondition",
    "EnforcementStatus",
    "Event",
    "Execution",
    "ExecutionStatus",
    "Identity",
    "Inquiry",
    "InquiryStatus",
    "Json",
    "JsonArray",
    "JsonObject",
    "Key",
    "Notification",
    "NotificationStatus",
    "OwnerType",
    "Pack",
    "PermissionAssignment",
    "PermissionSet",
    "Policy",
    "PolicyMethod",
    "QueueStats",
    "Rule",
    "Runtime",
    "RuntimeType",
    "Sensor",
    "Trigger",
    "Worker",
    "WorkerStatus",
    "WorkerType",
]
