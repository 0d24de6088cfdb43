"""Timing several ways of doing one operation, interleaved, after checking their answers."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from time import perf_counter_ns, process_time_ns
from typing import Any

Variant = Callable[[int], Any]
"""One way of doing the operation; its argument is the iteration number (0 is the
checked run, then the warm-up, then the timed repetitions), which picks fixtures."""

Check = Callable[[Mapping[str, Any]], None]
"""Raises AssertionError unless every variant's answer of the checked run is right."""


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    variants: Mapping[str, Variant]
    check: Check
    repetitions: int
    warmup: int

    @property
    def iterations(self) -> int:
        """How many times each variant runs, fixtures to prepare included."""
        return 1 + self.warmup + self.repetitions


@dataclass(frozen=True, slots=True)
class Timing:
    """The timed repetitions of one variant, in nanoseconds: wall clock, and this
    process's CPU time (the client's own work, which the server's load and fsyncs do
    not blur)."""

    samples: list[int]
    cpu_samples: list[int]

    @property
    def median_us(self) -> float:
        return statistics.median(self.samples) / 1000

    @property
    def cpu_median_us(self) -> float:
        return statistics.median(self.cpu_samples) / 1000


def checked(operation: Operation) -> None:
    """Run each variant once (iteration 0) and check the answers."""
    operation.check({name: variant(0) for name, variant in operation.variants.items()})


def measure(operation: Operation) -> dict[str, Timing]:
    """Check the operation, warm it up, then time `repetitions` rounds.

    Round robin: every round runs each variant once, starting with a different one
    each round, so load changes on the machine hit all variants alike.
    """
    checked(operation)
    names = list(operation.variants)
    timings = {name: Timing([], []) for name in names}
    for iteration in range(1, operation.iterations):
        first = iteration % len(names)
        for name in names[first:] + names[:first]:
            wall, cpu = _time(operation.variants[name], iteration)
            if iteration > operation.warmup:
                timings[name].samples.append(wall)
                timings[name].cpu_samples.append(cpu)
    return timings


def _time(variant: Variant, iteration: int) -> tuple[int, int]:
    """Wall and CPU nanoseconds of one call (the CPU clock is read outside the wall
    window: reading it is a system call)."""
    cpu = process_time_ns()
    start = perf_counter_ns()
    variant(iteration)
    wall = perf_counter_ns() - start
    return wall, process_time_ns() - cpu
