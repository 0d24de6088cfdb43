"""The asyncio API: `Async*Repository` against a raw `psycopg.AsyncConnection` sending
the same SQL, and the throughput of 50 concurrent tasks on one async pool against the
same work through the sync `Database` with 50 threads.

Each async variant runs to its end on one event loop kept for the whole run
(`runner.run(...)` around it costs both variants alike), so the ratio is the library's
own Python work.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg
from psycopg.types.json import Jsonb

from attune_common import AsyncDatabase, Database
from attune_common.repositories import (
    AsyncEventRepository,
    CreateEventInput,
    EventRepository,
    UpdateEventInput,
)

from .bulk import ALLOCATE_IDS, BULK_REF, COPY_EVENTS
from .clients import Clients, json_decoding_rows
from .payloads import payloads
from .seed import seed_events
from .settings import Settings
from .single import CREATED_REF, GET_EVENT, INSERT_EVENT, LATEST_EVENTS, UPDATE_PAYLOAD, as_row
from .timing import Operation

ATTUNE_ASYNC = "attune_async"
PSYCOPG_ASYNC = "psycopg_async"
ASYNC_OPERATIONS = ("async_get_event", "async_create_event", "async_update_event")

T = TypeVar("T")


@dataclass
class AsyncClients:
    """Two autocommit AsyncConnections on one event loop: the library's and raw psycopg's."""

    runner: asyncio.Runner
    attune: psycopg.AsyncConnection[Any]
    raw: psycopg.AsyncConnection[Any]
    events: AsyncEventRepository = field(init=False)

    def __post_init__(self) -> None:
        self.events = AsyncEventRepository(self.attune)

    def run(self, call: Callable[[], Awaitable[T]]) -> T:
        async def main() -> T:
            return await call()

        return self.runner.run(main())

    async def fetch_one(self, query: bytes, params: Sequence[Any]) -> Any:
        cursor = await self.raw.execute(query, params)
        return await cursor.fetchone()

    async def fetch_all(self, query: bytes, params: Sequence[Any]) -> list[Any]:
        cursor = await self.raw.execute(query, params)
        return await cursor.fetchall()

    def close(self) -> None:
        for conn in (self.attune, self.raw):
            self.runner.run(conn.close())
        self.runner.close()


def connect_async(url: str) -> AsyncClients:
    runner = asyncio.Runner()
    attune = runner.run(psycopg.AsyncConnection.connect(url, autocommit=True))
    raw = runner.run(
        psycopg.AsyncConnection.connect(url, autocommit=True, row_factory=json_decoding_rows)
    )
    return AsyncClients(runner, attune, raw)


def _checked_same(c: Clients, results: Mapping[str, Any]) -> None:
    rows = {name: as_row(result, c.events.table) for name, result in results.items()}
    attune, raw = rows[ATTUNE_ASYNC], rows[PSYCOPG_ASYNC]
    assert {k: v for k, v in attune.items() if k not in ("id", "created", "updated")} == {
        k: v for k, v in raw.items() if k not in ("id", "created", "updated")
    }, rows


def async_operations(
    c: Clients, a: AsyncClients, s: Settings, ids: Sequence[int], ref: str
) -> list[Operation]:
    count = 1 + s.single_warmup + s.single_repetitions
    docs = payloads(count, start=2_000_000)
    attune_id, raw_id = seed_events(c.events, [CREATED_REF], 2)

    def get_check(results: Mapping[str, Any]) -> None:
        _checked_same(c, results)
        assert as_row(results[ATTUNE_ASYNC], c.events.table)["id"] == ids[0]

    def latest_check(results: Mapping[str, Any]) -> None:
        attune, raw = results[ATTUNE_ASYNC], results[PSYCOPG_ASYNC]
        assert len(attune) == len(raw) == s.latest_limit
        assert [row.id for row in attune] == [row[0] for row in raw]

    single = s.single_repetitions, s.single_warmup
    return [
        Operation(
            "async_get_event",
            {
                ATTUNE_ASYNC: lambda i: a.run(lambda: a.events.get_by_id(ids[i % len(ids)])),
                PSYCOPG_ASYNC: lambda i: a.run(
                    lambda: a.fetch_one(GET_EVENT, (ids[i % len(ids)],))
                ),
            },
            get_check,
            *single,
        ),
        Operation(
            "async_create_event",
            {
                ATTUNE_ASYNC: lambda i: a.run(
                    lambda: a.events.create(CreateEventInput(CREATED_REF, payload=docs[i]))
                ),
                PSYCOPG_ASYNC: lambda i: a.run(
                    lambda: a.fetch_one(
                        INSERT_EVENT, (CREATED_REF, None, None, Jsonb(docs[i]), None, None)
                    )
                ),
            },
            lambda results: _checked_same(c, results),
            *single,
        ),
        Operation(
            "async_update_event",
            {
                ATTUNE_ASYNC: lambda i: a.run(
                    lambda: a.events.update(attune_id, UpdateEventInput(payload=docs[i]))
                ),
                PSYCOPG_ASYNC: lambda i: a.run(
                    lambda: a.fetch_one(UPDATE_PAYLOAD, (Jsonb(docs[i]), raw_id))
                ),
            },
            lambda results: _checked_same(c, results),
            *single,
        ),
        Operation(
            "async_latest_100_of_trigger_ref",
            {
                ATTUNE_ASYNC: lambda i: a.run(
                    lambda: a.events.find_by_trigger_ref(ref, limit=s.latest_limit)
                ),
                PSYCOPG_ASYNC: lambda i: a.run(
                    lambda: a.fetch_all(LATEST_EVENTS, (ref, s.latest_limit))
                ),
            },
            latest_check,
            s.latest_repetitions,
            5,
        ),
        async_bulk_insert(c, a, s),
    ]


async def copy_events(conn: psycopg.AsyncConnection[Any], docs: Sequence[Any]) -> list[int]:
    """What `create_many` does, by hand, on an AsyncConnection (see bulk.copy_events)."""
    async with conn.transaction():
        cursor = await conn.execute(ALLOCATE_IDS, (len(docs),))
        allocated = await cursor.fetchone()
        assert allocated is not None
        ids: list[int] = allocated[1]
        async with conn.cursor() as copying, copying.copy(COPY_EVENTS) as copy:
            for id, doc in zip(ids, docs, strict=True):
                await copy.write_row((id, None, BULK_REF, None, Jsonb(doc), None, None))
    return ids


def async_bulk_insert(c: Clients, a: AsyncClients, s: Settings) -> Operation:
    docs = payloads(s.bulk_rows)

    def check(results: Mapping[str, Any]) -> None:
        attune, raw = [row.id for row in results[ATTUNE_ASYNC]], results[PSYCOPG_ASYNC]
        for ids in (attune, raw):
            stored = c.checker.execute(
                "SELECT id, payload FROM attune.event WHERE id = ANY(%s)", (ids,)
            ).fetchall()
            by_id = dict(stored)
            assert [by_id[id] for id in ids] == docs

    return Operation(
        f"async_bulk_insert_{s.bulk_rows}",
        {
            ATTUNE_ASYNC: lambda i: a.run(
                lambda: a.events.create_many([CreateEventInput(BULK_REF, payload=d) for d in docs])
            ),
            PSYCOPG_ASYNC: lambda i: a.run(lambda: copy_events(a.raw, docs)),
        },
        check,
        s.bulk_repetitions,
        0,
    )


# -- concurrency ---------------------------------------------------------------------------

WORKERS = 50
POOL_SIZE = 10
UNITS = 20  # per worker: create an event, read it back, in one transaction


@dataclass(frozen=True, slots=True)
class ConcurrencyResult:
    api: str
    workers: int
    units: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.units / self.seconds

    def as_json(self) -> dict[str, Any]:
        return {
            "workers": self.workers,
            "pool_size": POOL_SIZE,
            "units": self.units,
            "seconds": round(self.seconds, 3),
            "units_per_s": round(self.per_second, 1),
        }


def _sync_unit(db: Database, ref: str) -> None:
    with db.connection() as conn:
        events = EventRepository(conn)
        assert events.get_by_id(events.create(CreateEventInput(ref)).id).trigger_ref == ref


async def _async_units(db: AsyncDatabase, ref: str) -> None:
    for _ in range(UNITS):
        async with db.connection() as conn:
            events = AsyncEventRepository(conn)
            created = await events.create(CreateEventInput(ref))
            assert (await events.get_by_id(created.id)).trigger_ref == ref


def measure_concurrency(url: str) -> list[ConcurrencyResult]:
    """The same units of work: 50 threads on the sync Database, 50 tasks on one
    AsyncDatabase of the same pool size."""
    ref = "bench.concurrent"
    with Database(url, min_size=POOL_SIZE, max_size=POOL_SIZE) as db:
        _sync_unit(db, ref)  # the pool is open and warm
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=WORKERS) as threads:
            list(threads.map(lambda _: _sync_unit(db, ref), range(WORKERS * UNITS)))
        sync = ConcurrencyResult(
            "sync Database, threads", WORKERS, WORKERS * UNITS, time.perf_counter() - start
        )

    async def run_async() -> float:
        async with AsyncDatabase(url, min_size=POOL_SIZE, max_size=POOL_SIZE) as db:
            await _async_units(db, ref)  # the pool is open and warm
            start = time.perf_counter()
            await asyncio.gather(*(_async_units(db, ref) for _ in range(WORKERS)))
            return time.perf_counter() - start

    seconds = asyncio.run(run_async())
    return [sync, ConcurrencyResult("AsyncDatabase, tasks", WORKERS, WORKERS * UNITS, seconds)]
