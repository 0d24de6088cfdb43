"""A server restarted and then crashed under a multi-threaded create/claim load.

Four threads share one `Database` (four connections) and loop through `db.run`:
create an event, an enforcement and an execution (each with a unique marker in its
JSON), and claim waiting enforcements and executions - all threads drain the same two
queues. Meanwhile the test restarts the private server (`pg_ctl restart -m fast`),
then crashes it (`-m immediate`). Afterwards the rows present are counted against
what the threads were told:
- every row a call reported committed is there, once, with its marker;
- no row exists that no call made, and none twice;
- a row whose create failed exists only if the failure was `CommitUnknown`;
- no claimed row was returned to two claimers, every returned claim was committed,
  and rows claimed but returned to nobody are accounted for by `CommitUnknown` claims;
- few calls fail (at most one per pooled connection per restart), and only with the
  library's typed errors, never a driver exception.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg import sql

from attune_common import Database
from attune_common.errors import CommitUnknown, ConnectionLost, Unavailable
from attune_common.repositories import (
    CreateEnforcementInput,
    CreateEventInput,
    CreateExecutionInput,
    EnforcementRepository,
    EventRepository,
    ExecutionRepository,
)
from tests.builders import unique_ref
from tests.faults.server import PrivateServer

pytestmark = pytest.mark.faults

Conn = psycopg.Connection[Any]

THREADS = 4
CLAIM_LIMIT = 2
RUN_BEFORE_RESTART = 0.6  # seconds of load before the restart, between, and after the crash
JOIN_TIMEOUT = 60
TYPED_FAILURES = (ConnectionLost, Unavailable, CommitUnknown)


@dataclass(frozen=True)
class Refs:
    """The refs of this run's rows: the queues every thread creates into and claims from."""

    trigger: str = field(default_factory=lambda: unique_ref("trigger"))
    rule: str = field(default_factory=lambda: unique_ref("rule"))
    action: str = field(default_factory=lambda: unique_ref("action"))


@dataclass
class Tally:
    """What one thread was told by the calls it made."""

    calls: int = 0
    attempted: dict[str, str] = field(default_factory=dict)  # marker -> table
    committed: dict[str, tuple[str, int]] = field(default_factory=dict)  # marker -> (table, id)
    unknown: set[str] = field(default_factory=set)  # markers of creates ending CommitUnknown
    claimed: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    unknown_claims: Counter[str] = field(default_factory=Counter)  # table -> claim calls
    failures: list[tuple[float, BaseException]] = field(default_factory=list)
    successes: list[float] = field(default_factory=list)


def create_event(conn: Conn, refs: Refs, marker: str) -> int:
    event = EventRepository(conn).create(
        CreateEventInput(trigger_ref=refs.trigger, payload={"marker": marker})
    )
    return event.id


def create_enforcement(conn: Conn, refs: Refs, marker: str) -> int:
    enforcement = EnforcementRepository(conn).create(
        CreateEnforcementInput(
            rule_ref=refs.rule, trigger_ref=refs.trigger, payload={"marker": marker}
        )
    )
    return enforcement.id


def create_execution(conn: Conn, refs: Refs, marker: str) -> int:
    execution = ExecutionRepository(conn).create(
        CreateExecutionInput(action_ref=refs.action, config={"marker": marker})
    )
    return execution.id


def claim_enforcements(conn: Conn, refs: Refs) -> list[int]:
    claimed = EnforcementRepository(conn).claim_created(CLAIM_LIMIT, rule_refs=[refs.rule])
    return [enforcement.id for enforcement in claimed]


def claim_executions(conn: Conn, refs: Refs) -> list[int]:
    claimed = ExecutionRepository(conn).claim_requested(CLAIM_LIMIT, action_refs=[refs.action])
    return [execution.id for execution in claimed]


CREATES: list[tuple[str, Callable[[Conn, Refs, str], int]]] = [
    ("event", create_event),
    ("enforcement", create_enforcement),
    ("execution", create_execution),
]
CLAIMS: list[tuple[str, Callable[[Conn, Refs], list[int]]]] = [
    ("enforcement", claim_enforcements),
    ("execution", claim_executions),
]


def one_call(db: Database, refs: Refs, tally: Tally, step: int) -> None:
    """One create or claim through `db.run`, recorded in `tally`."""
    tally.calls += 1
    marker = None
    try:
        if step % 5 < 3:
            table, create = CREATES[step % 5]
            marker = uuid.uuid4().hex
            tally.attempted[marker] = table
            new_id = db.run(lambda conn: create(conn, refs, marker))
            tally.committed[marker] = (table, new_id)
        else:
            table, claim = CLAIMS[step % 5 - 3]
            try:
                tally.claimed[table] += db.run(lambda conn: claim(conn, refs))
            except CommitUnknown:
                tally.unknown_claims[table] += 1
                raise
    except Exception as exc:  # every failure is kept; the test checks its type
        tally.failures.append((time.monotonic(), exc))
        if isinstance(exc, CommitUnknown) and marker is not None:
            tally.unknown.add(marker)
    else:
        tally.successes.append(time.monotonic())


def load(db: Database, refs: Refs, tally: Tally, stop: threading.Event) -> None:
    step = 0
    while not stop.is_set():
        one_call(db, refs, tally, step)
        step += 1


def stored(conn: Conn, table: str, ref_column: str, ref: str, json: str) -> list[tuple[Any, ...]]:
    """(id, marker, status or None) of the run's rows of one table."""
    status = sql.SQL("status::text") if table != "event" else sql.SQL("NULL")
    query = sql.SQL("SELECT id, {json} ->> 'marker', {status} FROM {table} WHERE {ref} = %s")
    return conn.execute(
        query.format(
            json=sql.Identifier(json),
            status=status,
            table=sql.Identifier("attune", table),
            ref=sql.Identifier(ref_column),
        ),
        (ref,),
    ).fetchall()


CLAIMED_STATUS = {"enforcement": "processed", "execution": "scheduling"}


def test_restart_and_crash_under_load_lose_and_duplicate_nothing(
    private_server: PrivateServer,
) -> None:
    refs = Refs()
    tallies = [Tally() for _ in range(THREADS)]
    stop = threading.Event()
    restarts: list[tuple[float, float]] = []  # (began, server back)
    with Database(
        private_server.url,
        min_size=THREADS,
        max_size=THREADS,
        timeout=20,
        connect_options={"application_name": "attune-faults-restart"},
    ) as db:
        threads = [
            threading.Thread(target=load, args=(db, refs, tally, stop), daemon=True)
            for tally in tallies
        ]
        for thread in threads:
            thread.start()
        try:
            for mode in ("fast", "immediate"):
                time.sleep(RUN_BEFORE_RESTART)
                began = time.monotonic()
                private_server.restart(mode)
                restarts.append((began, time.monotonic()))
            time.sleep(RUN_BEFORE_RESTART)
            while not all(any(t > restarts[-1][1] for t in tally.successes) for tally in tallies):
                if time.monotonic() > restarts[-1][1] + JOIN_TIMEOUT:
                    break
                time.sleep(0.05)
        finally:
            stop.set()
            for thread in threads:
                thread.join(JOIN_TIMEOUT)
        assert not any(thread.is_alive() for thread in threads), "a load thread is stuck"

    with psycopg.connect(private_server.url) as conn:
        rows = {
            "event": stored(conn, "event", "trigger_ref", refs.trigger, "payload"),
            "enforcement": stored(conn, "enforcement", "rule_ref", refs.rule, "payload"),
            "execution": stored(conn, "execution", "action_ref", refs.action, "config"),
        }

    attempted = {m: t for tally in tallies for m, t in tally.attempted.items()}
    committed = {m: row for tally in tallies for m, row in tally.committed.items()}
    unknown = set().union(*(tally.unknown for tally in tallies))
    failures = [(at, exc) for tally in tallies for at, exc in tally.failures]
    present: dict[str, list[tuple[str, int]]] = defaultdict(list)
    status_of: dict[tuple[str, int], str] = {}
    for table, table_rows in rows.items():
        for id, marker, status in table_rows:
            present[marker].append((table, id))
            status_of[table, id] = status

    report = summary(tallies, restarts, failures, rows)
    print(report)

    # Only typed failures, and few of them.
    untyped = [exc for _, exc in failures if not isinstance(exc, TYPED_FAILURES)]
    assert untyped == [], report
    before_restart = [exc for at, exc in failures if at < restarts[0][0]]
    assert before_restart == [], report
    for number, (began, _) in enumerate(restarts):
        until = restarts[number + 1][0] if number + 1 < len(restarts) else float("inf")
        after = [exc for at, exc in failures if began <= at < until]
        assert len(after) <= THREADS, report  # at most one per connection that was open

    # Nothing lost, nothing twice, nothing made up.
    lost = [m for m, row in committed.items() if present.get(m) != [row]]
    assert lost == [], report
    twice = [m for m, where in present.items() if len(where) > 1]
    assert twice == [], report
    made_up = [m for m in present if m not in attempted]
    assert made_up == [], report
    # A failed create left a row only if its commit was in doubt.
    failed_but_present = [m for m in present if m not in committed and m not in unknown]
    assert failed_but_present == [], report

    # Claims: exactly once, committed, and every claimed row accounted for.
    for table, claimed_status in CLAIMED_STATUS.items():
        returned = [id for tally in tallies for id in tally.claimed[table]]
        assert len(returned) == len(set(returned)), f"{table} claimed twice: {report}"
        assert all(status_of.get((table, id)) == claimed_status for id in returned), report
        claimed_in_db = {
            id for (t, id), status in status_of.items() if t == table and status == claimed_status
        }
        unreturned = claimed_in_db - set(returned)
        in_doubt = sum(tally.unknown_claims[table] for tally in tallies)
        assert len(unreturned) <= CLAIM_LIMIT * in_doubt, report

    # The load went on after each restart: every thread succeeded after the crash.
    assert all(any(t > restarts[-1][1] for t in tally.successes) for tally in tallies), report


def summary(
    tallies: list[Tally],
    restarts: list[tuple[float, float]],
    failures: list[tuple[float, BaseException]],
    rows: dict[str, list[tuple[Any, ...]]],
) -> str:
    """The figures of the run, for the failure message and `pytest -s`."""
    successes = sorted(t for tally in tallies for t in tally.successes)
    lines = [
        f"calls: {sum(tally.calls for tally in tallies)}, "
        f"succeeded: {len(successes)}, failed: {len(failures)} "
        f"({Counter(type(exc).__name__ for _, exc in failures)}), "
        f"rows: { {table: len(found) for table, found in rows.items()} }"
    ]
    for mode, (began, back) in zip(("fast", "immediate"), restarts, strict=False):
        first = next((t for t in successes if t > back), None)
        wait = f"{first - began:.2f}s" if first is not None else "never"
        lines.append(
            f"restart -m {mode}: server back after {back - began:.2f}s, "
            f"first call succeeded {wait} after the restart began"
        )
    lines += [f"  {type(exc).__name__}: {exc}" for _, exc in failures]
    return "\n".join(lines)
