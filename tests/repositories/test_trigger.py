"""TriggerRepository beyond what every repository does (test_common.py): the ref rule,
round trips, the pack and enabled finders, and what deleting a trigger does to its
sensors, events and rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from attune_common.errors import AlreadyExists, ReferenceViolation, ValidationError
from attune_common.models import Pack, Trigger
from attune_common.repositories import (
    CreateTriggerInput,
    EventRepository,
    RuleRepository,
    SensorRepository,
    TriggerRepository,
    UpdateTriggerInput,
)
from tests.builders import (
    Conn,
    EventFixture,
    PackFixture,
    RuleFixture,
    SensorFixture,
    TriggerFixture,
    unique_name,
    unique_ref,
)
from tests.helpers import MISSING_ID


def _triggers_named(conn: Conn, pack: Pack, suffixes: str, **fields: Any) -> list[Trigger]:
    """One trigger of `pack` per suffix, created in the given order, refs `<pack>.<suffix>`."""
    return [
        TriggerFixture(pack=pack, name=suffix).with_(**fields).create(conn) for suffix in suffixes
    ]


# -- create ----------------------------------------------------------------------------


def test_create_minimal_uses_schema_defaults(conn: Conn) -> None:
    ref = unique_ref("trigger")
    trigger = TriggerRepository(conn).create(CreateTriggerInput(ref=ref, label="Minimal"))
    assert trigger.id > 0
    assert (trigger.ref, trigger.label) == (ref, "Minimal")
    assert (trigger.pack, trigger.pack_ref, trigger.description) == (None, None, None)
    assert trigger.enabled is True
    assert (trigger.param_schema, trigger.out_schema) == (None, None)
    assert trigger.created.tzinfo is not None
    assert trigger.updated == trigger.created


def test_create_full_round_trips_every_field(conn: Conn) -> None:
    repository = TriggerRepository(conn)
    pack = PackFixture.unique().create(conn)
    data = CreateTriggerInput(
        ref=f"{pack.ref}.webhook",
        label="Webhook",
        pack=pack.id,
        pack_ref=pack.ref,
        description="fires on an incoming HTTP request",
        enabled=False,
        param_schema={"type": "object", "properties": {"url": {"type": "string"}}},
        out_schema={"type": "object", "properties": {"body": {}}},
    )
    trigger = repository.create(data)
    for column in (
        "ref",
        "label",
        "pack",
        "pack_ref",
        "description",
        "enabled",
        "param_schema",
        "out_schema",
    ):
        assert getattr(trigger, column) == getattr(data, column), column
    assert repository.get_by_id(trigger.id) == trigger


def test_create_duplicate_ref_raises_already_exists(conn: Conn) -> None:
    repository = TriggerRepository(conn)
    trigger = TriggerFixture.unique().create(conn)
    with pytest.raises(AlreadyExists) as info, conn.transaction():
        repository.create(CreateTriggerInput(ref=trigger.ref, label="Second"))
    assert info.value.constraint == "trigger_ref_key"
    assert repository.get_by_ref(trigger.ref) == trigger


@pytest.mark.parametrize(
    "make_ref",
    [
        lambda: unique_ref("Trigger"),
        lambda: unique_name("trigger"),
        lambda: f"{unique_ref('trigger')}.extra",
        lambda: f"{unique_name('p')}.",
    ],
    ids=["uppercase", "no-dot", "two-dots", "no-name"],
)
def test_create_malformed_ref_raises_validation_error(
    conn: Conn, make_ref: Callable[[], str]
) -> None:
    repository = TriggerRepository(conn)
    ref = make_ref()
    with pytest.raises(ValidationError) as info, conn.transaction():
        repository.create(CreateTriggerInput(ref=ref, label="Bad ref"))
    assert info.value.constraint == "trigger_ref_format"
    assert repository.find_by_ref(ref) is None


def test_create_null_label_raises_validation_error(conn: Conn) -> None:
    repository = TriggerRepository(conn)
    ref = unique_ref("trigger")
    with pytest.raises(ValidationError) as info, conn.transaction():
        repository.create(CreateTriggerInput(ref=ref, label=None))  # type: ignore[arg-type]
    assert info.value.column == "label"
    assert repository.find_by_ref(ref) is None


def test_create_missing_pack_raises_reference_violation(conn: Conn) -> None:
    repository = TriggerRepository(conn)
    ref = unique_ref("trigger")
    with pytest.raises(ReferenceViolation) as info, conn.transaction():
        repository.create(CreateTriggerInput(ref=ref, label="Orphan", pack=MISSING_ID))
    assert info.value.constraint == "trigger_pack_fkey"
    assert repository.find_by_ref(ref) is None


# -- update ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("label", "Relabelled"),
        ("description", "now described"),
        ("enabled", False),
        ("param_schema", {"type": "object", "required": ["url"]}),
        ("out_schema", ["list", "schemas", "are", "json", "too"]),
    ],
)
def test_update_each_field_changes_only_that_field(conn: Conn, column: str, value: Any) -> None:
    repository = TriggerRepository(conn)
    trigger = TriggerFixture.unique().with_description("before").create(conn)
    updated = repository.update(trigger.id, UpdateTriggerInput(**{column: value}))
    assert getattr(updated, column) == value
    assert updated == replace(trigger, **{column: value})
    assert repository.get_by_id(trigger.id) == updated


def test_update_enabled_back_to_true(conn: Conn) -> None:
    trigger = TriggerFixture.unique().with_enabled(False).create(conn)
    updated = TriggerRepository(conn).update(trigger.id, UpdateTriggerInput(enabled=True))
    assert updated.enabled is True


# -- delete ----------------------------------------------------------------------------


def test_delete_removes_sensors_and_keeps_events(conn: Conn) -> None:
    trigger = TriggerFixture.unique().create(conn)
    sensor = SensorFixture.unique(trigger=trigger).create(conn)
    event = EventFixture.unique(trigger).with_payload({"n": 1}).create(conn)

    assert TriggerRepository(conn).delete(trigger.id) is True

    assert SensorRepository(conn).find_by_id(sensor.id) is None
    events = EventRepository(conn)
    assert events.get_by_id(event.id) == replace(event, trigger=None)
    assert events.find_by_trigger_ref(trigger.ref) == [replace(event, trigger=None)]


def test_delete_used_by_rule_raises_reference_violation_and_deletes_nothing(conn: Conn) -> None:
    repository = TriggerRepository(conn)
    pack = PackFixture.unique().create(conn)
    trigger = TriggerFixture.unique(pack).create(conn)
    sensor = SensorFixture.unique(pack, trigger=trigger).create(conn)
    event = EventFixture.unique(trigger).create(conn)
    rule = RuleFixture.unique(pack, trigger=trigger).create(conn)

    with pytest.raises(ReferenceViolation) as info, conn.transaction():
        repository.delete(trigger.id)

    assert info.value.constraint == "rule_trigger_fkey"
    assert repository.get_by_id(trigger.id) == trigger
    assert SensorRepository(conn).get_by_id(sensor.id) == sensor
    assert EventRepository(conn).get_by_id(event.id) == event
    assert RuleRepository(conn).get_by_id(rule.id) == rule


def test_delete_allowed_once_its_rule_is_gone(conn: Conn) -> None:
    repository = TriggerRepository(conn)
    trigger = TriggerFixture.unique().create(conn)
    rule = RuleFixture.unique(trigger=trigger).create(conn)
    RuleRepository(conn).delete(rule.id)
    assert repository.delete(trigger.id) is True
    assert repository.find_by_id(trigger.id) is None


# -- finders ---------------------------------------------------------------------------


def test_find_by_pack_returns_the_packs_triggers_in_ref_order(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    b, a = _triggers_named(conn, pack, "ba")
    disabled = TriggerFixture(pack=pack, name="c").with_enabled(False).create(conn)
    TriggerFixture.unique(PackFixture.unique().create(conn)).create(conn)
    TriggerFixture.unique().create(conn)
    found = TriggerRepository(conn).find_by_pack(pack.id)
    assert found == [a, b, disabled]
    assert all(trigger.pack == pack.id for trigger in found)


def test_find_by_pack_respects_limit(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    a, _, _ = _triggers_named(conn, pack, "abc")
    assert TriggerRepository(conn).find_by_pack(pack.id, limit=1) == [a]


def test_find_by_pack_without_triggers_returns_empty(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    assert TriggerRepository(conn).find_by_pack(pack.id) == []


def test_find_enabled_returns_enabled_triggers_in_ref_order(snapshot: Conn) -> None:
    repository = TriggerRepository(snapshot)
    pack = PackFixture.unique().create(snapshot)
    b, a = _triggers_named(snapshot, pack, "ba")
    (disabled,) = _triggers_named(snapshot, pack, "c", enabled=False)
    found = repository.find_enabled(limit=repository.count())
    assert all(trigger.enabled for trigger in found)
    assert [trigger.ref for trigger in found] == sorted(t.ref for t in found)
    assert [trigger for trigger in found if trigger.pack == pack.id] == [a, b]
    assert disabled not in found


def test_find_enabled_drops_trigger_once_disabled(snapshot: Conn) -> None:
    repository = TriggerRepository(snapshot)
    trigger = TriggerFixture.unique().create(snapshot)
    assert trigger in repository.find_enabled(limit=repository.count())
    repository.update(trigger.id, UpdateTriggerInput(enabled=False))
    assert all(found.id != trigger.id for found in repository.find_enabled())


def test_find_enabled_respects_limit(conn: Conn) -> None:
    _triggers_named(conn, PackFixture.unique().create(conn), "ab")
    found = TriggerRepository(conn).find_enabled(limit=1)
    assert len(found) == 1
    assert found[0].enabled is True
