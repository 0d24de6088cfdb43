"""What a claim checks, and that a claim that cannot return its rows has not claimed
them (issue 8): run for both claims and both APIs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import psycopg.types.datetime
import pytest
from psycopg.abc import Buffer
from psycopg.adapt import Loader

from attune_common.errors import ValidationError
from attune_common.models import EnforcementStatus, ExecutionStatus
from attune_common.repositories import EnforcementRepository, ExecutionRepository
from tests.apis import open_repository
from tests.builders import Conn, EnforcementFixture, ExecutionFixture, unique_ref

pytestmark = pytest.mark.usefixtures("api")


@dataclass(frozen=True)
class Claim:
    method: str  # of the repository
    refs_name: str  # its refs argument
    fixture: Any
    ref_column: str
    repository: Any
    waiting: Enum

    def __call__(self, conn: Conn, limit: Any, refs: Any) -> list[Any]:
        claim = getattr(open_repository(self.repository, conn), self.method)
        return list(claim(limit, **{self.refs_name: refs}))

    def make(self, conn: Conn, ref: str) -> Any:
        return (
            self.fixture.unique().with_(**{self.ref_column: ref, "config": {"n": 1}}).create(conn)
        )


CLAIMS = [
    Claim(
        "claim_created",
        "rule_refs",
        EnforcementFixture,
        "rule_ref",
        EnforcementRepository,
        EnforcementStatus.CREATED,
    ),
    Claim(
        "claim_requested",
        "action_refs",
        ExecutionFixture,
        "action_ref",
        ExecutionRepository,
        ExecutionStatus.REQUESTED,
    ),
]
each_claim = pytest.mark.parametrize("claim", CLAIMS, ids=[c.method for c in CLAIMS])


@each_claim
@pytest.mark.parametrize("limit", [None, 2.0, "3", True])
def test_claim_limit_not_an_int_raises_type_error(conn: Conn, claim: Claim, limit: Any) -> None:
    with pytest.raises(TypeError, match="limit must be an int"):
        claim(conn, limit, [unique_ref()])


@each_claim
@pytest.mark.parametrize("limit", [0, -1])
def test_claim_limit_below_one_raises_validation_error(
    conn: Conn, claim: Claim, limit: int
) -> None:
    with pytest.raises(ValidationError, match="at least 1"):
        claim(conn, limit, [unique_ref()])


@each_claim
@pytest.mark.parametrize("refs", ["abc", b"abc", 7, {"a.b"}, ["a.b", 3]])
def test_claim_refs_not_a_list_of_str_raises_type_error(
    conn: Conn, claim: Claim, refs: Any
) -> None:
    ref = unique_ref()
    waiting = claim.make(conn, "abc")  # what a str read as a list of refs would claim
    with pytest.raises(TypeError, match=claim.refs_name):
        claim(conn, 1, refs)
    assert open_repository(claim.repository, conn).get_by_id(waiting.id) == waiting
    assert claim(conn, 1, [ref]) == []


@each_claim
def test_claim_refs_as_a_tuple_are_read_as_refs(conn: Conn, claim: Claim) -> None:
    ref = unique_ref()
    waiting = claim.make(conn, ref)

    assert [row.id for row in claim(conn, 5, (ref,))] == [waiting.id]


class Unreadable(Loader):
    def load(self, data: Buffer) -> Any:
        raise ValueError("this row cannot be read")


@each_claim
def test_claim_that_cannot_return_its_rows_claims_nothing(
    conn: Conn, connect: Any, claim: Claim
) -> None:
    ref = unique_ref()
    waiting = claim.make(conn, ref)
    conn.commit()
    conn.adapters.register_loader("timestamptz", Unreadable)  # every claimed row has one

    with pytest.raises(Exception, match="cannot be read"):
        claim(conn, 1, [ref])
    conn.commit()  # a caller that swallowed the error and went on

    other = connect()
    try:
        assert claim.repository(other).get_by_id(waiting.id).status is claim.waiting
        assert [row.id for row in claim(other, 1, [ref])] == [waiting.id]
    finally:
        other.rollback()
        claim.repository(other).delete(waiting.id)
        other.commit()


@each_claim
def test_claim_that_cannot_return_its_rows_inside_a_transaction_undoes_only_itself(
    conn: Conn, connect: Any, claim: Claim
) -> None:
    ref = unique_ref()
    waiting = claim.make(conn, ref)
    conn.commit()
    earlier = claim.make(conn, unique_ref())  # the caller's own work, still open
    conn.adapters.register_loader("timestamptz", Unreadable)

    with pytest.raises(Exception, match="cannot be read"):
        claim(conn, 1, [ref])
    conn.adapters.register_loader("timestamptz", psycopg.types.datetime.TimestamptzLoader)
    conn.commit()  # the caller swallowed the error and committed its transaction

    other = connect()
    try:
        assert claim.repository(other).find_by_id(earlier.id) is not None  # kept
        assert claim.repository(other).get_by_id(waiting.id).status is claim.waiting
    finally:
        other.rollback()
        for row in (waiting, earlier):
            claim.repository(other).delete(row.id)
        other.commit()
