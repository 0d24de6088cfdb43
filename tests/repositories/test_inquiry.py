"""InquiryRepository against the real database: CRUD, finders, the responded_at rule,
and what happens when the execution or the assigned identity is deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import psycopg
import pytest

from attune_common.errors import NotFound, ReferenceViolation, ValidationError
from attune_common.models import Inquiry, InquiryStatus
from attune_common.repositories import (
    CreateInquiryInput,
    ExecutionRepository,
    IdentityRepository,
    InquiryRepository,
    UpdateInquiryInput,
)
from tests.builders import ExecutionFixture, IdentityFixture, InquiryFixture

Conn = psycopg.Connection[Any]

MISSING_ID = 2**62
WHEN = datetime(2030, 5, 17, 8, 30, tzinfo=UTC)


def ids(rows: list[Inquiry]) -> list[int]:
    return [row.id for row in rows]


def only(rows: list[Inquiry], mine: list[Inquiry]) -> list[int]:
    """The ids of `rows` that are among `mine`, in the order `rows` has them."""
    wanted = set(ids(mine))
    return [row.id for row in rows if row.id in wanted]


def newest_first(rows: list[Inquiry]) -> list[int]:
    """Ids as a newest-first list holds rows made in one transaction (same created)."""
    return sorted(ids(rows), reverse=True)


def transaction_now(conn: Conn) -> datetime:
    row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return cast(datetime, row[0])


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


# -- read ------------------------------------------------------------------------------


def test_find_by_id_returns_the_row(conn: Conn) -> None:
    inquiry = InquiryFixture.unique().create(conn)

    assert InquiryRepository(conn).find_by_id(inquiry.id) == inquiry


def test_find_by_id_missing_returns_none(conn: Conn) -> None:
    assert InquiryRepository(conn).find_by_id(MISSING_ID) is None


def test_get_by_id_missing_raises_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound) as raised:
        InquiryRepository(conn).get_by_id(MISSING_ID)

    assert (raised.value.entity, raised.value.field) == ("Inquiry", "id")


def test_list_holds_mine_newest_first(conn: Conn) -> None:
    mine = [InquiryFixture.unique().create(conn) for _ in range(3)]

    assert only(InquiryRepository(conn).list(), mine) == newest_first(mine)


def test_list_orders_by_created_before_id(conn: Conn) -> None:
    older, newer = (InquiryFixture.unique().create(conn) for _ in range(2))
    conn.execute(
        "UPDATE attune.inquiry SET created = created - interval '1 hour' WHERE id = %s",
        (newer.id,),
    )

    assert only(InquiryRepository(conn).list(), [older, newer]) == [older.id, newer.id]


def test_list_limit_and_offset_page_through_the_order(conn: Conn) -> None:
    # One snapshot for the whole test, so rows others commit meanwhile cannot shift pages.
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    for _ in range(3):
        InquiryFixture.unique().create(conn)
    repository = InquiryRepository(conn)

    first_three = repository.list(limit=3)

    assert len(first_three) == 3
    assert repository.list(limit=2, offset=1) == first_three[1:3]


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


def test_update_nothing_returns_the_row_unchanged(conn: Conn) -> None:
    inquiry = InquiryFixture.unique().with_response({"x": 1}).create(conn)

    assert InquiryRepository(conn).update(inquiry.id, UpdateInquiryInput()) == inquiry


@pytest.mark.parametrize(
    "data",
    [UpdateInquiryInput(), UpdateInquiryInput(status=InquiryStatus.RESPONDED)],
    ids=["empty", "responding"],
)
def test_update_missing_raises_not_found(conn: Conn, data: UpdateInquiryInput) -> None:
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


def test_delete_removes_the_row(conn: Conn) -> None:
    inquiry = InquiryFixture.unique().create(conn)
    repository = InquiryRepository(conn)

    assert repository.delete(inquiry.id) is True
    assert repository.find_by_id(inquiry.id) is None


def test_delete_missing_returns_false(conn: Conn) -> None:
    assert InquiryRepository(conn).delete(MISSING_ID) is False


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
