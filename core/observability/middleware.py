"""The request's scope on the bus: its log context, its root span, its summary line, and the
bus events as log lines. Every line logged while a command is handled carries its
correlation_id, platform, user_id (the requester's chat id), tool and decision (None until known)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from core import usage
from core.bus import MessageBus
from core.messages import ActionExecuted, ActionFailed, Command, DecisionMade, Event, RequestReceived
from core.observability.redact import redact
from core.observability.tracing import span, span_attributes

log = structlog.get_logger("darcy")

_SPAN_NAMES = {"HandleRequest": "darcy.request"}


async def request_scope(command: Command, call_next: Callable[[], Awaitable[Any]]) -> Any:
    """Around every command: bind the request's log context, open its root span, and log one
    summary line (duration, task-store calls, model usage, the decision) when it is answered."""
    kind = type(command).__name__
    user_id = getattr(command, "user_id", None)
    fields: dict[str, Any] = {
        "correlation_id": command.correlation_id,
        "platform": command.platform,
        "user_id": user_id,
        "command": kind,
        "tool": None,
        "decision": None,
    }
    if pending_id := getattr(command, "pending_id", None):
        fields["pending_id"] = pending_id
    started = time.perf_counter()
    with (
        usage.metering() as meter,
        structlog.contextvars.bound_contextvars(**fields),
        span(
            _SPAN_NAMES.get(kind, f"darcy.{kind.lower()}"),
            {
                "darcy.correlation_id": command.correlation_id,
                "darcy.platform": command.platform,
                "darcy.user_id": user_id,
                "darcy.command": kind,
                "darcy.pending_id": pending_id,
            },
        ) as current,
    ):
        try:
            result = await call_next()
        except Exception:
            log.exception("request failed", duration_ms=_since(started), **_spent(meter))
            raise
        known = {
            key: getattr(result, key, None)
            for key in ("tool", "decision")
            if getattr(result, key, None) is not None
        }
        structlog.contextvars.bind_contextvars(**known)
        now = structlog.contextvars.get_contextvars()
        current.set_attributes(
            span_attributes(
                {
                    "darcy.tool": now.get("tool"),
                    "darcy.decision": now.get("decision"),
                    **{f"darcy.{key}": value for key, value in _spent(meter).items()},
                }
            )
        )
        log.info("request handled", duration_ms=_since(started), **_spent(meter))
        return result


def _spent(meter: usage.Meter) -> dict[str, Any]:
    """The request line's usage fields: task-store calls (cached answers included) and the HTTP
    requests Notion saw, always; the model's only when it was asked."""
    fields: dict[str, Any] = {"store_calls": meter.store_calls, "notion_calls": meter.notion_calls}
    if meter.llm_calls:
        fields.update(
            llm_calls=meter.llm_calls,
            model=meter.model,
            prompt_tokens=meter.prompt_tokens,
            completion_tokens=meter.completion_tokens,
            cost_usd=round(meter.cost_usd, 6),
        )
    return fields


def bind(**fields: Any) -> None:
    """Add to the log context of the command being handled (restored when it is answered);
    outside a command, nothing: there is no request to describe."""
    if usage.current() is not None:
        structlog.contextvars.bind_contextvars(**fields)


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


async def _log_event(event: Event) -> None:
    fields = event.model_dump(exclude={"id", "at"})
    bound = structlog.contextvars.get_contextvars()
    if bound.get("correlation_id") and bound["correlation_id"] != fields.get("correlation_id"):
        # A click carries its own id; the event names the request that created the action.
        fields["origin_correlation_id"] = fields.pop("correlation_id")
    if isinstance(event, DecisionMade):
        bind(tool=event.tool, decision=event.decision)
    log.info(type(event).__name__, **fields)


async def _log_failure(event: ActionFailed) -> None:
    fields = event.model_dump(exclude={"id", "at"})
    fields["error"] = redact(fields["error"])
    log.warning("ActionFailed", **fields)


def subscribe(bus: MessageBus) -> None:
    for event_type in (RequestReceived, DecisionMade, ActionExecuted):
        bus.subscribe(event_type, _log_event)
    bus.subscribe(ActionFailed, _log_failure)
    bus.add_middleware(request_scope)
