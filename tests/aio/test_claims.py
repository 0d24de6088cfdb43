"""Claims exactly once across concurrent asyncio tasks, each on its own connection,
for both queues (created enforcements, requested executions)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from attune_common.repositories import (
    AsyncEnforcementRepository,
    AsyncExecutionRepository,
    CreateEnforcementInput,
    CreateExecutionInput,
    EnforcementRepository,
    ExecutionRepository,
)
from tests.aio.conftest import AConnect
from tests.builders import Conn, unique_ref

pytestmark = pytest.mark.asyncio

TASKS = 5


def enforcements(conn: Conn, ref: str, count: int) -> list[int]:
    inputs = [
        CreateEnforcementInput(rule_ref=ref, trigger_ref="p.t", payload={}) for _ in range(count)
    ]
    return [row.id for row in EnforcementRepository(conn).create_many(inputs)]


def executions(conn: Conn, ref: str, count: int) -> list[int]:
    inputs = [CreateExecutionInput(action_ref=ref) for _ in range(count)]
    return [row.id for row in ExecutionRepository(conn).create_many(inputs)]


async def claim_enforcements(aconn: Any, ref: str, limit: int) -> list[Any]:
    return await AsyncEnforcementRepository(aconn).claim_created(limit, rule_refs=[ref])


async def claim_executions(aconn: Any, ref: str, limit: int) -> list[Any]:
    return await AsyncExecutionRepository(aconn).claim_requested(limit, action_refs=[ref])


queues = pytest.mark.parametrize(
    ("make", "claim"),
    [(enforcements, claim_enforcements), (executions, claim_executions)],
    ids=["enforcement", "execution"],
)


@queues
async def test_claim_by_concurrent_tasks_is_exactly_once(
    conn: Conn, aconnect: AConnect, make: Any, claim: Any
) -> None:
    ref = unique_ref("queue")
    waiting = make(conn, ref, 120)
    conn.commit()

    async def worker() -> list[int]:
        aconn = await aconnect()
        claimed: list[int] = []
        while rows := await claim(aconn, ref, 7):
            claimed += [row.id for row in rows]
            await asyncio.sleep(0)  # let the others in between a claim and its commit
            await aconn.commit()
        return claimed

    claims = await asyncio.gather(*(worker() for _ in range(TASKS)))

    every_claim = [id for claimed in claims for id in claimed]
    assert len(every_claim) == len(set(every_claim)), "a row was claimed twice"
    assert sorted(every_claim) == sorted(waiting)
    assert sum(1 for claimed in claims if claimed) >= 2  # the work was shared


@queues
async def test_claim_held_by_an_open_transaction_is_skipped(
    conn: Conn, aconnect: AConnect, make: Any, claim: Any
) -> None:
    ref = unique_ref("queue")
    first, second = make(conn, ref, 2)
    conn.commit()
    holder, other = await aconnect(), await aconnect()

    held = await claim(holder, ref, 1)
    skipped = await asyncio.wait_for(claim(other, ref, 5), timeout=10)
    await holder.rollback()
    again = await claim(holder, ref, 5)

    assert [row.id for row in held] == [first]
    assert [row.id for row in skipped] == [second]
    assert [row.id for row in again] == [first]
