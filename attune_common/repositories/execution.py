"""Executions of actions, and the inquiries that pause them for a human answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..models import Execution, ExecutionStatus, Inquiry, InquiryStatus, Json
from ..statements import DEFAULT_LIMIT, NEWEST_FIRST, Clear, Table
from .occurrence import OccurrenceRepository

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


class ExecutionRepository(
    OccurrenceRepository[Execution, CreateExecutionInput, UpdateExecutionInput]
):
    table = EXECUTIONS
    page_filters = ("status", "action_ref")

    def find_by_status(
        self, status: ExecutionStatus, limit: int = DEFAULT_LIMIT
    ) -> list[Execution]:
        return self._all(EXECUTIONS_BY_STATUS, (status, limit))

    def find_by_enforcement(
        self, enforcement_id: int, limit: int = DEFAULT_LIMIT
    ) -> list[Execution]:
        return self._all(EXECUTIONS_BY_ENFORCEMENT, (enforcement_id, limit))

    def find_children(self, parent_id: int, limit: int = DEFAULT_LIMIT) -> list[Execution]:
        """The executions started by `parent_id` (its direct children, not theirs)."""
        return self._all(EXECUTIONS_BY_PARENT, (parent_id, limit))

    def find_by_action_ref(self, action_ref: str, limit: int = DEFAULT_LIMIT) -> list[Execution]:
        """Executions of an action by its ref: still found after the action is deleted."""
        return self._all(EXECUTIONS_BY_ACTION_REF, (action_ref, limit))

    def claim_requested(
        self, limit: int = 1, action_refs: Sequence[str] | None = None
    ) -> list[Execution]:
        """Move up to `limit` of the oldest `requested` executions (only of these actions,
        if given) to `scheduling` and return them, oldest first.

        Exactly once across replicas, within the caller's transaction: see
        `EnforcementRepository.claim_created`.
        """
        return self._claim(CLAIM_REQUESTED, CLAIM_REQUESTED_OF_ACTIONS, limit, action_refs)


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


class InquiryRepository(OccurrenceRepository[Inquiry, CreateInquiryInput, UpdateInquiryInput]):
    table = INQUIRIES
    page_filters = ("status", "execution")

    def find_by_status(self, status: InquiryStatus, limit: int = DEFAULT_LIMIT) -> list[Inquiry]:
        return self._all(INQUIRIES_BY_STATUS, (status, limit))

    def find_by_execution(self, execution_id: int, limit: int = DEFAULT_LIMIT) -> list[Inquiry]:
        return self._all(INQUIRIES_BY_EXECUTION, (execution_id, limit))

    def update(self, id: int, data: UpdateInquiryInput) -> Inquiry:
        """Change the fields of `data` that are not None (CLEAR sets NULL).

        Responding records when: an update that sets `status` to `responded` stores
        `responded_at = now()` (the transaction's time) unless it gives `responded_at`
        itself, also when the inquiry had already responded. Other statuses leave
        `responded_at` as it is.
        """
        columns, values = self.table.changes(data)
        responding = data.status == InquiryStatus.RESPONDED and data.responded_at is None
        return self._update(id, columns, values, ("responded_at",) if responding else ())

    def respond(self, id: int, response: Json, responded_at: datetime | None = None) -> Inquiry:
        """Record the answer: status `responded`, `response`, and `responded_at` (now()
        unless given)."""
        return self.update(
            id,
            UpdateInquiryInput(
                status=InquiryStatus.RESPONDED, response=response, responded_at=responded_at
            ),
        )
