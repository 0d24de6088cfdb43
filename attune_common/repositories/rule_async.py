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
from .base_async import AsyncRefRepository


class AsyncRuleRepository(AsyncRefRepository[Rule, CreateRuleInput, UpdateRuleInput]):
    table = RULES

    async def find_by_pack(self, pack_id: int, limit: int = DEFAULT_LIMIT) -> list[Rule]:
        return await self._all(RULES_BY_PACK, (pack_id, limit))

    async def find_by_action(self, action_id: int, limit: int = DEFAULT_LIMIT) -> list[Rule]:
        return await self._all(RULES_BY_ACTION, (action_id, limit))

    async def find_by_trigger(self, trigger_id: int, limit: int = DEFAULT_LIMIT) -> list[Rule]:
        return await self._all(RULES_BY_TRIGGER, (trigger_id, limit))

    async def find_enabled(self, limit: int = DEFAULT_LIMIT) -> list[Rule]:
        return await self._all(RULES_ENABLED, (limit,))
