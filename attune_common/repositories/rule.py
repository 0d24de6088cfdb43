# WARNING: generated from rule_async.py by tools/async_to_sync.py - edit that file, then run make generate.
# ruff: noqa: E501
"""Rules: when an event of a trigger matches, enforce an action."""

from __future__ import annotations

from ..models import Rule
from ..queries.rule import RULES
from ..queries.rule import RULES_BY_ACTION
from ..queries.rule import RULES_BY_PACK
from ..queries.rule import RULES_BY_TRIGGER
from ..queries.rule import RULES_ENABLED
from ..queries.rule import CreateRuleInput
from ..queries.rule import UpdateRuleInput
from ..statements import DEFAULT_LIMIT
from .base import RefRepository


class RuleRepository(RefRepository[Rule, CreateRuleInput, UpdateRuleInput]):
    table = RULES

    def find_by_pack(self, pack_id: int, limit: int = DEFAULT_LIMIT) -> list[Rule]:
        return self._all(RULES_BY_PACK, (pack_id, limit))

    def find_by_action(self, action_id: int, limit: int = DEFAULT_LIMIT) -> list[Rule]:
        return self._all(RULES_BY_ACTION, (action_id, limit))

    def find_by_trigger(self, trigger_id: int, limit: int = DEFAULT_LIMIT) -> list[Rule]:
        return self._all(RULES_BY_TRIGGER, (trigger_id, limit))

    def find_enabled(self, limit: int = DEFAULT_LIMIT) -> list[Rule]:
        return self._all(RULES_ENABLED, (limit,))
