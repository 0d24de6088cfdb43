"""Ingest with notifications on and off, and how soon a listener hears of a commit.

N writer processes each store events through `Database.connection()` +
`EventRepository.create`, one event per transaction, for a fixed time; "off" is the
same code on sessions started with `attune.notify = 'off'`, and "on_immediate" the
same code notifying inside the writing transaction (what every session did before
migration 0007). The variants alternate, round after round, in one run, so that the
machine's noise falls on all alike; each figure is the median of the rounds.

Wake-up latency: during one more 8-writer run with notifications on, a listener
process (`listen()` on attune_event) notes when each event's notice arrives; a writer
notes the time just before its block ends (COMMIT is sent then). Latency is the
difference (CLOCK_MONOTONIC is one clock for all processes on Linux). Every event
committed must be heard, exactly once: the run fails otherwise.
"""

from __future__ import annotations

import json
import multiprocessing
import statistics
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event
from typing import Any

import psycopg

from attune_common import Database
from attune_common.notify import EVENT_CHANNEL, listen
from attune_common.repositories.event import CreateEventInput, EventRepository

START_TIMEOUT = 60.0
DONE = {"op": "bench-done"}


VARIANTS = {
    "on": "",  # Database's sessions: deferred notices
    "off": "-c attune.notify=off",
    "on_immediate": "-c attune.notify_mode=immediate",  # notify in the writing transaction
}
"""Each variant's session options: the same writer code, only the startup differs."""


@dataclass(frozen=True, slots=True)
class IngestResult:
    writers: int
    rounds: dict[str, list[float]]
    """Variant -> events per second of each round."""

    def median(self, variant: str) -> float:
        return statistics.median(self.rounds[variant])

    @property
    def ratio(self) -> float:
        """Notifications on over off."""
        return self.median("on") / self.median("off")

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"writers": self.writers}
        for variant, values in self.rounds.items():
            document[f"{variant}_events_per_s"] = round(statistics.median(values), 1)
        document["on_over_off"] = round(self.ratio, 3)
        document["rounds"] = {v: [round(x, 1) for x in xs] for v, xs in self.rounds.items()}
        return document


@dataclass(frozen=True, slots=True)
class LatencyResult:
    writers: int
    events: int
    events_per_s: float
    latencies_ms: list[float]

    def as_json(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        return {
            "writers": self.writers,
            "events": self.events,
            "events_per_s": round(self.events_per_s, 1),
            "median_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
            "max_ms": round(ordered[-1], 2),
        }


def _write(url: str, options: str, ref: str, seconds: float, start: Barrier) -> list[Any]:
    """One writer: events of `ref` until `seconds` have passed; [(id, sent_ns), ...]."""
    sent: list[tuple[int, int]] = []
    connect_options: dict[str, Any] = {"options": options} if options else {}
    with Database(url, min_size=1, max_size=1, connect_options=connect_options) as db:
        with db.connection() as conn:  # warm up: connect, prepare
            EventRepository(conn).create(CreateEventInput(trigger_ref=ref))
        start.wait(START_TIMEOUT)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with db.connection() as conn:
                event = EventRepository(conn).create(CreateEventInput(trigger_ref=ref))
                sent.append((event.id, time.monotonic_ns()))
    return sent


def _writer(
    url: str, options: str, ref: str, seconds: float, start: Barrier, results: Queue[Any]
) -> None:
    try:
        results.put(_write(url, options, ref, seconds, start))
    except BaseException as exc:
        start.abort()
        results.put(f"{type(exc).__name__}: {exc}")


def _listener(url: str, ready: Event, results: Queue[Any]) -> None:
    """Notes when each event's notice arrives, until the DONE notice (sent after every
    writer has returned, so after all their notices: notices arrive in commit order)."""
    heard: dict[int, int] = {}
    repeated: list[int] = []
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            notices = listen(conn, EVENT_CHANNEL, timeout=START_TIMEOUT * 10)
            ready.set()
            for notice in notices:
                arrived = time.monotonic_ns()
                if notice.payload == DONE:
                    break
                for id in ids_of(notice.payload):
                    if id in heard:
                        repeated.append(id)
                    heard[id] = arrived
        results.put((heard, repeated))
    except BaseException as exc:
        ready.set()
        results.put(f"{type(exc).__name__}: {exc}")


def ids_of(payload: dict[str, Any]) -> list[int]:
    if "count" not in payload:
        return [payload["id"]]
    return list(payload.get("ids", []))


def _run_writers(
    url: str, writers: int, seconds: float, options: str, tag: str
) -> list[list[tuple[int, int]]]:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(writers + 1)
    results: Queue[Any] = context.Queue()
    processes = [
        context.Process(
            target=_writer, args=(url, options, f"bench.ingest{tag}.{n}", seconds, start, results)
        )
        for n in range(writers)
    ]
    for process in processes:
        process.start()
    try:
        start.wait(START_TIMEOUT)
        answers = [results.get(timeout=START_TIMEOUT + seconds) for _ in processes]
    finally:
        for process in processes:
            process.join(START_TIMEOUT)
            if process.is_alive():
                process.terminate()
    failures = [answer for answer in answers if not isinstance(answer, list)]
    if failures:
        raise RuntimeError(f"ingest writers failed: {failures}")
    return answers


def events_per_s(url: str, writers: int, seconds: float, options: str) -> float:
    sent = _run_writers(url, writers, seconds, options, "")
    return sum(len(s) for s in sent) / seconds


def measure_ingest(url: str, writers: int, seconds: float, rounds: int) -> IngestResult:
    """Every variant once per round, in an order that turns round by round."""
    found: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    order = list(VARIANTS)
    for n in range(rounds):
        for variant in order[n % len(order) :] + order[: n % len(order)]:
            found[variant].append(events_per_s(url, writers, seconds, VARIANTS[variant]))
    return IngestResult(writers, found)


def measure_latency(url: str, writers: int, seconds: float) -> LatencyResult:
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    results: Queue[Any] = context.Queue()
    listener = context.Process(target=_listener, args=(url, ready, results))
    listener.start()
    try:
        if not ready.wait(START_TIMEOUT):
            raise RuntimeError("the listener did not start")
        sent = _run_writers(url, writers, seconds, "", ".latency")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT pg_notify(%s, %s)", (EVENT_CHANNEL, json.dumps(DONE)))
        answer = results.get(timeout=START_TIMEOUT)
    finally:
        listener.join(START_TIMEOUT)
        if listener.is_alive():
            listener.terminate()
    if isinstance(answer, str):
        raise RuntimeError(f"the listener failed: {answer}")
    heard, repeated = answer
    committed = [pair for batch in sent for pair in batch]
    missed = [id for id, _ in committed if id not in heard]
    assert not missed, f"{len(missed)} committed events were never notified: {missed[:10]}"
    assert not repeated, f"events notified more than once: {repeated[:10]}"
    latencies = [(heard[id] - sent_ns) / 1e6 for id, sent_ns in committed]
    return LatencyResult(writers, len(committed), len(committed) / seconds, latencies)
