"""From a gate decision to what the person sees: reads answered at once, writes and picks parked
as pending actions behind buttons, questions asked, small talk answered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core.conversation import Conversation
from core.domain import Member
from core.extensions import ToolContext
from core.gate import Decision, GateResult
from core.handlers.deps import Deps
from core.limits import UNLIMITED
from core.messages import new_id
from core.observability import span
from core.pending import PendingAction, PendingKind, args_hash
from core.replies import Reply
from core.tools import ToolCall
from core.wording import join_names

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
ASK_EMAIL = (
    "I don't know who you are in Notion yet. What's the e-mail address of your "
    "Notion account? Once this account is linked to it, I'll get back to your request."
)


@dataclass(frozen=True)
class Asked:
    """Who asked, where, and in which words: what a reply and its pending action need."""

    platform: str
    user_id: str
    channel_id: str
    text: str
    correlation_id: str


class Responder:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def reply(
        self, asked: Asked, result: GateResult, requester: Member | None, call: ToolCall, convo: Conversation
    ) -> Reply:
        with span("darcy.reply") as current:
            reply = await self._reply(asked, result, requester, call, convo)
            if reply.pending_id:
                current.set_attribute("darcy.pending_id", reply.pending_id)
            return reply

    async def _reply(
        self, asked: Asked, result: GateResult, requester: Member | None, call: ToolCall, convo: Conversation
    ) -> Reply:
        deps = self.deps
        base: dict[str, Any] = {"decision": result.decision.value, "tool": result.tool, "args": result.args}
        tool = deps.registry.tool(result.tool)
        asks = result.decision in (Decision.CONFIRM, Decision.CHOOSE)
        if asks and (full := await self._too_many_open(asked)):
            return full
        if result.decision in (Decision.EXECUTE, Decision.CONFIRM, Decision.CHOOSE):
            convo.last_call, convo.open_pending = call, None
        match result.decision:
            case Decision.EXECUTE:
                assert tool is not None and requester is not None  # reads run for linked people only
                caller = ToolContext(requester, asked.platform, deps.clock())
                return await tool.answer(deps.ports, result, caller, base)
            case Decision.CONFIRM:
                action = await self._park(asked, result, PendingKind.CONFIRM, result.resolved)
                convo.open_pending = action.id
                return Reply(
                    text=f"I'm going to {result.summary}. Shall I go ahead?",
                    pending_id=action.id,
                    details=result.details,
                    **base,
                )
            case Decision.CHOOSE:
                pick = {"args": call.args, "field": result.choose_field, "raw": result.choose_raw}
                action = await self._park(asked, result, PendingKind.CHOOSE, pick)
                return Reply(
                    text=result.message,
                    pending_id=action.id,
                    options=[label for _, label in result.options],
                    **base,
                )
            case Decision.VERIFY:
                if asked.text:  # the latest request is the one to answer once linked
                    convo.deferred = (asked.text, call)
                convo.awaiting_email = True
                return Reply(text=ASK_EMAIL, **base)
            case Decision.NONE:
                message = result.message or (
                    self.help() if call.intent in (None, "help") else SMALL_TALK.get(call.intent, HELP)
                )
                return Reply(text=message, **base)
            case _:
                if tool is not None and tool.for_strangers and result.decision == Decision.CLARIFY:
                    convo.awaiting_email = True  # linking asked for the address again
                return Reply(text=result.message, **base)

    def help(self) -> str:
        extras = [s.name for s in self.deps.registry.specs.values() if s.source != "notion"]
        if not extras:
            return HELP
        if self.deps.planner.uses_extensions:
            return f"{HELP}\nI can also use: {join_names(extras)}."
        return (
            f"{HELP}\nThis workspace also has {join_names(extras)}, which I can only use with an "
            "AI model configured: ask an admin."
        )

    async def _too_many_open(self, asked: Asked) -> Reply | None:
        """At most `[limits] open_confirmations` questions wait for one person's answer at once."""
        cap = self.deps.settings.limits.open_confirmations
        if not cap or asked.platform in UNLIMITED:
            return None
        if await self.deps.pending.open_count(asked.platform, asked.user_id, self.deps.clock()) < cap:
            return None
        return Reply(
            text=f"You have {cap} confirmations waiting for your answer: confirm or cancel one of them "
            "first. Nothing was changed.",
            decision="deny",
        )

    async def _park(
        self, asked: Asked, result: GateResult, kind: PendingKind, resolved: dict[str, Any]
    ) -> PendingAction:
        """Store the action the buttons stand for: they carry only its id."""
        now = self.deps.clock()
        action = PendingAction(
            id=new_id()[:20],
            kind=kind,
            platform=asked.platform,
            user_id=asked.user_id,
            channel_id=asked.channel_id,
            tool=result.tool or "",
            resolved=dict(resolved),
            options=result.options,
            summary=result.summary or result.message,
            text=asked.text,
            args_hash=args_hash(result.tool or "", resolved),
            created_at=now,
            expires_at=now + timedelta(minutes=self.deps.settings.pending.expiry_minutes),
            correlation_id=asked.correlation_id,
        )
        await self.deps.pending.add(action)
        return action
