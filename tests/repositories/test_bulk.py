"""create_many: thousands of rows in one COPY, returned in input order, all or nothing."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from attune_common.errors import ReferenceViolation, ValidationError
from attune_common.models import EnforcementCondition, EnforcementStatus
from attune_common.repositories import (
    CreateEnforcementInput,
    CreateEventInput,
    EnforcementRepository,
    EventRepository,
)
from tests.apis import open_repository
from tests.builders import EventFixture, RuleFixture, SensorFixture, TriggerFixture, unique_ref
from tests.helpers import transaction_now

Conn = psycopg.Connection[Any]

pytestmark = pytest.mark.usefixtures("api")  # for the sync and the asyncio API


def events_of(trigger_ref: str, count: int) -> list[CreateEventInput]:
    return [
        CreateEventInput(trigger_ref=trigger_ref, payload={"n": n, "text": "x" * 100})
        for n in range(count)
    ]


def test_create_many_events_returns_rows_in_input_order(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    created = open_repository(EventRepository, conn).create_many(events_of(trigger_ref, 500))
    assert [event.payload["n"] for event in created] == list(range(500))
    assert len({event.id for event in created}) == 500


def test_create_many_events_returns_what_the_database_stored(conn: Conn) -> None:
    trigger = TriggerFixture.unique().create(conn)
    sensor = SensorFixture.unique(trigger=trigger).create(conn)
    inputs = [
        CreateEventInput(
            trigger_ref=trigger.ref,
            trigger=trigger.id,
            config={"interval": n},
            payload=[n, {"nested": ["a", None, True, 1.5]}],
            source=sensor.id,
            source_ref=sensor.ref,
        )
        for n in range(20)
    ] + [CreateEventInput(trigger_ref=trigger.ref)]
    repository = open_repository(EventRepository, conn)
    created = repository.create_many(inputs)
    assert created == [repository.get_by_id(event.id) for event in created]


def test_create_many_events_share_the_transaction_timestamp(conn: Conn) -> None:
    created = open_repository(EventRepository, conn).create_many(
        events_of(unique_ref("trigger"), 3)
    )
    assert {event.created for event in created} == {transaction_now(conn)}
    assert all(event.updated == event.created for event in created)


def test_create_many_ten_thousand_events(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    repository = open_repository(EventRepository, conn)
    created = repository.create_many(events_of(trigger_ref, 10_000))
    assert len(created) == 10_000
    stored = conn.execute(
        "SELECT count(*), min(id), max(id) FROM attune.event WHERE trigger_ref = %s",
        (trigger_ref,),
    ).fetchone()
    assert stored == (10_000, min(e.id for e in created), max(e.id for e in created))
    assert repository.get_by_id(created[9_999].id).payload == {"n": 9_999, "text": "x" * 100}


def test_create_many_of_nothing_returns_nothing(conn: Conn) -> None:
    assert open_repository(EventRepository, conn).create_many([]) == []
    assert open_repository(EnforcementRepository, conn).create_many([]) == []


def test_create_many_newest_first_follows_input_order(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    repository = open_repository(EventRepository, conn)
    created = repository.create_many(events_of(trigger_ref, 5))
    listed = repository.find_by_trigger_ref(trigger_ref)
    assert [event.id for event in listed] == [event.id for event in reversed(created)]


def test_create_many_with_a_bad_foreign_key_writes_nothing(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    inputs = events_of(trigger_ref, 100)
    inputs[57] = CreateEventInput(trigger_ref=trigger_ref, trigger=2**62)
    repository = open_repository(EventRepository, conn)
    with pytest.raises(ReferenceViolation) as refused:
        repository.create_many(inputs)
    assert refused.value.constraint == "event_trigger_fkey"
    assert repository.find_by_trigger_ref(trigger_ref) == []


def test_create_many_keeps_the_callers_earlier_work(conn: Conn) -> None:
    earlier = EventFixture.unique().create(conn)
    with pytest.raises(ReferenceViolation):
        open_repository(EventRepository, conn).create_many(
            [CreateEventInput(trigger_ref=unique_ref("trigger"), source=2**62)]
        )
    # The failed batch rolled back to its savepoint: the transaction is usable and
    # still holds what was written before it.
    assert open_repository(EventRepository, conn).get_by_id(earlier.id) == earlier


def test_create_many_refuses_json_it_cannot_store_before_sending(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    inputs = [*events_of(trigger_ref, 3), CreateEventInput(trigger_ref, payload=float("nan"))]
    repository = open_repository(EventRepository, conn)
    with pytest.raises(ValidationError, match="payload"):
        repository.create_many(inputs)
    assert repository.find_by_trigger_ref(trigger_ref) == []


def test_create_many_refuses_a_nul_byte_and_writes_nothing(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    inputs = [*events_of(trigger_ref, 3), CreateEventInput(trigger_ref, source_ref="a\x00b")]
    repository = open_repository(EventRepository, conn)
    with pytest.raises(ValidationError):
        repository.create_many(inputs)
    assert repository.find_by_trigger_ref(trigger_ref) == []


def test_create_many_does_not_commit(conn: Conn, connect: Any) -> None:
    trigger_ref = unique_ref("trigger")
    open_repository(EventRepository, conn).create_many(events_of(trigger_ref, 10))
    other = open_repository(EventRepository, connect())
    assert other.find_by_trigger_ref(trigger_ref) == []
    conn.commit()
    assert len(other.find_by_trigger_ref(trigger_ref)) == 10


def test_create_many_on_autocommit_is_visible_at_once(connect: Any) -> None:
    trigger_ref = unique_ref("trigger")
    created = open_repository(EventRepository, connect(autocommit=True)).create_many(
        events_of(trigger_ref, 10)
    )
    seen = open_repository(EventRepository, connect()).find_by_trigger_ref(trigger_ref)
    assert {event.id for event in seen} == {event.id for event in created}


def test_create_many_on_autocommit_failure_writes_nothing(connect: Any) -> None:
    trigger_ref = unique_ref("trigger")
    inputs = [*events_of(trigger_ref, 10), CreateEventInput(trigger_ref, trigger=2**62)]
    autocommit = connect(autocommit=True)
    with pytest.raises(ReferenceViolation):
        open_repository(EventRepository, autocommit).create_many(inputs)
    assert autocommit.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert open_repository(EventRepository, connect()).find_by_trigger_ref(trigger_ref) == []


def test_create_many_enforcements_returns_rows_in_input_order(conn: Conn) -> None:
    rule = RuleFixture.unique().create(conn)
    events = open_repository(EventRepository, conn).create_many(events_of(rule.trigger_ref, 50))
    inputs = [
        CreateEnforcementInput(
            rule_ref=rule.ref,
            trigger_ref=rule.trigger_ref,
            payload={"event": event.id},
            rule=rule.id,
            event=event.id,
            condition=EnforcementCondition.ANY,
            conditions=[{"field": "n", "equals": event.payload["n"]}],
        )
        for event in events
    ]
    repository = open_repository(EnforcementRepository, conn)
    created = repository.create_many(inputs)
    assert [enforcement.event for enforcement in created] == [event.id for event in events]
    assert created == [repository.get_by_id(enforcement.id) for enforcement in created]
    assert all(enforcement.status is EnforcementStatus.CREATED for enforcement in created)
    assert all(enforcement.condition is EnforcementCondition.ANY for enforcement in created)


def test_create_many_enforcements_turns_status_text_into_enums(conn: Conn) -> None:
    rule_ref = unique_ref("rule")
    inputs = [
        CreateEnforcementInput(
            rule_ref=rule_ref,
            trigger_ref=unique_ref("trigger"),
            payload={},
            status="processed",  # type: ignore[arg-type]  # what a caller may pass
        )
    ]
    (created,) = open_repository(EnforcementRepository, conn).create_many(inputs)
    assert created.status is EnforcementStatus.PROCESSED


def test_create_many_enforcements_with_a_bad_status_writes_nothing(conn: Conn) -> None:
    rule_ref = unique_ref("rule")
    good = CreateEnforcementInput(rule_ref=rule_ref, trigger_ref="p.t", payload={})
    bad = CreateEnforcementInput(
        rule_ref=rule_ref,
        trigger_ref="p.t",
        payload={},
        status="finished",  # type: ignore[arg-type]
    )
    repository = open_repository(EnforcementRepository, conn)
    with pytest.raises(ValidationError):
        repository.create_many([good, good, bad])
    assert all(row.rule_ref != rule_ref for row in repository.list())


def test_create_many_of_another_input_class_raises_type_error(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    events = open_repository(EventRepository, conn)
    stray = CreateEnforcementInput(rule_ref=unique_ref("rule"), trigger_ref=trigger_ref, payload={})

    with pytest.raises(TypeError, match=r"CreateEventInput.*CreateEnforcementInput"):
        events.create_many([*events_of(trigger_ref, 2), stray])

    assert events.find_by_trigger_ref(trigger_ref) == []
