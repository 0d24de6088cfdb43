"""What every repository has (SPEC §3), written once and run for all nineteen, through
the sync API and through the asyncio one (the `api` fixture, see `tests/apis.py`).

Each `Contract` says what the generic tests need to know of a repository: the builder
of its rows, its list order, its natural key (ref, login or name) if it has one, and
a non-empty update input if it can be updated. The tests generate only the cases that
apply: PermissionAssignment and QueueStats have no update, QueueStats is keyed by its
action's id and has `last_updated` instead of `updated`, and only definitions have a
natural key. What is particular to one repository stays in its own test_<entity>.py.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any

import pytest

import attune_common.repositories as repositories
from attune_common.errors import NotFound
from attune_common.models import EnforcementStatus, ExecutionStatus, NotificationStatus, Pack
from attune_common.repositories import (
    ActionRepository,
    ArtifactRepository,
    EnforcementRepository,
    EventRepository,
    ExecutionRepository,
    IdentityRepository,
    InquiryRepository,
    KeyRepository,
    NotificationRepository,
    PackRepository,
    PermissionAssignmentRepository,
    PermissionSetRepository,
    PolicyRepository,
    QueueStatsRepository,
    RuleRepository,
    RuntimeRepository,
    SensorRepository,
    TriggerRepository,
    UpdateActionInput,
    UpdateArtifactInput,
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
from attune_common.statements import NEWEST_FIRST
from tests.apis import open_repository
from tests.builders import (
    ActionFixture,
    ArtifactFixture,
    Conn,
    EnforcementFixture,
    EventFixture,
    ExecutionFixture,
    Fixture,
    IdentityFixture,
    InquiryFixture,
    KeyFixture,
    NotificationFixture,
    PackFixture,
    PermissionAssignmentFixture,
    PermissionSetFixture,
    PolicyFixture,
    QueueStatsFixture,
    RuleFixture,
    RuntimeFixture,
    SensorFixture,
    TriggerFixture,
    WorkerFixture,
    unique_name,
    unique_ref,
)
from tests.helpers import MISSING_ID, only, set_created, transaction_now

pytestmark = pytest.mark.usefixtures("api")  # every test runs for both APIs


def alone(unique: Callable[[], Fixture]) -> Callable[[Conn], Fixture]:
    return lambda conn: unique()


def in_a_pack(unique: Callable[[Pack], Fixture]) -> Callable[[Conn], Fixture]:
    """Builders of rows in one new pack: their refs share its ref as prefix."""
    return lambda conn: unique(PackFixture.unique().create(conn))


@dataclass(frozen=True)
class Contract:
    repository: type[Any]
    fixture: Callable[[Conn], Fixture]
    """A builder of rows with their shared parents made. Rows built from one builder
    with names that differ only in their last letter sort by that letter."""
    order: str
    """The column `list` orders by (ascending), or NEWEST_FIRST."""
    natural_key: str | None = None
    """The unique column of `find_by_<column>` / `get_by_<column>`."""
    update: Any = None
    """A non-empty update input; None for a repository without `update`."""
    stamp: str | None = "updated"
    """The column that records the last change, if the table has one."""

    @property
    def entity(self) -> str:
        return str(self.repository.table.entity)

    @property
    def key(self) -> str:
        return str(self.repository.table.key)

    def key_of(self, row: Any) -> Any:
        return getattr(row, self.key)

    def natural_finders(self, conn: Conn) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
        """`find_by_<natural key>` and `get_by_<natural key>` of a repository on `conn`."""
        assert self.natural_key is not None
        repository = open_repository(self.repository, conn)
        return (
            getattr(repository, f"find_by_{self.natural_key}"),
            getattr(repository, f"get_by_{self.natural_key}"),
        )

    def natural_key_of(self, row: Any) -> Any:
        assert self.natural_key is not None
        return getattr(row, self.natural_key)

    def make(self, conn: Conn) -> Any:
        return self.fixture(conn).create(conn)

    def make_three(self, conn: Conn) -> list[Any]:
        """Three rows, created in an order that is not their list order (but for
        QueueStats, listed by the ids of actions its builder makes in turn)."""
        builder, stem = self.fixture(conn), unique_name()
        return [dataclasses.replace(builder, name=f"{stem}{end}").create(conn) for end in "cab"]

    def in_list_order(self, rows: Iterable[Any]) -> list[Any]:
        if self.order == NEWEST_FIRST:
            return sorted(rows, key=lambda row: (row.created, row.id), reverse=True)
        return sorted(rows, key=attrgetter(self.order))

    def changes(self) -> dict[str, Any]:
        """The fields the update input sets."""
        return {
            field.name: value
            for field in dataclasses.fields(self.update)
            if (value := getattr(self.update, field.name)) is not None
        }


WHEN = datetime(2030, 5, 17, 8, 30, tzinfo=UTC)

CONTRACTS = [
    Contract(
        PackRepository,
        alone(PackFixture.unique),
        order="ref",
        natural_key="ref",
        update=UpdatePackInput(label="New"),
    ),
    Contract(
        RuntimeRepository,
        in_a_pack(RuntimeFixture.unique),
        order="ref",
        natural_key="ref",
        update=UpdateRuntimeInput(name="renamed"),
    ),
    Contract(
        WorkerRepository,
        alone(WorkerFixture.unique),
        order="name",
        natural_key="name",
        update=UpdateWorkerInput(host="moved.internal"),
    ),
    Contract(
        TriggerRepository,
        in_a_pack(TriggerFixture.unique),
        order="ref",
        natural_key="ref",
        update=UpdateTriggerInput(label="New"),
    ),
    Contract(
        SensorRepository,
        in_a_pack(SensorFixture.unique),
        order="ref",
        natural_key="ref",
        update=UpdateSensorInput(label="New"),
    ),
    Contract(
        ActionRepository,
        in_a_pack(ActionFixture.unique),
        order="ref",
        natural_key="ref",
        update=UpdateActionInput(label="New"),
    ),
    Contract(
        RuleRepository,
        in_a_pack(RuleFixture.unique),
        order="ref",
        natural_key="ref",
        update=UpdateRuleInput(label="New"),
    ),
    Contract(
        PolicyRepository,
        in_a_pack(PolicyFixture.unique),
        order="ref",
        natural_key="ref",
        update=UpdatePolicyInput(threshold=9),
    ),
    Contract(
        IdentityRepository,
        alone(IdentityFixture.unique),
        order="login",
        natural_key="login",
        update=UpdateIdentityInput(display_name="Renamed"),
    ),
    Contract(
        PermissionSetRepository,
        in_a_pack(PermissionSetFixture.unique),
        order="ref",
        natural_key="ref",
        update=UpdatePermissionSetInput(label="Operators"),
    ),
    Contract(
        PermissionAssignmentRepository,
        alone(PermissionAssignmentFixture.unique),
        order=NEWEST_FIRST,
        stamp=None,
    ),
    Contract(
        KeyRepository,
        alone(KeyFixture.unique),
        order="ref",
        natural_key="ref",
        update=UpdateKeyInput(value="new"),
    ),
    Contract(
        EventRepository,
        alone(EventFixture.unique),
        order=NEWEST_FIRST,
        update=UpdateEventInput(payload={"v": 2}),
    ),
    Contract(
        EnforcementRepository,
        alone(EnforcementFixture.unique),
        order=NEWEST_FIRST,
        update=UpdateEnforcementInput(status=EnforcementStatus.PROCESSED),
    ),
    Contract(
        ExecutionRepository,
        alone(ExecutionFixture.unique),
        order=NEWEST_FIRST,
        update=UpdateExecutionInput(status=ExecutionStatus.RUNNING),
    ),
    Contract(
        InquiryRepository,
        alone(InquiryFixture.unique),
        order=NEWEST_FIRST,
        update=UpdateInquiryInput(timeout_at=WHEN),
    ),
    Contract(
        NotificationRepository,
        alone(NotificationFixture.unique),
        order=NEWEST_FIRST,
        update=UpdateNotificationInput(state=NotificationStatus.QUEUED),
    ),
    Contract(
        ArtifactRepository,
        alone(ArtifactFixture.unique),
        order=NEWEST_FIRST,
        update=UpdateArtifactInput(retention_limit=5),
    ),
    # Keyed by its action's id; its rows are made by upsert, which is its create.
    Contract(
        QueueStatsRepository,
        alone(QueueStatsFixture.unique),
        order="action_id",
        stamp="last_updated",
    ),
]


def each(contracts: list[Contract]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize(
        "contract", contracts, ids=[contract.entity for contract in contracts]
    )


UPDATABLE = [contract for contract in CONTRACTS if contract.update is not None]
WITH_NATURAL_KEY = [contract for contract in CONTRACTS if contract.natural_key]
NEWEST_FIRST_LISTS = [contract for contract in CONTRACTS if contract.order == NEWEST_FIRST]


def sorted_as_database(conn: Conn, texts: list[str]) -> list[str]:
    """`texts` in the order ORDER BY gives them under the database's collation."""
    row = conn.execute(
        "SELECT array(SELECT t FROM unnest(%s::text[]) AS t ORDER BY t)", (texts,)
    ).fetchone()
    assert row is not None
    return list(row[0])


def assert_in_list_order(contract: Contract, conn: Conn, rows: list[Any]) -> None:
    if contract.order == NEWEST_FIRST:
        stamps = [(row.created, row.id) for row in rows]
        assert stamps == sorted(stamps, reverse=True)
        return
    keys = [getattr(row, contract.order) for row in rows]
    # Text sorts by the database's collation, which need not be Python's order.
    textual = all(isinstance(key, str) for key in keys)
    assert keys == (sorted_as_database(conn, keys) if textual else sorted(keys))


def test_contracts_cover_every_repository() -> None:
    exported = {
        value
        for name, value in vars(repositories).items()
        if name.endswith("Repository") and not name.startswith("Async")
    }
    assert {contract.repository for contract in CONTRACTS} == exported
    assert len(CONTRACTS) == len(exported) == 19
    for contract in CONTRACTS:
        assert (contract.update is not None) == hasattr(contract.repository, "update")
        if contract.natural_key:
            assert hasattr(contract.repository, f"get_by_{contract.natural_key}")


# -- create and read ---------------------------------------------------------------------


@each(CONTRACTS)
def test_create_returns_the_stored_row(contract: Contract, conn: Conn) -> None:
    row = contract.make(conn)

    assert contract.key_of(row) > 0
    assert open_repository(contract.repository, conn).get_by_id(contract.key_of(row)) == row
    assert row.created.tzinfo is not None
    assert row.created == transaction_now(conn)
    if contract.stamp:
        assert getattr(row, contract.stamp) == row.created


@each(CONTRACTS)
def test_find_by_id_returns_the_row(contract: Contract, conn: Conn) -> None:
    row, other = contract.make(conn), contract.make(conn)
    repository = open_repository(contract.repository, conn)

    assert repository.find_by_id(contract.key_of(row)) == row
    assert repository.get_by_id(contract.key_of(row)) == row
    assert repository.find_by_id(contract.key_of(other)) == other


@each(CONTRACTS)
def test_find_by_id_missing_returns_none(contract: Contract, conn: Conn) -> None:
    assert open_repository(contract.repository, conn).find_by_id(MISSING_ID) is None


@each(CONTRACTS)
def test_get_by_id_missing_raises_not_found(contract: Contract, conn: Conn) -> None:
    with pytest.raises(NotFound) as caught:
        open_repository(contract.repository, conn).get_by_id(MISSING_ID)

    error = caught.value
    assert (error.entity, error.field, error.value) == (contract.entity, contract.key, MISSING_ID)


@each(WITH_NATURAL_KEY)
def test_find_by_natural_key_returns_the_row(contract: Contract, conn: Conn) -> None:
    row, other = contract.make(conn), contract.make(conn)
    find, get = contract.natural_finders(conn)

    assert find(contract.natural_key_of(row)) == row
    assert get(contract.natural_key_of(row)) == row
    assert find(contract.natural_key_of(other)) == other


@each(WITH_NATURAL_KEY)
def test_find_by_natural_key_missing_returns_none(contract: Contract, conn: Conn) -> None:
    find, _ = contract.natural_finders(conn)

    assert find(unique_ref("absent")) is None


@each(WITH_NATURAL_KEY)
def test_get_by_natural_key_missing_raises_not_found(contract: Contract, conn: Conn) -> None:
    _, get = contract.natural_finders(conn)
    absent = unique_ref("absent")

    with pytest.raises(NotFound) as caught:
        get(absent)

    error = caught.value
    assert (error.entity, error.field, error.value) == (
        contract.entity,
        contract.natural_key,
        absent,
    )


# -- list and count ----------------------------------------------------------------------


@each(CONTRACTS)
def test_list_holds_mine_in_list_order(contract: Contract, snapshot: Conn) -> None:
    made = contract.make_three(snapshot)
    repository = open_repository(contract.repository, snapshot)

    everything = repository.list(limit=repository.count())

    assert [row for row in everything if row in made] == contract.in_list_order(made)
    assert_in_list_order(contract, snapshot, everything)


@each(CONTRACTS)
def test_list_pages_with_limit_and_offset(contract: Contract, snapshot: Conn) -> None:
    a, b, c = contract.in_list_order(contract.make_three(snapshot))
    repository = open_repository(contract.repository, snapshot)
    everything = repository.list(limit=repository.count())
    start = everything.index(a)

    assert everything[start : start + 3] == [a, b, c]  # neighbours: one prefix, one time
    assert repository.list(limit=2, offset=start) == [a, b]
    assert repository.list(limit=2, offset=start + 1) == [b, c]
    assert repository.list(limit=1, offset=start + 2) == [c]
    assert repository.list(limit=0) == []
    assert repository.list(offset=len(everything)) == []


@each(NEWEST_FIRST_LISTS)
def test_list_orders_by_created_before_id(contract: Contract, snapshot: Conn) -> None:
    older, newer = contract.make(snapshot), contract.make(snapshot)
    # The row with the higher id is made older: created decides, not the id.
    set_created(
        snapshot, contract.repository.table.name, [newer.id], older.created - timedelta(hours=1)
    )
    repository = open_repository(contract.repository, snapshot)

    everything = repository.list(limit=repository.count())

    assert only(everything, [older, newer]) == [older.id, newer.id]


@each(CONTRACTS)
def test_count_follows_creates_and_deletes(contract: Contract, snapshot: Conn) -> None:
    repository = open_repository(contract.repository, snapshot)
    before = repository.count()

    row = contract.make(snapshot)
    assert repository.count() == before + 1

    repository.delete(contract.key_of(row))
    assert repository.count() == before


# -- update ------------------------------------------------------------------------------


@each(UPDATABLE)
def test_update_returns_the_stored_row_with_the_changes(contract: Contract, conn: Conn) -> None:
    row = contract.make(conn)
    repository = open_repository(contract.repository, conn)

    updated = repository.update(contract.key_of(row), contract.update)

    # In one transaction `updated` stays now(), as it was at the insert.
    assert updated == dataclasses.replace(row, **contract.changes())
    assert repository.get_by_id(contract.key_of(row)) == updated


@each(UPDATABLE)
def test_update_nothing_returns_the_row_unchanged(contract: Contract, conn: Conn) -> None:
    row = contract.make(conn)
    repository = open_repository(contract.repository, conn)

    assert repository.update(contract.key_of(row), type(contract.update)()) == row
    assert repository.get_by_id(contract.key_of(row)) == row


@pytest.mark.parametrize(
    ("contract", "data"),
    [
        pair
        for contract in UPDATABLE
        for pair in ((contract, contract.update), (contract, type(contract.update)()))
    ],
    ids=[f"{contract.entity}-{case}" for contract in UPDATABLE for case in ("change", "empty")],
)
def test_update_missing_raises_not_found(contract: Contract, data: Any, conn: Conn) -> None:
    with pytest.raises(NotFound) as caught:
        open_repository(contract.repository, conn).update(MISSING_ID, data)

    error = caught.value
    assert (error.entity, error.field, error.value) == (contract.entity, contract.key, MISSING_ID)


@each(UPDATABLE)
def test_update_moves_updated_in_a_later_transaction(contract: Contract, conn: Conn) -> None:
    row = contract.make(conn)
    repository = open_repository(contract.repository, conn)
    conn.commit()
    try:
        updated = repository.update(contract.key_of(row), contract.update)

        assert updated.updated.tzinfo is not None
        assert updated.updated > row.updated
        assert updated.created == row.created
        assert repository.get_by_id(contract.key_of(row)) == updated
    finally:
        conn.rollback()
        repository.delete(contract.key_of(row))
        conn.commit()


# -- delete ------------------------------------------------------------------------------


@each(CONTRACTS)
def test_delete_removes_the_row(contract: Contract, conn: Conn) -> None:
    row, other = contract.make(conn), contract.make(conn)
    repository = open_repository(contract.repository, conn)

    assert repository.delete(contract.key_of(row)) is True

    assert repository.find_by_id(contract.key_of(row)) is None
    assert repository.delete(contract.key_of(row)) is False
    assert repository.find_by_id(contract.key_of(other)) == other


@each(CONTRACTS)
def test_delete_missing_returns_false(contract: Contract, conn: Conn) -> None:
    assert open_repository(contract.repository, conn).delete(MISSING_ID) is False


def public_methods(cls: type[Any]) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


@each(CONTRACTS)
def test_the_async_twin_has_the_same_methods_as_coroutines(contract: Contract) -> None:
    sync = contract.repository
    twin = getattr(repositories, f"Async{sync.__name__}")
    methods = public_methods(sync)

    assert public_methods(twin) == methods
    assert len(methods) >= 6
    for name in methods:
        assert inspect.iscoroutinefunction(getattr(twin, name)), name
        assert not inspect.iscoroutinefunction(getattr(sync, name)), name
