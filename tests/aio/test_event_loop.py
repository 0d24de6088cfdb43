"""No repository call blocks the event loop: a heartbeat task keeps ticking during a
burst of calls and during Argon2 hashing (which runs in a thread)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from attune_common.repositories import (
    AsyncEventRepository,
    AsyncIdentityRepository,
    CreateEventInput,
    CreateIdentityInput,
)
from tests.aio.conftest import AConn
from tests.builders import unique_name, unique_ref

pytestmark = pytest.mark.asyncio


class Heartbeat:
    """Counts the turns of the event loop it gets while something else runs, and the
    longest wait between two of them."""

    def __init__(self) -> None:
        self.ticks = 0
        self.last = time.perf_counter()
        self.longest_gap = 0.0

    async def beat(self) -> None:
        while True:
            now = time.perf_counter()
            self.ticks += 1
            self.longest_gap = max(self.longest_gap, now - self.last)
            self.last = now
            await asyncio.sleep(0)


@asynccontextmanager
async def heartbeat() -> AsyncIterator[Heartbeat]:
    beating = Heartbeat()
    task = asyncio.create_task(beating.beat())
    await asyncio.sleep(0)
    try:
        yield beating
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_burst_of_calls_lets_the_loop_run(aconn: AConn) -> None:
    events = AsyncEventRepository(aconn)
    trigger_ref = unique_ref("trigger")

    async with heartbeat() as beating:
        for n in range(20):
            event = await events.create(CreateEventInput(trigger_ref=trigger_ref, payload={"n": n}))
            await events.get_by_id(event.id)
        await events.find_by_trigger_ref(trigger_ref)
        ticks = beating.ticks

    # Calls that blocked the loop (a sync driver underneath) would let it beat not once.
    assert ticks >= 40


async def longest_gap_and_duration(call: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    async with heartbeat() as beating:
        start = time.perf_counter()
        await call()
        duration = time.perf_counter() - start
        beating.longest_gap = max(beating.longest_gap, time.perf_counter() - beating.last)
    return beating.longest_gap, duration


async def test_password_hashing_lets_the_loop_run(aconn: AConn) -> None:
    identities = AsyncIdentityRepository(aconn)
    identity = await identities.create(CreateIdentityInput(login=unique_name("login")))

    # Argon2 takes most of each call: hashed on the loop, it would stop the heartbeat
    # for most of the call; in a thread, the heartbeat never waits long.
    gap, duration = await longest_gap_and_duration(
        lambda: identities.set_password(identity.id, "pw")
    )
    assert gap < duration / 2, (gap, duration)
    gap, duration = await longest_gap_and_duration(
        lambda: identities.authenticate(identity.login, "pw")
    )
    assert gap < duration / 2, (gap, duration)
