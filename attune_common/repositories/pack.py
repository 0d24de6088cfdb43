# WARNING: generated from pack_async.py by tools/async_to_sync.py - edit that file, then run make generate.
# ruff: noqa: E501
"""Packs: the unit of distribution that owns every other definition."""

from __future__ import annotations

from ..models import Pack
from ..queries.pack import PACKS
from ..queries.pack import PACKS_BY_TAG
from ..queries.pack import PACKS_SEARCH
from ..queries.pack import PACKS_STANDARD
from ..queries.pack import CreatePackInput
from ..queries.pack import UpdatePackInput
from ..statements import DEFAULT_LIMIT
from ..statements import contains_pattern
from .base import RefRepository


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
