"""Rules: when an event of a trigger matches, enforce an action."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import Json, JsonArray, Rule
from ..statements import Clear, Table


@dataclass(frozen=True, slots=True)
class CreateRuleInput:
    ref: str
    pack: int
    pack_ref: str
    label: str
    description: str
    action: int
    action_ref: str
    trigger: int
    trigger_ref: str
    conditions: JsonArray = field(default_factory=list)
    action_params: Json | None = field(default_factory=dict)
    trigger_params: Json | None = field(default_factory=dict)
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class UpdateRuleInput:
    label: str | None = None
    description: str | None = None
    conditions: JsonArray | None = None
    action_params: Json | Clear | None = None
    trigger_params: Json | Clear | None = None
    enabled: bool | None = None


RULES = Table(
    "rule",
    Rule,
    order_by="ref",
    json_columns=("conditions", "action_params", "trigger_params"),
)

RULES_BY_PACK = RULES.statement(
    "SELECT {columns} FROM attune.rule WHERE pack = %s ORDER BY ref LIMIT %s"
)
RULES_BY_ACTION = RULES.statement(
    "SELECT {columns} FROM attune.rule WHERE action = %s ORDER BY ref LIMIT %s"
)
RULES_BY_TRIGGER = RULES.statement(
    "SELECT {columns} FROM attune.rule WHERE trigger = %s ORDER BY ref LIMIT %s"
)
RULES_ENABLED = RULES.statement(
    "SELECT {columns} FROM attune.rule WHERE enabled ORDER BY ref LIMIT %s"
)
