"""A planner for tests of what comes after planning: known sentences give known tool calls."""

from __future__ import annotations

from core.planner import Planner, PlannerInput, PlanResult
from core.planner.offline import OfflinePlanner
from core.tools import ToolCall


class ScriptedPlanner(Planner):
    """Known sentences → tool calls; anything else → the offline planner."""

    def __init__(self, script: dict[str, ToolCall]) -> None:
        self.script, self.offline = script, OfflinePlanner()

    async def plan(self, text: str, facts: PlannerInput) -> PlanResult:
        scripted = self.script.get(text)
        return PlanResult(call=scripted) if scripted else await self.offline.plan(text, facts)
