"""Planners turn what a person typed into a `ToolCall` (see DESIGN.md, "Planning")."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, Field

from core.domain import Member
from core.tools import ToolCall


class PlanningContext(BaseModel):
    """What a planner may know: never the task list, so prompts stay flat as work grows."""

    now: datetime  # timezone-aware, in the workspace timezone
    requester: Member | None = None  # None: a chat user not linked yet
    members: list[Member] = Field(default_factory=list)
    projects: list[str] = Field(default_factory=list)  # project names
    platform: str = "terminal"
    history: list[str] = Field(default_factory=list)  # the last few turns, oldest first


class Planner(Protocol):
    async def plan(self, text: str, ctx: PlanningContext) -> ToolCall: ...


def __getattr__(name: str) -> object:
    """`OfflinePlanner` and `plan_text` from here too, imported on first use (no cycle)."""
    if name in ("OfflinePlanner", "plan_text"):
        from core.planner import offline

        return getattr(offline, name)
    raise AttributeError(name)
