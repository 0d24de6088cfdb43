"""Packs: the unit of distribution that owns every other definition."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import JsonObject, Pack
from ..statements import Clear, Table


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
