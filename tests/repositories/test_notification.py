"""NotificationRepository against the real database, beyond what every repository does
(test_common.py): defaults and round trips, state and content updates, finders, and the
pg_notify the schema sends on the notification's channel when an insert commits."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import cast

import psycopg
import pytest
from psycopg import sql

from attune_common.errors import ValidationError
from attune_common.models import NotificationStatus
from attune_common.repositories import (
    CreateNotificationInput,
    NotificationRepository,
    UpdateNotificationInput,
)
from tests.builders import Conn, NotificationFixture, unique_name
from tests.helpers import ids, newest_first, only, transaction_now

Connect = Callable[..., Conn]

WAIT = 5.0  # seconds a listener waits for a notification that must come
QUIET = 0.5  # seconds a listener waits to show that none comes


def listener(connect: Connect, channel: str) -> Conn:
    """A separate session listening on `channel` (a quoted identifier: any name works)."""
    listening = connect(autocommit=True)
    listening.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
    return listening


def received(listening: Conn, timeout: float, count: int = 1) -> list[psycopg.Notify]:
    return list(listening.notifies(timeout=timeout, stop_after=count))


def unique_channel() -> str:
    return f"channel_{unique_name()}"


# -- create ----------------------------------------------------------------------------


def test_create_minimal_applies_schema_defaults(conn: Conn) -> None:
    channel = unique_channel()

    notification = NotificationRepository(conn).create(
        CreateNotificationInput(
            channel=channel, entity_type="execution", entity="42", activity="created"
        )
    )

    assert (
        notification.channel,
        notification.entity_type,
        notification.entity,
        notification.activity,
    ) == (channel, "execution", "42", "created")
    assert notification.state is NotificationStatus.CREATED
    assert notification.content is None
    assert notification.created == notification.updated == transaction_now(conn)


def test_create_full_round_trips_every_column(conn: Conn) -> None:
    data = CreateNotificationInput(
        channel=unique_channel(),
        entity_type="inquiry",
        entity="7",
        activity="responded",
        state=NotificationStatus.QUEUED,
        content={"by": "alice", "fields": ["approved"]},
    )

    notification = NotificationRepository(conn).create(data)

    assert (notification.state, notification.content) == (
        NotificationStatus.QUEUED,
        {"by": "alice", "fields": ["approved"]},
    )
    assert NotificationRepository(conn).get_by_id(notification.id) == notification


@pytest.mark.parametrize("state", list(NotificationStatus))
def test_create_stores_each_state_as_enum_member(conn: Conn, state: NotificationStatus) -> None:
    notification = NotificationFixture.unique().with_state(state).create(conn)

    stored = NotificationRepository(conn).get_by_id(notification.id)
    assert stored.state is state
    assert type(stored.state) is NotificationStatus


def test_create_with_content_json_cannot_hold_raises_validation_error(conn: Conn) -> None:
    channel = unique_channel()
    repository = NotificationRepository(conn)

    with pytest.raises(ValidationError) as raised:
        repository.create(
            CreateNotificationInput(
                channel=channel, entity_type="x", entity="1", activity="a", content={1j: 2}
            )
        )

    assert raised.value.column == "content"
    assert repository.find_by_channel(channel) == []


def test_create_with_unknown_state_raises_and_stores_nothing(conn: Conn) -> None:
    channel = unique_channel()
    repository = NotificationRepository(conn)

    with pytest.raises(ValidationError), conn.transaction():
        repository.create(
            CreateNotificationInput(
                channel=channel,
                entity_type="x",
                entity="1",
                activity="a",
                state=cast(NotificationStatus, "sent"),
            )
        )

    assert repository.find_by_channel(channel) == []


@pytest.mark.parametrize("channel", ["", "c" * 64], ids=["empty", "too-long"])
def test_create_on_channel_pg_notify_refuses_raises_and_stores_nothing(
    conn: Conn, channel: str
) -> None:
    repository = NotificationRepository(conn)

    with pytest.raises(ValidationError), conn.transaction():
        repository.create(
            CreateNotificationInput(channel=channel, entity_type="x", entity="1", activity="a")
        )

    assert repository.find_by_channel(channel) == []


# -- update ----------------------------------------------------------------------------


def test_update_state_changes_only_state(conn: Conn) -> None:
    notification = NotificationFixture.unique().with_content({"kept": 1}).create(conn)

    updated = NotificationRepository(conn).update(
        notification.id, UpdateNotificationInput(state=NotificationStatus.PROCESSING)
    )

    assert (updated.state, updated.content) == (NotificationStatus.PROCESSING, {"kept": 1})
    assert NotificationRepository(conn).get_by_id(notification.id) == updated


def test_update_content_changes_only_content(conn: Conn) -> None:
    notification = NotificationFixture.unique().create(conn)

    updated = NotificationRepository(conn).update(
        notification.id, UpdateNotificationInput(content=["a", "b"])
    )

    assert (updated.state, updated.content) == (NotificationStatus.CREATED, ["a", "b"])
    assert updated.channel == notification.channel


def test_update_state_and_content_together(conn: Conn) -> None:
    notification = NotificationFixture.unique().create(conn)

    updated = NotificationRepository(conn).update(
        notification.id,
        UpdateNotificationInput(state=NotificationStatus.ERROR, content={"error": "timeout"}),
    )

    assert (updated.state, updated.content) == (NotificationStatus.ERROR, {"error": "timeout"})


def test_update_with_unknown_state_raises_and_leaves_row(conn: Conn) -> None:
    notification = NotificationFixture.unique().create(conn)
    repository = NotificationRepository(conn)

    with pytest.raises(ValidationError), conn.transaction():
        repository.update(
            notification.id,
            UpdateNotificationInput(state=cast(NotificationStatus, "sent"), content={"x": 1}),
        )

    assert repository.get_by_id(notification.id) == notification


# -- finders ---------------------------------------------------------------------------


def test_find_by_state_returns_mine_with_that_state_newest_first(conn: Conn) -> None:
    queued = [
        NotificationFixture.unique().with_state(NotificationStatus.QUEUED).create(conn)
        for _ in range(2)
    ]
    created = NotificationFixture.unique().create(conn)

    found = NotificationRepository(conn).find_by_state(NotificationStatus.QUEUED)

    assert all(row.state is NotificationStatus.QUEUED for row in found)
    assert only(found, [*queued, created]) == newest_first(queued)


def test_find_by_state_respects_limit(conn: Conn) -> None:
    for _ in range(3):
        NotificationFixture.unique().with_state(NotificationStatus.ERROR).create(conn)

    assert len(NotificationRepository(conn).find_by_state(NotificationStatus.ERROR, limit=2)) == 2


def test_find_by_channel_returns_only_that_channel_newest_first(conn: Conn) -> None:
    channel = unique_channel()
    mine = [NotificationFixture.unique().with_channel(channel).create(conn) for _ in range(3)]
    NotificationFixture.unique().create(conn)
    repository = NotificationRepository(conn)

    assert ids(repository.find_by_channel(channel)) == newest_first(mine)
    assert ids(repository.find_by_channel(channel, limit=2)) == newest_first(mine)[:2]


def test_find_by_channel_unknown_is_empty(conn: Conn) -> None:
    NotificationFixture.unique().create(conn)

    assert NotificationRepository(conn).find_by_channel(unique_channel()) == []


# -- pg_notify -------------------------------------------------------------------------


def test_create_notifies_listeners_of_its_channel_on_commit(conn: Conn, connect: Connect) -> None:
    channel = unique_channel()
    listening = listener(connect, channel)
    notification = NotificationFixture.unique().with_channel(channel).create(conn)

    assert received(listening, QUIET) == []  # nothing before the commit
    conn.commit()
    notices = received(listening, WAIT)

    assert [notice.channel for notice in notices] == [channel]
    assert json.loads(notices[0].payload) == {
        "id": notification.id,
        "entity_type": notification.entity_type,
        "entity": notification.entity,
        "activity": notification.activity,
    }


def test_create_rolled_back_notifies_nobody(conn: Conn, connect: Connect) -> None:
    channel = unique_channel()
    listening = listener(connect, channel)
    NotificationFixture.unique().with_channel(channel).create(conn)

    conn.rollback()

    assert received(listening, QUIET) == []
    assert NotificationRepository(conn).find_by_channel(channel) == []


def test_create_notifies_each_row_in_insert_order(conn: Conn, connect: Connect) -> None:
    channel = unique_channel()
    listening = listener(connect, channel)
    first, second = (
        NotificationFixture.unique().with_(channel=channel, activity=activity).create(conn)
        for activity in ("created", "updated")
    )

    conn.commit()
    notices = received(listening, WAIT, count=2)

    assert [json.loads(notice.payload)["id"] for notice in notices] == [first.id, second.id]
    assert [json.loads(notice.payload)["activity"] for notice in notices] == [
        "created",
        "updated",
    ]


def test_create_does_not_notify_other_channels(conn: Conn, connect: Connect) -> None:
    channel = unique_channel()
    listening = listener(connect, channel)
    NotificationFixture.unique().create(conn)  # on its own unique channel

    conn.commit()

    assert received(listening, QUIET) == []


def test_update_and_delete_do_not_notify(conn: Conn, connect: Connect) -> None:
    channel = unique_channel()
    notification = NotificationFixture.unique().with_channel(channel).create(conn)
    conn.commit()
    listening = listener(connect, channel)
    repository = NotificationRepository(conn)

    repository.update(notification.id, UpdateNotificationInput(state=NotificationStatus.QUEUED))
    assert repository.delete(notification.id)
    conn.commit()

    assert received(listening, QUIET) == []
