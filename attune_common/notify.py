"""Change notifications: react to new and changed history instead of polling.

The schema sends, once a transaction commits, one notice per statement on channel
`attune_<table>` for inserts into event, enforcement, execution and inquiry and for
status changes of the last three. A statement that touched one row sends that row's
payload: `op` ("insert" or "update"), `table`, `id`, `status` (and `old_status` on
updates) and the row's `*_ref` columns (cut to 200 characters, listed in `cut`, when
longer). A statement that touched several rows sends a summary: `op`, `table`,
`count`, and `ids` (up to 50) or `min_id`/`max_id`. Rolled-back work sends nothing.
Notices are a wake-up call: read what is new from the table afterwards.

- `listen(conn, *channels)`: the notices on a connection of yours (`alisten` on an
  AsyncConnection).
- `follow(url, *channels)`: a listener that owns its connection and carries on after
  the server restarts, telling you (`Resync`) when notices may have been missed.
- `notifications_off(conn)`: a block whose writes notify no one.
- `alisten(async_conn, *channels)`: `listen` for asyncio.

The pieces that do not wait on a connection (`check_channels`, `notice_from`,
`Backoff`, the SQL) are shared with an asyncio twin.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import AsyncGenerator, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus

from .errors import AttuneError, translated
from .pooling import database_url

EVENT_CHANNEL = "attune_event"
ENFORCEMENT_CHANNEL = "attune_enforcement"
EXECUTION_CHANNEL = "attune_execution"
INQUIRY_CHANNEL = "attune_inquiry"

logger = logging.getLogger("attune_common.notify")

KEEPALIVES: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10}
"""TCP keepalives of `follow()`'s connection (unless its URL sets them): an idle
listener whose server vanished without closing the connection (a network cut, a
crashed host) notices within about a minute, instead of waiting forever."""

LISTEN = sql.SQL("LISTEN {}")
UNLISTEN = sql.SQL("UNLISTEN {}")
_NOTIFICATIONS_OFF = (
    "SELECT current_setting('attune.notify', true), set_config('attune.notify', 'off', true)"
)
_RESTORE_NOTIFICATIONS = "SELECT set_config('attune.notify', %s, true)"


@dataclass(frozen=True, slots=True)
class ChangeNotice:
    channel: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Resync:
    """Listening on `channels` (re)started: notices sent before may have been missed,
    so read what is new from the tables (`reason`: "started", or the failure that
    was recovered from)."""

    channels: tuple[str, ...]
    reason: str


def notice_from(channel: str, payload: str) -> ChangeNotice:
    """The notice for a received payload; one that is not a JSON object comes as
    `{"raw": payload}`."""
    try:
        decoded = json.loads(payload)
    except ValueError:
        return ChangeNotice(channel, {"raw": payload})
    return ChangeNotice(channel, decoded if isinstance(decoded, dict) else {"raw": decoded})


def check_channels(channels: tuple[str, ...]) -> None:
    if not channels:
        raise AttuneError("listening needs at least one channel")


def deadline_of(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays between reconnection attempts: `initial` seconds, times `factor` after
    each failure, at most `maximum`, each drawn at random between half and all of
    it (so that many listeners do not reconnect in step)."""

    initial: float = 0.1
    factor: float = 2.0
    maximum: float = 10.0

    def delays(self) -> Iterator[float]:
        delay = self.initial
        while True:
            yield delay * random.uniform(0.5, 1.0)
            delay = min(delay * self.factor, self.maximum)


def listen(
    conn: psycopg.Connection[Any], *channels: str, timeout: float | None = None
) -> Iterator[ChangeNotice]:
    """The notices sent on `channels` from this call on, as they arrive.

    Listening starts before this returns, so nothing committed after the call is
    missed, even before the first `next()`. `conn` must be an autocommit connection
    used for nothing else meanwhile (PostgreSQL delivers notifications only between
    transactions). The iterator ends after `timeout` seconds (None: never); closing it
    stops listening. It holds no lock on `conn` between notices: breaking out of the
    loop and closing the connection never waits. A payload that is not a JSON object
    comes as `{"raw": payload}`.
    """
    if not conn.autocommit:
        raise AttuneError("listen() needs an autocommit connection")
    check_channels(channels)
    with translated():
        _listen(conn, channels)
    return _notices(conn, channels, deadline_of(timeout))


def _listen(conn: psycopg.Connection[Any], channels: tuple[str, ...]) -> None:
    for channel in channels:
        conn.execute(LISTEN.format(sql.Identifier(channel)))


def _notices(
    conn: psycopg.Connection[Any], channels: tuple[str, ...], deadline: float | None
) -> Iterator[ChangeNotice]:
    try:
        with translated():
            yield from _received(conn, deadline)
    finally:
        with suppress(psycopg.Error):
            for channel in channels:
                conn.execute(UNLISTEN.format(sql.Identifier(channel)))


def _received(conn: psycopg.Connection[Any], deadline: float | None) -> Iterator[ChangeNotice]:
    """Notices until `deadline`. psycopg's `notifies()` holds the connection's lock
    while it is suspended, so each wait is run to its end (`stop_after=1`: it returns
    with what arrived) before anything is yielded."""
    while True:
        arrived = list(conn.notifies(timeout=remaining(deadline), stop_after=1))
        for notice in arrived:
            yield notice_from(notice.channel, notice.payload)
        if not arrived and deadline is not None and time.monotonic() >= deadline:
            return


async def alisten(
    conn: psycopg.AsyncConnection[Any], *channels: str, timeout: float | None = None
) -> AsyncGenerator[ChangeNotice, None]:
    """`listen` for asyncio: `notices = await alisten(conn, channel)`, then
    `async for notice in notices`.

    Listening has started when the await returns, so nothing committed after it is
    missed. `conn` must be an autocommit AsyncConnection used for nothing else
    meanwhile. The iteration ends after `timeout` seconds (None: never);
    `await notices.aclose()` stops listening, also before the first notice. A lost
    connection raises an `AttuneError`, as in `listen`.
    """
    if not conn.autocommit:
        raise AttuneError("alisten() needs an autocommit connection")
    check_channels(channels)
    notices = _anotices(conn, channels, deadline_of(timeout))
    await anext(notices)  # runs the LISTENs: the generator now waits inside its `try`
    return notices


_LISTENING = ChangeNotice("", {})  # what _anotices yields first, once it listens


async def _anotices(
    conn: psycopg.AsyncConnection[Any], channels: tuple[str, ...], deadline: float | None
) -> AsyncGenerator[ChangeNotice, None]:
    with translated():
        for channel in channels:
            await conn.execute(LISTEN.format(sql.Identifier(channel)))
    try:
        yield _LISTENING
        with translated():
            while True:  # as _received: no lock held on `conn` while a notice is out
                arrived = [
                    notice
                    async for notice in conn.notifies(timeout=remaining(deadline), stop_after=1)
                ]
                for notice in arrived:
                    yield notice_from(notice.channel, notice.payload)
                if not arrived and deadline is not None and time.monotonic() >= deadline:
                    return
    finally:
        with suppress(psycopg.Error):
            for channel in channels:
                await conn.execute(UNLISTEN.format(sql.Identifier(channel)))


def follow(
    url: str | None,
    *channels: str,
    timeout: float | None = None,
    backoff: Backoff = Backoff(),
    connect_timeout: int = 5,
) -> Iterator[ChangeNotice | Resync]:
    """Notices on `channels`, on a connection of its own that is opened again, with
    `backoff`, whenever it fails (a server restart, a network error).

    The first item is `Resync(channels, "started")`, and another comes after every
    reconnection: notices sent while no connection listened are lost, so read what
    is new from the tables whenever a `Resync` arrives. Reconnections are logged
    (WARNING) on the `attune_common.notify` logger. Ends after `timeout` seconds
    (None: never); `close()` it, or let it go, to disconnect.
    """
    check_channels(channels)
    target = database_url(url)
    with translated():  # an unparsable URL fails here, not in a retry loop
        given = conninfo_to_dict(target)
    keepalives = {key: value for key, value in KEEPALIVES.items() if key not in given}
    deadline = deadline_of(timeout)
    delays = backoff.delays()
    reason = "started"
    while True:
        try:
            conn = psycopg.connect(
                target, autocommit=True, connect_timeout=connect_timeout, **keepalives
            )
        except psycopg.Error as exc:
            if not _wait_to_retry(next(delays), exc, deadline):
                return
            continue
        try:
            _listen(conn, channels)
            delays = backoff.delays()  # connected: the next failure starts over
            yield Resync(channels, reason)
            yield from _received(conn, deadline)
            return
        except psycopg.OperationalError as exc:
            reason = f"reconnected after: {exc}"
            logger.warning("listening on %s failed (%s): reconnecting", ", ".join(channels), exc)
        finally:
            conn.close()


def _wait_to_retry(delay: float, exc: psycopg.Error, deadline: float | None) -> bool:
    """Sleep before the next attempt; False when the deadline comes first."""
    left = remaining(deadline)
    if left is not None and left <= delay:
        return False
    logger.warning("cannot connect to listen (%s): retrying in %.2fs", exc, delay)
    time.sleep(delay)
    return True


@contextmanager
def notifications_off(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """A block whose writes send no change notification.

    Only the writes of the current transaction made inside the block are silenced
    (a transaction-local setting, restored when the block ends), so nothing leaks to
    later transactions or to the next user of a pooled connection. On an autocommit
    connection the block is one transaction of its own.
    """
    if conn.autocommit and conn.info.transaction_status == TransactionStatus.IDLE:
        with _own_transaction(conn), _silenced(conn):
            yield
    else:
        with _silenced(conn):
            yield


@contextmanager
def _own_transaction(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """`conn.transaction()`, with its own failures (not the block's) translated."""
    transaction = conn.transaction()
    with translated():
        transaction.__enter__()
    try:
        yield
    except BaseException as exc:
        with translated():
            transaction.__exit__(type(exc), exc, exc.__traceback__)
        raise
    with translated():
        transaction.__exit__(None, None, None)


@contextmanager
def _silenced(conn: psycopg.Connection[Any]) -> Iterator[None]:
    with translated():
        row = conn.execute(_NOTIFICATIONS_OFF).fetchone()
    previous = row[0] if row is not None else None
    try:
        yield
    finally:
        if conn.info.transaction_status == TransactionStatus.INTRANS:
            with translated():
                conn.execute(_RESTORE_NOTIFICATIONS, (previous or "",))
