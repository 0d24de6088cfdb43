# WARNING: generated from action_async.py by tools/async_to_sync.py - edit that file, then run make generate.
# ruff: noqa: E501
"""Actions (what can be run) and the policies that limit how they run."""

from __future__ import annotations

from ..models import Action
from ..models import Policy
from ..queries.action import ACTIONS
from ..queries.action import ACTIONS_BY_PACK
from ..queries.action import ACTIONS_BY_RUNTIME
from ..queries.action import ACTIONS_SEARCH
from ..queries.action import POLICIES
from ..queries.action import POLICIES_BY_ACTION
from ..queries.action import POLICIES_BY_TAG
from ..queries.action import CreateActionInput
from ..queries.action import CreatePolicyInput
from ..queries.action import UpdateActionInput
from ..queries.action import UpdatePolicyInput
from ..statements import DEFAULT_LIMIT
from ..statements import contains_pattern
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
