"""Tools beyond Notion: a plugin module and a real MCP server (stdio), behind the same gate.

The planner here is scripted (the planner is not what is under test: the registry,
the gate and the MCP integration are); the LLM planner's read loop is tested against
the OpenAI-compatible rig in test_llm_read_loop below.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from club_plugins import club_tools
from rigs.scripted_planner import ScriptedPlanner

from bot.bootstrap import App, bootstrap
from core.config import load_settings
from core.messages import Confirm, HandleRequest
from core.planner.offline import OfflinePlanner
from core.tools import ToolCall

CALENDAR = str(Path(__file__).resolve().parents[1] / "club_plugins" / "calendar_mcp.py")


SCRIPT = {
    "when is the club room open on monday?": ToolCall(tool="opening_hours", args={"day": "Monday"}),
    "order 3 pizzas": ToolCall(tool="order_pizza", args={"count": 3}),
    "what's on the calendar on the 18th?": ToolCall(tool="list_events", args={"day": "2026-11-18"}),
    "book B2 on friday": ToolCall(tool="book_room", args={"room": "B2", "day": "2026-11-20"}),
    "crash the calendar": ToolCall(tool="crash", args={}),
}


async def ask(app: App, user: str, text: str):  # -> Reply
    return await app.bus.execute(HandleRequest(platform="terminal", user_id=user, text=text))


async def confirm(app: App, user: str, pending_id: str):  # -> Reply
    return await app.bus.execute(Confirm(platform="terminal", user_id=user, pending_id=pending_id))


@pytest.fixture
async def club(clock) -> AsyncIterator[App]:
    club_tools.ORDERS.clear()
    settings = load_settings(
        extensions=["club_plugins.club_tools"],
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
    application = await bootstrap(settings, planner=ScriptedPlanner(SCRIPT), clock=clock)
    try:
        yield application
    finally:
        await application.aclose()


async def test_extension_tools_are_declared_once_with_their_impact(club: App) -> None:
    specs = club.deps.registry.specs
    assert (
        specs["opening_hours"].impact == "read"
        and specs["opening_hours"].source == "plugin:club_plugins.club_tools"
    )
    assert specs["order_pizza"].impact == "write"
    assert specs["list_events"].impact == "read" and specs["list_events"].source == "mcp:calendar"
    assert specs["book_room"].impact == "write"  # no read-only annotation: confirmed first
    assert club.deps.registry.problems == []


async def test_a_plugin_read_runs_at_once_and_a_write_asks_first(club: App) -> None:
    reply = await ask(club, "dan", "when is the club room open on monday?")
    assert reply.decision == "execute" and reply.text == "The club room is open 10:00–18:00 on Monday."
    reply = await ask(club, "dan", "order 3 pizzas")
    assert reply.decision == "confirm"
    assert (
        "use **order_pizza** (plugin:club_plugins.club_tools) with count “3”, topping “cheese”" in reply.text
    )
    assert club_tools.ORDERS == []
    done = await confirm(club, "dan", reply.pending_id)
    assert done.text == "Done: Ordered 3 cheese pizzas for Dan Whitfield."
    assert club_tools.ORDERS == [("dan", 3, "cheese")]
    assert (await confirm(club, "dan", reply.pending_id)).decision == "error"  # once only
    assert club_tools.ORDERS == [("dan", 3, "cheese")]


async def test_an_mcp_read_runs_at_once_and_a_write_is_confirmed(club: App) -> None:
    reply = await ask(club, "carol", "what's on the calendar on the 18th?")
    assert reply.text == "Events on 2026-11-18: Hackathon kickoff 18:00 in room B2"
    reply = await ask(club, "carol", "book B2 on friday")
    assert reply.decision == "confirm" and "use **book_room** (mcp:calendar)" in reply.text
    done = await confirm(club, "carol", reply.pending_id)
    assert done.text == "Done: Booked B2 on 2026-11-20"
    rows = await club.db.audit.rows(user_id="carol")
    assert [(r.tool, r.decision) for r in rows][-2:] == [("book_room", "confirm"), ("book_room", "executed")]


async def test_a_members_forbidden_write_is_denied(club: App) -> None:
    reply = await ask(club, "dan", "book B2 on friday")
    assert reply.decision == "deny"
    assert reply.text == (
        "Sorry, I can't do that: only Leads and Admins may use book_room. "
        "You could ask one of them to do it for you."
    )
    assert reply.pending_id is None


async def test_a_crashed_server_leaves_the_rest_of_darcy_working(club: App) -> None:
    await ask(club, "carol", "crash the calendar")
    reply = await ask(club, "carol", "what's on the calendar on the 18th?")
    assert reply.decision == "error"
    assert "the calendar tools are not answering right now" in reply.text
    reply = await ask(club, "carol", "show me Carol's tasks in Hackathon 2026")
    assert "Carol Jensen's tasks in Hackathon 2026 (2):" in reply.text
    assert (await ask(club, "dan", "when is the club room open on monday?")).decision == "execute"


async def test_a_server_that_fails_to_start_is_reported_and_darcy_starts(clock) -> None:
    settings = load_settings(
        mcp=[
            {
                "name": "broken",
                "command": sys.executable,
                "args": ["-c", "raise SystemExit(3)"],
                "timeout_seconds": 5,
            }
        ]
    )
    application = await bootstrap(settings, clock=clock)
    try:
        assert any(
            p.startswith("MCP server broken: could not start") for p in application.deps.registry.problems
        )
        reply = await ask(application, "carol", "show me Carol's tasks in Hackathon 2026")
        assert "Carol Jensen's tasks" in reply.text
    finally:
        await application.aclose()


async def test_the_offline_planner_says_extension_tools_need_a_model(club: App) -> None:
    club.deps.planner = OfflinePlanner()
    reply = await ask(club, "dan", "help")
    assert "opening_hours" in reply.text and "only use with an AI model configured" in reply.text
