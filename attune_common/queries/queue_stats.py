"""Live queue statistics of actions, one row per action (keyed by its id)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import QueueStats
from ..statements import Table


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


def upsert_columns(inputs: Iterable[UpsertQueueStatsInput]) -> tuple[list[int], list[list[Any]]]:
    """The actions a batch upsert stores, in the order they first appear in `inputs`,
    and its parameters: one array per column (UPSERT_MANY's).

    All or none are stored, one row per distinct action; an action given twice gets
    its last input, as if upserted in turn.
    """
    latest = {data.action_id: data for data in inputs}
    rows = [QUEUE_STATS.values(data)[1] for data in latest.values()]
    return list(latest), [list(column) for column in zip(*rows, strict=True)]
