"""Pending actions: a write (or a pick) waiting for the requester's click.

A button carries only the pending id; everything else lives here, in the
database, so a click works after a restart and on any replica. The state moves
out of `pending` once, by one conditional update (`PendingRepository.transition`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, Field


class PendingState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    EXECUTED = "executed"
    FAILED = "failed"


class PendingKind(StrEnum):
    CONFIRM = "confirm"
    CHOOSE = "choose"


class PendingAction(BaseModel):
    id: str
    kind: PendingKind
    platform: str
    user_id: str
    channel_id: str
    tool: str
    # The resolved call: Notion ids and ISO dates, never raw names.
    resolved: dict[str, Any]
    # For `choose`: the options offered, as (task id, title) pairs.
    options: list[tuple[str, str]] = Field(default_factory=list)
    summary: str
    text: str
    args_hash: str
    state: PendingState = PendingState.PENDING
    created_at: datetime
    expires_at: datetime
    correlation_id: str
    result: dict[str, Any] | None = None

    def audit_row(self, decision: str, at: datetime) -> dict[str, Any]:
        """What happened to this action (executed, cancelled, failed), as an audit row with its request."""
        return {
            "at": at,
            "correlation_id": self.correlation_id,
            "platform": self.platform,
            "user_id": self.user_id,
            "text": self.text,
            "tool": self.tool,
            "args": self.resolved,
            "decision": decision,
        }


def args_hash(tool: str, resolved: dict[str, Any]) -> str:
    """Fingerprint of what will be written, stored beside it to detect tampering or drift.
    (The blob's key stays "plan", so actions stored before the rename still verify.)"""
    blob = json.dumps({"tool": tool, "plan": resolved}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


class PendingRepository(Protocol):
    async def add(self, action: PendingAction) -> None: ...

    async def get(self, pending_id: str) -> PendingAction | None: ...

    async def claim(
        self, pending_id: str, *, platform: str, user_id: str, now: datetime
    ) -> PendingAction | None:
        """Move this person's confirmation from pending to confirmed, if it has not expired, in
        one atomic step; the action, or None (nothing moved: `get` tells why)."""
        ...

    async def transition(
        self,
        pending_id: str,
        src: PendingState,
        dst: PendingState,
        *,
        now: datetime | None = None,
        result: dict[str, Any] | None = None,
    ) -> bool:
        """Move src → dst atomically; False if another click (or replica) got there first.

        With `now`, the move also requires the action not to have expired.
        """
        ...

    async def open_count(self, platform: str, user_id: str, now: datetime) -> int:
        """How many of this person's confirmations and picks still wait for an answer."""
        ...

    async def interrupted(self, moved_before: datetime) -> list[PendingAction]:
        """Actions confirmed before `moved_before` and never finished (a crash mid-write)."""
        ...
