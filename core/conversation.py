"""Short conversation memory per (platform, channel, user): what Darcy is waiting for."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.tools import ToolCall


@dataclass
class Choice:
    """A pick the person made, kept so "no, the other one" can swap it."""

    tool: str
    args: dict[str, Any]
    field: str
    options: list[tuple[str, str]]
    picked: int


@dataclass
class Conversation:
    awaiting_email: bool = False
    wants_admin: bool = False  # the e-mail asked for goes to an admin's approval, not a code
    deferred: tuple[str, ToolCall] | None = None  # the request to answer once the person is linked
    turns: list[str] = field(default_factory=list)
    last_call: ToolCall | None = None  # the last call the gate accepted or asked about
    open_pending: str | None = None  # the confirmation still waiting, which an amendment replaces
    choice: Choice | None = None
    updated: datetime | None = None


class Conversations:
    """In memory and bounded: context is a convenience, never the record of truth
    (pending actions are in the database)."""

    def __init__(self, ttl: timedelta = timedelta(minutes=15), capacity: int = 10_000) -> None:
        self._items: OrderedDict[tuple[str, str, str], Conversation] = OrderedDict()
        self._ttl = ttl
        self._capacity = capacity

    def get(self, key: tuple[str, str, str], now: datetime) -> Conversation:
        convo = self._items.get(key)
        if convo is None or (convo.updated and now - convo.updated > self._ttl):
            convo = Conversation()
        convo.updated = now
        self._items[key] = convo
        self._items.move_to_end(key)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)
        return convo
