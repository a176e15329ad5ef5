"""Darcy's command handlers: the path of a request and of a click (DESIGN.md).

HandleRequest → identity → planner → gate → execute | confirm | choose | clarify | deny | verify | none
Confirm / Cancel / Choose → pending action → state moves once → re-check → execute → audit
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import structlog

from core import usage
from core.bus import MessageBus
from core.config import Settings
from core.context import Choice, Conversation, Conversations
from core.directory import Directory
from core.domain import Member, Project, Task
from core.executor import execute
from core.followup import follow_up
from core.gate import Decision, Gate, GateResult
from core.identity import AuditLog, IdentityRepository, LinkTaken
from core.messages import (
    ActionExecuted,
    ActionFailed,
    Cancel,
    Choose,
    Command,
    Confirm,
    DecisionMade,
    HandleRequest,
    RequestReceived,
    new_id,
)
from core.pending import PendingAction, PendingKind, PendingRepository, PendingState, args_hash
from core.planner import Planner, PlanningContext
from core.ports import StorageError, StoreError, TaskStore
from core.reads import Reads
from core.recheck import Recheck
from core.recovery import landed
from core.registry import ToolContext, ToolFailed
from core.replies import Reply
from core.tools import ToolCall
from core.wording import em, join_names, sentence

log = structlog.get_logger("darcy.service")
MAX_REQUEST_CHARS = 2_000  # a request, not a document: longer text is refused before planning
EMAIL_IN_TEXT = re.compile(r"[^@\s<>|:]+@[^@\s<>|]+\.[A-Za-z]{2,}")
NOTHING_CHANGED = "Nothing was changed."

HELP = (
    "I'm Darcy: I look after the club's tasks in Notion. Try:\n"
    "• “what are my tasks?” or “what's overdue in Marketing?”\n"
    "• “what's the status of Recruit judges?” (people, description, latest comments)\n"
    "• “assign Book photographer to Hiro due Friday in Industry Night”\n"
    "• “I've finished sending out the recruitment forms”\n"
    "• “comment on Order catering: can we get a vegan option?”\n"
    "I always ask before I change anything."
)
SMALL_TALK = {
    "thanks": "You're welcome! Anything else on your list?",
    "greeting": "Hi! Ask me about your tasks, or say “help” to see what I can do.",
    "out_of_scope": "That's outside what I can help with: I look after the club's Notion tasks. "
    "Say “help” to see what I can do.",
}


class Darcy:
    def __init__(
        self,
        *,
        settings: Settings,
        store: TaskStore,
        directory: Directory,
        gate: Gate,
        planner: Planner,
        identity: IdentityRepository,
        pending: PendingRepository,
        audit: AuditLog,
        bus: MessageBus,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings, self.store, self.directory, self.gate = settings, store, directory, gate
        self.planner, self.identity, self.pending, self.audit = planner, identity, pending, audit
        self.bus, self.clock = bus, clock
        self.conversations = Conversations()
        self.registry = gate.registry
        if hasattr(planner, "reader"):  # the LLM planner may chain reads of extension tools
            planner.reader = self._read_for_planner
        self.reads = Reads(store, directory, self.registry)
        self.recheck = Recheck(settings, directory)

    def register(self, bus: MessageBus) -> None:
        bus.handle_command(HandleRequest, _guarded(self.handle_request))
        bus.handle_command(Confirm, _guarded(self.confirm))
        bus.handle_command(Cancel, _guarded(self.cancel))
        bus.handle_command(Choose, _guarded(self.choose))

    # ---- a request -------------------------------------------------------------------

    async def handle_request(self, cmd: HandleRequest, planned: ToolCall | None = None) -> Reply:
        await self.bus.publish(
            RequestReceived(
                correlation_id=cmd.correlation_id,
                platform=cmd.platform,
                user_id=cmd.user_id,
                chars=len(cmd.text),
            )
        )
        try:
            return await self._handle(cmd, planned)
        except StoreError as exc:
            said = f"I couldn't reach Notion: {sentence(str(exc))} {NOTHING_CHANGED}"
            return Reply(text=said, decision="error")

    async def _handle(self, cmd: HandleRequest, planned: ToolCall | None = None) -> Reply:
        now = self.clock()
        convo = self.conversations.get((cmd.platform, cmd.channel_id, cmd.user_id), now)
        text = cmd.text.strip()
        if len(text) > MAX_REQUEST_CHARS:
            return Reply(
                text=f"That message is {len(text):,} characters long; I read requests of up to "
                f"{MAX_REQUEST_CHARS:,}. Could you say it more briefly?",
                decision="clarify",
            )
        requester = await self.requester(cmd.platform, cmd.user_id)
        email = EMAIL_IN_TEXT.search(text) if convo.awaiting_email else None
        notice: str | None = None
        if planned is not None:  # already understood (a request deferred until the person was linked)
            call = planned
        elif email:
            call = ToolCall(tool="link_account", args={"email": email.group(0)})
        else:
            projects = await self.directory.projects()
            ctx = await self._planning_context(cmd, requester, convo, now, projects)
            amended = follow_up(text, convo, now, ctx.members, projects, requester)
            if amended is not None and convo.open_pending:
                # The amendment replaces the confirmation it amends: the old buttons do nothing now.
                await self.pending.transition(
                    convo.open_pending, PendingState.PENDING, PendingState.CANCELLED
                )
            # Until someone is linked, the offline planner is enough to spot an e-mail or
            # small talk: no model is paid for a request that will be answered with "verify".
            planner = self.planner if requester else getattr(self.planner, "fallback", self.planner)
            call = amended or await planner.plan(text, ctx)
            notice = getattr(planner, "last_notice", None)  # e.g. the day's AI budget is spent
        convo.turns = [*convo.turns[-5:], text]
        result = await self.gate.assess(call, requester, platform=cmd.platform, chat_user_id=cmd.user_id)
        reply = await self._reply(cmd, result, requester, call, convo)
        if notice:
            reply.text = f"{notice}\n{reply.text}"
        await self.bus.publish(
            DecisionMade(
                correlation_id=cmd.correlation_id,
                platform=cmd.platform,
                user_id=cmd.user_id,
                tool=result.tool,
                decision=result.decision,
                pending_id=reply.pending_id,
            )
        )
        await self._audit(
            correlation_id=cmd.correlation_id,
            platform=cmd.platform,
            user_id=cmd.user_id,
            notion_user_id=requester.notion_user_id if requester else None,
            text=cmd.text,
            tool=result.tool,
            args=result.args,
            decision=result.decision,
        )
        return reply

    async def _read_for_planner(self, call: ToolCall, ctx: PlanningContext) -> str | None:
        """A read the model wants before it answers: through the gate like any request, so
        a tool the person may not use is never run for them. None ends the reading."""
        extension = self.registry.extension(call.tool)
        if ctx.requester is None or extension is None:
            return None
        result = await self.gate.assess(call, ctx.requester, platform=ctx.platform, chat_user_id="")
        if result.decision is not Decision.EXECUTE:
            return None
        try:
            said = await extension.call(
                result.plan["args"], ToolContext(ctx.requester, ctx.platform, ctx.now)
            )
        except ToolFailed as exc:
            said = f"Error: {exc}"
        return said[:4_000]

    async def explain(self, member: Member, text: str, platform: str = "terminal") -> GateResult:
        """What Darcy would decide for this person and text, and by which rule; nothing is stored."""
        convo = Conversation()
        cmd = HandleRequest(platform=platform, user_id=member.handle, text=text)
        ctx = await self._planning_context(cmd, member, convo, self.clock(), await self.directory.projects())
        call = await self.planner.plan(text, ctx)
        return await self.gate.assess(call, member, platform=platform, chat_user_id=member.handle)

    async def requester(self, platform: str, user_id: str, *, charged: bool = True) -> Member | None:
        """The member behind a chat account; `charged`: the command being handled is theirs
        (their usage line and daily budget)."""
        notion_id = await self.identity.lookup(platform, user_id)
        member = await self.directory.member(notion_id) if notion_id else None
        if member is not None and charged:
            usage.attribute(member.notion_user_id, member.handle)
        return member

    async def _planning_context(
        self,
        cmd: HandleRequest,
        requester: Member | None,
        convo: Conversation,
        now: datetime,
        projects: list[Project],
    ) -> PlanningContext:
        return PlanningContext(
            now=now,
            requester=requester,
            members=await self.directory.members(),
            projects=[p.name for p in projects],
            platform=cmd.platform,
            history=list(convo.turns),
        )

    async def _reply(
        self,
        cmd: Command,
        result: GateResult,
        requester: Member | None,
        call: ToolCall,
        convo: Conversation,
    ) -> Reply:
        base: dict[str, Any] = {"decision": result.decision.value, "tool": result.tool, "args": result.args}
        text = getattr(cmd, "text", "")
        if result.decision in (Decision.EXECUTE, Decision.CONFIRM, Decision.CHOOSE):
            convo.last_call, convo.open_pending = call, None
        match result.decision:
            case Decision.EXECUTE:
                return await self.reads.answer(
                    result, requester, base, platform=cmd.platform, now=self.clock()
                )
            case Decision.CONFIRM:
                action = await self._park(cmd, result, PendingKind.CONFIRM, text)
                convo.open_pending = action.id
                return Reply(
                    text=f"I'm going to {result.summary}. Shall I go ahead?", pending_id=action.id, **base
                )
            case Decision.CHOOSE:
                action = await self._park(cmd, result, PendingKind.CHOOSE, text, call=call)
                return Reply(
                    text=result.message,
                    pending_id=action.id,
                    options=[label for _, label in result.options],
                    **base,
                )
            case Decision.VERIFY:
                if text:  # the latest request is the one to answer once linked
                    convo.deferred = (text, call)
                convo.awaiting_email = True
                return Reply(
                    text="I don't know who you are in Notion yet. What's the e-mail address of your "
                    "Notion account? I'll link it to this account, then get back to your request.",
                    **base,
                )
            case Decision.NONE:
                message = result.message or (
                    self._help() if call.intent in (None, "help") else SMALL_TALK.get(call.intent, HELP)
                )
                return Reply(text=message, **base)
            case _:
                if result.tool == "link_account" and result.decision == Decision.CLARIFY:
                    convo.awaiting_email = True
                return Reply(text=result.message, **base)

    def _help(self) -> str:
        extras = [s.name for s in self.registry.specs.values() if s.source != "notion"]
        if not extras:
            return HELP
        if hasattr(self.planner, "reader"):
            return f"{HELP}\nI can also use: {join_names(extras)}."
        return (
            f"{HELP}\nThis workspace also has {join_names(extras)}, which I can only use with an "
            "AI model configured: ask an admin."
        )

    async def _park(
        self,
        cmd: Command,
        result: GateResult,
        kind: PendingKind,
        text: str,
        call: ToolCall | None = None,
    ) -> PendingAction:
        now = self.clock()
        plan = dict(result.plan)
        if kind is PendingKind.CHOOSE and call is not None:
            plan = {"args": call.args, "field": result.choose_field, "raw": result.choose_raw}
        action = PendingAction(
            id=new_id()[:20],
            kind=kind,
            platform=cmd.platform,
            user_id=cmd.user_id,  # type: ignore[attr-defined]
            channel_id=getattr(cmd, "channel_id", "direct"),
            tool=result.tool or "",
            plan=plan,
            options=result.options,
            summary=result.summary or result.message,
            text=text,
            args_hash=args_hash(result.tool or "", plan),
            created_at=now,
            expires_at=now + timedelta(minutes=self.settings.pending.expiry_minutes),
            correlation_id=cmd.correlation_id,
        )
        await self.pending.add(action)
        return action

    async def audit_action(self, action: PendingAction, decision: str, **extra: Any) -> None:
        """What happened to a pending action (executed, cancelled, failed), with its request."""
        await self.audit.record(**self._action_row(action, decision), **extra)

    def _action_row(self, action: PendingAction, decision: str) -> dict[str, Any]:
        return {
            "at": self.clock(),  # as _audit: the clock "undo" windows are measured on
            "correlation_id": action.correlation_id,
            "platform": action.platform,
            "user_id": action.user_id,
            "text": action.text,
            "tool": action.tool,
            "args": action.plan,
            "decision": decision,
        }

    async def _audit(self, **row: Any) -> None:
        """Stamped with the workspace clock, which is also what "undo" windows are measured on."""
        await self.audit.record(at=self.clock(), **row)

    # ---- clicks ----------------------------------------------------------------------

    async def _claim(self, pending_id: str, user_id: str, platform: str) -> PendingAction | Reply:
        """The pending action, if this person may act on it now; otherwise the reply saying why."""
        action = await self.pending.get(pending_id)
        if action is None or action.platform != platform:
            return Reply(
                text="I can't find that request any more. " + NOTHING_CHANGED, decision="error", private=True
            )
        if action.user_id != user_id:
            owner = await self.requester(action.platform, action.user_id, charged=False)
            who = owner.name if owner else "the person who asked"
            return Reply(text=f"Only {who} can answer this.", decision="error", private=True)
        if action.state is not PendingState.PENDING:
            said = {
                PendingState.EXECUTED: "That's already done.",
                PendingState.CONFIRMED: "That's already being done.",
                PendingState.CANCELLED: "That was cancelled. " + NOTHING_CHANGED,
                PendingState.EXPIRED: "That request expired. " + NOTHING_CHANGED,
                PendingState.FAILED: "That request failed earlier. " + NOTHING_CHANGED,
            }[action.state]
            return Reply(text=said, decision="error")
        if action.expires_at <= self.clock():
            await self.pending.transition(action.id, PendingState.PENDING, PendingState.EXPIRED)
            return Reply(
                text="That request expired, so I did nothing. Ask me again if you still want it.",
                decision="expired",
            )
        return action

    async def confirm(self, cmd: Confirm) -> Reply:
        # The usual click in one step: the person's own confirmation, pending and in time.
        action = await self.pending.claim(
            cmd.pending_id, platform=cmd.platform, user_id=cmd.user_id, now=self.clock()
        )
        if action is None:
            return await self._unclaimed(cmd)
        if args_hash(action.tool, action.plan) != action.args_hash:  # altered since it was shown
            await self.pending.transition(action.id, PendingState.CONFIRMED, PendingState.FAILED)
            log.error("pending_action_altered", pending_id=action.id)
            return Reply(
                text="That request changed after you were asked, so I stopped. " + NOTHING_CHANGED,
                decision="error",
            )
        try:
            return await self._execute(cmd, action)
        except (StoreError, ToolFailed) as exc:
            await self.pending.transition(
                action.id, PendingState.CONFIRMED, PendingState.FAILED, result={"error": str(exc)}
            )
            await self.bus.publish(
                ActionFailed(
                    correlation_id=action.correlation_id,
                    platform=cmd.platform,
                    user_id=cmd.user_id,
                    tool=action.tool,
                    error=str(exc),
                )
            )
            source = "Notion" if isinstance(exc, StoreError) else action.tool
            said = f"{source} didn't accept the change: {sentence(str(exc))} {NOTHING_CHANGED}"
            return Reply(text=said, decision="error")

    async def _unclaimed(self, cmd: Confirm) -> Reply:
        """Why a confirm click moved nothing: not theirs, gone, answered, expired, or a pick."""
        found = await self._claim(cmd.pending_id, cmd.user_id, cmd.platform)
        if isinstance(found, Reply):
            return found
        if found.kind is not PendingKind.CONFIRM:
            return Reply(text="Pick one of the options first.", decision="error")
        return Reply(text="That's already been answered.", decision="error")  # by a click just now

    async def _execute(self, cmd: Confirm, action: PendingAction) -> Reply:
        requester = await self.requester(action.platform, action.user_id)
        before: Task | None = None
        try:
            if "task_id" in action.plan:
                before = await self.store.get_task(action.plan["task_id"])
        except StoreError as exc:
            if not exc.not_found:
                raise
        if action.tool == "link_account":  # one chat account per Notion user: again at the click
            holder = await self.identity.holder(action.platform, action.plan["notion_user_id"])
            taken = holder not in (None, action.user_id)
            refusal = str(LinkTaken(action.platform, action.plan["notion_user_id"])) if taken else None
        else:
            refusal = await self.recheck(action, requester, before)
        if refusal:
            return await self._refuse(action, refusal)
        extension = self.registry.extension(action.tool)
        try:
            outcome = await execute(
                action.id,
                action.tool,
                action.plan,
                store=self.store,
                identity=self.identity,
                platform=action.platform,
                chat_user_id=action.user_id,
                before=before,
                extension=extension,
                context=ToolContext(requester, action.platform, self.clock())
                if extension and requester
                else None,
            )
        except StoreError as exc:  # sent, then failed: a lost answer may hide a write that landed
            settled = await self._settle_uncertain(action, requester, exc)
            if settled is None:
                raise  # not in Notion: confirm() reports the failure, "Nothing was changed."
            return settled
        finally:
            self.directory.forget_tasks()  # written, or maybe: names resolve against a fresh list
        if outcome.get("refused"):  # refused as it was written (a link taken since the check above)
            return await self._refuse(action, outcome["refused"])
        try:
            await self._record_execution(action, requester, outcome)
        except StorageError as exc:  # the change is made: say so; recovery settles the record
            log.error("execution_not_recorded", pending_id=action.id, error=str(exc))
        await self.bus.publish(
            ActionExecuted(
                correlation_id=action.correlation_id,
                platform=cmd.platform,
                user_id=cmd.user_id,
                tool=action.tool,
                page_id=outcome.get("page_id"),
            )
        )
        reply = Reply(text=await self._done_text(action, outcome), decision="executed", tool=action.tool)
        if action.tool == "link_account":
            convo = self.conversations.get((action.platform, action.channel_id, action.user_id), self.clock())
            convo.awaiting_email = False
            deferred, convo.deferred = convo.deferred, None
            if deferred is not None:  # answered as understood then: a click costs no model call
                text, call = deferred
                reply.follow_up = await self.handle_request(
                    HandleRequest(
                        platform=action.platform,
                        user_id=action.user_id,
                        channel_id=action.channel_id,
                        text=text,
                        correlation_id=action.correlation_id,
                    ),
                    planned=call,
                )
        return reply

    async def _refuse(self, action: PendingAction, refusal: str) -> Reply:
        """A confirmed action that may not run after all: failed, with the reason, nothing done."""
        await self.pending.transition(
            action.id, PendingState.CONFIRMED, PendingState.FAILED, result={"error": refusal}
        )
        return Reply(text=f"{sentence(refusal)} {NOTHING_CHANGED}", decision="deny")

    async def _settle_uncertain(
        self, action: PendingAction, requester: Member | None, exc: StoreError
    ) -> Reply | None:
        """After a write failed, look in Notion. Done: record it and say so. Unknowable: say so
        and leave the action confirmed, for recovery to settle. Not done: None."""
        try:
            done = await landed(self, action)
        except StoreError:
            log.warning("write_outcome_unknown", pending_id=action.id, tool=action.tool, error=str(exc))
            return Reply(
                text=f"Notion didn't answer properly ({exc}), so I can't tell whether that was done. "
                "Please look in Notion before asking again.",
                decision="error",
            )
        if not done:
            return None
        await self._record_execution(action, requester, {"page_id": action.plan.get("task_id")})
        return Reply(
            text="Done, though Notion was slow to confirm it: the change is there.",
            decision="executed",
            tool=action.tool,
        )

    async def _record_execution(self, action: PendingAction, requester: Member | None, outcome: Any) -> None:
        await self.audit.record_execution(
            action.id,
            {"page_id": outcome.get("page_id")},
            **self._action_row(action, "executed"),
            notion_user_id=requester.notion_user_id if requester else None,
            page_id=outcome.get("page_id"),
            before=outcome.get("before"),
            after=outcome.get("after"),
        )

    async def _done_text(self, action: PendingAction, outcome: dict[str, Any]) -> str:
        link = f" {outcome['url']}" if outcome.get("url") else ""
        title = outcome.get("title", "")
        if action.tool == "create_task":
            return f"Done: created {em(title)}.{link}"
        if action.tool == "update_task":
            changes = action.plan["changes"]
            people = {m.notion_user_id: m.name for m in await self.directory.members()}
            parts = []
            for key, value in changes.items():
                if key == "assignee_ids":
                    parts.append(f"people in charge → {join_names([people.get(i, '?') for i in value])}")
                elif key == "project_id":
                    parts.append("project changed")
                else:
                    parts.append(f"{key} → {value}")
            return f"Done: updated {em(title)} ({', '.join(parts)}).{link}"
        if action.tool == "add_comment":
            return f"Done: commented on {em(title)}.{link}"
        if outcome.get("result") is not None:  # an extension tool: what it said
            return f"Done: {outcome['result']}"
        if action.tool == "update_tasks":
            return f"Done: updated {join_names([f'{em(t)}' for t in outcome['titles']])}."
        if action.tool == "undo":
            if action.plan.get("archive"):
                return f"Undone: {em(title)} is in Notion's trash."
            return f"Undone: {em(title)} is back as it was.{link}"
        member = await self.directory.member(action.plan["notion_user_id"])
        return f"Linked: you're {member.name if member else action.plan['email']} in Notion now."

    async def cancel(self, cmd: Cancel) -> Reply:
        action = await self._claim(cmd.pending_id, cmd.user_id, cmd.platform)
        if isinstance(action, Reply):
            return action
        if not await self.pending.transition(action.id, PendingState.PENDING, PendingState.CANCELLED):
            # A confirm (here or on another replica) won the race: the change is happening.
            return Reply(text="Too late to cancel: that was confirmed and is being done.", decision="error")
        await self.audit_action(action, "cancelled")
        return Reply(text="Cancelled. " + NOTHING_CHANGED, decision="cancelled")

    async def choose(self, cmd: Choose) -> Reply:
        action = await self._claim(cmd.pending_id, cmd.user_id, cmd.platform)
        if isinstance(action, Reply):
            return action
        if action.kind is not PendingKind.CHOOSE:
            return Reply(text="There's nothing to pick here: confirm or cancel.", decision="error")
        if not 0 <= cmd.option < len(action.options):
            return Reply(text=f"Pick a number from 1 to {len(action.options)}.", decision="error")
        if not await self.pending.transition(
            action.id,
            PendingState.PENDING,
            PendingState.EXECUTED,
            now=self.clock(),
            result={"picked": cmd.option},
        ):
            return Reply(text="That's already been answered.", decision="error")
        args = dict(action.plan["args"])
        field, picked = action.plan["field"], action.options[cmd.option][0]
        if field in ("assignees", "add_assignees"):
            args[field] = [picked if v == action.plan.get("raw") else v for v in args.get(field) or []]
        else:
            args[field] = picked
        requester = await self.requester(action.platform, action.user_id)
        call = ToolCall(tool=action.tool, args=args)
        result = await self.gate.assess(
            call, requester, platform=action.platform, chat_user_id=action.user_id
        )
        convo = self.conversations.get((action.platform, action.channel_id, action.user_id), self.clock())
        convo.choice = Choice(
            tool=action.tool, args=action.plan["args"], field=field, options=action.options, picked=cmd.option
        )
        request = HandleRequest(
            platform=action.platform,
            user_id=action.user_id,
            channel_id=action.channel_id,
            text=action.text,
            correlation_id=action.correlation_id,
        )
        return await self._reply(request, result, requester, call, convo)


def _guarded(handler: Callable[[Any], Awaitable[Reply]]) -> Callable[[Any], Awaitable[Reply]]:
    """Darcy's own database failing is an outage to report, not a crash: the state of a
    click cannot move without it, so nothing was done."""

    async def run(command: Any) -> Reply:
        try:
            return await handler(command)
        except StorageError as exc:
            log.error("storage_unavailable", command=type(command).__name__, error=str(exc))
            return Reply(
                text="I can't reach my own database right now, so I did nothing. "
                "Please try again in a minute.",
                decision="error",
            )

    return run
