"""Faults get typed errors that say whether trying again can help, and `db.run` tries
again exactly when it can."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any

import psycopg
import pytest

from attune_common import Database
from attune_common.errors import (
    AlreadyExists,
    CommitUnknown,
    ConnectionLost,
    DeadlockDetected,
    LockTimeout,
    SerializationFailure,
    StatementTimeout,
    TransientError,
    ValidationError,
)
from attune_common.repositories import PackRepository, UpdatePackInput
from tests.builders import PackFixture

Conn = psycopg.Connection[Any]
Connect = Callable[..., Conn]


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    with Database(database_url, min_size=0, max_size=4) as database:
        yield database


def committed_pack(connect: Connect) -> Any:
    conn = connect()
    pack = PackFixture.unique().create(conn)
    conn.commit()
    return pack


def test_lock_timeout_is_transient_and_run_retries_until_the_lock_is_free(
    db: Database, connect: Connect
) -> None:
    pack = committed_pack(connect)
    holder = connect()
    holder.execute("SELECT 1 FROM attune.pack WHERE id = %s FOR UPDATE", (pack.id,))
    calls = 0

    def relabel(conn: Conn) -> str:
        nonlocal calls
        calls += 1
        if calls == 2:
            holder.rollback()  # the lock is free from the second try on
        conn.execute("SET LOCAL lock_timeout = '100ms'")
        return PackRepository(conn).update(pack.id, UpdatePackInput(label="relabelled")).label

    with pytest.raises(LockTimeout) as raised, db.connection() as conn:
        conn.execute("SET LOCAL lock_timeout = '50ms'")
        PackRepository(conn).update(pack.id, UpdatePackInput(label="never"))
    assert isinstance(raised.value, TransientError)
    assert raised.value.sqlstate == "55P03"

    assert db.run(relabel) == "relabelled"
    assert calls == 2


def test_deadlock_is_detected_and_the_loser_succeeds_under_run(
    db: Database, connect: Connect
) -> None:
    first, second = committed_pack(connect), committed_pack(connect)
    both_locked = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []
    attempts = {"a": 0, "b": 0}

    def locker(name: str, one: int, other: int) -> Callable[[Conn], None]:
        def locks(conn: Conn) -> None:
            attempts[name] += 1
            conn.execute("SET LOCAL deadlock_timeout = '50ms'")
            conn.execute("SELECT 1 FROM attune.pack WHERE id = %s FOR UPDATE", (one,))
            if attempts[name] == 1:
                both_locked.wait()
            conn.execute("SELECT 1 FROM attune.pack WHERE id = %s FOR UPDATE", (other,))

        return locks

    def run(name: str, one: int, other: int) -> None:
        try:
            db.run(locker(name, one, other), retries=3)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=("a", first.id, second.id)),
        threading.Thread(target=run, args=("b", second.id, first.id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert errors == []
    assert sorted(attempts.values()) == [1, 2]  # one lost the deadlock and tried again


def test_deadlock_without_run_is_deadlock_detected(db: Database, connect: Connect) -> None:
    first, second = committed_pack(connect), committed_pack(connect)
    other = connect()
    other.execute("SELECT 1 FROM attune.pack WHERE id = %s FOR UPDATE", (second.id,))
    blocked = threading.Event()

    def other_side() -> None:
        blocked.wait(10)
        with suppress(psycopg.Error):
            other.execute("SELECT 1 FROM attune.pack WHERE id = %s FOR UPDATE", (first.id,))
        other.rollback()

    thread = threading.Thread(target=other_side)
    thread.start()
    with pytest.raises(DeadlockDetected) as raised, db.connection() as conn:
        conn.execute("SET LOCAL deadlock_timeout = '2s'")  # the other side detects it first?
        conn.execute("SELECT 1 FROM attune.pack WHERE id = %s FOR UPDATE", (first.id,))
        blocked.set()
        conn.execute("SELECT pg_sleep(0.2)")
        conn.execute("SET LOCAL deadlock_timeout = '10ms'")
        conn.execute("SELECT 1 FROM attune.pack WHERE id = %s FOR UPDATE", (second.id,))
    thread.join(timeout=10)
    assert raised.value.sqlstate == "40P01"


def test_serialization_failure_is_transient_and_run_retries_it(
    db: Database, connect: Connect
) -> None:
    pack = committed_pack(connect)
    calls = 0

    def bump(conn: Conn) -> str:
        nonlocal calls
        calls += 1
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        repo = PackRepository(conn)
        repo.get_by_id(pack.id)  # the snapshot is taken here
        if calls == 1:  # someone else changes the row meanwhile
            with connect() as other:
                PackRepository(other).update(pack.id, UpdatePackInput(label="other"))
        return repo.update(pack.id, UpdatePackInput(label=f"mine-{calls}")).label

    assert db.run(bump) == "mine-2"
    assert calls == 2

    def once(conn: Conn) -> None:
        bump(conn)

    calls = 0
    with pytest.raises(SerializationFailure):
        db.run(once, retries=0)


def test_statement_timeout_is_its_own_error_and_not_retried(db: Database) -> None:
    calls = 0

    def slow(conn: Conn) -> None:
        nonlocal calls
        calls += 1
        conn.execute("SET LOCAL statement_timeout = '50ms'")
        conn.execute("SELECT pg_sleep(1)")

    with pytest.raises(StatementTimeout) as raised:
        db.run(slow)
    assert raised.value.sqlstate == "57014"
    assert not isinstance(raised.value, TransientError)
    assert calls == 1


def test_run_never_retries_other_errors(db: Database, connect: Connect) -> None:
    pack = committed_pack(connect)
    calls = 0

    def duplicate(conn: Conn) -> None:
        nonlocal calls
        calls += 1
        PackFixture(name=pack.ref).create(conn)

    with pytest.raises(AlreadyExists):
        db.run(duplicate)
    assert calls == 1


def test_run_gives_up_after_its_retries(db: Database) -> None:
    calls = 0

    def always_transient(conn: Conn) -> None:
        nonlocal calls
        calls += 1
        conn.execute("SELECT 1")
        raise ConnectionLost("simulated")

    with pytest.raises(ConnectionLost):
        db.run(always_transient, retries=2)
    assert calls == 3
    with pytest.raises(ValidationError):
        db.run(always_transient, retries=-1)


def test_connection_lost_during_commit_is_commit_unknown_and_not_retried(
    db: Database,
) -> None:
    calls = 0

    def dies_at_commit(conn: Conn) -> None:
        # A deferred constraint trigger runs at COMMIT; this one ends its own session.
        nonlocal calls
        calls += 1
        conn.execute("CREATE TEMP TABLE doomed (id int)")
        conn.execute(
            "CREATE FUNCTION pg_temp.die() RETURNS trigger LANGUAGE plpgsql AS"
            " $$BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END$$"
        )
        conn.execute(
            "CREATE CONSTRAINT TRIGGER die AFTER INSERT ON doomed DEFERRABLE INITIALLY DEFERRED"
            " FOR EACH ROW EXECUTE FUNCTION pg_temp.die()"
        )
        conn.execute("INSERT INTO doomed VALUES (1)")

    with pytest.raises(CommitUnknown) as raised:
        db.run(dies_at_commit, retries=3)
    assert calls == 1
    assert not isinstance(raised.value, TransientError)
    with db.connection() as conn:  # the pool replaced the dead connection
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_an_active_connection_terminated_is_connection_lost(db: Database, connect: Connect) -> None:
    admin = connect(autocommit=True)
    started = threading.Event()
    pid: list[int] = []

    def kill_when_running() -> None:
        started.wait(10)
        admin.execute("SELECT pg_sleep(0.2)")
        admin.execute("SELECT pg_terminate_backend(%s)", (pid[0],))

    killer = threading.Thread(target=kill_when_running)
    killer.start()
    with pytest.raises(ConnectionLost), db.connection() as conn:
        pid.append(conn.info.backend_pid)
        started.set()
        conn.execute("SELECT pg_sleep(5)")
    killer.join(timeout=10)
    with db.connection() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
