"""A plugin's or an MCP server's tool, behind the same gate as the built-in ones: validated,
permitted by its `[tools.NAME]` rule, run at once (read) or confirmed first (write, destructive)."""

from __future__ import annotations

from typing import Any

from core.actions.base import Outcome, Ports, Run, Tool
from core.extensions import Extension, ToolContext, ToolFailed
from core.gate.resolving import Resolving
from core.gate.result import Decision, GateResult
from core.observability import span
from core.pending import PendingAction
from core.permissions import permit_tool
from core.reads import EXTENSION_TEXT_CAP
from core.replies import Reply
from core.wording import em


class ExtensionTool(Tool):
    def __init__(self, extension: Extension) -> None:
        self.extension = extension

    @property
    def spec(self):  # type: ignore[override]  # the extension's, which the config may amend
        return self.extension.spec

    async def resolve(self, res: Resolving) -> GateResult:
        spec = self.spec
        args = spec.args_model.model_validate(res.raw).model_dump(mode="json", exclude_none=True)
        res.args, res.resolved = dict(args), {"args": args}
        with span("gate.permit", {"gate.action": spec.name}) as current:
            verdict = permit_tool(
                res.member, spec.name, res.settings.tools.get(spec.name), closed=self.closed
            )
            current.set_attributes({"gate.allowed": verdict.allowed, "gate.rule": verdict.rule or ""})
        if not verdict.allowed:
            message = f"Sorry, I can't do that: {verdict.reason}. You could {verdict.instead}."
            return GateResult(
                decision=Decision.DENY, tool=spec.name, args=args, message=message, rule=verdict.rule
            )
        res.rule = verdict.rule
        if spec.impact == "read":
            return res.execute()
        shown = ", ".join(f"{key} “{value}”" for key, value in args.items()) or "no arguments"
        warning = " This can't be undone." if spec.impact == "destructive" else ""
        return res.confirm(f"use {em(spec.name)} ({spec.source}) with {shown}.{warning}".rstrip("."))

    async def answer(
        self, ports: Ports, result: GateResult, caller: ToolContext, base: dict[str, Any]
    ) -> Reply:
        try:
            text = await self.extension.call(result.resolved["args"], caller)
        except ToolFailed as exc:
            return Reply(text=f"I couldn't run {self.name}: {exc}.", **{**base, "decision": "error"})
        return Reply(text=text[:EXTENSION_TEXT_CAP], **base)

    async def execute(self, run: Run) -> Outcome:
        if run.caller is None:
            raise ValueError(f"{self.name} runs only for a linked requester")
        text = await self.extension.call(run.resolved["args"], run.caller)
        return Outcome(page_id=None, result=text, before=None, after={"result": text})

    async def done_text(self, ports: Ports, action: PendingAction, outcome: Outcome) -> str:
        return f"Done: {outcome['result']}"
