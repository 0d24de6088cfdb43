"""Change notifications: a listener sees committed changes, never rolled-back ones.

Every worker's inserts notify the same channels, so a listener here waits for the
notices of its own rows (unique refs) and ignores the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from attune_common.errors import AttuneError
from attune_common.models import EnforcementStatus, ExecutionStatus, InquiryStatus
from attune_common.notify import (
    ENFORCEMENT_CHANNEL,
    EVENT_CHANNEL,
    EXECUTION_CHANNEL,
    INQUIRY_CHANNEL,
    ChangeNotice,
    listen,
)
from attune_common.repositories import (
    EnforcementRepository,
    ExecutionRepository,
    InquiryRepository,
    UpdateEnforcementInput,
    UpdateExecutionInput,
    UpdateInquiryInput,
)
from tests.builders import (
    EnforcementFixture,
    EventFixture,
    ExecutionFixture,
    InquiryFixture,
    unique_name,
)

Conn = psycopg.Connection[Any]
WAIT = 5.0  # seconds a listener waits for a notice that should come


def first_match(
    notices: Iterator[ChangeNotice], wanted: Callable[[ChangeNotice], bool]
) -> ChangeNotice | None:
    return next((notice for notice in notices if wanted(notice)), None)


def of_id(table: str, id: int, op: str) -> Callable[[ChangeNotice], bool]:
    return lambda n: (
        n.payload.get("id") == id and n.payload.get("op") == op and (n.channel == f"attune_{table}")
    )


@pytest.fixture
def listener(connect: Any) -> Conn:
    conn: Conn = connect(autocommit=True)
    return conn


def test_listen_sees_a_committed_event(conn: Conn, listener: Conn) -> None:
    notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
    event = EventFixture.unique().create(conn)
    conn.commit()
    notice = first_match(notices, of_id("event", event.id, "insert"))
    assert notice is not None
    assert notice.payload == {
        "op": "insert",
        "table": "event",
        "id": event.id,
        "trigger_ref": event.trigger_ref,
        "source_ref": None,
    }


def test_listen_does_not_see_a_rolled_back_event(conn: Conn, listener: Conn) -> None:
    notices = listen(listener, EVENT_CHANNEL, timeout=1.0)
    rolled_back = EventFixture.unique().create(conn)
    conn.rollback()
    committed = EventFixture.unique().create(conn)
    conn.commit()
    # Other tests insert events meanwhile; a bulk insert is heard as a summary, no "id".
    seen = {n.payload.get("id") for n in notices if n.payload.get("op") == "insert"}
    assert committed.id in seen
    assert rolled_back.id not in seen


def test_listen_sees_nothing_before_commit(conn: Conn, listener: Conn) -> None:
    notices = listen(listener, EVENT_CHANNEL, timeout=0.5)
    event = EventFixture.unique().create(conn)
    assert first_match(notices, of_id("event", event.id, "insert")) is None


def test_listen_sees_an_enforcement_status_change(conn: Conn, listener: Conn) -> None:
    enforcement = EnforcementFixture.unique().create(conn)
    conn.commit()
    notices = listen(listener, ENFORCEMENT_CHANNEL, timeout=WAIT)
    EnforcementRepository(conn).update(
        enforcement.id, UpdateEnforcementInput(status=EnforcementStatus.DISABLED)
    )
    conn.commit()
    notice = first_match(notices, of_id("enforcement", enforcement.id, "update"))
    assert notice is not None
    assert notice.payload["status"] == "disabled"
    assert notice.payload["old_status"] == "created"
    assert notice.payload["rule_ref"] == enforcement.rule_ref
    assert notice.payload["trigger_ref"] == enforcement.trigger_ref


def test_listen_ignores_updates_that_keep_the_status(conn: Conn, listener: Conn) -> None:
    enforcement = EnforcementFixture.unique().create(conn)
    conn.commit()
    notices = listen(listener, ENFORCEMENT_CHANNEL, timeout=0.5)
    EnforcementRepository(conn).update(enforcement.id, UpdateEnforcementInput(payload={"x": 1}))
    conn.commit()
    assert first_match(notices, of_id("enforcement", enforcement.id, "update")) is None


def test_listen_sees_a_claim(conn: Conn, listener: Conn) -> None:
    rule_ref = f"p.{unique_name('rule')}"
    enforcement = EnforcementFixture.unique().with_(rule_ref=rule_ref).create(conn)
    conn.commit()
    notices = listen(listener, ENFORCEMENT_CHANNEL, timeout=WAIT)
    EnforcementRepository(conn).claim_created(rule_refs=[rule_ref])
    conn.commit()
    notice = first_match(notices, of_id("enforcement", enforcement.id, "update"))
    assert notice is not None
    assert (notice.payload["old_status"], notice.payload["status"]) == ("created", "processed")


def test_listen_sees_execution_insert_and_status_change(conn: Conn, listener: Conn) -> None:
    notices = listen(listener, EXECUTION_CHANNEL, timeout=WAIT)
    execution = ExecutionFixture.unique().create(conn)
    conn.commit()
    ExecutionRepository(conn).update(
        execution.id, UpdateExecutionInput(status=ExecutionStatus.RUNNING)
    )
    conn.commit()
    inserted = first_match(notices, of_id("execution", execution.id, "insert"))
    updated = first_match(notices, of_id("execution", execution.id, "update"))
    assert inserted is not None and updated is not None
    assert inserted.payload["status"] == "requested"
    assert inserted.payload["action_ref"] == execution.action_ref
    assert (updated.payload["old_status"], updated.payload["status"]) == ("requested", "running")


def test_listen_sees_inquiry_insert_and_status_change(conn: Conn, listener: Conn) -> None:
    notices = listen(listener, INQUIRY_CHANNEL, timeout=WAIT)
    inquiry = InquiryFixture.unique().create(conn)
    conn.commit()
    InquiryRepository(conn).update(inquiry.id, UpdateInquiryInput(status=InquiryStatus.TIMEOUT))
    conn.commit()
    inserted = first_match(notices, of_id("inquiry", inquiry.id, "insert"))
    updated = first_match(notices, of_id("inquiry", inquiry.id, "update"))
    assert inserted is not None and updated is not None
    assert inserted.payload["execution"] == inquiry.execution
    assert updated.payload["status"] == "timeout"


def test_listen_on_several_channels(conn: Conn, listener: Conn) -> None:
    notices = listen(listener, EVENT_CHANNEL, ENFORCEMENT_CHANNEL, timeout=WAIT)
    event = EventFixture.unique().create(conn)
    enforcement = EnforcementFixture.unique(event=event).create(conn)
    conn.commit()
    seen: set[tuple[str, int]] = set()
    wanted = {("attune_event", event.id), ("attune_enforcement", enforcement.id)}
    for notice in notices:
        seen.add((notice.channel, notice.payload.get("id", -1)))
        if wanted <= seen:
            break
    assert wanted <= seen


def test_listen_payload_that_is_not_json(listener: Conn, connect: Any) -> None:
    channel = unique_name("chan")
    notices = listen(listener, channel, timeout=WAIT)
    connect(autocommit=True).execute("SELECT pg_notify(%s, %s)", (channel, "plain text"))
    assert next(notices) == ChangeNotice(channel, {"raw": "plain text"})


def test_listen_stops_listening_when_closed(listener: Conn) -> None:
    channel = unique_name("chan")
    notices = listen(listener, channel, timeout=0.1)
    assert listener.execute("SELECT pg_listening_channels()").fetchall() == [(channel,)]
    assert list(notices) == []  # the timeout ends the iterator, which unlistens
    assert listener.execute("SELECT pg_listening_channels()").fetchall() == []


def test_listen_needs_an_autocommit_connection(conn: Conn) -> None:
    with pytest.raises(AttuneError, match="autocommit"):
        listen(conn, EVENT_CHANNEL)


def test_listen_needs_a_channel(listener: Conn) -> None:
    with pytest.raises(AttuneError, match="channel"):
        listen(listener)
