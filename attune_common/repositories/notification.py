"""Notifications: what changed, for the UI. Inserting one also sends it with
pg_notify on its channel once the transaction commits."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Json, Notification, NotificationStatus
from ..statements import NEWEST_FIRST, Table
from .base import Repository


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
    content: Json | None = None


NOTIFICATIONS = Table(
    "notification", Notification, order_by=NEWEST_FIRST, json_columns=("content",)
)


class NotificationRepository(
    Repository[Notification, CreateNotificationInput, UpdateNotificationInput]
):
    table = NOTIFICATIONS
