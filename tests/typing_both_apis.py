"""Checked by mypy --strict (`make lint`), never run: what users of both APIs see.

A `# type: ignore[...]` here marks a call that MUST be a type error: mypy's
warn_unused_ignores (part of --strict) fails the lint if it stops being one.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, assert_type

import psycopg

from attune_common.models import Enforcement, Event
from attune_common.notify import ChangeNotice, alisten
from attune_common.paging import Page
from attune_common.repositories import (
    AsyncEnforcementRepository,
    AsyncEventRepository,
    EnforcementRepository,
    EventRepository,
)


async def async_user(aconn: psycopg.AsyncConnection[Any], conn: psycopg.Connection[Any]) -> None:
    events = AsyncEventRepository(aconn)
    assert_type(events.get_by_id(1), Coroutine[Any, Any, Event]).close()
    assert_type(await events.get_by_id(1), Event)
    assert_type(await events.find_by_id(1), Event | None)
    assert_type(await events.list_page(limit=10), Page[Event])
    claimed = await AsyncEnforcementRepository(aconn).claim_created(2, rule_refs=["p.r"])
    assert_type(claimed, list[Enforcement])
    async for notice in await alisten(aconn, "attune_event"):
        assert_type(notice, ChangeNotice)
    AsyncEventRepository(conn)  # type: ignore[arg-type]


def sync_user(conn: psycopg.Connection[Any], aconn: psycopg.AsyncConnection[Any]) -> None:
    events = EventRepository(conn)
    assert_type(events.get_by_id(1), Event)
    assert_type(EnforcementRepository(conn).claim_created(2), list[Enforcement])
    EventRepository(aconn)  # type: ignore[arg-type]
