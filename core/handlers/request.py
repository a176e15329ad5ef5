"""A person typed something: identity → planner → gate → a reply (docs/architecture.md)."""

from __future__ import annotations

import re
from datetime import datetime

from core.conversation import Conversation
from core.domain import Member, Project
from core.followup import follow_up
from core.gate import Decision, GateResult
from core.handlers.deps import Deps
from core.handlers.replies import Asked, Responder
from core.identity import Proof
from core.linking import CODE_IN_TEXT
from core.messages import DecisionMade, HandleRequest, RequestReceived
from core.pending import PendingState
from core.planner import PlannerInput
from core.ports import StoreError
from core.registry import ToolContext, ToolFailed
from core.replies import Reply
from core.tools import MAX_TEXT_CHARS, ToolCall
from core.wording import sentence

MAX_REQUEST_CHARS = MAX_TEXT_CHARS  # a request, not a document: longer text is refused before planning
EMAIL_IN_TEXT = re.compile(r"[^@\s<>|:]+@[^@\s<>|]+\.[A-Za-z]{2,}")
NOTHING_CHANGED = "Nothing was changed."


class RequestHandler:
    def __init__(self, deps: Deps, responder: Responder) -> None:
        self.deps, self.responder = deps, responder
        deps.planner.reader = self._read_for_planner  # planners that chain reads use it

    async def handle(self, cmd: HandleRequest) -> Reply:
        """The HandleRequest command: a Notion outage is said, never raised."""
        await self._received(cmd)
        try:
            return await self._handle(cmd)
        except StoreError as exc:
            return Reply(
                text=f"I couldn't reach Notion: {sentence(str(exc))} {NOTHING_CHANGED}", decision="error"
            )

    async def answer_deferred(self, cmd: HandleRequest, call: ToolCall) -> Reply:
        """A request understood before the person was linked, answered now as understood then:
        the click that linked them costs no model call."""
        await self._received(cmd)
        try:
            requester = await self.deps.requester(cmd.platform, cmd.user_id)
            convo = await self.deps.conversation(cmd.platform, cmd.channel_id, cmd.user_id)
            convo.said(cmd.text.strip())
            return await self._decide(cmd, call, requester, convo)
        except StoreError as exc:
            return Reply(
                text=f"I couldn't reach Notion: {sentence(str(exc))} {NOTHING_CHANGED}", decision="error"
            )

    async def _received(self, cmd: HandleRequest) -> None:
        await self.deps.bus.publish(
            RequestReceived(
                correlation_id=cmd.correlation_id,
                platform=cmd.platform,
                user_id=cmd.user_id,
                chars=len(cmd.text),
            )
        )

    async def _handle(self, cmd: HandleRequest) -> Reply:
        deps = self.deps
        now = deps.clock()
        convo = await deps.conversation(cmd.platform, cmd.channel_id, cmd.user_id)
        text = cmd.text.strip()
        if len(text) > MAX_REQUEST_CHARS:
            return Reply(
                text=f"That message is {len(text):,} characters long; I read requests of up to "
                f"{MAX_REQUEST_CHARS:,}. Could you say it more briefly?",
                decision="clarify",
            )
        requester = await deps.requester(cmd.platform, cmd.user_id)
        notices: list[str] = []
        if requester is None and cmd.verified_email:
            # The platform vouches for this person's e-mail: a member with it is linked now,
            # with no question, and the request is answered as theirs.
            verified = await deps.linking.by_verified_email(cmd.platform, cmd.user_id, cmd.verified_email)
            if verified.reply is not None:
                return await self._linking(cmd, verified.reply, None)
            if verified.member is not None:
                requester = await deps.requester(cmd.platform, cmd.user_id)
                convo.awaiting_email = False
                await self._audit_link(cmd, verified.member.notion_user_id, Proof.SLACK_EMAIL)
                if verified.notice:
                    notices.append(verified.notice)
        if requester is None and not deps.linking.trusted(cmd.platform):
            answered = await deps.linking.answer(cmd.platform, cmd.user_id, text, convo)
            if answered is not None:  # a sign-in code typed back, or "ask an admin"
                said = "[a sign-in code]" if CODE_IN_TEXT.fullmatch(text) else None
                return await self._linking(cmd, answered, said)
        email = EMAIL_IN_TEXT.search(text) if convo.awaiting_email else None
        if email and convo.wants_admin and requester is None:  # "ask an admin", then the e-mail
            convo.awaiting_email = convo.wants_admin = False
            asked = await deps.linking.ask_admin(cmd.platform, cmd.user_id, email.group(0))
            return await self._linking(cmd, asked, None)
        if cmd.new_task_title is not None:
            call = ToolCall(tool="create_task", args={"title": cmd.new_task_title})
        elif email:
            call = ToolCall(tool="link_account", args={"email": email.group(0)})
        else:
            projects = await deps.directory.projects()
            facts = await self._planner_input(cmd, requester, convo, now, projects)
            amended = follow_up(text, convo, now, facts.members, projects, requester)
            if amended is not None and convo.open_pending:
                # The amendment replaces the confirmation it amends: the old buttons do nothing now.
                convo.replacing(convo.open_pending)
                await deps.pending.transition(
                    convo.open_pending, PendingState.PENDING, PendingState.CANCELLED
                )
            if amended is not None:
                call = amended
            else:
                # Until someone is linked, the fallback planner is enough to spot an e-mail or
                # small talk: no model is paid for a request that will be answered with "verify".
                planner = deps.planner if requester else (deps.planner.fallback or deps.planner)
                planned = await planner.plan(text, facts)
                call = planned.call
                if planned.notice:
                    notices.append(planned.notice)
        convo.said(text)
        reply = await self._decide(cmd, call, requester, convo)
        if notices:
            reply.text = "\n".join([*notices, reply.text])
        return reply

    async def _linking(self, cmd: HandleRequest, reply: Reply, said: str | None) -> Reply:
        """A step of proving who someone is: its event, its audit row (a code typed is never
        kept), and, once linked, the request they made before, answered."""
        deps = self.deps
        await deps.bus.publish(
            DecisionMade(
                correlation_id=cmd.correlation_id,
                platform=cmd.platform,
                user_id=cmd.user_id,
                tool=reply.tool,
                decision=reply.decision or "none",
            )
        )
        linked = None
        if reply.decision == "executed":
            linked = await deps.requester(cmd.platform, cmd.user_id, charged=False)
        await deps.audit.record(
            at=deps.clock(),
            correlation_id=cmd.correlation_id,
            platform=cmd.platform,
            user_id=cmd.user_id,
            notion_user_id=linked.notion_user_id if linked else None,
            text=said if said is not None else cmd.text,
            tool=reply.tool,
            args=reply.args,
            decision=reply.decision or "none",
        )
        if linked is not None:
            reply.follow_up = await self.after_linking(
                cmd.platform, cmd.channel_id, cmd.user_id, cmd.correlation_id
            )
        return reply

    async def _audit_link(self, cmd: HandleRequest, notion_user_id: str, via: str) -> None:
        await self.deps.audit.record(
            at=self.deps.clock(),
            correlation_id=cmd.correlation_id,
            platform=cmd.platform,
            user_id=cmd.user_id,
            notion_user_id=notion_user_id,
            text="",
            tool="link_account",
            args={"via": via},
            decision="executed",
        )

    async def after_linking(
        self, platform: str, channel_id: str, user_id: str, correlation_id: str
    ) -> Reply | None:
        """The person was just linked: the request they made before, answered as understood then."""
        convo = await self.deps.conversation(platform, channel_id, user_id)
        convo.awaiting_email = convo.wants_admin = False
        deferred, convo.deferred = convo.deferred, None
        if deferred is None:
            return None
        text, call = deferred
        return await self.answer_deferred(
            HandleRequest(
                platform=platform,
                user_id=user_id,
                channel_id=channel_id,
                text=text,
                correlation_id=correlation_id,
            ),
            call,
        )

    async def _decide(
        self, cmd: HandleRequest, call: ToolCall, requester: Member | None, convo: Conversation
    ) -> Reply:
        """The gate's decision on a call, the reply, its event and its audit row."""
        deps = self.deps
        result = await deps.gate.assess(call, requester, platform=cmd.platform, chat_user_id=cmd.user_id)
        asked = Asked(cmd.platform, cmd.user_id, cmd.channel_id, cmd.text, cmd.correlation_id)
        reply = await self.responder.reply(asked, result, requester, call, convo)
        await deps.bus.publish(
            DecisionMade(
                correlation_id=cmd.correlation_id,
                platform=cmd.platform,
                user_id=cmd.user_id,
                tool=result.tool,
                decision=result.decision,
                pending_id=reply.pending_id,
            )
        )
        # Stamped with the workspace clock, which is also what "undo" windows are measured on.
        await deps.audit.record(
            at=deps.clock(),
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

    async def _read_for_planner(self, call: ToolCall, facts: PlannerInput) -> str | None:
        """A read the model wants before it answers: through the gate like any request, so
        a tool the person may not use is never run for them. None ends the reading."""
        extension = self.deps.registry.extension(call.tool)
        if facts.requester is None or extension is None:
            return None
        result = await self.deps.gate.assess(call, facts.requester, platform=facts.platform, chat_user_id="")
        if result.decision is not Decision.EXECUTE:
            return None
        try:
            said = await extension.call(
                result.resolved["args"], ToolContext(facts.requester, facts.platform, facts.now)
            )
        except ToolFailed as exc:
            said = f"Error: {exc}"
        return said[:4_000]

    async def explain(self, member: Member, text: str, platform: str = "terminal") -> GateResult:
        """What Darcy would decide for this person and text, and by which rule; nothing is stored."""
        cmd = HandleRequest(platform=platform, user_id=member.handle, text=text)
        facts = await self._planner_input(
            cmd, member, Conversation(), self.deps.clock(), await self.deps.directory.projects()
        )
        planned = await self.deps.planner.plan(text, facts)
        return await self.deps.gate.assess(
            planned.call, member, platform=platform, chat_user_id=member.handle
        )

    async def _planner_input(
        self,
        cmd: HandleRequest,
        requester: Member | None,
        convo: Conversation,
        now: datetime,
        projects: list[Project],
    ) -> PlannerInput:
        return PlannerInput(
            now=now,
            requester=requester,
            members=await self.deps.directory.members(),
            projects=[p.name for p in projects],
            platform=cmd.platform,
            history=list(convo.turns),
        )
