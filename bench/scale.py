"""How cost grows with volume: the same reads, a claim and retention at N events.

`python -m bench --scale N [--scale M ...]` seeds, for every scale, a scratch database
with N events (1 KB payloads over 100 trigger refs) and N processed enforcements
(history in front of the claims), with `create_many` (COPY, 10,000 rows per committed
batch). Then it times, through the repositories on autocommit connections, the scales
interleaved (every round runs each scale once, so load on the machine hits them alike):

- `get_event`: an event by id, ids drawn at random over the whole table;
- `latest_100_of_trigger_ref`: the newest 100 of one ref's N/100 events;
- `list_page_1` and `list_page_deep`: the whole history's newest page, and the page in
  the middle of it (page N/200), given its cursor;
- `claim_created`: one `claim_created(limit=10)` (committed) among N processed
  enforcements.

Last, one scale after the other, `delete_older_than` purges the oldest 10% of the
events in batches of 10,000 (rows/s). Every answer is checked once before it is timed
(see `timing.py`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from attune_common.models import EnforcementStatus
from attune_common.paging import encode_cursor
from attune_common.repositories.event import EnforcementRepository, EventRepository

from .scratch import scratch_database
from .seed import BATCH, seed_enforcements, seed_events
from .timing import Operation, Timing, Variant, measure

REFS = 100
PAGE = 100
CLAIM_LIMIT = 10
PURGED_FRACTION = 0.1
"""The share of the events `delete_older_than` removes (the oldest)."""
MINIMUM_EVENTS = 2 * BATCH

GET_REPETITIONS, GET_WARMUP = 1000, 50
READ_REPETITIONS, READ_WARMUP = 100, 10
CLAIM_REPETITIONS, CLAIM_WARMUP = 300, 10
CLAIM_REF = "bench.scale.claim"

NEWEST_FIRST_AT = (
    "SELECT created, id FROM attune.event ORDER BY created DESC, id DESC LIMIT 1 OFFSET %s"
)
PAGE_BY_OFFSET = "SELECT id FROM attune.event ORDER BY created DESC, id DESC LIMIT %s OFFSET %s"
OLDER_THAN = "SELECT count(*) FROM attune.event WHERE created < %s"
SIZES = (
    "SELECT pg_total_relation_size('attune.event'), pg_total_relation_size('attune.enforcement')"
)

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Seeded:
    """One scale's database: the timed connection, one for checks, what was seeded."""

    size: int
    conn: psycopg.Connection[Any]
    checker: psycopg.Connection[Any]
    event_ids: list[int]
    refs: list[str]
    seed_seconds: float

    @property
    def label(self) -> str:
        return f"{self.size:,}"

    @property
    def deep_page(self) -> int:
        return max(2, self.size // (2 * PAGE))

    @property
    def events(self) -> EventRepository:
        return EventRepository(self.conn)


@dataclass(frozen=True, slots=True)
class ScaleResult:
    """One scale's figures: medians in µs, retention in rows/s, sizes in bytes."""

    events: int
    seed_seconds: float
    event_bytes: int
    enforcement_bytes: int
    deep_page: int
    timings: Mapping[str, Timing]
    deleted: int
    delete_seconds: float

    @property
    def delete_rows_per_s(self) -> float:
        return self.deleted / self.delete_seconds

    def median_us(self, operation: str) -> float:
        return self.timings[operation].median_us


# -- seeding ----------------------------------------------------------------------------


@contextmanager
def seeded(size: int, log: Log) -> Iterator[Seeded]:
    """A scratch database holding `size` events and `size` processed enforcements, then
    the claim pool (the newest enforcements); dropped on exit."""
    if size < MINIMUM_EVENTS:
        raise ValueError(f"--scale needs at least {MINIMUM_EVENTS:,} events")
    with (
        scratch_database() as url,
        psycopg.connect(url, autocommit=True) as conn,
        psycopg.connect(url, autocommit=True) as checker,
    ):
        log(f"seeding {size:,} events and {size:,} processed enforcements")
        started = time.perf_counter()
        refs = [f"bench.scale.{n:03d}" for n in range(REFS)]
        ids = seed_events(EventRepository(conn), refs, size)
        enforcements = EnforcementRepository(conn)
        history = EnforcementStatus.PROCESSED
        seed_enforcements(enforcements, "bench.scale.history", size, status=history)
        pool = CLAIM_LIMIT * (1 + CLAIM_WARMUP + CLAIM_REPETITIONS)
        seed_enforcements(enforcements, CLAIM_REF, pool)
        conn.execute("VACUUM ANALYZE attune.event")
        conn.execute("VACUUM ANALYZE attune.enforcement")
        seconds = time.perf_counter() - started
        log(f"seeded {size:,} in {seconds:.1f} s")
        yield Seeded(size, conn, checker, ids, refs, seconds)


# -- the timed operations: a call and its check, per scale ------------------------------


@dataclass(frozen=True, slots=True)
class Probe:
    call: Variant
    check: Callable[[Any], None]


def get_event(s: Seeded) -> Probe:
    picks = random.Random(7).choices(s.event_ids, k=1 + GET_WARMUP + GET_REPETITIONS)

    def check(event: Any) -> None:
        assert event.id == picks[0], event

    return Probe(lambda i: s.events.get_by_id(picks[i]), check)


def latest_100(s: Seeded) -> Probe:
    ref = s.refs[len(s.refs) // 2]

    def check(rows: Sequence[Any]) -> None:
        positions = [(row.created, row.id) for row in rows]
        assert len(rows) == PAGE and positions == sorted(positions, reverse=True)
        assert all(row.trigger_ref == ref for row in rows)

    return Probe(lambda i: s.events.find_by_trigger_ref(ref, PAGE), check)


def page(s: Seeded, number: int) -> Probe:
    """Page `number` of the whole history, newest first, given its cursor."""
    after = None
    if number > 1:
        position = s.checker.execute(NEWEST_FIRST_AT, ((number - 1) * PAGE - 1,)).fetchone()
        assert position is not None
        after = encode_cursor(position[0], position[1])
    expected = s.checker.execute(PAGE_BY_OFFSET, (PAGE, (number - 1) * PAGE)).fetchall()

    def check(found: Any) -> None:
        assert [row.id for row in found.items] == [id for (id,) in expected], number

    return Probe(lambda i: s.events.list_page(after=after, limit=PAGE), check)


def claim(s: Seeded) -> Probe:
    """Claims of the pool, oldest first; every call takes the next 10 (committed)."""
    enforcements = EnforcementRepository(s.conn)

    def check(rows: Sequence[Any]) -> None:
        assert len(rows) == CLAIM_LIMIT and {row.rule_ref for row in rows} == {CLAIM_REF}
        assert all(row.status is EnforcementStatus.PROCESSED for row in rows)

    return Probe(lambda i: enforcements.claim_created(CLAIM_LIMIT), check)


OPERATIONS: list[tuple[str, Callable[[Seeded], Probe], int, int]] = [
    ("get_event", get_event, GET_REPETITIONS, GET_WARMUP),
    ("latest_100_of_trigger_ref", latest_100, READ_REPETITIONS, READ_WARMUP),
    ("list_page_1", lambda s: page(s, 1), READ_REPETITIONS, READ_WARMUP),
    ("list_page_deep", lambda s: page(s, s.deep_page), READ_REPETITIONS, READ_WARMUP),
    ("claim_created", claim, CLAIM_REPETITIONS, CLAIM_WARMUP),
]


def interleaved(name: str, probes: Mapping[str, Probe], repetitions: int, warmup: int) -> Operation:
    """One operation whose variants are the scales."""

    def check(results: Mapping[str, Any]) -> None:
        for label, probe in probes.items():
            probe.check(results[label])

    variants = {label: probe.call for label, probe in probes.items()}
    return Operation(name, variants, check, repetitions, warmup)


# -- retention --------------------------------------------------------------------------


def delete_oldest(s: Seeded) -> tuple[int, float]:
    """`delete_older_than` the creation time of the event at 10% of the table (rounded
    to a seeding batch, whose rows share one creation time, and at least the first
    batch): how many rows it deleted and in how many seconds."""
    position = int(len(s.event_ids) * PURGED_FRACTION) // BATCH * BATCH
    cutoff: datetime = s.events.get_by_id(s.event_ids[max(BATCH, position)]).created
    older = s.checker.execute(OLDER_THAN, (cutoff,)).fetchone()
    started = time.perf_counter()
    deleted = s.events.delete_older_than(cutoff, batch_size=BATCH)
    seconds = time.perf_counter() - started
    assert older is not None and deleted == older[0] > 0, (deleted, older)
    return deleted, seconds


# -- the run ----------------------------------------------------------------------------


def measure_scales(sizes: Sequence[int], log: Log) -> tuple[list[ScaleResult], str]:
    """Seed every scale, time the operations with the scales interleaved, then purge
    each; the results (smallest scale first) and the server's version."""
    with ExitStack() as stack:
        scales = [stack.enter_context(seeded(size, log)) for size in sorted(sizes)]
        timings: dict[str, dict[str, Timing]] = {s.label: {} for s in scales}
        for name, probe, repetitions, warmup in OPERATIONS:
            log(f"{name}: {repetitions} repetitions per scale")
            operation = interleaved(name, {s.label: probe(s) for s in scales}, repetitions, warmup)
            for label, timing in measure(operation).items():
                timings[label][name] = timing
        results = []
        for s in scales:
            sizes_now = s.checker.execute(SIZES).fetchone()
            assert sizes_now is not None
            log(f"delete_older_than: the oldest {PURGED_FRACTION:.0%} of {s.label} events")
            deleted, seconds = delete_oldest(s)
            results.append(
                ScaleResult(
                    events=s.size,
                    seed_seconds=s.seed_seconds,
                    event_bytes=sizes_now[0],
                    enforcement_bytes=sizes_now[1],
                    deep_page=s.deep_page,
                    timings=timings[s.label],
                    deleted=deleted,
                    delete_seconds=seconds,
                )
            )
        server = str(scales[-1].conn.info.parameter_status("server_version"))
    return results, server
