"""Change notifications: react to new and changed history instead of polling.

The schema sends, when a transaction commits, a `pg_notify` on channel
`attune_<table>` for every insert into event, enforcement, execution and inquiry and
every status change of the last three: a JSON payload with `op` ("insert" or
"update"), `table`, `id`, `status` (and `old_status` on updates) and the row's
`*_ref` columns. Notifications of rolled-back work are never sent.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from .errors import AttuneError, translated

EVENT_CHANNEL = "attune_event"
ENFORCEMENT_CHANNEL = "attune_enforcement"
EXECUTION_CHANNEL = "attune_execution"
INQUIRY_CHANNEL = "attune_inquiry"


@dataclass(frozen=True, slots=True)
class ChangeNotice:
    channel: str
    payload: dict[str, Any]


def _decode(text: str) -> dict[str, Any]:
    try:
        payload = json.loads(text)
    except ValueError:
        return {"raw": text}
    return payload if isinstance(payload, dict) else {"raw": payload}


def listen(
    conn: psycopg.Connection[Any], *channels: str, timeout: float | None = None
) -> Iterator[ChangeNotice]:
    """The notices sent on `channels` from this call on, as they arrive.

    Listening starts before this returns, so nothing committed after the call is
    missed, even before the first `next()`. `conn` must be an autocommit connection
    used for nothing else meanwhile (PostgreSQL delivers notifications only between
    transactions). The iterator ends after `timeout` seconds (None: never); closing it
    stops listening. A payload that is not a JSON object comes as `{"raw": payload}`.
    """
    if not conn.autocommit:
        raise AttuneError("listen() needs an autocommit connection")
    if not channels:
        raise AttuneError("listen() needs at least one channel")
    with translated():
        for channel in channels:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
    return _notices(conn, channels, timeout)


def _notices(
    conn: psycopg.Connection[Any], channels: tuple[str, ...], timeout: float | None
) -> Iterator[ChangeNotice]:
    try:
        with translated():
            for notice in conn.notifies(timeout=timeout):
                yield ChangeNotice(notice.channel, _decode(notice.payload))
    finally:
        with suppress(psycopg.Error):
            for channel in channels:
                conn.execute(sql.SQL("UNLISTEN {}").format(sql.Identifier(channel)))


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
    if not channels:
        raise AttuneError("alisten() needs at least one channel")
    notices = _anotices(conn, channels, timeout)
    await anext(notices)  # runs the LISTENs: the generator now waits inside its `try`
    return notices


_LISTENING = ChangeNotice("", {})  # what _anotices yields first, once it listens


async def _anotices(
    conn: psycopg.AsyncConnection[Any], channels: tuple[str, ...], timeout: float | None
) -> AsyncGenerator[ChangeNotice, None]:
    with translated():
        for channel in channels:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
    try:
        yield _LISTENING
        with translated():
            async for notice in conn.notifies(timeout=timeout):
                yield ChangeNotice(notice.channel, _decode(notice.payload))
    finally:
        with suppress(psycopg.Error):
            for channel in channels:
                await conn.execute(sql.SQL("UNLISTEN {}").format(sql.Identifier(channel)))
