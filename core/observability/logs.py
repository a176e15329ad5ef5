"""Logging: structlog, JSON lines in production (stderr not a terminal, or DARCY_LOG_FORMAT=json),
readable lines in a terminal; other libraries' stdlib logging rendered and redacted the same way."""

from __future__ import annotations

import logging
import os
import sys
from typing import IO, Any

import structlog

from core.observability.redact import REDACTOR
from core.observability.tracing import current_ids


def _wants_json(json: bool | None, stream: IO[str]) -> bool:
    if json is not None:
        return json
    chosen = (os.environ.get("DARCY_LOG_FORMAT") or "").strip().lower()
    if chosen in ("json", "console", "pretty", "text"):
        return chosen == "json"
    isatty = getattr(stream, "isatty", None)
    return not (isatty and isatty())


def _add_trace_ids(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    ids = current_ids()
    if ids:
        event_dict.setdefault("trace_id", ids[0])
        event_dict.setdefault("span_id", ids[1])
    return event_dict


class _DarcyHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stdlib handler Darcy installs on the root logger (replaced on each configure)."""


class _Stderr:
    """Whatever sys.stderr is when a line is written (test runners and daemons swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def configure_logging(
    level: str | None = None, *, json: bool | None = None, stream: IO[str] | None = None
) -> None:
    """JSON lines in production, readable lines in a terminal; stderr, so replies stay clean.

    Level: the argument, else DARCY_LOG_LEVEL, else warning. Format: `json`, else
    DARCY_LOG_FORMAT (json | console), else JSON unless the stream is a terminal.
    Other libraries' stdlib logging is rendered (and redacted) the same way.
    """
    out: Any = stream or _Stderr()
    name = (level or os.environ.get("DARCY_LOG_LEVEL") or "warning").upper()
    numeric = logging.getLevelNamesMapping().get(name, logging.WARNING)
    as_json = _wants_json(json, out)
    REDACTOR.add_from_env(os.environ)
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(
            colors=bool(getattr(out, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR"),
            exception_formatter=structlog.dev.plain_traceback,  # never rich's locals: they hold secrets
        )
    )
    stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            stamp,
            _add_trace_ids,
            structlog.processors.format_exc_info,
            REDACTOR,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    handler = _DarcyHandler(out)
    handler.addFilter(_not_chatty)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.contextvars.merge_contextvars,
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                stamp,
                _add_trace_ids,
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                REDACTOR,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _DarcyHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    # Other libraries speak from WARNING up, unless Darcy is asked for DEBUG: their INFO lines
    # (one per HTTP request) would drown Darcy's own.
    root.setLevel(numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING))
    adopt_library_loggers()


# Libraries whose DEBUG lines carry what people typed (litellm: whole prompts and the member
# roster; aiosqlite: every statement's parameters, audit text included): they speak from INFO
# up even at DARCY_LOG_LEVEL=debug, since what people typed is never logged.
CHATTY = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "aiosqlite")


def adopt_library_loggers() -> None:
    """Every library logger writes through Darcy's handler, so through the same redaction: a
    library's own handler (litellm prints to stdout) is removed and its records propagate to
    the root. Called at configure time and again once a lazily imported library (litellm) is
    loaded, since it installs its handlers on import."""
    for found in list(logging.root.manager.loggerDict.values()):
        if not isinstance(found, logging.Logger):
            continue
        for handler in [h for h in found.handlers if not isinstance(h, _DarcyHandler)]:
            found.removeHandler(handler)
        found.propagate = True


def _not_chatty(record: logging.LogRecord) -> bool:
    """Drops a CHATTY library's DEBUG lines, whenever its logger was made."""
    return record.levelno >= logging.INFO or record.name.split(".")[0] not in CHATTY
