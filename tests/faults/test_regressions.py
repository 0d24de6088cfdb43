"""Issue 8's "Broke" items at the database and pool layer, each as it was found.

Pooled connections carried a borrower's settings to the next (item 1); pool options
could not be set, and an unreachable database cost the whole timeout and hid why
(items 2 and 3); untyped errors escaped (item 7); `migrate()` and `Database` disagreed
about a URL without a database name (item 9).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from attune_common import Database, migrate
from attune_common.db import URL_VARIABLE
from attune_common.errors import Unavailable, ValidationError
from attune_common.repositories import EventRepository, PackRepository
from tests.builders import EventFixture, PackFixture, unique_name
from tests.faults.server import PrivateServer

pytestmark = pytest.mark.faults

Conn = psycopg.Connection[Any]
Connect = Callable[..., Conn]


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """One connection: whatever a block leaves on it, the next block gets it."""
    with Database(database_url, min_size=1, max_size=1) as database:
        yield database


def settings(db: Database, *names: str) -> list[str | None]:
    """What the next borrower sees of these settings."""
    with db.connection() as conn:
        rows = conn.execute(
            "SELECT current_setting(name, true) FROM unnest(%s::text[]) WITH ORDINALITY"
            " AS s(name, n) ORDER BY n",
            (list(names),),
        ).fetchall()
    return [value for (value,) in rows]


# -- item 1: pooled connections come back clean -----------------------------------------


def test_autocommit_left_by_a_borrower_does_not_break_the_next_rollback(
    db: Database, connect: Connect
) -> None:
    with db.connection() as conn:
        conn.autocommit = True  # as the README once advised for retention
    made = []

    with pytest.raises(ValidationError), db.connection() as conn:
        made.append(PackFixture.unique().create(conn))
        PackFixture.unique().with_version("not semver").create(conn)

    assert PackRepository(connect()).find_by_id(made[0].id) is None


def test_set_by_a_borrower_is_reset_for_the_next(db: Database) -> None:
    with db.connection() as conn:
        conn.execute("SET attune.notify = 'off'")
        conn.execute("SET statement_timeout = '1ms'")
        conn.execute("SET application_name = 'leaked'")

    notify, timeout, application = settings(
        db, "attune.notify", "statement_timeout", "application_name"
    )

    assert notify != "off"
    assert timeout == "0"
    assert application != "leaked"


def test_set_on_an_autocommit_borrower_is_reset_for_the_next(db: Database) -> None:
    with db.connection() as conn:
        conn.autocommit = True
        conn.execute("SET attune.notify = 'off'")

    assert settings(db, "attune.notify") != ["off"]


def test_isolation_and_read_only_of_a_borrower_are_reset_for_the_next(
    db: Database, connect: Connect
) -> None:
    with db.connection() as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        conn.read_only = True
        conn.deferrable = True

    assert settings(db, "transaction_isolation", "transaction_read_only") == [
        "read committed",
        "off",
    ]
    with db.connection() as conn:  # writes again
        event = EventFixture.unique().create(conn)
    assert EventRepository(connect()).find_by_id(event.id) == event


def test_listen_of_a_borrower_is_undone_for_the_next(db: Database) -> None:
    channel = unique_name("faults_")
    with db.connection() as conn:
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

    with db.connection() as conn:
        listening = conn.execute("SELECT pg_listening_channels()").fetchall()

    assert (channel,) not in listening


# -- item 7: typed errors ---------------------------------------------------------------


@pytest.mark.parametrize("sizes", [{"max_size": 0}, {"min_size": 2, "max_size": 1}])
def test_database_with_impossible_pool_size_raises_validation_error(
    database_url: str, sizes: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError, match="max_size"):
        Database(database_url, **sizes)


def test_lone_surrogate_in_text_raises_validation_error(conn: Conn) -> None:
    with pytest.raises(ValidationError), conn.transaction():
        PackFixture.unique().with_label("half a pair: \ud800").create(conn)


def test_lone_surrogate_in_json_raises_validation_error(conn: Conn) -> None:
    with pytest.raises(ValidationError), conn.transaction():
        EventFixture.unique().with_payload({"text": "half a pair: \udc00"}).create(conn)


@pytest.mark.parametrize("cursor", [12345, b"MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHwx", 1.5])
def test_list_page_with_cursor_that_is_not_text_raises_type_error(conn: Conn, cursor: Any) -> None:
    with pytest.raises(TypeError, match="page cursor"):
        EventRepository(conn).list_page(after=cursor)


# -- item 9: one resolution of the database URL -----------------------------------------


@pytest.fixture
def bare_url_environment(
    monkeypatch: pytest.MonkeyPatch, private_server: PrivateServer
) -> Iterator[str]:
    """`ATTUNE_DATABASE_URL=postgresql://` with libpq's variables naming the private
    server (where a migration landing in the wrong database harms nobody), and an
    empty database there; yields its name. PGDATABASE is left to the test."""
    name = unique_name("bare_")
    admin = psycopg.connect(private_server.url, autocommit=True)
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    monkeypatch.setenv(URL_VARIABLE, "postgresql://")
    monkeypatch.setenv("PGHOST", "127.0.0.1")
    monkeypatch.setenv("PGPORT", str(private_server.port))
    monkeypatch.setenv("PGUSER", "postgres")
    monkeypatch.delenv("PGDATABASE", raising=False)
    yield name
    with psycopg.connect(private_server.url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def has_schema(private_server: PrivateServer, dbname: str) -> bool:
    url = make_conninfo(private_server.url, dbname=dbname)
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT to_regnamespace('attune') IS NOT NULL").fetchone()
    return row == (True,)


def test_migrate_url_without_database_uses_pgdatabase(
    monkeypatch: pytest.MonkeyPatch, bare_url_environment: str, private_server: PrivateServer
) -> None:
    monkeypatch.setenv("PGDATABASE", bare_url_environment)

    applied = migrate()

    assert len(applied) >= 6
    assert has_schema(private_server, bare_url_environment)
    with Database(min_size=0) as db, db.connection() as conn:  # the same database
        assert conn.execute("SELECT current_database()").fetchone() == (bare_url_environment,)


def test_migrate_url_without_database_or_pgdatabase_is_refused(
    bare_url_environment: str, private_server: PrivateServer
) -> None:
    with pytest.raises(ValidationError, match="names no database"):
        migrate()
    with pytest.raises(ValidationError, match="names no database"):
        Database(min_size=0)

    assert not has_schema(private_server, "postgres")
    assert not has_schema(private_server, bare_url_environment)


# -- items 2 and 3: pool options, and failing fast with the server's reason ------------


def test_pool_options_are_keywords_and_a_check_callable_runs_on_borrow(database_url: str) -> None:
    checked: list[Conn] = []
    with (
        Database(
            database_url,
            min_size=1,
            max_size=1,
            max_idle=60,
            max_lifetime=120,
            reconnect_timeout=30,
            check=checked.append,
            connect_options={"application_name": "attune-faults-options"},
        ) as db,
        db.connection() as conn,
    ):
        name = conn.execute("SHOW application_name").fetchone()

    assert name == ("attune-faults-options",)
    assert checked == [conn]


@pytest.mark.parametrize(
    ("where", "reason"),
    [("missing database", "does not exist"), ("refused port", "refused")],
)
def test_unreachable_database_raises_unavailable_with_libpq_reason_before_timeout(
    database_url: str, where: str, reason: str
) -> None:
    url = (
        make_conninfo(database_url, dbname=unique_name("missing_"))
        if where == "missing database"
        else make_conninfo(database_url, host="127.0.0.1", port=1)
    )
    with Database(url, min_size=0, timeout=30, fail_fast=1) as db:
        started = time.monotonic()
        with pytest.raises(Unavailable, match=reason), db.connection():
            pass

    assert time.monotonic() - started < 10  # not the 30 s timeout
