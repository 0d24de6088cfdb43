# WARNING: generated from action_async.py by tools/async_to_sync.py - edit that file, then run make generate.
# ruff: noqa: E501
"""Actions (what can be run) and the policies that limit how they run."""

from __future__ import annotations

from ..models import Action, Policy
from ..queries.action import (
    ACTIONS,
    ACTIONS_BY_PACK,
    ACTIONS_BY_RUNTIME,
    ACTIONS_SEARCH,
    POLICIES,
    POLICIES_BY_ACTION,
    POLICIES_BY_TAG,
    CreateActionInput,
    CreatePolicyInput,
    UpdateActionInput,
    UpdatePolicyInput,
)
from ..statements import DEFAULT_LIMIT, contains_pattern
from .base import RefRepository


class ActionRepository(RefRepository[Action, CreateActionInput, UpdateActionInput]):
    table = ACTIONS

    def find_by_pack(self, pack_id: int, limit: int = DEFAULT_LIMIT) -> list[Action]:
        return self._all(ACTIONS_BY_PACK, (pack_id, limit))

    def find_by_runtime(self, runtime_id: int, limit: int = DEFAULT_LIMIT) -> list[Action]:
        return self._all(ACTIONS_BY_RUNTIME, (runtime_id, limit))

    def search(self, text: str, limit: int = DEFAULT_LIMIT) -> list[Action]:
        """Actions whose ref, label or description contains `text` (case-insensitive,
        `%` and `_` taken literally)."""
        return self._all(ACTIONS_SEARCH, {"pattern": contains_pattern(text), "limit": limit})


class PolicyRepository(RefRepository[Policy, CreatePolicyInput, UpdatePolicyInput]):
    table = POLICIES

    def find_by_action(self, action_id: int, limit: int = DEFAULT_LIMIT) -> list[Policy]:
        return self._all(POLICIES_BY_ACTION, (action_id, limit))

    def find_by_tag(self, tag: str, limit: int = DEFAULT_LIMIT) -> list[Policy]:
        return self._all(POLICIES_BY_TAG, (tag, limit))
