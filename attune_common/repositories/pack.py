"""Packs: the unit of distribution that owns every other definition."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import JsonObject, Pack
from ..statements import DEFAULT_LIMIT, Clear, Table, contains_pattern
from .base import RefRepository


@dataclass(frozen=True, slots=True)
class CreatePackInput:
    ref: str
    label: str
    version: str
    description: str | None = None
    conf_schema: JsonObject = field(default_factory=dict)
    config: JsonObject = field(default_factory=dict)
    meta: JsonObject = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    runtime_deps: list[str] = field(default_factory=list)
    is_standard: bool = False


@dataclass(frozen=True, slots=True)
class UpdatePackInput:
    label: str | None = None
    description: str | Clear | None = None
    version: str | None = None
    conf_schema: JsonObject | None = None
    config: JsonObject | None = None
    meta: JsonObject | None = None
    tags: list[str] | None = None
    runtime_deps: list[str] | None = None
    is_standard: bool | None = None


PACKS = Table("pack", Pack, order_by="ref", json_columns=("conf_schema", "config", "meta"))

# `tags @>` rather than `= ANY(tags)`: only containment is served by the GIN index.
PACKS_BY_TAG = PACKS.statement(
    "SELECT {columns} FROM attune.pack WHERE tags @> ARRAY[%s]::text[] ORDER BY ref LIMIT %s"
)
PACKS_STANDARD = PACKS.statement(
    "SELECT {columns} FROM attune.pack WHERE is_standard ORDER BY ref LIMIT %s"
)
PACKS_SEARCH = PACKS.statement(
    "SELECT {columns} FROM attune.pack"
    " WHERE ref ILIKE %(pattern)s OR label ILIKE %(pattern)s OR description ILIKE %(pattern)s"
    " ORDER BY ref LIMIT %(limit)s"
)


class PackRepository(RefRepository[Pack, CreatePackInput, UpdatePackInput]):
    table = PACKS

    def find_by_tag(self, tag: str, limit: int = DEFAULT_LIMIT) -> list[Pack]:
        """Packs whose tags include `tag`."""
        return self._all(PACKS_BY_TAG, (tag, limit))

    def find_standard(self, limit: int = DEFAULT_LIMIT) -> list[Pack]:
        """The packs shipped with the platform."""
        return self._all(PACKS_STANDARD, (limit,))

    def search(self, text: str, limit: int = DEFAULT_LIMIT) -> list[Pack]:
        """Packs whose ref, label or description contains `text`, ignoring case; `%`, `_`
        and backslashes in `text` match themselves."""
        return self._all(PACKS_SEARCH, {"pattern": contains_pattern(text), "limit": limit})
