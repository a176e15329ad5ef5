"""The measuring hook: labelled requests → identity → planner → gate, with no write.

Each case's requester is the workspace member with that handle, on the case's
platform (terminal when unsaid); "unknown" is a chat id linked to nobody. Time
is frozen at the workspace's "now". A `confirm` parks a pending action in a
throw-away database and is never executed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.bootstrap import bootstrap
from core.config import Settings
from core.messages import HandleRequest
from core.planner import Planner


def chat_id(workspace: dict[str, Any], handle: str, platform: str) -> str:
    member = next((m for m in workspace.get("members", []) if m.get("handle") == handle), None)
    if member is None:
        return f"unlinked-{handle}"
    if platform == "discord":
        return member.get("discord_id") or f"unlinked-{handle}"
    if platform == "slack":
        return member.get("slack_id") or f"unlinked-{handle}"
    return handle


async def predict(
    settings: Settings, cases: list[dict[str, Any]], *, planner: Planner | None = None
) -> list[dict[str, Any]]:
    workspace = json.loads(Path(settings.workspace.seed).read_text(encoding="utf-8"))
    tz = ZoneInfo(settings.workspace.timezone)
    now = datetime.fromisoformat(settings.workspace.now or workspace["now"]).astimezone(tz)
    app = await bootstrap(settings, planner=planner, clock=lambda: now)
    try:
        predictions = []
        for case in cases:
            platform = case.get("platform", "terminal")
            reply = await app.bus.execute(
                HandleRequest(
                    platform=platform,
                    user_id=chat_id(workspace, case["user"], platform),
                    channel_id=f"eval:{case['id']}",
                    text=case["text"],
                )
            )
            predictions.append(
                {
                    "id": case["id"],
                    "tool": reply.tool,
                    "args": reply.args,
                    "decision": reply.decision,
                    "candidates": reply.options if reply.decision == "choose" else [],
                    "reply": reply.text,
                }
            )
        return predictions
    finally:
        await app.aclose()


@dataclass
class EvalReport:
    count: int
    planner: str  # "offline" or "llm"
    llm: dict[str, Any] | None = None  # the LLM planner's counters (calls, tokens, fallbacks…)


async def run_eval(
    settings: Settings, corpus: Path, out: Path, workspace: Path | None = None, *, planner: str | None = None
) -> EvalReport:
    if workspace is not None:
        settings = settings.model_copy(
            update={"workspace": settings.workspace.model_copy(update={"seed": workspace})}
        )
    if planner is not None:
        settings = settings.model_copy(
            update={"planner": settings.planner.model_copy(update={"kind": planner})}
        )
    from integrations.llm.planner import build_planner

    chosen = build_planner(settings)
    cases = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    predictions = await predict(settings, cases, planner=chosen)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(p) + "\n" for p in predictions), encoding="utf-8")
    stats = getattr(chosen, "stats", None)
    return EvalReport(
        count=len(predictions),
        planner=settings.planner.kind,
        llm=stats.as_dict() if stats is not None else None,
    )
