"""Notifications: what changed, for the UI. Inserting one also sends it with
pg_notify on its channel once the transaction commits (a trigger of the schema):
the payload is the JSON object {"id", "entity_type", "entity", "activity"}."""

from __future__ import annotations

from ..models import Notification, NotificationStatus
from ..queries.notification import (
    NOTIFICATIONS,
    NOTIFICATIONS_BY_CHANNEL,
    NOTIFICATIONS_BY_STATE,
    CreateNotificationInput,
    UpdateNotificationInput,
)
from ..statements import DEFAULT_LIMIT
from .occurrence_async import AsyncOccurrenceRepository


class AsyncNotificationRepository(
    AsyncOccurrenceRepository[Notification, CreateNotificationInput, UpdateNotificationInput]
):
    table = NOTIFICATIONS
    create_input = CreateNotificationInput
    page_filters = ("state", "channel")

    async def find_by_state(
        self, state: NotificationStatus, limit: int = DEFAULT_LIMIT
    ) -> list[Notification]:
        return await self._all(NOTIFICATIONS_BY_STATE, (state, limit))

    async def find_by_channel(self, channel: str, limit: int = DEFAULT_LIMIT) -> list[Notification]:
        return await self._all(NOTIFICATIONS_BY_CHANNEL, (channel, limit))
