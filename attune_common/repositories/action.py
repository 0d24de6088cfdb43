"""Actions (what can be run) and the policies that limit how they run."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import Action, Json, Policy, PolicyMethod
from ..statements import Table
from .base import RefRepository

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
    runtime: int | None = None
    param_schema: Json | None = None
    out_schema: Json | None = None


ACTIONS = Table("action", Action, order_by="ref", json_columns=("param_schema", "out_schema"))


class ActionRepository(RefRepository[Action, CreateActionInput, UpdateActionInput]):
    table = ACTIONS


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
    description: str | None = None
    tags: list[str] | None = None


POLICIES = Table("policy", Policy, order_by="ref")


class PolicyRepository(RefRepository[Policy, CreatePolicyInput, UpdatePolicyInput]):
    table = POLICIES
