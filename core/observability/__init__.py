"""Logs, redaction, traces and the request's scope. Observability never sits inside business
logic: it subscribes to the bus's events, wraps each command with bus middleware, and wraps the
planner, the gate, the pending actions and the task store in typed tracing wrappers built at
the composition root (`traced`)."""

from core.observability.logs import adopt_library_loggers, configure_logging
from core.observability.middleware import bind, request_scope, subscribe
from core.observability.redact import MASK, REDACTOR, Redactor, protect, redact, url_password
from core.observability.tracing import (
    configure_tracing,
    render_tree,
    shutdown_tracing,
    span,
    tracing_enabled,
)

__all__ = [
    "MASK",
    "REDACTOR",
    "Redactor",
    "adopt_library_loggers",
    "bind",
    "configure_logging",
    "configure_tracing",
    "protect",
    "redact",
    "render_tree",
    "request_scope",
    "shutdown_tracing",
    "span",
    "subscribe",
    "tracing_enabled",
    "url_password",
]
