"""whoami: which Notion account the requester is linked to, and their role."""

from __future__ import annotations

from typing import Any

from core.actions.base import Ports, Tool
from core.extensions import ToolContext
from core.gate.resolving import Resolving
from core.gate.result import Decision, GateResult
from core.replies import Reply
from core.tools import ToolArgs, ToolSpec


class WhoamiArgs(ToolArgs):
    """Say which Notion account the requester is linked to."""


class Whoami(Tool):
    spec = ToolSpec(name="whoami", args_model=WhoamiArgs, impact="read")

    async def resolve(self, res: Resolving) -> GateResult:
        return GateResult(decision=Decision.EXECUTE, tool=self.name)

    async def answer(
        self, ports: Ports, result: GateResult, caller: ToolContext, base: dict[str, Any]
    ) -> Reply:
        who = caller.requester
        return Reply(
            text=f"You're linked to the Notion user {who.name} ({who.email or 'no e-mail'}), "
            f"role: {who.role}.",
            **base,
        )
