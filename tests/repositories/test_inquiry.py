"""InquiryRepository against the real database, beyond what every repository does
(test_common.py): defaults and round trips, finders, the responded_at rule, and what
happens when the execution or the assigned identity is deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from attune_common.errors import NotFound, ReferenceViolation, ValidationError
from attune_common.models import InquiryStatus
from attune_common.repositories import (
    CreateInquiryInput,
    ExecutionRepository,
    IdentityRepository,
    InquiryRepository,
    UpdateInquiryInput,
)
from tests.builders import Conn, ExecutionFixture, IdentityFixture, InquiryFixture
from tests.helpers import MISSING_ID, ids, newest_first, only, transaction_now

WHEN = datetime(2030, 5, 17, 8, 30, tzinfo=UTC)


# -- create ----------------------------------------------------------------------------


def test_create_minimal_applies_schema_defaults(conn: Conn) -> None:
    execution = ExecutionFixture.unique().create(conn)

    inquiry = InquiryRepository(conn).create(
        CreateInquiryInput(execution=execution.id, prompt="Deploy?")
    )

    assert (inquiry.execution, inquiry.prompt) == (execution.id, "Deploy?")
    assert inquiry.response_schema is None
    assert inquiry.assigned_to is None
    assert inquiry.status is InquiryStatus.PENDING
    assert inquiry.response is None
    assert inquiry.timeout_at is None
    assert inquiry.responded_at is None
    assert inquiry.created == inquiry.updated == transaction_now(conn)


def test_create_full_round_trips_every_column(conn: Conn) -> None:
    execution = ExecutionFixture.unique().create(conn)
    approver = IdentityFixture.unique().create(conn)
    schema = {"type": "object", "properties": {"approved": {"type": "boolean"}}}
    data = CreateInquiryInput(
        execution=execution.id,
        prompt="Approve the rollout?",
        response_schema=schema,
        assigned_to=approver.id,
        status=InquiryStatus.RESPONDED,
        response={"approved": True},
        timeout_at=WHEN,
        responded_at=WHEN - timedelta(minutes=5),
    )

    inquiry = InquiryRepository(conn).create(data)

    assert (
        inquiry.response_schema,
        inquiry.assigned_to,
        inquiry.status,
        inquiry.response,
        inquiry.timeout_at,
        inquiry.responded_at,
    ) == (
        schema,
        approver.id,
        InquiryStatus.RESPONDED,
        {"approved": True},
        WHEN,
        WHEN - timedelta(minutes=5),
    )
    assert InquiryRepository(conn).get_by_id(inquiry.id) == inquiry


@pytest.mark.parametrize("status", list(InquiryStatus))
def test_create_stores_each_status_as_enum_member(conn: Conn, status: InquiryStatus) -> None:
    inquiry = InquiryFixture.unique().with_status(status).create(conn)

    stored = InquiryRepository(conn).get_by_id(inquiry.id)
    assert stored.status is status
    assert type(stored.status) is InquiryStatus


def test_create_for_missing_execution_raises_reference_violation(conn: Conn) -> None:
    repository = InquiryRepository(conn)

    with pytest.raises(ReferenceViolation) as raised, conn.transaction():
        repository.create(CreateInquiryInput(execution=MISSING_ID, prompt="?"))

    assert raised.value.constraint == "inquiry_execution_fkey"
    assert repository.find_by_execution(MISSING_ID) == []


def test_create_without_execution_raises_validation_error(conn: Conn) -> None:
    with pytest.raises(ValidationError) as raised, conn.transaction():
        InquiryRepository(conn).create(CreateInquiryInput(execution=cast(int, None), prompt="?"))

    assert raised.value.column == "execution"


def test_create_for_missing_assignee_raises_and_stores_nothing(conn: Conn) -> None:
    execution = ExecutionFixture.unique().create(conn)
    repository = InquiryRepository(conn)

    with pytest.raises(ReferenceViolation) as raised, conn.transaction():
        repository.create(
            CreateInquiryInput(execution=execution.id, prompt="?", assigned_to=MISSING_ID)
        )

    assert raised.value.constraint == "inquiry_assigned_to_fkey"
    assert repository.find_by_execution(execution.id) == []


# -- update ----------------------------------------------------------------------------


def test_update_assigned_to_changes_only_assignee(conn: Conn) -> None:
    inquiry = InquiryFixture.unique().create(conn)
    approver = IdentityFixture.unique().create(conn)

    updated = InquiryRepository(conn).update(
        inquiry.id, UpdateInquiryInput(assigned_to=approver.id)
    )

    assert updated.assigned_to == approver.id
    assert (updated.status, updated.responded_at) == (InquiryStatus.PENDING, None)


def test_update_timeout_at_changes_only_timeout(conn: Conn) -> None:
    inquiry = InquiryFixture.unique().create(conn)

    updated = InquiryRepository(conn).update(inquiry.id, UpdateInquiryInput(timeout_at=WHEN))

    assert updated.timeout_at == WHEN
    assert (updated.prompt, updated.status) == (inquiry.prompt, InquiryStatus.PENDING)


def test_update_response_alone_keeps_status_and_leaves_responded_at(conn: Conn) -> None:
    inquiry = InquiryFixture.unique().create(conn)

    updated = InquiryRepository(conn).update(inquiry.id, UpdateInquiryInput(response={"a": 1}))

    assert updated.response == {"a": 1}
    assert (updated.status, updated.responded_at) == (InquiryStatus.PENDING, None)


def test_update_to_responded_stamps_responded_at_with_now(conn: Conn) -> None:
    inquiry = InquiryFixture.unique().create(conn)

    updated = InquiryRepository(conn).update(
        inquiry.id, UpdateInquiryInput(status=InquiryStatus.RESPONDED, response={"ok": True})
    )

    assert updated.status is InquiryStatus.RESPONDED
    assert updated.response == {"ok": True}
    assert updated.responded_at == transaction_now(conn)
    assert InquiryRepository(conn).get_by_id(inquiry.id) == updated


def test_update_to_responded_keeps_a_given_responded_at(conn: Conn) -> None:
    inquiry = InquiryFixture.unique().create(conn)

    updated = InquiryRepository(conn).update(
        inquiry.id, UpdateInquiryInput(status=InquiryStatus.RESPONDED, responded_at=WHEN)
    )

    assert (updated.status, updated.responded_at) == (InquiryStatus.RESPONDED, WHEN)


@pytest.mark.parametrize("status", [InquiryStatus.TIMEOUT, InquiryStatus.CANCELLED])
def test_update_to_other_status_leaves_responded_at(conn: Conn, status: InquiryStatus) -> None:
    inquiry = InquiryFixture.unique().create(conn)

    updated = InquiryRepository(conn).update(inquiry.id, UpdateInquiryInput(status=status))

    assert (updated.status, updated.responded_at) == (status, None)


def test_update_responded_at_alone_stores_it(conn: Conn) -> None:
    inquiry = InquiryFixture.unique().with_status(InquiryStatus.RESPONDED).create(conn)

    updated = InquiryRepository(conn).update(inquiry.id, UpdateInquiryInput(responded_at=WHEN))

    assert (updated.status, updated.responded_at) == (InquiryStatus.RESPONDED, WHEN)


def test_update_missing_to_responded_raises_not_found(conn: Conn) -> None:
    # Responding also stamps responded_at: another statement than a plain update's.
    data = UpdateInquiryInput(status=InquiryStatus.RESPONDED)

    with pytest.raises(NotFound) as raised:
        InquiryRepository(conn).update(MISSING_ID, data)

    assert raised.value.value == MISSING_ID


def test_update_to_missing_assignee_raises_and_leaves_row(conn: Conn) -> None:
    inquiry = InquiryFixture.unique().create(conn)
    repository = InquiryRepository(conn)

    with pytest.raises(ReferenceViolation), conn.transaction():
        repository.update(
            inquiry.id,
            UpdateInquiryInput(status=InquiryStatus.RESPONDED, assigned_to=MISSING_ID),
        )

    assert repository.get_by_id(inquiry.id) == inquiry


def test_respond_records_status_response_and_time(conn: Conn) -> None:
    inquiry = InquiryFixture.unique().create(conn)

    answered = InquiryRepository(conn).respond(inquiry.id, {"approved": False})

    assert answered.status is InquiryStatus.RESPONDED
    assert answered.response == {"approved": False}
    assert answered.responded_at == transaction_now(conn)


def test_respond_keeps_a_given_time(conn: Conn) -> None:
    inquiry = InquiryFixture.unique().create(conn)

    answered = InquiryRepository(conn).respond(inquiry.id, "yes", responded_at=WHEN)

    assert (answered.response, answered.responded_at) == ("yes", WHEN)


def test_respond_to_missing_inquiry_raises_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound):
        InquiryRepository(conn).respond(MISSING_ID, {"approved": True})


# -- delete ----------------------------------------------------------------------------


def test_delete_execution_removes_its_inquiries(conn: Conn) -> None:
    execution = ExecutionFixture.unique().create(conn)
    doomed = [InquiryFixture.unique(execution).create(conn) for _ in range(2)]
    survivor = InquiryFixture.unique().create(conn)
    repository = InquiryRepository(conn)

    assert ExecutionRepository(conn).delete(execution.id)

    assert [repository.find_by_id(inquiry.id) for inquiry in doomed] == [None, None]
    assert repository.get_by_id(survivor.id) == survivor


def test_delete_assignee_sets_assigned_to_null(conn: Conn) -> None:
    approver = IdentityFixture.unique().create(conn)
    inquiry = InquiryFixture.unique().with_assigned_to(approver.id).create(conn)

    assert IdentityRepository(conn).delete(approver.id)

    kept = InquiryRepository(conn).get_by_id(inquiry.id)
    assert kept.assigned_to is None
    assert kept.execution == inquiry.execution


# -- finders ---------------------------------------------------------------------------


def test_find_by_status_returns_mine_with_that_status_newest_first(conn: Conn) -> None:
    timed_out = [
        InquiryFixture.unique().with_status(InquiryStatus.TIMEOUT).create(conn) for _ in range(2)
    ]
    pending = InquiryFixture.unique().create(conn)

    found = InquiryRepository(conn).find_by_status(InquiryStatus.TIMEOUT)

    assert all(row.status is InquiryStatus.TIMEOUT for row in found)
    assert only(found, [*timed_out, pending]) == newest_first(timed_out)


def test_find_by_status_respects_limit(conn: Conn) -> None:
    for _ in range(3):
        InquiryFixture.unique().with_status(InquiryStatus.CANCELLED).create(conn)

    assert len(InquiryRepository(conn).find_by_status(InquiryStatus.CANCELLED, limit=2)) == 2


def test_find_by_execution_returns_only_its_inquiries_newest_first(conn: Conn) -> None:
    execution = ExecutionFixture.unique().create(conn)
    mine = [InquiryFixture.unique(execution).create(conn) for _ in range(3)]
    InquiryFixture.unique().create(conn)
    repository = InquiryRepository(conn)

    assert ids(repository.find_by_execution(execution.id)) == newest_first(mine)
    assert ids(repository.find_by_execution(execution.id, limit=2)) == newest_first(mine)[:2]


def test_find_by_execution_without_inquiries_is_empty(conn: Conn) -> None:
    execution = ExecutionFixture.unique().create(conn)

    assert InquiryRepository(conn).find_by_execution(execution.id) == []
