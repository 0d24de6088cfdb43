"""Events raised for triggers, and the enforcements rules create from them."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Enforcement
from ..models import EnforcementStatus
from ..models import Event
from ..queries.event import CLAIM_CREATED
from ..queries.event import CLAIM_CREATED_OF_RULES
from ..queries.event import ENFORCEMENTS
from ..queries.event import ENFORCEMENTS_BY_EVENT
from ..queries.event import ENFORCEMENTS_BY_RULE
from ..queries.event import ENFORCEMENTS_BY_STATUS
from ..queries.event import EVENTS
from ..queries.event import EVENTS_BY_TRIGGER
from ..queries.event import EVENTS_BY_TRIGGER_REF
from ..queries.event import CreateEnforcementInput
from ..queries.event import CreateEventInput
from ..queries.event import UpdateEnforcementInput
from ..queries.event import UpdateEventInput
from ..statements import DEFAULT_LIMIT
from .occurrence_async import AsyncOccurrenceRepository


class AsyncEventRepository(AsyncOccurrenceRepository[Event, CreateEventInput, UpdateEventInput]):
    table = EVENTS
    create_input = CreateEventInput
    page_filters = ("trigger_ref", "source_ref")

    async def find_by_trigger(self, trigger_id: int, limit: int = DEFAULT_LIMIT) -> list[Event]:
        return await self._all(EVENTS_BY_TRIGGER, (trigger_id, limit))

    async def find_by_trigger_ref(
        self, trigger_ref: str, limit: int = DEFAULT_LIMIT
    ) -> list[Event]:
        """Events of a trigger by its ref: still found after the trigger is deleted."""
        return await self._all(EVENTS_BY_TRIGGER_REF, (trigger_ref, limit))


class AsyncEnforcementRepository(
    AsyncOccurrenceRepository[Enforcement, CreateEnforcementInput, UpdateEnforcementInput]
):
    table = ENFORCEMENTS
    create_input = CreateEnforcementInput
    page_filters = ("status", "rule_ref", "trigger_ref")

    async def find_by_rule(self, rule_id: int, limit: int = DEFAULT_LIMIT) -> list[Enforcement]:
        return await self._all(ENFORCEMENTS_BY_RULE, (rule_id, limit))

    async def find_by_status(
        self, status: EnforcementStatus, limit: int = DEFAULT_LIMIT
    ) -> list[Enforcement]:
        return await self._all(ENFORCEMENTS_BY_STATUS, (status, limit))

    async def find_by_event(self, event_id: int, limit: int = DEFAULT_LIMIT) -> list[Enforcement]:
        return await self._all(ENFORCEMENTS_BY_EVENT, (event_id, limit))

    async def claim_created(
        self, limit: int = 1, rule_refs: Sequence[str] | None = None
    ) -> list[Enforcement]:
        """Move up to `limit` of the oldest `created` enforcements (of these rules, if
        given) to `processed`; return them oldest first. See `queries.occurrence`."""
        return await self._claim(
            CLAIM_CREATED, CLAIM_CREATED_OF_RULES, limit, rule_refs, "rule_refs"
        )
