"""Notifications never fail a write: payloads stay under pg_notify's 8,000 bytes
whatever the row holds, channels are checked at insert, and a statement that writes
many rows sends one notice, not one per row."""

from __future__ import annotations

from typing import Any

import pytest

from attune_common.errors import ValidationError
from attune_common.notify import (
    ENFORCEMENT_CHANNEL,
    EVENT_CHANNEL,
    EXECUTION_CHANNEL,
    listen,
)
from attune_common.repositories import (
    CreateEnforcementInput,
    CreateEventInput,
    CreateNotificationInput,
    EnforcementRepository,
    EventRepository,
    ExecutionRepository,
    NotificationRepository,
)
from tests.builders import ExecutionFixture, unique_name, unique_ref
from tests.helpers import refused
from tests.listening import WAIT, Conn, first_match, mentions, of_id, until_marker

LIMIT = 8000  # bytes pg_notify accepts in a payload, less one


@pytest.fixture
def listener(connect: Any) -> Conn:
    conn: Conn = connect(autocommit=True)
    return conn


def long_ref(filler: str, length: int) -> str:
    return f"{unique_name('p')}.{filler * length}"


@pytest.mark.parametrize(
    "filler, length",
    [("r", 8000), ('"', 4000), ("\x01", 1400), ("é", 5000)],
    ids=["8000-chars", "4000-quotes", "1400-control-chars", "5000-two-byte-chars"],
)
def test_event_with_a_long_ref_is_stored_and_notified_cut(
    conn: Conn, listener: Conn, filler: str, length: int
) -> None:
    notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
    ref = long_ref(filler, length)
    event = EventRepository(conn).create(CreateEventInput(trigger_ref=ref, source_ref=ref))
    conn.commit()

    notice = first_match(notices, of_id("event", event.id, "insert"))
    assert event.trigger_ref == ref  # the row keeps the whole ref
    assert notice is not None
    assert notice.payload["trigger_ref"] == ref[:200]
    assert notice.payload["source_ref"] == ref[:200]
    assert sorted(notice.payload["cut"]) == ["source_ref", "trigger_ref"]


def test_enforcement_with_two_5000_character_refs_is_stored_and_notified(
    conn: Conn, listener: Conn
) -> None:
    notices = listen(listener, ENFORCEMENT_CHANNEL, timeout=WAIT)
    enforcement = EnforcementRepository(conn).create(
        CreateEnforcementInput(
            rule_ref=long_ref("r", 5000), trigger_ref=long_ref("t", 5000), payload={}
        )
    )
    conn.commit()

    notice = first_match(notices, of_id("enforcement", enforcement.id, "insert"))
    assert notice is not None
    assert sorted(notice.payload["cut"]) == ["rule_ref", "trigger_ref"]
    assert len(notice.payload["rule_ref"]) == 200


def test_short_refs_are_not_cut(conn: Conn, listener: Conn) -> None:
    notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
    ref = long_ref("r", 150)
    event = EventRepository(conn).create(CreateEventInput(trigger_ref=ref))
    conn.commit()

    notice = first_match(notices, of_id("event", event.id, "insert"))
    assert notice is not None
    assert notice.payload["trigger_ref"] == ref
    assert "cut" not in notice.payload


@pytest.mark.parametrize("field", ["entity_type", "entity", "activity"])
def test_notification_with_long_text_is_stored_and_notified_cut(
    conn: Conn, listener: Conn, field: str
) -> None:
    channel = unique_name("chan")
    notices = listen(listener, channel, timeout=WAIT)
    values = {"entity_type": "execution", "entity": "1", "activity": "created"}
    values[field] = '"\x02' * 3000
    notification = NotificationRepository(conn).create(
        CreateNotificationInput(channel=channel, **values)
    )
    conn.commit()

    notice = next(notices)
    assert notice.payload["id"] == notification.id
    assert notice.payload[field] == values[field][:200]
    assert notice.payload["cut"] == [field]


@pytest.mark.parametrize("channel", ["", "c" * 64, "é" * 32], ids=["empty", "64", "64-bytes"])
def test_notification_channel_must_be_1_to_63_bytes(conn: Conn, channel: str) -> None:
    repository = NotificationRepository(conn)
    error = refused(
        conn,
        ValidationError,
        lambda: repository.create(
            CreateNotificationInput(channel=channel, entity_type="x", entity="1", activity="a")
        ),
    )
    assert error.constraint == "notification_channel_check"


def test_notification_channel_of_63_bytes_is_accepted(conn: Conn) -> None:
    channel = unique_name("c") + "c" * 50  # 63 bytes
    notification = NotificationRepository(conn).create(
        CreateNotificationInput(channel=channel, entity_type="x", entity="1", activity="a")
    )
    assert len(notification.channel.encode()) == 63


def summary_of(ids: list[int]) -> dict[str, Any]:
    """What a statement that inserted these events sends (ids listed up to 50)."""
    ordered = sorted(ids)
    shown = {"ids": ordered} if len(ids) <= 50 else {"min_id": ordered[0], "max_id": ordered[-1]}
    return {"op": "insert", "table": "event", "count": len(ids), **shown}


@pytest.mark.parametrize("rows", [3, 50, 51, 300])
def test_create_many_sends_one_summary_notice(conn: Conn, listener: Conn, rows: int) -> None:
    notices = listen(listener, EVENT_CHANNEL, timeout=WAIT)
    ref = unique_ref("trigger")
    events = EventRepository(conn).create_many([CreateEventInput(trigger_ref=ref)] * rows)
    conn.commit()

    ids = [event.id for event in events]
    mine = [n for n in until_marker(notices, conn, EVENT_CHANNEL) if mentions(ids)(n)]
    assert [n.payload for n in mine] == [summary_of(ids)]


def test_a_claim_of_several_rows_sends_one_notice(conn: Conn, listener: Conn) -> None:
    action_ref = unique_ref("action")
    executions = [
        ExecutionFixture.unique().with_(action_ref=action_ref).create(conn) for _ in "abc"
    ]
    conn.commit()
    notices = listen(listener, EXECUTION_CHANNEL, timeout=WAIT)
    claimed = ExecutionRepository(conn).claim_requested(10, action_refs=[action_ref])
    conn.commit()

    ids = sorted(e.id for e in executions)
    assert sorted(e.id for e in claimed) == ids
    mine = [n for n in until_marker(notices, conn, EXECUTION_CHANNEL) if mentions(ids)(n)]
    assert [n.payload for n in mine] == [
        {"op": "update", "table": "execution", "count": 3, "ids": ids}
    ]
