"""One source of tests for both APIs: the sync repositories and their asyncio twins.

A test module that runs for both says `pytestmark = pytest.mark.usefixtures("api")`
and opens its repositories with `open_repository(EventRepository, conn)`: under the
`sync` parameter that is `EventRepository(conn)`; under `async` it is
`AsyncEventRepository` on an `AsyncConnection` that shares `conn`'s server session
(so its transaction, and the rows builders made in it), each coroutine run to its end
on the test's own event loop. The async code runs for real, on the real server; only
the test reads it as if it were sync.

The asyncio-native tests (`tests/asyncio/`) use real `AsyncConnection`s and tasks.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg

import attune_common.repositories as repositories

T = TypeVar("T")

SYNC, ASYNC = "sync", "async"


class Twin(psycopg.AsyncConnection[Any]):
    """An AsyncConnection on the libpq connection of a sync one: the same session, so
    the same transaction. It never owns the session: the sync connection closes it."""

    @classmethod
    def of(cls, conn: psycopg.Connection[Any]) -> Twin:
        twin = cls(conn.pgconn)
        twin.prepare_threshold = None  # prepared statement names are counted per object
        twin._adapters = conn.adapters
        return twin

    def follow(self, conn: psycopg.Connection[Any]) -> None:
        """Take `conn`'s settings for the transactions it begins (set while it was idle,
        maybe before this twin existed)."""
        self._autocommit = conn.autocommit
        self._isolation_level = conn.isolation_level
        self._read_only = conn.read_only
        self._deferrable = conn.deferrable
        self._begin_statement = b""

    def __del__(self, *args: Any) -> None:
        pass  # the sync connection is the one that must be closed


class Blocking:
    """An async repository read as a sync one: each coroutine method runs to its end."""

    def __init__(self, repository: Any, twin: Twin, conn: psycopg.Connection[Any], run: Any):
        self._repository, self._twin, self._conn, self._run = repository, twin, conn, run

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._repository, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._twin.follow(self._conn)
            return self._run(attribute(*args, **kwargs))

        return call


class Api:
    """The API a test runs against, and for `async` its event loop and twins."""

    current: Api | None = None

    def __init__(self, name: str) -> None:
        self.name = name
        self._runner = asyncio.Runner() if name == ASYNC else None
        self._twins: dict[int, Twin] = {}

    def repository(self, cls: Callable[[psycopg.Connection[Any]], T], conn: Any) -> T:
        if self._runner is None:
            return cls(conn)
        twin = self._twins.get(id(conn))
        if twin is None or twin.pgconn is not conn.pgconn:
            twin = self._twins[id(conn)] = Twin.of(conn)
        twin.follow(conn)
        twin_class = getattr(repositories, f"Async{getattr(cls, '__name__', '')}")
        return Blocking(twin_class(twin), twin, conn, self._runner.run)  # type: ignore[return-value]

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()


def open_repository(cls: Callable[[psycopg.Connection[Any]], T], conn: Any) -> T:
    """`cls(conn)` under the API of the running test (sync when it names none)."""
    api = Api.current
    return cls(conn) if api is None else api.repository(cls, conn)
