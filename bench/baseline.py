"""baseline_llm_calls_per_request, baseline_prompt_tokens_per_request: the public corpus
through the naive agent loop (bench/baseline_agent.py), against the same loopback model
and a Notion server of its own, counted as Darcy's are. The ratios to Darcy's figures
are the headline (computed in bench/__main__.py)."""

from __future__ import annotations

from typing import Any

from bench.baseline_agent import BaselineAgent, ScriptedModel
from bench.common import Mode, corpus, demo_workspace, rounded, settings
from bench.llm_rig import ModelServer


def requester(handle: str) -> str:
    member = next((m for m in demo_workspace()["members"] if m["handle"] == handle), None)
    return f"{member['name']} ({member['email']})" if member else "someone the workspace does not know"


async def run(mode: Mode) -> dict[str, Any]:
    from integrations.notion.store import start_embedded

    cases = list(corpus())
    if mode.smoke:
        cases = cases[::9]
    out: dict[str, Any] = {}
    for order in ("sequential", "parallel"):
        emulator, store = await start_embedded(demo_workspace(), settings().notion)
        try:
            async with ModelServer(ScriptedModel(parallel=order == "parallel")) as server:
                agent = BaselineAgent(store, api_base=server.base_url)
                calls = prompt = completion = 0
                notion_before = len(emulator.request_log)
                for case in cases:
                    outcome = await agent.handle(case["text"], requester(case["user"]))
                    calls += outcome.calls
                    prompt += outcome.prompt_tokens
                    completion += outcome.completion_tokens
                notion = len(emulator.request_log) - notion_before
                assert server.unscripted == 0
        finally:
            await store.aclose()
            await emulator.stop()
        prefix = "baseline" if order == "sequential" else "baseline_parallel"
        out |= {
            f"{prefix}_llm_calls_per_request": rounded(calls / len(cases)),
            f"{prefix}_prompt_tokens_per_request": rounded(prompt / len(cases), 1),
            f"{prefix}_completion_tokens_per_request": rounded(completion / len(cases), 1),
            f"{prefix}_notion_calls_per_request": rounded(notion / len(cases)),
        }
    return out
