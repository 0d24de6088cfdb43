"""RuntimeRepository beyond what every repository does (test_common.py): the ref rule,
round trips, find_by_pack, and what deleting a runtime does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from attune_common.errors import AlreadyExists, ReferenceViolation, ValidationError
from attune_common.models import RuntimeType
from attune_common.repositories import (
    ActionRepository,
    CreateRuntimeInput,
    EventRepository,
    PackRepository,
    RuntimeRepository,
    SensorRepository,
    UpdateRuntimeInput,
    WorkerRepository,
)
from tests.builders import (
    ActionFixture,
    Conn,
    EventFixture,
    PackFixture,
    RuntimeFixture,
    SensorFixture,
    WorkerFixture,
    unique_name,
)
from tests.helpers import MISSING_ID


def _runtime_input(ref: str, **fields: Any) -> CreateRuntimeInput:
    data: dict[str, Any] = {
        "ref": ref,
        "runtime_type": RuntimeType.ACTION,
        "name": "python",
        "distributions": {"python": ">=3.11"},
    }
    return CreateRuntimeInput(**{**data, **fields})


# -- create ----------------------------------------------------------------------------


def test_create_minimal_uses_schema_defaults(conn: Conn) -> None:
    ref = f"{unique_name('p')}.action.python"
    runtime = RuntimeRepository(conn).create(_runtime_input(ref))
    assert runtime.id > 0
    assert (runtime.ref, runtime.runtime_type, runtime.name) == (ref, RuntimeType.ACTION, "python")
    assert runtime.distributions == {"python": ">=3.11"}
    assert (runtime.pack, runtime.pack_ref, runtime.description, runtime.installation) == (
        None,
        None,
        None,
        None,
    )
    assert runtime.created.tzinfo is not None
    assert runtime.updated == runtime.created


def test_create_full_round_trips_every_field(conn: Conn) -> None:
    repository = RuntimeRepository(conn)
    pack = PackFixture.unique().create(conn)
    data = CreateRuntimeInput(
        ref=f"{pack.ref}.sensor.node",
        runtime_type=RuntimeType.SENSOR,
        name="Node.js",
        distributions=[{"os": "debian", "package": "nodejs"}, {"os": "alpine"}],
        pack=pack.id,
        pack_ref=pack.ref,
        description="runs sensors on node",
        installation={"steps": ["apt-get install nodejs"], "timeout": 60},
    )
    runtime = repository.create(data)
    for column in (
        "ref",
        "runtime_type",
        "name",
        "distributions",
        "pack",
        "pack_ref",
        "description",
        "installation",
    ):
        assert getattr(runtime, column) == getattr(data, column), column
    assert isinstance(runtime.runtime_type, RuntimeType)
    assert repository.get_by_id(runtime.id) == runtime


def test_create_duplicate_ref_raises_already_exists(conn: Conn) -> None:
    repository = RuntimeRepository(conn)
    runtime = RuntimeFixture.unique().create(conn)
    with pytest.raises(AlreadyExists) as info, conn.transaction():
        repository.create(_runtime_input(runtime.ref, name="another"))
    assert info.value.constraint == "runtime_ref_key"
    assert repository.get_by_ref(runtime.ref) == runtime


@pytest.mark.parametrize(
    "make_ref",
    [
        lambda: f"{unique_name('p')}.python",
        lambda: f"{unique_name('p')}.worker.python",
        lambda: f"{unique_name('P')}.action.python",
        lambda: f"{unique_name('p')}.action.py.thon",
        lambda: f"{unique_name('p')}.action.",
    ],
    ids=["no-type", "unknown-type", "uppercase", "extra-dot", "no-name"],
)
def test_create_malformed_ref_raises_validation_error(
    conn: Conn, make_ref: Callable[[], str]
) -> None:
    repository = RuntimeRepository(conn)
    ref = make_ref()
    with pytest.raises(ValidationError) as info, conn.transaction():
        repository.create(_runtime_input(ref))
    assert info.value.constraint == "runtime_ref_format"
    assert repository.find_by_ref(ref) is None


def test_create_unknown_runtime_type_raises_validation_error(conn: Conn) -> None:
    repository = RuntimeRepository(conn)
    ref = f"{unique_name('p')}.action.python"
    with pytest.raises(ValidationError), conn.transaction():
        repository.create(_runtime_input(ref, runtime_type="script"))
    assert repository.find_by_ref(ref) is None


def test_create_without_distributions_raises_validation_error(conn: Conn) -> None:
    repository = RuntimeRepository(conn)
    ref = f"{unique_name('p')}.action.python"
    with pytest.raises(ValidationError) as info, conn.transaction():
        repository.create(_runtime_input(ref, distributions=None))
    assert info.value.column == "distributions"
    assert repository.find_by_ref(ref) is None


def test_create_missing_pack_raises_reference_violation(conn: Conn) -> None:
    repository = RuntimeRepository(conn)
    ref = f"{unique_name('p')}.action.python"
    with pytest.raises(ReferenceViolation) as info, conn.transaction():
        repository.create(_runtime_input(ref, pack=MISSING_ID))
    assert info.value.constraint == "runtime_pack_fkey"
    assert repository.find_by_ref(ref) is None


# -- update ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("description", "now described"),
        ("name", "CPython 3.12"),
        ("distributions", {"python": ">=3.12", "extras": ["venv"]}),
        ("installation", {"steps": ["pip install -r requirements.txt"]}),
    ],
)
def test_update_each_field_changes_only_that_field(conn: Conn, column: str, value: Any) -> None:
    repository = RuntimeRepository(conn)
    runtime = RuntimeFixture.unique().with_(description="before", installation=[1]).create(conn)
    updated = repository.update(runtime.id, UpdateRuntimeInput(**{column: value}))
    assert getattr(updated, column) == value
    assert updated == replace(runtime, **{column: value})
    assert repository.get_by_id(runtime.id) == updated


# -- delete ----------------------------------------------------------------------------


def test_delete_detaches_workers_and_actions(conn: Conn) -> None:
    runtime = RuntimeFixture.unique().create(conn)
    worker = WorkerFixture.unique(runtime).create(conn)
    action = ActionFixture.unique(runtime=runtime).create(conn)

    assert RuntimeRepository(conn).delete(runtime.id) is True

    assert WorkerRepository(conn).get_by_id(worker.id) == replace(worker, runtime=None)
    assert ActionRepository(conn).get_by_id(action.id) == replace(action, runtime=None)


def test_delete_removes_its_sensors_and_keeps_their_events(conn: Conn) -> None:
    runtime = RuntimeFixture.unique().with_runtime_type(RuntimeType.SENSOR).create(conn)
    sensor = SensorFixture.unique(runtime=runtime).create(conn)
    other_sensor = SensorFixture.unique().create(conn)
    event = (
        EventFixture.unique()
        .with_(trigger_ref=sensor.trigger_ref, source=sensor.id, source_ref=sensor.ref)
        .create(conn)
    )

    RuntimeRepository(conn).delete(runtime.id)

    assert SensorRepository(conn).find_by_id(sensor.id) is None
    assert SensorRepository(conn).get_by_id(other_sensor.id) == other_sensor
    kept = EventRepository(conn).get_by_id(event.id)
    assert (kept.source, kept.source_ref) == (None, sensor.ref)


# -- finders ---------------------------------------------------------------------------


def test_find_by_pack_returns_the_packs_runtimes_in_ref_order(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    sensor_runtime = (
        RuntimeFixture(pack=pack, name="a").with_runtime_type(RuntimeType.SENSOR).create(conn)
    )
    action_b = RuntimeFixture(pack=pack, name="b").create(conn)
    action_a = RuntimeFixture(pack=pack, name="a").create(conn)
    RuntimeFixture.unique(PackFixture.unique().create(conn)).create(conn)
    RuntimeFixture.unique().create(conn)
    found = RuntimeRepository(conn).find_by_pack(pack.id)
    assert found == [action_a, action_b, sensor_runtime]
    assert all(runtime.pack == pack.id for runtime in found)


def test_find_by_pack_respects_limit(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    first, _ = (RuntimeFixture(pack=pack, name=suffix).create(conn) for suffix in "ab")
    assert RuntimeRepository(conn).find_by_pack(pack.id, limit=1) == [first]


def test_find_by_pack_without_runtimes_returns_empty(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    assert RuntimeRepository(conn).find_by_pack(pack.id) == []


def test_find_by_pack_after_pack_deleted_returns_empty(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    runtime = RuntimeFixture.unique(pack).create(conn)
    PackRepository(conn).delete(pack.id)
    assert RuntimeRepository(conn).find_by_pack(pack.id) == []
    assert RuntimeRepository(conn).find_by_id(runtime.id) is None
