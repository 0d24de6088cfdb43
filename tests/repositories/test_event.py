"""EventRepository against the real database, beyond what every repository does
(test_common.py): links and refs, JSON round trips, the default list page, delete
rules and finders.

Every event here belongs to a unique trigger or trigger_ref, so the assertions look
only at rows the test made; other workers' committed rows may appear in any list.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import psycopg
import pytest

from attune_common.errors import ReferenceViolation, ValidationError
from attune_common.models import Event, Trigger
from attune_common.repositories import (
    CreateEventInput,
    EnforcementRepository,
    EventRepository,
    SensorRepository,
    TriggerRepository,
    UpdateEventInput,
)
from tests.apis import open_repository
from tests.builders import (
    Conn,
    EnforcementFixture,
    EventFixture,
    RuleFixture,
    SensorFixture,
    TriggerFixture,
    unique_ref,
)
from tests.helpers import MISSING_ID, ids, newest_first, only, refused, shift_created

PAYLOADS: dict[str, Any] = {
    "nested": {"a": {"b": {"c": {"d": "deep"}}}, "sibling": {"x": 1}},
    "arrays": {"items": [1, "two", [3, [4]], {"five": 5}], "empty": []},
    "unicode": {"text": "héllo wörld, 日本語, emoji 🚀", "ключ": "значение", "quote": '"\\/'},
    "numbers": {"int": 42, "negative": -7, "zero": 0, "float": 3.25, "tiny": 1e-9},
    "big_integer": {"n": 12345678901234567890},
    "booleans": {"yes": True, "no": False},
    "null_inside": {"missing": None, "list": [None, 1]},
    "empty_object": {},
    "list_payload": [{"id": 1}, {"id": 2}, "three"],
    "string_payload": "just a string",
}

pytestmark = pytest.mark.usefixtures("api")  # for the sync and the asyncio API


# -- helpers ---------------------------------------------------------------------------


def events(conn: Conn) -> EventRepository:
    return open_repository(EventRepository, conn)


def make_events(conn: Conn, count: int, trigger: Trigger | None = None) -> list[Event]:
    """`count` events of one trigger (or of one fresh trigger_ref), oldest first."""
    fixture = EventFixture.unique(trigger)
    if trigger is None:
        fixture = fixture.with_trigger_ref(unique_ref("trigger"))
    return [fixture.create(conn) for _ in range(count)]


def assert_foreign_key_refused(error: ReferenceViolation, constraint: str) -> None:
    assert error.sqlstate == "23503"
    assert error.constraint == constraint
    assert error.table == "event"
    assert isinstance(error.__cause__, psycopg.errors.ForeignKeyViolation)


# -- create ----------------------------------------------------------------------------


def test_create_minimal_event(conn: Conn) -> None:
    trigger = TriggerFixture.unique().create(conn)

    event = EventFixture.unique(trigger).create(conn)

    assert event.id > 0
    assert (event.trigger, event.trigger_ref) == (trigger.id, trigger.ref)
    assert (event.config, event.payload, event.source, event.source_ref) == (None,) * 4
    assert events(conn).find_by_id(event.id) == event


def test_create_with_payload(conn: Conn) -> None:
    payload = {"webhook": {"path": "/hooks/github", "headers": {"x-event": "push"}}}

    event = EventFixture.unique().with_payload(payload).create(conn)

    assert event.payload == payload
    assert event.config is None
    assert events(conn).get_by_id(event.id).payload == payload


def test_create_with_config(conn: Conn) -> None:
    config = {"interval": 30, "url": "https://example.com/feed", "verify_tls": True}

    event = EventFixture.unique().with_config(config).create(conn)

    assert event.config == config
    assert event.payload is None
    assert events(conn).get_by_id(event.id).config == config


def test_create_without_trigger_id_keeps_trigger_ref(conn: Conn) -> None:
    ref = unique_ref("trigger")

    event = events(conn).create(CreateEventInput(trigger_ref=ref))

    assert event.trigger is None
    assert event.trigger_ref == ref
    assert events(conn).find_by_trigger_ref(ref) == [event]


def test_create_with_source_sensor(conn: Conn) -> None:
    trigger = TriggerFixture.unique().create(conn)
    sensor = SensorFixture.unique(trigger=trigger).create(conn)

    event = EventFixture.unique(trigger).with_(source=sensor.id, source_ref=sensor.ref).create(conn)

    assert (event.source, event.source_ref) == (sensor.id, sensor.ref)
    assert events(conn).get_by_id(event.id) == event


def test_create_with_source_ref_only(conn: Conn) -> None:
    source_ref = unique_ref("sensor")

    event = EventFixture.unique().with_source_ref(source_ref).create(conn)

    assert (event.source, event.source_ref) == (None, source_ref)


def test_create_invalid_trigger_raises_reference_violation(conn: Conn) -> None:
    ref = unique_ref("trigger")
    data = CreateEventInput(trigger_ref=ref, trigger=MISSING_ID)

    error = refused(conn, ReferenceViolation, lambda: events(conn).create(data))

    assert_foreign_key_refused(error, "event_trigger_fkey")
    assert events(conn).find_by_trigger_ref(ref) == []


def test_create_invalid_source_raises_reference_violation(conn: Conn) -> None:
    ref = unique_ref("trigger")
    data = CreateEventInput(trigger_ref=ref, source=MISSING_ID, source_ref=unique_ref("sensor"))

    error = refused(conn, ReferenceViolation, lambda: events(conn).create(data))

    assert_foreign_key_refused(error, "event_source_fkey")
    assert events(conn).find_by_trigger_ref(ref) == []


def test_create_without_trigger_ref_raises_validation_error(conn: Conn) -> None:
    data = CreateEventInput(trigger_ref=cast(str, None))

    error = refused(conn, ValidationError, lambda: events(conn).create(data))

    assert error.sqlstate == "23502"  # not_null_violation
    assert error.column == "trigger_ref"


def test_create_payload_not_json_raises_validation_error_before_sending(conn: Conn) -> None:
    ref = unique_ref("trigger")

    # No savepoint: a value refused before it is sent leaves the transaction usable.
    for payload in ({"ratio": float("nan")}, {"when": object()}):
        with pytest.raises(ValidationError) as caught:
            events(conn).create(CreateEventInput(trigger_ref=ref, payload=payload))
        assert caught.value.column == "payload"

    assert events(conn).find_by_trigger_ref(ref) == []


def test_create_payload_with_nul_character_raises_validation_error(conn: Conn) -> None:
    ref = unique_ref("trigger")
    data = CreateEventInput(trigger_ref=ref, payload={"text": "a\x00b"})

    error = refused(conn, ValidationError, lambda: events(conn).create(data))

    assert error.sqlstate is not None and error.sqlstate.startswith("22")
    assert events(conn).find_by_trigger_ref(ref) == []


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_create_payload_round_trips(conn: Conn, payload: Any) -> None:
    event = EventFixture.unique().with_payload(payload).create(conn)

    assert event.payload == payload
    assert events(conn).get_by_id(event.id).payload == payload


def test_create_config_and_payload_are_stored_apart(conn: Conn) -> None:
    config, payload = {"role": "config", "list": [1, 2]}, {"role": "payload", "n": None}

    event = EventFixture.unique().with_(config=config, payload=payload).create(conn)

    stored = events(conn).get_by_id(event.id)
    assert (stored.config, stored.payload) == (config, payload)


# -- list ------------------------------------------------------------------------------


def test_list_across_commits_newest_first(conn: Conn) -> None:
    first = EventFixture.unique().create(conn)
    conn.commit()
    second = EventFixture.unique().create(conn)
    conn.commit()

    listed = events(conn).list()

    assert second.created > first.created
    assert only(listed, [first, second]) == [second.id, first.id]


def test_list_default_limit_is_1000(conn: Conn) -> None:
    made = make_events(conn, 1001)

    listed = events(conn).list()

    assert len(listed) == 1000
    assert [row.id for row in listed] == newest_first(listed)
    # Nothing committed elsewhere is newer than a century ahead: the page is ours.
    shift_created(conn, "event", ids(made), timedelta(days=36500))
    assert [row.id for row in events(conn).list()] == [row.id for row in reversed(made[1:])]


# -- update ----------------------------------------------------------------------------


def test_update_config(conn: Conn) -> None:
    event = EventFixture.unique().with_(config={"v": 1}, payload={"p": 1}).create(conn)

    updated = events(conn).update(event.id, UpdateEventInput(config={"v": 2, "added": [1]}))

    assert updated.config == {"v": 2, "added": [1]}
    assert updated.payload == {"p": 1}
    assert events(conn).get_by_id(event.id) == updated


def test_update_payload(conn: Conn) -> None:
    event, other = (EventFixture.unique().with_payload({"p": 1}).create(conn) for _ in "ab")

    updated = events(conn).update(event.id, UpdateEventInput(payload={"p": 2}))

    assert updated.payload == {"p": 2}
    assert (updated.id, updated.trigger_ref, updated.config) == (
        event.id,
        event.trigger_ref,
        event.config,
    )
    assert events(conn).get_by_id(other.id) == other


def test_update_payload_replaces_the_whole_document(conn: Conn) -> None:
    event = EventFixture.unique().with_payload({"a": 1, "b": {"c": 2}}).create(conn)

    updated = events(conn).update(event.id, UpdateEventInput(payload={"b": {"d": 3}}))

    assert updated.payload == {"b": {"d": 3}}


def test_update_config_and_payload(conn: Conn) -> None:
    event = EventFixture.unique().with_(config={"c": 0}, payload={"p": 0}).create(conn)

    updated = events(conn).update(event.id, UpdateEventInput(config=[1, 2], payload={"p": 1}))

    assert (updated.config, updated.payload) == ([1, 2], {"p": 1})
    assert events(conn).get_by_id(event.id) == updated


def test_update_payload_not_json_raises_validation_error_and_keeps_row(conn: Conn) -> None:
    event = EventFixture.unique().with_payload({"p": 0}).create(conn)

    with pytest.raises(ValidationError):
        events(conn).update(event.id, UpdateEventInput(payload={"bad": float("inf")}))

    assert events(conn).get_by_id(event.id) == event


# -- delete ----------------------------------------------------------------------------


def test_delete_event_sets_enforcement_event_null(conn: Conn) -> None:
    event = EventFixture.unique().create(conn)
    rule = RuleFixture.unique().create(conn)
    enforcement = EnforcementFixture.unique(rule, event).with_payload({"p": 1}).create(conn)

    assert events(conn).delete(event.id) is True

    after = open_repository(EnforcementRepository, conn).get_by_id(enforcement.id)
    assert after.event is None
    fields = ("rule", "rule_ref", "trigger_ref", "status", "payload", "condition", "conditions")
    assert [getattr(after, f) for f in fields] == [getattr(enforcement, f) for f in fields]


def test_delete_trigger_sets_event_trigger_null_and_keeps_ref(conn: Conn) -> None:
    trigger = TriggerFixture.unique().create(conn)
    event = EventFixture.unique(trigger).with_payload({"p": 1}).create(conn)

    assert open_repository(TriggerRepository, conn).delete(trigger.id) is True

    after = events(conn).get_by_id(event.id)
    assert after.trigger is None
    assert (after.trigger_ref, after.payload) == (trigger.ref, {"p": 1})


def test_delete_source_sensor_sets_event_source_null_and_keeps_ref(conn: Conn) -> None:
    trigger = TriggerFixture.unique().create(conn)
    sensor = SensorFixture.unique(trigger=trigger).create(conn)
    event = EventFixture.unique(trigger).with_(source=sensor.id, source_ref=sensor.ref).create(conn)

    assert open_repository(SensorRepository, conn).delete(sensor.id) is True

    after = events(conn).get_by_id(event.id)
    assert (after.source, after.source_ref) == (None, sensor.ref)
    assert after.trigger == trigger.id


# -- finders ---------------------------------------------------------------------------


def test_find_by_trigger_returns_only_its_events_newest_first(conn: Conn) -> None:
    trigger = TriggerFixture.unique().create(conn)
    made = make_events(conn, 3, trigger)
    make_events(conn, 2, TriggerFixture.unique().create(conn))

    found = events(conn).find_by_trigger(trigger.id)

    assert [row.id for row in found] == [row.id for row in reversed(made)]


def test_find_by_trigger_respects_limit(conn: Conn) -> None:
    trigger = TriggerFixture.unique().create(conn)
    made = make_events(conn, 4, trigger)

    found = events(conn).find_by_trigger(trigger.id, limit=2)

    assert [row.id for row in found] == [made[3].id, made[2].id]


def test_find_by_trigger_unknown_returns_empty(conn: Conn) -> None:
    assert events(conn).find_by_trigger(MISSING_ID) == []


def test_find_by_trigger_ref_returns_only_its_events_newest_first(conn: Conn) -> None:
    made = make_events(conn, 3)
    make_events(conn, 2)

    found = events(conn).find_by_trigger_ref(made[0].trigger_ref)

    assert [row.id for row in found] == [row.id for row in reversed(made)]
    assert events(conn).find_by_trigger_ref(unique_ref("trigger")) == []


def test_find_by_trigger_ref_respects_limit(conn: Conn) -> None:
    made = make_events(conn, 3)

    found = events(conn).find_by_trigger_ref(made[0].trigger_ref, limit=1)

    assert [row.id for row in found] == [made[2].id]


def test_find_by_trigger_ref_after_trigger_deleted(conn: Conn) -> None:
    trigger = TriggerFixture.unique().create(conn)
    made = make_events(conn, 2, trigger)

    open_repository(TriggerRepository, conn).delete(trigger.id)

    found = events(conn).find_by_trigger_ref(trigger.ref)
    assert [row.id for row in found] == [made[1].id, made[0].id]
    assert all(row.trigger is None for row in found)
    assert events(conn).find_by_trigger(trigger.id) == []
