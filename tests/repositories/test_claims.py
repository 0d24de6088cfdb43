"""Claiming work exactly once: several replicas draining the same queue of rows.

Both queues - created enforcements (`claim_created`) and requested executions
(`claim_requested`) - promise the same, so every scenario runs against both. Claims
filtered by ref run on the shared database (their refs are unique); claims of the
whole table run on an isolated database, since they would take other tests' rows.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from enum import Enum
from typing import Any

import psycopg
import pytest

from attune_common.models import EnforcementStatus, ExecutionStatus
from attune_common.repositories import (
    CreateEnforcementInput,
    CreateExecutionInput,
    EnforcementRepository,
    ExecutionRepository,
)
from tests.builders import EnforcementFixture, ExecutionFixture, unique_ref

Conn = psycopg.Connection[Any]


# -- the two queues ---------------------------------------------------------------------


def enforcements_of(conn: Conn, rule_ref: str, count: int) -> list[int]:
    created = EnforcementRepository(conn).create_many(
        [
            CreateEnforcementInput(rule_ref=rule_ref, trigger_ref="p.trigger", payload={"n": n})
            for n in range(count)
        ]
    )
    return [enforcement.id for enforcement in created]


def executions_of(conn: Conn, action_ref: str, count: int) -> list[int]:
    created = ExecutionRepository(conn).create_many(
        [CreateExecutionInput(action_ref=action_ref, config={"n": n}) for n in range(count)]
    )
    return [execution.id for execution in created]


# Module-level functions (not lambdas), so that spawned replica processes can take them.
def claim_enforcements(conn: Conn, refs: list[str] | None, limit: int) -> list[Any]:
    return EnforcementRepository(conn).claim_created(limit=limit, rule_refs=refs)


def claim_executions(conn: Conn, refs: list[str] | None, limit: int) -> list[Any]:
    return ExecutionRepository(conn).claim_requested(limit=limit, action_refs=refs)


@dataclass(frozen=True)
class Queue:
    """One kind of work to claim, and what claiming does to it."""

    kind: str  # what the refs name: "rule" or "action"
    make: Callable[[Conn, str, int], list[int]]  # `count` waiting rows of a ref, oldest first
    claim: Callable[[Conn, list[str] | None, int], list[Any]]
    repository: type[Any]
    fixture: Any
    ref_column: str
    waiting: Enum
    claimed: Enum

    def status_of(self, conn: Conn, id: int) -> Enum:
        status: Enum = self.repository(conn).get_by_id(id).status
        return status

    def of_ref(self, ref: str, status: Enum | None = None) -> Any:
        fields = {self.ref_column: ref} | ({"status": status} if status else {})
        return self.fixture.unique().with_(**fields)


ENFORCEMENTS = Queue(
    "rule",
    enforcements_of,
    claim_enforcements,
    EnforcementRepository,
    EnforcementFixture,
    "rule_ref",
    EnforcementStatus.CREATED,
    EnforcementStatus.PROCESSED,
)
EXECUTIONS = Queue(
    "action",
    executions_of,
    claim_executions,
    ExecutionRepository,
    ExecutionFixture,
    "action_ref",
    ExecutionStatus.REQUESTED,
    ExecutionStatus.SCHEDULING,
)

queues = pytest.mark.parametrize(
    "queue", [ENFORCEMENTS, EXECUTIONS], ids=["enforcement", "execution"]
)


def ids(rows: list[Any]) -> list[int]:
    return [row.id for row in rows]


def drain(url: str, claim: Any, ref: str, batch: int) -> list[int]:
    """A replica: claim and commit until nothing is left; the ids it claimed."""
    claimed: list[int] = []
    with psycopg.connect(url) as conn:
        while rows := claim(conn, [ref], batch):
            conn.commit()
            claimed.extend(ids(rows))
    return claimed


# -- scenarios ----------------------------------------------------------------------------


@queues
def test_claim_takes_the_oldest_first(conn: Conn, queue: Queue) -> None:
    ref = unique_ref(queue.kind)
    waiting = queue.make(conn, ref, 5)
    claims = [ids(queue.claim(conn, [ref], 2)) for _ in range(3)]
    assert claims == [waiting[0:2], waiting[2:4], waiting[4:5]]
    assert queue.claim(conn, [ref], 2) == []


@queues
def test_claim_moves_claimed_rows_on_and_leaves_the_rest(conn: Conn, queue: Queue) -> None:
    ref = unique_ref(queue.kind)
    waiting = queue.make(conn, ref, 3)
    (claimed,) = queue.claim(conn, [ref], 1)
    assert claimed.id == waiting[0]
    assert claimed.status is queue.claimed
    assert queue.status_of(conn, waiting[0]) is queue.claimed
    assert [queue.status_of(conn, id) for id in waiting[1:]] == [queue.waiting] * 2


@queues
def test_claim_returns_whole_rows(conn: Conn, queue: Queue) -> None:
    ref = unique_ref(queue.kind)
    original = queue.of_ref(ref).create(conn)
    (claimed,) = queue.claim(conn, [ref], 1)
    assert claimed == queue.repository(conn).get_by_id(original.id)
    assert (claimed.created, getattr(claimed, queue.ref_column)) == (original.created, ref)


@queues
def test_claim_skips_rows_past_waiting(conn: Conn, queue: Queue) -> None:
    ref = unique_ref(queue.kind)
    for status in type(queue.waiting):
        if status is not queue.waiting:
            queue.of_ref(ref, status).create(conn)
    waiting = queue.of_ref(ref).create(conn)
    assert ids(queue.claim(conn, [ref], 20)) == [waiting.id]


@queues
def test_claim_only_of_the_refs_given(conn: Conn, queue: Queue) -> None:
    mine, theirs, also_mine = (unique_ref(queue.kind) for _ in range(3))
    queue.make(conn, theirs, 2)
    expected = queue.make(conn, mine, 2) + queue.make(conn, also_mine, 1)
    claimed = queue.claim(conn, [mine, also_mine], 10)
    assert ids(claimed) == expected
    assert {getattr(row, queue.ref_column) for row in claimed} == {mine, also_mine}


@queues
def test_claim_of_no_refs_claims_nothing(conn: Conn, queue: Queue) -> None:
    queue.make(conn, unique_ref(queue.kind), 1)
    assert queue.claim(conn, [], 10) == []


@queues
def test_claim_does_not_wait_for_rows_another_transaction_holds(
    conn: Conn, connect: Any, queue: Queue
) -> None:
    ref = unique_ref(queue.kind)
    waiting = queue.make(conn, ref, 4)
    conn.commit()
    first, second = connect(), connect()
    second.execute("SET lock_timeout = '200ms'")  # a claim that waited would fail
    held = queue.claim(first, [ref], 2)
    taken = queue.claim(second, [ref], 10)
    assert ids(held) == waiting[:2]
    assert ids(taken) == waiting[2:]


@queues
def test_claim_rolled_back_is_claimable_again(conn: Conn, connect: Any, queue: Queue) -> None:
    ref = unique_ref(queue.kind)
    waiting = queue.make(conn, ref, 2)
    conn.commit()
    dying = connect()
    assert len(queue.claim(dying, [ref], 2)) == 2
    dying.rollback()  # a replica that failed before committing its claim
    assert ids(queue.claim(connect(), [ref], 2)) == waiting


@queues
def test_claim_by_a_closed_connection_returns_to_the_queue(
    conn: Conn, connect: Any, queue: Queue
) -> None:
    ref = unique_ref(queue.kind)
    waiting = queue.make(conn, ref, 1)
    conn.commit()
    crashed = connect()
    assert len(queue.claim(crashed, [ref], 1)) == 1
    crashed.close()  # the process died: PostgreSQL rolls its transaction back
    assert ids(queue.claim(connect(), [ref], 1)) == waiting


@queues
def test_claim_commits_nothing(conn: Conn, connect: Any, queue: Queue) -> None:
    ref = unique_ref(queue.kind)
    (waiting,) = queue.make(conn, ref, 1)
    conn.commit()
    queue.claim(conn, [ref], 1)
    assert queue.status_of(connect(), waiting) is queue.waiting
    conn.commit()
    assert queue.status_of(connect(), waiting) is queue.claimed


@queues
def test_claim_by_several_processes_is_exactly_once(
    conn: Conn, database_url: str, queue: Queue
) -> None:
    ref = unique_ref(queue.kind)
    waiting = queue.make(conn, ref, 250)
    conn.commit()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=3, mp_context=spawn) as replicas:
        claims = list(
            replicas.map(drain, [database_url] * 3, [queue.claim] * 3, [ref] * 3, [7] * 3)
        )
    every_claim = [id for claim in claims for id in claim]
    assert len(every_claim) == len(set(every_claim)), "a row was claimed twice"
    assert sorted(every_claim) == sorted(waiting)


@queues
@pytest.mark.parametrize("batch", [1, 1000])
def test_claim_without_a_filter_takes_the_oldest_of_the_table(
    isolated_database_url: str, queue: Queue, batch: int
) -> None:
    with psycopg.connect(isolated_database_url) as conn:
        waiting = queue.make(conn, unique_ref(queue.kind), 3)
        waiting += queue.make(conn, unique_ref(queue.kind), 3)
        claimed: list[int] = []
        while rows := queue.claim(conn, None, batch):
            claimed.extend(ids(rows))
        assert claimed == waiting
        assert {queue.status_of(conn, id) for id in waiting} == {queue.claimed}
