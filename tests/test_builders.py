"""The fixture builders of tests/builders.py make valid rows no other test collides with."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from attune_common.models import Action, Identity, OwnerType, Pack, Sensor
from attune_common.repositories import (
    ActionRepository,
    PackRepository,
    TriggerRepository,
)
from tests import builders
from tests.builders import (
    ActionFixture,
    EventFixture,
    IdentityFixture,
    KeyFixture,
    PackFixture,
    RuleFixture,
    SensorFixture,
    WorkerFixture,
)

Conn = psycopg.Connection[Any]

BUILDERS = sorted(
    (
        value
        for name, value in vars(builders).items()
        if name.endswith("Fixture") and value is not builders.Fixture
    ),
    key=lambda builder: builder.__name__,
)


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda builder: builder.__name__)
def test_create_every_builder_twice_makes_two_rows(conn: Conn, builder: Any) -> None:
    first = builder.unique().create(conn)
    second = builder.unique().create(conn)

    assert type(first) is type(second)
    assert first != second
    key = "action_id" if hasattr(first, "action_id") else "id"
    assert getattr(first, key) != getattr(second, key)


def test_unique_pack_fixtures_differ(conn: Conn) -> None:
    one, other = PackFixture.unique(), PackFixture.unique()

    assert one.name != other.name
    assert one.create(conn).ref != other.create(conn).ref


def test_create_rule_makes_its_pack_action_and_trigger(conn: Conn) -> None:
    rule = RuleFixture.unique().create(conn)

    pack = PackRepository(conn).get_by_id(rule.pack)
    action = ActionRepository(conn).get_by_id(rule.action)
    trigger = TriggerRepository(conn).get_by_id(rule.trigger)
    assert (rule.pack_ref, rule.action_ref, rule.trigger_ref) == (pack.ref, action.ref, trigger.ref)
    assert action.pack == trigger.pack == pack.id
    assert rule.ref.startswith(f"{pack.ref}.")


def make_owner(conn: Conn, kind: OwnerType) -> Identity | Pack | Action | Sensor | None:
    match kind:
        case OwnerType.IDENTITY:
            return IdentityFixture.unique().create(conn)
        case OwnerType.PACK:
            return PackFixture.unique().create(conn)
        case OwnerType.ACTION:
            return ActionFixture.unique().create(conn)
        case OwnerType.SENSOR:
            return SensorFixture.unique().create(conn)
    return None


@pytest.mark.parametrize("kind", list(OwnerType))
def test_create_key_with_each_owner_sets_owner_and_ref(conn: Conn, kind: OwnerType) -> None:
    owner = make_owner(conn, kind)

    key = KeyFixture.unique(owner).create(conn)

    expected_owner = (
        "system" if owner is None else str(owner.id) if isinstance(owner, Identity) else owner.ref
    )
    assert key.owner_type is kind
    assert key.owner == expected_owner
    assert key.ref == (key.name if owner is None else f"{expected_owner}.{key.name}")
    owner_columns = {
        "owner_identity": key.owner_identity,
        "owner_pack": key.owner_pack,
        "owner_action": key.owner_action,
        "owner_sensor": key.owner_sensor,
    }
    set_columns = {column for column, value in owner_columns.items() if value is not None}
    assert set_columns == (set() if owner is None else {f"owner_{kind}"})
    if owner is not None and kind is not OwnerType.IDENTITY:
        assert getattr(key, f"owner_{kind}_ref") == expected_owner


def test_with_field_sets_that_field(conn: Conn) -> None:
    fixture = EventFixture.unique()

    event = fixture.with_payload({"a": [1, "two"]}).with_source_ref("s.ref").create(conn)

    assert event.payload == {"a": [1, "two"]}
    assert event.source_ref == "s.ref"
    assert fixture.fields == {}  # builders are immutable: with_* returns a new one


def test_with_several_fields_and_later_wins(conn: Conn) -> None:
    worker = WorkerFixture.unique().with_(host="a", port=1).with_port(8080).create(conn)

    assert (worker.host, worker.port) == ("a", 8080)


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError):
        PackFixture.unique().no_such_thing  # noqa: B018
