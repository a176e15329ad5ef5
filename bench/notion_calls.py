"""notion_calls_per_request_cold, notion_calls_per_request_warm: HTTP requests to Notion per
request, counted at the embedded Notion server, on the public corpus (offline planner,
identity → planner → gate → reply, as the evaluation runs them, no clicks).

Cold: the store's caches (users, projects) are emptied before each request, as after
they expire. Warm: the same request again, caches filled. Clicks are counted separately
on the four demo flows (`notion_calls_by_flow`, warm: every message of the flow).
"""

from __future__ import annotations

from typing import Any

from bench.common import (
    FLOWS,
    Mode,
    Snapshot,
    corpus,
    demo_workspace,
    frozen,
    notion_requests,
    null_console,
    rounded,
    settings,
    workspace_now,
)


def forget(store: Any) -> None:
    """Empty the store's caches (NotionTaskStore.invalidate)."""
    cache = getattr(store, "cache", None)
    invalidate = getattr(store, "invalidate", None) or getattr(cache, "invalidate", None)
    if invalidate is None:
        raise RuntimeError("the task store has no cache to empty: cold and warm are the same")
    invalidate()


async def run(mode: Mode) -> dict[str, Any]:
    from bot.bootstrap import bootstrap
    from bot.evaluation import chat_id
    from bot.terminal import TerminalChat
    from core.messages import HandleRequest

    cases = list(corpus())
    if mode.smoke:
        cases = cases[::9]
    app = await bootstrap(settings(), clock=frozen(workspace_now()))
    workspace = demo_workspace()
    cold: list[int] = []
    warm: list[int] = []
    by_flow: dict[str, float] = {}
    try:
        for case in cases:
            platform = case.get("platform", "terminal")
            user = chat_id(workspace, case["user"], platform)
            for counts, channel in ((cold, "cold"), (warm, "warm")):
                if counts is cold:
                    forget(app.store)
                before = notion_requests(app)
                await app.bus.execute(HandleRequest(platform=platform, user_id=user, text=case["text"],
                                                    channel_id=f"bench:{channel}:{case['id']}"))
                counts.append(notion_requests(app) - before)

        snapshot = Snapshot(app)
        console = null_console()
        for flow, (user, messages) in FLOWS.items():
            chat = TerminalChat(app.bus, user, console)
            before = notion_requests(app)
            for text in messages:
                await chat.send(text)
            by_flow[flow] = notion_requests(app) - before
            await snapshot.restore(unlink=[("terminal", "zoe")])
    finally:
        await app.aclose()
    return {
        "notion_calls_per_request_cold": rounded(sum(cold) / len(cold)),
        "notion_calls_per_request_warm": rounded(sum(warm) / len(warm)),
        "notion_calls_per_request_warm_max": max(warm),
        "notion_calls_by_flow": by_flow,
    }
