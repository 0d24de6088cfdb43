"""ExecutionRepository against the real database, beyond what every repository does
(test_common.py): defaults and round trips, status and result updates, finders, and
history rules (links are SET NULL when their target goes, the action_ref copy stays)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from attune_common.errors import ReferenceViolation, ValidationError
from attune_common.models import ExecutionStatus
from attune_common.repositories import (
    CLEAR,
    ActionRepository,
    CreateExecutionInput,
    EnforcementRepository,
    ExecutionRepository,
    IdentityRepository,
    UpdateExecutionInput,
)
from tests.builders import (
    ActionFixture,
    Conn,
    EnforcementFixture,
    ExecutionFixture,
    IdentityFixture,
    unique_ref,
)
from tests.helpers import MISSING_ID, ids, newest_first, only, transaction_now

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


def test_update_executor_sets_and_clears_it(conn: Conn) -> None:
    execution = ExecutionFixture.unique().create(conn)
    identity = IdentityFixture.unique().create(conn)
    repository = ExecutionRepository(conn)

    assigned = repository.update(execution.id, UpdateExecutionInput(executor=identity.id))
    assert assigned.executor == identity.id
    assert assigned.status is execution.status

    cleared = repository.update(execution.id, UpdateExecutionInput(executor=CLEAR))
    assert cleared.executor is None
    assert repository.get_by_id(execution.id) == cleared


def test_update_executor_to_a_missing_identity_raises_and_leaves_row(conn: Conn) -> None:
    execution = ExecutionFixture.unique().create(conn)
    repository = ExecutionRepository(conn)

    with pytest.raises(ReferenceViolation), conn.transaction():
        repository.update(execution.id, UpdateExecutionInput(executor=MISSING_ID))

    assert repository.get_by_id(execution.id) == execution


def test_update_with_unknown_status_raises_and_leaves_row(conn: Conn) -> None:
    execution = ExecutionFixture.unique().create(conn)
    repository = ExecutionRepository(conn)

    with pytest.raises(ValidationError), conn.transaction():
        repository.update(execution.id, UpdateExecutionInput(status=cast(ExecutionStatus, "x")))

    assert repository.get_by_id(execution.id) == execution


# -- delete ----------------------------------------------------------------------------


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
