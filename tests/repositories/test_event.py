"""EventRepository against the real database.

Every event here belongs to a unique trigger or trigger_ref, so the assertions look
only at rows the test made; other workers' committed rows may appear in any list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, LiteralString, TypeVar, cast

import psycopg
import pytest

from attune_common.errors import AttuneError, NotFound, ReferenceViolation, ValidationError
from attune_common.models import Event, Trigger
from attune_common.repositories import (
    CreateEventInput,
    EnforcementRepository,
    EventRepository,
    SensorRepository,
    TriggerRepository,
    UpdateEventInput,
)
from tests.builders import (
    Conn,
    EnforcementFixture,
    EventFixture,
    RuleFixture,
    SensorFixture,
    TriggerFixture,
    unique_ref,
)

MISSING_ID = 2**63 - 1
"""The largest BIGINT: no sequence in a test run gets there."""

SHIFT_CREATED: LiteralString = "UPDATE attune.event SET created = created + %s WHERE id = ANY(%s)"

E = TypeVar("E", bound=AttuneError)

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


# -- helpers ---------------------------------------------------------------------------


def events(conn: Conn) -> EventRepository:
    return EventRepository(conn)


def make_events(conn: Conn, count: int, trigger: Trigger | None = None) -> list[Event]:
    """`count` events of one trigger (or of one fresh trigger_ref), oldest first."""
    fixture = EventFixture.unique(trigger)
    if trigger is None:
        fixture = fixture.with_trigger_ref(unique_ref("trigger"))
    return [fixture.create(conn) for _ in range(count)]


def shift_created(conn: Conn, rows: Sequence[Event], by: timedelta) -> None:
    """Move rows in time: a century ahead makes them newer than any row another
    session commits, so a page of the shared list is exactly these rows."""
    conn.execute(SHIFT_CREATED, (by, [row.id for row in rows]))


def newest_first(rows: Sequence[Event]) -> list[int]:
    """The ids of `rows` in list order: created DESC, then id DESC."""
    return [row.id for row in sorted(rows, key=lambda r: (r.created, r.id), reverse=True)]


def mine(listed: Sequence[Event], made: Sequence[Event]) -> list[int]:
    """The ids of `made` in the order `listed` returned them."""
    wanted = {row.id for row in made}
    return [row.id for row in listed if row.id in wanted]


def refused(conn: Conn, error: type[E], call: Callable[[], object]) -> E:
    """Run `call` in a savepoint it must fail with `error`; the transaction stays
    usable, so the test can read back that nothing was written."""
    with pytest.raises(error) as caught, conn.transaction():
        call()
    return caught.value


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


# -- read ------------------------------------------------------------------------------


def test_find_by_id_existing(conn: Conn) -> None:
    event = EventFixture.unique().with_payload({"k": "v"}).create(conn)

    assert events(conn).find_by_id(event.id) == event


def test_find_by_id_missing_returns_none(conn: Conn) -> None:
    assert events(conn).find_by_id(MISSING_ID) is None


def test_get_by_id_existing(conn: Conn) -> None:
    event = EventFixture.unique().with_config({"k": 1}).create(conn)

    assert events(conn).get_by_id(event.id) == event


def test_get_by_id_missing_raises_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound) as caught:
        events(conn).get_by_id(MISSING_ID)

    assert (caught.value.entity, caught.value.field, caught.value.value) == (
        "Event",
        "id",
        MISSING_ID,
    )


# -- list ------------------------------------------------------------------------------


def test_list_contains_created_events_newest_first(conn: Conn) -> None:
    made = make_events(conn, 3)

    listed = events(conn).list()

    # One transaction: `created` is equal, so the id decides.
    assert mine(listed, made) == [made[2].id, made[1].id, made[0].id]
    assert [row.id for row in listed] == newest_first(listed)


def test_list_orders_by_created_before_id(conn: Conn) -> None:
    older, newer = make_events(conn, 2)
    shift_created(conn, [newer], timedelta(hours=-1))

    listed = events(conn).list()

    assert mine(listed, [older, newer]) == [older.id, newer.id]


def test_list_across_commits_newest_first(conn: Conn) -> None:
    first = EventFixture.unique().create(conn)
    conn.commit()
    second = EventFixture.unique().create(conn)
    conn.commit()

    listed = events(conn).list()

    assert second.created > first.created
    assert mine(listed, [first, second]) == [second.id, first.id]


def test_list_default_limit_is_1000(conn: Conn) -> None:
    made = make_events(conn, 1001)

    listed = events(conn).list()

    assert len(listed) == 1000
    assert [row.id for row in listed] == newest_first(listed)
    # Nothing committed elsewhere is newer than a century ahead: the page is ours.
    shift_created(conn, made, timedelta(days=36500))
    assert [row.id for row in events(conn).list()] == [row.id for row in reversed(made[1:])]


def test_list_limit_and_offset(conn: Conn) -> None:
    made = make_events(conn, 5)
    shift_created(conn, made, timedelta(days=36500))
    ids = [row.id for row in reversed(made)]

    assert [row.id for row in events(conn).list(limit=2)] == ids[:2]
    assert [row.id for row in events(conn).list(limit=2, offset=1)] == ids[1:3]
    assert [row.id for row in events(conn).list(limit=10, offset=3)][:2] == ids[3:]
    assert events(conn).list(limit=0) == []


def test_list_offset_past_the_end_returns_empty(conn: Conn) -> None:
    make_events(conn, 1)

    assert events(conn).list(limit=10, offset=10**12) == []


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


def test_update_nothing_returns_row_unchanged(conn: Conn) -> None:
    event = EventFixture.unique().with_(config={"c": 0}, payload={"p": 0}).create(conn)

    assert events(conn).update(event.id, UpdateEventInput()) == event
    assert events(conn).get_by_id(event.id) == event


def test_update_missing_raises_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound) as caught:
        events(conn).update(MISSING_ID, UpdateEventInput(payload={"p": 1}))

    assert (caught.value.entity, caught.value.value) == ("Event", MISSING_ID)


def test_update_nothing_on_missing_raises_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound):
        events(conn).update(MISSING_ID, UpdateEventInput())


def test_update_payload_not_json_raises_validation_error_and_keeps_row(conn: Conn) -> None:
    event = EventFixture.unique().with_payload({"p": 0}).create(conn)

    with pytest.raises(ValidationError):
        events(conn).update(event.id, UpdateEventInput(payload={"bad": float("inf")}))

    assert events(conn).get_by_id(event.id) == event


# -- delete ----------------------------------------------------------------------------


def test_delete_existing_returns_true_and_row_is_gone(conn: Conn) -> None:
    event, kept = make_events(conn, 2)

    assert events(conn).delete(event.id) is True

    assert events(conn).find_by_id(event.id) is None
    assert events(conn).delete(event.id) is False
    assert events(conn).get_by_id(kept.id) == kept


def test_delete_missing_returns_false(conn: Conn) -> None:
    assert events(conn).delete(MISSING_ID) is False


def test_delete_event_sets_enforcement_event_null(conn: Conn) -> None:
    event = EventFixture.unique().create(conn)
    rule = RuleFixture.unique().create(conn)
    enforcement = EnforcementFixture.unique(rule, event).with_payload({"p": 1}).create(conn)

    assert events(conn).delete(event.id) is True

    after = EnforcementRepository(conn).get_by_id(enforcement.id)
    assert after.event is None
    fields = ("rule", "rule_ref", "trigger_ref", "status", "payload", "condition", "conditions")
    assert [getattr(after, f) for f in fields] == [getattr(enforcement, f) for f in fields]


def test_delete_trigger_sets_event_trigger_null_and_keeps_ref(conn: Conn) -> None:
    trigger = TriggerFixture.unique().create(conn)
    event = EventFixture.unique(trigger).with_payload({"p": 1}).create(conn)

    assert TriggerRepository(conn).delete(trigger.id) is True

    after = events(conn).get_by_id(event.id)
    assert after.trigger is None
    assert (after.trigger_ref, after.payload) == (trigger.ref, {"p": 1})


def test_delete_source_sensor_sets_event_source_null_and_keeps_ref(conn: Conn) -> None:
    trigger = TriggerFixture.unique().create(conn)
    sensor = SensorFixture.unique(trigger=trigger).create(conn)
    event = EventFixture.unique(trigger).with_(source=sensor.id, source_ref=sensor.ref).create(conn)

    assert SensorRepository(conn).delete(sensor.id) is True

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

    TriggerRepository(conn).delete(trigger.id)

    found = events(conn).find_by_trigger_ref(trigger.ref)
    assert [row.id for row in found] == [made[1].id, made[0].id]
    assert all(row.trigger is None for row in found)
    assert events(conn).find_by_trigger(trigger.id) == []


# -- timestamps ------------------------------------------------------------------------


def test_create_sets_timezone_aware_equal_timestamps(conn: Conn) -> None:
    event = EventFixture.unique().create(conn)

    assert event.created.utcoffset() is not None
    assert event.updated.utcoffset() is not None
    assert event.created == event.updated


def test_update_in_later_transaction_moves_updated_forward(conn: Conn) -> None:
    event = EventFixture.unique().with_payload({"v": 1}).create(conn)
    conn.commit()

    updated = events(conn).update(event.id, UpdateEventInput(payload={"v": 2}))

    assert updated.created == event.created
    assert updated.updated > event.updated
    assert updated.updated.utcoffset() is not None
