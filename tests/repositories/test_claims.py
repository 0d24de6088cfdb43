"""Claiming work exactly once: several replicas draining the same queue of rows.

Claims filtered by rule run on the shared database (their rule refs are unique);
claims of the whole table run on an isolated database, since they would take other
tests' rows.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
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


def queue_of(conn: Conn, rule_ref: str, count: int) -> list[int]:
    """`count` created enforcements of one rule, oldest first."""
    created = EnforcementRepository(conn).create_many(
        [
            CreateEnforcementInput(rule_ref=rule_ref, trigger_ref="p.trigger", payload={"n": n})
            for n in range(count)
        ]
    )
    return [enforcement.id for enforcement in created]


def status_of(conn: Conn, enforcement_id: int) -> EnforcementStatus:
    return EnforcementRepository(conn).get_by_id(enforcement_id).status


def claim_enforcements(conn: Conn, ref: str, batch: int) -> list[Any]:
    return EnforcementRepository(conn).claim_created(limit=batch, rule_refs=[ref])


def claim_executions(conn: Conn, ref: str, batch: int) -> list[Any]:
    return ExecutionRepository(conn).claim_requested(limit=batch, action_refs=[ref])


def drain(url: str, claim: Any, ref: str, batch: int) -> list[int]:
    """A replica: claim (`claim_enforcements` or `claim_executions`) and commit until
    nothing is left; the ids it claimed."""
    claimed: list[int] = []
    with psycopg.connect(url) as conn:
        while rows := claim(conn, ref, batch):
            conn.commit()
            claimed.extend(row.id for row in rows)
    return claimed


def drain_with_replicas(url: str, claim: Any, ref: str, batch: int) -> list[list[int]]:
    """What three replica processes, draining one queue at once, each claimed."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=3, mp_context=spawn) as replicas:
        return list(replicas.map(drain, [url] * 3, [claim] * 3, [ref] * 3, [batch] * 3))


def test_claim_created_takes_the_oldest_first(conn: Conn) -> None:
    rule_ref = unique_ref("rule")
    queue = queue_of(conn, rule_ref, 5)
    repository = EnforcementRepository(conn)
    first = repository.claim_created(limit=2, rule_refs=[rule_ref])
    second = repository.claim_created(limit=2, rule_refs=[rule_ref])
    third = repository.claim_created(limit=2, rule_refs=[rule_ref])
    assert [[row.id for row in claim] for claim in (first, second, third)] == [
        queue[0:2],
        queue[2:4],
        queue[4:5],
    ]
    assert repository.claim_created(limit=2, rule_refs=[rule_ref]) == []


def test_claim_created_marks_claimed_rows_processed(conn: Conn) -> None:
    rule_ref = unique_ref("rule")
    queue = queue_of(conn, rule_ref, 3)
    (claimed,) = EnforcementRepository(conn).claim_created(rule_refs=[rule_ref])
    assert claimed.id == queue[0]
    assert claimed.status is EnforcementStatus.PROCESSED
    assert status_of(conn, queue[0]) is EnforcementStatus.PROCESSED
    assert [status_of(conn, id) for id in queue[1:]] == [EnforcementStatus.CREATED] * 2


def test_claim_created_returns_whole_rows(conn: Conn) -> None:
    rule_ref = unique_ref("rule")
    original = EnforcementFixture.unique().with_(rule_ref=rule_ref, payload={"k": "v"}).create(conn)
    (claimed,) = EnforcementRepository(conn).claim_created(rule_refs=[rule_ref])
    assert claimed == EnforcementRepository(conn).get_by_id(original.id)
    assert (claimed.payload, claimed.trigger_ref) == (original.payload, original.trigger_ref)


def test_claim_created_skips_processed_and_disabled(conn: Conn) -> None:
    rule_ref = unique_ref("rule")
    for status in (EnforcementStatus.PROCESSED, EnforcementStatus.DISABLED):
        EnforcementFixture.unique().with_(rule_ref=rule_ref, status=status).create(conn)
    waiting = EnforcementFixture.unique().with_(rule_ref=rule_ref).create(conn)
    claimed = EnforcementRepository(conn).claim_created(limit=10, rule_refs=[rule_ref])
    assert [row.id for row in claimed] == [waiting.id]


def test_claim_created_only_of_the_rules_given(conn: Conn) -> None:
    mine, theirs, also_mine = unique_ref("rule"), unique_ref("rule"), unique_ref("rule")
    queue_of(conn, theirs, 2)
    expected = queue_of(conn, mine, 2) + queue_of(conn, also_mine, 1)
    claimed = EnforcementRepository(conn).claim_created(limit=10, rule_refs=[mine, also_mine])
    assert sorted(row.id for row in claimed) == sorted(expected)
    assert {row.rule_ref for row in claimed} == {mine, also_mine}


def test_claim_created_of_no_rules_claims_nothing(conn: Conn) -> None:
    queue_of(conn, unique_ref("rule"), 1)
    assert EnforcementRepository(conn).claim_created(limit=10, rule_refs=[]) == []


def test_claim_created_does_not_see_rows_another_transaction_holds(
    conn: Conn, connect: Any
) -> None:
    rule_ref = unique_ref("rule")
    queue = queue_of(conn, rule_ref, 4)
    conn.commit()
    first, second = connect(), connect()
    second.execute("SET lock_timeout = '200ms'")  # a claim that waited would fail
    held = EnforcementRepository(first).claim_created(limit=2, rule_refs=[rule_ref])
    taken = EnforcementRepository(second).claim_created(limit=10, rule_refs=[rule_ref])
    assert [row.id for row in held] == queue[:2]
    assert [row.id for row in taken] == queue[2:]


def test_claim_created_rolled_back_is_claimable_again(conn: Conn, connect: Any) -> None:
    rule_ref = unique_ref("rule")
    queue = queue_of(conn, rule_ref, 2)
    conn.commit()
    dying = connect()
    EnforcementRepository(dying).claim_created(limit=2, rule_refs=[rule_ref])
    dying.rollback()  # a replica that failed before committing its claim
    survivor = connect()
    again = EnforcementRepository(survivor).claim_created(limit=2, rule_refs=[rule_ref])
    assert [row.id for row in again] == queue


def test_claim_created_by_a_closed_connection_returns_to_the_queue(
    conn: Conn, connect: Any
) -> None:
    rule_ref = unique_ref("rule")
    queue = queue_of(conn, rule_ref, 1)
    conn.commit()
    crashed = connect()
    EnforcementRepository(crashed).claim_created(rule_refs=[rule_ref])
    crashed.close()  # the process died: PostgreSQL rolls its transaction back
    again = EnforcementRepository(connect()).claim_created(rule_refs=[rule_ref])
    assert [row.id for row in again] == queue


def test_claim_created_commits_nothing(conn: Conn, connect: Any) -> None:
    rule_ref = unique_ref("rule")
    queue = queue_of(conn, rule_ref, 1)
    conn.commit()
    EnforcementRepository(conn).claim_created(rule_refs=[rule_ref])
    assert status_of(connect(), queue[0]) is EnforcementStatus.CREATED
    conn.commit()
    assert status_of(connect(), queue[0]) is EnforcementStatus.PROCESSED


def test_claim_created_by_several_processes_is_exactly_once(conn: Conn, database_url: str) -> None:
    rule_ref = unique_ref("rule")
    queue = queue_of(conn, rule_ref, 300)
    conn.commit()
    claims = drain_with_replicas(database_url, claim_enforcements, rule_ref, 7)
    every_claim = [id for claim in claims for id in claim]
    assert len(every_claim) == len(set(every_claim)), "an enforcement was claimed twice"
    assert sorted(every_claim) == sorted(queue)


@pytest.mark.parametrize("batch", [1, 1000])
def test_claim_created_without_a_filter_takes_the_oldest_of_the_table(
    isolated_database_url: str, batch: int
) -> None:
    with psycopg.connect(isolated_database_url) as conn:
        queue = queue_of(conn, unique_ref("rule"), 3) + queue_of(conn, unique_ref("rule"), 3)
        repository = EnforcementRepository(conn)
        claimed: list[int] = []
        while rows := repository.claim_created(limit=batch):
            claimed.extend(row.id for row in rows)
        assert claimed == queue
        assert {status_of(conn, id) for id in queue} == {EnforcementStatus.PROCESSED}


# -- executions ------------------------------------------------------------------------


def requested(conn: Conn, action_ref: str, count: int) -> list[int]:
    """`count` requested executions of one action, oldest first."""
    created = ExecutionRepository(conn).create_many(
        [CreateExecutionInput(action_ref=action_ref, config={"n": n}) for n in range(count)]
    )
    return [execution.id for execution in created]


def test_claim_requested_takes_the_oldest_first_and_schedules_them(conn: Conn) -> None:
    action_ref = unique_ref("action")
    queue = requested(conn, action_ref, 3)
    repository = ExecutionRepository(conn)
    first = repository.claim_requested(limit=2, action_refs=[action_ref])
    assert [row.id for row in first] == queue[:2]
    assert {row.status for row in first} == {ExecutionStatus.SCHEDULING}
    assert repository.get_by_id(queue[2]).status is ExecutionStatus.REQUESTED
    assert [row.id for row in repository.claim_requested(5, [action_ref])] == queue[2:]


def test_claim_requested_skips_executions_past_requested(conn: Conn) -> None:
    action_ref = unique_ref("action")
    for status in ExecutionStatus:
        if status is not ExecutionStatus.REQUESTED:
            ExecutionFixture.unique().with_(action_ref=action_ref, status=status).create(conn)
    (waiting,) = requested(conn, action_ref, 1)
    claimed = ExecutionRepository(conn).claim_requested(limit=20, action_refs=[action_ref])
    assert [row.id for row in claimed] == [waiting]


def test_claim_requested_only_of_the_actions_given(conn: Conn) -> None:
    mine, theirs = unique_ref("action"), unique_ref("action")
    requested(conn, theirs, 2)
    expected = requested(conn, mine, 2)
    claimed = ExecutionRepository(conn).claim_requested(limit=10, action_refs=[mine])
    assert [row.id for row in claimed] == expected


def test_claim_requested_rolled_back_is_claimable_again(conn: Conn, connect: Any) -> None:
    action_ref = unique_ref("action")
    queue = requested(conn, action_ref, 2)
    conn.commit()
    dying = connect()
    assert len(ExecutionRepository(dying).claim_requested(2, [action_ref])) == 2
    dying.rollback()
    again = ExecutionRepository(connect()).claim_requested(2, [action_ref])
    assert [row.id for row in again] == queue


def test_claim_requested_does_not_wait_for_rows_another_transaction_holds(
    conn: Conn, connect: Any
) -> None:
    action_ref = unique_ref("action")
    queue = requested(conn, action_ref, 3)
    conn.commit()
    first, second = connect(), connect()
    second.execute("SET lock_timeout = '200ms'")
    held = ExecutionRepository(first).claim_requested(1, [action_ref])
    taken = ExecutionRepository(second).claim_requested(10, [action_ref])
    assert [row.id for row in held] == queue[:1]
    assert [row.id for row in taken] == queue[1:]


def test_claim_requested_by_several_processes_is_exactly_once(
    conn: Conn, database_url: str
) -> None:
    action_ref = unique_ref("action")
    queue = requested(conn, action_ref, 200)
    conn.commit()
    claims = drain_with_replicas(database_url, claim_executions, action_ref, 5)
    every_claim = [id for claim in claims for id in claim]
    assert len(every_claim) == len(set(every_claim)), "an execution was claimed twice"
    assert sorted(every_claim) == sorted(queue)


def test_claim_requested_without_a_filter_takes_the_oldest_of_the_table(
    isolated_database_url: str,
) -> None:
    with psycopg.connect(isolated_database_url) as conn:
        queue = requested(conn, unique_ref("action"), 2) + requested(conn, unique_ref("action"), 2)
        claimed = ExecutionRepository(conn).claim_requested(limit=10)
        assert [row.id for row in claimed] == queue
