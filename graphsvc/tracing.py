"""OpenTelemetry traces (issue 23), on only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set:
a span per HTTP request (opentelemetry-instrumentation-fastapi) and per Neo4j transaction
(``neo4j.read`` / ``neo4j.write`` around each attempt), exported over OTLP/HTTP to that
endpoint (the standard ``OTEL_*`` variables configure the rest). The packages are the
``otel`` extra (``pip install 'graphsvc[otel]'``); without them a set endpoint is a
warning, not a failure."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["enabled", "instrument_app", "span"]

log = logging.getLogger("graphsvc.tracing")

_tracer: Any = None


def enabled() -> bool:
    """Whether traces are on (the endpoint is set and the packages are installed)."""
    return _tracer is not None


def instrument_app(app: Any) -> bool:
    """Trace ``app``'s requests and the store's transactions when
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; True when they are traced."""
    global _tracer
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed: "
            "pip install 'graphsvc[otel]'; no traces"
        )
        return False
    if _tracer is None:
        name = os.environ.get("OTEL_SERVICE_NAME", "graphsvc")
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        _tracer = trace.get_tracer("graphsvc")
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")
    return True


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[None]:
    """A span named ``name`` around the block when traces are on; nothing otherwise."""
    if _tracer is None:
        yield
        return
    with _tracer.start_as_current_span(name, attributes=attributes):
        yield
