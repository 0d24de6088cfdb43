"""alisten(): change notifications on an AsyncConnection, with listen()'s semantics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from attune_common.errors import AttuneError
from attune_common.notify import ENFORCEMENT_CHANNEL, EVENT_CHANNEL, ChangeNotice, alisten
from attune_common.repositories import AsyncEnforcementRepository
from tests.aio.conftest import AConn, AConnect
from tests.builders import Conn, EnforcementFixture, EventFixture, unique_name

pytestmark = pytest.mark.asyncio

WAIT = 5.0


async def first_match(
    notices: AsyncIterator[ChangeNotice], wanted: Callable[[ChangeNotice], bool]
) -> ChangeNotice | None:
    async for notice in notices:
        if wanted(notice):
            return notice
    return None


def insert_of(id: int) -> Callable[[ChangeNotice], bool]:
    return lambda n: n.payload.get("id") == id and n.payload.get("op") == "insert"


async def channels_of(aconn: AConn) -> list[str]:
    cursor = await aconn.execute("SELECT pg_listening_channels()")
    return [row[0] for row in await cursor.fetchall()]


async def test_alisten_sees_a_committed_event_not_a_rolled_back_one(
    conn: Conn, aconnect: AConnect
) -> None:
    notices = await alisten(await aconnect(autocommit=True), EVENT_CHANNEL, timeout=1.0)
    # Listening started with the await: rows committed from now on are heard.
    rolled_back = EventFixture.unique().create(conn)
    conn.rollback()
    committed = EventFixture.unique().create(conn)
    conn.commit()

    # Other tests insert events meanwhile; a bulk insert is heard as a summary, no "id".
    seen = {n.payload.get("id") async for n in notices if n.payload.get("op") == "insert"}

    assert committed.id in seen
    assert rolled_back.id not in seen


async def test_alisten_sees_an_async_claim(conn: Conn, aconnect: AConnect) -> None:
    rule_ref = f"p.{unique_name('rule')}"
    enforcement = EnforcementFixture.unique().with_(rule_ref=rule_ref).create(conn)
    conn.commit()
    notices = await alisten(await aconnect(autocommit=True), ENFORCEMENT_CHANNEL, timeout=WAIT)
    worker = await aconnect()

    await AsyncEnforcementRepository(worker).claim_created(rule_refs=[rule_ref])
    await worker.commit()
    notice = await first_match(
        notices, lambda n: n.payload.get("id") == enforcement.id and n.payload["op"] == "update"
    )

    assert notice is not None
    assert (notice.payload["old_status"], notice.payload["status"]) == ("created", "processed")


async def test_alisten_waits_without_blocking_the_loop(conn: Conn, aconnect: AConnect) -> None:
    notices = await alisten(await aconnect(autocommit=True), EVENT_CHANNEL, timeout=WAIT)

    async def commit_an_event_later() -> int:
        await asyncio.sleep(0.2)  # runs only if the listener lets the loop go
        event = EventFixture.unique().create(conn)
        conn.commit()
        return event.id

    writer = asyncio.create_task(commit_an_event_later())
    notice = await first_match(notices, lambda n: writer.done() and insert_of(writer.result())(n))

    assert notice is not None


async def test_alisten_payload_that_is_not_json(aconnect: AConnect) -> None:
    channel = unique_name("chan")
    notices = await alisten(await aconnect(autocommit=True), channel, timeout=WAIT)
    sender = await aconnect(autocommit=True)
    await sender.execute("SELECT pg_notify(%s, %s)", (channel, "plain text"))

    assert await anext(notices) == ChangeNotice(channel, {"raw": "plain text"})


async def test_alisten_stops_listening_when_closed(aconnect: AConnect) -> None:
    listener = await aconnect(autocommit=True)
    first, second = unique_name("chan"), unique_name("chan")
    timed_out = await alisten(listener, first, timeout=0.1)
    assert await channels_of(listener) == [first]
    assert [notice async for notice in timed_out] == []  # the timeout ends it
    assert await channels_of(listener) == []

    closed = await alisten(listener, second, timeout=WAIT)
    await closed.aclose()
    assert await channels_of(listener) == []


async def test_alisten_needs_an_autocommit_connection_and_a_channel(aconn: AConn) -> None:
    with pytest.raises(AttuneError, match="autocommit"):
        await alisten(aconn, EVENT_CHANNEL)
    await aconn.set_autocommit(True)
    with pytest.raises(AttuneError, match="channel"):
        await alisten(aconn)


async def test_alisten_on_a_closed_connection_raises_attune_error(aconnect: AConnect) -> None:
    listener = await aconnect(autocommit=True)
    notices = await alisten(listener, unique_name("chan"), timeout=WAIT)
    killer = await aconnect(autocommit=True)
    await killer.execute("SELECT pg_terminate_backend(%s)", (listener.info.backend_pid,))

    with pytest.raises(AttuneError):
        await anext(notices)
