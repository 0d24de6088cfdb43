"""Deferred change notices: how `Database` keeps notifying writes from taking turns.

A transaction that calls pg_notify holds a cluster-wide lock from its pre-commit to
its end, across the WAL flush of its commit, so notifying commits cannot be flushed
together and ingest stops growing after two writers. Sessions that `Database` opens
run in the deferred mode of the schema (migration 0007): the triggers keep each
notice in the session setting `attune.pending_notices` (kept if the transaction
commits, dropped if it rolls back), and the transaction ends with one message,
`COMMIT; SELECT attune.flush_notices()`, whose second statement sends the kept
notices in a short transaction of its own that does not wait for the WAL flush. A
transaction that kept nothing (the session hears of the first notice kept through a
NOTICE, SQLSTATE ATN01) ends with a plain COMMIT.
Every committed change still wakes listeners, a moment after its commit; rolled-back
work still sends nothing.

Any other session (psql, another application, a pooler's shared connection) stays in
the immediate mode: its triggers notify in the writing transaction, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from weakref import WeakKeyDictionary

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus

from .errors import translated

DEFERRED_OPTION = "-c attune.notify_mode=deferred"
"""The libpq `options` switch that puts a session in the deferred mode (sent in the
startup packet: no round trip, and `RESET ALL` returns to it)."""

# The commands that end a deferred session's transaction (one message each, so one
# round trip, as a plain COMMIT). An asyncio twin sends the same ones.
FLUSH = b"SELECT attune.flush_notices()"
COMMIT_AND_FLUSH = b"COMMIT; " + FLUSH
ROLLBACK_AND_FLUSH = b"ROLLBACK; " + FLUSH

# For a pool that resets sessions in the same message (`COMMIT; <reset>`): the flush
# must come BEFORE `RESET ALL` (which drops the kept notices), and `RESET ALL` in the
# flush's implicit transaction would also reset its synchronous_commit = off, making
# it wait for the WAL flush with the notify lock held; so send
# `COMMIT; ` + FLUSH_THEN + `RESET ALL; UNLISTEN *` + ASYNC_AFTER_RESET.
FLUSH_THEN = FLUSH + b"; "
ASYNC_AFTER_RESET = b"; SELECT set_config('synchronous_commit', 'off', true)"


def deferred_connect_kwargs(url: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """`kwargs` for psycopg.connect with the deferred mode added to the `options`
    that `kwargs` (or else the URL) already give, unless they choose a mode
    themselves (`-c attune.notify_mode=immediate`) or are explicitly empty
    (`options=""`: no startup options at all, for a pooler that refuses them; the
    sessions then notify in immediate mode)."""
    given = kwargs.get("options")
    if given == "":
        return {key: value for key, value in kwargs.items() if key != "options"}
    if given is None:
        given = conninfo_to_dict(url).get("options")
    if given and "attune.notify_mode" in str(given):
        return dict(kwargs)
    options = f"{given} {DEFERRED_OPTION}" if given else DEFERRED_OPTION
    return {**kwargs, "options": options}


KEPT_SQLSTATE = "ATN01"
"""The SQLSTATE of the NOTICE a deferred session receives when its transaction keeps
its first notice (so a transaction that kept none can end with a plain COMMIT)."""


class _Kept:
    """A connection's notice handler: whether a notice may be kept since the last flush."""

    __slots__ = ("kept",)

    def __init__(self) -> None:
        self.kept = False

    def __call__(self, diagnostic: psycopg.errors.Diagnostic) -> None:
        if diagnostic.sqlstate == KEPT_SQLSTATE:
            self.kept = True


AnyConn = psycopg.Connection[Any] | psycopg.AsyncConnection[Any]

_watched: WeakKeyDictionary[AnyConn, _Kept] = WeakKeyDictionary()


def commit(conn: psycopg.Connection[Any]) -> None:
    """Commit; if this session kept notices, send them in the same round trip."""
    _end(conn, COMMIT_AND_FLUSH, conn.commit)


def rollback(conn: psycopg.Connection[Any]) -> None:
    """Roll back; send what earlier commits of the block kept (a block that called
    `conn.commit()` itself), in the same round trip."""
    _end(conn, ROLLBACK_AND_FLUSH, conn.rollback)


def watch(conn: AnyConn) -> None:
    """Start noticing when `conn`'s transactions keep notices (a pool's `configure`;
    sync or asyncio connections alike: the handler is a plain callable)."""
    watcher = _Kept()
    conn.add_notice_handler(watcher)
    _watched[conn] = watcher


def needs_flush(conn: AnyConn) -> bool:
    """Whether ending `conn`'s transaction must send kept notices: it kept one since
    the last flush, or nobody watched it (then assume it may have)."""
    watcher = _watched.get(conn)
    return watcher is None or watcher.kept


def flushed(conn: AnyConn) -> None:
    """`conn`'s kept notices were sent."""
    watcher = _watched.get(conn)
    if watcher is not None:
        watcher.kept = False


def _end(conn: psycopg.Connection[Any], command: bytes, plain: Callable[[], None]) -> None:
    with translated():
        if not needs_flush(conn):
            plain()
            return
        _end_and_flush(conn, command)
        if conn not in _watched:
            watch(conn)
        flushed(conn)


def _end_and_flush(conn: psycopg.Connection[Any], command: bytes) -> None:
    try:
        if conn.info.transaction_status == TransactionStatus.IDLE:
            _flush_outside_a_transaction(conn)
        else:
            conn.execute(command)
    except pg_errors.UndefinedFunction:
        # A schema older than migration 0007: its triggers never defer, so there is
        # nothing to send, and the COMMIT before the failed SELECT went through.
        pass


def _flush_outside_a_transaction(conn: psycopg.Connection[Any]) -> None:
    """Nothing to commit (the block committed itself, or ran in autocommit): send
    what its commits kept, in an implicit transaction of its own."""
    if conn.autocommit:
        conn.execute(FLUSH)
        return
    conn.autocommit = True
    try:
        conn.execute(FLUSH)
    finally:
        conn.autocommit = False
