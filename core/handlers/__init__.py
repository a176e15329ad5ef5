"""The command handlers: a request (`request.RequestHandler`) and a click (`click.ClickHandler`),
registered on the bus by the composition root in an explicit table (bot/bootstrap.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from core.handlers.deps import Deps
from core.pending import PendingState
from core.ports import StorageError
from core.replies import Reply

log = structlog.get_logger("darcy.handlers")


def guarded(handler: Callable[[Any], Awaitable[Reply]]) -> Callable[[Any], Awaitable[Reply]]:
    """Darcy's own database failing is an outage to report, not a crash: the state of a
    click cannot move without it, so nothing was done."""

    async def run(command: Any) -> Reply:
        try:
            return await handler(command)
        except StorageError as exc:
            log.error("storage_unavailable", command=type(command).__name__, error=str(exc))
            return Reply(
                text="I can't reach my own database right now, so I did nothing. "
                "Please try again in a minute.",
                decision="error",
            )

    return run


CROSSED = (
    "Your other message changed that same request at the same moment, so I kept that one and "
    "dropped this change. Say it again if you still want it."
)


def remembering(deps: Deps, handler: Callable[[Any], Awaitable[Reply]]) -> Callable[[Any], Awaitable[Reply]]:
    """A command's conversations: each read at most once while it runs, each written at most once
    at its end (core/conversation.py). When this command's amendment crossed another message's
    amendment of the same confirmation, its confirmation is withdrawn and the person asked."""

    async def run(command: Any) -> Reply:
        with deps.conversations.command() as opened:
            reply = await handler(command)
            try:
                settled = await deps.conversations.settle(opened, deps.clock())
            except StorageError as exc:  # the answer stands; only the context of a follow-up is lost
                log.warning("conversation_not_saved", command=type(command).__name__, error=str(exc))
                return reply
        for pending_id in settled.superseded:
            await deps.pending.transition(pending_id, PendingState.PENDING, PendingState.CANCELLED)
            if reply.pending_id == pending_id:
                reply = Reply(text=CROSSED, decision="clarify", tool=reply.tool)
        return reply

    return run
