"""Actions interrupted between the click and the write (a crash, a deploy, a kill -9).

At start, every action confirmed more than a minute ago and never finished is looked up in
Notion through its tool's `landed`: if its change is there it is marked executed, otherwise
failed. Either way it is audited and logged: never silently lost, never done twice (nothing
is re-sent; the person can ask again).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog

from core.actions.base import Ports
from core.identity import AuditLog
from core.pending import PendingRepository, PendingState
from core.registry import ToolRegistry

log = structlog.get_logger("darcy.recovery")


async def recover_interrupted(
    pending: PendingRepository,
    audit: AuditLog,
    registry: ToolRegistry,
    ports: Ports,
    clock: Callable[[], datetime],
    *,
    older_than: timedelta = timedelta(minutes=1),
) -> list[str]:
    """Settle interrupted actions; returns one line per action, for logs and tests."""
    report = []
    for action in await pending.interrupted(datetime.now(UTC) - older_than):
        tool = registry.tool(action.tool)
        done = tool is not None and await tool.landed(ports, action)
        state = PendingState.EXECUTED if done else PendingState.FAILED
        note = "found done in Notion after a restart" if done else "interrupted by a restart; not done"
        if not await pending.transition(action.id, PendingState.CONFIRMED, state, result={"recovered": note}):
            continue  # another replica settled it first
        await audit.record(**action.audit_row("executed" if done else "failed", clock()))
        log.warning("interrupted_action_settled", pending_id=action.id, tool=action.tool, state=state.value)
        report.append(f"{action.id} {action.tool}: {state.value} ({note})")
    return report
