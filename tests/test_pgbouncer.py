"""The library through a real PgBouncer in transaction pooling mode.

`tests/pgbouncer.py` starts one PgBouncer per run in front of the test server; every
test here goes through it with `Database(url, prepare_threshold=None)` (or, for a plain
psycopg connection, `prepare_threshold=None` too) and checks the outcome on a direct
connection. PgBouncer keeps fewer server connections than these tests have clients, so
consecutive transactions of one client land on different server sessions: what a
session remembers between transactions (prepared statements, SET, LISTEN) is exactly
what breaks there.
"""

from __future__ import annotations

import multiprocessing
import secrets
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pytest_postgresql.janitor import DatabaseJanitor

from attune_common import Database, migrate
from attune_common.errors import ReferenceViolation
from attune_common.notify import EVENT_CHANNEL, listen, notifications_off
from attune_common.repositories import (
    CreateEnforcementInput,
    CreateEventInput,
    EnforcementRepository,
    EventRepository,
)
from tests.builders import unique_ref
from tests.helpers import MISSING_ID, ids, set_created
from tests.listening import WAIT, first_match, of_id
from tests.pgbouncer import PgBouncerPort, PgBouncerUrls

pytestmark = pytest.mark.pgbouncer

Conn = psycopg.Connection[Any]

THREADS = 8
CALLS_PER_THREAD = 40
"""Enough statements per client connection to pass psycopg's prepare threshold (5)
many times over: with prepared statements (no `prepare_threshold=None`), 70 of these
320 calls failed, and 179 of 1,200 with 150 calls per thread."""


def pooled(url: str, size: int) -> Database:
    """The documented way through PgBouncer: no server-side prepared statements."""
    return Database(url, prepare_threshold=None, min_size=size, max_size=size)


def autocommit(url: str) -> Conn:
    """A plain psycopg connection through PgBouncer: each statement its own transaction."""
    return psycopg.connect(url, autocommit=True, prepare_threshold=None)


# -- many clients, few server connections ----------------------------------------------


def create_and_get(db: Database, trigger_ref: str, thread: int) -> tuple[list[int], list[str]]:
    """One client: create an event, then read it back in another transaction; the ids
    made and every failure (text), each call counted once."""
    made: list[int] = []
    failures: list[str] = []
    for call in range(CALLS_PER_THREAD):
        try:
            with db.connection() as conn:
                event = EventRepository(conn).create(
                    CreateEventInput(trigger_ref, payload={"thread": thread, "call": call})
                )
            with db.connection() as conn:
                if EventRepository(conn).get_by_id(event.id) != event:
                    failures.append(f"event {event.id} read back differently")
            made.append(event.id)
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
    return made, failures


def test_eight_threads_of_create_and_get_all_succeed(pgbouncer: PgBouncerUrls) -> None:
    ref = unique_ref("event")
    with pooled(pgbouncer.pooled, THREADS) as db, ThreadPoolExecutor(THREADS) as threads:
        results = list(threads.map(create_and_get, [db] * THREADS, [ref] * THREADS, range(THREADS)))
    failures = [failure for _, failed in results for failure in failed]
    made = [id for ids_made, _ in results for id in ids_made]
    assert failures == [], f"{len(failures)} calls failed, e.g. {failures[:3]}"
    assert len(made) == THREADS * CALLS_PER_THREAD
    with psycopg.connect(pgbouncer.direct) as direct:
        stored = EventRepository(direct).find_by_trigger_ref(ref, limit=len(made) + 1)
    assert sorted(ids(stored)) == sorted(made)


# -- claims exactly once across processes ----------------------------------------------


def drain(url: str, rule_ref: str, batch: int) -> list[int]:
    """A replica in its own process: claim and commit through PgBouncer until nothing
    is left; the ids it claimed."""
    claimed: list[int] = []
    with pooled(url, 1) as db:
        while True:
            with db.connection() as conn:
                rows = EnforcementRepository(conn).claim_created(batch, rule_refs=[rule_ref])
            if not rows:
                return claimed
            claimed.extend(ids(rows))


def test_claims_by_several_processes_through_pgbouncer_are_exactly_once(
    pgbouncer: PgBouncerUrls,
) -> None:
    rule_ref = unique_ref("rule")
    with psycopg.connect(pgbouncer.direct) as direct:
        waiting = ids(
            EnforcementRepository(direct).create_many(
                [CreateEnforcementInput(rule_ref, "p.trigger", {"n": n}) for n in range(250)]
            )
        )
    replicas = 2
    spawn = multiprocessing.get_context("spawn")  # no connection inherited
    with ProcessPoolExecutor(max_workers=replicas, mp_context=spawn) as processes:
        claims = list(
            processes.map(
                drain, [pgbouncer.pooled] * replicas, [rule_ref] * replicas, [7] * replicas
            )
        )
    every_claim = [id for claim in claims for id in claim]
    twice = [id for id, times in Counter(every_claim).items() if times > 1]
    assert twice == [], "claimed twice"
    assert sorted(every_claim) == sorted(waiting)


# -- bulk, pages, retention, migrations ------------------------------------------------


def test_create_many_through_pgbouncer_stores_every_row_in_order(
    pgbouncer: PgBouncerUrls,
) -> None:
    ref = unique_ref("event")
    inputs = [CreateEventInput(ref, payload={"n": n}) for n in range(2000)]
    with pooled(pgbouncer.pooled, 1) as db, db.connection() as conn:
        created = EventRepository(conn).create_many(inputs)
    with psycopg.connect(pgbouncer.direct) as direct:
        events = EventRepository(direct)
        assert [events.get_by_id(event.id) for event in created] == created
    assert [event.payload for event in created] == [{"n": n} for n in range(2000)]


def test_create_many_through_pgbouncer_with_a_bad_row_writes_nothing(
    pgbouncer: PgBouncerUrls,
) -> None:
    ref = unique_ref("event")
    inputs = [CreateEventInput(ref, payload={"n": n}) for n in range(10)]
    inputs.append(CreateEventInput(ref, payload={}, source=MISSING_ID))  # no such sensor
    with pooled(pgbouncer.pooled, 1) as db:
        with pytest.raises(ReferenceViolation), db.connection() as conn:
            EventRepository(conn).create_many(inputs)
        with db.connection() as conn:
            assert EventRepository(conn).find_by_trigger_ref(ref) == []


def test_list_page_through_pgbouncer_walks_every_row_once(pgbouncer: PgBouncerUrls) -> None:
    ref = unique_ref("event")
    with psycopg.connect(pgbouncer.direct) as direct:
        events = EventRepository(direct)
        events.create_many([CreateEventInput(ref, payload={"n": n}) for n in range(250)])
        direct.commit()
        newest_first = ids(events.find_by_trigger_ref(ref, limit=300))
    walked: list[int] = []
    after: str | None = None
    with pooled(pgbouncer.pooled, 2) as db:
        while True:  # every page in a transaction of its own, as a UI's requests are
            with db.connection() as conn:
                page = EventRepository(conn).list_page(after=after, limit=20, trigger_ref=ref)
            walked.extend(ids(page.items))
            if page.next_cursor is None:
                break
            after = page.next_cursor
    assert walked == newest_first


@pytest.fixture
def isolated(isolated_database_url: str, pgbouncer_port: PgBouncerPort) -> PgBouncerUrls:
    """A database of this test's own, through PgBouncer and direct."""
    return pgbouncer_port.urls(isolated_database_url)


def test_delete_older_than_through_pgbouncer_in_batches(isolated: PgBouncerUrls) -> None:
    """Retention acts on the whole table, hence a database of the test's own."""
    with psycopg.connect(isolated.direct) as direct:
        events = EventRepository(direct)
        made = ids(events.create_many([CreateEventInput("p.old", payload={}) for _ in range(30)]))
        old, recent = made[:20], made[20:]
        cutoff = events.get_by_id(recent[0]).created
        set_created(direct, "event", old, cutoff.replace(year=cutoff.year - 1))
    # autocommit (each batch its own transaction), as the README recommends: every batch
    # may run on another server connection
    with autocommit(isolated.pooled) as conn:
        deleted = EventRepository(conn).delete_older_than(cutoff, batch_size=3)
    assert deleted == 20
    with psycopg.connect(isolated.direct) as direct:
        left = direct.execute("SELECT id FROM attune.event ORDER BY id").fetchall()
    assert [id for (id,) in left] == recent


@pytest.fixture
def empty_database_url(database_url: str) -> Iterator[str]:
    """A new database on the test server with no schema at all, dropped afterwards."""
    params = {key: str(value) for key, value in conninfo_to_dict(database_url).items()}
    janitor = DatabaseJanitor(
        user=params.get("user", "postgres"),
        host=params.get("host", "localhost"),
        port=params.get("port", "5432"),
        password=params.get("password"),
        dbname=f"{params['dbname']}_empty_{secrets.token_hex(3)}",
    )
    janitor.init()
    try:
        yield make_conninfo(database_url, dbname=janitor.dbname)
    finally:
        janitor.drop()


def test_migrate_through_pgbouncer_builds_the_schema(
    empty_database_url: str, pgbouncer_port: PgBouncerPort
) -> None:
    """yoyo's lock is a table row, not a session lock, so it survives transaction
    pooling."""
    through = pgbouncer_port.through(empty_database_url)
    applied = migrate(through)
    assert migrate(through) == []
    with psycopg.connect(empty_database_url) as direct:
        recorded = direct.execute("SELECT migration_id FROM _yoyo_migration").fetchall()
        tables = direct.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'attune'"
        ).fetchone()
    assert applied != [] and sorted(applied) == sorted(id for (id,) in recorded)
    assert tables is not None and tables[0] >= 19


# -- session state between clients -----------------------------------------------------


def test_clients_of_the_one_connection_url_share_one_server_session(
    pgbouncer: PgBouncerUrls,
) -> None:
    """What the session-state tests below rely on: through `one_connection`, a setting
    one client leaves in the session is what the next client meets (which is why a
    session-wide `SET` must never be used through PgBouncer)."""
    assert pgbouncer.one_connection is not None
    setting = f"attune_test.{unique_ref('s').replace('.', '_')}"
    with (
        autocommit(pgbouncer.one_connection) as first,
        autocommit(pgbouncer.one_connection) as second,
    ):
        first.execute("SELECT set_config(%s, 'left behind', false)", (setting,))
        pids = [c.execute("SELECT pg_backend_pid()").fetchone() for c in (first, second)]
        met = second.execute("SELECT current_setting(%s, true)", (setting,)).fetchone()
        second.execute("SELECT set_config(%s, '', false)", (setting,))
    assert pids[0] == pids[1]
    assert met == ("left behind",)


# -- listening and notifications_off behind PgBouncer ----------------------------------


def test_listening_on_the_direct_url_hears_changes_committed_through_pgbouncer(
    pgbouncer: PgBouncerUrls,
) -> None:
    with Database(
        pgbouncer.pooled, max_size=2, prepare_threshold=None, listen_url=pgbouncer.direct
    ) as db:
        listener = db.listen_connection()
        try:
            notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
            with db.connection() as conn:
                event = EventRepository(conn).create(
                    CreateEventInput(trigger_ref=unique_ref("trigger"))
                )
            assert first_match(notices, of_id("event", event.id, "insert")) is not None
        finally:
            listener.close()
    assert db.listen_url == pgbouncer.direct != db.url


def test_notifications_off_in_one_client_does_not_silence_the_next_client(
    pgbouncer: PgBouncerUrls,
) -> None:
    """Both clients run in the same server session (`one_connection`): a session-wide
    opt-out would silence the second; `notifications_off` is transaction-scoped."""
    assert pgbouncer.one_connection is not None
    listener = psycopg.connect(pgbouncer.direct, autocommit=True)
    try:
        notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
        with psycopg.connect(pgbouncer.one_connection, prepare_threshold=None) as first:
            with notifications_off(first):
                quiet = EventRepository(first).create(
                    CreateEventInput(trigger_ref=unique_ref("trigger"))
                )
            first.commit()
            first_pid = first.execute("SELECT pg_backend_pid()").fetchone()
            first.commit()
        with psycopg.connect(pgbouncer.one_connection, prepare_threshold=None) as second:
            heard = EventRepository(second).create(
                CreateEventInput(trigger_ref=unique_ref("trigger"))
            )
            second_pid = second.execute("SELECT pg_backend_pid()").fetchone()
            second.commit()
        seen: list[int] = []
        for notice in notices:  # in commit order: quiet's would come before heard's
            seen.append(notice.payload.get("id", -1))
            if notice.payload.get("id") == heard.id:
                break
    finally:
        listener.close()
    assert first_pid == second_pid  # one server session for both clients
    assert heard.id in seen  # the second client was heard
    assert quiet.id not in seen  # the first client's block was silenced
