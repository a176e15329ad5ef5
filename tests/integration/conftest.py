"""Fixtures of the Notion integration tests: the demo workspace and an emulator serving it."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.config import DEMO_WORKSPACE
from integrations.notion.server import NotionEmulator


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    return json.loads(DEMO_WORKSPACE.read_text(encoding="utf-8"))


@pytest.fixture
async def emulator(demo: dict[str, Any]) -> AsyncIterator[NotionEmulator]:
    """A fresh copy each test: tests write to it."""
    async with NotionEmulator(copy.deepcopy(demo)) as emu:
        yield emu
