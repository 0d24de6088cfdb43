"""attune_common.Database: where its URL comes from, the transaction each pooled
connection is lent for, and the AttuneError raised when no connection can be had."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg_pool import PoolClosed, PoolTimeout

from attune_common import Database, database_url
from attune_common.db import DEFAULT_URL, URL_VARIABLE
from attune_common.errors import AlreadyExists, AttuneError
from attune_common.repositories import PackRepository
from tests.builders import PackFixture

Conn = psycopg.Connection[Any]
Connect = Callable[..., Conn]

CLOSED_PORT_URL = "postgresql://postgres:s3cret-pw@127.0.0.1:1/attune"


class Boom(Exception):
    """An error of the caller's own, raised inside a `connection()` block."""


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    with Database(database_url, max_size=2) as database:
        yield database


def assert_connects_to(db: Database, url: str) -> None:
    with db.connection() as conn:
        row = conn.execute("SELECT current_database()").fetchone()
    assert row == (conninfo_to_dict(url)["dbname"],)


def test_init_url_argument_wins_over_environment(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv(URL_VARIABLE, CLOSED_PORT_URL)

    with Database(database_url) as db:
        assert db.url == database_url
        assert_connects_to(db, database_url)


def test_init_without_url_reads_environment(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv(URL_VARIABLE, database_url)

    with Database() as db:
        assert db.url == database_url
        assert_connects_to(db, database_url)


def test_init_without_url_or_environment_uses_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(URL_VARIABLE, raising=False)

    with Database(min_size=0) as db:  # min_size=0: the default database need not exist
        assert db.url == database_url() == DEFAULT_URL
    assert DEFAULT_URL == "postgresql://postgres@127.0.0.1:5432/attune"


def test_connection_commits_on_success(db: Database, connect: Connect) -> None:
    with db.connection() as conn:
        pack = PackFixture.unique().create(conn)

    assert PackRepository(connect()).get_by_id(pack.id) == pack


def test_connection_rolls_back_on_exception_and_reraises_it(db: Database, connect: Connect) -> None:
    boom = Boom("the caller failed")

    with pytest.raises(Boom) as raised, db.connection() as conn:
        pack = PackFixture.unique().create(conn)
        raise boom

    assert raised.value is boom
    assert PackRepository(connect()).find_by_ref(pack.ref) is None
    with db.connection() as reused:
        assert reused.info.transaction_status == TransactionStatus.IDLE


def test_connection_rolls_back_on_attune_error(db: Database, connect: Connect) -> None:
    with pytest.raises(AlreadyExists), db.connection() as conn:
        pack = PackFixture.unique().create(conn)
        PackFixture(name=pack.ref).create(conn)

    assert PackRepository(connect()).find_by_ref(pack.ref) is None


def test_connection_after_swallowed_failure_does_not_report_success(
    db: Database, connect: Connect
) -> None:
    # The block ends normally, but its transaction failed: COMMIT can only roll back.
    # Returning as if committed would silently lose `pack`; the caller must hear of it.
    with pytest.raises(AttuneError), db.connection() as conn:
        pack = PackFixture.unique().create(conn)
        with suppress(AlreadyExists):
            PackFixture(name=pack.ref).create(conn)

    assert PackRepository(connect()).find_by_ref(pack.ref) is None


def test_context_manager_closes_pool(database_url: str) -> None:
    with Database(database_url) as db:
        assert_connects_to(db, database_url)

    assert db.pool.closed


def test_connection_after_close_raises_attune_error(database_url: str) -> None:
    db = Database(database_url)
    db.close()

    with pytest.raises(AttuneError) as raised, db.connection():
        pass

    assert isinstance(raised.value.__cause__, PoolClosed)


def test_connection_to_closed_port_raises_attune_error() -> None:
    with Database(CLOSED_PORT_URL, timeout=1) as db:
        started = time.monotonic()
        with pytest.raises(AttuneError) as raised, db.connection():
            pass

    assert time.monotonic() - started < 5
    assert isinstance(raised.value.__cause__, PoolTimeout)
    assert "127.0.0.1:1" in str(raised.value)
    assert "s3cret-pw" not in str(raised.value)


@pytest.mark.parametrize("url", ["postgresql://[bad", "postgresql://h/db?bogus=1", "no equals"])
def test_init_malformed_url_raises_attune_error_at_once(url: str) -> None:
    started = time.monotonic()

    # Refused when the Database is made, not after waiting for a pool that cannot connect.
    refused = pytest.raises(AttuneError, match="invalid database URL")
    with refused, Database(url, timeout=1) as db, db.connection():
        pass

    assert time.monotonic() - started < 0.5
