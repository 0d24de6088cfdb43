"""Claims per second of `EnforcementRepository.claim_created`, by 1 and by N processes.

Each worker process has its own `Database` (a pool of one connection) and claims
batches of the pool's rule until nothing is left, one `db.connection()` block (one
transaction) per claim, as a replica's loop does. Afterwards the claimed ids are
checked: none twice, all of the pool, and none of the decoys (created enforcements
of another rule, which must stay untouched).
"""

from __future__ import annotations

import multiprocessing
import queue
from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from threading import BrokenBarrierError
from time import perf_counter_ns
from typing import Any

from attune_common import Database
from attune_common.repositories.event import EnforcementRepository

from .clients import Clients
from .seed import seed_enforcements
from .settings import Settings

DECOYS = 1_000
WARMUP_CLAIMS = 10
START_TIMEOUT = 60.0
RUN_TIMEOUT = 600.0


@dataclass(frozen=True, slots=True)
class WorkerResult:
    ids: list[int]
    claims: int
    finished_ns: int


@dataclass(frozen=True, slots=True)
class ClaimResult:
    processes: int
    enforcements: int
    claims: int
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "processes": self.processes,
            "claims_per_s": round(self.claims / self.seconds, 1),
            "enforcements_per_s": round(self.enforcements / self.seconds, 1),
            "claims": self.claims,
            "enforcements": self.enforcements,
            "seconds": round(self.seconds, 3),
        }


def claim_all(url: str, rule_ref: str, limit: int, start: Barrier) -> WorkerResult:
    """One replica: claim `limit` at a time until the rule has no created enforcement.

    Warmed up with claims that are rolled back (the same statement and parameters, so
    it is prepared and planned as in the loop), then waits at `start` for the other
    workers and the clock."""
    with Database(url, min_size=1, max_size=1) as db:
        for _ in range(WARMUP_CLAIMS):
            with db.connection() as conn, conn.transaction(force_rollback=True):
                EnforcementRepository(conn).claim_created(limit, rule_refs=[rule_ref])
        ids: list[int] = []
        claims = 0
        start.wait(START_TIMEOUT)
        while True:
            with db.connection() as conn:
                batch = EnforcementRepository(conn).claim_created(limit, rule_refs=[rule_ref])
            if not batch:
                return WorkerResult(ids, claims, perf_counter_ns())
            claims += 1
            ids.extend(enforcement.id for enforcement in batch)


def _worker(url: str, rule_ref: str, limit: int, start: Barrier, results: Queue[Any]) -> None:
    """A worker process: its result, or what went wrong, goes to `results`."""
    try:
        results.put(claim_all(url, rule_ref, limit, start))
    except BaseException as exc:
        start.abort()
        results.put(f"{type(exc).__name__}: {exc}")


def _leftovers(results: Queue[Any]) -> list[Any]:
    """What the workers reported before things went wrong."""
    found = []
    with suppress(queue.Empty):
        while True:
            found.append(results.get(timeout=1))
    return found


def _stop(workers: Sequence[BaseProcess]) -> None:
    for worker in workers:
        worker.join(START_TIMEOUT)
        if worker.is_alive():
            worker.terminate()
            worker.join()


def _run_workers(
    url: str, rule_ref: str, limit: int, processes: int
) -> tuple[int, list[WorkerResult]]:
    """Start the workers together; the start time and their results."""
    context = multiprocessing.get_context("spawn")  # no inherited connections
    start = context.Barrier(processes + 1)
    results: Queue[Any] = context.Queue()
    workers = [
        context.Process(target=_worker, args=(url, rule_ref, limit, start, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        start.wait(START_TIMEOUT)
        started = perf_counter_ns()
        answers = [results.get(timeout=RUN_TIMEOUT) for _ in workers]
    except (BrokenBarrierError, queue.Empty) as exc:
        raise RuntimeError(f"claim workers failed: {_leftovers(results)}") from exc
    finally:
        _stop(workers)
    failures = [answer for answer in answers if not isinstance(answer, WorkerResult)]
    if failures:
        raise RuntimeError(f"claim workers failed: {failures}")
    return started, answers


def _check(c: Clients, pool: list[int], decoys: list[int], results: list[WorkerResult]) -> None:
    claimed = [id for result in results for id in result.ids]
    twice = [id for id, times in Counter(claimed).items() if times > 1]
    assert not twice, f"claimed twice: {twice[:10]}"
    assert set(claimed) == set(pool), "the claims are not exactly the pool"
    left = c.checker.execute(
        "SELECT count(*) FROM attune.enforcement WHERE id = ANY(%s) AND status = 'created'",
        (decoys,),
    ).fetchone()
    assert left == (len(decoys),), f"decoys were claimed: {left}"


def measure_claims(c: Clients, s: Settings, url: str, processes: int) -> ClaimResult:
    """Drain a fresh pool of `claim_pool` enforcements with `processes` workers.

    Every run starts from the same table: the rows of earlier runs are deleted first
    (processed rows in front of the pool would slow the claims' index scan down)."""
    c.checker.execute("DELETE FROM attune.enforcement WHERE rule_ref LIKE 'bench.claim.%'")
    rule_ref = f"bench.claim.{processes}"
    pool = seed_enforcements(c.enforcements, rule_ref, s.claim_pool)
    decoys = seed_enforcements(c.enforcements, f"{rule_ref}.decoy", DECOYS)
    c.checker.execute("VACUUM ANALYZE attune.enforcement")
    started, results = _run_workers(url, rule_ref, s.claim_limit, processes)
    _check(c, pool, decoys, results)
    finished = max(result.finished_ns for result in results)
    return ClaimResult(
        processes=processes,
        enforcements=len(pool),
        claims=sum(result.claims for result in results),
        seconds=(finished - started) / 1e9,
    )
