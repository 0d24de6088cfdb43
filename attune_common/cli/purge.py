"""`attune-db purge`: delete history older than a given age, batch by batch."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType, TracebackType
from typing import Any

import psycopg
from psycopg import sql
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from ..errors import AttuneError
from ..repositories import (
    EnforcementRepository,
    EventRepository,
    ExecutionRepository,
    InquiryRepository,
    NotificationRepository,
)
from ..repositories.occurrence import OccurrenceRepository
from .common import Commands, add_command, connect, fail, fetch_one, log, positive_int, table
from .durations import duration_argument

REPOSITORIES: dict[str, type[OccurrenceRepository[Any, Any, Any]]] = {
    "inquiry": InquiryRepository,
    "execution": ExecutionRepository,
    "enforcement": EnforcementRepository,
    "event": EventRepository,
    "notification": NotificationRepository,
}
"""The history a purge deletes, in the order it does: what points at a row goes
before it, so no row is first updated (its link set to NULL) and then deleted."""

DEFAULT_BATCH = 10_000
INTERRUPTED = 130  # the shell's status for a command stopped by Ctrl-C

DESCRIPTION = """\
Delete the history rows created before now (the server's clock) minus --older-than,
oldest first, from inquiry, execution, enforcement, event and notification, in that
order (or from the --table ones). Each batch is one short statement that commits on
its own and skips rows other transactions hold locked, so services keep running.
Deleting an execution also deletes its inquiries (ON DELETE CASCADE); other links to
purged rows become NULL, and the rows pointing at them keep their *_ref copies.
Artifacts are never purged.

On a terminal it shows progress and rows/s; piped, only the summary. Ctrl-C stops
after the current batch and says how far it got (a second Ctrl-C stops at once,
rolling back the batch under way). --dry-run counts what would be deleted.

Durations: a number and a unit, s m h d w, e.g. 30d, 12h, 90m, 2w, 1d12h.
"""

CUTOFF = "SELECT now() - %s"
COUNT_OLDER = "SELECT count(*) FROM {} WHERE created < %s"


def register(commands: Commands) -> None:
    parser = add_command(commands, "purge", "delete history older than an age", DESCRIPTION, run)
    parser.add_argument(
        "--older-than",
        required=True,
        type=duration_argument,
        metavar="AGE",
        help="delete rows created longer ago than this, e.g. 30d",
    )
    parser.add_argument(
        "--table",
        action="append",
        choices=list(REPOSITORIES),
        metavar="TABLE",
        help="purge only this table (repeat for several): "
        f"{', '.join(REPOSITORIES)}; default: all of them",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=DEFAULT_BATCH,
        metavar="N",
        help=f"rows per batch (default {DEFAULT_BATCH:,})",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="count what would be deleted, delete nothing"
    )


@dataclass
class Purged:
    """How far a purge got."""

    cutoff: datetime
    deleted: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    interrupted: bool = False
    failure: str | None = None  # why it stopped early, when it failed

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def run(args: argparse.Namespace) -> int:
    names = [name for name in REPOSITORIES if args.table is None or name in args.table]
    with connect(args.database_url) as conn:
        (cutoff,) = fetch_one(conn, CUTOFF, (args.older_than,))
        if args.dry_run:
            print(_dry_run(conn, names, cutoff))
            return 0
        purged = _purge(conn, names, cutoff, args.batch_size)
    print(_summary(purged))
    if purged.failure is not None:
        return fail(purged.failure)
    if purged.interrupted:
        log.warning(
            "interrupted: stopped after a batch; deleted %s row(s), older rows remain",
            f"{purged.total:,}",
        )
        return INTERRUPTED
    return 0


def _count_older(conn: psycopg.Connection[Any], name: str, cutoff: datetime) -> int:
    query = sql.SQL(COUNT_OLDER).format(sql.Identifier("attune", name))
    (count,) = fetch_one(conn, query, (cutoff,))
    return int(count)


def _dry_run(conn: psycopg.Connection[Any], names: list[str], cutoff: datetime) -> str:
    counts = [(name, _count_older(conn, name, cutoff)) for name in names]
    rows = [(name, f"{count:,}") for name, count in counts]
    total = sum(count for _, count in counts)
    return (
        f"dry run: nothing deleted; rows created before {_utc(cutoff)}:\n"
        + table(("table", "would delete"), rows, right=(1,))
        + f"\ntotal: {total:,} row(s) would be deleted"
    )


def _purge(conn: psycopg.Connection[Any], names: list[str], cutoff: datetime, batch: int) -> Purged:
    """Purge table after table, batch after batch, until done, asked to stop, or failed
    (what the committed batches deleted stays deleted, and is reported)."""
    purged = Purged(cutoff)
    # Log lines go above the progress bar rather than through it.
    library = logging.getLogger("attune_common")
    with StopAfterBatch() as stop, logging_redirect_tqdm(loggers=[library]):
        for name in names:
            if stop.requested:
                break
            started = time.monotonic()
            purged.deleted[name] = 0
            try:
                _purge_table(conn, name, batch, purged, stop)
            except AttuneError as exc:
                purged.failure = f"purging {name} failed: {exc}"
                break
            except KeyboardInterrupt:  # the second Ctrl-C: the batch under way rolled back
                stop.requested = True
                break
            finally:
                purged.seconds[name] = time.monotonic() - started
        purged.interrupted = stop.requested
    return purged


def _purge_table(
    conn: psycopg.Connection[Any], name: str, batch: int, purged: Purged, stop: StopAfterBatch
) -> None:
    repository = REPOSITORIES[name](conn)
    on_terminal = sys.stderr.isatty()
    expected = _count_older(conn, name, purged.cutoff) if on_terminal else None
    with tqdm(
        total=expected, desc=name, unit=" rows", file=sys.stderr, disable=not on_terminal
    ) as progress:
        while not stop.requested:
            count = repository.delete_batch_older_than(purged.cutoff, batch)
            log.debug("%s: deleted a batch of %d row(s)", name, count)
            purged.deleted[name] += count
            progress.update(count)
            if count < batch:
                return


def _summary(purged: Purged) -> str:
    rows = [
        (
            name,
            f"{count:,}",
            f"{purged.seconds[name]:.1f} s",
            f"{count / max(purged.seconds[name], 1e-6):,.0f}",
        )
        for name, count in purged.deleted.items()
    ]
    return (
        f"rows created before {_utc(purged.cutoff)}:\n"
        + table(("table", "deleted", "time", "rows/s"), rows, right=(1, 2, 3))
        + f"\ntotal: {purged.total:,} row(s) deleted"
    )


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


class StopAfterBatch:
    """While active, the first Ctrl-C (SIGINT) only asks the purge to stop after the
    batch under way; a second one interrupts at once, as usual."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def _request(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, self._previous)
        log.warning("stopping after the current batch (Ctrl-C again to stop at once)")

    def __enter__(self) -> StopAfterBatch:
        self._previous = signal.signal(signal.SIGINT, self._request)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        signal.signal(signal.SIGINT, self._previous)
