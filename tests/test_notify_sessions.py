"""Who sends a notice, and when: sessions of `Database` keep their notices until the
block commits and send them right after (deferred mode); other sessions notify in the
writing transaction (immediate mode). `notifications_off` silences one transaction's
writes inside its block, and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from attune_common import Database
from attune_common.deferred_notices import DEFERRED_OPTION, deferred_connect_kwargs
from attune_common.notify import EVENT_CHANNEL, listen, notifications_off
from attune_common.repositories import EventRepository
from tests.builders import EventFixture
from tests.listening import WAIT, Conn, first_match, of_id, until_marker

PENDING = "SELECT coalesce(current_setting('attune.pending_notices', true), '')"
NOTIFY_SETTING = "SELECT coalesce(current_setting('attune.notify', true), '')"


@pytest.fixture
def listener(connect: Any) -> Conn:
    conn: Conn = connect(autocommit=True)
    return conn


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    with Database(database_url, min_size=1, max_size=1) as database:
        yield database


@pytest.fixture
def marker(connect: Any) -> Conn:
    """A session that sends the marker ending what a test waits for (`until_marker`)."""
    conn: Conn = connect()
    return conn


def seen_ids(notices: Iterator[Any], marker: Conn) -> set[int]:
    """The ids of the inserts notified before a marker sent now."""
    received = until_marker(notices, marker, EVENT_CHANNEL)
    return {n.payload.get("id") for n in received if n.payload.get("op") == "insert"}


def test_database_sessions_start_in_deferred_mode(db: Database) -> None:
    with db.connection() as conn:
        assert conn.execute("SHOW attune.notify_mode").fetchone() == ("deferred",)


def test_deferred_option_keeps_the_options_given() -> None:
    kwargs = deferred_connect_kwargs("postgresql:///x", {"options": "-c work_mem=8MB"})
    assert kwargs["options"] == f"-c work_mem=8MB {DEFERRED_OPTION}"
    from_url = deferred_connect_kwargs("postgresql:///x?options=-cwork_mem%3D8MB", {})
    assert from_url["options"] == f"-cwork_mem=8MB {DEFERRED_OPTION}"


def test_a_database_can_choose_the_immediate_mode(database_url: str) -> None:
    for options in ("-c attune.notify_mode=immediate", ""):
        with (
            Database(database_url, max_size=1, connect_options={"options": options}) as database,
            database.connection() as conn,
        ):
            mode = conn.execute("SELECT current_setting('attune.notify_mode', true)")
            assert mode.fetchone() in (("immediate",), (None,))


def test_a_database_block_notifies_after_it_commits(db: Database, listener: Conn) -> None:
    notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
    with db.connection() as conn:
        event = EventFixture.unique().create(conn)
        assert conn.execute(PENDING).fetchone() != ("",)  # kept, not sent yet
    notice = first_match(notices, of_id("event", event.id, "insert"))
    assert notice is not None
    assert notice.payload["trigger_ref"] == event.trigger_ref


def test_a_database_block_that_fails_notifies_nothing(
    db: Database, listener: Conn, marker: Conn
) -> None:
    notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
    with pytest.raises(RuntimeError), db.connection() as conn:
        event = EventFixture.unique().create(conn)
        raise RuntimeError("abandon the block")
    assert event.id not in seen_ids(notices, marker)


def test_a_block_that_committed_itself_then_failed_notifies_what_it_committed(
    db: Database, listener: Conn, marker: Conn
) -> None:
    notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
    with pytest.raises(RuntimeError), db.connection() as conn:
        committed = EventFixture.unique().create(conn)
        conn.commit()
        rolled_back = EventFixture.unique().create(conn)
        raise RuntimeError("abandon the block")
    seen = seen_ids(notices, marker)
    assert committed.id in seen
    assert rolled_back.id not in seen


def test_a_database_block_leaves_nothing_pending(db: Database) -> None:
    with db.connection() as conn:
        EventFixture.unique().create(conn)
    with db.connection() as conn:  # the same connection: the pool holds one
        assert conn.execute(PENDING).fetchone() == ("",)


def test_an_autocommit_database_block_notifies_when_it_ends(db: Database, listener: Conn) -> None:
    notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
    with db.connection() as conn:
        conn.autocommit = True
        event = EventFixture.unique().create(conn)
        conn.autocommit = False
    assert first_match(notices, of_id("event", event.id, "insert")) is not None


def test_a_plain_session_notifies_in_its_own_commit(conn: Conn, listener: Conn) -> None:
    assert conn.execute("SELECT current_setting('attune.notify_mode', true)").fetchone() in (
        (None,),
        ("",),
    )
    notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
    event = EventFixture.unique().create(conn)
    assert conn.execute(PENDING).fetchone() == ("",)  # nothing kept: sent at commit
    conn.commit()
    assert first_match(notices, of_id("event", event.id, "insert")) is not None


def test_notifications_off_silences_only_the_block(
    conn: Conn, listener: Conn, marker: Conn
) -> None:
    notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
    with notifications_off(conn):
        quiet = EventFixture.unique().create(conn)
    heard_same_transaction = EventFixture.unique().create(conn)
    conn.commit()
    heard_next_transaction = EventFixture.unique().create(conn)
    conn.commit()
    seen = seen_ids(notices, marker)
    assert quiet.id not in seen
    assert {heard_same_transaction.id, heard_next_transaction.id} <= seen


def test_notifications_off_leaves_nothing_behind(conn: Conn) -> None:
    with notifications_off(conn):
        assert conn.execute(NOTIFY_SETTING).fetchone() == ("off",)
    assert conn.execute(NOTIFY_SETTING).fetchone() == ("",)
    with notifications_off(conn):
        pass
    conn.commit()
    assert conn.execute(NOTIFY_SETTING).fetchone() == ("",)


def test_notifications_off_on_an_autocommit_connection(
    connect: Any, listener: Conn, marker: Conn
) -> None:
    writer: Conn = connect(autocommit=True)
    notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
    with notifications_off(writer):
        first, second = EventFixture.unique().create(writer), EventFixture.unique().create(writer)
    heard = EventFixture.unique().create(writer)
    seen = seen_ids(notices, marker)
    assert not {first.id, second.id} & seen
    assert heard.id in seen
    assert writer.execute(NOTIFY_SETTING).fetchone() == ("",)


def test_notifications_off_block_that_raises_is_rolled_back_on_autocommit(
    connect: Any,
) -> None:
    writer: Conn = connect(autocommit=True)
    with pytest.raises(RuntimeError), notifications_off(writer):
        event = EventFixture.unique().create(writer)
        raise RuntimeError("abandon the block")
    assert EventRepository(writer).find_by_id(event.id) is None
    assert writer.execute(NOTIFY_SETTING).fetchone() == ("",)


def test_notifications_off_in_a_database_block(db: Database, listener: Conn, marker: Conn) -> None:
    notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
    with db.connection() as conn, notifications_off(conn):
        quiet = EventFixture.unique().create(conn)
    with db.connection() as conn:
        heard = EventFixture.unique().create(conn)
    seen = seen_ids(notices, marker)
    assert quiet.id not in seen
    assert heard.id in seen


def test_blocks_that_write_or_not_in_turn_notify_their_writes(
    db: Database, listener: Conn, marker: Conn
) -> None:
    notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
    written = []
    for _ in range(2):
        with db.connection() as conn:
            written.append(EventFixture.unique().create(conn))
        with db.connection() as conn:  # reads only: ends with a plain COMMIT
            EventRepository(conn).get_by_id(written[-1].id)
    with pytest.raises(RuntimeError), db.connection() as conn:
        rolled_back = EventFixture.unique().create(conn)
        raise RuntimeError("abandon the block")
    with db.connection() as conn:
        written.append(EventFixture.unique().create(conn))
    seen = seen_ids(notices, marker)
    assert {event.id for event in written} <= seen
    assert rolled_back.id not in seen


def test_a_session_that_hides_notices_from_itself_notifies_at_commit(
    db: Database, listener: Conn
) -> None:
    notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
    with db.connection() as conn:
        conn.execute("SET LOCAL client_min_messages = warning")
        event = EventFixture.unique().create(conn)
        assert conn.execute(PENDING).fetchone() == ("",)  # sent in the transaction
    assert first_match(notices, of_id("event", event.id, "insert")) is not None


def test_a_block_that_changed_its_session_flushes_before_the_reset(
    db: Database, listener: Conn
) -> None:
    """The block's end sends COMMIT, the flush, then the reset (which would drop the
    kept notices if it came first), in one message."""
    notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
    with db.connection() as conn:
        conn.execute("SET work_mem = '5MB'")
        event = EventFixture.unique().create(conn)
    assert first_match(notices, of_id("event", event.id, "insert")) is not None
    with db.connection() as conn:
        assert conn.execute(PENDING).fetchone() == ("",)
        row = conn.execute(
            "SELECT setting = reset_val FROM pg_settings WHERE name = 'synchronous_commit'"
        ).fetchone()
        assert row == (True,)  # the flush's own `off` did not outlive it
        assert conn.execute("SHOW work_mem").fetchone() != ("5MB",)
