"""Who is asking: (platform, platform user id) → Notion user, keyed on immutable ids.

Every link records how it was proven (`Proof`). A link made by an admin (`darcy link`, an
approved request) or by the config outranks one a person made themselves, and a proven one
outranks one made on the e-mail alone: the higher takes the Notion user from the lower, which
is reported; between equals, the one who holds it keeps it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, Field


class Proof(StrEnum):
    """How a link was proven: identity_link.via."""

    CONFIG = "config"  # a [[people]] mapping, applied at start
    ADMIN = "admin"  # `darcy link`, or an admin approving a link request
    SLACK_EMAIL = "slack_email"  # Slack vouched for the person's e-mail (users.info)
    NOTION_CODE = "notion_code"  # a one-time code posted to them in Notion, typed back in chat
    TERMINAL = "terminal"  # the local terminal: whoever runs it runs Darcy (trusted)
    UNVERIFIED = "unverified"  # the e-mail alone ([identity] allow_unverified): member role at most


RANKS = {
    Proof.CONFIG: 3,
    Proof.ADMIN: 3,
    Proof.SLACK_EMAIL: 2,
    Proof.NOTION_CODE: 2,
    Proof.TERMINAL: 2,
    Proof.UNVERIFIED: 1,
}
MADE_BY_ADMINS = frozenset({Proof.CONFIG, Proof.ADMIN})


def rank(via: str) -> int:
    """How strong a proof is; anything unknown (an old "verification") counts as none."""
    return RANKS.get(via, 1)  # type: ignore[call-overload]


def outranks(via: str, held: str) -> bool:
    """Whether a link proven by `via` takes a Notion user from one proven by `held`."""
    return rank(via) > rank(held)


class Link(BaseModel):
    """One chat account linked to one Notion user, and how that was proven."""

    platform: str
    platform_user_id: str
    notion_user_id: str
    via: str
    created_at: datetime | None = None

    @property
    def proven(self) -> bool:
        return rank(self.via) > 1


class LinkTaken(Exception):
    """The Notion user is linked to another chat account on that platform: one chat account per
    Notion user, which the database enforces even when two replicas link at the same moment."""

    def __init__(self, platform: str, notion_user_id: str) -> None:
        self.platform, self.notion_user_id = platform, notion_user_id
        super().__init__(
            f"That Notion account was linked to another {platform} user meanwhile. "
            "If it's yours, ask an admin to unlink it."
        )


class IdentityRepository(Protocol):
    async def lookup(self, platform: str, platform_user_id: str) -> str | None:
        """The linked Notion user id, or None."""
        ...

    async def link_of(self, platform: str, platform_user_id: str) -> Link | None:
        """The chat account's link with its proof, or None."""
        ...

    async def holder(self, platform: str, notion_user_id: str) -> str | None:
        """The chat user on `platform` already linked to that Notion user, if any."""
        ...

    async def holding(self, platform: str, notion_user_id: str) -> Link | None:
        """The link on `platform` that holds that Notion user, with its proof, if any."""
        ...

    async def link(
        self, platform: str, platform_user_id: str, notion_user_id: str, via: str
    ) -> Link | None:
        """Link (or re-link) a chat account, in one transaction. Another chat account on
        `platform` holding that Notion user by a link `via` outranks is unlinked, and its link
        returned (for the caller to report); one holding it by an equal or stronger proof
        makes this raise LinkTaken."""
        ...

    async def unlink(self, platform: str, platform_user_id: str) -> bool: ...


class CodeState(StrEnum):
    LIVE = "live"
    USED = "used"
    DEAD = "dead"  # replaced by a newer code, or out of tries


class SignInCode(BaseModel):
    """A one-time code posted in Notion to the person a chat account says it is. Only its
    hash is kept. A code for an address that matches no one (or that may not be sent) is
    kept too, never sent (`notion_user_id` None), so typing codes behaves the same either way."""

    id: int | None = None
    platform: str
    platform_user_id: str
    notion_user_id: str | None
    email: str
    code_hash: str
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    state: CodeState = CodeState.LIVE


class CodeRepository(Protocol):
    async def replace(self, code: SignInCode) -> SignInCode:
        """Store a new code for the chat account, killing its live ones (one live code each)."""
        ...

    async def live(self, platform: str, platform_user_id: str, now: datetime) -> SignInCode | None:
        """The chat account's live, unexpired code."""
        ...

    async def latest(self, platform: str, platform_user_id: str) -> SignInCode | None:
        """The chat account's newest code, whatever its state (the e-mail it was asked for)."""
        ...

    async def live_for(self, platform: str, notion_user_id: str, now: datetime) -> list[SignInCode]:
        """Live, unexpired codes sent to that Notion user for chat accounts on `platform`."""
        ...

    async def issued_since(
        self, platform: str, since: datetime, *, user_id: str | None = None, notion_user_id: str | None = None
    ) -> int:
        """How many codes were made since `since` for that chat account or that Notion user."""
        ...

    async def attempt(self, code_id: int, max_attempts: int) -> int | None:
        """Count one try, atomically, if the code is live and has tries left; the tries made
        so far, or None (no tries left: the code is dead now)."""
        ...

    async def use(self, code_id: int) -> bool:
        """Move the code from live to used, once: False if it was not live."""
        ...


class RequestState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    SUPERSEDED = "superseded"  # the same account asked again


class RequestKind(StrEnum):
    APPROVAL = "approval"  # a person asked an admin to approve their link
    CONFLICT = "conflict"  # a claim that collided with another link: an admin should look


class LinkRequest(BaseModel):
    """A link an admin is asked to approve or deny (`darcy links --pending`): a person's
    request, or a conflict between two links that Darcy settled by rank and reports."""

    id: int | None = None
    kind: RequestKind
    platform: str
    platform_user_id: str
    email: str | None = None
    notion_user_id: str | None = None  # who the e-mail belonged to when asked (None: no one)
    reason: str = ""
    state: RequestState = RequestState.PENDING
    created_at: datetime
    decided_at: datetime | None = None


class LinkRequests(Protocol):
    async def add(self, request: LinkRequest) -> LinkRequest:
        """Store a pending request; an earlier pending one of the same account, kind and
        Notion user is superseded (asking twice makes one request)."""
        ...

    async def pending(self) -> list[LinkRequest]: ...

    async def get(self, request_id: int) -> LinkRequest | None: ...

    async def decide(self, request_id: int, state: RequestState, at: datetime) -> bool:
        """Move a pending request to approved or denied, once: False if it was not pending."""
        ...


class Execution(BaseModel):
    """One executed write, as the audit log keeps it."""

    id: int
    tool: str
    notion_user_id: str | None = None  # who made it
    page_id: str | None = None
    resolved: dict[str, Any] = Field(default_factory=dict)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    at: datetime


class AuditLog(Protocol):
    async def record(self, **row: object) -> None:
        """One row per decision and per execution (see integrations.db.tables.AuditRow)."""
        ...

    async def record_execution(self, pending_id: str, result: dict[str, Any], **row: object) -> None:
        """An executed write's row, and its pending action's move from confirmed to executed
        (with `result`), in one transaction: the record of a write is never half made."""
        ...

    async def last_execution(self, platform: str, user_id: str, since: datetime) -> Execution | None:
        """The person's most recent executed write since `since`."""
        ...

    async def executions_on(self, page_id: str) -> list[Execution]:
        """Every executed write on one task, oldest first (whoever made it)."""
        ...
