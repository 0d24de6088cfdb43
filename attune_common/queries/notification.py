"""Notifications: what changed, for the UI. Inserting one also sends it with
pg_notify on its channel once the transaction commits (a trigger of the schema):
the payload is the JSON object {"id", "entity_type", "entity", "activity"}."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Json, Notification, NotificationStatus
from ..statements import NEWEST_FIRST, Clear, Table


@dataclass(frozen=True, slots=True)
class CreateNotificationInput:
    channel: str
    entity_type: str
    entity: str
    activity: str
    state: NotificationStatus = NotificationStatus.CREATED
    content: Json | None = None


@dataclass(frozen=True, slots=True)
class UpdateNotificationInput:
    state: NotificationStatus | None = None
    content: Json | Clear | None = None


NOTIFICATIONS = Table(
    "notification", Notification, order_by=NEWEST_FIRST, json_columns=("content",)
)

NOTIFICATIONS_BY_STATE = NOTIFICATIONS.statement(
    "SELECT {columns} FROM attune.notification WHERE state = %s"
    " ORDER BY created DESC, id DESC LIMIT %s"
)
NOTIFICATIONS_BY_CHANNEL = NOTIFICATIONS.statement(
    "SELECT {columns} FROM attune.notification WHERE channel = %s"
    " ORDER BY created DESC, id DESC LIMIT %s"
)
