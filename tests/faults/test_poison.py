"""Poison rows: JSON nested deeper than Python can decode.

PostgreSQL stores JSONB nested thousands of levels deep; Python's decoder gives up near
1,000. The schema refuses values deeper than 256 levels, whoever writes them, so the
library cannot poison itself; a row stored before that rule (or with the rule dropped)
reads as `UnreadableRow` naming the table and id, and a claim that meets one leaves
nothing claimed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from attune_common import Database
from attune_common.errors import UnreadableRow, ValidationError
from attune_common.models import EnforcementStatus, Json
from attune_common.repositories import (
    EnforcementRepository,
    EventRepository,
    UpdateEnforcementInput,
    UpdateEventInput,
)
from tests.builders import EnforcementFixture, EventFixture, unique_ref
from tests.harness import create_isolated_database
from tests.helpers import refused

pytestmark = pytest.mark.faults

Conn = psycopg.Connection[Any]
Connect = Callable[..., Conn]

MAX_DEPTH = 256
TOO_DEEP = [MAX_DEPTH + 1, 990, 2000]  # 990: a depth `create` once wrote and could not read
POISON_DEPTH = 2000


def nested(depth: int) -> Json:
    """A JSON value of `depth` levels, arrays and objects in turn, with a leaf at the
    bottom (built without recursion)."""
    value: Json = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"n": value}
    return value


def nested_text(depth: int) -> str:
    """The JSON text of `depth` nested arrays, for writing past the library."""
    return "[" * depth + "]" * depth


# -- the library refuses what it could not read back ------------------------------------


@pytest.mark.parametrize("depth", TOO_DEEP)
def test_create_event_with_payload_too_deep_raises_validation_error(conn: Conn, depth: int) -> None:
    trigger_ref = unique_ref("trigger")

    error = refused(
        conn,
        ValidationError,
        lambda: (
            EventFixture.unique().with_(trigger_ref=trigger_ref, payload=nested(depth)).create(conn)
        ),
    )

    assert error.column == "payload" or error.constraint == "event_payload_depth"
    assert EventRepository(conn).find_by_trigger_ref(trigger_ref) == []


@pytest.mark.parametrize("depth", TOO_DEEP)
def test_update_event_with_payload_too_deep_leaves_row_unchanged(conn: Conn, depth: int) -> None:
    event = EventFixture.unique().with_payload({"kept": True}).create(conn)
    events = EventRepository(conn)

    refused(
        conn,
        ValidationError,
        lambda: events.update(event.id, UpdateEventInput(payload=nested(depth))),
    )

    assert events.get_by_id(event.id) == event


@pytest.mark.parametrize("depth", TOO_DEEP)
def test_create_enforcement_with_payload_too_deep_raises_validation_error(
    conn: Conn, depth: int
) -> None:
    rule_ref = unique_ref("rule")

    error = refused(
        conn,
        ValidationError,
        lambda: (
            EnforcementFixture.unique().with_(rule_ref=rule_ref, payload=nested(depth)).create(conn)
        ),
    )

    assert error.column == "payload" or error.constraint == "enforcement_payload_depth"
    assert EnforcementRepository(conn).list_page(rule_ref=rule_ref).items == []


@pytest.mark.parametrize("depth", TOO_DEEP)
def test_update_enforcement_with_payload_too_deep_leaves_row_unchanged(
    conn: Conn, depth: int
) -> None:
    enforcement = EnforcementFixture.unique().with_payload({"kept": True}).create(conn)
    enforcements = EnforcementRepository(conn)

    refused(
        conn,
        ValidationError,
        lambda: enforcements.update(enforcement.id, UpdateEnforcementInput(payload=nested(depth))),
    )

    assert enforcements.get_by_id(enforcement.id) == enforcement


def test_json_of_exactly_max_depth_is_stored_and_reads_back(conn: Conn) -> None:
    deepest = nested(MAX_DEPTH)
    event = EventFixture.unique().with_payload(deepest).create(conn)
    enforcement = EnforcementFixture.unique().with_payload(deepest).create(conn)

    assert EventRepository(conn).get_by_id(event.id).payload == deepest
    assert EnforcementRepository(conn).get_by_id(enforcement.id).payload == deepest


def test_json_too_deep_written_past_the_library_is_refused_by_the_schema(conn: Conn) -> None:
    """The rule is the schema's: raw SQL cannot store a poison value either."""
    with pytest.raises(psycopg.errors.CheckViolation) as caught, conn.transaction():
        conn.execute(
            "INSERT INTO attune.event (trigger_ref, payload) VALUES (%s, %s::jsonb)",
            (unique_ref("trigger"), nested_text(MAX_DEPTH + 1)),
        )
    assert caught.value.diag.constraint_name == "event_payload_depth"


# -- a poison row stored before the rule ------------------------------------------------


@pytest.fixture(scope="module")
def legacy_url(database_url: str) -> Iterator[str]:
    """A database of this module's own, as one made before the depth rule on
    enforcement payloads: the rule is dropped. (One for the module: dropping a
    database costs a checkpoint, seconds on a busy server.)"""
    url, janitor = create_isolated_database(database_url)
    try:
        with psycopg.connect(url) as conn:
            conn.execute("ALTER TABLE attune.enforcement DROP CONSTRAINT enforcement_payload_depth")
        yield url
    finally:
        janitor.drop()


@pytest.fixture
def legacy(legacy_url: str) -> tuple[str, int, list[int]]:
    """Six `created` enforcements, the only ones in the module's database: the oldest
    with a 2,000-level payload (the poison), then five healthy ones. Returns the URL,
    the poison's id and the healthy ids."""
    with psycopg.connect(legacy_url) as conn:
        conn.execute("DELETE FROM attune.enforcement")  # this module's database only
        row = conn.execute(
            "INSERT INTO attune.enforcement (rule_ref, trigger_ref, payload, created)"
            " VALUES (%s, %s, %s::jsonb, now() - interval '1 hour') RETURNING id",
            (unique_ref("rule"), unique_ref("trigger"), nested_text(POISON_DEPTH)),
        ).fetchone()
        assert row is not None
        healthy = [
            EnforcementFixture.unique().with_payload({"n": n}).create(conn).id for n in range(5)
        ]
    return legacy_url, row[0], healthy


def assert_names_poison(error: UnreadableRow, poison: int) -> None:
    assert (error.table, error.id) == ("enforcement", poison)
    assert f"id={poison}" in str(error)


def test_get_by_id_of_poison_row_raises_unreadable_row(legacy: tuple[str, int, list[int]]) -> None:
    url, poison, healthy = legacy
    with psycopg.connect(url) as conn:
        enforcements = EnforcementRepository(conn)

        with pytest.raises(UnreadableRow) as caught:
            enforcements.get_by_id(poison)

        assert_names_poison(caught.value, poison)
        assert enforcements.get_by_id(healthy[0]).payload == {"n": 0}  # the rest reads


@pytest.mark.parametrize(
    "read",
    [
        lambda repository: repository.list(),
        lambda repository: repository.find_by_status(EnforcementStatus.CREATED),
        lambda repository: repository.list_page(limit=10),
    ],
    ids=["list", "find_by_status", "list_page"],
)
def test_lists_with_poison_row_raise_unreadable_row(
    legacy: tuple[str, int, list[int]], read: Callable[[EnforcementRepository], object]
) -> None:
    url, poison, _ = legacy
    with psycopg.connect(url) as conn:
        with pytest.raises(UnreadableRow) as caught:
            read(EnforcementRepository(conn))

        assert_names_poison(caught.value, poison)


def statuses(url: str, ids: list[int]) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT status::text FROM attune.enforcement WHERE id = ANY(%s) ORDER BY id", (ids,)
        ).fetchall()
    return [status for (status,) in rows]


def test_claim_meeting_poison_row_raises_and_claims_nothing(
    legacy: tuple[str, int, list[int]],
) -> None:
    url, poison, healthy = legacy
    with Database(url, max_size=1) as db:
        for _ in range(3):  # the executor loop of the README, again and again
            with pytest.raises(UnreadableRow) as caught, db.connection() as conn:
                EnforcementRepository(conn).claim_created(limit=6)
            assert_names_poison(caught.value, poison)

        assert statuses(url, [poison, *healthy]) == ["created"] * 6


def test_claim_meeting_poison_row_claims_nothing_even_when_caller_swallows_error(
    legacy: tuple[str, int, list[int]],
) -> None:
    url, poison, healthy = legacy
    with Database(url, max_size=1) as db:
        with db.connection() as conn:
            try:
                EnforcementRepository(conn).claim_created(limit=6)
            except UnreadableRow as error:
                assert_names_poison(error, poison)
            else:
                pytest.fail("the claim returned rows it could not read")
        # the block committed

        assert statuses(url, [poison, *healthy]) == ["created"] * 6


def test_queue_moves_again_once_poison_row_is_deleted(legacy: tuple[str, int, list[int]]) -> None:
    url, poison, healthy = legacy
    with Database(url, max_size=1) as db:
        assert db.run(lambda conn: EnforcementRepository(conn).delete(poison))

        claimed = db.run(lambda conn: EnforcementRepository(conn).claim_created(limit=6))

    assert [enforcement.id for enforcement in claimed] == healthy
