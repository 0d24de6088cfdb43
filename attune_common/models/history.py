"""Occurrences: what happened, kept as history, and the live queue statistics.

One frozen dataclass per table, one field per column, in the table's column order.
Links to definitions and to other occurrences may be None once their target is
deleted; the `*_ref` copies stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .enums import (
    ArtifactRetention,
    ArtifactType,
    EnforcementCondition,
    EnforcementStatus,
    ExecutionStatus,
    InquiryStatus,
    NotificationStatus,
    OwnerType,
)
from .json import Json, JsonArray


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    trigger: int | None
    trigger_ref: str
    config: Json | None
    payload: Json | None
    source: int | None
    source_ref: str | None
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class Enforcement:
    id: int
    rule: int | None
    rule_ref: str
    trigger_ref: str
    config: Json | None
    event: int | None
    status: EnforcementStatus
    payload: Json
    condition: EnforcementCondition
    conditions: JsonArray
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class Execution:
    id: int
    action: int | None
    action_ref: str
    config: Json | None
    parent: int | None
    enforcement: int | None
    executor: int | None
    status: ExecutionStatus
    result: Json | None
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class Inquiry:
    id: int
    execution: int
    prompt: str
    response_schema: Json | None
    assigned_to: int | None
    status: InquiryStatus
    response: Json | None
    timeout_at: datetime | None
    responded_at: datetime | None
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    channel: str
    entity_type: str
    entity: str
    activity: str
    state: NotificationStatus
    content: Json | None
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class Artifact:
    id: int
    ref: str
    scope: OwnerType
    owner: str
    type: ArtifactType
    retention_policy: ArtifactRetention
    retention_limit: int
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class QueueStats:
    action_id: int
    queue_length: int
    active_count: int
    max_concurrent: int
    oldest_enqueued_at: datetime | None
    total_enqueued: int
    total_completed: int
    created: datetime
    last_updated: datetime
