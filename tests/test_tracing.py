"""OpenTelemetry traces (issue 23): with ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, ``graphsvc
serve`` exports a span per request and per Neo4j transaction over OTLP/HTTP; here to a
receiver of our own that decodes what arrives with the OTLP protobuf definitions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from graphsvc.store import Neo4jTarget
from tests.helpers import auth, serve_process, wait_for


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[str]]]:
    """An OTLP/HTTP trace receiver on a free port: its URL and the span names received."""
    names: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = ExportTraceServiceRequest.FromString(body)
            names.extend(
                span.name
                for resource in request.resource_spans
                for scope in resource.scope_spans
                for span in scope.spans
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", names
    server.shutdown()


@pytest.mark.slow
def test_requests_and_transactions_are_traced(
    neo4j_target: Neo4jTarget, receiver: tuple[str, list[str]]
) -> None:
    endpoint, names = receiver
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}
    with serve_process(neo4j_target, env) as served:
        answer = httpx.get(f"{served.url}/v1/plans", headers=auth("viewer"))
        assert answer.status_code == 200
        wait_for(lambda: "GET /v1/plans" in names and "neo4j.read" in names, 20, "the spans")
