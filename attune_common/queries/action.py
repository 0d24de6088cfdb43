"""Actions (what can be run) and the policies that limit how they run."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import Action, Json, Policy, PolicyMethod
from ..statements import Clear, Table

# -- actions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateActionInput:
    ref: str
    pack: int
    pack_ref: str
    label: str
    description: str
    entrypoint: str
    runtime: int | None = None
    param_schema: Json | None = None
    out_schema: Json | None = None


@dataclass(frozen=True, slots=True)
class UpdateActionInput:
    label: str | None = None
    description: str | None = None
    entrypoint: str | None = None
    runtime: int | Clear | None = None
    param_schema: Json | Clear | None = None
    out_schema: Json | Clear | None = None


ACTIONS = Table("action", Action, order_by="ref", json_columns=("param_schema", "out_schema"))

ACTIONS_BY_PACK = ACTIONS.statement(
    "SELECT {columns} FROM attune.action WHERE pack = %s ORDER BY ref LIMIT %s"
)
ACTIONS_BY_RUNTIME = ACTIONS.statement(
    "SELECT {columns} FROM attune.action WHERE runtime = %s ORDER BY ref LIMIT %s"
)
# contains_pattern() escapes with a backslash, which is LIKE's default escape character.
ACTIONS_SEARCH = ACTIONS.statement(
    "SELECT {columns} FROM attune.action"
    " WHERE ref ILIKE %(pattern)s OR label ILIKE %(pattern)s OR description ILIKE %(pattern)s"
    " ORDER BY ref LIMIT %(limit)s"
)


# -- policies --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatePolicyInput:
    ref: str
    method: PolicyMethod
    threshold: int
    name: str
    pack: int | None = None
    pack_ref: str | None = None
    action: int | None = None
    action_ref: str | None = None
    parameters: list[str] = field(default_factory=list)
    description: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class UpdatePolicyInput:
    parameters: list[str] | None = None
    method: PolicyMethod | None = None
    threshold: int | None = None
    name: str | None = None
    description: str | Clear | None = None
    tags: list[str] | None = None


POLICIES = Table("policy", Policy, order_by="ref")

POLICIES_BY_ACTION = POLICIES.statement(
    "SELECT {columns} FROM attune.policy WHERE action = %s ORDER BY ref LIMIT %s"
)
# Containment (@>) rather than `= ANY(tags)`, so the GIN index on tags can serve it.
POLICIES_BY_TAG = POLICIES.statement(
    "SELECT {columns} FROM attune.policy WHERE tags @> ARRAY[%s]::text[] ORDER BY ref LIMIT %s"
)
