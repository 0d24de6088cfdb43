"""Definitions: packs and what they own, and the workers that run actions.

One frozen dataclass per table, one field per column, in the table's column order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .enums import PolicyMethod, RuntimeType, WorkerStatus, WorkerType
from .json import Json, JsonArray, JsonObject


@dataclass(frozen=True, slots=True)
class Pack:
    id: int
    ref: str
    label: str
    description: str | None
    version: str
    conf_schema: JsonObject
    config: JsonObject
    meta: JsonObject
    tags: list[str]
    runtime_deps: list[str]
    is_standard: bool
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class Runtime:
    id: int
    ref: str
    pack: int | None
    pack_ref: str | None
    description: str | None
    runtime_type: RuntimeType
    name: str
    distributions: Json
    installation: Json | None
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class Worker:
    id: int
    name: str
    worker_type: WorkerType
    runtime: int | None
    host: str | None
    port: int | None
    status: WorkerStatus | None
    capabilities: Json | None
    meta: Json | None
    last_heartbeat: datetime | None
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class Trigger:
    id: int
    ref: str
    pack: int | None
    pack_ref: str | None
    label: str
    description: str | None
    enabled: bool
    param_schema: Json | None
    out_schema: Json | None
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class Sensor:
    id: int
    ref: str
    pack: int | None
    pack_ref: str | None
    label: str
    description: str
    entrypoint: str
    runtime: int
    runtime_ref: str
    trigger: int
    trigger_ref: str
    enabled: bool
    param_schema: Json | None
    config: Json | None
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class Action:
    id: int
    ref: str
    pack: int
    pack_ref: str
    label: str
    description: str
    entrypoint: str
    runtime: int | None
    param_schema: Json | None
    out_schema: Json | None
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    ref: str
    pack: int
    pack_ref: str
    label: str
    description: str
    action: int
    action_ref: str
    trigger: int
    trigger_ref: str
    conditions: JsonArray
    action_params: Json | None
    trigger_params: Json | None
    enabled: bool
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class Policy:
    id: int
    ref: str
    pack: int | None
    pack_ref: str | None
    action: int | None
    action_ref: str | None
    parameters: list[str]
    method: PolicyMethod
    threshold: int
    name: str
    description: str | None
    tags: list[str]
    created: datetime
    updated: datetime
