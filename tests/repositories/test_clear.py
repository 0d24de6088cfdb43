"""CLEAR in an update input sets a nullable column to NULL; None leaves it as it is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from attune_common.errors import ValidationError
from attune_common.models import InquiryStatus, WorkerStatus
from attune_common.repositories import (
    CLEAR,
    ActionRepository,
    EnforcementRepository,
    EventRepository,
    ExecutionRepository,
    IdentityRepository,
    InquiryRepository,
    KeyRepository,
    NotificationRepository,
    PackRepository,
    PermissionSetRepository,
    PolicyRepository,
    RuleRepository,
    RuntimeRepository,
    SensorRepository,
    TriggerRepository,
    UpdateActionInput,
    UpdateEnforcementInput,
    UpdateEventInput,
    UpdateExecutionInput,
    UpdateIdentityInput,
    UpdateInquiryInput,
    UpdateKeyInput,
    UpdateNotificationInput,
    UpdatePackInput,
    UpdatePermissionSetInput,
    UpdatePolicyInput,
    UpdateRuleInput,
    UpdateRuntimeInput,
    UpdateSensorInput,
    UpdateTriggerInput,
    UpdateWorkerInput,
    WorkerRepository,
)
from attune_common.statements import Clear
from tests.builders import (
    ActionFixture,
    EnforcementFixture,
    EventFixture,
    ExecutionFixture,
    IdentityFixture,
    InquiryFixture,
    KeyFixture,
    NotificationFixture,
    PackFixture,
    PermissionSetFixture,
    PolicyFixture,
    RuleFixture,
    RuntimeFixture,
    SensorFixture,
    TriggerFixture,
    WorkerFixture,
)

Conn = psycopg.Connection[Any]
A_TIME = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def runtime(conn: Conn) -> int:
    return RuntimeFixture.unique().create(conn).id


def identity(conn: Conn) -> int:
    return IdentityFixture.unique().create(conn).id


# (fixture, repository, update input, column, a non-null value; a callable makes it)
CASES: list[tuple[Any, Any, Any, str, Any]] = [
    (PackFixture.unique(), PackRepository, UpdatePackInput, "description", "a pack"),
    (RuntimeFixture.unique(), RuntimeRepository, UpdateRuntimeInput, "installation", {"pip": 1}),
    (WorkerFixture.unique(), WorkerRepository, UpdateWorkerInput, "host", "worker-1.local"),
    (WorkerFixture.unique(), WorkerRepository, UpdateWorkerInput, "port", 8080),
    (WorkerFixture.unique(), WorkerRepository, UpdateWorkerInput, "runtime", runtime),
    (WorkerFixture.unique(), WorkerRepository, UpdateWorkerInput, "status", WorkerStatus.BUSY),
    (WorkerFixture.unique(), WorkerRepository, UpdateWorkerInput, "last_heartbeat", A_TIME),
    (TriggerFixture.unique(), TriggerRepository, UpdateTriggerInput, "out_schema", {"a": 1}),
    (SensorFixture.unique(), SensorRepository, UpdateSensorInput, "config", {"every": 5}),
    (ActionFixture.unique(), ActionRepository, UpdateActionInput, "runtime", runtime),
    (RuleFixture.unique(), RuleRepository, UpdateRuleInput, "action_params", {"x": 1}),
    (PolicyFixture.unique(), PolicyRepository, UpdatePolicyInput, "description", "limits"),
    (IdentityFixture.unique(), IdentityRepository, UpdateIdentityInput, "display_name", "Ann"),
    (
        PermissionSetFixture.unique(),
        PermissionSetRepository,
        UpdatePermissionSetInput,
        "label",
        "L",
    ),
    (EventFixture.unique(), EventRepository, UpdateEventInput, "payload", {"p": 1}),
    (ExecutionFixture.unique(), ExecutionRepository, UpdateExecutionInput, "result", {"ok": 1}),
    (InquiryFixture.unique(), InquiryRepository, UpdateInquiryInput, "assigned_to", identity),
    (InquiryFixture.unique(), InquiryRepository, UpdateInquiryInput, "timeout_at", A_TIME),
    (NotificationFixture.unique(), NotificationRepository, UpdateNotificationInput, "content", [1]),
]


@pytest.mark.parametrize(
    ("fixture", "repository", "update", "column", "value"),
    CASES,
    ids=[f"{case[1].__name__.removesuffix('Repository')}.{case[3]}" for case in CASES],
)
def test_update_with_clear_sets_null_and_none_keeps(
    conn: Conn, fixture: Any, repository: Any, update: Any, column: str, value: Any
) -> None:
    value = value(conn) if isinstance(value, Callable) else value  # type: ignore[arg-type]
    row = fixture.with_(**{column: value}).create(conn)
    assert getattr(row, column) == value
    repo = repository(conn)
    assert getattr(repo.update(row.id, update()), column) == value  # None: unchanged
    cleared = repo.update(row.id, update(**{column: CLEAR}))
    assert getattr(cleared, column) is None
    assert getattr(repo.get_by_id(row.id), column) is None


def test_clear_and_set_in_one_update(conn: Conn) -> None:
    worker = WorkerFixture.unique().with_(host="old.local", port=9000).create(conn)
    updated = WorkerRepository(conn).update(worker.id, UpdateWorkerInput(host=CLEAR, port=9001))
    assert (updated.host, updated.port) == (None, 9001)


def test_clear_a_key_hash_of_an_encrypted_key_is_refused(conn: Conn) -> None:
    key = KeyFixture.unique().with_(encrypted=True, encryption_key_hash="ab" * 32).create(conn)
    repository = KeyRepository(conn)
    with pytest.raises(ValidationError) as refused, conn.transaction():
        repository.update(key.id, UpdateKeyInput(encryption_key_hash=CLEAR))
    assert refused.value.constraint == "key_encryption_key_hash"
    assert repository.get_by_id(key.id).encryption_key_hash == "ab" * 32


def test_clear_a_column_that_must_hold_a_value_is_refused(conn: Conn) -> None:
    enforcement = EnforcementFixture.unique().with_(payload={"kept": True}).create(conn)
    repository = EnforcementRepository(conn)
    with pytest.raises(ValidationError) as refused, conn.transaction():
        repository.update(enforcement.id, UpdateEnforcementInput(payload=CLEAR))  # type: ignore[arg-type]
    assert refused.value.column == "payload"
    assert repository.get_by_id(enforcement.id).payload == {"kept": True}


def test_clear_responded_at_while_responding_keeps_it_null(conn: Conn) -> None:
    inquiry = InquiryFixture.unique().create(conn)
    answered = InquiryRepository(conn).update(
        inquiry.id, UpdateInquiryInput(status=InquiryStatus.RESPONDED, responded_at=CLEAR)
    )
    assert (answered.status, answered.responded_at) == (InquiryStatus.RESPONDED, None)


def test_clear_reads_as_clear() -> None:
    assert repr(CLEAR) == "CLEAR"
    assert CLEAR is Clear.CLEAR
    assert "host=CLEAR, port=None" in repr(UpdateWorkerInput(host=CLEAR))
