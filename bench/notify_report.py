"""The notification rows: ingest on / off, wake-up latency, claim scaling, and the
targets of issue 9, as a table and as results.json entries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .claims import ClaimResult
from .ingest import IngestResult, LatencyResult

INGEST_TARGET = 0.8  # ingest_8_writers: on / off at least
CLAIM_SCALING_TARGET = 2.0  # claims_4_processes / claims_1_process at least
LATENCY_P99_TARGET_MS = 100.0  # wake-up latency p99 under the 8-writer load, at most


@dataclass(frozen=True, slots=True)
class NotifyFigures:
    ingest: list[IngestResult]
    latency: LatencyResult
    claims: list[ClaimResult]

    def ingest_of(self, writers: int) -> IngestResult | None:
        return next((i for i in self.ingest if i.writers == writers), None)

    def claims_per_s(self, processes: int) -> float | None:
        found = next((c for c in self.claims if c.processes == processes), None)
        return found.claims / found.seconds if found else None

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {}
        for result in self.ingest:
            suffix = "writer" if result.writers == 1 else "writers"
            document[f"ingest_{result.writers}_{suffix}"] = result.as_json()
        document[f"wakeup_latency_{self.latency.writers}_writers"] = self.latency.as_json()
        return document


@dataclass(frozen=True, slots=True)
class NotifyTarget:
    name: str
    relation: str  # ">=" or "<="
    bound: float
    measure: Callable[[NotifyFigures], float | None]

    def describe(self) -> str:
        return f"{self.name} {self.relation} {self.bound:g}"

    def value(self, figures: NotifyFigures) -> float | None:
        return self.measure(figures)

    def met(self, figures: NotifyFigures) -> bool:
        value = self.value(figures)
        if value is None:
            return False
        return value >= self.bound if self.relation == ">=" else value <= self.bound

    def as_json_of(self, figures: NotifyFigures) -> dict[str, Any]:
        value = self.value(figures)
        return {"measured": None if value is None else round(value, 3), "met": self.met(figures)}


def _ingest_ratio(figures: NotifyFigures) -> float | None:
    result = figures.ingest_of(8)
    return result.ratio if result else None


def _claim_scaling(figures: NotifyFigures) -> float | None:
    one, four = figures.claims_per_s(1), figures.claims_per_s(4)
    return four / one if one and four else None


def _latency_p99(figures: NotifyFigures) -> float:
    return float(figures.latency.as_json()["p99_ms"])


NOTIFY_TARGETS = (
    NotifyTarget("ingest_8_writers on / off", ">=", INGEST_TARGET, _ingest_ratio),
    NotifyTarget(
        "claims_4_processes / claims_1_process", ">=", CLAIM_SCALING_TARGET, _claim_scaling
    ),
    NotifyTarget("wake-up latency p99 (ms), 8 writers", "<=", LATENCY_P99_TARGET_MS, _latency_p99),
)


def _ingest_lines(figures: NotifyFigures) -> Iterator[str]:
    yield (
        f"{'ingest: events/s (1 per transaction)':<40} {'on':>9} {'off':>9} {'on÷off':>8}"
        f" {'on, immediate':>14}"
    )
    for result in figures.ingest:
        label = f"{result.writers} writer{'s' if result.writers > 1 else ''}"
        yield (
            f"{label:<40} {result.median('on'):>9.1f} {result.median('off'):>9.1f}"
            f" {result.ratio:>8.2f} {result.median('on_immediate'):>14.1f}"
        )


def notify_table(figures: NotifyFigures) -> str:
    lines = list(_ingest_lines(figures))
    latency = figures.latency.as_json()
    lines += [
        "",
        f"wake-up latency, commit -> listener, {latency['writers']} writers"
        f" ({latency['events']:,} events, {latency['events_per_s']:.0f}/s, every one heard"
        f" once): median {latency['median_ms']:.1f} ms, p99 {latency['p99_ms']:.1f} ms,"
        f" max {latency['max_ms']:.1f} ms",
        "",
        "notification targets (this run)",
    ]
    for target in NOTIFY_TARGETS:
        value = target.value(figures)
        shown = "    n/a" if value is None else f"{value:8.2f}"
        verdict = "ok" if target.met(figures) else "MISSED"
        lines.append(f"  {target.describe():<60} {shown}  {verdict}")
    return "\n".join(lines)
