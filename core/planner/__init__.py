"""Planners turn what a person typed into a `ToolCall` (docs/architecture.md, "Planning")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, Field

from core.domain import Member
from core.tools import ToolCall


class PlannerInput(BaseModel):
    """What a planner may know: never the task list, so prompts stay flat as work grows."""

    now: datetime  # timezone-aware, in the workspace timezone
    requester: Member | None = None  # None: a chat user not linked yet
    members: list[Member] = Field(default_factory=list)
    projects: list[str] = Field(default_factory=list)  # project names
    platform: str = "terminal"
    history: list[str] = Field(default_factory=list)  # the last few turns, oldest first


class PlanResult(BaseModel):
    """A planner's answer for one message: the call, and anything to tell the person first.
    Returned together, so a notice can never reach another request's reply."""

    call: ToolCall
    notice: str | None = None  # e.g. "the day's AI budget is spent: understood offline"


# Runs a read the planner asks for mid-planning (an extension tool) and returns what it said;
# None ends the reading.
Reader = Callable[[ToolCall, PlannerInput], Awaitable[str | None]]


class Planner(Protocol):
    """Subclass it to get the defaults of the optional features."""

    # The planner for people not linked yet (no model is paid for a request answered "verify").
    fallback: Planner | None = None
    # Set by the request handler on planners that can chain reads of extension tools.
    reader: Reader | None = None
    # Whether it can use the extension tools at all (the offline planner cannot).
    uses_extensions: bool = False

    async def plan(self, text: str, facts: PlannerInput) -> PlanResult: ...

    async def warm_up(self) -> None:
        """Pay start-up costs now, rather than on the first person's message; none by default."""


def __getattr__(name: str) -> object:
    """`OfflinePlanner` and `plan_text` from here too, imported on first use (no cycle)."""
    if name in ("OfflinePlanner", "plan_text"):
        from core.planner import offline

        return getattr(offline, name)
    raise AttributeError(name)
