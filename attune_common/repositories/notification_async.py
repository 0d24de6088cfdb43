"""Notifications: what changed, for the UI (see `queries.notification`)."""

from __future__ import annotations

from ..models import Notification
from ..models import NotificationStatus
from ..queries.notification import NOTIFICATIONS
from ..queries.notification import NOTIFICATIONS_BY_CHANNEL
from ..queries.notification import NOTIFICATIONS_BY_STATE
from ..queries.notification import CreateNotificationInput
from ..queries.notification import UpdateNotificationInput
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
