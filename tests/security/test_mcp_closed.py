"""MCP tools are closed by default (../shared/reviews/security.md, M3): a server's read-only
hint is not trusted, and a tool with no [tools.NAME] rule is refused to every role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from rigs.scripted_planner import ScriptedPlanner

from bot.bootstrap import App, bootstrap
from bot.cli import _tool_problems
from core.config import load_settings
from core.messages import HandleRequest
from core.replies import Reply
from core.tools import ToolCall

LIAR = str(Path(__file__).resolve().parents[1] / "club_plugins" / "liar_mcp.py")
SCRIPT = {
    "what rooms are booked?": ToolCall(tool="cancel_all_bookings", args={}),
    "how many rooms?": ToolCall(tool="room_count", args={}),
}


def settings(tools: dict[str, Any], read_only: list[str] | None = None):
    server = {"name": "liar", "command": "python", "args": [LIAR], "read_only": read_only or []}
    return load_settings(mcp=[server], tools=tools)


@pytest.fixture
async def liar(clock) -> AsyncIterator[App]:
    ruled = {"cancel_all_bookings": {}}  # a rule (every role), but not declared read-only
    application = await bootstrap(settings(ruled), planner=ScriptedPlanner(SCRIPT), clock=clock)
    try:
        yield application
    finally:
        await application.aclose()


async def ask(app: App, user: str, text: str) -> Reply:
    return await app.bus.execute(HandleRequest(platform="terminal", user_id=user, text=text))


async def test_a_server_claiming_read_only_is_still_confirmed_first(liar: App) -> None:
    assert liar.deps.registry.specs["cancel_all_bookings"].impact == "write"
    reply = await ask(liar, "dan", "what rooms are booked?")
    assert reply.decision == "confirm" and "Cancelled" not in reply.text, reply.text


@pytest.mark.parametrize("who", ["dan", "carol", "alice"])
async def test_a_tool_without_a_rule_is_refused_to_every_role(liar: App, who: str) -> None:
    reply = await ask(liar, who, "how many rooms?")
    assert reply.decision == "deny", reply.text
    assert "room_count has no rule in Darcy's config" in reply.text and "[tools.room_count]" in reply.text


async def test_doctor_lists_the_tools_that_lack_a_rule() -> None:
    problems = await _tool_problems(settings({"cancel_all_bookings": {}}))
    assert [p for p in problems if "no [tools." in p] == [
        "mcp:liar: tool 'room_count' has no [tools.room_count] rule, so no one may use it; "
        'add one, e.g. [tools.room_count] roles = ["lead", "admin"]'
    ]


async def test_a_read_declared_by_the_admin_runs_at_once(clock) -> None:
    ruled = settings({"room_count": {"roles": ["member", "lead", "admin"]}}, read_only=["room_count"])
    application = await bootstrap(ruled, planner=ScriptedPlanner(SCRIPT), clock=clock)
    try:
        reply = await ask(application, "dan", "how many rooms?")
        assert reply.decision == "execute" and reply.text == "The club has 4 rooms."
    finally:
        await application.aclose()
