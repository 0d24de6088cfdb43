"""Observability without code of our own: OpenTelemetry's psycopg instrumentation traces
every statement the repositories send through a `Database` pool, and the library logs
through the standard `logging` module under the `attune_common` logger."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from psycopg.conninfo import conninfo_to_dict

from attune_common import Database, migrate
from attune_common.migrations import rollback_all
from attune_common.repositories import CreateEventInput, EventRepository
from tests.builders import unique_ref


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    """Every psycopg connection opened during the test is traced into an in-memory
    exporter; instrumentation is switched off again afterwards, so the other tests of
    this worker run on plain connections. The tracer provider is passed, not set
    globally (OpenTelemetry allows setting the global one only once per process)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = PsycopgInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        instrumentor.uninstrument()
        provider.shutdown()


def statements(spans: tuple[ReadableSpan, ...]) -> list[str]:
    return [str((span.attributes or {}).get("db.statement", "")) for span in spans]


def test_pooled_repository_calls_give_one_span_per_statement(
    exporter: InMemorySpanExporter, database_url: str
) -> None:
    trigger_ref = unique_ref("trigger")
    with Database(database_url, min_size=1, max_size=1) as db, db.connection() as conn:
        events = EventRepository(conn)
        exporter.clear()  # whatever the pool sent while opening is not the subject
        event = events.create(CreateEventInput(trigger_ref=trigger_ref, payload={"n": 1}))
        assert events.get_by_id(event.id) == event
        spans = exporter.get_finished_spans()

    dbname = conninfo_to_dict(database_url)["dbname"]
    insert, select = statements(spans)
    assert len(spans) == 2
    assert insert.startswith('INSERT INTO "attune"."event"')
    assert select.startswith("SELECT") and 'FROM "attune"."event" WHERE "id" = %s' in select, select
    assert trigger_ref not in insert  # parameters stay out of spans unless asked for
    assert all(span.attributes and span.attributes["db.system"] == "postgresql" for span in spans)
    assert [dict(span.attributes or {}).get("db.name") for span in spans] == [dbname] * 2


def test_uninstrumented_connections_give_no_spans(
    exporter: InMemorySpanExporter, database_url: str
) -> None:
    PsycopgInstrumentor().uninstrument()
    with Database(database_url, min_size=1, max_size=1) as db, db.connection() as conn:
        EventRepository(conn).create(CreateEventInput(trigger_ref=unique_ref("trigger")))

    assert exporter.get_finished_spans() == ()


def test_migrate_logs_each_migration_applied_and_rolled_back(
    isolated_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="attune_common")

    rolled_back = rollback_all(isolated_database_url)
    applied = migrate(isolated_database_url)

    messages = [r.getMessage() for r in caplog.records if r.name == "attune_common.migrations"]
    assert applied == rolled_back[::-1] and applied
    assert [m for m in messages if m.startswith("rolled back migration ")] == [
        f"rolled back migration {id}" for id in rolled_back
    ]
    assert [m for m in messages if m.startswith("applied migration ")] == [
        f"applied migration {id}" for id in applied
    ]
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name.startswith("attune"))
