"""Notices in the terminal: the terminal's direct message is a block printed in the chat, and
`/tick 1d` moves the demo's clock on, ticking the notification service as it goes, so a demo
shows in a minute what a week of reminders looks like. Like the adapter, it knows nothing of
Notion: it prints core's `Outgoing` and turns a typed "done" / "snooze" / "got it" into the
click that button would have made."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from rich.console import Console

from bot.render_text import markup
from core.messages import Command, Confirm, NoticeClick
from core.notify.ports import Delivery, Outgoing

PLATFORM = "terminal"
SPAN = re.compile(r"^(\d+)\s*([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
ANSWERS = {"done": "done", "snooze": "snooze", "got it": "gotit", "gotit": "gotit"}


class TerminalNotifier:
    platform = PLATFORM

    def __init__(self, console: Console) -> None:
        self.console = console
        self.sent: list[tuple[str, Outgoing]] = []  # (to whom, what), in order
        self.last: dict[str, Outgoing] = {}  # each person's latest notice: what "done" answers

    async def direct(self, chat_id: str, message: Outgoing) -> Delivery:
        self._show(f"📬 to {chat_id}", message)
        self.sent.append((chat_id, message))
        self.last[chat_id] = message
        return Delivery.SENT

    async def mention(self, channel_id: str, chat_id: str, message: Outgoing) -> Delivery:
        self._show(f"📢 in {channel_id}, @{chat_id}", message)
        self.sent.append((chat_id, message))
        return Delivery.SENT

    async def post(self, channel_id: str, message: Outgoing) -> Delivery:
        self._show(f"📢 in {channel_id}", message)
        self.sent.append((channel_id, message))
        return Delivery.SENT

    def _show(self, head: str, message: Outgoing) -> None:
        self.console.print(f"[dim]{head}:[/dim]", highlight=False)
        self.console.print(markup(message.text), highlight=False)
        labels = [b.label for b in message.buttons if b.verb != "open"]
        if labels:
            self.console.print(markup("  ".join(f"[{label}]" for label in labels)), highlight=False)

    def answer(self, user: str, text: str) -> Command | None:
        """ "done", "snooze" or "got it" typed after one's own notice: that button's click."""
        verb = ANSWERS.get(text.strip().casefold())
        notice = self.last.get(user)
        button = next((b for b in notice.buttons if b.verb == verb), None) if notice and verb else None
        if button is None:
            return None
        if verb == "done":
            return Confirm(platform=PLATFORM, user_id=user, pending_id=button.value)
        return NoticeClick(platform=PLATFORM, user_id=user, notice_id=button.value, verb=verb)


def span(text: str) -> timedelta:
    """ "1d", "3h", "30m", "1w" (default unit: hours)."""
    text = text.strip().casefold() or "1h"
    if text.isdigit():
        text += "h"
    match = SPAN.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a span like 30m, 3h, 1d or 1w")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


async def advance(
    console: Console,
    move: Callable[[timedelta], None],
    now: Callable[[], datetime],
    tick: Callable[[], Awaitable[object]],
    by: timedelta,
    step: timedelta = timedelta(minutes=30),
) -> None:
    """Move the clock on by `by`, a tick every `step`, as `darcy run` would have."""
    left = by
    while left > timedelta(0):
        moved = min(step, left)
        move(moved)
        left -= moved
        await tick()
    console.print(f"[dim]— it's now {now():%a %d %b %Y %H:%M} —[/dim]", highlight=False)


class _Chat(Protocol):
    console: Console
    notices: TerminalNotifier | None
    ticker: Callable[[str], Awaitable[None]] | None


class _Clock(Protocol):
    def __call__(self) -> datetime: ...

    def advance(self, **delta: float) -> None: ...


class _Service(Protocol):
    def add_notifier(self, notifier: TerminalNotifier) -> None: ...

    async def tick(self) -> object: ...


def attach(chat: _Chat, service: _Service, clock: Callable[[], datetime]) -> TerminalNotifier:
    """Notices print in this chat; `/tick SPAN` moves the clock when it can be moved (the demo's)."""
    notifier = TerminalNotifier(chat.console)
    service.add_notifier(notifier)
    chat.notices = notifier
    if callable(getattr(clock, "advance", None)):
        movable: _Clock = clock  # type: ignore[assignment]

        async def ticker(text: str) -> None:
            try:
                by = span(text)
            except ValueError as exc:
                chat.console.print(str(exc))
                return
            await advance(
                chat.console, lambda d: movable.advance(seconds=d.total_seconds()), clock, service.tick, by
            )

        chat.ticker = ticker
    return notifier
