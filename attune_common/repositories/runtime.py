"""Runtimes that actions and sensors run in, and the workers that provide them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import Json, Runtime, RuntimeType, Worker, WorkerStatus, WorkerType
from ..statements import Table
from .base import RefRepository, Repository

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
    description: str | None = None
    name: str | None = None
    distributions: Json | None = None
    installation: Json | None = None


RUNTIMES = Table("runtime", Runtime, order_by="ref", json_columns=("distributions", "installation"))


class RuntimeRepository(RefRepository[Runtime, CreateRuntimeInput, UpdateRuntimeInput]):
    table = RUNTIMES


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
    runtime: int | None = None
    host: str | None = None
    port: int | None = None
    status: WorkerStatus | None = None
    capabilities: Json | None = None
    meta: Json | None = None
    last_heartbeat: datetime | None = None


WORKERS = Table("worker", Worker, order_by="name", json_columns=("capabilities", "meta"))


class WorkerRepository(Repository[Worker, CreateWorkerInput, UpdateWorkerInput]):
    table = WORKERS

    def find_by_name(self, name: str) -> Worker | None:
        return self._find_by("name", name)

    def get_by_name(self, name: str) -> Worker:
        return self._get_by("name", name)
