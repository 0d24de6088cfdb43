"""SQLAlchemy 2 ORM mappings of attune.event and attune.enforcement, as an ORM user
would write them: the comparison point of the benchmark, not part of the library."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, FetchedValue, MetaData, Text, create_engine, func
from sqlalchemy.dialects.postgresql import ENUM, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from attune_common.migrations import yoyo_url
from attune_common.models import EnforcementCondition, EnforcementStatus

# SQL NULL for None, as the library stores it (SQLAlchemy's default is JSON 'null').
_JSON = JSONB(none_as_null=True)


def _labels(enum: type[EnforcementStatus | EnforcementCondition]) -> list[str]:
    return [member.value for member in enum]


class Base(DeclarativeBase):
    metadata = MetaData(schema="attune")


class EventRow(Base):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    trigger: Mapped[int | None] = mapped_column(BigInteger)
    trigger_ref: Mapped[str] = mapped_column(Text)
    config: Mapped[Any] = mapped_column(_JSON, nullable=True)
    payload: Mapped[Any] = mapped_column(_JSON, nullable=True)
    source: Mapped[int | None] = mapped_column(BigInteger)
    source_ref: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), server_onupdate=FetchedValue()
    )


class EnforcementRow(Base):
    __tablename__ = "enforcement"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    rule: Mapped[int | None] = mapped_column(BigInteger)
    rule_ref: Mapped[str] = mapped_column(Text)
    trigger_ref: Mapped[str] = mapped_column(Text)
    config: Mapped[Any] = mapped_column(_JSON, nullable=True)
    event: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[EnforcementStatus] = mapped_column(
        ENUM(
            EnforcementStatus,
            name="enforcement_status",
            schema="attune",
            create_type=False,
            values_callable=_labels,
        )
    )
    payload: Mapped[Any] = mapped_column(_JSON)
    condition: Mapped[EnforcementCondition] = mapped_column(
        ENUM(
            EnforcementCondition,
            name="enforcement_condition",
            schema="attune",
            create_type=False,
            values_callable=_labels,
        )
    )
    conditions: Mapped[Any] = mapped_column(_JSON)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), server_onupdate=FetchedValue()
    )


def orm_session(url: str) -> Session:
    """A session on an engine of one pooled psycopg 3 connection. Objects stay readable
    after each commit (expire_on_commit=False), as a service handing them on needs."""
    engine = create_engine(yoyo_url(url), pool_size=1, max_overflow=0)
    return Session(engine, expire_on_commit=False)
