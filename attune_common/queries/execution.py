"""Executions of actions, and the inquiries that pause them for a human answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import Execution, ExecutionStatus, Inquiry, InquiryStatus, Json
from ..statements import NEWEST_FIRST, Clear, Table

# -- executions ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateExecutionInput:
    action_ref: str
    action: int | None = None
    config: Json | None = None
    parent: int | None = None
    enforcement: int | None = None
    executor: int | None = None
    status: ExecutionStatus = ExecutionStatus.REQUESTED
    result: Json | None = None


@dataclass(frozen=True, slots=True)
class UpdateExecutionInput:
    status: ExecutionStatus | None = None
    result: Json | Clear | None = None
    executor: int | Clear | None = None


EXECUTIONS = Table("execution", Execution, order_by=NEWEST_FIRST, json_columns=("config", "result"))

EXECUTIONS_BY_STATUS = EXECUTIONS.statement(
    "SELECT {columns} FROM attune.execution WHERE status = %s"
    " ORDER BY created DESC, id DESC LIMIT %s"
)
EXECUTIONS_BY_ENFORCEMENT = EXECUTIONS.statement(
    "SELECT {columns} FROM attune.execution WHERE enforcement = %s"
    " ORDER BY created DESC, id DESC LIMIT %s"
)
EXECUTIONS_BY_PARENT = EXECUTIONS.statement(
    "SELECT {columns} FROM attune.execution WHERE parent = %s"
    " ORDER BY created DESC, id DESC LIMIT %s"
)
EXECUTIONS_BY_ACTION_REF = EXECUTIONS.statement(
    "SELECT {columns} FROM attune.execution WHERE action_ref = %s"
    " ORDER BY created DESC, id DESC LIMIT %s"
)

# The oldest `requested` executions (of some actions), locked for this transaction;
# rows another transaction holds are skipped, so concurrent schedulers never share one.
CLAIM_REQUESTED = EXECUTIONS.statement(
    "WITH claimed AS MATERIALIZED ("
    " SELECT id FROM attune.execution WHERE status = 'requested'"
    " ORDER BY created, id LIMIT %s FOR UPDATE SKIP LOCKED)"
    " UPDATE attune.execution SET status = 'scheduling'"
    " WHERE id IN (SELECT id FROM claimed)"
    " RETURNING {columns}"
)
CLAIM_REQUESTED_OF_ACTIONS = EXECUTIONS.statement(
    "WITH claimed AS MATERIALIZED ("
    " SELECT id FROM attune.execution WHERE status = 'requested' AND action_ref = ANY(%s)"
    " ORDER BY created, id LIMIT %s FOR UPDATE SKIP LOCKED)"
    " UPDATE attune.execution SET status = 'scheduling'"
    " WHERE id IN (SELECT id FROM claimed)"
    " RETURNING {columns}"
)


# -- inquiries -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateInquiryInput:
    execution: int
    prompt: str
    response_schema: Json | None = None
    assigned_to: int | None = None
    status: InquiryStatus = InquiryStatus.PENDING
    response: Json | None = None
    timeout_at: datetime | None = None
    responded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UpdateInquiryInput:
    status: InquiryStatus | None = None
    response: Json | Clear | None = None
    assigned_to: int | Clear | None = None
    timeout_at: datetime | Clear | None = None
    responded_at: datetime | Clear | None = None


INQUIRIES = Table(
    "inquiry", Inquiry, order_by=NEWEST_FIRST, json_columns=("response_schema", "response")
)

INQUIRIES_BY_STATUS = INQUIRIES.statement(
    "SELECT {columns} FROM attune.inquiry WHERE status = %s ORDER BY created DESC, id DESC LIMIT %s"
)
INQUIRIES_BY_EXECUTION = INQUIRIES.statement(
    "SELECT {columns} FROM attune.inquiry WHERE execution = %s"
    " ORDER BY created DESC, id DESC LIMIT %s"
)


def inquiry_stamps(data: UpdateInquiryInput) -> tuple[str, ...]:
    """The columns an inquiry update sets to now(), beyond the fields of `data`.

    Responding records when: an update that sets `status` to `responded` stores
    `responded_at = now()` (the transaction's time) unless it gives `responded_at`
    itself, also when the inquiry had already responded. Other statuses leave
    `responded_at` as it is.
    """
    responding = data.status == InquiryStatus.RESPONDED and data.responded_at is None
    return ("responded_at",) if responding else ()
