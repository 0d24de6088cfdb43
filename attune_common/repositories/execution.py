# WARNING: generated from execution_async.py by tools/async_to_sync.py - edit that file, then run make generate.
# ruff: noqa: E501
"""Executions of actions, and the inquiries that pause them for a human answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..models import Execution
from ..models import ExecutionStatus
from ..models import Inquiry
from ..models import InquiryStatus
from ..models import Json
from ..queries.execution import CLAIM_REQUESTED
from ..queries.execution import CLAIM_REQUESTED_OF_ACTIONS
from ..queries.execution import EXECUTIONS
from ..queries.execution import EXECUTIONS_BY_ACTION_REF
from ..queries.execution import EXECUTIONS_BY_ENFORCEMENT
from ..queries.execution import EXECUTIONS_BY_PARENT
from ..queries.execution import EXECUTIONS_BY_STATUS
from ..queries.execution import INQUIRIES
from ..queries.execution import INQUIRIES_BY_EXECUTION
from ..queries.execution import INQUIRIES_BY_STATUS
from ..queries.execution import CreateExecutionInput
from ..queries.execution import CreateInquiryInput
from ..queries.execution import UpdateExecutionInput
from ..queries.execution import UpdateInquiryInput
from ..queries.execution import inquiry_stamps
from ..statements import DEFAULT_LIMIT
from .occurrence import OccurrenceRepository


class ExecutionRepository(
    OccurrenceRepository[Execution, CreateExecutionInput, UpdateExecutionInput]
):
    table = EXECUTIONS
    create_input = CreateExecutionInput
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
        """Move up to `limit` of the oldest `requested` executions (of these actions, if
        given) to `scheduling`; return them oldest first. See `queries.occurrence`."""
        return self._claim(
            CLAIM_REQUESTED, CLAIM_REQUESTED_OF_ACTIONS, limit, action_refs, "action_refs"
        )


class InquiryRepository(OccurrenceRepository[Inquiry, CreateInquiryInput, UpdateInquiryInput]):
    table = INQUIRIES
    create_input = CreateInquiryInput
    page_filters = ("status", "execution")

    def find_by_status(self, status: InquiryStatus, limit: int = DEFAULT_LIMIT) -> list[Inquiry]:
        return self._all(INQUIRIES_BY_STATUS, (status, limit))

    def find_by_execution(self, execution_id: int, limit: int = DEFAULT_LIMIT) -> list[Inquiry]:
        return self._all(INQUIRIES_BY_EXECUTION, (execution_id, limit))

    def update(self, id: int, data: UpdateInquiryInput) -> Inquiry:
        """Change the fields of `data` that are not None (see `inquiry_stamps`)."""
        columns, values = self.table.changes(data)
        return self._update(id, columns, values, inquiry_stamps(data))

    def respond(self, id: int, response: Json, responded_at: datetime | None = None) -> Inquiry:
        """Record the answer: status `responded`, `response`, and `responded_at` (now()
        unless given)."""
        return self.update(
            id,
            UpdateInquiryInput(
                status=InquiryStatus.RESPONDED, response=response, responded_at=responded_at
            ),
        )
