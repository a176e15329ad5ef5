"""An MCP server over streamable HTTP, behind the same gate as over stdio.

The club calendar (tests/club_plugins/calendar_mcp.py, the `mcp` package's server) runs as a
separate service: a subprocess serving streamable HTTP on 127.0.0.1, which Darcy reaches with
the `mcp` package's client from its config (`url = "http://127.0.0.1:PORT/mcp"`). Its GET
/bookings (not an MCP tool) shows what was really booked. The planner is scripted, as in
test_extensions.py: the transport, the registry and the gate are under test, not the planner.
"""

from __future__ import annotations

import json
import select
import socket
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from rigs.scripted_planner import ScriptedPlanner

from bot.bootstrap import App, bootstrap
from core.config import load_settings
from core.messages import Confirm, HandleRequest
from core.tools import ToolCall

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = str(ROOT / "tests" / "club_plugins" / "calendar_mcp.py")
RULES = {
    "book_room": {"roles": ["lead", "admin"]},
    "list_events": {},
    "crash": {},
}  # as in test_extensions.py
READS = ["list_events", "crash"]
NOT_ANSWERING = "the calendar tools are not answering right now"


class CalendarService:
    """The calendar server in a process of its own, serving streamable HTTP on 127.0.0.1."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, CALENDAR, "--http", "0"], stdout=subprocess.PIPE, text=True
        )
        try:
            # It prints its port once the socket listens; connections then wait in the queue
            # until uvicorn accepts them, so the first GET also says it is serving.
            ready, _, _ = select.select([self.process.stdout], [], [], 30)
            line = self.process.stdout.readline() if ready and self.process.stdout else ""
            if not line.startswith("listening on "):
                raise RuntimeError(f"the calendar server did not start: {line!r}")
            self.port = int(line.split()[-1])
            self.bookings()
        except BaseException:
            self.kill()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def bookings(self) -> list[list[str]]:
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
        with direct.open(f"http://127.0.0.1:{self.port}/bookings", timeout=10) as response:
            return json.load(response)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()


SCRIPT = {
    "what's on the calendar on the 18th?": ToolCall(tool="list_events", args={"day": "2026-11-18"}),
    "book B2 on friday": ToolCall(tool="book_room", args={"room": "B2", "day": "2026-11-20"}),
}


async def ask(app: App, user: str, text: str):  # -> Reply
    return await app.bus.execute(HandleRequest(platform="terminal", user_id=user, text=text))


async def confirm(app: App, user: str, pending_id: str):  # -> Reply
    return await app.bus.execute(Confirm(platform="terminal", user_id=user, pending_id=pending_id))


async def darcy_with_calendar_at(url: str, clock, **server: object) -> App:
    settings = load_settings(
        mcp=[{"name": "calendar", "url": url, "read_only": READS, **server}], tools=RULES
    )
    return await bootstrap(settings, planner=ScriptedPlanner(SCRIPT), clock=clock)


def nothing_listening() -> str:
    """An MCP URL on a port of 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/mcp"


@pytest.fixture(scope="module")
def calendar() -> Iterator[CalendarService]:
    service = CalendarService()
    try:
        yield service
    finally:
        service.kill()


@pytest.fixture
async def club(calendar: CalendarService, clock) -> AsyncIterator[App]:
    application = await darcy_with_calendar_at(calendar.url, clock)
    try:
        yield application
    finally:
        await application.aclose()


async def test_the_http_servers_tools_are_declared_with_their_impact(club: App) -> None:
    specs = club.deps.registry.specs
    assert specs["list_events"].impact == "read" and specs["list_events"].source == "mcp:calendar"
    assert specs["book_room"].impact == "write" and specs["book_room"].source == "mcp:calendar"
    assert club.deps.registry.problems == []


async def test_a_read_runs_at_once_and_a_write_is_confirmed_then_done_once(
    club: App, calendar: CalendarService
) -> None:
    before = calendar.bookings()
    reply = await ask(club, "carol", "what's on the calendar on the 18th?")
    assert reply.decision == "execute"
    assert reply.text == "Events on 2026-11-18: Hackathon kickoff 18:00 in room B2"

    reply = await ask(club, "carol", "book B2 on friday")
    assert reply.decision == "confirm" and "use **book_room** (mcp:calendar)" in reply.text
    assert calendar.bookings() == before  # asked, not done
    done = await confirm(club, "carol", reply.pending_id)
    assert done.text == "Done: Booked B2 on 2026-11-20"
    assert calendar.bookings() == [*before, ["B2", "2026-11-20"]]
    assert (await confirm(club, "carol", reply.pending_id)).decision == "error"  # once only
    assert calendar.bookings() == [*before, ["B2", "2026-11-20"]]
    rows = await club.db.audit.rows(user_id="carol")
    assert [(r.tool, r.decision) for r in rows][-2:] == [("book_room", "confirm"), ("book_room", "executed")]


async def test_a_members_forbidden_write_is_denied_and_nothing_is_booked(
    club: App, calendar: CalendarService
) -> None:
    before = calendar.bookings()
    reply = await ask(club, "dan", "book B2 on friday")
    assert reply.decision == "deny"
    assert reply.text == (
        "Sorry, I can't do that: only Leads and Admins may use book_room. "
        "You could ask one of them to do it for you."
    )
    assert reply.pending_id is None
    assert calendar.bookings() == before


async def test_a_server_down_at_start_is_reported_and_darcy_starts(clock) -> None:
    url = nothing_listening()
    application = await darcy_with_calendar_at(url, clock, timeout_seconds=5)
    try:
        [problem] = application.deps.registry.problems
        assert problem == (
            "MCP server calendar: could not start or list its tools "
            "(ConnectError: All connection attempts failed)"
        )
        assert "list_events" not in application.deps.registry.specs
        reply = await ask(application, "carol", "show me Carol's tasks in Hackathon 2026")
        assert "Carol Jensen's tasks in Hackathon 2026 (2):" in reply.text
    finally:
        await application.aclose()


def test_darcy_doctor_reports_a_server_that_is_down(tmp_path: Path) -> None:
    config = tmp_path / "darcy.toml"
    config.write_text(f'[[mcp]]\nname = "calendar"\nurl = "{nothing_listening()}"\ntimeout_seconds = 5\n')
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "doctor", "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert (
        "✗ MCP server calendar: could not start or list its tools "
        "(ConnectError: All connection attempts failed)" in result.stdout
    )
    assert "Traceback" not in result.stdout + result.stderr


async def test_a_server_gone_mid_session_gets_a_clear_reply_and_darcy_keeps_working(clock) -> None:
    service = CalendarService()
    try:
        application = await darcy_with_calendar_at(service.url, clock, timeout_seconds=5)
        try:
            reply = await ask(application, "carol", "what's on the calendar on the 18th?")
            assert reply.text == "Events on 2026-11-18: Hackathon kickoff 18:00 in room B2"
            asked = await ask(application, "carol", "book B2 on friday")
            assert asked.decision == "confirm"

            service.kill()  # the service goes away, as a crash or a redeploy would

            reply = await ask(application, "carol", "what's on the calendar on the 18th?")
            assert reply.decision == "error" and NOT_ANSWERING in reply.text
            done = await confirm(application, "carol", asked.pending_id)
            assert done.decision == "error"
            assert done.text.startswith(f"book_room didn't accept the change: {NOT_ANSWERING}")
            assert done.text.endswith(". Nothing was changed.")  # two sentences, not one run on
            rows = await application.db.audit.rows(user_id="carol")
            assert ("book_room", "executed") not in [(r.tool, r.decision) for r in rows]

            reply = await ask(application, "carol", "show me Carol's tasks in Hackathon 2026")
            assert "Carol Jensen's tasks in Hackathon 2026 (2):" in reply.text
        finally:
            await application.aclose()
    finally:
        if service.process.poll() is None:
            service.kill()
