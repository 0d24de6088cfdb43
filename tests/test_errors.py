"""Errors reached from real SQL through the repositories (SPEC §4).

Every failing call runs inside a savepoint (`refused`), so the test's transaction
goes on and can read back that the failed call changed nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import psycopg
import pytest
from psycopg.pq import TransactionStatus

from attune_common.errors import (
    AlreadyExists,
    AttuneError,
    NotFound,
    ReferenceViolation,
    ValidationError,
)
from attune_common.models import EnforcementStatus
from attune_common.repositories import (
    ActionRepository,
    EnforcementRepository,
    EventRepository,
    PackRepository,
    PolicyRepository,
    RuleRepository,
    TriggerRepository,
    UpdateEnforcementInput,
    UpdateEventInput,
    UpdatePackInput,
    WorkerRepository,
)
from tests.builders import (
    ActionFixture,
    EnforcementFixture,
    EventFixture,
    PackFixture,
    PolicyFixture,
    RuleFixture,
    TriggerFixture,
    WorkerFixture,
    unique_name,
    unique_ref,
)

Conn = psycopg.Connection[Any]
E = TypeVar("E", bound=AttuneError)

HOSTILE = [
    "it's",
    'say "hi"',
    "back\\slash \\\\ \\'",
    "%s",
    "%(x)s",
    "{columns}",
    "{table} {}",
    "'; DROP TABLE attune.event; --",
    '"; DROP TABLE attune.event; --',
    "NULL",
    "a,b {c} (d)",
    "tab\tnew\nline\r",
    "naïve café — 日本語 — עברית",
    "🚀👩‍💻🏳️‍🌈",
    "\u2028\ufeff\u200b",
]


@contextmanager
def refused(conn: Conn, error: type[E], sqlstate: str | None) -> Iterator[pytest.ExceptionInfo[E]]:
    """Expect `error`, translated from a psycopg error with `sqlstate`, from a block run
    in a savepoint."""
    with pytest.raises(error) as raised, conn.transaction():
        yield raised
    assert isinstance(raised.value.__cause__, psycopg.Error)
    assert raised.value.sqlstate == raised.value.__cause__.sqlstate == sqlstate


def refused_before_sending(conn: Conn, call: Callable[[], object]) -> ValidationError:
    """Run `call`, which psycopg or the library must refuse before the server sees the
    statement: no savepoint needed, the transaction is not failed."""
    with pytest.raises(ValidationError) as raised:
        call()
    assert raised.value.sqlstate is None
    assert conn.info.transaction_status != TransactionStatus.INERROR
    return raised.value


def missing_pack_id(conn: Conn) -> int:
    """The id of a pack that no longer exists."""
    pack = PackFixture.unique().create(conn)
    assert PackRepository(conn).delete(pack.id)
    return pack.id


# -- AlreadyExists ---------------------------------------------------------------------


def test_create_duplicate_pack_ref_raises_already_exists(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)

    with refused(conn, AlreadyExists, "23505") as raised:
        PackFixture(name=pack.ref).with_label("the second one").create(conn)

    assert raised.value.constraint == "pack_ref_key"
    assert raised.value.table == "pack"
    assert pack.ref in str(raised.value)
    assert PackRepository(conn).get_by_ref(pack.ref) == pack
    found = conn.execute("SELECT count(*) FROM attune.pack WHERE ref = %s", (pack.ref,))
    assert found.fetchone() == (1,)


# -- ReferenceViolation ----------------------------------------------------------------


def test_create_event_with_missing_trigger_raises_reference_violation(conn: Conn) -> None:
    trigger = TriggerFixture.unique().create(conn)
    assert TriggerRepository(conn).delete(trigger.id)

    with refused(conn, ReferenceViolation, "23503") as raised:
        EventFixture.unique(trigger).create(conn)

    assert raised.value.constraint == "event_trigger_fkey"
    assert raised.value.table == "event"
    assert EventRepository(conn).find_by_trigger_ref(trigger.ref) == []


@pytest.mark.parametrize(
    ("target", "repository"), [("action", ActionRepository), ("trigger", TriggerRepository)]
)
def test_delete_target_of_rule_raises_reference_violation(
    conn: Conn, target: str, repository: type[ActionRepository | TriggerRepository]
) -> None:
    rule = RuleFixture.unique().create(conn)
    target_id = getattr(rule, target)
    before = repository(conn).get_by_id(target_id)

    with refused(conn, ReferenceViolation, "23503") as raised:
        repository(conn).delete(target_id)

    assert raised.value.constraint == f"rule_{target}_fkey"
    assert raised.value.table == "rule"
    assert repository(conn).get_by_id(target_id) == before
    assert RuleRepository(conn).get_by_id(rule.id) == rule


def test_delete_pack_cascades_through_rule_that_blocks_direct_deletes(conn: Conn) -> None:
    rule = RuleFixture.unique().create(conn)

    assert PackRepository(conn).delete(rule.pack)

    assert RuleRepository(conn).find_by_id(rule.id) is None
    assert ActionRepository(conn).find_by_id(rule.action) is None
    assert TriggerRepository(conn).find_by_id(rule.trigger) is None


# -- ValidationError from the server ---------------------------------------------------


@pytest.mark.parametrize("prefix", ["Upper", "dotted.", "9digit", "space "])
def test_create_pack_with_malformed_ref_raises_validation_error(conn: Conn, prefix: str) -> None:
    ref = prefix + unique_name()

    with refused(conn, ValidationError, "23514") as raised:
        PackFixture.unique().with_ref(ref).create(conn)

    assert raised.value.constraint == "pack_ref_format"
    assert PackRepository(conn).find_by_ref(ref) is None


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0 "])
def test_create_pack_with_non_semver_version_raises_validation_error(
    conn: Conn, version: str
) -> None:
    fixture = PackFixture.unique().with_version(version)

    with refused(conn, ValidationError, "23514") as raised:
        fixture.create(conn)

    assert raised.value.constraint == "pack_version_semver"
    assert PackRepository(conn).find_by_ref(fixture.name) is None


def test_update_pack_with_non_semver_version_leaves_row_unchanged(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)

    with refused(conn, ValidationError, "23514") as raised:
        PackRepository(conn).update(pack.id, UpdatePackInput(label="new", version="2"))

    assert raised.value.constraint == "pack_version_semver"
    assert PackRepository(conn).get_by_id(pack.id) == pack


@pytest.mark.parametrize("port", [0, 65536, -1])
def test_create_worker_with_port_out_of_range_raises_validation_error(
    conn: Conn, port: int
) -> None:
    name = unique_name("worker")

    with refused(conn, ValidationError, "23514") as raised:
        WorkerFixture.unique().with_(name=name, port=port).create(conn)

    assert raised.value.constraint == "worker_port_range"
    assert raised.value.table == "worker"
    assert WorkerRepository(conn).find_by_name(name) is None


def test_create_worker_with_port_beyond_integer_raises_validation_error(conn: Conn) -> None:
    name = unique_name("worker")

    with refused(conn, ValidationError, "22003"):
        WorkerFixture.unique().with_(name=name, port=2**40).create(conn)

    assert WorkerRepository(conn).find_by_name(name) is None


def test_create_policy_with_zero_threshold_raises_validation_error(conn: Conn) -> None:
    ref = unique_ref("policy")

    with refused(conn, ValidationError, "23514") as raised:
        PolicyFixture.unique().with_(ref=ref, threshold=0).create(conn)

    assert raised.value.constraint == "policy_threshold_positive"
    assert PolicyRepository(conn).find_by_ref(ref) is None


def test_find_by_status_with_unknown_label_raises_validation_error(conn: Conn) -> None:
    with refused(conn, ValidationError, "22P02") as raised:
        EnforcementRepository(conn).find_by_status(cast(EnforcementStatus, "bogus"))

    assert "bogus" in str(raised.value)


def test_update_with_unknown_status_label_leaves_row_unchanged(conn: Conn) -> None:
    enforcement = EnforcementFixture.unique().create(conn)
    bogus = UpdateEnforcementInput(status=cast(EnforcementStatus, "bogus"), payload={"a": 1})

    with refused(conn, ValidationError, "22P02"):
        EnforcementRepository(conn).update(enforcement.id, bogus)

    assert EnforcementRepository(conn).get_by_id(enforcement.id) == enforcement


def test_create_event_with_nul_escape_in_json_raises_validation_error(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")

    with refused(conn, ValidationError, "22P05"):
        EventFixture.unique().with_(trigger_ref=trigger_ref, payload={"text": "a\u0000b"}).create(
            conn
        )

    assert EventRepository(conn).find_by_trigger_ref(trigger_ref) == []


# -- ValidationError before anything is sent -------------------------------------------


def test_create_pack_with_nul_byte_in_text_raises_validation_error(conn: Conn) -> None:
    fixture = PackFixture.unique().with_label("nul\x00byte")

    error = refused_before_sending(conn, lambda: fixture.create(conn))

    assert isinstance(error.__cause__, psycopg.DataError)
    assert PackRepository(conn).find_by_ref(fixture.name) is None


@pytest.mark.parametrize(
    "payload",
    [{"x": float("nan")}, [float("inf")], {"x": object()}, {"x": {1, 2}}, {(1, 2): "key"}],
    ids=["nan", "infinity", "object", "set", "tuple-key"],
)
def test_create_event_with_payload_json_cannot_hold_raises_validation_error(
    conn: Conn, payload: Any
) -> None:
    trigger_ref = unique_ref("trigger")
    fixture = EventFixture.unique().with_(trigger_ref=trigger_ref, payload=payload)

    error = refused_before_sending(conn, lambda: fixture.create(conn))

    # Serialized before executing: the fresh connection has not even sent BEGIN.
    assert conn.info.transaction_status == TransactionStatus.IDLE
    assert error.column == "payload"
    assert isinstance(error.__cause__, TypeError | ValueError)
    assert EventRepository(conn).find_by_trigger_ref(trigger_ref) == []


def test_update_event_with_nan_payload_leaves_row_unchanged(conn: Conn) -> None:
    event = EventFixture.unique().with_payload({"kept": True}).create(conn)
    update = UpdateEventInput(config={"x": 1}, payload={"x": float("nan")})

    error = refused_before_sending(conn, lambda: EventRepository(conn).update(event.id, update))

    assert error.column == "payload"
    assert EventRepository(conn).get_by_id(event.id) == event


# -- NotFound --------------------------------------------------------------------------


def test_get_by_id_of_missing_pack_raises_not_found(conn: Conn) -> None:
    pack_id = missing_pack_id(conn)

    with pytest.raises(NotFound) as raised:
        PackRepository(conn).get_by_id(pack_id)

    error = raised.value
    assert (error.entity, error.field, error.value) == ("Pack", "id", pack_id)
    assert isinstance(error, AttuneError)
    assert error.__cause__ is None
    assert error.sqlstate is None


def test_get_by_ref_of_missing_pack_raises_not_found(conn: Conn) -> None:
    ref = unique_name("pack")

    with pytest.raises(NotFound) as raised:
        PackRepository(conn).get_by_ref(ref)

    assert (raised.value.entity, raised.value.field, raised.value.value) == ("Pack", "ref", ref)
    assert ref in str(raised.value)


@pytest.mark.parametrize(
    "update", [UpdatePackInput(label="new"), UpdatePackInput()], ids=["changes", "empty"]
)
def test_update_missing_pack_raises_not_found(conn: Conn, update: UpdatePackInput) -> None:
    pack_id = missing_pack_id(conn)

    with pytest.raises(NotFound) as raised:
        PackRepository(conn).update(pack_id, update)

    assert (raised.value.entity, raised.value.field, raised.value.value) == ("Pack", "id", pack_id)
    assert conn.info.transaction_status == TransactionStatus.INTRANS


# -- hostile text ----------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_create_and_update_pack_store_hostile_text_verbatim(conn: Conn, text: str) -> None:
    repository = PackRepository(conn)
    pack = (
        PackFixture.unique()
        .with_(label=text, description=text, tags=[text, "NULL"], meta={text: [text, None]})
        .create(conn)
    )

    stored = repository.get_by_id(pack.id)
    updated = repository.update(pack.id, UpdatePackInput(label=f"<{text}>", description=None))

    assert (stored.label, stored.description, stored.tags) == (text, text, [text, "NULL"])
    assert stored.meta == {text: [text, None]}
    assert (updated.label, updated.description) == (f"<{text}>", text)


@pytest.mark.parametrize("text", HOSTILE)
def test_find_by_trigger_ref_matches_hostile_ref_verbatim(conn: Conn, text: str) -> None:
    trigger_ref = f"{text}{unique_name()}"
    event = (
        EventFixture.unique().with_(trigger_ref=trigger_ref, payload={"text": text}).create(conn)
    )

    found = EventRepository(conn).find_by_trigger_ref(trigger_ref)

    assert found == [event]
    assert found[0].trigger_ref == trigger_ref
    assert found[0].payload == {"text": text}
    assert EventRepository(conn).find_by_trigger_ref(text) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_search_actions_takes_hostile_text_literally(conn: Conn, text: str) -> None:
    action = ActionFixture.unique().with_description(f"before {text} after").create(conn)

    found = ActionRepository(conn).search(text)

    assert action in found
    assert all(text.lower() in f"{a.ref} {a.label} {a.description}".lower() for a in found)


@pytest.mark.parametrize("text", HOSTILE)
def test_get_by_ref_hostile_ref_raises_not_found(conn: Conn, text: str) -> None:
    with pytest.raises(NotFound) as raised:
        PackRepository(conn).get_by_ref(text)

    assert raised.value.value == text
    assert conn.execute("SELECT to_regclass('attune.event') IS NOT NULL").fetchone() == (True,)
