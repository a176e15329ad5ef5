"""llm_calls_per_request, prompt_tokens_per_request, llm_calls_per_click: what Darcy asks of
the model, on the public corpus, through the LLM planner (litellm) and the whole path.

The requests run as the evaluation runs them (`bot.evaluation.predict`: identity →
planner → gate, no write), the model being the loopback server answering each case's
labelled call (bench/llm_rig.py). Then every question those requests raise is answered
as a person would (Confirm; the first option of a choice, then Confirm), plus the link
flow (an unlinked member gives their e-mail and confirms), and the model calls made
while handling those clicks are counted.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from bench.common import Mode, corpus, expected, frozen, rounded, settings, workspace_now
from bench.llm_rig import ModelServer, darcy_model


async def warm_litellm(server: Any) -> None:
    """litellm's import (≈5 s) and first call with tools (≈1 s), paid before measuring: one
    case through a throw-away planner (the server is reset afterwards)."""
    from bot import evaluation
    from integrations.llm.planner import build_planner

    warm_settings = settings(planner="llm", api_base=server.base_url)
    planner = build_planner(warm_settings)
    if (warm_up := getattr(planner, "warm_up", None)) is not None:
        await warm_up()
    await evaluation.predict(warm_settings, [corpus()[0]], planner=planner)


async def run(mode: Mode) -> dict[str, Any]:
    from bot import evaluation
    from bot.bootstrap import bootstrap
    from integrations.llm.planner import build_planner

    cases = list(corpus())
    if mode.smoke:
        cases = cases[::9]
    async with ModelServer(darcy_model) as server:
        if not mode.smoke:
            await warm_litellm(server)
            server.reset()
        llm_settings = settings(planner="llm", api_base=server.base_url)
        planner = build_planner(llm_settings)
        await evaluation.predict(llm_settings, cases, planner=planner)
        stats = planner.stats.as_dict()  # a copy: the clicks below use the same planner
        calls, prompt = stats["calls"], stats["prompt_tokens"]
        assert server.calls == calls, "every model call goes through the planner's counters"

        clicks = await _clicks(partial(bootstrap, llm_settings), planner, server, cases)
    return {
        "llm_calls_per_request": rounded(calls / len(cases)),
        "prompt_tokens_per_request": rounded(prompt / len(cases), 1),
        "completion_tokens_per_request": rounded(stats["completion_tokens"] / len(cases), 1),
        "prompt_tokens_per_llm_call": rounded(prompt / max(calls, 1), 1),
        "llm_repairs": stats["repairs"],
        "llm_fallbacks": stats["fallbacks"],
        **clicks,
    }


async def _clicks(boot: Any, planner: Any, server: Any, cases: list[dict[str, Any]]) -> dict[str, Any]:
    from bench.common import demo_workspace
    from bot.evaluation import chat_id
    from core.messages import Choose, Confirm, HandleRequest

    app = await boot(planner=planner, clock=frozen(workspace_now()))
    workspace = demo_workspace()
    by_kind: dict[str, list[int]] = {"confirm": [], "choose": [], "link_confirm": []}
    try:

        async def click(kind: str, command: Any) -> Any:
            before = server.calls
            reply = await app.bus.execute(command)
            by_kind[kind].append(server.calls - before)
            return reply

        async def answer(reply: Any, platform: str, user: str, kind: str = "confirm") -> None:
            if reply.decision == "choose" and reply.pending_id:
                picked = await click("choose", Choose(platform=platform, user_id=user,
                                                      pending_id=reply.pending_id, option=0))
                await answer(picked, platform, user)
            elif reply.decision == "confirm" and reply.pending_id:
                await click(kind, Confirm(platform=platform, user_id=user, pending_id=reply.pending_id))

        # The link flow first (the corpus links accounts too): the request deferred until the
        # person is linked is answered when they confirm the link.
        zoe = dict(platform="terminal", user_id="zoe", channel_id="bench:link")
        await app.bus.execute(HandleRequest(**zoe, text="show me my tasks"))
        asked = await app.bus.execute(HandleRequest(**zoe, text="zoe.martin@club.example"))
        await answer(asked, "terminal", "zoe", kind="link_confirm")

        for case in cases:
            if expected(case).get("decision") not in ("confirm", "choose"):
                continue
            platform = case.get("platform", "terminal")
            user = chat_id(workspace, case["user"], platform)
            reply = await app.bus.execute(HandleRequest(platform=platform, user_id=user,
                                                        channel_id=f"bench:{case['id']}", text=case["text"]))
            await answer(reply, platform, user)
    finally:
        await app.aclose()
    every = [n for counts in by_kind.values() for n in counts]
    return {
        "llm_calls_per_click": rounded(sum(every) / max(len(every), 1)),
        "llm_calls_per_click_by_kind": {
            kind: rounded(sum(counts) / len(counts)) for kind, counts in by_kind.items() if counts
        },
        "clicks_measured": len(every),
    }
