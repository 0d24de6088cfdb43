"""SensorRepository beyond what every repository does (test_common.py): the ref rule and
foreign keys, round trips, the trigger/pack/enabled finders, and what deleting a sensor
does to the events it raised and the keys it owns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from attune_common.errors import AlreadyExists, ReferenceViolation, ValidationError
from attune_common.models import Pack, RuntimeType, Sensor, Trigger
from attune_common.repositories import (
    CreateSensorInput,
    EventRepository,
    KeyRepository,
    PackRepository,
    RuntimeRepository,
    SensorRepository,
    TriggerRepository,
    UpdateSensorInput,
)
from tests.builders import (
    Conn,
    EventFixture,
    KeyFixture,
    PackFixture,
    RuntimeFixture,
    SensorFixture,
    TriggerFixture,
    unique_name,
    unique_ref,
)
from tests.helpers import MISSING_ID


def _sensor_input(conn: Conn, ref: str, **fields: Any) -> CreateSensorInput:
    """A minimal sensor input with a fresh runtime and trigger; `fields` override."""
    runtime = RuntimeFixture.unique().with_runtime_type(RuntimeType.SENSOR).create(conn)
    trigger = TriggerFixture.unique().create(conn)
    data: dict[str, Any] = {
        "ref": ref,
        "label": "Watcher",
        "description": "watches",
        "entrypoint": "sensors/watch.py",
        "runtime": runtime.id,
        "runtime_ref": runtime.ref,
        "trigger": trigger.id,
        "trigger_ref": trigger.ref,
    }
    return CreateSensorInput(**{**data, **fields})


def _sensors_named(
    conn: Conn, pack: Pack, suffixes: str, trigger: Trigger | None = None, **fields: Any
) -> list[Sensor]:
    """One sensor of `pack` per suffix, created in the given order, refs `<pack>.<suffix>`."""
    return [
        SensorFixture(pack=pack, trigger=trigger, name=suffix).with_(**fields).create(conn)
        for suffix in suffixes
    ]


# -- create ----------------------------------------------------------------------------


def test_create_minimal_uses_schema_defaults(conn: Conn) -> None:
    ref = unique_ref("sensor")
    data = _sensor_input(conn, ref)
    sensor = SensorRepository(conn).create(data)
    assert sensor.id > 0
    for column in (
        "ref",
        "label",
        "description",
        "entrypoint",
        "runtime",
        "runtime_ref",
        "trigger",
        "trigger_ref",
    ):
        assert getattr(sensor, column) == getattr(data, column), column
    assert (sensor.pack, sensor.pack_ref) == (None, None)
    assert sensor.enabled is True
    assert (sensor.param_schema, sensor.config) == (None, None)
    assert sensor.created.tzinfo is not None
    assert sensor.updated == sensor.created


def test_create_full_round_trips_every_field(conn: Conn) -> None:
    repository = SensorRepository(conn)
    pack = PackFixture.unique().create(conn)
    data = _sensor_input(
        conn,
        f"{pack.ref}.poller",
        pack=pack.id,
        pack_ref=pack.ref,
        enabled=False,
        param_schema={"type": "object", "properties": {"interval": {"type": "integer"}}},
        config={"interval": 30, "targets": ["a", "b"]},
    )
    sensor = repository.create(data)
    for column in ("pack", "pack_ref", "enabled", "param_schema", "config"):
        assert getattr(sensor, column) == getattr(data, column), column
    assert repository.get_by_id(sensor.id) == sensor


def test_create_duplicate_ref_raises_already_exists(conn: Conn) -> None:
    repository = SensorRepository(conn)
    sensor = SensorFixture.unique().create(conn)
    with pytest.raises(AlreadyExists) as info, conn.transaction():
        repository.create(_sensor_input(conn, sensor.ref))
    assert info.value.constraint == "sensor_ref_key"
    assert repository.get_by_ref(sensor.ref) == sensor


@pytest.mark.parametrize(
    "make_ref",
    [
        lambda: unique_ref("Sensor"),
        lambda: unique_name("sensor"),
        lambda: f"{unique_ref('sensor')}.extra",
        lambda: f".{unique_name('sensor')}",
    ],
    ids=["uppercase", "no-dot", "two-dots", "no-pack"],
)
def test_create_malformed_ref_raises_validation_error(
    conn: Conn, make_ref: Callable[[], str]
) -> None:
    repository = SensorRepository(conn)
    ref = make_ref()
    data = _sensor_input(conn, ref)
    with pytest.raises(ValidationError) as info, conn.transaction():
        repository.create(data)
    assert info.value.constraint == "sensor_ref_format"
    assert repository.find_by_ref(ref) is None


@pytest.mark.parametrize(
    ("column", "constraint"),
    [
        ("runtime", "sensor_runtime_fkey"),
        ("trigger", "sensor_trigger_fkey"),
        ("pack", "sensor_pack_fkey"),
    ],
)
def test_create_missing_parent_raises_reference_violation(
    conn: Conn, column: str, constraint: str
) -> None:
    repository = SensorRepository(conn)
    ref = unique_ref("sensor")
    data = _sensor_input(conn, ref, **{column: MISSING_ID})
    with pytest.raises(ReferenceViolation) as info, conn.transaction():
        repository.create(data)
    assert info.value.constraint == constraint
    assert repository.find_by_ref(ref) is None


@pytest.mark.parametrize("column", ["label", "description", "entrypoint", "runtime_ref"])
def test_create_null_required_column_raises_validation_error(conn: Conn, column: str) -> None:
    repository = SensorRepository(conn)
    ref = unique_ref("sensor")
    data = _sensor_input(conn, ref, **{column: None})
    with pytest.raises(ValidationError) as info, conn.transaction():
        repository.create(data)
    assert info.value.column == column
    assert repository.find_by_ref(ref) is None


# -- update ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("label", "Relabelled"),
        ("description", "now watches something else"),
        ("entrypoint", "sensors/other.py"),
        ("enabled", False),
        ("param_schema", {"type": "object", "required": ["interval"]}),
        ("config", {"interval": 5}),
    ],
)
def test_update_each_field_changes_only_that_field(conn: Conn, column: str, value: Any) -> None:
    repository = SensorRepository(conn)
    sensor = SensorFixture.unique().with_config({"before": True}).create(conn)
    updated = repository.update(sensor.id, UpdateSensorInput(**{column: value}))
    assert getattr(updated, column) == value
    assert updated == replace(sensor, **{column: value})
    assert repository.get_by_id(sensor.id) == updated


# -- delete ----------------------------------------------------------------------------


def test_delete_removes_sensor_and_keeps_its_runtime_and_trigger(conn: Conn) -> None:
    repository = SensorRepository(conn)
    sensor = SensorFixture.unique().create(conn)
    assert repository.delete(sensor.id) is True
    assert repository.find_by_id(sensor.id) is None
    assert repository.delete(sensor.id) is False
    assert RuntimeRepository(conn).find_by_id(sensor.runtime) is not None
    assert TriggerRepository(conn).find_by_id(sensor.trigger) is not None


def test_delete_keeps_events_it_raised(conn: Conn) -> None:
    sensor = SensorFixture.unique().create(conn)
    trigger = TriggerRepository(conn).get_by_id(sensor.trigger)
    event = EventFixture.unique(trigger).with_(source=sensor.id, source_ref=sensor.ref).create(conn)

    SensorRepository(conn).delete(sensor.id)

    kept = EventRepository(conn).get_by_id(event.id)
    assert kept == replace(event, source=None)
    assert kept.source_ref == sensor.ref


def test_delete_removes_keys_it_owns(conn: Conn) -> None:
    sensor = SensorFixture.unique().create(conn)
    key = KeyFixture.unique(owner=sensor).create(conn)
    system_key = KeyFixture.unique().create(conn)

    SensorRepository(conn).delete(sensor.id)

    assert KeyRepository(conn).find_by_id(key.id) is None
    assert KeyRepository(conn).get_by_id(system_key.id) == system_key


def test_delete_of_pack_removes_its_sensors(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    sensors = _sensors_named(conn, pack, "ab")
    PackRepository(conn).delete(pack.id)
    assert SensorRepository(conn).find_by_pack(pack.id) == []
    assert all(SensorRepository(conn).find_by_id(sensor.id) is None for sensor in sensors)


# -- finders ---------------------------------------------------------------------------


def test_find_by_trigger_returns_its_sensors_in_ref_order(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    trigger = TriggerFixture.unique(pack).create(conn)
    b, a = _sensors_named(conn, pack, "ba", trigger=trigger)
    (disabled,) = _sensors_named(conn, pack, "c", trigger=trigger, enabled=False)
    _sensors_named(conn, pack, "d")  # another trigger of the same pack
    found = SensorRepository(conn).find_by_trigger(trigger.id)
    assert found == [a, b, disabled]
    assert all(sensor.trigger == trigger.id for sensor in found)


def test_find_by_trigger_respects_limit(conn: Conn) -> None:
    trigger = TriggerFixture.unique().create(conn)
    a, _ = _sensors_named(conn, PackFixture.unique().create(conn), "ab", trigger=trigger)
    assert SensorRepository(conn).find_by_trigger(trigger.id, limit=1) == [a]


def test_find_by_trigger_without_sensors_returns_empty(conn: Conn) -> None:
    trigger = TriggerFixture.unique().create(conn)
    assert SensorRepository(conn).find_by_trigger(trigger.id) == []


def test_find_by_pack_returns_the_packs_sensors_in_ref_order(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    c, a, b = _sensors_named(conn, pack, "cab")
    _sensors_named(conn, PackFixture.unique().create(conn), "a")
    SensorFixture.unique().create(conn)
    found = SensorRepository(conn).find_by_pack(pack.id)
    assert found == [a, b, c]
    assert all(sensor.pack == pack.id for sensor in found)


def test_find_by_pack_respects_limit(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    a, b, _ = _sensors_named(conn, pack, "abc")
    assert SensorRepository(conn).find_by_pack(pack.id, limit=2) == [a, b]


def test_find_enabled_returns_enabled_sensors_in_ref_order(snapshot: Conn) -> None:
    repository = SensorRepository(snapshot)
    pack = PackFixture.unique().create(snapshot)
    b, a = _sensors_named(snapshot, pack, "ba")
    (disabled,) = _sensors_named(snapshot, pack, "c", enabled=False)
    found = repository.find_enabled(limit=repository.count())
    assert all(sensor.enabled for sensor in found)
    assert [sensor.ref for sensor in found] == sorted(s.ref for s in found)
    assert [sensor for sensor in found if sensor.pack == pack.id] == [a, b]
    assert disabled not in found


def test_find_enabled_respects_limit(conn: Conn) -> None:
    _sensors_named(conn, PackFixture.unique().create(conn), "ab")
    found = SensorRepository(conn).find_enabled(limit=1)
    assert len(found) == 1
    assert found[0].enabled is True
