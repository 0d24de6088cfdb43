"""Runtimes that actions and sensors run in, and the workers that provide them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import Json, Runtime, RuntimeType, Worker, WorkerStatus, WorkerType
from ..statements import Clear, Table

# -- runtimes --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateRuntimeInput:
    ref: str
    runtime_type: RuntimeType
    name: str
    distributions: Json
    pack: int | None = None
    pack_ref: str | None = None
    description: str | None = None
    installation: Json | None = None


@dataclass(frozen=True, slots=True)
class UpdateRuntimeInput:
    description: str | Clear | None = None
    name: str | None = None
    distributions: Json | None = None
    installation: Json | Clear | None = None


RUNTIMES = Table("runtime", Runtime, order_by="ref", json_columns=("distributions", "installation"))

RUNTIMES_BY_PACK = RUNTIMES.statement(
    "SELECT {columns} FROM attune.runtime WHERE pack = %s ORDER BY ref LIMIT %s"
)


# -- workers ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateWorkerInput:
    name: str
    worker_type: WorkerType
    runtime: int | None = None
    host: str | None = None
    port: int | None = None
    status: WorkerStatus = WorkerStatus.INACTIVE
    capabilities: Json | None = None
    meta: Json | None = None
    last_heartbeat: datetime | None = None


@dataclass(frozen=True, slots=True)
class UpdateWorkerInput:
    name: str | None = None
    worker_type: WorkerType | None = None
    runtime: int | Clear | None = None
    host: str | Clear | None = None
    port: int | Clear | None = None
    status: WorkerStatus | Clear | None = None
    capabilities: Json | Clear | None = None
    meta: Json | Clear | None = None
    last_heartbeat: datetime | Clear | None = None


WORKERS = Table("worker", Worker, order_by="name", json_columns=("capabilities", "meta"))

WORKERS_BY_STATUS = WORKERS.statement(
    "SELECT {columns} FROM attune.worker WHERE status = %s ORDER BY name LIMIT %s"
)
WORKERS_BY_TYPE = WORKERS.statement(
    "SELECT {columns} FROM attune.worker WHERE worker_type = %s ORDER BY name LIMIT %s"
)
WORKER_HEARTBEAT = WORKERS.statement(
    "UPDATE attune.worker SET last_heartbeat = now() WHERE id = %s RETURNING {columns}"
)
