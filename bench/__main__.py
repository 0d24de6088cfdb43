"""`python -m bench [--quick]`: run the benchmark, print the table, write the results."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy

from .aio import ConcurrencyResult, async_operations, connect_async, measure_concurrency
from .bulk import bulk_insert
from .claims import ClaimResult, measure_claims
from .clients import Clients, check_same_sql, connect
from .ingest import IngestResult, LatencyResult, measure_ingest, measure_latency
from .json_depth import create_event_nested
from .notify_report import NOTIFY_TARGETS, NotifyFigures, notify_table
from .paging import paging
from .pooled import pooled_transaction
from .report import Timings, results_json, table, targets, write
from .scale_report import run_scales
from .scratch import scratch_database
from .seed import seed_events
from .settings import FULL, QUICK, Settings
from .single import (
    create_enforcement,
    create_event,
    delete_event,
    get_event,
    latest_events,
    update_event,
)
from .timing import Operation, measure

PAGING_REF = "bench.paging"
CLAIM_PROCESSES = (1, 4)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def seed(c: Clients, s: Settings) -> tuple[list[int], list[str]]:
    """The seeded events' ids and trigger refs, and the paging ref's events."""
    refs = [f"bench.seed.{n:03d}" for n in range(s.seed_refs)]
    log(f"seeding {s.seed_rows:,} events over {len(refs)} trigger refs")
    ids = seed_events(c.events, refs, s.seed_rows)
    log(f"seeding {s.paging_rows:,} events of {PAGING_REF}")
    seed_events(c.events, [PAGING_REF], s.paging_rows)
    c.checker.execute("VACUUM ANALYZE attune.event")
    return ids, refs


def operations(
    c: Clients, s: Settings, url: str, ids: list[int], refs: list[str]
) -> Iterator[Operation]:
    """Every compared operation, each made (fixtures and all, untimed) just before it
    runs. The reads of the seeded events come first: rows written later by the other
    operations would be newer than the paged ref's and change page 1's plan (see the
    README's findings)."""
    yield latest_events(c, s, refs[len(refs) // 2])
    yield from paging(c, s, PAGING_REF)
    yield get_event(c, s, ids)
    yield create_event(c, s)
    yield update_event(c, s)
    yield delete_event(c, s)
    yield create_enforcement(c, s, event=ids[0])
    yield create_event_nested(c, s)
    yield from pooled_transaction(c, s, url, ids)
    yield bulk_insert(c, s)


def notifications(url: str, s: Settings, claims: list[ClaimResult]) -> NotifyFigures:
    """Ingest with notifications on and off, and the wake-up latency under load (last:
    they write many events, which would change the plans of the seeded reads)."""
    ingest: list[IngestResult] = []
    for writers in s.ingest_writers:
        log(f"ingest, {writers} writer(s): notifications on / off / immediate, interleaved")
        ingest.append(measure_ingest(url, writers, s.ingest_seconds, s.ingest_rounds))
    log("wake-up latency under 8 writers")
    latency: LatencyResult = measure_latency(url, 8, s.ingest_seconds)
    return NotifyFigures(ingest, latency, claims)


def run(
    url: str, s: Settings
) -> tuple[Timings, list[ClaimResult], list[ConcurrencyResult], NotifyFigures, str]:
    """Seed, measure the claims (first: later operations leave created enforcements
    behind), then every operation, then the notification rows; the timings, the
    claims, the notification figures and the server version."""
    c = connect(url)
    try:
        ids, refs = seed(c, s)
        claims = []
        for processes in CLAIM_PROCESSES:
            log(f"claiming {s.claim_pool:,} enforcements with {processes} process(es)")
            claims.append(measure_claims(c, s, url, processes))
        timings = {}
        for operation in operations(c, s, url, ids, refs):
            log(f"{operation.name}: {operation.repetitions} repetitions")
            timings[operation.name] = measure(operation)
        check_same_sql(c)
        a = connect_async(url)
        try:
            for operation in async_operations(c, a, s, ids, refs[len(refs) // 3]):
                log(f"{operation.name}: {operation.repetitions} repetitions")
                timings[operation.name] = measure(operation)
        finally:
            a.close()
        log("50 tasks on an async pool against 50 threads on the sync Database")
        concurrency = measure_concurrency(url)
        figures = notifications(url, s, claims)
        version = c.checker.execute("SHOW server_version").fetchone()
        return timings, claims, concurrency, figures, str(version[0] if version else "?")
    finally:
        c.close()


def metadata(s: Settings, server: str, load: tuple[float, ...], seconds: float) -> dict[str, Any]:
    return {
        "mode": s.mode,
        "run": s.describe(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "postgresql": server,
        "python": platform.python_version(),
        "psycopg": psycopg.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "cpus": os.cpu_count(),
        "load_average_before": [round(value, 2) for value in load],
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
        "seconds": round(seconds, 1),
        "rows": {
            "seeded_events": s.seed_rows,
            "seeded_trigger_refs": s.seed_refs,
            "paging_events": s.paging_rows,
            "bulk": s.bulk_rows,
            "claim_pool": s.claim_pool,
            "ingest_writers": list(s.ingest_writers),
            "ingest_seconds_per_round": s.ingest_seconds,
            "ingest_rounds": s.ingest_rounds,
        },
        "repetitions": {
            "single_row": s.single_repetitions,
            "single_row_warmup": s.single_warmup,
            "latest_100": s.latest_repetitions,
            "paging": s.paging_repetitions,
            "bulk": s.bulk_repetitions,
        },
        "sqlalchemy_bulk": "session.add_all(10k objects) + commit (insertmanyvalues RETURNING)",
        "unit": "median microseconds per operation (bulk: per batch)",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="fewer rows and repetitions: under a minute"
    )
    parser.add_argument(
        "--scale",
        type=int,
        action="append",
        metavar="N",
        help="instead: how cost grows with volume, at N events (repeat for several scales)",
    )
    args = parser.parse_args(argv)
    if args.scale:
        print(run_scales(args.scale, log))
        return 0
    s = QUICK if args.quick else FULL
    load, started = os.getloadavg(), time.perf_counter()
    log(f"{s.mode} run")
    with scratch_database() as url:
        timings, claims, concurrency, figures, server = run(url, s)
    checks = targets(f"bulk_insert_{s.bulk_rows}")
    info = metadata(s, server, load, time.perf_counter() - started)
    heading = f"attune_common benchmark, {info['date']}, PostgreSQL {server}\n{s.describe()}\n"
    text = heading + "\n" + table(timings, claims, checks, concurrency)
    text += "\n\n" + notify_table(figures)
    document = results_json(timings, claims, checks, info, concurrency)
    document.update(figures.as_json())
    document["notify_targets"] = {
        target.describe(): target.as_json_of(figures) for target in NOTIFY_TARGETS
    }
    write(Path(__file__).parent, text, document)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
