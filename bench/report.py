"""The results: medians and ratios as a table, the issue's targets, and results.json."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .aio import ASYNC_OPERATIONS, ATTUNE_ASYNC, PSYCOPG_ASYNC, ConcurrencyResult
from .bulk import ATTUNE_CREATES
from .claims import ClaimResult
from .clients import ATTUNE, PSYCOPG, SQLALCHEMY
from .json_depth import CREATE_NESTED
from .pooled import POOLED_TRANSACTION
from .timing import Timing

Timings = Mapping[str, Mapping[str, Timing]]
"""Operation -> client -> its timed repetitions."""

SINGLE_ROW = ("create_event", "get_event", "update_event", "delete_event", "create_enforcement")


@dataclass(frozen=True, slots=True)
class Target:
    """`slower` / `faster` (two medians) must be at most, or at least, `bound`."""

    operation: str
    slower: str
    faster: str
    bound: float
    at_most: bool

    def measured(self, timings: Timings) -> float:
        medians = timings[self.operation]
        return medians[self.slower].median_us / medians[self.faster].median_us

    def met(self, timings: Timings) -> bool:
        ratio = self.measured(timings)
        return ratio <= self.bound if self.at_most else ratio >= self.bound

    def describe(self) -> str:
        relation = "<=" if self.at_most else ">="
        return f"{self.operation}: {self.slower} / {self.faster} {relation} {self.bound:g}"


def targets(bulk_operation: str) -> list[Target]:
    """The issue's targets: the library near raw psycopg, well ahead of the ORM."""
    found = []
    for operation in SINGLE_ROW:
        found.append(Target(operation, ATTUNE, PSYCOPG, 1.15, at_most=True))
        found.append(Target(operation, SQLALCHEMY, ATTUNE, 2.0, at_most=False))
    found.append(Target("latest_100_of_trigger_ref", ATTUNE, PSYCOPG, 1.15, at_most=True))
    found.append(Target(CREATE_NESTED, ATTUNE, PSYCOPG, 1.15, at_most=True))
    found.append(Target(POOLED_TRANSACTION, ATTUNE, PSYCOPG, 1.15, at_most=True))
    found.append(Target(bulk_operation, ATTUNE, PSYCOPG, 1.3, at_most=True))
    found.append(Target(bulk_operation, ATTUNE_CREATES, ATTUNE, 10.0, at_most=False))
    # The asyncio API against raw AsyncConnections: the 1.15x on each.
    for operation in (
        *ASYNC_OPERATIONS,
        "async_latest_100_of_trigger_ref",
        f"async_{bulk_operation}",
    ):
        found.append(Target(operation, ATTUNE_ASYNC, PSYCOPG_ASYNC, 1.15, at_most=True))
    return found


def _ratio(value: float, base: float | None) -> str:
    return f"{value / base:8.2f}x" if base else " " * 9


def _operation_lines(operation: str, medians: Mapping[str, Timing]) -> Iterator[str]:
    raw = medians.get(PSYCOPG) or medians.get(PSYCOPG_ASYNC)
    attune = medians.get(ATTUNE) or medians.get(ATTUNE_ASYNC)
    raw_us, raw_cpu = (raw.median_us, raw.cpu_median_us) if raw else (None, None)
    attune_us = attune.median_us if attune else None
    for i, (client, timing) in enumerate(medians.items()):
        us, cpu = timing.median_us, timing.cpu_median_us
        name = operation if i == 0 else ""
        yield (
            f"{name:<26} {client:<22} {us:>11.1f} {1e6 / us:>10.1f}"
            f" {_ratio(us, raw_us)} {_ratio(us, attune_us)} {cpu:>10.1f} {_ratio(cpu, raw_cpu)}"
        )


def table(
    timings: Timings,
    claims: list[ClaimResult],
    checks: list[Target],
    concurrency: list[ConcurrencyResult],
) -> str:
    header = (
        f"{'operation':<26} {'client':<22} {'median µs':>11} {'ops/s':>10}"
        f" {'÷ psycopg':>9} {'÷ attune':>9} {'CPU µs':>10} {'CPU ÷ raw':>9}"
    )
    lines = [header, "-" * len(header)]
    for operation, medians in timings.items():
        lines.extend(_operation_lines(operation, medians))
    lines += ["", f"{'claim_created(limit=10)':<26} {'claims/s':>12} {'enforcements/s':>15}"]
    for claim in claims:
        summary = claim.as_json()
        label = f"{claim.processes} process{'es' if claim.processes > 1 else ''}"
        lines.append(
            f"{label:<26} {summary['claims_per_s']:>12.1f} {summary['enforcements_per_s']:>15.1f}"
        )
    lines += ["", f"{'50 workers, pool of 10':<26} {'units/s':>12}  (a unit: create + get)"]
    for result in concurrency:
        lines.append(f"{result.api:<26} {result.per_second:>12.1f}")
    lines += ["", "targets (wall-clock medians of this run)"]
    for target in checks:
        verdict = "ok" if target.met(timings) else "MISSED"
        lines.append(f"  {target.describe():<60} {target.measured(timings):8.2f}  {verdict}")
    return "\n".join(lines)


def results_json(
    timings: Timings,
    claims: list[ClaimResult],
    checks: list[Target],
    metadata: Mapping[str, Any],
    concurrency: list[ConcurrencyResult],
) -> dict[str, Any]:
    document: dict[str, Any] = {
        operation: {client: round(timing.median_us, 1) for client, timing in medians.items()}
        for operation, medians in timings.items()
    }
    document["client_cpu_us"] = {
        operation: {client: round(timing.cpu_median_us, 1) for client, timing in medians.items()}
        for operation, medians in timings.items()
    }
    for claim in claims:
        suffix = "process" if claim.processes == 1 else "processes"
        document[f"claim_created_{claim.processes}_{suffix}"] = claim.as_json()
    document["concurrency"] = {result.api: result.as_json() for result in concurrency}
    document["targets"] = {
        target.describe(): {
            "measured": round(target.measured(timings), 3),
            "met": target.met(timings),
        }
        for target in checks
    }
    document["metadata"] = dict(metadata)
    return document


def write(directory: Path, text: str, document: Mapping[str, Any]) -> None:
    (directory / "results.txt").write_text(text + "\n")
    (directory / "results.json").write_text(json.dumps(document, indent=2) + "\n")
