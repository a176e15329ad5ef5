"""Logs, by subscription to the bus's events: observability never sits inside business logic."""

from __future__ import annotations

import logging
import os
import sys

import structlog

from core.bus import MessageBus
from core.messages import ActionExecuted, ActionFailed, DecisionMade, Event, RequestReceived

log = structlog.get_logger("darcy")


def configure_logging(level: str | None = None, *, json: bool | None = None) -> None:
    """JSON lines in production, readable lines in a terminal; stderr, so replies stay clean."""
    name = (level or os.environ.get("DARCY_LOG_LEVEL") or "warning").upper()
    numeric = logging.getLevelNamesMapping().get(name, logging.WARNING)
    as_json = (not sys.stderr.isatty()) if json is None else json
    renderer = structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


async def _log_event(event: Event) -> None:
    fields = event.model_dump(exclude={"id", "at"})
    log.info(type(event).__name__, **fields)


async def _log_failure(event: ActionFailed) -> None:
    log.warning("ActionFailed", **event.model_dump(exclude={"id", "at"}))


def subscribe(bus: MessageBus) -> None:
    for event_type in (RequestReceived, DecisionMade, ActionExecuted):
        bus.subscribe(event_type, _log_event)
    bus.subscribe(ActionFailed, _log_failure)
