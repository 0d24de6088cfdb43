"""Runtimes that actions and sensors run in, and the workers that provide them."""

from __future__ import annotations

from ..models import Runtime
from ..models import Worker
from ..models import WorkerStatus
from ..models import WorkerType
from ..queries.runtime import RUNTIMES
from ..queries.runtime import RUNTIMES_BY_PACK
from ..queries.runtime import WORKER_HEARTBEAT
from ..queries.runtime import WORKERS
from ..queries.runtime import WORKERS_BY_STATUS
from ..queries.runtime import WORKERS_BY_TYPE
from ..queries.runtime import CreateRuntimeInput
from ..queries.runtime import CreateWorkerInput
from ..queries.runtime import UpdateRuntimeInput
from ..queries.runtime import UpdateWorkerInput
from ..statements import DEFAULT_LIMIT
from .base_async import AsyncRefRepository
from .base_async import AsyncRepository


class AsyncRuntimeRepository(AsyncRefRepository[Runtime, CreateRuntimeInput, UpdateRuntimeInput]):
    table = RUNTIMES

    async def find_by_pack(self, pack_id: int, limit: int = DEFAULT_LIMIT) -> list[Runtime]:
        return await self._all(RUNTIMES_BY_PACK, (pack_id, limit))


class AsyncWorkerRepository(AsyncRepository[Worker, CreateWorkerInput, UpdateWorkerInput]):
    table = WORKERS

    async def find_by_name(self, name: str) -> Worker | None:
        return await self._find_by("name", name)

    async def get_by_name(self, name: str) -> Worker:
        return await self._get_by("name", name)

    async def find_by_status(
        self, status: WorkerStatus, limit: int = DEFAULT_LIMIT
    ) -> list[Worker]:
        return await self._all(WORKERS_BY_STATUS, (status, limit))

    async def find_by_type(
        self, worker_type: WorkerType, limit: int = DEFAULT_LIMIT
    ) -> list[Worker]:
        return await self._all(WORKERS_BY_TYPE, (worker_type, limit))

    async def update_heartbeat(self, id: int) -> Worker:
        """Record that the worker is alive now (the transaction's time); NotFound if no
        worker has this id."""
        updated = await self._one(WORKER_HEARTBEAT, (id,))
        if updated is None:
            raise self._not_found(id)
        return updated
