"""The gate: validate → resolve → permit → assess. Nothing reaches Notion without it.

It turns a planner's raw `ToolCall` into a `GateResult`: a decision from the eval vocabulary,
the resolved arguments (names → Notion ids, words → dates), and what to say. It never writes.
Each tool's resolution and permission rule live in the tool's own module (`core/actions/`);
the gate finds the tool in the registry and runs it (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from pydantic import ValidationError

from core.config import Settings
from core.directory import Directory
from core.domain import Member
from core.gate.resolving import Resolving
from core.gate.result import Decision, GateResult, NeedsAnswer
from core.identity import AuditLog, IdentityRepository
from core.observability import span
from core.tools import MAX_TEXT_CHARS, ToolCall, text_size, validate_args
from core.wording import model_words

if TYPE_CHECKING:  # the registry holds the tools, whose modules use the gate's resolution
    from core.registry import ToolRegistry

__all__ = ["Assessor", "Decision", "Gate", "GateResult", "NeedsAnswer", "Resolving"]


class Assessor(Protocol):
    """The gate as the handlers use it (the gate itself, or its traced wrapper)."""

    registry: ToolRegistry

    async def assess(
        self, call: ToolCall, requester: Member | None, *, platform: str, chat_user_id: str
    ) -> GateResult: ...


class Gate:
    def __init__(
        self,
        directory: Directory,
        settings: Settings,
        identity: IdentityRepository,
        audit: AuditLog,
        clock: Callable[[], datetime],
        registry: ToolRegistry,
    ) -> None:
        self.registry, self.directory, self.settings = registry, directory, settings
        self.identity, self.audit, self.clock = identity, audit, clock

    async def assess(
        self, call: ToolCall, requester: Member | None, *, platform: str, chat_user_id: str
    ) -> GateResult:
        """The decision on one call for this requester: validated, resolved by the tool's own
        module, permitted by its rule. Questions (clarify, choose) carry what was resolved."""
        if call.tool is None:
            return GateResult(decision=Decision.NONE, message=model_words(call.say) if call.say else "")
        tool = self.registry.tool(call.tool)
        if tool is None:
            return GateResult(decision=Decision.CLARIFY, message="I don't know how to do that yet.")
        if requester is None and not tool.for_strangers:
            return GateResult(decision=Decision.VERIFY, tool=call.tool)
        with span("gate.validate"):
            if (size := text_size(call.args)) > MAX_TEXT_CHARS:
                return GateResult(
                    decision=Decision.CLARIFY,
                    tool=call.tool,
                    message=f"That request carries {size:,} characters of text; I take up to "
                    f"{MAX_TEXT_CHARS:,}, as in a message. Could you make it shorter?",
                )
            try:
                validate_args(call, self.registry.specs)
            except ValidationError as exc:
                return GateResult(decision=Decision.CLARIFY, tool=call.tool, message=_validation_message(exc))
        res = Resolving(
            call,
            requester,
            platform=platform,
            chat_user_id=chat_user_id,
            directory=self.directory,
            settings=self.settings,
            identity=self.identity,
            audit=self.audit,
            clock=self.clock,
        )
        try:
            return await tool.resolve(res)
        except NeedsAnswer as question:
            question.result.tool = call.tool
            question.result.args = {**res.args, **question.result.args}
            return question.result


def _validation_message(exc: ValidationError) -> str:
    problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return f"I couldn't make sense of that request ({problems}). Could you rephrase it?"
