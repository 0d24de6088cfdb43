"""QueueStatsRepository against the real database, beyond what every repository does
(test_common.py): upserts one or many, the lists, clear_stale, and the rules of the
table (counts never negative, one row per existing action, gone with its action)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from attune_common.errors import ReferenceViolation, ValidationError
from attune_common.models import Action, QueueStats
from attune_common.repositories import (
    ActionRepository,
    QueueStatsRepository,
    UpsertQueueStatsInput,
)
from tests.builders import ActionFixture, Conn, QueueStatsFixture
from tests.helpers import MISSING_ID, transaction_now

ENQUEUED = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
COUNTS = ("queue_length", "active_count", "max_concurrent", "total_enqueued", "total_completed")


def actions(conn: Conn, count: int) -> list[Action]:
    return [ActionFixture.unique().create(conn) for _ in range(count)]


def only_actions(rows: list[QueueStats], action_ids: list[int]) -> list[int]:
    """The action ids of `rows` that are among `action_ids`, in the order of `rows`."""
    return [row.action_id for row in rows if row.action_id in action_ids]


def age(conn: Conn, action_id: int, seconds: int) -> None:
    """Make a row look last updated `seconds` before now()."""
    conn.execute(
        "UPDATE attune.queue_stats SET last_updated = now() - make_interval(secs => %s)"
        " WHERE action_id = %s",
        (seconds, action_id),
    )


def full_input(action_id: int) -> UpsertQueueStatsInput:
    return UpsertQueueStatsInput(
        action_id=action_id,
        queue_length=4,
        active_count=2,
        max_concurrent=3,
        oldest_enqueued_at=ENQUEUED,
        total_enqueued=100,
        total_completed=94,
    )


# -- upsert ----------------------------------------------------------------------------


def test_upsert_new_applies_schema_defaults(conn: Conn) -> None:
    action = ActionFixture.unique().create(conn)

    stats = QueueStatsRepository(conn).upsert(UpsertQueueStatsInput(action_id=action.id))

    assert stats.action_id == action.id
    assert (stats.queue_length, stats.active_count, stats.max_concurrent) == (0, 0, 1)
    assert stats.oldest_enqueued_at is None
    assert (stats.total_enqueued, stats.total_completed) == (0, 0)
    assert stats.created == stats.last_updated == transaction_now(conn)


def test_upsert_full_round_trips_every_column(conn: Conn) -> None:
    action = ActionFixture.unique().create(conn)

    stats = QueueStatsRepository(conn).upsert(full_input(action.id))

    assert (
        stats.queue_length,
        stats.active_count,
        stats.max_concurrent,
        stats.oldest_enqueued_at,
        stats.total_enqueued,
        stats.total_completed,
    ) == (4, 2, 3, ENQUEUED, 100, 94)
    assert QueueStatsRepository(conn).get_by_id(action.id) == stats


def test_upsert_existing_replaces_values_keeps_created_and_refreshes_last_updated(
    conn: Conn,
) -> None:
    stats = QueueStatsFixture.unique().with_queue_length(9).create(conn)
    conn.execute(
        "UPDATE attune.queue_stats SET created = now() - interval '1 day',"
        " last_updated = now() - interval '1 hour' WHERE action_id = %s",
        (stats.action_id,),
    )
    repository = QueueStatsRepository(conn)
    before = repository.get_by_id(stats.action_id)

    after = repository.upsert(full_input(stats.action_id))

    assert (after.queue_length, after.total_completed) == (4, 94)
    assert after.created == before.created
    assert after.last_updated == transaction_now(conn) > before.last_updated


def test_upsert_missing_action_raises_reference_violation(conn: Conn) -> None:
    repository = QueueStatsRepository(conn)

    with pytest.raises(ReferenceViolation) as raised, conn.transaction():
        repository.upsert(UpsertQueueStatsInput(action_id=MISSING_ID))

    assert raised.value.constraint == "queue_stats_action_id_fkey"
    assert repository.find_by_action(MISSING_ID) is None


@pytest.mark.parametrize("count", COUNTS)
def test_upsert_negative_count_raises_validation_error(conn: Conn, count: str) -> None:
    action = ActionFixture.unique().create(conn)
    repository = QueueStatsRepository(conn)

    negative: dict[str, Any] = {count: -1}

    with pytest.raises(ValidationError) as raised, conn.transaction():
        repository.upsert(UpsertQueueStatsInput(action_id=action.id, **negative))

    assert raised.value.constraint == "queue_stats_counts_not_negative"
    assert repository.find_by_action(action.id) is None


def test_upsert_refused_leaves_existing_row(conn: Conn) -> None:
    stats = QueueStatsFixture.unique().with_active_count(2).create(conn)
    repository = QueueStatsRepository(conn)

    with pytest.raises(ValidationError), conn.transaction():
        repository.upsert(UpsertQueueStatsInput(action_id=stats.action_id, queue_length=-5))

    assert repository.get_by_id(stats.action_id) == stats


# -- batch_upsert ----------------------------------------------------------------------


def test_batch_upsert_stores_all_in_input_order(conn: Conn) -> None:
    first, second, third = actions(conn, 3)
    inputs = [
        full_input(third.id),
        UpsertQueueStatsInput(action_id=first.id),
        UpsertQueueStatsInput(action_id=second.id, queue_length=1, oldest_enqueued_at=ENQUEUED),
    ]
    repository = QueueStatsRepository(conn)

    stored = repository.batch_upsert(inputs)

    assert [row.action_id for row in stored] == [third.id, first.id, second.id]
    assert [(row.queue_length, row.oldest_enqueued_at) for row in stored] == [
        (4, ENQUEUED),
        (0, None),
        (1, ENQUEUED),
    ]
    assert [repository.get_by_id(row.action_id) for row in stored] == stored


def test_batch_upsert_updates_existing_and_inserts_new(conn: Conn) -> None:
    existing = QueueStatsFixture.unique().with_total_enqueued(5).create(conn)
    fresh = ActionFixture.unique().create(conn)

    stored = QueueStatsRepository(conn).batch_upsert(
        [
            UpsertQueueStatsInput(action_id=existing.action_id, total_enqueued=6),
            UpsertQueueStatsInput(action_id=fresh.id, total_enqueued=1),
        ]
    )

    assert [(row.action_id, row.total_enqueued) for row in stored] == [
        (existing.action_id, 6),
        (fresh.id, 1),
    ]
    assert stored[0].created == existing.created


def test_batch_upsert_same_action_twice_keeps_the_last(conn: Conn) -> None:
    action, other = actions(conn, 2)

    stored = QueueStatsRepository(conn).batch_upsert(
        [
            UpsertQueueStatsInput(action_id=action.id, queue_length=1),
            UpsertQueueStatsInput(action_id=other.id),
            UpsertQueueStatsInput(action_id=action.id, queue_length=7),
        ]
    )

    assert [(row.action_id, row.queue_length) for row in stored] == [(action.id, 7), (other.id, 0)]
    assert QueueStatsRepository(conn).get_by_id(action.id).queue_length == 7


def test_batch_upsert_nothing_returns_empty(conn: Conn) -> None:
    assert QueueStatsRepository(conn).batch_upsert([]) == []


def test_batch_upsert_accepts_any_iterable(conn: Conn) -> None:
    action_ids = [action.id for action in actions(conn, 2)]

    stored = QueueStatsRepository(conn).batch_upsert(
        UpsertQueueStatsInput(action_id=action_id) for action_id in action_ids
    )

    assert [row.action_id for row in stored] == action_ids


def test_batch_upsert_with_missing_action_stores_none_of_the_batch(conn: Conn) -> None:
    action = ActionFixture.unique().create(conn)
    repository = QueueStatsRepository(conn)

    with pytest.raises(ReferenceViolation), conn.transaction():
        repository.batch_upsert(
            [UpsertQueueStatsInput(action_id=action.id), UpsertQueueStatsInput(MISSING_ID)]
        )

    assert repository.find_by_action(action.id) is None


def test_batch_upsert_with_negative_count_changes_nothing(conn: Conn) -> None:
    existing = QueueStatsFixture.unique().with_queue_length(3).create(conn)
    fresh = ActionFixture.unique().create(conn)
    repository = QueueStatsRepository(conn)

    with pytest.raises(ValidationError), conn.transaction():
        repository.batch_upsert(
            [
                UpsertQueueStatsInput(action_id=existing.action_id, queue_length=8),
                UpsertQueueStatsInput(action_id=fresh.id, total_completed=-1),
            ]
        )

    assert repository.get_by_id(existing.action_id) == existing
    assert repository.find_by_action(fresh.id) is None


# -- read ------------------------------------------------------------------------------


def test_find_by_action_returns_the_row(conn: Conn) -> None:
    stats = QueueStatsFixture.unique().create(conn)

    assert QueueStatsRepository(conn).find_by_action(stats.action_id) == stats


def test_find_by_action_without_stats_returns_none(conn: Conn) -> None:
    action = ActionFixture.unique().create(conn)

    assert QueueStatsRepository(conn).find_by_action(action.id) is None


def test_list_all_holds_mine_by_action_id(conn: Conn) -> None:
    mine = [QueueStatsFixture.unique().create(conn) for _ in range(3)]
    action_ids = [stats.action_id for stats in mine]

    listed = QueueStatsRepository(conn).list_all()

    assert only_actions(listed, action_ids) == sorted(action_ids)
    assert [row.action_id for row in listed] == sorted(row.action_id for row in listed)


def test_list_active_holds_queued_or_running_not_idle(conn: Conn) -> None:
    queued = QueueStatsFixture.unique().with_queue_length(2).create(conn)
    running = QueueStatsFixture.unique().with_active_count(1).create(conn)
    idle = QueueStatsFixture.unique().with_(total_completed=50, max_concurrent=4).create(conn)

    active = QueueStatsRepository(conn).list_active()

    assert only_actions(active, [queued.action_id, running.action_id, idle.action_id]) == sorted(
        [queued.action_id, running.action_id]
    )
    assert all(row.queue_length > 0 or row.active_count > 0 for row in active)


def test_list_active_respects_limit(conn: Conn) -> None:
    for _ in range(3):
        QueueStatsFixture.unique().with_queue_length(1).create(conn)

    assert len(QueueStatsRepository(conn).list_active(limit=2)) == 2


def test_list_active_drops_a_row_once_drained(conn: Conn) -> None:
    stats = QueueStatsFixture.unique().with_queue_length(1).create(conn)
    repository = QueueStatsRepository(conn)

    repository.upsert(UpsertQueueStatsInput(action_id=stats.action_id, total_completed=1))

    assert only_actions(repository.list_active(), [stats.action_id]) == []


# -- clear_stale -----------------------------------------------------------------------


def test_clear_stale_removes_only_stale_rows(conn: Conn) -> None:
    stale = [QueueStatsFixture.unique().create(conn) for _ in range(2)]
    fresh = QueueStatsFixture.unique().create(conn)
    for stats in stale:
        age(conn, stats.action_id, 2 * 3600)
    repository = QueueStatsRepository(conn)

    removed = repository.clear_stale(3600)

    assert removed >= len(stale)
    assert [repository.find_by_action(stats.action_id) for stats in stale] == [None, None]
    assert repository.get_by_id(fresh.action_id) == fresh


@pytest.mark.parametrize(("seconds_ago", "kept"), [(30, True), (90, False)])
def test_clear_stale_compares_last_updated_with_the_threshold(
    conn: Conn, seconds_ago: int, kept: bool
) -> None:
    stats = QueueStatsFixture.unique().create(conn)
    age(conn, stats.action_id, seconds_ago)
    repository = QueueStatsRepository(conn)

    repository.clear_stale(60)

    assert (repository.find_by_action(stats.action_id) is not None) is kept


def test_clear_stale_zero_keeps_rows_updated_in_this_transaction(conn: Conn) -> None:
    stats = QueueStatsFixture.unique().create(conn)
    repository = QueueStatsRepository(conn)

    repository.clear_stale(0)

    assert repository.get_by_id(stats.action_id) == stats


def test_clear_stale_negative_raises_validation_error(conn: Conn) -> None:
    stats = QueueStatsFixture.unique().create(conn)
    repository = QueueStatsRepository(conn)

    with pytest.raises(ValidationError):
        repository.clear_stale(-1)

    assert repository.get_by_id(stats.action_id) == stats


# -- delete ----------------------------------------------------------------------------


def test_delete_removes_the_row(conn: Conn) -> None:
    stats = QueueStatsFixture.unique().create(conn)
    repository = QueueStatsRepository(conn)

    assert repository.delete(stats.action_id) is True
    assert repository.find_by_action(stats.action_id) is None
    assert ActionRepository(conn).find_by_id(stats.action_id) is not None


def test_delete_action_removes_its_stats(conn: Conn) -> None:
    stats = QueueStatsFixture.unique().create(conn)
    other = QueueStatsFixture.unique().create(conn)
    repository = QueueStatsRepository(conn)

    assert ActionRepository(conn).delete(stats.action_id)

    assert repository.find_by_action(stats.action_id) is None
    assert repository.get_by_id(other.action_id) == other
