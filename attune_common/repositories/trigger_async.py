"""Triggers (kinds of things that happen) and the sensors that watch for them."""

from __future__ import annotations

from ..models import Sensor
from ..models import Trigger
from ..queries.trigger import SENSORS
from ..queries.trigger import SENSORS_BY_PACK
from ..queries.trigger import SENSORS_BY_TRIGGER
from ..queries.trigger import SENSORS_ENABLED
from ..queries.trigger import TRIGGERS
from ..queries.trigger import TRIGGERS_BY_PACK
from ..queries.trigger import TRIGGERS_ENABLED
from ..queries.trigger import CreateSensorInput
from ..queries.trigger import CreateTriggerInput
from ..queries.trigger import UpdateSensorInput
from ..queries.trigger import UpdateTriggerInput
from ..statements import DEFAULT_LIMIT
from .base_async import AsyncRefRepository


class AsyncTriggerRepository(AsyncRefRepository[Trigger, CreateTriggerInput, UpdateTriggerInput]):
    table = TRIGGERS

    async def find_by_pack(self, pack_id: int, limit: int = DEFAULT_LIMIT) -> list[Trigger]:
        return await self._all(TRIGGERS_BY_PACK, (pack_id, limit))

    async def find_enabled(self, limit: int = DEFAULT_LIMIT) -> list[Trigger]:
        return await self._all(TRIGGERS_ENABLED, (limit,))


class AsyncSensorRepository(AsyncRefRepository[Sensor, CreateSensorInput, UpdateSensorInput]):
    table = SENSORS

    async def find_by_trigger(self, trigger_id: int, limit: int = DEFAULT_LIMIT) -> list[Sensor]:
        return await self._all(SENSORS_BY_TRIGGER, (trigger_id, limit))

    async def find_by_pack(self, pack_id: int, limit: int = DEFAULT_LIMIT) -> list[Sensor]:
        return await self._all(SENSORS_BY_PACK, (pack_id, limit))

    async def find_enabled(self, limit: int = DEFAULT_LIMIT) -> list[Sensor]:
        return await self._all(SENSORS_ENABLED, (limit,))
