"""The connection pool services share (asyncio here; db.py is its generated sync twin).

How its connections are kept healthy and clean: see `attune_common.pooling`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from types import TracebackType
from typing import Any, TypeVar, Unpack

import psycopg
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool, PoolClosed, PoolTimeout

from .errors import (
    AttuneError,
    CommitUnknown,
    TransientError,
    Unavailable,
    ValidationError,
    connection_broken,
    translate,
)
from .pooling import (
    COMMIT,
    DEFAULT_URL,
    ROLLBACK,
    URL_VARIABLE,
    PoolOptions,
    PoolSettings,
    backoff,
    block_ended,
    block_ending,
    connection_alive,
    database_url,
    describe,
    note_statement,
    remember_factories,
    restore_factories,
    watch_session,
)

__all__ = [
    "DEFAULT_URL",
    "URL_VARIABLE",
    "AsyncDatabase",
    "PoolOptions",
    "database_url",
    "describe",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
AsyncConn = psycopg.AsyncConnection[Any]


class AsyncDatabase:
    """A psycopg-pool pool of connections to one Attune database; options: `PoolOptions`.

    `async with db.connection() as conn:` lends a connection for one transaction (commit
    at the end, rollback on error); `await db.run(fn)` also retries transient failures.
    """

    def __init__(self, url: str | None = None, **options: Unpack[PoolOptions]) -> None:
        self._settings = settings = PoolSettings.of(url, options)
        self.url = settings.url
        self.listen_url = settings.listen_url
        self.timeout = settings.timeout
        self._closed = False
        opened = False  # sync: opened = True
        self._pool: AsyncConnectionPool[AsyncConn] = AsyncConnectionPool(
            settings.url, open=opened, configure=_configure, **settings.pool_arguments
        )

    @property
    def pool(self) -> AsyncConnectionPool[AsyncConn]:
        return self._pool

    # -- lending connections ----------------------------------------------------------

    async def _borrow(self, timeout: float | None) -> AsyncConn:
        if self._pool.closed and not self._closed:
            await self.open()  # on first use
        waited = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + waited
        first_wait = min(waited, self._settings.fail_fast)
        try:
            try:
                return await self._getconn(first_wait)
            except PoolTimeout:
                if first_wait >= waited:
                    raise
                await self._probe()  # raises Unavailable when the server refuses us
                return await self._getconn(deadline - time.monotonic())
        except PoolTimeout as exc:
            raise Unavailable(
                f"no connection to {describe(self.url)} within {waited:g}s "
                f"(all {self._pool.max_size} in use, or the server is not answering): {exc}"
            ) from exc
        except PoolClosed as exc:
            raise AttuneError(f"the pool of {describe(self.url)} is closed") from exc

    async def _getconn(self, timeout: float) -> AsyncConn:
        """A pooled connection whose socket says it is alive. A dead one is closed (the
        pool replaces it) and the next is taken at once: psycopg-pool's own check
        sleeps 1 s, then 2 s, ... after each connection that fails it, and after a
        restart every idle connection has failed (3 dead ones cost 3 s)."""
        deadline = time.monotonic() + timeout
        while True:
            conn = await self._pool.getconn(max(deadline - time.monotonic(), 0.001))
            if not self._settings.check_socket or connection_alive(conn):
                return conn
            await conn.close()
            await self._pool.putconn(conn)

    async def _probe(self) -> None:
        """Connect once directly: the pool only logs why it cannot connect."""
        options = {**self._settings.connect_options, "connect_timeout": 2}
        try:
            conn = await psycopg.AsyncConnection.connect(self.url, **options)
        except psycopg.Error as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise Unavailable(f"cannot connect to {describe(self.url)}: {message}") from exc
        await conn.close()

    @asynccontextmanager
    async def connection(self, timeout: float | None = None) -> AsyncIterator[AsyncConn]:
        """A pooled connection for one transaction: commit on success, rollback on error.

        A block that ends normally after one of its statements failed (an error caught
        without a savepoint) is not committed: PostgreSQL has already discarded the
        transaction, so it is rolled back and AttuneError says so instead of a silent
        loss. A psycopg error escaping the block (raw SQL run on `conn`) comes out as
        its `AttuneError`. A connection lost during COMMIT raises `CommitUnknown`.
        """
        conn = await self._borrow(timeout)
        try:
            try:
                yield conn
            except psycopg.Error as exc:  # raw SQL in the block: still a typed error
                await _rollback(conn)
                raise translate(exc) from exc
            except BaseException:
                await _rollback(conn)
                raise
            if conn.info.transaction_status == TransactionStatus.INERROR:
                await _rollback(conn)
                raise AttuneError(
                    "a statement of this transaction failed: rolled back, nothing committed"
                )
            await _commit(conn)
        finally:
            await self._pool.putconn(conn)

    async def run(
        self,
        fn: Callable[[AsyncConn], Awaitable[T]],
        *,
        retries: int = 3,
        timeout: float | None = None,
    ) -> T:
        """`fn(conn)` in one transaction, called again (with exponential backoff and
        jitter) after a `TransientError` - at most `1 + retries` calls - then the error
        is raised. `CommitUnknown` and every other error are raised at once."""
        if retries < 0:
            raise ValidationError(f"retries must be 0 or more, not {retries}")
        for attempt in range(retries + 1):
            try:
                async with self.connection(timeout) as conn:
                    return await fn(conn)
            except TransientError as exc:
                if attempt == retries:
                    raise
                pause = backoff(attempt)
                logger.info(
                    "transient failure (%s: %s), try %d of %d again in %.2fs",
                    type(exc).__name__,
                    exc,
                    attempt + 2,
                    retries + 1,
                    pause,
                )
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- listening --------------------------------------------------------------------

    async def listen_connection(self) -> AsyncConn:
        """A new autocommit connection to `listen_url`, for listening to notifications:
        not from the pool (a listener holds its connection for as long as it listens)
        and never through a transaction pooler (it would lose the LISTEN). The caller
        closes it."""
        try:
            return await psycopg.AsyncConnection.connect(
                self.listen_url, autocommit=True, **self._settings.connect_options
            )
        except psycopg.Error as exc:
            raise translate(exc) from exc

    # -- lifetime ---------------------------------------------------------------------

    async def open(self) -> None:
        """Open the pool (its first connections are made in the background)."""
        if self._closed:
            raise AttuneError(f"the pool of {describe(self.url)} is closed")
        await self._pool.open(wait=False)

    async def close(self) -> None:
        self._closed = True
        await self._pool.close()

    async def __aenter__(self) -> AsyncDatabase:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


async def _configure(conn: AsyncConn) -> None:
    """What the pool does to each new connection: keep its session's state, and note
    the statements that may change the session."""
    watch_session(conn)
    conn.cursor_factory = _watched_cursor(conn.cursor_factory)
    remember_factories(conn)


_WATCHED_CURSORS: dict[type[Any], type[Any]] = {}


def _watched_cursor(base: type[Any]) -> type[Any]:
    """The connection's cursor class (psycopg's, or an instrumented one such as
    OpenTelemetry's) with an `execute` that tells the pool when its statement may
    change the session."""
    watched = _WATCHED_CURSORS.get(base)
    if watched is None:

        async def execute(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
            note_statement(self.connection, query)
            return await base.execute(self, query, params, **kwargs)

        watched = type(f"Watched{base.__name__}", (base,), {"execute": execute})
        _WATCHED_CURSORS[base] = watched
    return watched


async def _restore_defaults(conn: AsyncConn) -> None:
    """Undo the client-side settings a borrower may have changed (on an idle
    connection, where psycopg allows it; none of them costs a round trip)."""
    restore_factories(conn)
    if conn.autocommit:
        await conn.set_autocommit(False)
    if conn.isolation_level is not None:
        await conn.set_isolation_level(None)
    if conn.read_only is not None:
        await conn.set_read_only(None)
    if conn.deferrable is not None:
        await conn.set_deferrable(None)


async def _finish(conn: AsyncConn, ending: bytes) -> None:
    """End a lent connection's transaction with `ending` (COMMIT or ROLLBACK), with the
    flush of kept notices and the session reset when they are needed: one message, so
    one round trip. A connection already idle (autocommit, or the block committed
    itself) only gets the flush and reset, if any."""
    idle = conn.info.transaction_status == TransactionStatus.IDLE
    message = block_ending(conn, None if idle else ending)
    if message == COMMIT:  # the usual end: psycopg's own, without a cursor
        await conn.commit()
    elif message == ROLLBACK:
        await conn.rollback()
    elif message is not None:
        if idle:
            await conn.set_autocommit(True)  # else psycopg would open a transaction
        await conn.execute(message, prepare=False)
    block_ended(conn)
    await _restore_defaults(conn)


async def _commit(conn: AsyncConn) -> None:
    """Commit a lent connection's transaction; a connection lost during COMMIT means
    the outcome is unknown."""
    try:
        await _finish(conn, COMMIT)
    except psycopg.Error as exc:
        if connection_broken(exc):
            raise CommitUnknown(
                "the connection was lost during COMMIT: the transaction may or may not "
                f"have committed ({str(exc).strip() or type(exc).__name__})"
            ) from exc
        raise translate(exc) from exc


async def _rollback(conn: AsyncConn) -> None:
    """Roll back a lent connection's transaction; one that cannot be rolled back and
    reset is closed, and the pool replaces it."""
    if conn.closed:
        return
    try:
        await _finish(conn, ROLLBACK)
    except psycopg.Error as exc:
        logger.info("closing a pooled connection that could not be reset: %s", exc)
        with suppress(psycopg.Error):
            await conn.close()
