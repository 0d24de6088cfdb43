"""A transaction through `Database`'s pool against the same on one raw connection.

`with db.connection() as conn:` + one statement + its commit, on a pool of one
connection, against raw psycopg doing BEGIN / the statement / COMMIT on a connection of
its own: the difference is what lending and returning a pooled connection costs
(the pool's bookkeeping, any check or reset it does, the context manager).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import psycopg

from attune_common import Database
from attune_common.repositories.event import EVENTS

from .clients import ATTUNE, PSYCOPG, Clients
from .settings import Settings
from .single import GET_EVENT, as_row
from .timing import Operation

POOLED_TRANSACTION = "pooled_transaction"


def pooled_transaction(
    c: Clients, s: Settings, url: str, ids: Sequence[int]
) -> Iterator[Operation]:
    """The operation, with its pool and raw connection open while it is measured:
    they are closed when the caller asks for the next operation."""
    with Database(url, min_size=1, max_size=1) as db, psycopg.connect(url) as raw:

        def attune(i: int) -> Any:
            with db.connection() as conn:
                return conn.execute(GET_EVENT, (ids[i % len(ids)],)).fetchone()

        def psycopg_only(i: int) -> Any:
            row = raw.execute(GET_EVENT, (ids[i % len(ids)],)).fetchone()  # opens BEGIN
            raw.commit()
            return row

        def check(results: Mapping[str, Any]) -> None:
            stored = c.checker.execute(GET_EVENT, (ids[0],)).fetchone()
            assert results[ATTUNE] == results[PSYCOPG] == stored, results
            assert as_row(stored, EVENTS)["id"] == ids[0]

        yield Operation(
            POOLED_TRANSACTION,
            {ATTUNE: attune, PSYCOPG: psycopg_only},
            check,
            s.single_repetitions,
            s.single_warmup,
        )
