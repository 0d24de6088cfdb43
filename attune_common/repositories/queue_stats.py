"""Live queue statistics of actions, one row per action (keyed by its id)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ..errors import ValidationError
from ..models import QueueStats
from ..statements import DEFAULT_LIMIT, Table
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

# One statement for one row or many: each parameter is an array holding one column of
# the batch (in UpsertQueueStatsInput's field order), unnest() turns them into rows.
UPSERT_MANY = QUEUE_STATS.statement(
    "INSERT INTO attune.queue_stats AS q"
    " (action_id, queue_length, active_count, max_concurrent, oldest_enqueued_at,"
    "  total_enqueued, total_completed)"
    " SELECT * FROM unnest(%s::bigint[], %s::integer[], %s::integer[], %s::integer[],"
    "  %s::timestamptz[], %s::bigint[], %s::bigint[])"
    " ON CONFLICT (action_id) DO UPDATE SET"
    " queue_length = EXCLUDED.queue_length, active_count = EXCLUDED.active_count,"
    " max_concurrent = EXCLUDED.max_concurrent,"
    " oldest_enqueued_at = EXCLUDED.oldest_enqueued_at,"
    " total_enqueued = EXCLUDED.total_enqueued, total_completed = EXCLUDED.total_completed,"
    " last_updated = now()"
    " RETURNING {columns}"
)
ACTIVE = QUEUE_STATS.statement(
    "SELECT {columns} FROM attune.queue_stats WHERE queue_length > 0 OR active_count > 0"
    " ORDER BY action_id LIMIT %s"
)
ALL = QUEUE_STATS.statement("SELECT {columns} FROM attune.queue_stats ORDER BY action_id")
CLEAR_STALE = QUEUE_STATS.command(
    "DELETE FROM attune.queue_stats"
    " WHERE last_updated < now() - make_interval(secs => %s::double precision)"
)


class QueueStatsRepository(BaseRepository[QueueStats, UpsertQueueStatsInput]):
    """Keyed by action id: `find_by_id(action_id)`, `delete(action_id)`. Lists are
    ordered by action id."""

    table = QUEUE_STATS

    def upsert(self, data: UpsertQueueStatsInput) -> QueueStats:
        """Store the statistics of an action, replacing any it had."""
        return self.batch_upsert([data])[0]

    def batch_upsert(self, inputs: Iterable[UpsertQueueStatsInput]) -> list[QueueStats]:
        """Upsert many actions' statistics in one statement (all or none are stored).

        Returns one row per distinct action, in the order the actions first appear in
        `inputs`; an action given twice gets its last input, as if upserted in turn.
        """
        latest = {data.action_id: data for data in inputs}
        if not latest:
            return []
        rows = [self.table.values(data)[1] for data in latest.values()]
        columns = [list(column) for column in zip(*rows, strict=True)]
        stored = {row.action_id: row for row in self._all(UPSERT_MANY, columns)}
        return [stored[action_id] for action_id in latest]

    def find_by_action(self, action_id: int) -> QueueStats | None:
        return self.find_by_id(action_id)

    def list_active(self, limit: int = DEFAULT_LIMIT) -> list[QueueStats]:
        """Actions with work queued or running."""
        return self._all(ACTIVE, (limit,))

    def list_all(self) -> list[QueueStats]:
        """Every action's statistics (one row per action, so bounded by the actions)."""
        return self._all(ALL)

    def clear_stale(self, older_than_seconds: float) -> int:
        """Delete the statistics not updated in the last `older_than_seconds` (before the
        transaction's now()); returns how many were deleted."""
        if older_than_seconds < 0:
            raise ValidationError(
                f"older_than_seconds must not be negative, got {older_than_seconds}",
                column="older_than_seconds",
            )
        return self._count(CLEAR_STALE, (older_than_seconds,))
