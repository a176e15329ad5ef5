"""Commands and events on Darcy's bus. Every message carries an id, a time,
the request's correlation id and the platform, so logs and traces line up."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from pydantic import BaseModel, Field


def new_id() -> str:
    return uuid4().hex


class Message(BaseModel):
    id: str = Field(default_factory=new_id)
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    correlation_id: str = Field(default_factory=new_id)
    platform: str = "terminal"


class Command(Message):
    """Exactly one handler; its return value is the command's result."""


class Event(Message):
    """Any number of subscribers; nothing is returned."""


# ---- commands ---------------------------------------------------------------


class HandleRequest(Command):
    """A person typed something to Darcy."""

    user_id: str
    channel_id: str = "direct"
    text: str
    # A message shortcut ("Create Darcy task" on someone's message): the new task's title, taken
    # as is. Never parsed: words in someone else's message must not add people, dates or a status.
    new_task_title: str | None = None
    # An e-mail the platform itself vouches for as this person's (Slack: users.info, with
    # users:read.email), never one they typed: it links them to the member who has it.
    verified_email: str | None = None


class Confirm(Command):
    pending_id: str
    user_id: str


class Cancel(Command):
    pending_id: str
    user_id: str


class Choose(Command):
    """The person picked option `option` (0-based) of a `choose` reply."""

    pending_id: str
    user_id: str
    option: int


class NoticeClick(Command):
    """A click on a notice's Snooze or Got it button; `notice_id` is all the button carries."""

    notice_id: str
    user_id: str
    verb: str  # "snooze" | "gotit"


# ---- events -------------------------------------------------------------------


class RequestReceived(Event):
    user_id: str
    chars: int


class DecisionMade(Event):
    user_id: str
    tool: str | None
    decision: str
    pending_id: str | None = None


class ActionExecuted(Event):
    user_id: str
    tool: str
    page_id: str | None = None


class ActionFailed(Event):
    user_id: str
    tool: str
    error: str
