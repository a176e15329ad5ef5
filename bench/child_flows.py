"""Run in a child process by bench/startup.py: the four demo flows through the terminal
adapter, with the offline or the LLM planner (litellm against the loopback model), so the
parent can read this process's peak memory."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bench.common import FLOWS, frozen, null_console, quiet, settings, use_rigs, workspace_now
from bench.llm_rig import ModelServer, darcy_model

FLOW_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    FLOWS["view"][1][0]: ("list_tasks", {"assignee": "Carol", "project": "Hackathon 2026"}),
    FLOWS["create"][1][0]: ("create_task", {"title": "Book photographer", "assignees": ["Hiro"],
                                            "due": "2026-11-20", "project": "Industry Night"}),
    FLOWS["finish"][1][0]: ("update_task", {"task": "sending out the forms", "status": "Done"}),
    FLOWS["link"][1][0]: ("list_tasks", {"assignee": "me"}),
}


def flow_model(request: dict[str, Any]) -> Any:
    use_rigs()
    from rigs.openai_server import tool_call

    said = request["messages"][-1]["content"]
    if said in FLOW_CALLS:
        return tool_call(*FLOW_CALLS[said])
    return darcy_model(request)


async def flows(planner: str) -> None:
    from bot.bootstrap import bootstrap
    from bot.terminal import TerminalChat

    async def play(config: Any) -> None:
        app = await bootstrap(config, clock=frozen(workspace_now()))
        try:
            console = null_console()
            for user, messages in FLOWS.values():
                chat = TerminalChat(app.bus, user, console)
                for text in messages:
                    await chat.send(text)
        finally:
            await app.aclose()

    if planner == "llm":
        async with ModelServer(flow_model, count_tokens=False) as server:  # no tokenizer in memory
            await play(settings(planner="llm", api_base=server.base_url))
    else:
        await play(settings())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--planner", choices=["offline", "llm"], default="offline")
    quiet()
    asyncio.run(flows(parser.parse_args().planner))


if __name__ == "__main__":
    main()
