"""Keyset pages of one trigger ref's events: page 1 against a deep page.

The deep page's cursor comes from walking the pages before it (outside the timing);
then fetching that page should cost what page 1 costs. Raw psycopg runs the same
statement with the position the cursor encodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attune_common.paging import Page, decode_cursor
from attune_common.repositories.event import EVENTS

from .clients import ATTUNE, PSYCOPG, Clients
from .settings import Settings
from .timing import Operation

FIRST_PAGE = EVENTS.page(("trigger_ref",)).query
NEXT_PAGE = EVENTS.page(("trigger_ref", "after")).query
BY_OFFSET = (
    "SELECT id FROM attune.event WHERE trigger_ref = %s"
    " ORDER BY created DESC, id DESC LIMIT %s OFFSET %s"
)


def _cursor_of(c: Clients, s: Settings, ref: str, page: int) -> str:
    """The cursor that `list_page` returns with page `page - 1`, found by walking."""
    found = c.events.list_page(limit=s.page_size, trigger_ref=ref)
    for _ in range(page - 2):
        assert found.next_cursor is not None, "fewer pages than the deep page"
        found = c.events.list_page(after=found.next_cursor, limit=s.page_size, trigger_ref=ref)
    assert found.next_cursor is not None
    return found.next_cursor


def _check_page(c: Clients, s: Settings, ref: str, page: int, results: Mapping[str, Any]) -> None:
    mine: Page[Any] = results[ATTUNE]
    ids = [row.id for row in mine.items]
    expected = c.checker.execute(BY_OFFSET, (ref, s.page_size, (page - 1) * s.page_size))
    assert ids == [id for (id,) in expected.fetchall()], f"page {page} is not rows by OFFSET"
    assert len(ids) == s.page_size and mine.next_cursor is not None
    assert [row[0] for row in results[PSYCOPG][: s.page_size]] == ids


def _page_operation(c: Clients, s: Settings, ref: str, page: int) -> Operation:
    limit = s.page_size
    if page == 1:
        after = None
        params: dict[str, Any] = {"trigger_ref": ref, "limit": limit + 1}
        query = FIRST_PAGE
    else:
        after = _cursor_of(c, s, ref, page)
        created, id = decode_cursor(after)
        params = {"trigger_ref": ref, "after_created": created, "after_id": id, "limit": limit + 1}
        query = NEXT_PAGE
    return Operation(
        f"list_page_{page}",
        {
            ATTUNE: lambda i: c.events.list_page(after=after, limit=limit, trigger_ref=ref),
            PSYCOPG: lambda i: c.raw.execute(query, params).fetchall(),
        },
        lambda results: _check_page(c, s, ref, page, results),
        s.paging_repetitions,
        warmup=10,
    )


def paging(c: Clients, s: Settings, ref: str) -> list[Operation]:
    return [_page_operation(c, s, ref, 1), _page_operation(c, s, ref, s.deep_page)]
