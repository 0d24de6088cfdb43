"""What `Database` and `AsyncDatabase` share: where the database is, how a pooled
connection is judged alive, and their options.

Every connection a pool lends is healthy and clean:
- healthy: a pooled connection whose server went away while it sat idle says so on its
  socket (an error message, then end of file), which is read without a round trip
  before the connection is lent (`connection_alive`); a dead one is replaced.
- clean: whatever a borrower changed (autocommit, isolation, read-only, deferrable,
  `SET`s, `LISTEN`s) is undone before the next borrower gets the connection. The
  session reset (`RESET`) travels in the same message as the block's COMMIT or
  ROLLBACK, so it costs no extra round trip in the usual case.

The asyncio pool opens on first use, on entering `async with`, or with
`await db.open()`; the sync one when it is made.

A URL is resolved by ONE function, `database_url`, used by both pools, `migrate`, the
`attune-db` command and the tests.
"""

from __future__ import annotations

import os
import random
import re
import select
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.pq import ConnStatus

from .deferred_notices import ASYNC_AGAIN, FLUSH, KEPT_SQLSTATE, deferred_connect_kwargs
from .errors import ValidationError

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/attune"
URL_VARIABLE = "ATTUNE_DATABASE_URL"

RESET = b"RESET ALL; UNLISTEN *"
"""What returns a session to its defaults before the next borrower: the SETs and the
LISTENs of the last one (client-side settings are restored by the pools)."""
COMMIT = b"COMMIT"
ROLLBACK = b"ROLLBACK"


def database_url(url: str | None = None) -> str:
    """The one resolution of the database URL, used by Database, migrate, the CLI and
    the tests: `url`, else `$ATTUNE_DATABASE_URL`, else the local default database.

    libpq's `PG*` variables fill what the URL leaves out, as libpq does at connect time;
    a URL that names no database (and no `PGDATABASE`) is refused rather than guessed
    (libpq would take the user's name, and a migration would land in the wrong database).
    """
    resolved = url or os.environ.get(URL_VARIABLE) or DEFAULT_URL
    try:
        parts = conninfo_to_dict(resolved)
    except psycopg.ProgrammingError as exc:
        raise ValidationError(f"invalid database URL: {exc}") from exc
    if parts.get("dbname"):
        return resolved
    from_environment = os.environ.get("PGDATABASE")
    if not from_environment:
        raise ValidationError(
            f"the database URL {describe(resolved)!r} names no database "
            "(add /dbname to the URL, or set PGDATABASE)"
        )
    return make_conninfo(resolved, dbname=from_environment)


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<unparsable database URL>"
    host = parts.get("host", "localhost")
    return f"{parts.get('user', '')}@{host}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


# -- healthy and clean connections ------------------------------------------------------


AnyConn = psycopg.Connection[Any] | psycopg.AsyncConnection[Any]


@dataclass(slots=True)
class SessionState:
    """What a pool knows of one of its connections' server session, from what the
    server said (notices) and what the borrower sent (statements), so that a block's
    end sends only what is needed with its COMMIT or ROLLBACK."""

    farewell: bool = False
    """The server announced the end of the session (see `watch_session`)."""
    notices_kept: bool = False
    """A transaction kept deferred change notices, to be sent (`deferred_notices`)."""
    changed: bool = False
    """A statement may have changed session settings or LISTENs: reset them."""
    factories: tuple[Any, Any] = (None, None)
    """The connection's row and cursor factories as the pool set them up: a borrower's
    `conn.row_factory = dict_row` must not reach the next borrower."""


_SESSIONS: weakref.WeakKeyDictionary[AnyConn, SessionState] = weakref.WeakKeyDictionary()
_UNKNOWN = SessionState(notices_kept=True, changed=True)  # a connection no pool made


def session_state(conn: AnyConn) -> SessionState:
    """The state of a pooled connection's session (for one the pools did not make:
    assume it needs everything)."""
    return _SESSIONS.get(conn, _UNKNOWN)


def watch_session(conn: AnyConn) -> None:
    """Have a new pooled connection keep its `SessionState` (each pool calls this on
    every connection it makes).

    The server's farewell comes before the end of file - milliseconds before, on a
    busy server - and libpq takes it, on an idle connection, as a mere notice that
    leaves the connection OK: a connection read in that instant looked alive (in a
    test, 36 of 120 calls made just after a pool's idle connections were terminated
    failed). A deferred session hears of its first kept notice through a NOTICE too.
    """
    state = _SESSIONS[conn] = SessionState()

    def on_notice(diag: psycopg.errors.Diagnostic) -> None:
        sqlstate = diag.sqlstate or ""
        if sqlstate == KEPT_SQLSTATE:
            state.notices_kept = True
        elif diag.severity_nonlocalized in ("FATAL", "PANIC") or sqlstate.startswith("57P"):
            state.farewell = True

    conn.add_notice_handler(on_notice)


# A statement that may change the session beyond its transaction: SET, RESET, LISTEN,
# DISCARD at the start of a statement, or set_config() anywhere. Anything else (an
# UPDATE's "SET" among them) is not, so a usual block ends with a plain COMMIT.
_SESSION_CHANGE = re.compile(
    r"(?:^|;)\s*(?:set|reset|listen|discard)\b|set_config\s*\(", re.IGNORECASE | re.MULTILINE
)
_SESSION_CHANGE_BYTES = re.compile(_SESSION_CHANGE.pattern.encode(), re.IGNORECASE | re.MULTILINE)


def note_statement(conn: AnyConn, query: object) -> None:
    """Remember that `query`, about to run on a pooled connection, may change its
    session (a query built with psycopg.sql is assumed to)."""
    if isinstance(query, bytes):
        changes = _SESSION_CHANGE_BYTES.search(query) is not None
    elif isinstance(query, str):
        changes = _SESSION_CHANGE.search(query) is not None
    else:
        changes = True
    if changes:
        state = _SESSIONS.get(conn)
        if state is not None:
            state.changed = True


def block_ending(conn: AnyConn, ending: bytes | None) -> bytes | None:
    """The one message that ends a lent connection's block: `ending` (COMMIT or
    ROLLBACK; None when the connection is idle), then the flush of kept notices and the
    session reset when they are needed. None when there is nothing to send."""
    state = session_state(conn)
    parts = [ending] if ending is not None else []
    if state.notices_kept:
        parts.append(FLUSH)
    if state.changed:
        parts.append(RESET)
        if state.notices_kept:
            parts.append(ASYNC_AGAIN)
    return b"; ".join(parts) if parts else None


def remember_factories(conn: AnyConn) -> None:
    """Note a new pooled connection's row and cursor factories (see `restore_factories`)."""
    state = _SESSIONS.get(conn)
    if state is not None:
        state.factories = (conn.row_factory, conn.cursor_factory)


def restore_factories(conn: AnyConn) -> None:
    """Give a returned pooled connection back the factories it was set up with."""
    state = _SESSIONS.get(conn)
    if state is None:
        return
    row_factory, cursor_factory = state.factories
    if conn.row_factory is not row_factory:
        conn.row_factory = row_factory
    if conn.cursor_factory is not cursor_factory:
        conn.cursor_factory = cursor_factory


def block_ended(conn: AnyConn) -> None:
    """The block's end went through: the session is clean, nothing is kept."""
    state = _SESSIONS.get(conn)
    if state is not None:
        state.notices_kept = state.changed = False


def connection_alive(conn: AnyConn) -> bool:
    """Whether an idle connection is still usable, judged without a round trip: a
    server that ended the session (terminated, restarted, crashed) has left an error
    message and end-of-file on the socket, and reading them marks the connection bad
    (the message alone does, on a connection `watch_session` watches)."""
    pgconn = conn.pgconn
    try:
        while pgconn.status == ConnStatus.OK:
            if session_state(conn).farewell:
                return False
            readable, _, _ = select.select([pgconn.socket], [], [], 0)
            if not readable:
                return True
            pgconn.consume_input()
            while pgconn.notifies() is not None:  # notices for a previous borrower
                pass
    except (psycopg.Error, OSError, ValueError):
        return False
    return False


def backoff(attempt: int, base: float = 0.05, cap: float = 2.0) -> float:
    """Seconds to wait before try `attempt + 2`: exponential, with full jitter."""
    return random.uniform(0, min(cap, base * 2**attempt))


def check_sizes(min_size: int, max_size: int, timeout: float) -> None:
    if not 0 <= min_size <= max_size or max_size < 1:
        raise ValidationError(
            f"pool sizes need 0 <= min_size <= max_size and max_size >= 1, "
            f"not min_size={min_size}, max_size={max_size}"
        )
    if timeout <= 0:
        raise ValidationError(f"timeout must be positive, not {timeout}")


class PoolOptions(TypedDict, total=False):
    """The keyword options of `Database` and `AsyncDatabase`.

    Pool options (psycopg-pool's, same meaning): `min_size` (1), `max_size` (10),
    `timeout` (30 s to wait for a connection), `max_waiting` (0: no limit), `max_idle`
    (600 s), `max_lifetime` (3600 s), `reconnect_timeout` (300 s), `name` ("attune").
    `check`: the health check of a connection before it is lent - True (the default)
    reads its socket without a round trip; False skips it; a callable (async for
    AsyncDatabase) is also run, by the pool, before that.
    `fail_fast` (3 s): after this long without a connection, one direct attempt to
    connect is made, and its error (a missing database, a refused port, bad
    credentials) is raised at once as `Unavailable` instead of waiting out `timeout`.
    `prepare_threshold` (5): None turns off server-side prepared statements, as
    PgBouncer's transaction pooling needs.
    `connect_options`: passed to `psycopg.connect` (e.g. `{"application_name": "api"}`).
    `listen_url`: where `listen_connection()` connects - a direct URL when the pool's
    goes through a pooler that cannot carry LISTEN; by default the pool's URL.
    """

    min_size: int
    max_size: int
    timeout: float
    max_waiting: int
    max_idle: float
    max_lifetime: float
    reconnect_timeout: float
    name: str
    check: bool | Callable[[Any], Any]
    fail_fast: float
    prepare_threshold: int | None
    connect_options: Mapping[str, Any]
    listen_url: str | None


_POOL_DEFAULTS: dict[str, Any] = {
    "min_size": 1,
    "max_size": 10,
    "timeout": 30.0,
    "max_waiting": 0,
    "max_idle": 600.0,
    "max_lifetime": 3600.0,
    "reconnect_timeout": 300.0,
    "name": "attune",
}


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """What a pool is made of, from a URL and `PoolOptions`, checked once."""

    url: str
    listen_url: str
    timeout: float
    fail_fast: float
    check_socket: bool
    connect_options: dict[str, Any]
    pool_arguments: dict[str, Any]
    """The keyword arguments of psycopg-pool's pool (but `open`)."""

    @classmethod
    def of(cls, url: str | None, options: PoolOptions) -> PoolSettings:
        unknown = sorted(set(options) - set(PoolOptions.__annotations__))
        if unknown:
            raise TypeError(f"unknown pool options {unknown}: see attune_common.pooling")
        given: dict[str, Any] = dict(options)
        arguments = {name: given.get(name, default) for name, default in _POOL_DEFAULTS.items()}
        check_sizes(arguments["min_size"], arguments["max_size"], arguments["timeout"])
        check = given.get("check", True)
        resolved = database_url(url)
        connect_options = deferred_connect_kwargs(
            resolved,
            {
                **given.get("connect_options", {}),
                "prepare_threshold": given.get("prepare_threshold", 5),
            },
        )
        listen_url = given.get("listen_url")
        return cls(
            url=resolved,
            listen_url=database_url(listen_url) if listen_url else resolved,
            timeout=arguments["timeout"],
            fail_fast=given.get("fail_fast", 3.0),
            check_socket=check is not False,
            connect_options=connect_options,
            pool_arguments={
                **arguments,
                "check": None if isinstance(check, bool) else check,
                "kwargs": connect_options,
            },
        )
