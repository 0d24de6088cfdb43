"""Database lends clean, healthy connections, takes its pool options as keywords, and
fails fast, saying why, when the server cannot be reached."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row

from attune_common import Database
from attune_common.db import database_url as resolve_url
from attune_common.errors import AlreadyExists, Unavailable, ValidationError
from attune_common.repositories import PackRepository, UpdatePackInput
from tests.builders import PackFixture

Conn = psycopg.Connection[Any]
Connect = Callable[..., Conn]


@pytest.fixture
def single(database_url: str) -> Iterator[Database]:
    """A pool of ONE connection: every block gets the connection the previous one had."""
    with Database(database_url, min_size=1, max_size=1) as db:
        yield db


def backend_pid(conn: Conn) -> int:
    row = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    return int(row[0])


def test_autocommit_set_by_a_borrower_is_off_for_the_next(
    single: Database, connect: Connect
) -> None:
    with single.connection() as conn:
        conn.autocommit = True
        first = backend_pid(conn)

    # The next borrower's block is one transaction again: a failure undoes its first row.
    with pytest.raises(AlreadyExists), single.connection() as conn:
        assert backend_pid(conn) == first
        assert conn.autocommit is False
        pack = PackFixture.unique().create(conn)
        PackFixture(name=pack.ref).create(conn)

    assert PackRepository(connect()).find_by_ref(pack.ref) is None


def test_settings_of_a_borrower_do_not_reach_the_next(single: Database) -> None:
    with single.connection() as conn:
        first = backend_pid(conn)
        conn.execute("SET statement_timeout = '7s'")
        conn.execute("SET attune.notify = 'off'")
        conn.execute("SELECT set_config('application_name', 'borrower-one', false)")

    with single.connection() as conn:
        assert backend_pid(conn) == first
        row = conn.execute(
            "SELECT current_setting('statement_timeout'),"
            " current_setting('attune.notify', true), current_setting('application_name')"
        ).fetchone()
    assert row is not None
    assert row[0] == "0"
    assert row[1] in (None, "")
    assert row[2] != "borrower-one"


def test_settings_are_reset_after_a_failed_block_too(single: Database) -> None:
    with pytest.raises(ZeroDivisionError), single.connection() as conn:
        conn.execute("SET statement_timeout = '9s'")
        conn.commit()
        conn.execute("SET work_mem = '7MB'")
        raise ZeroDivisionError

    with single.connection() as conn:
        row = conn.execute(
            "SELECT current_setting('statement_timeout'), current_setting('work_mem')"
        ).fetchone()
    assert row is not None
    assert row[0] == "0"
    assert row[1] != "7MB"


def test_isolation_read_only_and_deferrable_are_reset(single: Database) -> None:
    with single.connection() as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        conn.read_only = True
        conn.deferrable = True
        conn.execute("SELECT 1")

    with single.connection() as conn:
        assert (conn.isolation_level, conn.read_only, conn.deferrable) == (None, None, None)
        row = conn.execute(
            "SELECT current_setting('transaction_isolation'),"
            " current_setting('transaction_read_only')"
        ).fetchone()
    assert row == ("read committed", "off")


def test_listens_of_a_borrower_are_dropped(single: Database) -> None:
    with single.connection() as conn:
        conn.execute("LISTEN attune_test_leftover")

    with single.connection() as conn:
        row = conn.execute("SELECT count(*) FROM pg_listening_channels()").fetchone()
    assert row == (0,)


def test_a_block_that_committed_itself_is_reset(single: Database) -> None:
    with single.connection() as conn:
        conn.execute("SET lock_timeout = '3s'")
        conn.commit()

    with single.connection() as conn:
        assert conn.info.transaction_status == TransactionStatus.IDLE
        row = conn.execute("SELECT current_setting('lock_timeout')").fetchone()
    assert row == ("0",)


def test_idle_connections_terminated_by_the_server_are_never_lent(
    database_url: str, connect: Connect
) -> None:
    name = f"attune-pool-{time.monotonic_ns()}"
    with Database(
        database_url, min_size=3, max_size=3, connect_options={"application_name": name}
    ) as db:
        db.pool.wait(timeout=10)
        admin = connect(autocommit=True)
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            (name,),
        ).fetchone()
        assert killed == (3,)
        time.sleep(0.2)  # the server closes the sockets

        for _ in range(6):  # every call after the kill succeeds
            with db.connection() as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)


def test_pool_options_are_keywords_and_connection_options_travel_apart(
    database_url: str,
) -> None:
    with Database(
        database_url,
        min_size=0,
        max_size=2,
        max_idle=30,
        max_lifetime=60,
        reconnect_timeout=10,
        max_waiting=5,
        prepare_threshold=None,
        check=True,
        connect_options={"application_name": "attune-options"},
    ) as db:
        assert (db.pool.max_idle, db.pool.max_lifetime, db.pool.reconnect_timeout) == (30, 60, 10)
        with db.connection() as conn:
            assert conn.prepare_threshold is None
            row = conn.execute("SELECT current_setting('application_name')").fetchone()
    assert row == ("attune-options",)


def test_a_callable_check_runs_after_the_health_check(database_url: str) -> None:
    checked: list[int] = []
    with Database(
        database_url, max_size=1, check=lambda c: checked.append(c.info.backend_pid)
    ) as db:
        with db.connection():
            pass
        with db.connection():
            pass
    assert len(checked) == 2


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"max_size": 0}, "max_size"),
        ({"min_size": 5, "max_size": 2}, "min_size"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_bad_pool_options_are_validation_errors(
    database_url: str, sizes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Database(database_url, **sizes)


def test_a_missing_database_fails_fast_with_the_servers_reason(database_url: str) -> None:
    missing = make_conninfo(database_url, dbname=f"attune_missing_{time.monotonic_ns()}")
    with Database(missing, timeout=30, fail_fast=0.5) as db:
        started = time.monotonic()
        with pytest.raises(Unavailable, match="does not exist"), db.connection():
            pass
    assert time.monotonic() - started < 5


def test_a_refused_port_fails_fast_with_the_servers_reason() -> None:
    with Database("postgresql://postgres@127.0.0.1:1/attune", timeout=30, fail_fast=0.5) as db:
        started = time.monotonic()
        with pytest.raises(Unavailable, match=r"(?i)refused"), db.connection():
            pass
    assert time.monotonic() - started < 5


def test_an_exhausted_pool_waits_its_timeout_and_is_unavailable(database_url: str) -> None:
    with Database(database_url, max_size=1, timeout=0.8, fail_fast=0.3) as db, db.connection():
        started = time.monotonic()
        with pytest.raises(Unavailable, match="within"), db.connection():
            pass
        waited = time.monotonic() - started
    assert waited >= 0.7  # the probe connected: the server is fine, the pool is busy


def test_url_without_database_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGDATABASE", raising=False)
    with pytest.raises(ValidationError, match="names no database"):
        resolve_url("postgresql://postgres@127.0.0.1:5432")
    with pytest.raises(ValidationError, match="names no database"):
        Database("postgresql://")


def test_url_without_database_takes_pgdatabase(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    name = str(conninfo_to_dict(database_url)["dbname"])
    monkeypatch.setenv("PGDATABASE", name)
    parts = conninfo_to_dict(database_url)
    bare = make_conninfo(host=parts.get("host", ""), port=parts.get("port", ""), user="postgres")

    assert conninfo_to_dict(resolve_url(bare))["dbname"] == name
    with Database(bare, max_size=1) as db, db.connection() as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (name,)


def test_listen_connection_is_direct_autocommit_and_not_pooled(database_url: str) -> None:
    with Database(database_url, max_size=1, listen_url=database_url) as db:
        conn = db.listen_connection()
        try:
            assert conn.autocommit is True
            assert conn.info.dbname == str(conninfo_to_dict(database_url)["dbname"])
            assert db.pool.get_stats().get("pool_size", 0) <= 1
        finally:
            conn.close()


def last_query_of(admin: Conn, pid: int) -> str:
    time.sleep(0.05)  # pg_stat_activity is updated as the backend goes idle
    row = admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
    assert row is not None
    return str(row[0])


def test_a_block_that_changed_no_setting_ends_with_a_plain_commit(
    single: Database, connect: Connect
) -> None:
    admin = connect(autocommit=True)
    with single.connection() as conn:
        pid = backend_pid(conn)
        pack = PackFixture.unique().create(conn)
        PackRepository(conn).update(pack.id, UpdatePackInput(label="an UPDATE ... SET"))
    assert last_query_of(admin, pid) == "COMMIT"

    with single.connection() as conn:
        conn.execute("SET work_mem = '9MB'")
    assert last_query_of(admin, pid) == "COMMIT; RESET ALL; UNLISTEN *"

    with single.connection() as conn:  # the reset was needed once, not for good
        conn.execute("SELECT 1")
    assert last_query_of(admin, pid) == "COMMIT"


def test_row_and_cursor_factories_of_a_borrower_do_not_reach_the_next(single: Database) -> None:
    with single.connection() as conn:
        first = backend_pid(conn)
        conn.row_factory = dict_row
        conn.cursor_factory = psycopg.Cursor
        assert conn.execute("SELECT 1 AS one").fetchone() == {"one": 1}

    with single.connection() as conn:
        assert backend_pid(conn) == first
        assert conn.execute("SELECT 1 AS one").fetchone() == (1,)
        conn.execute("SET work_mem = '6MB'")  # still noted: the watched cursor is back
    with single.connection() as conn:
        assert conn.execute("SHOW work_mem").fetchone() != ("6MB",)
