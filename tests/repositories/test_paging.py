"""Keyset pages of history: newest first, no gaps or repeats, same cost at any depth."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from attune_common.errors import ValidationError
from attune_common.models import (
    EnforcementStatus,
    ExecutionStatus,
    InquiryStatus,
    NotificationStatus,
)
from attune_common.paging import encode_cursor
from attune_common.repositories import (
    CreateEventInput,
    EnforcementRepository,
    EventRepository,
    ExecutionRepository,
    InquiryRepository,
    NotificationRepository,
)
from attune_common.repositories.event import EVENTS
from tests.apis import open_repository
from tests.builders import (
    EnforcementFixture,
    EventFixture,
    ExecutionFixture,
    InquiryFixture,
    NotificationFixture,
    unique_name,
    unique_ref,
)
from tests.helpers import set_created

Conn = psycopg.Connection[Any]

pytestmark = pytest.mark.usefixtures("api")  # for the sync and the asyncio API


def events_of(conn: Conn, trigger_ref: str, count: int) -> list[int]:
    """`count` events of one trigger; their ids, newest first."""
    created = open_repository(EventRepository, conn).create_many(
        [CreateEventInput(trigger_ref=trigger_ref, payload={"n": n}) for n in range(count)]
    )
    return [event.id for event in reversed(created)]


def all_pages(repository: Any, limit: int, **filters: Any) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        page = repository.list_page(after=cursor, limit=limit, **filters)
        pages.append([row.id for row in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def test_list_page_walks_every_row_newest_first_once(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    newest_first = events_of(conn, trigger_ref, 25)
    pages = all_pages(open_repository(EventRepository, conn), 10, trigger_ref=trigger_ref)
    assert pages == [newest_first[0:10], newest_first[10:20], newest_first[20:25]]


def test_list_page_matches_the_list_order(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    events_of(conn, trigger_ref, 7)
    repository = open_repository(EventRepository, conn)
    listed = [event.id for event in repository.find_by_trigger_ref(trigger_ref)]
    assert [id for page in all_pages(repository, 3, trigger_ref=trigger_ref) for id in page] == (
        listed
    )


def test_list_page_that_ends_exactly_at_the_limit_has_no_next_cursor(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    events_of(conn, trigger_ref, 10)
    page = open_repository(EventRepository, conn).list_page(limit=10, trigger_ref=trigger_ref)
    assert len(page.items) == 10
    assert page.next_cursor is None


def test_list_page_of_nothing_is_empty(conn: Conn) -> None:
    page = open_repository(EventRepository, conn).list_page(trigger_ref=unique_ref("trigger"))
    assert (page.items, page.next_cursor) == ([], None)


def test_list_page_returns_whole_rows(conn: Conn) -> None:
    event = EventFixture.unique().with_payload({"k": [1, 2]}).create(conn)
    (listed,) = (
        open_repository(EventRepository, conn).list_page(trigger_ref=event.trigger_ref).items
    )
    assert listed == event


def test_list_page_orders_ties_in_created_by_id(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    newest_first = events_of(conn, trigger_ref, 6)  # one transaction: one created
    set_created(conn, "event", newest_first[4:], datetime(2001, 1, 1, tzinfo=UTC))
    pages = all_pages(open_repository(EventRepository, conn), 2, trigger_ref=trigger_ref)
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:6]]


def test_list_page_is_not_shifted_by_rows_added_meanwhile(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    older = events_of(conn, trigger_ref, 6)
    repository = open_repository(EventRepository, conn)
    first = repository.list_page(limit=3, trigger_ref=trigger_ref)
    events_of(conn, trigger_ref, 5)  # new rows arrive before the next page is read
    second = repository.list_page(after=first.next_cursor, limit=3, trigger_ref=trigger_ref)
    assert [e.id for e in first.items] == older[:3]
    assert [e.id for e in second.items] == older[3:]


def test_list_page_created_bounds_are_exclusive(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    ids = events_of(conn, trigger_ref, 3)
    days = [datetime(2001, 1, day, tzinfo=UTC) for day in (1, 2, 3)]
    for id, day in zip(reversed(ids), days, strict=True):
        set_created(conn, "event", [id], day)
    repository = open_repository(EventRepository, conn)

    def between(**bounds: Any) -> list[int]:
        return [e.id for e in repository.list_page(trigger_ref=trigger_ref, **bounds).items]

    assert between(created_after=days[0]) == ids[:2]
    assert between(created_before=days[2]) == ids[1:]
    assert between(created_after=days[0], created_before=days[2]) == [ids[1]]
    assert between(created_after=days[2]) == []


def test_list_page_of_enforcements_filters_on_status_and_refs(conn: Conn) -> None:
    rule_ref = unique_ref("rule")
    made = {
        status: EnforcementFixture.unique().with_(rule_ref=rule_ref, status=status).create(conn)
        for status in EnforcementStatus
    }
    EnforcementFixture.unique().with_(status=EnforcementStatus.CREATED).create(conn)
    repository = open_repository(EnforcementRepository, conn)
    page = repository.list_page(rule_ref=rule_ref, status=EnforcementStatus.PROCESSED)
    assert [e.id for e in page.items] == [made[EnforcementStatus.PROCESSED].id]
    by_trigger = repository.list_page(trigger_ref=made[EnforcementStatus.CREATED].trigger_ref)
    assert [e.id for e in by_trigger.items] == [made[EnforcementStatus.CREATED].id]


def test_list_page_ignores_filters_given_as_none(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    ids = events_of(conn, trigger_ref, 2)
    page = open_repository(EventRepository, conn).list_page(
        trigger_ref=trigger_ref, source_ref=None
    )
    assert [e.id for e in page.items] == ids


def test_list_page_refuses_an_unknown_filter(conn: Conn) -> None:
    with pytest.raises(ValidationError, match="payload"):
        open_repository(EventRepository, conn).list_page(payload={"a": 1})


@pytest.mark.parametrize("limit", [0, -1, 1001])
def test_list_page_refuses_a_page_size_out_of_range(conn: Conn, limit: int) -> None:
    with pytest.raises(ValidationError, match="page size"):
        open_repository(EventRepository, conn).list_page(limit=limit)


@pytest.mark.parametrize(
    "cursor", ["", "not a cursor", "MTIzNA==", encode_cursor(datetime(2001, 1, 1), 5)]
)
def test_list_page_refuses_a_cursor_it_did_not_make(conn: Conn, cursor: str) -> None:
    with pytest.raises(ValidationError, match="cursor"):
        open_repository(EventRepository, conn).list_page(after=cursor)


def plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", []) for node in plan_nodes(child))]


def test_list_page_deep_in_history_reads_one_index_range(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    newest_first = events_of(conn, trigger_ref, 5_000)
    conn.execute("ANALYZE attune.event")
    deep = newest_first[4_000]
    page_query = EVENTS.page(("after", "trigger_ref"))
    params = {
        "trigger_ref": trigger_ref,
        "after_created": open_repository(EventRepository, conn).get_by_id(deep).created,
        "after_id": deep,
        "limit": 101,
    }
    row = conn.execute(b"EXPLAIN (FORMAT JSON) " + page_query.query, params).fetchone()
    assert row is not None
    plan = (row[0] if isinstance(row[0], list) else json.loads(row[0]))[0]["Plan"]
    nodes = plan_nodes(plan)
    assert not [node for node in nodes if node["Node Type"] in ("Sort", "Incremental Sort")]
    (scan,) = [node for node in nodes if node["Node Type"] == "Index Scan"]
    # The scan starts at the cursor (it is in the index condition) and walks the
    # index backward: no page before it is read, nothing is sorted.
    assert scan["Scan Direction"] == "Backward"
    assert scan["Index Name"] in ("event_trigger_ref_idx", "event_created_idx")
    assert "ROW(created, id) <" in scan["Index Cond"]
    page = open_repository(EventRepository, conn).list_page(
        after=encode_cursor(params["after_created"], deep), limit=100, trigger_ref=trigger_ref
    )
    assert [e.id for e in page.items] == newest_first[4_001:4_101]


def test_list_page_cursor_survives_a_round_trip_through_text(conn: Conn) -> None:
    trigger_ref = unique_ref("trigger")
    ids = events_of(conn, trigger_ref, 3)
    first = open_repository(EventRepository, conn).list_page(limit=1, trigger_ref=trigger_ref)
    assert first.next_cursor is not None
    cursor = str(first.next_cursor)  # e.g. through a URL query string and back
    rest = open_repository(EventRepository, conn).list_page(
        after=cursor, limit=5, trigger_ref=trigger_ref
    )
    assert [e.id for e in rest.items] == ids[1:]
    assert timedelta(0) == first.items[0].created - rest.items[0].created


def test_list_page_of_executions_filters_on_status_and_action_ref(conn: Conn) -> None:
    action_ref = unique_ref("action")
    running = [
        ExecutionFixture.unique()
        .with_(action_ref=action_ref, status=ExecutionStatus.RUNNING)
        .create(conn)
        .id
        for _ in range(3)
    ]
    ExecutionFixture.unique().with_(action_ref=action_ref).create(conn)
    repository = open_repository(ExecutionRepository, conn)
    pages = all_pages(repository, 2, action_ref=action_ref, status=ExecutionStatus.RUNNING)
    assert pages == [running[::-1][:2], running[::-1][2:]]


def test_list_page_of_inquiries_filters_on_execution_and_status(conn: Conn) -> None:
    execution = ExecutionFixture.unique().create(conn)
    pending = InquiryFixture.unique(execution).create(conn)
    answered = InquiryFixture.unique(execution).with_(status=InquiryStatus.RESPONDED).create(conn)
    InquiryFixture.unique().create(conn)
    repository = open_repository(InquiryRepository, conn)
    page = repository.list_page(execution=execution.id)
    assert [i.id for i in page.items] == [answered.id, pending.id]
    page = repository.list_page(execution=execution.id, status=InquiryStatus.PENDING)
    assert [i.id for i in page.items] == [pending.id]


def test_list_page_of_notifications_filters_on_channel_and_state(conn: Conn) -> None:
    channel = unique_name("channel")
    queued = NotificationFixture.unique().with_(channel=channel, state="queued").create(conn)
    fresh = NotificationFixture.unique().with_(channel=channel).create(conn)
    repository = open_repository(NotificationRepository, conn)
    assert [n.id for n in repository.list_page(channel=channel).items] == [fresh.id, queued.id]
    page = repository.list_page(channel=channel, state=NotificationStatus.QUEUED)
    assert [n.id for n in page.items] == [queued.id]
