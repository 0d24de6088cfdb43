# WARNING: generated from queue_stats_async.py by tools/async_to_sync.py - edit that file, then run make generate.
# ruff: noqa: E501
"""Live queue statistics of actions, one row per action (keyed by its id)."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import ValidationError
from ..models import QueueStats
from ..queries.queue_stats import ACTIVE
from ..queries.queue_stats import ALL
from ..queries.queue_stats import CLEAR_STALE
from ..queries.queue_stats import QUEUE_STATS
from ..queries.queue_stats import UPSERT_MANY
from ..queries.queue_stats import UpsertQueueStatsInput
from ..queries.queue_stats import upsert_columns
from ..statements import DEFAULT_LIMIT
from .base import BaseRepository


class QueueStatsRepository(BaseRepository[QueueStats, UpsertQueueStatsInput]):
    """Keyed by action id: `find_by_id(action_id)`, `delete(action_id)`. Lists are
    ordered by action id."""

    table = QUEUE_STATS

    def upsert(self, data: UpsertQueueStatsInput) -> QueueStats:
        """Store the statistics of an action, replacing any it had."""
        stored = self.batch_upsert([data])
        return stored[0]

    def batch_upsert(self, inputs: Iterable[UpsertQueueStatsInput]) -> list[QueueStats]:
        """Upsert many actions' statistics in one statement (see `upsert_columns`)."""
        action_ids, columns = upsert_columns(inputs)
        if not action_ids:
            return []
        stored = {row.action_id: row for row in self._all(UPSERT_MANY, columns)}
        return [stored[action_id] for action_id in action_ids]

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
