"""Keyset pages of history, newest first.

A page ends at a (created, id) position; its cursor encodes that position, and the
next page starts strictly after it. Reading page N costs the same as page 1 (one
index range), and rows inserted meanwhile never shift a page the way OFFSET does.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from .errors import ValidationError

M = TypeVar("M")

MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class Page(Generic[M]):
    """One page of rows, newest first; pass `next_cursor` as `after` for the next one
    (None when this is the last page)."""

    items: list[M]
    next_cursor: str | None


def encode_cursor(created: datetime, id: int) -> str:
    """The opaque cursor of a position."""
    return base64.urlsafe_b64encode(f"{created.isoformat()}|{id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor encodes; a cursor this library did not make is refused."""
    if not isinstance(cursor, str):
        raise TypeError(
            f"a page cursor is a str (a Page's next_cursor), not {type(cursor).__name__}"
        )
    try:
        created, id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        position = datetime.fromisoformat(created), int(id)
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise ValidationError(f"not a page cursor: {cursor!r}") from exc
    if position[0].tzinfo is None:
        raise ValidationError(f"not a page cursor: {cursor!r}")
    return position


def check_page_size(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(f"page size must be between 1 and {MAX_PAGE_SIZE}, not {limit}")
