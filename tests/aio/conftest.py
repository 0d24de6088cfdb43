"""Fixtures of the asyncio-native tests: real `AsyncConnection`s, closed after the test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import psycopg
import pytest_asyncio

AConn = psycopg.AsyncConnection[Any]
AConnect = Callable[..., Awaitable[AConn]]


@pytest_asyncio.fixture
async def aconnect(database_url: str) -> AsyncIterator[AConnect]:
    """Open async connections to the test database; all are closed after the test."""
    opened: list[AConn] = []

    async def open_connection(**kwargs: Any) -> AConn:
        aconn = await psycopg.AsyncConnection.connect(database_url, **kwargs)
        opened.append(aconn)
        return aconn

    yield open_connection
    for aconn in opened:
        await aconn.close()


@pytest_asyncio.fixture
async def aconn(aconnect: AConnect) -> AConn:
    """An async connection in a transaction that is rolled back after the test."""
    return await aconnect()
