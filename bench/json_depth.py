"""`create_event` with a deeply nested payload: what a JSON nesting guard costs.

The schema refuses JSON nested deeper than 256 levels; whatever enforces it (a CHECK
walking the document, or Python before sending) runs on every write. This row writes
documents nested `DEPTH` levels (just under the limit, the guard's worst accepted
case); `create_event` writes flat 1 KB documents. Compare both rows before and after a
change to the guard.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from psycopg.types.json import Jsonb

from attune_common.repositories.event import EVENTS, CreateEventInput

from .clients import ATTUNE, PSYCOPG, Clients
from .settings import Settings
from .single import CREATED_REF, INSERT_EVENT, as_row
from .timing import Operation

DEPTH = 250
CREATE_NESTED = f"create_event_nested_{DEPTH}"


def nested(n: int, depth: int = DEPTH) -> Any:
    """A document `depth` levels deep (objects and arrays taking turns), leaf `n`."""
    document: Any = {"n": n}
    for level in range(depth - 1):
        document = [document] if level % 2 else {"level": document}
    return document


def create_event_nested(c: Clients, s: Settings) -> Operation:
    count = 1 + s.single_warmup + s.single_repetitions
    docs = [nested(n) for n in range(count)]

    def check(results: Mapping[str, Any]) -> None:
        for name, result in results.items():
            row = as_row(result, EVENTS)
            assert row["payload"] == docs[0], name
            stored = c.checker.execute(EVENTS.by_key.query, (row["id"],)).fetchone()
            assert stored is not None and as_row(stored, EVENTS) == row, name

    return Operation(
        CREATE_NESTED,
        {
            ATTUNE: lambda i: c.events.create(CreateEventInput(CREATED_REF, payload=docs[i])),
            PSYCOPG: lambda i: c.raw.execute(
                INSERT_EVENT, (CREATED_REF, None, None, Jsonb(docs[i]), None, None)
            ).fetchone(),
        },
        check,
        s.single_repetitions,
        s.single_warmup,
    )
