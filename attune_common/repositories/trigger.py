# WARNING: generated from trigger_async.py by tools/async_to_sync.py - edit that file, then run make generate.
# ruff: noqa: E501
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
from .base import RefRepository


class TriggerRepository(RefRepository[Trigger, CreateTriggerInput, UpdateTriggerInput]):
    table = TRIGGERS

    def find_by_pack(self, pack_id: int, limit: int = DEFAULT_LIMIT) -> list[Trigger]:
        return self._all(TRIGGERS_BY_PACK, (pack_id, limit))

    def find_enabled(self, limit: int = DEFAULT_LIMIT) -> list[Trigger]:
        return self._all(TRIGGERS_ENABLED, (limit,))


class SensorRepository(RefRepository[Sensor, CreateSensorInput, UpdateSensorInput]):
    table = SENSORS

    def find_by_trigger(self, trigger_id: int, limit: int = DEFAULT_LIMIT) -> list[Sensor]:
        return self._all(SENSORS_BY_TRIGGER, (trigger_id, limit))

    def find_by_pack(self, pack_id: int, limit: int = DEFAULT_LIMIT) -> list[Sensor]:
        return self._all(SENSORS_BY_PACK, (pack_id, limit))

    def find_enabled(self, limit: int = DEFAULT_LIMIT) -> list[Sensor]:
        return self._all(SENSORS_ENABLED, (limit,))
