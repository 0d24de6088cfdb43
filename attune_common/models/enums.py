"""The enum types of the schema. Values are exactly the SQL labels."""

from __future__ import annotations

from enum import StrEnum


class WorkerType(StrEnum):
    LOCAL = "local"
    REMOTE = "remote"
    CONTAINER = "container"


class WorkerStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    BUSY = "busy"
    ERROR = "error"


class RuntimeType(StrEnum):
    ACTION = "action"
    SENSOR = "sensor"


class EnforcementStatus(StrEnum):
    CREATED = "created"
    PROCESSED = "processed"
    DISABLED = "disabled"


class EnforcementCondition(StrEnum):
    ANY = "any"
    ALL = "all"


class ExecutionStatus(StrEnum):
    REQUESTED = "requested"
    SCHEDULING = "scheduling"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELING = "canceling"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    ABANDONED = "abandoned"


class InquiryStatus(StrEnum):
    PENDING = "pending"
    RESPONDED = "responded"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


class PolicyMethod(StrEnum):
    CANCEL = "cancel"
    ENQUEUE = "enqueue"


class OwnerType(StrEnum):
    SYSTEM = "system"
    IDENTITY = "identity"
    PACK = "pack"
    ACTION = "action"
    SENSOR = "sensor"


class NotificationStatus(StrEnum):
    CREATED = "created"
    QUEUED = "queued"
    PROCESSING = "processing"
    ERROR = "error"


class ArtifactType(StrEnum):
    FILE_BINARY = "file_binary"
    FILE_DATATABLE = "file_datatable"
    FILE_IMAGE = "file_image"
    FILE_TEXT = "file_text"
    OTHER = "other"
    PROGRESS = "progress"
    URL = "url"


class ArtifactRetention(StrEnum):
    VERSIONS = "versions"
    DAYS = "days"
    HOURS = "hours"
    MINUTES = "minutes"
