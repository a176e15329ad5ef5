"""Shared fixtures: a whole Darcy on the embedded default, built in one call."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from bot.bootstrap import App, bootstrap
from bot.terminal import TerminalChat
from core.config import load_settings
from core.observability import configure_logging

configure_logging("warning", json=True)  # test output shows what users see, not info logs

# PostgreSQL and the database fixtures (database_url, db, postgres, postgres_url): tests/pg.py.
pytest_plugins = ["pg"]

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEMO_NOW = datetime.fromisoformat("2026-11-18T10:00:00+11:00")


class Clock:
    """A clock the test moves by hand (expiry without sleeping)."""

    def __init__(self, now: datetime = DEMO_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def app(clock: Clock) -> AsyncIterator[App]:
    application = await bootstrap(load_settings(), clock=clock)
    try:
        yield application
    finally:
        await application.aclose()


class Session(TerminalChat):
    """The terminal adapter with its screen captured, as a person would read it."""

    def __init__(self, app: App, user: str) -> None:
        super().__init__(app.bus, user, Console(record=True, width=140, color_system=None))

    def screen(self) -> str:
        """What was printed since the last call."""
        return self.console.export_text(clear=True)

    async def say(self, text: str) -> str:
        await self.send(text)
        return self.screen()


@pytest.fixture
def chat(app: App):
    def open_session(user: str) -> Session:
        return Session(app, user)

    return open_session
