"""The command handlers: a request (`request.RequestHandler`) and a click (`click.ClickHandler`),
registered on the bus by the composition root in an explicit table (bot/bootstrap.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog

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
