"""WorkerRepository beyond what every repository does (test_common.py): round trips, the
status/type finders, heartbeats, the port range and the enum labels."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from attune_common.errors import AlreadyExists, NotFound, ReferenceViolation, ValidationError
from attune_common.models import Worker, WorkerStatus, WorkerType
from attune_common.repositories import (
    CreateWorkerInput,
    RuntimeRepository,
    UpdateWorkerInput,
    WorkerRepository,
)
from tests.builders import Conn, RuntimeFixture, WorkerFixture, unique_name
from tests.helpers import MISSING_ID, transaction_now


def _workers_named(conn: Conn, base: str, suffixes: str, **fields: Any) -> list[Worker]:
    """One worker per suffix, created in the given order, named `worker-<base>-<suffix>`."""
    return [
        WorkerFixture(name=f"{base}-{suffix}").with_(**fields).create(conn) for suffix in suffixes
    ]


# -- create ----------------------------------------------------------------------------


def test_create_minimal_uses_schema_defaults(conn: Conn) -> None:
    name = unique_name("worker")
    worker = WorkerRepository(conn).create(
        CreateWorkerInput(name=name, worker_type=WorkerType.REMOTE)
    )
    assert worker.id > 0
    assert (worker.name, worker.worker_type) == (name, WorkerType.REMOTE)
    assert worker.status is WorkerStatus.INACTIVE
    assert (worker.runtime, worker.host, worker.port) == (None, None, None)
    assert (worker.capabilities, worker.meta, worker.last_heartbeat) == (None, None, None)
    assert worker.created.tzinfo is not None
    assert worker.updated == worker.created


def test_create_full_round_trips_every_field(conn: Conn) -> None:
    repository = WorkerRepository(conn)
    runtime = RuntimeFixture.unique().create(conn)
    data = CreateWorkerInput(
        name=unique_name("worker"),
        worker_type=WorkerType.CONTAINER,
        runtime=runtime.id,
        host="worker-1.internal",
        port=8443,
        status=WorkerStatus.BUSY,
        capabilities={"max_concurrent": 4, "runtimes": ["python", "shell"]},
        meta={"zone": "eu-west-1"},
        last_heartbeat=datetime(2024, 5, 17, 12, 30, 15, 123456, tzinfo=UTC),
    )
    worker = repository.create(data)
    for column in (
        "name",
        "worker_type",
        "runtime",
        "host",
        "port",
        "status",
        "capabilities",
        "meta",
        "last_heartbeat",
    ):
        assert getattr(worker, column) == getattr(data, column), column
    assert isinstance(worker.worker_type, WorkerType)
    assert isinstance(worker.status, WorkerStatus)
    assert repository.get_by_id(worker.id) == worker


def test_create_duplicate_name_raises_already_exists(conn: Conn) -> None:
    repository = WorkerRepository(conn)
    worker = WorkerFixture.unique().create(conn)
    with pytest.raises(AlreadyExists) as info, conn.transaction():
        repository.create(CreateWorkerInput(name=worker.name, worker_type=WorkerType.REMOTE))
    assert info.value.constraint == "worker_name_key"
    assert repository.get_by_name(worker.name) == worker


@pytest.mark.parametrize("port", [1, 65535])
def test_create_port_at_range_bounds_accepted(conn: Conn, port: int) -> None:
    worker = WorkerFixture.unique().with_port(port).create(conn)
    assert WorkerRepository(conn).get_by_id(worker.id).port == port


@pytest.mark.parametrize("port", [0, 65536, -80])
def test_create_port_out_of_range_raises_validation_error(conn: Conn, port: int) -> None:
    repository = WorkerRepository(conn)
    name = unique_name("worker")
    with pytest.raises(ValidationError) as info, conn.transaction():
        repository.create(CreateWorkerInput(name=name, worker_type=WorkerType.LOCAL, port=port))
    assert info.value.constraint == "worker_port_range"
    assert repository.find_by_name(name) is None


def test_create_port_beyond_integer_raises_validation_error(conn: Conn) -> None:
    repository = WorkerRepository(conn)
    name = unique_name("worker")
    with pytest.raises(ValidationError), conn.transaction():
        repository.create(CreateWorkerInput(name=name, worker_type=WorkerType.LOCAL, port=2**31))
    assert repository.find_by_name(name) is None


@pytest.mark.parametrize(
    "fields",
    [{"worker_type": "vm"}, {"worker_type": "LOCAL"}, {"status": "sleeping"}],
    ids=["unknown-type", "type-by-member-name", "unknown-status"],
)
def test_create_unknown_enum_label_raises_validation_error(
    conn: Conn, fields: dict[str, str]
) -> None:
    repository = WorkerRepository(conn)
    name = unique_name("worker")
    data: dict[str, Any] = {"name": name, "worker_type": WorkerType.LOCAL, **fields}
    with pytest.raises(ValidationError), conn.transaction():
        repository.create(CreateWorkerInput(**data))
    assert repository.find_by_name(name) is None


def test_create_missing_runtime_raises_reference_violation(conn: Conn) -> None:
    repository = WorkerRepository(conn)
    name = unique_name("worker")
    with pytest.raises(ReferenceViolation) as info, conn.transaction():
        repository.create(
            CreateWorkerInput(name=name, worker_type=WorkerType.LOCAL, runtime=MISSING_ID)
        )
    assert info.value.constraint == "worker_runtime_fkey"
    assert repository.find_by_name(name) is None


# -- update ----------------------------------------------------------------------------


# One new value per column; parametrized by column name alone, since the new name is
# random and xdist workers must collect the same test ids.
NEW_VALUES: dict[str, Any] = {
    "name": f"renamed-{unique_name()}",
    "worker_type": WorkerType.CONTAINER,
    "host": "10.0.0.7",
    "port": 65535,
    "status": WorkerStatus.ERROR,
    "capabilities": {"gpu": True},
    "meta": ["any", "json"],
    "last_heartbeat": datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
}


@pytest.mark.parametrize("column", NEW_VALUES)
def test_update_each_field_changes_only_that_field(conn: Conn, column: str) -> None:
    value = NEW_VALUES[column]
    repository = WorkerRepository(conn)
    worker = WorkerFixture.unique().with_(host="before", port=22).create(conn)
    updated = repository.update(worker.id, UpdateWorkerInput(**{column: value}))
    assert getattr(updated, column) == value
    assert updated == replace(worker, **{column: value})
    assert repository.get_by_id(worker.id) == updated


def test_update_runtime_moves_worker_to_another_runtime(conn: Conn) -> None:
    repository = WorkerRepository(conn)
    worker = WorkerFixture.unique(RuntimeFixture.unique().create(conn)).create(conn)
    other = RuntimeFixture.unique().create(conn)
    updated = repository.update(worker.id, UpdateWorkerInput(runtime=other.id))
    assert updated == replace(worker, runtime=other.id)


def test_update_port_out_of_range_refused_and_row_unchanged(conn: Conn) -> None:
    repository = WorkerRepository(conn)
    worker = WorkerFixture.unique().with_port(8080).create(conn)
    with pytest.raises(ValidationError) as info, conn.transaction():
        repository.update(worker.id, UpdateWorkerInput(host="changed too", port=70000))
    assert info.value.constraint == "worker_port_range"
    assert repository.get_by_id(worker.id) == worker


def test_update_to_taken_name_raises_already_exists(conn: Conn) -> None:
    repository = WorkerRepository(conn)
    taken = WorkerFixture.unique().create(conn)
    worker = WorkerFixture.unique().create(conn)
    with pytest.raises(AlreadyExists) as info, conn.transaction():
        repository.update(worker.id, UpdateWorkerInput(name=taken.name))
    assert info.value.constraint == "worker_name_key"
    assert repository.get_by_id(worker.id) == worker


# -- heartbeat -------------------------------------------------------------------------


def test_update_heartbeat_sets_last_heartbeat_to_now(conn: Conn) -> None:
    repository = WorkerRepository(conn)
    worker = WorkerFixture.unique().with_status(WorkerStatus.ACTIVE).create(conn)
    beaten = repository.update_heartbeat(worker.id)
    assert beaten.last_heartbeat == transaction_now(conn)
    assert beaten == replace(worker, last_heartbeat=beaten.last_heartbeat)
    assert repository.get_by_id(worker.id) == beaten


def test_update_heartbeat_missing_id_raises_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound) as info:
        WorkerRepository(conn).update_heartbeat(MISSING_ID)
    assert (info.value.entity, info.value.field, info.value.value) == ("Worker", "id", MISSING_ID)


def test_update_heartbeat_in_later_transaction_moves_forward(conn: Conn) -> None:
    repository = WorkerRepository(conn)
    worker = WorkerFixture.unique().create(conn)
    first = repository.update_heartbeat(worker.id)
    conn.commit()
    try:
        second = repository.update_heartbeat(worker.id)
        assert first.last_heartbeat is not None
        assert second.last_heartbeat is not None
        assert second.last_heartbeat > first.last_heartbeat
        assert second.updated > first.updated
    finally:
        conn.rollback()
        repository.delete(worker.id)
        conn.commit()


# -- delete ----------------------------------------------------------------------------


def test_delete_keeps_its_runtime(conn: Conn) -> None:
    runtime = RuntimeFixture.unique().create(conn)
    worker = WorkerFixture.unique(runtime).create(conn)
    WorkerRepository(conn).delete(worker.id)
    assert RuntimeRepository(conn).get_by_id(runtime.id) == runtime


# -- finders ---------------------------------------------------------------------------


# Both finders filter on one enum column: (finder, column, a value of its enum).
ENUM_FINDERS = [("find_by_status", "status", value) for value in WorkerStatus] + [
    ("find_by_type", "worker_type", value) for value in WorkerType
]


@pytest.mark.parametrize(("finder", "column", "value"), ENUM_FINDERS)
def test_enum_finder_returns_workers_with_that_value_in_name_order(
    snapshot: Conn, finder: str, column: str, value: Any
) -> None:
    repository = WorkerRepository(snapshot)
    base = unique_name()
    other = next(v for v in type(value) if v is not value)
    b, a = _workers_named(snapshot, base, "ba", **{column: value})
    _workers_named(snapshot, base, "c", **{column: other})
    found = getattr(repository, finder)(value, limit=repository.count())
    assert all(getattr(worker, column) is value for worker in found)
    assert [worker.name for worker in found] == sorted(w.name for w in found)
    assert [worker for worker in found if base in worker.name] == [a, b]


@pytest.mark.parametrize(
    ("finder", "column", "value"),
    [
        ("find_by_status", "status", WorkerStatus.BUSY),
        ("find_by_type", "worker_type", WorkerType.REMOTE),
    ],
)
def test_enum_finder_respects_limit(conn: Conn, finder: str, column: str, value: Any) -> None:
    _workers_named(conn, unique_name(), "ab", **{column: value})
    found = getattr(WorkerRepository(conn), finder)(value, limit=1)
    assert len(found) == 1
    assert getattr(found[0], column) is value
