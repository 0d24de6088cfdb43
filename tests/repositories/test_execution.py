"""ExecutionRepository against the real database: CRUD, finders, and history rules
(links are SET NULL when their target goes, the action_ref copy stays)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import psycopg
import pytest

from attune_common.errors import NotFound, ReferenceViolation, ValidationError
from attune_common.models import Execution, ExecutionStatus
from attune_common.repositories import (
    ActionRepository,
    CreateExecutionInput,
    EnforcementRepository,
    ExecutionRepository,
    IdentityRepository,
    UpdateExecutionInput,
)
from tests.builders import (
    ActionFixture,
    EnforcementFixture,
    ExecutionFixture,
    IdentityFixture,
    unique_ref,
)

Conn = psycopg.Connection[Any]

MISSING_ID = 2**62


def ids(rows: list[Execution]) -> list[int]:
    return [row.id for row in rows]


def only(rows: list[Execution], mine: list[Execution]) -> list[int]:
    """The ids of `rows` that are among `mine`, in the order `rows` has them."""
    wanted = set(ids(mine))
    return [row.id for row in rows if row.id in wanted]


def newest_first(rows: list[Execution]) -> list[int]:
    """Ids as a newest-first list holds rows made in one transaction (same created)."""
    return sorted(ids(rows), reverse=True)


def transaction_now(conn: Conn) -> datetime:
    row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return cast(datetime, row[0])


# -- create ----------------------------------------------------------------------------


def test_create_minimal_applies_schema_defaults(conn: Conn) -> None:
    action_ref = unique_ref("action")

    execution = ExecutionRepository(conn).create(CreateExecutionInput(action_ref=action_ref))

    assert execution.id > 0
    assert execution.action_ref == action_ref
    assert execution.action is None
    assert execution.config is None
    assert execution.parent is None
    assert execution.enforcement is None
    assert execution.executor is None
    assert execution.status is ExecutionStatus.REQUESTED
    assert execution.result is None
    assert execution.created == execution.updated == transaction_now(conn)
    assert execution.created.tzinfo is not None


def test_create_full_round_trips_every_column(conn: Conn) -> None:
    action = ActionFixture.unique().create(conn)
    parent = ExecutionFixture.unique(action).create(conn)
    enforcement = EnforcementFixture.unique().create(conn)
    executor = IdentityFixture.unique().create(conn)
    data = CreateExecutionInput(
        action_ref=action.ref,
        action=action.id,
        config={"retries": 3, "env": {"A": "1"}},
        parent=parent.id,
        enforcement=enforcement.id,
        executor=executor.id,
        status=ExecutionStatus.RUNNING,
        result={"stdout": "ok", "lines": [1, 2]},
    )

    execution = ExecutionRepository(conn).create(data)

    assert (
        execution.action,
        execution.action_ref,
        execution.config,
        execution.parent,
        execution.enforcement,
        execution.executor,
        execution.status,
        execution.result,
    ) == (
        action.id,
        action.ref,
        {"retries": 3, "env": {"A": "1"}},
        parent.id,
        enforcement.id,
        executor.id,
        ExecutionStatus.RUNNING,
        {"stdout": "ok", "lines": [1, 2]},
    )
    assert ExecutionRepository(conn).get_by_id(execution.id) == execution


@pytest.mark.parametrize("status", list(ExecutionStatus))
def test_create_stores_each_status_as_enum_member(conn: Conn, status: ExecutionStatus) -> None:
    execution = ExecutionFixture.unique().with_status(status).create(conn)

    stored = ExecutionRepository(conn).get_by_id(execution.id)
    assert stored.status is status
    assert type(stored.status) is ExecutionStatus


def test_create_keeps_json_scalars_and_arrays(conn: Conn) -> None:
    execution = ExecutionFixture.unique().with_(config=[1, "two"], result="done").create(conn)

    stored = ExecutionRepository(conn).get_by_id(execution.id)
    assert (stored.config, stored.result) == ([1, "two"], "done")


@pytest.mark.parametrize("link", ["action", "parent", "enforcement", "executor"])
def test_create_with_missing_link_raises_reference_violation(conn: Conn, link: str) -> None:
    action_ref = unique_ref("action")
    repository = ExecutionRepository(conn)

    missing: dict[str, Any] = {link: MISSING_ID}

    with pytest.raises(ReferenceViolation) as raised, conn.transaction():
        repository.create(CreateExecutionInput(action_ref=action_ref, **missing))

    assert raised.value.constraint == f"execution_{link}_fkey"
    assert repository.find_by_action_ref(action_ref) == []


def test_create_with_unknown_status_raises_validation_error(conn: Conn) -> None:
    action_ref = unique_ref("action")
    repository = ExecutionRepository(conn)

    with pytest.raises(ValidationError), conn.transaction():
        repository.create(
            CreateExecutionInput(action_ref=action_ref, status=cast(ExecutionStatus, "lost"))
        )

    assert repository.find_by_action_ref(action_ref) == []


def test_create_with_result_json_cannot_hold_raises_validation_error(conn: Conn) -> None:
    action_ref = unique_ref("action")
    repository = ExecutionRepository(conn)

    with pytest.raises(ValidationError) as raised:
        repository.create(CreateExecutionInput(action_ref=action_ref, result={"x": float("nan")}))

    assert raised.value.column == "result"
    assert repository.find_by_action_ref(action_ref) == []


# -- read ------------------------------------------------------------------------------


def test_find_by_id_returns_the_row(conn: Conn) -> None:
    execution = ExecutionFixture.unique().create(conn)

    assert ExecutionRepository(conn).find_by_id(execution.id) == execution


def test_find_by_id_missing_returns_none(conn: Conn) -> None:
    assert ExecutionRepository(conn).find_by_id(MISSING_ID) is None


def test_get_by_id_missing_raises_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound) as raised:
        ExecutionRepository(conn).get_by_id(MISSING_ID)

    assert (raised.value.entity, raised.value.field, raised.value.value) == (
        "Execution",
        "id",
        MISSING_ID,
    )


def test_list_holds_mine_newest_first(conn: Conn) -> None:
    mine = [ExecutionFixture.unique().create(conn) for _ in range(3)]

    listed = ExecutionRepository(conn).list()

    assert only(listed, mine) == newest_first(mine)


def test_list_orders_by_created_before_id(conn: Conn) -> None:
    older, newer = (ExecutionFixture.unique().create(conn) for _ in range(2))
    # The row with the higher id is made older: created decides, not id.
    conn.execute(
        "UPDATE attune.execution SET created = created - interval '1 hour' WHERE id = %s",
        (newer.id,),
    )

    listed = ExecutionRepository(conn).list()

    assert only(listed, [older, newer]) == [older.id, newer.id]


def test_list_limit_and_offset_page_through_the_order(conn: Conn) -> None:
    # One snapshot for the whole test, so rows others commit meanwhile cannot shift pages.
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    for _ in range(3):
        ExecutionFixture.unique().create(conn)
    repository = ExecutionRepository(conn)

    first_three = repository.list(limit=3)
    second_page = repository.list(limit=2, offset=1)

    assert len(first_three) == 3
    assert second_page == first_three[1:3]


# -- update ----------------------------------------------------------------------------


def test_update_status_changes_only_status(conn: Conn) -> None:
    execution = ExecutionFixture.unique().with_result({"kept": True}).create(conn)

    updated = ExecutionRepository(conn).update(
        execution.id, UpdateExecutionInput(status=ExecutionStatus.COMPLETED)
    )

    assert updated.status is ExecutionStatus.COMPLETED
    assert updated.result == {"kept": True}
    assert ExecutionRepository(conn).get_by_id(execution.id) == updated


def test_update_result_changes_only_result(conn: Conn) -> None:
    execution = ExecutionFixture.unique().with_status(ExecutionStatus.RUNNING).create(conn)

    updated = ExecutionRepository(conn).update(
        execution.id, UpdateExecutionInput(result={"exit_code": 0})
    )

    assert updated.result == {"exit_code": 0}
    assert updated.status is ExecutionStatus.RUNNING


def test_update_status_and_result_together(conn: Conn) -> None:
    execution = ExecutionFixture.unique().create(conn)

    updated = ExecutionRepository(conn).update(
        execution.id, UpdateExecutionInput(status=ExecutionStatus.FAILED, result={"error": "x"})
    )

    assert (updated.status, updated.result) == (ExecutionStatus.FAILED, {"error": "x"})
    assert (updated.action_ref, updated.created) == (execution.action_ref, execution.created)


def test_update_nothing_returns_the_row_unchanged(conn: Conn) -> None:
    execution = ExecutionFixture.unique().with_result([1]).create(conn)

    assert ExecutionRepository(conn).update(execution.id, UpdateExecutionInput()) == execution


@pytest.mark.parametrize(
    "data",
    [UpdateExecutionInput(), UpdateExecutionInput(status=ExecutionStatus.RUNNING)],
    ids=["empty", "status"],
)
def test_update_missing_raises_not_found(conn: Conn, data: UpdateExecutionInput) -> None:
    with pytest.raises(NotFound) as raised:
        ExecutionRepository(conn).update(MISSING_ID, data)

    assert raised.value.value == MISSING_ID


def test_update_with_unknown_status_raises_and_leaves_row(conn: Conn) -> None:
    execution = ExecutionFixture.unique().create(conn)
    repository = ExecutionRepository(conn)

    with pytest.raises(ValidationError), conn.transaction():
        repository.update(execution.id, UpdateExecutionInput(status=cast(ExecutionStatus, "x")))

    assert repository.get_by_id(execution.id) == execution


# -- delete ----------------------------------------------------------------------------


def test_delete_removes_the_row(conn: Conn) -> None:
    execution = ExecutionFixture.unique().create(conn)
    repository = ExecutionRepository(conn)

    assert repository.delete(execution.id) is True
    assert repository.find_by_id(execution.id) is None


def test_delete_missing_returns_false(conn: Conn) -> None:
    assert ExecutionRepository(conn).delete(MISSING_ID) is False


def test_delete_action_keeps_execution_and_action_ref(conn: Conn) -> None:
    action = ActionFixture.unique().create(conn)
    execution = ExecutionFixture.unique(action).create(conn)

    assert ActionRepository(conn).delete(action.id)

    kept = ExecutionRepository(conn).get_by_id(execution.id)
    assert kept.action is None
    assert kept.action_ref == action.ref
    assert ids(ExecutionRepository(conn).find_by_action_ref(action.ref)) == [execution.id]


def test_delete_enforcement_sets_execution_enforcement_null(conn: Conn) -> None:
    enforcement = EnforcementFixture.unique().create(conn)
    execution = ExecutionFixture.unique(enforcement=enforcement).create(conn)

    assert EnforcementRepository(conn).delete(enforcement.id)

    kept = ExecutionRepository(conn).get_by_id(execution.id)
    assert kept.enforcement is None
    assert kept.action_ref == execution.action_ref


def test_delete_parent_sets_child_parent_null(conn: Conn) -> None:
    parent = ExecutionFixture.unique().create(conn)
    child = ExecutionFixture.unique(parent=parent).create(conn)
    repository = ExecutionRepository(conn)

    assert repository.delete(parent.id)

    assert repository.get_by_id(child.id).parent is None


def test_delete_executor_identity_sets_executor_null(conn: Conn) -> None:
    executor = IdentityFixture.unique().create(conn)
    execution = ExecutionFixture.unique().with_executor(executor.id).create(conn)

    assert IdentityRepository(conn).delete(executor.id)

    assert ExecutionRepository(conn).get_by_id(execution.id).executor is None


# -- finders ---------------------------------------------------------------------------


def test_find_by_status_returns_mine_with_that_status_newest_first(conn: Conn) -> None:
    running = [
        ExecutionFixture.unique().with_status(ExecutionStatus.RUNNING).create(conn)
        for _ in range(2)
    ]
    other = ExecutionFixture.unique().with_status(ExecutionStatus.SCHEDULED).create(conn)

    found = ExecutionRepository(conn).find_by_status(ExecutionStatus.RUNNING)

    assert all(row.status is ExecutionStatus.RUNNING for row in found)
    assert only(found, [*running, other]) == newest_first(running)


def test_find_by_status_respects_limit(conn: Conn) -> None:
    for _ in range(3):
        ExecutionFixture.unique().with_status(ExecutionStatus.CANCELING).create(conn)

    found = ExecutionRepository(conn).find_by_status(ExecutionStatus.CANCELING, limit=2)

    assert len(found) == 2


def test_find_by_enforcement_returns_only_its_executions_newest_first(conn: Conn) -> None:
    enforcement, other_enforcement = (EnforcementFixture.unique().create(conn) for _ in range(2))
    mine = [ExecutionFixture.unique(enforcement=enforcement).create(conn) for _ in range(3)]
    ExecutionFixture.unique(enforcement=other_enforcement).create(conn)
    ExecutionFixture.unique().create(conn)

    found = ExecutionRepository(conn).find_by_enforcement(enforcement.id)

    assert ids(found) == newest_first(mine)
    assert ids(ExecutionRepository(conn).find_by_enforcement(enforcement.id, limit=1)) == [
        max(ids(mine))
    ]


def test_find_by_enforcement_without_executions_is_empty(conn: Conn) -> None:
    enforcement = EnforcementFixture.unique().create(conn)

    assert ExecutionRepository(conn).find_by_enforcement(enforcement.id) == []


def test_find_children_returns_direct_children_only(conn: Conn) -> None:
    parent = ExecutionFixture.unique().create(conn)
    children = [ExecutionFixture.unique(parent=parent).create(conn) for _ in range(2)]
    ExecutionFixture.unique(parent=children[0]).create(conn)  # a grandchild
    ExecutionFixture.unique().create(conn)

    found = ExecutionRepository(conn).find_children(parent.id)

    assert ids(found) == newest_first(children)
    assert all(row.parent == parent.id for row in found)


def test_find_children_of_a_leaf_is_empty(conn: Conn) -> None:
    parent = ExecutionFixture.unique().create(conn)
    leaf = ExecutionFixture.unique(parent=parent).create(conn)

    assert ExecutionRepository(conn).find_children(leaf.id) == []


def test_find_by_action_ref_returns_only_that_ref_newest_first(conn: Conn) -> None:
    action = ActionFixture.unique().create(conn)
    mine = [ExecutionFixture.unique(action).create(conn) for _ in range(2)]
    ExecutionFixture.unique().create(conn)

    found = ExecutionRepository(conn).find_by_action_ref(action.ref)

    assert ids(found) == newest_first(mine)
    assert all(row.action_ref == action.ref for row in found)
