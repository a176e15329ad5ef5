"""What the command handlers share: the ports and services the composition root built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from core import usage
from core.actions.base import Ports
from core.bus import MessageBus
from core.config import Settings
from core.conversation import Conversation, Conversations
from core.directory import Directory
from core.domain import Member
from core.gate import Assessor
from core.identity import AuditLog, IdentityRepository, Proof
from core.linking import Linking
from core.pending import PendingRepository
from core.permissions import clamped
from core.planner import Planner
from core.ports import TaskStore
from core.registry import ToolRegistry


@dataclass
class Deps:
    settings: Settings
    store: TaskStore
    directory: Directory
    gate: Assessor
    planner: Planner
    identity: IdentityRepository
    pending: PendingRepository
    audit: AuditLog
    bus: MessageBus
    clock: Callable[[], datetime]
    linking: Linking
    conversations: Conversations = field(default_factory=Conversations)

    @property
    def registry(self) -> ToolRegistry:
        return self.gate.registry

    @property
    def ports(self) -> Ports:
        return Ports(self.store, self.directory, self.identity, self.settings, self.linking)

    async def conversation(self, platform: str, channel_id: str, user_id: str) -> Conversation:
        """Read once per command (from the database), written once at its end (`remembering`)."""
        return await self.conversations.get((platform, channel_id, user_id), self.clock())

    async def requester(self, platform: str, user_id: str, *, charged: bool = True) -> Member | None:
        """The member behind a chat account; `charged`: the command being handled is theirs
        (their usage line and daily budget).

        The one place a link's proof decides what it grants: a link made by the e-mail alone
        counts only where `[identity] allow_unverified` is on, and then with the member role
        at most."""
        link = await self.identity.link_of(platform, user_id)
        if link is None:
            return None
        unverified = link.via == Proof.UNVERIFIED or not link.proven
        if unverified and not self.settings.identity.allow_unverified:
            return None
        member = await self.directory.member(link.notion_user_id)
        if member is not None and unverified:
            role = clamped(member.role, self.settings.roles, self.settings.tools)
            member = member.model_copy(update={"role": role})
        if member is not None and charged:
            usage.attribute(member.notion_user_id, member.handle)
        return member
