"""Traces: OpenTelemetry, an optional extra (`pip install 'darcy[otel]'`). With the exporter
`none` (the default) nothing of OpenTelemetry is imported and spans cost nothing; `console`
prints each request's span tree on stderr; `otlp` sends spans to a collector configured by the
standard OTEL_EXPORTER_OTLP_* variables."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

EXPORTERS = ("none", "console", "otlp")


class _NullSpan:
    def set_attribute(self, key: str, value: Any) -> None:
        pass

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        pass


_NULL_SPAN = _NullSpan()


def span_attributes(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """OpenTelemetry takes str, bool, int and float values; None means "not known": left out."""
    out: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if value is None:
            continue
        out[key] = value if isinstance(value, str | bool | int | float) else str(value)
    return out


class _Tracing:
    def __init__(self, provider: Any, name: str) -> None:
        from opentelemetry import trace

        self.provider, self.name, self._trace = provider, name, trace
        self.tracer = provider.get_tracer("darcy")

    def current_ids(self) -> tuple[str, str] | None:
        context = self._trace.get_current_span().get_span_context()
        if not context.is_valid:
            return None
        return f"{context.trace_id:032x}", f"{context.span_id:016x}"


_tracing: _Tracing | None = None


def current_ids() -> tuple[str, str] | None:
    """The current (trace id, span id) in hex, for log lines; None while tracing is off."""
    return _tracing.current_ids() if _tracing is not None else None


def tracing_enabled() -> str:
    """The exporter in use: none, console, otlp, or custom."""
    return _tracing.name if _tracing is not None else "none"


@contextmanager
def span(name: str, attributes: Mapping[str, Any] | None = None) -> Iterator[Any]:
    """A child of the current span (or a root); a free no-op while tracing is off."""
    tracing = _tracing
    if tracing is None:
        yield _NULL_SPAN
        return
    with tracing.tracer.start_as_current_span(name, attributes=span_attributes(attributes)) as current:
        yield current


def configure_tracing(
    exporter: Any = None, *, stream: IO[str] | None = None, service_name: str = "darcy"
) -> str:
    """Choose the exporter: the argument, else DARCY_TRACES, else none.

    `none` imports nothing; `console` prints each request's span tree on `stream` (stderr);
    `otlp` batches spans to OTEL_EXPORTER_OTLP_ENDPOINT (http/protobuf, or gRPC when
    OTEL_EXPORTER_OTLP_PROTOCOL=grpc). A SpanExporter instance is used as it is (tests).
    Returns the exporter's name.
    """
    global _tracing
    shutdown_tracing()
    choice = exporter if exporter is not None else os.environ.get("DARCY_TRACES", "none")
    if isinstance(choice, str):
        choice = choice.strip().lower() or "none"
        if choice in ("none", "off"):
            return "none"
        if choice not in EXPORTERS:
            raise ValueError(f"unknown trace exporter {choice!r}: expected one of {', '.join(EXPORTERS)}")
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError as exc:
        raise RuntimeError(
            "traces need the optional OpenTelemetry packages: pip install 'darcy[otel]'"
        ) from exc
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if choice == "console":
        provider.add_span_processor(SimpleSpanProcessor(_tree_exporter(stream)))
        name = "console"
    elif choice == "otlp":
        provider.add_span_processor(BatchSpanProcessor(_otlp_exporter()))
        name = "otlp"
    else:
        provider.add_span_processor(SimpleSpanProcessor(choice))
        name = type(choice).__name__
    _tracing = _Tracing(provider, name)
    return name


def shutdown_tracing() -> None:
    """Flush and stop the exporter (at exit); tracing is off afterwards."""
    global _tracing
    tracing, _tracing = _tracing, None
    if tracing is not None:
        tracing.provider.force_flush(timeout_millis=2000)  # an absent collector must not hold the exit
        tracing.provider.shutdown()


def _otlp_exporter() -> Any:
    protocol = (
        os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    )
    if protocol.strip().lower() == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    explicit = any(os.environ.get(f"OTEL_EXPORTER_OTLP_{kind}TIMEOUT") for kind in ("TRACES_", ""))
    # Each export gives up after 3 s (not the default 10) unless told: an absent collector must
    # not hold a SIGTERM'd Darcy past `docker stop`'s deadline.
    return OTLPSpanExporter() if explicit else OTLPSpanExporter(timeout=3)


def _tree_exporter(stream: IO[str] | None) -> Any:
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class TreeExporter(SpanExporter):
        """Collects a trace's spans and prints them as a tree when its root span ends."""

        def __init__(self) -> None:
            self._open: dict[int, list[Any]] = {}

        def export(self, spans: Any) -> Any:
            for finished in spans:
                trace_id = finished.context.trace_id
                self._open.setdefault(trace_id, []).append(finished)
                if finished.parent is None:
                    out = stream or sys.stderr
                    out.write(render_tree(self._open.pop(trace_id)) + "\n")
                    out.flush()
            while len(self._open) > 1000:  # roots that never ended
                self._open.pop(next(iter(self._open)))
            return SpanExportResult.SUCCESS

        def shutdown(self) -> None:
            self._open.clear()

    return TreeExporter()


_SHOWN = (
    "platform",
    "user_id",
    "tool",
    "decision",
    "rule",
    "kind",
    "pending_id",
    "store_calls",
    "notion_calls",
    "model",
    "calls",
    "input_tokens",
    "output_tokens",
    "cost_usd",
)


def render_tree(spans: list[Any]) -> str:
    """One trace as an indented tree: name, duration and the telling attributes of each span."""
    children: dict[int | None, list[Any]] = {}
    ids = {s.context.span_id for s in spans}
    for finished in spans:
        parent = finished.parent.span_id if finished.parent is not None else None
        children.setdefault(parent if parent in ids else None, []).append(finished)
    for group in children.values():
        group.sort(key=lambda s: s.start_time)
    lines: list[str] = []

    def line(finished: Any) -> str:
        millis = (finished.end_time - finished.start_time) / 1e6
        attrs = {key.rsplit(".", 1)[-1]: value for key, value in (finished.attributes or {}).items()}
        shown = " ".join(f"{key}={attrs[key]}" for key in _SHOWN if key in attrs)
        failed = " ERROR" if finished.status.status_code.name == "ERROR" else ""
        return f"{finished.name}  {millis:.1f} ms{failed}" + (f"  {shown}" if shown else "")

    def walk(finished: Any, prefix: str, last: bool, root: bool) -> None:
        if root:
            lines.append(f"trace {finished.context.trace_id:032x}")
            lines.append(line(finished))
            inner = ""
        else:
            lines.append(prefix + ("└─ " if last else "├─ ") + line(finished))
            inner = prefix + ("   " if last else "│  ")
        kids = children.get(finished.context.span_id, [])
        for index, kid in enumerate(kids):
            walk(kid, inner, index == len(kids) - 1, False)

    for root in children.get(None, []):
        walk(root, "", True, True)
    return "\n".join(lines)
