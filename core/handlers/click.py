"""A button click or a pick: the pending action → its state moves once → re-check → execute →
audit (docs/architecture.md). Whatever replica receives the click, it executes at most once."""

from __future__ import annotations

from typing import Any

import structlog

from core.actions.base import Outcome, Run
from core.conversation import Choice
from core.domain import Member, Task
from core.handlers.deps import Deps
from core.handlers.replies import Asked, Responder
from core.handlers.request import NOTHING_CHANGED, RequestHandler
from core.messages import ActionExecuted, ActionFailed, Cancel, Choose, Confirm
from core.pending import PendingAction, PendingKind, PendingState, args_hash
from core.ports import StorageError, StoreError
from core.registry import ToolContext, ToolFailed
from core.replies import Reply
from core.tools import ToolCall
from core.wording import sentence

log = structlog.get_logger("darcy.handlers")

ALREADY = {
    PendingState.EXECUTED: "That's already done.",
    PendingState.CONFIRMED: "That's already being done.",
    PendingState.CANCELLED: "That was cancelled. " + NOTHING_CHANGED,
    PendingState.EXPIRED: "That request expired. " + NOTHING_CHANGED,
    PendingState.FAILED: "That request failed earlier. " + NOTHING_CHANGED,
}


class ClickHandler:
    def __init__(self, deps: Deps, responder: Responder, requests: RequestHandler) -> None:
        self.deps, self.responder, self.requests = deps, responder, requests

    async def confirm(self, cmd: Confirm) -> Reply:
        """The usual click in one step: the person's own confirmation, pending and in time."""
        deps = self.deps
        action = await deps.pending.claim(
            cmd.pending_id, platform=cmd.platform, user_id=cmd.user_id, now=deps.clock()
        )
        if action is None:
            return await self._unclaimed(cmd)
        if args_hash(action.tool, action.resolved) != action.args_hash:  # altered since it was shown
            await deps.pending.transition(action.id, PendingState.CONFIRMED, PendingState.FAILED)
            log.error("pending_action_altered", pending_id=action.id)
            return Reply(
                text="That request changed after you were asked, so I stopped. " + NOTHING_CHANGED,
                decision="error",
            )
        try:
            return await self._execute(cmd, action)
        except (StoreError, ToolFailed) as exc:
            await deps.pending.transition(
                action.id, PendingState.CONFIRMED, PendingState.FAILED, result={"error": str(exc)}
            )
            await deps.bus.publish(
                ActionFailed(
                    correlation_id=action.correlation_id,
                    platform=cmd.platform,
                    user_id=cmd.user_id,
                    tool=action.tool,
                    error=str(exc),
                )
            )
            source = "Notion" if isinstance(exc, StoreError) else action.tool
            return Reply(
                text=f"{source} didn't accept the change: {sentence(str(exc))} {NOTHING_CHANGED}",
                decision="error",
            )

    async def cancel(self, cmd: Cancel) -> Reply:
        action = await self._claim(cmd.pending_id, cmd.user_id, cmd.platform)
        if isinstance(action, Reply):
            return action
        if not await self.deps.pending.transition(action.id, PendingState.PENDING, PendingState.CANCELLED):
            # A confirm (here or on another replica) won the race: the change is happening.
            return Reply(text="Too late to cancel: that was confirmed and is being done.", decision="error")
        await self.deps.audit.record(**action.audit_row("cancelled", self.deps.clock()))
        return Reply(text="Cancelled. " + NOTHING_CHANGED, decision="cancelled")

    async def choose(self, cmd: Choose) -> Reply:
        """A pick fills the ambiguous argument; the call then goes through the gate again."""
        deps = self.deps
        action = await self._claim(cmd.pending_id, cmd.user_id, cmd.platform)
        if isinstance(action, Reply):
            return action
        if action.kind is not PendingKind.CHOOSE:
            return Reply(text="There's nothing to pick here: confirm or cancel.", decision="error")
        if not 0 <= cmd.option < len(action.options):
            return Reply(text=f"Pick a number from 1 to {len(action.options)}.", decision="error")
        if not await deps.pending.transition(
            action.id,
            PendingState.PENDING,
            PendingState.EXECUTED,
            now=deps.clock(),
            result={"picked": cmd.option},
        ):
            return Reply(text="That's already been answered.", decision="error")
        args = dict(action.resolved["args"])
        field, picked = action.resolved["field"], action.options[cmd.option][0]
        if field in ("assignees", "add_assignees"):
            args[field] = [picked if v == action.resolved.get("raw") else v for v in args.get(field) or []]
        else:
            args[field] = picked
        requester = await deps.requester(action.platform, action.user_id)
        call = ToolCall(tool=action.tool, args=args)
        result = await deps.gate.assess(
            call, requester, platform=action.platform, chat_user_id=action.user_id
        )
        convo = await deps.conversation(action.platform, action.channel_id, action.user_id)
        convo.choice = Choice(
            tool=action.tool,
            args=action.resolved["args"],
            field=field,
            options=action.options,
            picked=cmd.option,
        )
        asked = Asked(action.platform, action.user_id, action.channel_id, action.text, action.correlation_id)
        return await self.responder.reply(asked, result, requester, call, convo)

    async def _claim(self, pending_id: str, user_id: str, platform: str) -> PendingAction | Reply:
        """The pending action, if this person may act on it now; otherwise the reply saying why."""
        deps = self.deps
        action = await deps.pending.get(pending_id)
        if action is None or action.platform != platform:
            return Reply(
                text="I can't find that request any more. " + NOTHING_CHANGED, decision="error", private=True
            )
        if action.user_id != user_id:
            owner = await deps.requester(action.platform, action.user_id, charged=False)
            who = owner.name if owner else "the person who asked"
            return Reply(text=f"Only {who} can answer this.", decision="error", private=True)
        if action.state is not PendingState.PENDING:
            return Reply(text=ALREADY[action.state], decision="error")
        if action.expires_at <= deps.clock():
            await deps.pending.transition(action.id, PendingState.PENDING, PendingState.EXPIRED)
            return Reply(
                text="That request expired, so I did nothing. Ask me again if you still want it.",
                decision="expired",
            )
        return action

    async def _unclaimed(self, cmd: Confirm) -> Reply:
        """Why a confirm click moved nothing: not theirs, gone, answered, expired, or a pick."""
        found = await self._claim(cmd.pending_id, cmd.user_id, cmd.platform)
        if isinstance(found, Reply):
            return found
        if found.kind is not PendingKind.CONFIRM:
            return Reply(text="Pick one of the options first.", decision="error")
        return Reply(text="That's already been answered.", decision="error")  # by a click just now

    async def _execute(self, cmd: Confirm, action: PendingAction) -> Reply:
        """Re-check at the click, run the tool once, record it; then a request deferred until
        the person was linked, if this click linked them."""
        deps = self.deps
        tool = deps.registry.tool(action.tool)
        if tool is None:  # an extension that is gone since (a plugin removed, a server down)
            return await self._refuse(action, f"{action.tool} isn't available any more.")
        requester = await deps.requester(action.platform, action.user_id)
        before: Task | None = None
        try:
            if "task_id" in action.resolved:
                before = await deps.store.get_task(action.resolved["task_id"])
        except StoreError as exc:
            if not exc.not_found:
                raise
        refusal = await tool.recheck(deps.ports, action, requester, before)
        if refusal:
            return await self._refuse(action, refusal)
        caller = ToolContext(requester, action.platform, deps.clock()) if requester else None
        try:
            outcome = await tool.execute(Run(action, before, caller, deps.ports))
        except StoreError as exc:  # sent, then failed: a lost answer may hide a write that landed
            settled = await self._settle_uncertain(action, requester, exc)
            if settled is None:
                raise  # not in Notion: confirm() reports the failure, "Nothing was changed."
            return settled
        finally:
            deps.directory.forget_tasks()  # written, or maybe: names resolve against a fresh list
        if outcome.get("refused"):  # refused as it was written (a link taken since the re-check)
            return await self._refuse(action, outcome["refused"])
        try:
            await self._record_execution(action, requester, outcome)
        except StorageError as exc:  # the change is made: say so; recovery settles the record
            log.error("execution_not_recorded", pending_id=action.id, error=str(exc))
        await deps.bus.publish(
            ActionExecuted(
                correlation_id=action.correlation_id,
                platform=cmd.platform,
                user_id=cmd.user_id,
                tool=action.tool,
                page_id=outcome.get("page_id"),
            )
        )
        reply = Reply(
            text=await tool.done_text(deps.ports, action, outcome), decision="executed", tool=action.tool
        )
        if requester is None and await deps.requester(action.platform, action.user_id):
            reply.follow_up = await self._now_linked(action)
        return reply

    async def _now_linked(self, action: PendingAction) -> Reply | None:
        """The click linked the person: the request they made before, answered as understood then."""
        return await self.requests.after_linking(
            action.platform, action.channel_id, action.user_id, action.correlation_id
        )

    async def _refuse(self, action: PendingAction, refusal: str) -> Reply:
        """A confirmed action that may not run after all: failed, with the reason, nothing done."""
        await self.deps.pending.transition(
            action.id, PendingState.CONFIRMED, PendingState.FAILED, result={"error": refusal}
        )
        return Reply(text=f"{sentence(refusal)} {NOTHING_CHANGED}", decision="deny")

    async def _settle_uncertain(
        self, action: PendingAction, requester: Member | None, exc: StoreError
    ) -> Reply | None:
        """After a write failed, look in Notion. Done: record it and say so. Unknowable: say so
        and leave the action confirmed, for recovery to settle. Not done: None."""
        tool = self.deps.registry.tool(action.tool)
        try:
            done = tool is not None and await tool.landed(self.deps.ports, action)
        except StoreError:
            log.warning("write_outcome_unknown", pending_id=action.id, tool=action.tool, error=str(exc))
            return Reply(
                text=f"Notion didn't answer properly ({exc}), so I can't tell whether that was done. "
                "Please look in Notion before asking again.",
                decision="error",
            )
        if not done:
            return None
        await self._record_execution(action, requester, Outcome(page_id=action.resolved.get("task_id")))
        return Reply(
            text="Done, though Notion was slow to confirm it: the change is there.",
            decision="executed",
            tool=action.tool,
        )

    async def _record_execution(self, action: PendingAction, requester: Member | None, outcome: Any) -> None:
        await self.deps.audit.record_execution(
            action.id,
            {"page_id": outcome.get("page_id")},
            **action.audit_row("executed", self.deps.clock()),
            notion_user_id=requester.notion_user_id if requester else None,
            page_id=outcome.get("page_id"),
            before=outcome.get("before"),
            after=outcome.get("after"),
        )
