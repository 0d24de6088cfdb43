"""Bulk insert of many events: `create_many`, raw COPY, the ORM, and one `create` per row.

Every variant builds its inputs from the same payload documents inside the timed
region (what a caller has to do too) and commits once, except the single creates,
which commit each row as an autocommit caller's `create` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb

from attune_common.models import Event
from attune_common.repositories.event import EVENTS, CreateEventInput, EventRepository

from .clients import ATTUNE, PSYCOPG, SQLALCHEMY, Clients
from .orm import EventRow
from .payloads import payloads
from .settings import Settings
from .timing import Operation

ATTUNE_CREATES = "attune_single_creates"
BULK_REF = "bench.bulk"

ALLOCATE_IDS = EVENTS.allocate_ids.query
COPY_EVENTS = EVENTS.copy_in
"""The COPY `create_many` runs: explicit ids, then the columns an insert writes."""
assert EVENTS.written_columns == (
    "trigger",
    "trigger_ref",
    "config",
    "payload",
    "source",
    "source_ref",
)

STORED_NUMBERS = (
    "SELECT id, (payload->>'n')::int FROM attune.event WHERE id = ANY(%s) AND trigger_ref = %s"
)


def copy_events(conn: Connection[Any], docs: Sequence[Any]) -> list[int]:
    """What `create_many` does, by hand: ids from the sequence, then one COPY, in one
    transaction. Returns the ids, in input order."""
    with conn.transaction():
        allocated = conn.execute(ALLOCATE_IDS, (len(docs),)).fetchone()
        assert allocated is not None
        ids: list[int] = allocated[1]
        with conn.cursor() as cursor, cursor.copy(COPY_EVENTS) as copy:
            for id, doc in zip(ids, docs, strict=True):
                copy.write_row((id, None, BULK_REF, None, Jsonb(doc), None, None))
    return ids


def _check_order(c: Clients, name: str, ids: Sequence[int], count: int) -> None:
    """The rows with these ids hold documents 0..count-1, in this order."""
    assert len(ids) == count == len(set(ids)), f"{name}: {len(ids)} ids for {count} rows"
    stored = dict(c.checker.execute(STORED_NUMBERS, (list(ids), BULK_REF)).fetchall())
    assert [stored.get(id) for id in ids] == list(range(count)), f"{name}: rows out of order"


def _check_created(c: Clients, rows: Sequence[Event]) -> None:
    """`create_many` returned what `get_by_id` reads back, row by row."""
    reader = EventRepository(c.checker)
    for row in rows:
        assert reader.get_by_id(row.id) == row, row.id


def bulk_insert(c: Clients, s: Settings) -> Operation:
    count = s.bulk_rows
    docs = payloads(count)

    def orm(i: int) -> list[EventRow]:
        rows = [EventRow(trigger_ref=BULK_REF, payload=doc) for doc in docs]
        c.session.add_all(rows)
        c.session.commit()
        return rows

    def check(results: Mapping[str, Any]) -> None:
        _check_order(c, ATTUNE, [row.id for row in results[ATTUNE]], count)
        _check_created(c, results[ATTUNE])
        _check_order(c, PSYCOPG, results[PSYCOPG], count)
        _check_order(c, SQLALCHEMY, [row.id for row in results[SQLALCHEMY]], count)
        _check_order(c, ATTUNE_CREATES, [row.id for row in results[ATTUNE_CREATES]], count)

    return Operation(
        f"bulk_insert_{count}",
        {
            ATTUNE: lambda i: c.events.create_many(
                [CreateEventInput(BULK_REF, payload=doc) for doc in docs]
            ),
            PSYCOPG: lambda i: copy_events(c.raw, docs),
            SQLALCHEMY: orm,
            ATTUNE_CREATES: lambda i: [
                c.events.create(CreateEventInput(BULK_REF, payload=doc)) for doc in docs
            ],
        },
        check,
        s.bulk_repetitions,
        warmup=0,  # the checked run warms every variant up
    )
