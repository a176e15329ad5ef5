"""The terminal adapter: a person at a keyboard, or a script, talking to Darcy.

Like a chat platform's adapter it only translates: a line of text becomes a
core command (a request, or y/n/a number answering the last question), and the
reply is rendered. It knows nothing of Notion or of language models.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from rich.console import Console

from bot.render_text import cell, render
from bot.terminal_notify import TerminalNotifier
from core.bus import MessageBus
from core.messages import Cancel, Choose, Command, Confirm, HandleRequest
from core.replies import Reply

PLATFORM = "terminal"
YES = {"y", "yes", "confirm", "ok", "yep", "sure"}
NO = {"n", "no", "cancel", "nope", "stop"}


class TerminalChat:
    def __init__(self, bus: MessageBus, user: str, console: Console | None = None) -> None:
        self.bus = bus
        self.user = user
        self.console = console or Console(highlight=False)
        self.waiting: Reply | None = None  # the last reply that asked a question
        self.notices: TerminalNotifier | None = None  # set: "done"/"snooze"/"got it" answer a notice
        self.ticker: Callable[[str], Awaitable[None]] | None = None  # set: "/tick 1d" moves the clock

    def command_for(self, text: str) -> Command:
        """A y/n/number answers the open question; anything else is a new request."""
        answer = text.strip().casefold()
        waiting = self.waiting
        if waiting is not None and waiting.pending_id:
            if answer in NO:
                return Cancel(platform=PLATFORM, user_id=self.user, pending_id=waiting.pending_id)
            if waiting.options and answer.isdigit():
                return Choose(
                    platform=PLATFORM,
                    user_id=self.user,
                    pending_id=waiting.pending_id,
                    option=int(answer) - 1,
                )
            if not waiting.options and answer in YES:
                return Confirm(platform=PLATFORM, user_id=self.user, pending_id=waiting.pending_id)
        if self.notices is not None and (clicked := self.notices.answer(self.user, text)) is not None:
            return clicked
        return HandleRequest(
            platform=PLATFORM, user_id=self.user, channel_id=f"terminal:{self.user}", text=text
        )

    async def send(self, text: str) -> Reply:
        if self.ticker is not None and text.strip().startswith("/tick"):
            await self.ticker(text.strip()[5:])
            return Reply(text="", decision="none")
        command = self.command_for(text)
        reply: Reply = await self.bus.execute(command)
        if isinstance(command, HandleRequest) or reply.decision != "error":
            self.waiting = _question(reply)  # an error (a wrong number) keeps the question open
        render(self.console, reply)
        return reply

    def switch(self, user: str) -> None:
        self.user, self.waiting = user, None

    async def run_script(self, lines: Iterable[str]) -> None:
        for line in lines:
            text = line.rstrip("\n")
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            if text.startswith("/as "):
                self.switch(text[4:].strip())
                self.console.print(f"[dim]— now chatting as {self.user} —[/dim]")
                continue
            prompt = f"[bold cyan]{self.user}>[/bold cyan] {cell(text)}"
            self.console.print(prompt, highlight=False, markup=True)
            await self.send(text)
            self.console.print()

    async def run_interactive(self, banner: str) -> None:
        self.console.print(banner)
        while True:
            try:
                text = await asyncio.to_thread(self.console.input, f"[bold cyan]{self.user}>[/bold cyan] ")
            except (EOFError, KeyboardInterrupt):
                self.console.print()
                return
            if text.strip() in ("quit", "exit", "/quit"):
                return
            if text.startswith("/as "):
                self.switch(text[4:].strip())
                self.console.print(f"Now chatting as {self.user}.")
                continue
            if text.strip():
                await self.send(text)


def _question(reply: Reply) -> Reply | None:
    """The reply that still waits for an answer, following a link's answered follow-up."""
    while reply.follow_up is not None and not reply.needs_answer:
        reply = reply.follow_up
    return reply if reply.needs_answer else None
