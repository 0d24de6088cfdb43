"""Live queue statistics of actions, one row per action (keyed by its id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import QueueStats
from ..statements import Table
from .base import BaseRepository


@dataclass(frozen=True, slots=True)
class UpsertQueueStatsInput:
    action_id: int
    queue_length: int = 0
    active_count: int = 0
    max_concurrent: int = 1
    oldest_enqueued_at: datetime | None = None
    total_enqueued: int = 0
    total_completed: int = 0


QUEUE_STATS = Table("queue_stats", QueueStats, order_by="action_id", key="action_id")

UPSERT = QUEUE_STATS.statement(
    "INSERT INTO attune.queue_stats AS q"
    " (action_id, queue_length, active_count, max_concurrent, oldest_enqueued_at,"
    "  total_enqueued, total_completed)"
    " VALUES (%(action_id)s, %(queue_length)s, %(active_count)s, %(max_concurrent)s,"
    "  %(oldest_enqueued_at)s, %(total_enqueued)s, %(total_completed)s)"
    " ON CONFLICT (action_id) DO UPDATE SET"
    " queue_length = EXCLUDED.queue_length, active_count = EXCLUDED.active_count,"
    " max_concurrent = EXCLUDED.max_concurrent,"
    " oldest_enqueued_at = EXCLUDED.oldest_enqueued_at,"
    " total_enqueued = EXCLUDED.total_enqueued, total_completed = EXCLUDED.total_completed,"
    " last_updated = now()"
    " RETURNING {columns}"
)


class QueueStatsRepository(BaseRepository[QueueStats, UpsertQueueStatsInput]):
    """Keyed by action id: `find_by_id(action_id)`, `delete(action_id)`."""

    table = QUEUE_STATS

    def upsert(self, data: UpsertQueueStatsInput) -> QueueStats:
        """Store the statistics of an action, replacing any it had."""
        columns, values = self.table.values(data)
        stored = self._one(UPSERT, dict(zip(columns, values, strict=True)))
        assert stored is not None
        return stored
