"""Retention: purging history older than a cutoff, in bounded batches.

Tests age their own rows into one fixed year and purge with a cutoff just after it.
Rows no other test commits live there: transactional tests use 1900 and roll back;
the tests that commit do so in a database of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import psycopg
import pytest

from attune_common.errors import ValidationError
from attune_common.repositories import (
    EnforcementRepository,
    EventRepository,
    ExecutionRepository,
    InquiryRepository,
    NotificationRepository,
)
from tests.apis import open_repository
from tests.builders import (
    EnforcementFixture,
    EventFixture,
    ExecutionFixture,
    InquiryFixture,
    NotificationFixture,
)
from tests.helpers import set_created

Conn = psycopg.Connection[Any]

LONG_AGO = datetime(1900, 1, 1, tzinfo=UTC)
CUTOFF = LONG_AGO + timedelta(days=1)

pytestmark = pytest.mark.usefixtures("api")  # for the sync and the asyncio API


def age(conn: Conn, table: str, ids: list[int], created: datetime = LONG_AGO) -> None:
    set_created(conn, table, ids, created)


def old_events(conn: Conn, count: int, created: datetime = LONG_AGO) -> list[int]:
    ids = [EventFixture.unique().create(conn).id for _ in range(count)]
    age(conn, "event", ids, created)
    return ids


class CountingCursor(psycopg.Cursor[Any]):
    """Counts the statements run on its connection (a real connection, not a mock)."""

    executed: ClassVar[list[bytes]] = []

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        CountingCursor.executed.append(query if isinstance(query, bytes) else str(query).encode())
        return super().execute(query, params, **kwargs)


def test_delete_older_than_deletes_old_rows_and_keeps_newer(conn: Conn) -> None:
    old = old_events(conn, 3)
    newer = EventFixture.unique().create(conn)
    deleted = open_repository(EventRepository, conn).delete_older_than(CUTOFF)
    assert deleted == 3
    repository = open_repository(EventRepository, conn)
    assert [repository.find_by_id(id) for id in old] == [None, None, None]
    assert repository.get_by_id(newer.id) == newer


def test_delete_older_than_keeps_rows_created_at_the_cutoff(conn: Conn) -> None:
    (at_cutoff,) = old_events(conn, 1, CUTOFF)
    assert open_repository(EventRepository, conn).delete_older_than(CUTOFF) == 0
    assert open_repository(EventRepository, conn).find_by_id(at_cutoff) is not None


def test_delete_older_than_nothing_to_delete(conn: Conn) -> None:
    assert (
        open_repository(EventRepository, conn).delete_older_than(LONG_AGO - timedelta(days=3650))
        == 0
    )


def test_delete_older_than_works_in_batches(database_url: str) -> None:
    CountingCursor.executed = []
    with psycopg.connect(database_url, cursor_factory=CountingCursor) as conn:
        old_events(conn, 10)
        CountingCursor.executed.clear()
        # Counted by the sync cursor factory: the sync API only (it runs under both)
        deleted = EventRepository(conn).delete_older_than(CUTOFF, batch_size=3)
        conn.rollback()
    assert deleted == 10
    deletes = [query for query in CountingCursor.executed if query.startswith(b"DELETE")]
    assert len(deletes) == 4  # 3 + 3 + 3 + 1


def test_delete_batch_older_than_deletes_one_batch_oldest_first(conn: Conn) -> None:
    oldest, older, old = old_events(conn, 3)
    age(conn, "event", [oldest], LONG_AGO - timedelta(hours=2))
    age(conn, "event", [older], LONG_AGO - timedelta(hours=1))
    assert EventRepository(conn).delete_batch_older_than(CUTOFF, batch_size=2) == 2
    remaining = [EventRepository(conn).find_by_id(id) for id in (oldest, older, old)]
    assert [event is not None for event in remaining] == [False, False, True]


@pytest.fixture
def connect_isolated(isolated_database_url: str) -> Iterator[Callable[..., Conn]]:
    """Connections to a database of the test's own: a test that commits old rows would
    purge, and be purged by, its twin running for the other API at the same time."""
    opened: list[Conn] = []

    def open_connection(**kwargs: Any) -> Conn:
        opened.append(psycopg.connect(isolated_database_url, **kwargs))
        return opened[-1]

    yield open_connection
    for conn in opened:
        conn.close()


def test_delete_older_than_on_autocommit_commits_each_batch(
    connect_isolated: Callable[..., Conn],
) -> None:
    year = datetime(1990, 6, 1, tzinfo=UTC)
    writer = connect_isolated()
    old = old_events(writer, 5, year)
    writer.commit()
    deleted = open_repository(EventRepository, connect_isolated(autocommit=True)).delete_older_than(
        year + timedelta(seconds=1), batch_size=2
    )
    assert deleted == 5
    reader = open_repository(EventRepository, connect_isolated())
    assert [reader.find_by_id(id) for id in old] == [None] * 5


def test_delete_older_than_skips_rows_another_transaction_holds(
    connect_isolated: Callable[..., Conn],
) -> None:
    conn = connect_isolated()
    old = old_events(conn, 3)
    conn.commit()
    holder = connect_isolated()
    holder.execute("SELECT id FROM attune.event WHERE id = %s FOR UPDATE", (old[0],))
    purger = connect_isolated()
    purger.execute("SET lock_timeout = '200ms'")  # waiting for the lock would fail
    deleted = open_repository(EventRepository, purger).delete_older_than(CUTOFF)
    purger.commit()
    holder.rollback()
    assert deleted == 2
    assert open_repository(EventRepository, conn).find_by_id(old[0]) is not None


def test_delete_older_than_events_keeps_their_enforcements(conn: Conn) -> None:
    (old,) = old_events(conn, 1)
    enforcement = EnforcementFixture.unique(
        event=open_repository(EventRepository, conn).get_by_id(old)
    ).create(conn)
    assert open_repository(EventRepository, conn).delete_older_than(CUTOFF) == 1
    kept = open_repository(EnforcementRepository, conn).get_by_id(enforcement.id)
    assert kept.event is None
    assert (kept.rule_ref, kept.trigger_ref, kept.payload) == (
        enforcement.rule_ref,
        enforcement.trigger_ref,
        enforcement.payload,
    )


def test_delete_older_than_enforcements(conn: Conn) -> None:
    old = [EnforcementFixture.unique().create(conn).id for _ in range(2)]
    age(conn, "enforcement", old)
    newer = EnforcementFixture.unique().create(conn)
    assert open_repository(EnforcementRepository, conn).delete_older_than(CUTOFF, batch_size=1) == 2
    assert open_repository(EnforcementRepository, conn).find_by_id(newer.id) == newer


@pytest.mark.parametrize("batch_size", [0, -5])
def test_delete_older_than_refuses_an_empty_batch(conn: Conn, batch_size: int) -> None:
    with pytest.raises(ValidationError, match="batch_size"):
        open_repository(EventRepository, conn).delete_older_than(CUTOFF, batch_size=batch_size)


def test_delete_older_than_executions_removes_their_inquiries(conn: Conn) -> None:
    old = ExecutionFixture.unique().create(conn)
    inquiry = InquiryFixture.unique(old).create(conn)
    child = ExecutionFixture.unique(parent=old).create(conn)
    age(conn, "execution", [old.id])
    assert open_repository(ExecutionRepository, conn).delete_older_than(CUTOFF) == 1
    assert open_repository(InquiryRepository, conn).find_by_id(inquiry.id) is None
    kept = open_repository(ExecutionRepository, conn).get_by_id(child.id)
    assert (kept.parent, kept.action_ref) == (None, child.action_ref)


def test_delete_older_than_notifications(conn: Conn) -> None:
    old = [NotificationFixture.unique().create(conn).id for _ in range(3)]
    age(conn, "notification", old)
    newer = NotificationFixture.unique().create(conn)
    assert (
        open_repository(NotificationRepository, conn).delete_older_than(CUTOFF, batch_size=2) == 3
    )
    assert open_repository(NotificationRepository, conn).find_by_id(newer.id) == newer
