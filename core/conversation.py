"""Short conversation memory per (platform, channel, user): what Darcy is waiting for and what
was just said.

It is kept in the database beside the pending actions (a `ConversationStore`, one row per key
with a TTL), so a follow-up that reaches another replica, or arrives after a restart, finds it.
A command reads each conversation it touches once and writes it once at the end, only if it
changed, with a compare-and-set on the row's version: two messages from one person handled at
once on two replicas cannot overwrite each other; the later one is re-applied on what the
other wrote (`rebase`), or, when it amended a confirmation the other message changed, it asks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from pydantic import BaseModel, Field, PrivateAttr

from core.ports import StorageError
from core.tools import ToolCall

log = structlog.get_logger("darcy.conversation")

Key = tuple[str, str, str]  # (platform, channel_id, user_id)
TTL = timedelta(minutes=15)
MAX_TURNS = 6
SAVE_ATTEMPTS = 3


class Choice(BaseModel):
    """A pick the person made, kept so "no, the other one" can swap it."""

    tool: str
    args: dict[str, Any]
    field: str
    options: list[tuple[str, str]]
    picked: int


class Conversation(BaseModel):
    """Small and typed: stored as this model's JSON, never pickled."""

    awaiting_email: bool = False
    wants_admin: bool = False  # the e-mail asked for goes to an admin's approval, not a code
    deferred: tuple[str, ToolCall] | None = None  # the request to answer once the person is linked
    turns: list[str] = Field(default_factory=list)
    last_call: ToolCall | None = None  # the last call the gate accepted or asked about
    open_pending: str | None = None  # the confirmation still waiting, which an amendment replaces
    choice: Choice | None = None
    # Not stored: the confirmation this command's amendment replaced (see `rebase`).
    _replaced: str | None = PrivateAttr(default=None)

    def said(self, text: str) -> None:
        self.turns = [*self.turns[-(MAX_TURNS - 1) :], text]

    def replacing(self, pending_id: str) -> None:
        """This command amends that open confirmation ("make it Friday instead")."""
        self._replaced = pending_id


@dataclass
class Stored:
    """A conversation as read, and the version a write must find (0: there is no row)."""

    convo: Conversation
    version: int = 0


class ConversationStore(Protocol):
    """Where conversations live (integrations/db: one row per key, shared by replicas)."""

    async def load(self, key: Key, now: datetime) -> Stored:
        """The live conversation, or an empty one (with the expired row's version, if any)."""
        ...

    async def save(self, key: Key, convo: Conversation, version: int, expires_at: datetime) -> bool:
        """Write if the row is still at `version` (0: no row yet); False when another write won."""
        ...

    async def forget_expired(self, now: datetime) -> int:
        """Delete the rows expired by `now`; how many."""
        ...


class MemoryConversationStore:
    """The same contract in this process only: for tests and for the benchmark's comparison."""

    def __init__(self) -> None:
        self.rows: dict[Key, tuple[int, str, datetime]] = {}

    async def load(self, key: Key, now: datetime) -> Stored:
        row = self.rows.get(key)
        if row is None:
            return Stored(Conversation())
        version, data, expires_at = row
        live = expires_at > now
        return Stored(Conversation.model_validate_json(data) if live else Conversation(), version)

    async def save(self, key: Key, convo: Conversation, version: int, expires_at: datetime) -> bool:
        found = self.rows.get(key)
        if (found[0] if found else 0) != version:
            return False
        self.rows[key] = (version + 1, convo.model_dump_json(), expires_at)
        return True

    async def forget_expired(self, now: datetime) -> int:
        gone = [key for key, (_, _, expires_at) in self.rows.items() if expires_at <= now]
        for key in gone:
            del self.rows[key]
        return len(gone)


GROUPS = (("last_call", "open_pending"), ("awaiting_email", "wants_admin", "deferred"), ("choice",))


def _part(convo: Conversation, group: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(convo, name) for name in group)


def _added(before: list[str], after: list[str]) -> list[str]:
    """The turns a command appended: `after` less its longest prefix that ends `before`."""
    for kept in range(min(len(before), len(after)), -1, -1):
        if after[:kept] == before[len(before) - kept :]:
            return after[kept:]
    return after


def rebase(base: Conversation, mine: Conversation, theirs: Conversation) -> Conversation | None:
    """`mine` (made from `base`) re-applied on `theirs` (written meanwhile): what this command
    changed replaces theirs, group by group (the open question and its call, the linking, the
    pick), and its turns follow theirs. None when this command amended the open confirmation
    and theirs changed the open question too: the amendment was made to a state that is gone
    (two amendments made from one state would each drop the other's change), so ask instead."""
    merged = theirs.model_copy(deep=True)
    for group in GROUPS:
        if _part(mine, group) == _part(base, group):
            continue
        amended = mine._replaced is not None and mine._replaced == base.open_pending
        if "open_pending" in group and amended and _part(theirs, group) != _part(base, group):
            return None
        for name in group:
            setattr(merged, name, getattr(mine, name))
    merged.turns = [*theirs.turns, *_added(base.turns, mine.turns)][-MAX_TURNS:]
    merged._replaced = mine._replaced  # for another round, should that write lose too
    return merged


@dataclass
class Opened:
    """One conversation in one command: as read (`base`) and as the handlers change it."""

    base: Conversation
    convo: Conversation
    version: int


@dataclass
class Settled:
    """How a command's conversations were written. `superseded`: a confirmation this command
    opened that crossed with another message's; it should be cancelled and the person asked."""

    writes: int = 0
    superseded: list[str] = field(default_factory=list)


UNREADABLE = -1  # the version of a conversation the store could not read

_command: ContextVar[dict[Key, Opened] | None] = ContextVar("darcy_conversations", default=None)


class Conversations:
    """Reads each conversation once per command and writes it once at the end (`command`).
    Every command reads the database: another replica may have answered the previous message."""

    def __init__(self, store: ConversationStore | None = None, ttl: timedelta = TTL) -> None:
        self.store: ConversationStore = store or MemoryConversationStore()
        self.ttl = ttl

    @contextlib.contextmanager
    def command(self) -> Iterator[dict[Key, Opened]]:
        """The scope of one command: what `get` opened in it, for `settle` at its end."""
        opened: dict[Key, Opened] = {}
        token = _command.set(opened)
        try:
            yield opened
        finally:
            _command.reset(token)

    async def get(self, key: Key, now: datetime) -> Conversation:
        """The conversation for this command to change: read once, the same object after."""
        opened = _command.get()
        if opened is None:
            raise RuntimeError("conversations are opened only inside a command (Conversations.command)")
        if (found := opened.get(key)) is None:
            try:
                stored = await self.store.load(key, now)
            except StorageError as exc:  # answer without the context: a read still works, a write
                log.warning("conversation_unreadable", platform=key[0], error=str(exc))  # fails later
                stored = Stored(Conversation(), UNREADABLE)
            found = opened[key] = Opened(stored.convo, stored.convo.model_copy(deep=True), stored.version)
        return found.convo

    async def settle(self, opened: dict[Key, Opened], now: datetime) -> Settled:
        """Write what changed, each with a compare-and-set; a lost race re-reads and re-applies."""
        settled = Settled()
        for key, item in opened.items():
            base, convo, version = item.base, item.convo, item.version
            if version == UNREADABLE:
                continue  # never written over what could not be read
            for _attempt in range(SAVE_ATTEMPTS):
                if convo == base:
                    break  # nothing changed: no write
                settled.writes += 1
                if await self.store.save(key, convo, version, now + self.ttl):
                    break
                theirs = await self.store.load(key, now)
                merged = rebase(base, convo, theirs.convo)
                if merged is None:
                    settled.superseded.append(convo.open_pending or "")
                    merged = theirs.convo.model_copy(deep=True)
                    merged.turns = [*merged.turns, *_added(base.turns, convo.turns)][-MAX_TURNS:]
                base, convo, version = theirs.convo, merged, theirs.version
            else:
                log.warning("conversation_not_saved", platform=key[0], attempts=SAVE_ATTEMPTS)
        return settled

    async def sweep(self, clock: Callable[[], datetime], every: float = 60.0) -> None:
        """Delete expired rows now and then, off the path of any message; runs until cancelled."""
        while True:
            try:
                if gone := await self.store.forget_expired(clock()):
                    log.info("conversations_expired", rows=gone)
            except Exception as exc:  # a database hiccup: the next sweep tries again
                log.warning("conversation_sweep_failed", error=str(exc))
            await asyncio.sleep(every)
