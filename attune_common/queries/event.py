"""Events raised for triggers, and the enforcements rules create from them."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import (
    Enforcement,
    EnforcementCondition,
    EnforcementStatus,
    Event,
    Json,
    JsonArray,
)
from ..statements import NEWEST_FIRST, Clear, Table

# -- events ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateEventInput:
    trigger_ref: str
    trigger: int | None = None
    config: Json | None = None
    payload: Json | None = None
    source: int | None = None
    source_ref: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateEventInput:
    config: Json | Clear | None = None
    payload: Json | Clear | None = None


EVENTS = Table("event", Event, order_by=NEWEST_FIRST, json_columns=("config", "payload"))

EVENTS_BY_TRIGGER = EVENTS.statement(
    "SELECT {columns} FROM attune.event WHERE trigger = %s ORDER BY created DESC, id DESC LIMIT %s"
)
EVENTS_BY_TRIGGER_REF = EVENTS.statement(
    "SELECT {columns} FROM attune.event WHERE trigger_ref = %s"
    " ORDER BY created DESC, id DESC LIMIT %s"
)


# -- enforcements ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateEnforcementInput:
    rule_ref: str
    trigger_ref: str
    payload: Json
    rule: int | None = None
    config: Json | None = None
    event: int | None = None
    status: EnforcementStatus = EnforcementStatus.CREATED
    condition: EnforcementCondition = EnforcementCondition.ALL
    conditions: JsonArray = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class UpdateEnforcementInput:
    status: EnforcementStatus | None = None
    payload: Json | None = None


ENFORCEMENTS = Table(
    "enforcement",
    Enforcement,
    order_by=NEWEST_FIRST,
    json_columns=("config", "payload", "conditions"),
)

ENFORCEMENTS_BY_RULE = ENFORCEMENTS.statement(
    "SELECT {columns} FROM attune.enforcement WHERE rule = %s"
    " ORDER BY created DESC, id DESC LIMIT %s"
)
ENFORCEMENTS_BY_STATUS = ENFORCEMENTS.statement(
    "SELECT {columns} FROM attune.enforcement WHERE status = %s"
    " ORDER BY created DESC, id DESC LIMIT %s"
)
ENFORCEMENTS_BY_EVENT = ENFORCEMENTS.statement(
    "SELECT {columns} FROM attune.enforcement WHERE event = %s"
    " ORDER BY created DESC, id DESC LIMIT %s"
)
# The oldest `created` enforcements (of some rules), locked for this transaction; rows
# another transaction holds are skipped, so concurrent executors never get the same one.
CLAIM_CREATED = ENFORCEMENTS.statement(
    "WITH claimed AS MATERIALIZED ("
    " SELECT id FROM attune.enforcement WHERE status = 'created'"
    " ORDER BY created, id LIMIT %s FOR UPDATE SKIP LOCKED)"
    " UPDATE attune.enforcement SET status = 'processed'"
    " WHERE id IN (SELECT id FROM claimed)"
    " RETURNING {columns}"
)
CLAIM_CREATED_OF_RULES = ENFORCEMENTS.statement(
    "WITH claimed AS MATERIALIZED ("
    " SELECT id FROM attune.enforcement WHERE status = 'created' AND rule_ref = ANY(%s)"
    " ORDER BY created, id LIMIT %s FOR UPDATE SKIP LOCKED)"
    " UPDATE attune.enforcement SET status = 'processed'"
    " WHERE id IN (SELECT id FROM claimed)"
    " RETURNING {columns}"
)
