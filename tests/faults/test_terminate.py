"""Pooled connections ended by the server (`pg_terminate_backend`), idle or busy.

These run on the run's shared database: each pool names its connections with an
`application_name` of its own, and only those backends are terminated.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import psycopg
import pytest

from attune_common import AsyncDatabase, Database
from attune_common.errors import ConnectionLost
from tests.builders import unique_name

pytestmark = pytest.mark.faults

Conn = psycopg.Connection[Any]
Connect = Callable[..., Conn]

POOL_SIZE = 3
WAIT = 10.0  # seconds: the bound of every wait in these tests
ROUNDS = 10  # terminations in a row: lending a dead connection is a race, give it chances


def backends(admin: Conn, application: str, state: str | None = None) -> list[int]:
    """The pids of the server processes serving connections named `application`."""
    rows = admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
        " AND (%s::text IS NULL OR state = %s)",
        (application, state, state),
    ).fetchall()
    return [pid for (pid,) in rows]


def terminate(admin: Conn, pids: list[int]) -> None:
    """End these backends and wait until they have left pg_stat_activity. By then each
    has sent its client the message that ends the session; its process may still be
    exiting (the end of file comes milliseconds later on a busy server), which is the
    instant where a health check that waits for the end of file lends a dead connection."""
    admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", (pids,))
    deadline = time.monotonic() + WAIT
    while admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)
    ).fetchone() != (0,):
        assert time.monotonic() < deadline, f"backends {pids} still alive after {WAIT}s"
        time.sleep(0.01)


@pytest.fixture
def admin(connect: Connect) -> Conn:
    return connect(autocommit=True)


@pytest.fixture
def application() -> str:
    return unique_name("attune-faults-")


def pool(database_url: str, application: str, **options: Any) -> Database:
    """A pool of POOL_SIZE connections named `application`, all open and idle."""
    db = Database(
        database_url,
        min_size=POOL_SIZE,
        max_size=POOL_SIZE,
        timeout=WAIT,
        connect_options={"application_name": application},
        **options,
    )
    db.pool.wait(WAIT)
    return db


@pytest.fixture
def db(database_url: str, application: str) -> Iterator[Database]:
    with pool(database_url, application) as database:
        yield database


def select_one(db: Database) -> Any:
    with db.connection() as conn:
        return conn.execute("SELECT 1").fetchone()


def test_idle_connections_terminated_are_never_lent(
    db: Database, admin: Conn, application: str
) -> None:
    for _ in range(ROUNDS):
        db.pool.wait(WAIT)
        idle = backends(admin, application)
        assert len(idle) == POOL_SIZE

        terminate(admin, idle)

        # One after another, then all at once: no call gets a dead connection.
        assert [select_one(db) for _ in range(POOL_SIZE)] == [(1,)] * POOL_SIZE
        with ExitStack() as stack:
            conns = [stack.enter_context(db.connection()) for _ in range(POOL_SIZE)]
            assert [conn.execute("SELECT 1").fetchone() for conn in conns] == [(1,)] * POOL_SIZE
            assert not set(backends(admin, application)) & set(idle)


@pytest.mark.asyncio
async def test_idle_connections_terminated_are_never_lent_by_async_pool(
    database_url: str, admin: Conn, application: str
) -> None:
    async with AsyncDatabase(
        database_url,
        min_size=POOL_SIZE,
        max_size=POOL_SIZE,
        timeout=WAIT,
        connect_options={"application_name": application},
    ) as db:
        for _ in range(ROUNDS):
            await db.pool.wait(WAIT)
            idle = backends(admin, application)
            assert len(idle) == POOL_SIZE

            terminate(admin, idle)

            for _ in range(POOL_SIZE):
                async with db.connection() as conn:
                    cursor = await conn.execute("SELECT 1")
                    assert await cursor.fetchone() == (1,)


def test_idle_connections_terminated_are_lent_without_health_check(
    database_url: str, admin: Conn, application: str
) -> None:
    """What the health check prevents: with `check=False` a dead connection is lent."""
    with pool(database_url, application, check=False) as db:
        terminate(admin, backends(admin, application))

        with pytest.raises(ConnectionLost), db.connection() as conn:
            conn.execute("SELECT 1")


def test_active_connection_terminated_raises_connection_lost_then_next_call_succeeds(
    db: Database, admin: Conn, application: str
) -> None:
    def terminate_when_busy() -> None:
        deadline = time.monotonic() + WAIT
        while not (busy := backends(admin, application, state="active")):
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
        terminate(admin, busy)

    terminator = threading.Thread(target=terminate_when_busy, daemon=True)
    terminator.start()
    try:
        with pytest.raises(ConnectionLost), db.connection() as conn:
            conn.execute("SELECT pg_sleep(%s)", (WAIT * 3,))
    finally:
        terminator.join(WAIT)
    assert not terminator.is_alive()

    assert select_one(db) == (1,)
    assert db.run(lambda conn: conn.execute("SELECT 2").fetchone()) == (2,)
