"""`python -m bench --scale N [--scale M ...]`: the volume run, its table, its targets.

The table puts the scales side by side with the growth from the smallest to the
largest; the targets say what must stay flat. Written to `bench/scale_results.txt` and
`bench/scale_results.json`.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from .scale import ScaleResult, measure_scales

Figure = Callable[[ScaleResult], float]

ROWS: list[tuple[str, Figure]] = [
    ("get_event µs", lambda r: r.median_us("get_event")),
    ("latest_100_of_trigger_ref µs", lambda r: r.median_us("latest_100_of_trigger_ref")),
    ("list_page_1 µs", lambda r: r.median_us("list_page_1")),
    ("list_page_deep µs", lambda r: r.median_us("list_page_deep")),
    ("claim_created(limit=10) µs", lambda r: r.median_us("claim_created")),
    ("delete_older_than rows/s", lambda r: r.delete_rows_per_s),
    ("  rows purged", lambda r: r.deleted),
    ("  purge s", lambda r: r.delete_seconds),
    ("seeding s", lambda r: r.seed_seconds),
    ("event table MB", lambda r: r.event_bytes / 2**20),
    ("enforcement table MB", lambda r: r.enforcement_bytes / 2**20),
]


@dataclass(frozen=True, slots=True)
class GrowthTarget:
    """`figure` at the largest scale ÷ at the smallest: at most (or at least) `bound`."""

    name: str
    figure: Figure
    bound: float
    at_most: bool = True

    def measured(self, small: ScaleResult, large: ScaleResult) -> float:
        return self.figure(large) / self.figure(small)

    def met(self, small: ScaleResult, large: ScaleResult) -> bool:
        ratio = self.measured(small, large)
        return ratio <= self.bound if self.at_most else ratio >= self.bound

    def describe(self, small: ScaleResult, large: ScaleResult) -> str:
        relation = "<=" if self.at_most else ">="
        return f"{self.name} at {large.events:,} ÷ at {small.events:,} {relation} {self.bound:g}"


TARGETS = [
    GrowthTarget("get_event", lambda r: r.median_us("get_event"), 1.5),
    GrowthTarget(
        "latest_100_of_trigger_ref", lambda r: r.median_us("latest_100_of_trigger_ref"), 1.5
    ),
    GrowthTarget("list_page_1", lambda r: r.median_us("list_page_1"), 1.5),
    GrowthTarget("claim_created", lambda r: r.median_us("claim_created"), 1.5),
    GrowthTarget("delete_older_than rows/s", lambda r: r.delete_rows_per_s, 0.5, at_most=False),
]
DEEP_PAGE_BOUND = 1.5
"""At every scale, the page in the middle of the history ÷ page 1 (keyset paging)."""


def _deep_page_ratio(result: ScaleResult) -> float:
    return result.median_us("list_page_deep") / result.median_us("list_page_1")


def checks(results: Sequence[ScaleResult]) -> list[tuple[str, float, bool]]:
    """Every target: what it says, the measured ratio, met or not."""
    found = []
    for result in results:
        ratio = _deep_page_ratio(result)
        text = f"list_page {result.deep_page:,} ÷ page 1 at {result.events:,}"
        found.append((f"{text} <= {DEEP_PAGE_BOUND:g}", ratio, ratio <= DEEP_PAGE_BOUND))
    if len(results) > 1:
        small, large = results[0], results[-1]
        for target in TARGETS:
            found.append(
                (
                    target.describe(small, large),
                    target.measured(small, large),
                    target.met(small, large),
                )
            )
    return found


def table(results: Sequence[ScaleResult]) -> str:
    heading = f"{'events':<30}" + "".join(f"{r.events:>14,}" for r in results)
    growth = len(results) > 1
    if growth:
        heading += f"{'growth':>10}"
    lines = [heading, "-" * len(heading)]
    for name, figure in ROWS:
        values = [figure(r) for r in results]
        line = f"{name:<30}" + "".join(f"{value:>14,.1f}" for value in values)
        if growth:
            line += f"{values[-1] / values[0]:>9.2f}x"
        lines.append(line)
    pages = ", ".join(f"page {r.deep_page:,} of {r.events:,}" for r in results)
    lines += ["", f"deep page: the middle of the history ({pages})", "", "targets"]
    for text, ratio, met in checks(results):
        lines.append(f"  {text:<66} {ratio:6.2f}  {'ok' if met else 'MISSED'}")
    return "\n".join(lines)


def document(results: Sequence[ScaleResult], server: str) -> dict[str, Any]:
    return {
        str(r.events): {
            "median_us": {name: round(t.median_us, 1) for name, t in r.timings.items()},
            "client_cpu_us": {name: round(t.cpu_median_us, 1) for name, t in r.timings.items()},
            "deep_page": r.deep_page,
            "delete_older_than": {
                "rows": r.deleted,
                "seconds": round(r.delete_seconds, 3),
                "rows_per_s": round(r.delete_rows_per_s, 1),
            },
            "seed_seconds": round(r.seed_seconds, 1),
            "event_table_bytes": r.event_bytes,
            "enforcement_table_bytes": r.enforcement_bytes,
        }
        for r in results
    } | {
        "targets": {
            text: {"measured": round(ratio, 3), "met": met} for text, ratio, met in checks(results)
        },
        "metadata": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "postgresql": server,
            "python": platform.python_version(),
            "psycopg": psycopg.__version__,
            "unit": "median microseconds per call; delete_older_than in rows/s",
        },
    }


def run_scales(sizes: Sequence[int], log: Callable[[str], None]) -> str:
    """Measure every scale, write the results, return the table."""
    started = time.perf_counter()
    results, server = measure_scales(sizes, log)
    seconds = time.perf_counter() - started
    text = (
        f"attune_common at scale, PostgreSQL {server}, the whole run took {seconds:.0f} s\n\n"
        + table(results)
    )
    info = document(results, server)
    info["metadata"]["seconds"] = round(seconds, 1)
    directory = Path(__file__).parent
    (directory / "scale_results.txt").write_text(text + "\n")
    (directory / "scale_results.json").write_text(json.dumps(info, indent=2) + "\n")
    return text
