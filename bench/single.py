"""Single-row operations and the latest-100 read, through the three clients.

The raw psycopg variants send the very SQL text of the repository's statements, so a
difference between `attune` and `psycopg` is the library's own Python work. The ORM
variants send one statement per operation too (ORM-enabled UPDATE/DELETE rather than
load-then-modify), inside the BEGIN/COMMIT an ORM session always issues.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import delete, select, update

from attune_common.models import EnforcementCondition, EnforcementStatus
from attune_common.repositories.event import (
    ENFORCEMENTS,
    EVENTS,
    EVENTS_BY_TRIGGER_REF,
    CreateEnforcementInput,
    CreateEventInput,
    UpdateEventInput,
)
from attune_common.statements import Table

from .clients import ATTUNE, PSYCOPG, SQLALCHEMY, Clients
from .orm import EnforcementRow, EventRow
from .payloads import payloads
from .seed import seed_enforcements, seed_events
from .settings import Settings
from .timing import Check, Operation, Variant

CREATED_REF = "bench.created"
RULE_REF = "bench.rule"


def _insert(table: Table[Any], input_class: type) -> bytes:
    """The INSERT `create` runs: every field of the input class, in its order."""
    return table.insert(tuple(f.name for f in fields(input_class))).query


# The statements the repository runs for these calls, taken from its own objects
# (`check_same_sql` verifies afterwards that both connections prepared the same text).
INSERT_EVENT = _insert(EVENTS, CreateEventInput)
GET_EVENT = EVENTS.by_key.query
UPDATE_PAYLOAD = EVENTS.update(("payload",)).query
DELETE_EVENT = EVENTS.delete.query
LATEST_EVENTS = EVENTS_BY_TRIGGER_REF.query
INSERT_ENFORCEMENT = _insert(ENFORCEMENTS, CreateEnforcementInput)


Row = dict[str, Any]


def as_row(result: Any, table: Table[Any]) -> Row:
    """A result as column -> value, whichever client returned it (a tuple in the
    table's column order, a model, or an ORM object). The statements select JSON
    columns as text, which raw psycopg hands back as it is: decoded here."""
    if isinstance(result, tuple):
        row = dict(zip(table.columns, result, strict=True))
        for column in table.json_columns:
            if isinstance(row[column], str):
                row[column] = json.loads(row[column])
        return row
    return {column: getattr(result, column) for column in table.columns}


def _stored(c: Clients, table: Table[Any], id: int) -> Row | None:
    """The row as the database holds it, read on the checker's connection."""
    found = c.checker.execute(table.by_key.query, (id,)).fetchone()
    return None if found is None else as_row(found, table)


def _single(name: str, variants: Mapping[str, Variant], check: Check, s: Settings) -> Operation:
    return Operation(name, variants, check, s.single_repetitions, s.single_warmup)


def _iterations(s: Settings) -> int:
    return 1 + s.single_warmup + s.single_repetitions


# -- events ------------------------------------------------------------------------------


def create_event(c: Clients, s: Settings) -> Operation:
    docs = payloads(_iterations(s))

    def orm(i: int) -> EventRow:
        row = EventRow(trigger_ref=CREATED_REF, payload=docs[i])
        c.session.add(row)
        c.session.commit()
        return row

    def check(results: Mapping[str, Any]) -> None:
        for name, result in results.items():
            row = as_row(result, EVENTS)
            assert (row["trigger_ref"], row["payload"]) == (CREATED_REF, docs[0]), name
            assert _stored(c, EVENTS, row["id"]) == row, name

    return _single(
        "create_event",
        {
            ATTUNE: lambda i: c.events.create(CreateEventInput(CREATED_REF, payload=docs[i])),
            PSYCOPG: lambda i: c.raw.execute(
                INSERT_EVENT, (CREATED_REF, None, None, Jsonb(docs[i]), None, None)
            ).fetchone(),
            SQLALCHEMY: orm,
        },
        check,
        s,
    )


def get_event(c: Clients, s: Settings, ids: Sequence[int]) -> Operation:
    def orm(i: int) -> EventRow | None:
        row = c.session.get(EventRow, ids[i % len(ids)])
        c.session.commit()
        return row

    def check(results: Mapping[str, Any]) -> None:
        rows = {name: as_row(result, EVENTS) for name, result in results.items()}
        assert rows[ATTUNE]["id"] == ids[0], rows[ATTUNE]
        assert rows[ATTUNE] == rows[PSYCOPG] == rows[SQLALCHEMY] == _stored(c, EVENTS, ids[0])

    return _single(
        "get_event",
        {
            ATTUNE: lambda i: c.events.get_by_id(ids[i % len(ids)]),
            PSYCOPG: lambda i: c.raw.execute(GET_EVENT, (ids[i % len(ids)],)).fetchone(),
            SQLALCHEMY: orm,
        },
        check,
        s,
    )


def update_event(c: Clients, s: Settings) -> Operation:
    """Each client updates its own event, with a new payload every time."""
    docs = payloads(_iterations(s), start=1_000_000)
    attune_id, raw_id, orm_id = seed_events(c.events, [CREATED_REF], 3)

    def orm(i: int) -> EventRow:
        row = c.session.scalars(
            update(EventRow)
            .where(EventRow.id == orm_id)
            .values(payload=docs[i])
            .returning(EventRow)
        ).one()
        c.session.commit()
        return row

    def check(results: Mapping[str, Any]) -> None:
        targets = {ATTUNE: attune_id, PSYCOPG: raw_id, SQLALCHEMY: orm_id}
        for name, result in results.items():
            row = as_row(result, EVENTS)
            assert (row["id"], row["payload"]) == (targets[name], docs[0]), name
            assert row["updated"] > row["created"], f"{name}: `updated` did not move"
            assert _stored(c, EVENTS, row["id"]) == row, name

    return _single(
        "update_event",
        {
            ATTUNE: lambda i: c.events.update(attune_id, UpdateEventInput(payload=docs[i])),
            PSYCOPG: lambda i: c.raw.execute(UPDATE_PAYLOAD, (Jsonb(docs[i]), raw_id)).fetchone(),
            SQLALCHEMY: orm,
        },
        check,
        s,
    )


def delete_event(c: Clients, s: Settings) -> Operation:
    """Delete events that an enforcement points at (made beforehand, one per iteration
    and client): the database also sets the enforcement's `event` to NULL."""
    count = _iterations(s)
    events = seed_events(c.events, [CREATED_REF], 3 * count)
    enforcements = seed_enforcements(c.enforcements, RULE_REF, 3 * count, events)
    offsets = {ATTUNE: 0, PSYCOPG: count, SQLALCHEMY: 2 * count}

    def orm(i: int) -> int:
        result = c.session.execute(delete(EventRow).where(EventRow.id == events[2 * count + i]))
        c.session.commit()
        return result.rowcount  # type: ignore[attr-defined, no-any-return]

    def check(results: Mapping[str, Any]) -> None:
        assert results == {ATTUNE: True, PSYCOPG: 1, SQLALCHEMY: 1}, results
        for offset in offsets.values():
            assert _stored(c, EVENTS, events[offset]) is None
            enforcement = _stored(c, ENFORCEMENTS, enforcements[offset])
            assert enforcement is not None and enforcement["event"] is None, enforcement

    return _single(
        "delete_event",
        {
            ATTUNE: lambda i: c.events.delete(events[i]),
            PSYCOPG: lambda i: c.raw.execute(DELETE_EVENT, (events[count + i],)).rowcount,
            SQLALCHEMY: orm,
        },
        check,
        s,
    )


def latest_events(c: Clients, s: Settings, ref: str) -> Operation:
    """The newest `latest_limit` events of one trigger ref among all the seeded ones."""
    limit = s.latest_limit

    def orm(i: int) -> Sequence[EventRow]:
        rows = c.session.scalars(
            select(EventRow)
            .where(EventRow.trigger_ref == ref)
            .order_by(EventRow.created.desc(), EventRow.id.desc())
            .limit(limit)
        ).all()
        c.session.commit()
        return rows

    def check(results: Mapping[str, Any]) -> None:
        lists = {name: [as_row(r, EVENTS) for r in rows] for name, rows in results.items()}
        positions = [(row["created"], row["id"]) for row in lists[ATTUNE]]
        assert len(positions) == limit and positions == sorted(positions, reverse=True)
        assert all(row["trigger_ref"] == ref for row in lists[ATTUNE])
        assert lists[ATTUNE] == lists[PSYCOPG] == lists[SQLALCHEMY]
        newer = c.checker.execute(
            "SELECT count(*) FROM attune.event WHERE trigger_ref = %s AND (created, id) > (%s, %s)",
            (ref, *positions[-1]),
        ).fetchone()
        assert newer == (limit - 1,), f"not the newest {limit}: {newer}"

    return Operation(
        "latest_100_of_trigger_ref",
        {
            ATTUNE: lambda i: c.events.find_by_trigger_ref(ref, limit),
            PSYCOPG: lambda i: c.raw.execute(LATEST_EVENTS, (ref, limit)).fetchall(),
            SQLALCHEMY: orm,
        },
        check,
        s.latest_repetitions,
        warmup=10,
    )


# -- enforcements ----------------------------------------------------------------------


def create_enforcement(c: Clients, s: Settings, event: int) -> Operation:
    """An enforcement of a rule for an event (the foreign key is checked each time)."""
    docs = payloads(_iterations(s))
    created, every = EnforcementStatus.CREATED, EnforcementCondition.ALL

    def attune(i: int) -> Any:
        return c.enforcements.create(
            CreateEnforcementInput(RULE_REF, CREATED_REF, payload=docs[i], event=event)
        )

    def raw(i: int) -> Any:
        params = (RULE_REF, CREATED_REF, Jsonb(docs[i]), None, None, event, "created", "all")
        return c.raw.execute(INSERT_ENFORCEMENT, (*params, Jsonb([]))).fetchone()

    def orm(i: int) -> EnforcementRow:
        row = EnforcementRow(
            rule_ref=RULE_REF,
            trigger_ref=CREATED_REF,
            payload=docs[i],
            rule=None,
            config=None,
            event=event,
            status=created,
            condition=every,
            conditions=[],
        )
        c.session.add(row)
        c.session.commit()
        return row

    def check(results: Mapping[str, Any]) -> None:
        given: Row = {
            "rule_ref": RULE_REF,
            "trigger_ref": CREATED_REF,
            "config": None,
            "event": event,
            "status": created,
            "payload": docs[0],
            "condition": every,
            "conditions": [],
        }
        for name, result in results.items():
            row = as_row(result, ENFORCEMENTS)
            assert {column: row[column] for column in given} == given, name
            assert _stored(c, ENFORCEMENTS, row["id"]) == row, name

    return _single("create_enforcement", {ATTUNE: attune, PSYCOPG: raw, SQLALCHEMY: orm}, check, s)
