"""Logs and traces. Observability never sits inside business logic: it subscribes to the bus's
events, wraps each command with bus middleware, and decorates the planner, the gate, the reply
and the task store at the composition root (`instrument`).

- Logs: structlog, JSON lines in production (stderr not a terminal, or DARCY_LOG_FORMAT=json),
  readable lines in a terminal. Every line logged while a command is handled carries its
  correlation_id, platform, user_id (the requester's chat id), tool and decision (None until
  known). Secret values (token variables, the database password) and anything shaped like a
  Slack, Discord, Notion or LLM-provider token are masked in every line, including lines of
  other libraries (stdlib logging goes through the same processors).
- Traces: OpenTelemetry, an optional extra (`pip install 'darcy[otel]'`). With the exporter
  `none` (the default) nothing of OpenTelemetry is imported and spans cost nothing; `console`
  prints each request's span tree on stderr; `otlp` sends spans to a collector configured by
  the standard OTEL_EXPORTER_OTLP_* variables.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import IO, Any
from urllib.parse import quote, unquote, urlsplit

import structlog

from core import usage
from core.bus import MessageBus
from core.messages import ActionExecuted, ActionFailed, Command, DecisionMade, Event, RequestReceived

log = structlog.get_logger("darcy")

# ---- redaction --------------------------------------------------------------------------------

MASK = "[redacted]"
# Environment variables whose values are secrets, by name.
_SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSW|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL|OTEL_EXPORTER_OTLP(_TRACES)?_HEADERS",
    re.IGNORECASE,
)
_TOKEN_SHAPES = re.compile(
    "|".join(
        (
            r"\bxox[a-z](?:\.xox[a-z])?-[A-Za-z0-9-]{8,}",  # Slack bot, user, refresh tokens
            r"\bxapp-[A-Za-z0-9-]{8,}",  # Slack app-level tokens (Socket Mode)
            r"\b(?:secret|ntn)_[A-Za-z0-9]{20,}",  # Notion integration tokens
            r"\b[A-Za-z0-9_-]{23,30}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,45}",  # Discord bot tokens
            r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",  # JWTs
            r"\bsk-[A-Za-z0-9_-]{16,}",  # OpenAI-style API keys
        )
    )
)
# "Authorization: Bearer …" / "Basic …": a credential has digits and some length ("Bot …" is a
# Discord token, masked by its shape; "the bot configuration" stays).
_AUTH_HEADER = re.compile(r"(?i)\b(bearer|basic)(\s+)(?=\S*\d)[A-Za-z0-9._~+/=-]{16,}")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*:)([^@\s/]+)(@)")


def url_password(url: str | None) -> str | None:
    """The password in a URL like postgresql+asyncpg://user:PASSWORD@host/db, if any."""
    if not url or "://" not in url:
        return None
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


class Redactor:
    """A structlog processor masking secret values and token-shaped strings anywhere in a line."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, *values: str | None, min_length: int = 6) -> None:
        fresh = set()
        for value in values:
            if not value or len(value.strip()) < min_length:
                continue
            fresh.update({value, quote(value, safe="")})
        if fresh - self._secrets:
            self._secrets |= fresh
            ordered = sorted(self._secrets, key=len, reverse=True)  # longest first
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def add_from_env(self, environ: Mapping[str, str]) -> None:
        """Values of variables named like secrets (…_TOKEN, …_SECRET, …API_KEY…), and passwords
        inside URLs (DATABASE_URL)."""
        for name, value in environ.items():
            if _SECRET_NAME.search(name) and value.lower() not in ("true", "false", "none", "null"):
                self.add(value, min_length=8)
            if "://" in value:
                self.add(url_password(value), min_length=4)

    def scrub(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        text = _TOKEN_SHAPES.sub(MASK, text)
        text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
        return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)

    def scrub_value(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if value is None or isinstance(value, bool | int | float | datetime | date):
            return value
        if depth > 8:
            return MASK
        if isinstance(value, dict):
            return {key: self.scrub_value(item, depth + 1) for key, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.scrub_value(item, depth + 1) for item in value]
        return self.scrub(str(value))  # what a renderer would print: scrub that

    def __call__(self, _logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        return {key: self.scrub_value(value) for key, value in event_dict.items()}


REDACTOR = Redactor()


def redact(text: str) -> str:
    """The text with every known secret and token-shaped string masked (for messages shown anywhere)."""
    return REDACTOR.scrub(text)


def protect(settings: Any) -> None:
    """Mask this configuration's secrets in every log line: the values of the token variables it
    names (whatever their names) and the database password."""
    values: list[str | None] = []
    for section, getters in (
        ("notion", ("token",)),
        ("discord", ("token",)),
        ("slack", ("bot_token", "signing_secret", "app_token")),
    ):
        part = getattr(settings, section, None)
        for getter in getters:
            if part is not None and callable(getattr(part, getter, None)):
                values.append(getattr(part, getter)())
    planner = getattr(settings, "planner", None)
    if planner is not None and getattr(planner, "api_key_env", None):
        values.append(os.environ.get(planner.api_key_env))
    database = getattr(settings, "database", None)
    REDACTOR.add(*values)
    REDACTOR.add(url_password(getattr(database, "url", None)), min_length=4)


# ---- logging ----------------------------------------------------------------------------------


def _wants_json(json: bool | None, stream: IO[str]) -> bool:
    if json is not None:
        return json
    chosen = (os.environ.get("DARCY_LOG_FORMAT") or "").strip().lower()
    if chosen in ("json", "console", "pretty", "text"):
        return chosen == "json"
    isatty = getattr(stream, "isatty", None)
    return not (isatty and isatty())


def _add_trace_ids(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    if _tracing is not None:
        ids = _tracing.current_ids()
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


# ---- the request context: bus middleware ------------------------------------------------------

_SPAN_NAMES = {"HandleRequest": "darcy.request"}


async def request_context(command: Command, call_next: Callable[[], Awaitable[Any]]) -> Any:
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
            _attributes(
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


def _bind(**fields: Any) -> None:
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
        _bind(tool=event.tool, decision=event.decision)
    log.info(type(event).__name__, **fields)


async def _log_failure(event: ActionFailed) -> None:
    fields = event.model_dump(exclude={"id", "at"})
    fields["error"] = redact(fields["error"])
    log.warning("ActionFailed", **fields)


def subscribe(bus: MessageBus) -> None:
    for event_type in (RequestReceived, DecisionMade, ActionExecuted):
        bus.subscribe(event_type, _log_event)
    bus.subscribe(ActionFailed, _log_failure)
    bus.add_middleware(request_context)


# ---- instrumentation of one Darcy --------------------------------------------------------------

STORE_METHODS = (
    "list_users",
    "list_projects",
    "list_tasks",
    "get_task",
    "create_task",
    "update_task",
    "add_comment",
    "list_comments",
    "archive_task",
)


def instrument(app: Any) -> None:
    """Child spans (and log context) for the planner, the gate, the reply and each task-store call of
    one application built by `core.bootstrap`; masks its configured secrets. Idempotent; with
    tracing off the spans are free and only the log context is bound."""
    protect(app.settings)
    app.bus.add_middleware(request_context)
    darcy = app.darcy
    _wrap(getattr(darcy, "planner", None), "plan", _traced_plan)
    _wrap(getattr(darcy, "gate", None), "assess", _traced_assess)
    _wrap(darcy, "_reply", _traced_reply)
    for method in ("get", "claim"):  # a click's log lines name the tool of its pending action
        _wrap(getattr(darcy, "pending", None), method, _bind_pending_tool)
    for method in STORE_METHODS:  # the TaskStore port: a cached read shows as a span of ~0 ms
        _wrap(getattr(darcy, "store", None), method, _traced_store(method))


def _wrap(obj: Any, name: str, decorate: Callable[[Any], Any]) -> None:
    """Replace obj.name by decorate(obj.name) on this instance, once."""
    try:
        done = obj.__dict__.setdefault("_darcy_instrumented", set())
    except AttributeError:  # no instance dict (slots, builtins): leave it alone
        return
    original = getattr(obj, name, None)
    if name in done or original is None:
        return
    setattr(obj, name, decorate(original))
    done.add(name)


def _traced_plan(plan: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    kind = type(getattr(plan, "__self__", plan)).__name__

    async def traced(*args: Any, **kwargs: Any) -> Any:
        meter = usage.current()
        before = dataclasses.replace(meter) if meter is not None else None
        with span("darcy.planner", {"planner.kind": kind}) as current:
            call = await plan(*args, **kwargs)
            tool = getattr(call, "tool", None)
            intent = getattr(call, "intent", None)
            current.set_attributes(_attributes({"darcy.tool": tool, "planner.intent": intent}))
            if meter is not None and before is not None and meter.llm_calls > before.llm_calls:
                current.set_attributes({  # OpenTelemetry's gen_ai names, and the dollars
                    "gen_ai.request.model": meter.model or "",
                    "llm.calls": meter.llm_calls - before.llm_calls,
                    "gen_ai.usage.input_tokens": meter.prompt_tokens - before.prompt_tokens,
                    "gen_ai.usage.output_tokens": meter.completion_tokens - before.completion_tokens,
                    "llm.cost_usd": round(meter.cost_usd - before.cost_usd, 6),
                })
            _bind(tool=tool)
            return call

    return traced


def _traced_assess(assess: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def traced(*args: Any, **kwargs: Any) -> Any:
        call = args[0] if args else kwargs.get("call")
        with span("darcy.gate", {"darcy.tool": getattr(call, "tool", None)}) as current:
            result = await assess(*args, **kwargs)
            decision = getattr(result.decision, "value", result.decision)
            rule = getattr(result, "rule", None)
            current.set_attributes(
                _attributes({"darcy.decision": decision, "darcy.tool": result.tool, "gate.rule": rule})
            )
            _bind(decision=decision, tool=result.tool)
            return result

    return traced


def _traced_reply(reply: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def traced(*args: Any, **kwargs: Any) -> Any:
        with span("darcy.reply") as current:
            result = await reply(*args, **kwargs)
            current.set_attributes(_attributes({"darcy.pending_id": getattr(result, "pending_id", None)}))
            return result

    return traced


def _bind_pending_tool(get: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def traced(*args: Any, **kwargs: Any) -> Any:
        action = await get(*args, **kwargs)
        tool = getattr(action, "tool", None)
        if tool and structlog.contextvars.get_contextvars().get("tool") is None:
            _bind(tool=tool)
        return action

    return traced


def _traced_store(method: str) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    def decorate(call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def traced(*args: Any, **kwargs: Any) -> Any:
            meter = usage.current()
            if meter is None:  # not for a request (start-up, readiness): no span of its own
                return await call(*args, **kwargs)
            meter.store_calls += 1
            sent = meter.notion_calls
            with span(f"store.{method}", {"store.operation": method}) as current:
                try:
                    return await call(*args, **kwargs)
                finally:  # 0: answered from the cache
                    current.set_attribute("store.notion_calls", meter.notion_calls - sent)

        return traced

    return decorate


# ---- tracing -----------------------------------------------------------------------------------

EXPORTERS = ("none", "console", "otlp")


class _NullSpan:
    def set_attribute(self, key: str, value: Any) -> None:
        pass

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        pass


_NULL_SPAN = _NullSpan()


def _attributes(values: Mapping[str, Any] | None) -> dict[str, Any]:
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
    with tracing.tracer.start_as_current_span(name, attributes=_attributes(attributes)) as current:
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
    "platform", "user_id", "tool", "decision", "rule", "kind", "pending_id", "store_calls", "notion_calls",
    "model", "calls", "input_tokens", "output_tokens", "cost_usd",
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
