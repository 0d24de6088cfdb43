"""The caller owns the transaction: repositories never commit or roll back, share the
caller's transaction, and work on whatever connection they are given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row, namedtuple_row
from psycopg.types.enum import EnumInfo, register_enum

from attune_common.errors import AlreadyExists, AttuneError
from attune_common.models import EnforcementStatus, Event, Pack, Trigger
from attune_common.repositories import (
    EnforcementRepository,
    EventRepository,
    PackRepository,
    TriggerRepository,
    UpdateEnforcementInput,
)
from tests.builders import EnforcementFixture, EventFixture, PackFixture, TriggerFixture

Conn = psycopg.Connection[Any]
Connect = Callable[..., Conn]


def create_pack_trigger_event(conn: Conn) -> tuple[Pack, Trigger, Event]:
    pack = PackFixture.unique().create(conn)
    trigger = TriggerFixture.unique(pack).create(conn)
    return pack, trigger, EventFixture.unique(trigger).create(conn)


def test_create_leaves_transaction_open(conn: Conn) -> None:
    PackFixture.unique().create(conn)

    assert conn.info.transaction_status == TransactionStatus.INTRANS


def test_create_invisible_to_other_connection_until_commit(conn: Conn, connect: Connect) -> None:
    other = PackRepository(connect(autocommit=True))
    pack = PackFixture.unique().create(conn)

    assert other.find_by_ref(pack.ref) is None
    conn.commit()
    assert other.find_by_ref(pack.ref) == pack


def test_create_gone_after_rollback(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)

    conn.rollback()

    assert PackRepository(conn).find_by_id(pack.id) is None
    assert PackRepository(conn).find_by_ref(pack.ref) is None


def test_repositories_share_one_transaction(conn: Conn, connect: Connect) -> None:
    other = connect(autocommit=True)
    pack, trigger, event = create_pack_trigger_event(conn)

    assert TriggerRepository(other).find_by_id(trigger.id) is None
    conn.rollback()

    assert PackRepository(conn).find_by_id(pack.id) is None
    assert TriggerRepository(conn).find_by_id(trigger.id) is None
    assert EventRepository(conn).find_by_id(event.id) is None


def test_repositories_on_one_connection_see_uncommitted_rows(conn: Conn, connect: Connect) -> None:
    pack, trigger, event = create_pack_trigger_event(conn)

    assert PackRepository(conn).get_by_ref(pack.ref) == pack
    assert TriggerRepository(conn).get_by_id(trigger.id) == trigger
    assert EventRepository(conn).find_by_trigger(trigger.id) == [event]
    assert EventRepository(connect()).find_by_trigger(trigger.id) == []


def test_create_on_autocommit_connection_visible_at_once(connect: Connect) -> None:
    autocommit = connect(autocommit=True)
    pack, trigger, event = create_pack_trigger_event(autocommit)

    assert autocommit.info.transaction_status == TransactionStatus.IDLE
    other = connect()
    assert PackRepository(other).get_by_id(pack.id) == pack
    assert EventRepository(other).find_by_trigger(trigger.id) == [event]


@pytest.mark.parametrize("row_factory", [dict_row, namedtuple_row], ids=["dict", "namedtuple"])
def test_repository_returns_models_whatever_the_connection_row_factory(
    connect: Connect, row_factory: Any
) -> None:
    conn = connect(row_factory=row_factory)
    pack, trigger, event = create_pack_trigger_event(conn)

    assert isinstance(pack, Pack)
    assert PackRepository(conn).get_by_ref(pack.ref) == pack
    assert EventRepository(conn).find_by_trigger(trigger.id) == [event]
    assert all(isinstance(found, Pack) for found in PackRepository(conn).list(limit=5))


@pytest.mark.parametrize(
    ("python_enum", "mapping"),
    [
        (None, None),
        # psycopg's documented use: the library's own enum, mapped by member name
        (EnforcementStatus, None),
        (EnforcementStatus, {member: member.value for member in EnforcementStatus}),
    ],
    ids=["generated-enum", "library-enum", "library-enum-by-value"],
)
def test_repository_returns_strenum_on_connection_with_registered_enum(
    connect: Connect, python_enum: Any, mapping: Any
) -> None:
    conn = connect()
    info = EnumInfo.fetch(conn, "attune.enforcement_status")
    assert info is not None
    register_enum(info, conn, python_enum, mapping=mapping)
    repository = EnforcementRepository(conn)

    enforcement = EnforcementFixture.unique().create(conn)
    processed = UpdateEnforcementInput(status=EnforcementStatus.PROCESSED)
    updated = repository.update(enforcement.id, processed)

    assert enforcement.status is EnforcementStatus.CREATED
    assert updated.status is EnforcementStatus.PROCESSED
    found = repository.find_by_status(EnforcementStatus.PROCESSED, limit=1_000_000)
    assert updated in found
    assert all(type(e.status) is EnforcementStatus for e in found)


def test_failed_call_after_savepoint_keeps_earlier_work(conn: Conn, connect: Connect) -> None:
    pack, trigger, event = create_pack_trigger_event(conn)

    with pytest.raises(AlreadyExists), conn.transaction():
        PackFixture(name=pack.ref).create(conn)
    later = EventFixture.unique(trigger).create(conn)
    conn.commit()

    other = connect()
    assert PackRepository(other).get_by_id(pack.id) == pack
    assert EventRepository(other).find_by_trigger(trigger.id) == [later, event]


def test_call_after_failure_without_savepoint_raises_attune_error(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    with pytest.raises(AlreadyExists):
        PackFixture(name=pack.ref).create(conn)

    with pytest.raises(AttuneError) as raised:
        PackRepository(conn).find_by_id(pack.id)

    assert raised.value.sqlstate == "25P02"  # in_failed_sql_transaction
    assert isinstance(raised.value.__cause__, psycopg.errors.InFailedSqlTransaction)
    conn.rollback()
    assert PackRepository(conn).find_by_id(pack.id) is None
