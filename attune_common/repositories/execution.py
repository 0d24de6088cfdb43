"""Executions of actions, and the inquiries that pause them for a human answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import Execution, ExecutionStatus, Inquiry, InquiryStatus, Json
from ..statements import NEWEST_FIRST, Table
from .base import Repository

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
    result: Json | None = None


EXECUTIONS = Table("execution", Execution, order_by=NEWEST_FIRST, json_columns=("config", "result"))


class ExecutionRepository(Repository[Execution, CreateExecutionInput, UpdateExecutionInput]):
    table = EXECUTIONS


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
    response: Json | None = None
    assigned_to: int | None = None
    timeout_at: datetime | None = None
    responded_at: datetime | None = None


INQUIRIES = Table(
    "inquiry", Inquiry, order_by=NEWEST_FIRST, json_columns=("response_schema", "response")
)


class InquiryRepository(Repository[Inquiry, CreateInquiryInput, UpdateInquiryInput]):
    table = INQUIRIES
