"""Observability set up once per process: JSON logs with the trace id, traces and metrics."""

from __future__ import annotations

import json
import logging
import sys
import time
from http.server import HTTPServer
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased
from prometheus_client import Counter, Histogram, start_http_server

from services.shared.config import Settings

# Buckets fine enough to see the fast tier's 5 ms p50 and coarse enough for the AI tier.
_LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip

RPC_LATENCY = Histogram(
    "pyat_grpc_server_handling_seconds",
    "Time spent handling a gRPC call, by method.",
    ["grpc_service", "grpc_method"],
    buckets=_LATENCY_BUCKETS,
)
RPC_HANDLED = Counter(
    "pyat_grpc_server_handled_total",
    "gRPC calls completed, by method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
)
RPC_ERRORS = Counter(
    "pyat_grpc_server_errors_total",
    "gRPC calls that ended with a status other than OK, by method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
)

_STANDARD_RECORD_KEYS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the current trace and span ids when there is a span."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            entry["trace_id"] = format(span_context.trace_id, "032x")
            entry["span_id"] = format(span_context.span_id, "016x")
        for key, value in vars(record).items():
            if key not in _STANDARD_RECORD_KEYS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_json:
        formatter: logging.Formatter = JsonFormatter()
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)


def setup_tracing(settings: Settings, service_name: str) -> None:
    """Install the tracer provider once; export over OTLP when an endpoint is configured."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    # Without an exporter no span is recorded, but every call still gets a trace id, which
    # the logs carry and the next service continues: correlation at almost no cost.
    sampler = ParentBased(ALWAYS_ON if settings.otlp_endpoint else ALWAYS_OFF)
    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name}), sampler=sampler
    )
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint, insecure=True))
        )
    trace.set_tracer_provider(provider)


def serve_metrics(settings: Settings) -> HTTPServer | None:
    """Serve Prometheus metrics on the metrics port (0 turns it off); shut it down when done."""
    if not settings.metrics_port:
        return None
    httpd, _thread = start_http_server(settings.metrics_port, addr=settings.grpc_host)
    return httpd
