"""Listeners that carry on: `follow()` survives a server restart (on a private server
started for the purpose, never the shared one) and says when notices may have been
missed; `listen()` and `alisten()` let go of their connection when the loop is left
early."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import psycopg
import pytest
from port_for import select_random

from attune_common.errors import AttuneError
from attune_common.notify import Backoff, ChangeNotice, Resync, alisten, follow, listen
from tests.builders import unique_name
from tests.private_server import PrivateServer, private_server

HANG = 10.0  # seconds after which a block that should return at once is stuck
FAST = Backoff(initial=0.05, maximum=0.5)


def notify(url: str, channel: str, payload: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_notify(%s, %s)", (channel, payload))


def finishes(scenario: Any) -> bool:
    """Whether `scenario()` returns within HANG seconds (run in a daemon thread, so a
    hang fails the test instead of blocking the run)."""
    thread = threading.Thread(target=scenario, daemon=True)
    thread.start()
    thread.join(HANG)
    return not thread.is_alive()


def test_breaking_out_of_listen_then_closing_the_connection_does_not_hang(
    database_url: str,
) -> None:
    channel = unique_name("chan")

    def scenario() -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            notices = listen(conn, channel, timeout=60)
            notify(database_url, channel, '{"op": "insert"}')
            for _ in notices:
                break  # `notices` stays referenced, suspended

    assert finishes(scenario)


def test_a_listen_with_a_timeout_ends(database_url: str) -> None:
    def scenario() -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            assert list(listen(conn, unique_name("chan"), timeout=0.2)) == []

    assert finishes(scenario)


def test_follow_starts_with_a_resync_then_delivers(database_url: str) -> None:
    channel = unique_name("chan")
    with closing(follow(database_url, channel, timeout=HANG)) as items:
        assert next(items) == Resync((channel,), "started")
        notify(database_url, channel, '{"op": "insert", "id": 1}')
        assert next(items) == ChangeNotice(channel, {"op": "insert", "id": 1})


def test_follow_ends_after_its_timeout(database_url: str) -> None:
    items = list(follow(database_url, unique_name("chan"), timeout=0.3))
    assert [type(item) for item in items] == [Resync]


def test_follow_needs_a_channel(database_url: str) -> None:
    with pytest.raises(AttuneError, match="channel"):
        next(follow(database_url))


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[PrivateServer]:
    with private_server(like=database_url) as started:
        yield started


def test_follow_carries_on_after_a_server_restart(
    server: PrivateServer, caplog: pytest.LogCaptureFixture
) -> None:
    channel = unique_name("chan")
    caplog.set_level(logging.WARNING, logger="attune_common")
    with closing(follow(server.url, channel, timeout=60, backoff=FAST)) as items:
        assert next(items) == Resync((channel,), "started")
        notify(server.url, channel, "before")
        assert next(items) == ChangeNotice(channel, {"raw": "before"})

        server.shutdown()
        restart = threading.Timer(1.0, server.start)  # down for a while: retries fail
        restart.start()
        resync = next(items)
        restart.join()

        assert isinstance(resync, Resync)
        assert resync.reason.startswith("reconnected after")
        notify(server.url, channel, "after")
        assert next(items) == ChangeNotice(channel, {"raw": "after"})
    warnings = [r for r in caplog.records if r.name.startswith("attune_common")]
    assert any("reconnecting" in r.getMessage() for r in warnings)
    assert any("retrying" in r.getMessage() for r in warnings)


def test_follow_gives_up_at_its_timeout_while_no_server_answers() -> None:
    url = f"postgresql://postgres@127.0.0.1:{select_random()}/postgres"  # a free port
    items: list[Any] = []

    def scenario() -> None:
        items.extend(follow(url, unique_name("chan"), timeout=1.0, backoff=FAST))

    assert finishes(scenario)
    assert items == []


def test_backoff_grows_to_its_maximum_with_jitter() -> None:
    delays = Backoff(initial=0.1, factor=2.0, maximum=1.0).delays()
    drawn = [next(delays) for _ in range(8)]
    bounds = [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0]
    assert all(bound / 2 <= delay <= bound for delay, bound in zip(drawn, bounds, strict=True))


def test_follow_refuses_an_unparsable_url() -> None:
    with pytest.raises(AttuneError):
        next(follow("postgresql://[::1", unique_name("chan")))


def test_breaking_out_of_alisten_then_closing_the_connection_does_not_hang(
    database_url: str,
) -> None:
    channel = unique_name("chan")

    async def scenario() -> list[ChangeNotice]:
        heard = []
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            notices = await alisten(conn, channel, timeout=60)
            notify(database_url, channel, '{"op": "insert"}')
            async for notice in notices:
                heard.append(notice)
                break  # `notices` stays referenced, suspended
        return heard

    assert asyncio.run(asyncio.wait_for(scenario(), HANG)) == [
        ChangeNotice(channel, {"op": "insert"})
    ]
