"""The LLM planner chains reads of extension tools (bounded) before it answers, through
the real litellm against the loopback OpenAI-compatible rig and a real MCP server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio
from rigs.openai_server import OpenAIServer, text, tool_call

from bot.bootstrap import App, bootstrap
from core.config import load_settings
from core.messages import HandleRequest

pytestmark = pytest.mark.asyncio(loop_scope="module")
CALENDAR = str(Path(__file__).resolve().parents[1] / "club_plugins" / "calendar_mcp.py")
NOW = datetime.fromisoformat("2026-11-18T10:00:00+11:00")
EVENTS = {"day": "2026-11-18"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def rig() -> AsyncIterator[OpenAIServer]:
    async with OpenAIServer() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(rig: OpenAIServer) -> AsyncIterator[App]:
    settings = load_settings(
        planner={
            "kind": "llm",
            "models": ["openai/club-model"],
            "api_base": rig.base_url,
            "max_read_rounds": 2,
        },
        mcp=[
            {
                "name": "calendar",
                "command": "python",
                "args": [CALENDAR],
                "read_only": ["list_events", "crash"],
            }
        ],
        tools={"book_room": {"roles": ["lead", "admin"]}, "list_events": {}, "crash": {}},
    )
    application = await bootstrap(settings, clock=lambda: NOW)
    try:
        yield application
    finally:
        await application.aclose()


@pytest.fixture
def llm(rig: OpenAIServer) -> OpenAIServer:
    rig.reset()
    return rig


async def ask(app: App, user: str, words: str):  # -> Reply
    return await app.bus.execute(HandleRequest(platform="terminal", user_id=user, text=words))


def tool_messages(rig: OpenAIServer) -> list[str]:
    return [m.get("content") or "" for r in rig.requests for m in r["messages"] if m.get("role") == "tool"]


async def test_a_read_goes_back_to_the_model_which_then_answers(app: App, llm: OpenAIServer) -> None:
    llm.script(tool_call("list_events", EVENTS), text("Tonight: the hackathon kickoff at 18:00 in B2."))
    reply = await ask(app, "carol", "what's on the calendar today?")
    assert reply.text.endswith("\n> Tonight: the hackathon kickoff at 18:00 in B2.")
    assert reply.text.startswith("The AI model's answer, from what it read")
    assert llm.calls == 2
    assert tool_messages(llm) == ["Events on 2026-11-18: Hackathon kickoff 18:00 in room B2"]


async def test_after_reading_the_model_can_ask_for_a_notion_list(app: App, llm: OpenAIServer) -> None:
    llm.script(
        tool_call("list_events", EVENTS),
        tool_call("list_tasks", {"assignee": "Carol Jensen", "project": "Hackathon 2026"}),
    )
    reply = await ask(app, "carol", "which of my hackathon tasks matter for today's events?")
    assert reply.tool == "list_tasks" and [t.title for t in reply.tasks] == [
        "Confirm venue booking",
        "Recruit judges",
    ]
    assert llm.calls == 2


async def test_a_write_after_a_read_still_stops_for_a_confirmation(app: App, llm: OpenAIServer) -> None:
    llm.script(tool_call("list_events", EVENTS), tool_call("book_room", {"room": "B2", "day": "2026-11-20"}))
    reply = await ask(app, "carol", "book the kickoff room for friday too")
    assert reply.decision == "confirm" and reply.pending_id


async def test_the_reads_are_bounded(app: App, llm: OpenAIServer) -> None:
    llm.script(*[tool_call("list_events", EVENTS) for _ in range(5)])
    reply = await ask(app, "carol", "keep reading the calendar")
    assert llm.calls == 3  # the first answer and max_read_rounds = 2 more; the last read is answered as is
    assert reply.text.startswith("Events on 2026-11-18")


async def test_a_forbidden_tool_is_never_run_for_the_model(app: App, llm: OpenAIServer) -> None:
    llm.script(tool_call("book_room", {"room": "B2", "day": "2026-11-20"}))
    reply = await ask(app, "dan", "book B2 for friday")
    assert reply.decision == "deny"
    assert llm.calls == 1
