"""The connection pool services share, and where the database URL comes from."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import TracebackType
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from . import deferred_notices  # [notify-scale] commit epilogue and session mode
from .errors import AttuneError

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/attune"
URL_VARIABLE = "ATTUNE_DATABASE_URL"


def database_url(url: str | None = None) -> str:
    """`url`, else `$ATTUNE_DATABASE_URL`, else the local default database."""
    return url or os.environ.get(URL_VARIABLE) or DEFAULT_URL


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<unparsable database URL>"
    host = parts.get("host", "localhost")
    return f"{parts.get('user', '')}@{host}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


class Database:
    """A psycopg-pool pool of connections to one Attune database.

    `with db.connection() as conn:` lends a connection for one transaction: committed
    when the block ends, rolled back if it raises.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 30.0,
        **connect_kwargs: Any,
    ) -> None:
        self.url = database_url(url)
        self.timeout = timeout
        try:
            conninfo_to_dict(self.url)  # the pool would only fail later, in the background
        except psycopg.ProgrammingError as exc:
            raise AttuneError(f"invalid database URL: {exc}") from exc
        self._pool = ConnectionPool(
            self.url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            # [notify-scale] sessions start in the deferred notification mode
            kwargs=deferred_notices.deferred_connect_kwargs(self.url, connect_kwargs),
            configure=deferred_notices.watch,  # [notify-scale] hears of kept notices
            name="attune",
            open=True,
        )

    @property
    def pool(self) -> ConnectionPool:
        return self._pool

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection for one transaction: commit on success, rollback on error.

        A block that ends normally after one of its statements failed (an error caught
        without a savepoint) is not committed: PostgreSQL has already discarded the
        transaction, so it is rolled back and AttuneError says so instead of a silent
        loss.
        """
        try:
            conn = self._pool.getconn(timeout)
        except PoolTimeout as exc:
            waited = self.timeout if timeout is None else timeout
            raise AttuneError(
                f"no connection to {describe(self.url)} within {waited:g}s: {exc}"
            ) from exc
        except PoolClosed as exc:
            raise AttuneError(f"the pool of {describe(self.url)} is closed") from exc
        try:
            yield conn
        except BaseException:
            with suppress(psycopg.Error, AttuneError):
                deferred_notices.rollback(conn)  # [notify-scale] was conn.rollback()
            raise
        else:
            if conn.info.transaction_status == TransactionStatus.INERROR:
                deferred_notices.rollback(conn)  # [notify-scale] was conn.rollback()
                raise AttuneError(
                    "a statement of this transaction failed: rolled back, nothing committed"
                )
            deferred_notices.commit(conn)  # [notify-scale] was conn.commit() (translated)
        finally:
            self._pool.putconn(conn)

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
