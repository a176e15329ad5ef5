"""Logs and traces of whole requests (core/observability.py): the request's context on every line,
secrets never in the output, JSON or readable lines, and OpenTelemetry spans only when asked for."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from bot.bootstrap import App, bootstrap
from core import observability
from core.config import load_settings
from core.messages import Confirm, HandleRequest

ASSIGN = "assign Book photographer to Hiro due Friday in Industry Night"
SECRETS = {
    # name of the variable: a value shaped like the real thing (none of them is real)
    "NOTION_TOKEN": "ntn_4182736451827364518273645182736451827364abcd",
    "CLUB_DISCORD_BOT": "MTI4NzQ1NjE4NzQ1NjE4NzQ1Ng.GhX2aB.k3vQ9mZr8sT1uW4xY7zA0bC5dE6fG2hJ9kL3nP",
    "SLACK_BOT_TOKEN": "xoxb-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
    "SLACK_APP_TOKEN": "xapp-1-A0123456789-1234567890123-0123456789abcdef0123456789abcdef",
    "CLUB_LLM_KEY": "gsk_q1w2e3r4t5y6u7i8o9p0asdfghjkl",
}
DB_PASSWORD = "pa55-w0rd-dont-log-me"


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """Each test here reconfigures logging: put back what the rest of the suite had."""
    root = logging.getLogger()
    saved, handlers, level = structlog.get_config(), list(root.handlers), root.level
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def captured() -> io.StringIO:
    """The log output (structlog's and stdlib's), as a deployment's stderr would hold it."""
    out = io.StringIO()
    observability.configure_logging("debug", json=True, stream=out)
    return out


@pytest.fixture
def tracing() -> Iterator[None]:
    yield
    observability.shutdown_tracing()


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


async def test_a_whole_request_logs_its_context_on_every_line_and_never_a_secret(
    monkeypatch: pytest.MonkeyPatch, captured: io.StringIO, clock
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(
        discord={"token_env": "CLUB_DISCORD_BOT"},  # names no pattern would guess: config says
        planner={"api_key_env": "CLUB_LLM_KEY"},
    )
    app = await bootstrap(settings, clock=clock)
    try:
        asked = HandleRequest(platform="slack", user_id="U00001002", text=ASSIGN)
        reply = await app.bus.execute(asked)
        assert reply.decision == "confirm"
        click = Confirm(platform="slack", user_id="U00001002", pending_id=reply.pending_id)
        assert (await app.bus.execute(click)).decision == "executed"
        # What leaks look like: a URL with its password in an error, a library logging a header,
        # an adapter logging its token. The output must hold none of them.
        database_url = f"postgresql+asyncpg://darcy:{DB_PASSWORD}@db.internal:5432/darcy"
        observability.protect(load_settings(database={"url": database_url}))
        structlog.get_logger("darcy.test").error("could not connect", url=database_url)
        logging.getLogger("notion_client").debug(
            "request headers %s", {"Authorization": f"Bearer {SECRETS['NOTION_TOKEN']}"}
        )
        structlog.get_logger("darcy.test").warning(
            "adapter said", detail=[f"token={SECRETS['CLUB_DISCORD_BOT']}", SECRETS["SLACK_BOT_TOKEN"]]
        )
        try:
            raise ValueError(f"bad signature with {SECRETS['SLACK_SIGNING_SECRET']}")
        except ValueError:
            logging.getLogger("slack_bolt").exception("verification failed")
    finally:
        await app.aclose()

    text = captured.getvalue()
    for value in [*SECRETS.values(), DB_PASSWORD]:
        assert value not in text
    assert text.count(observability.MASK) >= 5  # the leaks were logged, masked

    logged = lines(captured)
    request = [line for line in logged if line.get("correlation_id") == asked.correlation_id]
    kinds = {line["event"] for line in request}
    assert {"RequestReceived", "DecisionMade", "request handled"} <= kinds
    assert any(line.get("logger") for line in request)  # stdlib lines (the Notion client's) too
    for line in request:
        assert line["platform"] == "slack" and line["user_id"] == "U00001002"
        assert {"tool", "decision"} <= line.keys()
    handled = next(line for line in request if line["event"] == "request handled")
    assert handled["tool"] == "create_task" and handled["decision"] == "confirm"
    assert handled["store_calls"] >= 1 and handled["duration_ms"] >= 0
    clicked = [line for line in logged if line.get("correlation_id") == click.correlation_id]
    assert clicked and all(line["tool"] == "create_task" for line in clicked)
    executed = next(line for line in clicked if line["event"] == "ActionExecuted")
    assert executed["origin_correlation_id"] == asked.correlation_id  # the click, tied to its request
    assert clicked[-1]["event"] == "request handled" and clicked[-1]["decision"] == "executed"


def test_json_for_machines_readable_lines_in_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def render(stream: io.StringIO) -> str:
        observability.configure_logging("info", stream=stream)
        structlog.get_logger().info("hello", correlation_id="c1")
        return stream.getvalue()

    monkeypatch.delenv("DARCY_LOG_FORMAT", raising=False)
    assert json.loads(render(io.StringIO()))["event"] == "hello"
    shown = re.sub(r"\x1b\[[0-9;]*m", "", render(Terminal()))  # without the colours
    assert "hello" in shown and "correlation_id=c1" in shown and not shown.startswith("{")
    monkeypatch.setenv("DARCY_LOG_FORMAT", "json")
    assert json.loads(render(Terminal()))["correlation_id"] == "c1"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("token xoxb-2222222222-3333333333-abcdefABCDEF12345", "token [redacted]"),
        ("xoxp-1-2-3-abcdef0123456789 and xapp-1-A1-2-abcdef0123", "[redacted] and [redacted]"),
        ("secret_8hJkLmNoPqRsTuVwXyZ0123456789abcdefghijklm", "[redacted]"),
        ("Authorization: Bearer abc.def-gh1_jkl~mno", "Authorization: Bearer [redacted]"),
        ("authorization: basic ZGFyY3k6cGFzc3dvcmQx", "authorization: basic [redacted]"),
        ("Bot MTI4NzQ1NjE4NzQ1NjE4NzQ1Ng.GhX2aB.k3vQ9mZr8sT1uW4xY7zA0bC5dE6fG2hJ9kL3nP", "Bot [redacted]"),
        ("postgresql://darcy:s3cret@db:5432/darcy", "postgresql://darcy:[redacted]@db:5432/darcy"),
        ("sk-proj-abcdefghijklmnop0123456789", "[redacted]"),
    ],
)
def test_token_shapes_are_masked(text: str, masked: str) -> None:
    assert observability.redact(text) == masked


def test_ordinary_text_is_left_alone() -> None:
    text = (
        "Carol Jensen <carol.jensen@club.example> created Book photographer (page "
        "00000000-0000-4000-8000-000000001002) due 2026-11-20; see https://www.notion.so/abc123 "
        "sqlite+aiosqlite:///data/darcy.db; the bot configuration_settings and basic instructions_here"
    )
    assert observability.redact(text) == text


# ---- traces ----------------------------------------------------------------------------------


async def test_tracing_off_imports_no_opentelemetry(monkeypatch: pytest.MonkeyPatch, app: App) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] == "opentelemetry"] + ["opentelemetry"]:
        monkeypatch.setitem(sys.modules, name, None)  # any import of it now fails
    assert observability.configure_tracing("none") == "none"
    reply = await app.bus.execute(HandleRequest(platform="terminal", user_id="carol", text=ASSIGN))
    assert reply.decision == "confirm"  # a whole request, and nothing tried to import it
    with pytest.raises(RuntimeError, match=r"pip install 'darcy\[otel\]'"):
        observability.configure_tracing("console")
    assert observability.tracing_enabled() == "none"


async def test_a_request_is_a_span_tree(app: App, tracing: None, captured: io.StringIO) -> None:
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    observability.configure_tracing(memory)
    asked = HandleRequest(platform="discord", user_id="710000000000001002", text=ASSIGN)
    reply = await app.bus.execute(asked)
    spans = {span.name: span for span in memory.get_finished_spans()}
    root = spans["darcy.request"]
    assert root.parent is None
    assert root.attributes["darcy.correlation_id"] == asked.correlation_id
    assert root.attributes["darcy.decision"] == "confirm" and root.attributes["darcy.tool"] == "create_task"
    for child in ("darcy.planner", "darcy.gate", "darcy.reply"):
        assert spans[child].parent.span_id == root.context.span_id, child
    assert spans["darcy.gate"].attributes["darcy.decision"] == "confirm"
    for step in ("gate.validate", "gate.resolve", "gate.permit"):  # the gate's steps, in its span
        assert spans[step].parent.span_id == spans["darcy.gate"].context.span_id, step
    assert spans["gate.permit"].attributes["gate.allowed"] is True
    assert spans["gate.permit"].attributes["gate.rule"] == spans["darcy.gate"].attributes["gate.rule"]
    notion = [span for span in memory.get_finished_spans() if span.name.startswith("store.")]
    assert notion and all(span.context.trace_id == root.context.trace_id for span in notion)
    # Log lines inside the request name its trace.
    handled = next(line for line in lines(captured) if line["event"] == "request handled")
    assert handled["trace_id"] == f"{root.context.trace_id:032x}"

    memory.clear()
    await app.bus.execute(Confirm(platform="discord", user_id=asked.user_id, pending_id=reply.pending_id))
    names = [span.name for span in memory.get_finished_spans()]
    assert names[-1] == "darcy.confirm" and "store.create_task" in names
    created = next(span for span in memory.get_finished_spans() if span.name == "store.create_task")
    assert created.attributes["store.notion_calls"] >= 1  # a write is never answered from a cache


async def test_the_console_exporter_prints_a_tree(app: App, tracing: None) -> None:
    pytest.importorskip("opentelemetry.sdk")
    out = io.StringIO()
    assert observability.configure_tracing("console", stream=out) == "console"
    await app.bus.execute(HandleRequest(platform="terminal", user_id="carol", text=ASSIGN))
    tree = out.getvalue().splitlines()
    assert tree[0].startswith("trace ")
    assert tree[1].startswith("darcy.request")
    assert "decision=confirm" in tree[1] and "tool=create_task" in tree[1]
    assert any(line.startswith("├─ darcy.planner") for line in tree)
    assert any(line.startswith("├─ darcy.gate") for line in tree)
    assert tree[-1].startswith("└─ darcy.reply") or any(line.startswith("└─ darcy.reply") for line in tree)


async def test_otlp_sends_the_spans_to_the_collector(
    app: App, tracing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http")
    from aiohttp import web
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    received: list[bytes] = []

    async def collect(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(body=b"", content_type="application/x-protobuf")

    collector = web.Application()
    collector.router.add_post("/v1/traces", collect)
    runner = web.AppRunner(collector, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_PROTOCOL", raising=False)
    try:
        assert observability.configure_tracing("otlp") == "otlp"
        await app.bus.execute(HandleRequest(platform="slack", user_id="U00001002", text=ASSIGN))
        await asyncio.to_thread(observability.shutdown_tracing)  # the exporter's thread posts to us
    finally:
        await runner.cleanup()
    sent = ExportTraceServiceRequest()
    for body in received:
        sent.MergeFromString(body)
    scopes = [scope for resource in sent.resource_spans for scope in resource.scope_spans]
    names = {span.name for scope in scopes for span in scope.spans}
    assert {"darcy.request", "darcy.planner", "darcy.gate", "darcy.reply"} <= names
    service = sent.resource_spans[0].resource.attributes
    assert any(a.key == "service.name" and a.value.string_value == "darcy" for a in service)
