"""Triggers (kinds of things that happen) and the sensors that watch for them."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Json, Sensor, Trigger
from ..statements import Clear, Table

# -- triggers --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateTriggerInput:
    ref: str
    label: str
    pack: int | None = None
    pack_ref: str | None = None
    description: str | None = None
    enabled: bool = True
    param_schema: Json | None = None
    out_schema: Json | None = None


@dataclass(frozen=True, slots=True)
class UpdateTriggerInput:
    label: str | None = None
    description: str | Clear | None = None
    enabled: bool | None = None
    param_schema: Json | Clear | None = None
    out_schema: Json | Clear | None = None


TRIGGERS = Table("trigger", Trigger, order_by="ref", json_columns=("param_schema", "out_schema"))

TRIGGERS_BY_PACK = TRIGGERS.statement(
    "SELECT {columns} FROM attune.trigger WHERE pack = %s ORDER BY ref LIMIT %s"
)
TRIGGERS_ENABLED = TRIGGERS.statement(
    "SELECT {columns} FROM attune.trigger WHERE enabled ORDER BY ref LIMIT %s"
)


# -- sensors ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateSensorInput:
    ref: str
    label: str
    description: str
    entrypoint: str
    runtime: int
    runtime_ref: str
    trigger: int
    trigger_ref: str
    pack: int | None = None
    pack_ref: str | None = None
    enabled: bool = True
    param_schema: Json | None = None
    config: Json | None = None


@dataclass(frozen=True, slots=True)
class UpdateSensorInput:
    label: str | None = None
    description: str | None = None
    entrypoint: str | None = None
    enabled: bool | None = None
    param_schema: Json | Clear | None = None
    config: Json | Clear | None = None


SENSORS = Table("sensor", Sensor, order_by="ref", json_columns=("param_schema", "config"))

SENSORS_BY_TRIGGER = SENSORS.statement(
    "SELECT {columns} FROM attune.sensor WHERE trigger = %s ORDER BY ref LIMIT %s"
)
SENSORS_BY_PACK = SENSORS.statement(
    "SELECT {columns} FROM attune.sensor WHERE pack = %s ORDER BY ref LIMIT %s"
)
SENSORS_ENABLED = SENSORS.statement(
    "SELECT {columns} FROM attune.sensor WHERE enabled ORDER BY ref LIMIT %s"
)
