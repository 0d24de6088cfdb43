"""AsyncDatabase: the asyncio twin of Database (db.py is generated from db_async.py), with
the same clean and healthy connections, fail-fast errors and retries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from attune_common import AsyncDatabase
from attune_common.errors import (
    AlreadyExists,
    AttuneError,
    ConnectionLost,
    LockTimeout,
    Unavailable,
    ValidationError,
)

pytestmark = pytest.mark.asyncio

AsyncConn = psycopg.AsyncConnection[Any]
Connect = Callable[..., psycopg.Connection[Any]]


async def scalar(conn: AsyncConn, query: str) -> Any:
    cursor = await conn.execute(query.encode())
    row = await cursor.fetchone()
    assert row is not None
    return row[0]


async def test_async_with_opens_and_closes_the_pool(database_url: str) -> None:
    async with AsyncDatabase(database_url, max_size=2) as db:
        assert not db.pool.closed
        async with db.connection() as conn:
            assert await scalar(conn, "SELECT 41 + 1") == 42
    assert db.pool.closed
    with pytest.raises(AttuneError, match="closed"):
        async with db.connection():
            pass


async def test_open_and_close_by_hand_and_open_on_first_use(database_url: str) -> None:
    db = AsyncDatabase(database_url, max_size=1)
    async with db.connection() as conn:  # opened on first use
        assert await scalar(conn, "SELECT 1") == 1
    await db.close()
    other = AsyncDatabase(database_url, max_size=1)
    await other.open()
    assert not other.pool.closed
    await other.close()


async def test_commit_on_success_and_rollback_on_error(database_url: str, connect: Connect) -> None:
    table = f"attune_async_probe_{time.monotonic_ns()}"
    async with AsyncDatabase(database_url, max_size=1) as db:
        async with db.connection() as conn:
            await conn.execute(f"CREATE TEMP TABLE {table} (n int)".encode())
            await conn.execute(f"INSERT INTO {table} VALUES (1)".encode())  # noqa: S608
            await conn.commit()
        with pytest.raises(ZeroDivisionError):
            async with db.connection() as conn:
                await conn.execute(f"INSERT INTO {table} VALUES (2)".encode())  # noqa: S608
                raise ZeroDivisionError
        # The temporary table lives in the pool's one session: RESET ALL keeps it.
        async with db.connection() as conn:
            assert await scalar(conn, f"SELECT count(*) FROM {table}") == 1  # noqa: S608


async def test_a_borrowers_settings_do_not_reach_the_next(database_url: str) -> None:
    async with AsyncDatabase(database_url, max_size=1) as db:
        async with db.connection() as conn:
            await conn.set_autocommit(True)
            await conn.execute(b"SET statement_timeout = '7s'")
            await conn.execute(b"LISTEN attune_async_leftover")
        async with db.connection() as conn:
            assert conn.autocommit is False
            assert await scalar(conn, "SELECT current_setting('statement_timeout')") == "0"
            assert await scalar(conn, "SELECT count(*) FROM pg_listening_channels()") == 0


async def test_idle_connections_killed_by_the_server_are_never_lent(
    database_url: str, connect: Connect
) -> None:
    name = f"attune-async-{time.monotonic_ns()}"
    async with AsyncDatabase(
        database_url, min_size=2, max_size=2, connect_options={"application_name": name}
    ) as db:
        await db.pool.wait(timeout=10)
        killed = (
            connect(autocommit=True)
            .execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (name,),
            )
            .fetchone()
        )
        assert killed == (2,)
        await asyncio.sleep(0.2)
        for _ in range(4):
            async with db.connection() as conn:
                assert await scalar(conn, "SELECT 1") == 1


async def test_a_missing_database_fails_fast(database_url: str) -> None:
    missing = make_conninfo(database_url, dbname=f"attune_missing_{time.monotonic_ns()}")
    async with AsyncDatabase(missing, timeout=30, fail_fast=0.5) as db:
        started = time.monotonic()
        with pytest.raises(Unavailable, match="does not exist"):
            async with db.connection():
                pass
    assert time.monotonic() - started < 5


async def test_run_retries_transient_failures_and_returns_the_result(database_url: str) -> None:
    calls = 0

    async def flaky(conn: AsyncConn) -> int:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise LockTimeout("simulated")
        return int(await scalar(conn, "SELECT 7"))

    async with AsyncDatabase(database_url, max_size=1) as db:
        assert await db.run(flaky) == 7
        assert calls == 3

        async def duplicate(conn: AsyncConn) -> None:
            raise AlreadyExists("not transient")

        with pytest.raises(AlreadyExists):
            await db.run(duplicate)
        with pytest.raises(ValidationError):
            await db.run(flaky, retries=-1)


async def test_an_active_connection_killed_is_connection_lost(
    database_url: str, connect: Connect
) -> None:
    admin = connect(autocommit=True)
    async with AsyncDatabase(database_url, max_size=1) as db:
        with pytest.raises(ConnectionLost):
            async with db.connection() as conn:
                pid = conn.info.backend_pid

                async def kill() -> None:
                    await asyncio.sleep(0.2)
                    await asyncio.to_thread(
                        admin.execute, "SELECT pg_terminate_backend(%s)", (pid,)
                    )

                killer = asyncio.create_task(kill())
                await conn.execute(b"SELECT pg_sleep(5)")
        await killer
        async with db.connection() as conn:
            assert await scalar(conn, "SELECT 1") == 1


async def test_listen_connection_is_direct_and_autocommit(database_url: str) -> None:
    async with AsyncDatabase(database_url, max_size=1, listen_url=database_url) as db:
        conn = await db.listen_connection()
        try:
            assert conn.autocommit is True
            assert db.listen_url == database_url
        finally:
            await conn.close()
