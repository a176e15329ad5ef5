"""Notification settings in chat, before the planner: "remind me at 8:30", "quiet hours
10pm-8am", "no more reminders", "what do you send me?". A person's choice is stored (Darcy's own
database, nothing in Notion) and takes effect at the next tick; the audit log records it."""

from __future__ import annotations

import calendar
from collections.abc import Awaitable, Callable
from typing import Any

from core.domain import Member
from core.handlers.deps import Deps
from core.messages import HandleRequest
from core.notify import phrases
from core.notify.planner import ChannelDigest
from core.notify.service import NotificationService
from core.replies import Reply
from core.wording import join_names

CHANGE_IT = 'Change it by saying, e.g., "remind me at 8:30", "quiet hours 10pm-8am" or "no more reminders".'

UNLINKED = (
    "I send nothing to anyone until they've linked their Notion account, so there's nothing to change. "
    'Ask me about your tasks ("show me my tasks") to link it.'
)


def said(changes: dict[str, Any]) -> str:
    """What a change means, in a sentence."""
    if "morning" in changes:
        return f"I'll send your reminders at {changes['morning']}."
    if "quiet_start" in changes:
        if changes["quiet_start"] is None:
            return "No quiet hours: notices arrive whenever they're due."
        return f"Quiet hours {changes['quiet_start']}–{changes['quiet_end']}: nothing arrives then."
    if "days_before" in changes:
        n = changes["days_before"]
        return (
            "I'll remind you on the due day."
            if n == 0
            else f"I'll remind you {n} day(s) before a task is due."
        )
    if "timezone" in changes:
        return f"Your timezone is {changes['timezone']} now."
    key, on = next(iter(changes.items()))
    name = {"reminders": "reminders", "assigned": "assignment messages", "digest": "the morning digest"}[key]
    if on:
        return f"Done: {name} {'is' if key == 'digest' else 'are'} on."
    again = {
        "reminders": "turn on reminders",
        "assigned": "send me assignment messages",
        "digest": "turn on digest",
    }
    them = "it" if key == "digest" else "them"
    return f"No more {name.removeprefix('the ')}. Say “{again[key]}” to have {them} back."


class NoticeSettings:
    def __init__(
        self, deps: Deps, service: NotificationService, planned: Callable[[HandleRequest], Awaitable[Reply]]
    ) -> None:
        self.deps, self.service, self.planned = deps, service, planned

    async def handle(self, cmd: HandleRequest) -> Reply:
        try:
            meaning = phrases.parse(cmd.text)
        except phrases.Unclear as exc:
            return Reply(text=f"{exc}.", decision="clarify")
        if meaning is None:
            return await self.planned(cmd)
        requester = await self.deps.requester(cmd.platform, cmd.user_id)
        if requester is None:  # not linked: nothing is ever sent to them
            return Reply(text=UNLINKED, decision="none")
        person = requester.notion_user_id
        if meaning == phrases.SHOW:
            prefs = await self.service.prefs_of(person)
            lines = "\n".join(f"• {line}" for line in prefs.describe())
            return Reply(text=f"Here's what I send you:\n{lines}\n{CHANGE_IT}", decision="execute")
        assert isinstance(meaning, dict)
        if "channel_digest" in meaning or "digest_off" in meaning:
            return await self._channel_digest(cmd, requester, meaning)
        await self.service.ledger.set_prefs(person, meaning)
        await self.deps.audit.record(
            at=self.deps.clock(),
            correlation_id=cmd.correlation_id,
            platform=cmd.platform,
            user_id=cmd.user_id,
            notion_user_id=person,
            text=cmd.text,
            tool="notify_settings",
            args=meaning,
            decision="executed_settings",
        )
        return Reply(text=said(meaning), decision="execute")

    async def _channel_digest(self, cmd: HandleRequest, requester: Member, meaning: dict[str, Any]) -> Reply:
        """A project's weekly digest in this channel: its lead's (or an admin's) to set or stop."""
        wanted = (meaning.get("channel_digest") or meaning["digest_off"])["project"]
        projects = await self.deps.directory.projects()
        project = next((p for p in projects if p.name.casefold() == wanted.casefold()), None)
        if project is None:
            known = ", ".join(p.name for p in projects)
            return Reply(
                text=f"I don't know a project called {wanted}. The projects: {known}.", decision="clarify"
            )
        if requester.role != "admin" and requester.notion_user_id not in project.lead_ids:
            members = {m.notion_user_id: m.name for m in await self.deps.directory.members()}
            leads = join_names([members.get(i, "its lead") for i in project.lead_ids]) or "its lead"
            return Reply(
                text=f"Only {project.name}'s lead ({leads}) or an admin can set its digest.", decision="deny"
            )
        digest_id = f"{cmd.platform}:{cmd.channel_id}:{project.id}"
        if "digest_off" in meaning:
            gone = await self.service.ledger.drop_digest(digest_id)
            text = (
                f"No more {project.name} digest here." if gone else f"There's no {project.name} digest here."
            )
            return Reply(text=text, decision="execute")
        spec = meaning["channel_digest"]
        digest = ChannelDigest(
            digest_id,
            project.id,
            project.name,
            cmd.platform,
            cmd.channel_id,
            spec["weekday"],
            spec["at"],
            self.deps.settings.workspace.timezone,
        )
        await self.service.ledger.set_digest(digest, requester.notion_user_id)
        weekday = calendar.day_name[spec["weekday"]]
        return Reply(
            text=f"Every {weekday} at {spec['at']} I'll post {project.name}'s week here: what's overdue, "
            f"due that week and finished the week before (nothing on an empty week). "
            f"Say “no more digest for {project.name} here” to stop it.",
            decision="execute",
        )
