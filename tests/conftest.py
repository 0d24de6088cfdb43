"""The test run's database and the connections tests use.

The controlling process creates and migrates one database (see `harness.py`) and
hands its URL to every xdist worker; with `-n 0` the single process does both.
Tests never empty a table: they tell their rows apart by the unique refs the
builders of `builders.py` make.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from tests.apis import ASYNC, SYNC, Api
from tests.harness import (
    TestDatabase,
    Unavailable,
    create_isolated_database,
    create_test_database,
)

_URL = pytest.StashKey[str]()
_DATABASE = pytest.StashKey[TestDatabase]()
_WORKER_KEY = "attune_test_url"


def pytest_configure(config: pytest.Config) -> None:
    worker_input = getattr(config, "workerinput", None)
    if worker_input is not None:  # an xdist worker: the controller made the database
        config.stash[_URL] = worker_input[_WORKER_KEY]
        return
    try:
        database = create_test_database()
    except Unavailable as exc:
        pytest.exit(str(exc), returncode=3)
    config.stash[_DATABASE] = database
    config.stash[_URL] = database.url


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist hook, on the controller: tell each worker which database to use."""
    node.workerinput[_WORKER_KEY] = node.config.stash[_URL]


def pytest_unconfigure(config: pytest.Config) -> None:
    database = config.stash.get(_DATABASE, None)
    if database is not None:
        database.drop()


def pytest_report_header(config: pytest.Config) -> str:
    database = config.stash.get(_DATABASE, None)
    return f"attune test database: {database.describe() if database else '?'}"


@pytest.fixture(scope="session")
def database_url(pytestconfig: pytest.Config) -> str:
    """The URL of this run's test database (shared by every worker)."""
    return pytestconfig.stash[_URL]


@pytest.fixture
def connect(database_url: str) -> Iterator[Callable[..., psycopg.Connection[Any]]]:
    """Open extra connections to the test database; all are closed after the test."""
    opened: list[psycopg.Connection[Any]] = []

    def open_connection(**kwargs: Any) -> psycopg.Connection[Any]:
        conn = psycopg.connect(database_url, **kwargs)
        opened.append(conn)
        return conn

    yield open_connection
    for conn in opened:
        conn.close()


@pytest.fixture
def conn(connect: Callable[..., psycopg.Connection[Any]]) -> psycopg.Connection[Any]:
    """A connection in a transaction that is rolled back after the test (closing an
    uncommitted connection rolls back). Tests that need other sessions to see their
    rows commit explicitly."""
    return connect()


@pytest.fixture
def snapshot(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """`conn` reading one snapshot for the whole test (REPEATABLE READ, set before its
    transaction starts), so that whole-table reads agree with each other while other
    sessions commit. It is the same connection as `conn`."""
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    return conn


@pytest.fixture
def isolated_database_url(database_url: str) -> Iterator[str]:
    """A database of this test's own, migrated, dropped after it. Only for operations
    that act on a whole table whatever the rows (claims without a filter): everything
    else shares the run's database and tells its rows apart by unique refs."""
    url, janitor = create_isolated_database(database_url)
    try:
        yield url
    finally:
        janitor.drop()


@pytest.fixture(params=[SYNC, ASYNC])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """Run the test once for the sync repositories and once for the asyncio ones: the
    test opens them with `tests.apis.open_repository(XRepository, conn)`."""
    chosen = Api.current = Api(request.param)
    try:
        yield chosen
    finally:
        Api.current = None
        chosen.close()
