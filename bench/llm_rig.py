"""The model both Darcy and the baseline talk to: the loopback OpenAI-compatible server of
the tests (tests/rigs/openai_server.py), answering as a perfect model would.

Tokens are counted the same way for both: the server reports, in `usage`, what litellm's
own `token_counter` counts for the request it received (messages and tool schemas, with
gpt-4o-mini's tokenizer, bundled with litellm: nothing is downloaded). Both sides read
`usage` from the response, as they would from a provider.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

from bench.common import corpus, demo_workspace, use_rigs

TOKENIZER_MODEL = "gpt-4o-mini"

SMALL_TALK_ANSWER = "Hi! I look after the club's tasks."


def labelled_answer(case: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The call a perfect model makes for a public case: (tool or None, raw arguments)."""
    use_rigs()
    from rigs.perfect_model import labelled_call

    return labelled_call(case, {m["handle"]: m["name"] for m in demo_workspace()["members"]})


@cache
def answers_by_text() -> dict[str, tuple[str | None, dict[str, Any]]]:
    return {case["text"]: labelled_answer(case) for case in corpus()}


def prompt_tokens(request: dict[str, Any]) -> int:
    import litellm

    return int(
        litellm.token_counter(
            model=TOKENIZER_MODEL, messages=request.get("messages") or [], tools=request.get("tools") or None
        )
    )


def completion_tokens(message: dict[str, Any]) -> int:
    import litellm

    if message.get("tool_calls"):
        text = json.dumps([c["function"] for c in message["tool_calls"]])
    else:
        text = message.get("content") or ""
    return int(litellm.token_counter(model=TOKENIZER_MODEL, text=text))


def counted(answer: Any, request: dict[str, Any]) -> Any:
    """The scripted answer with its usage counted by litellm's tokenizer."""
    from dataclasses import replace

    return replace(
        answer,
        prompt_tokens=prompt_tokens(request),
        completion_tokens=completion_tokens(answer.message or {}),
    )


class ModelServer:
    """The loopback server, answering with `decide(request) -> Scripted`, usage counted.

    `async with ModelServer(decide) as server`: `server` is the rig's OpenAIServer, whose
    `reset()` (forget what was recorded) keeps this responder. Without `count_tokens` the
    rig's own estimate is served (no tokenizer loaded: for memory figures)."""

    def __init__(self, decide: Callable[[dict[str, Any]], Any], *, count_tokens: bool = True) -> None:
        use_rigs()
        from rigs.openai_server import OpenAIServer

        def respond(request: dict[str, Any]) -> Any:
            return counted(decide(request), request) if count_tokens else decide(request)

        class Server(OpenAIServer):
            def reset(self) -> None:
                super().reset()
                self.respond_with(respond)

        self.server = Server()
        self.server.respond_with(respond)

    async def __aenter__(self) -> Any:
        return await self.server.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.server.stop()


def darcy_model(request: dict[str, Any]) -> Any:
    """Darcy's planner asks once per message: the labelled call of the message's case."""
    use_rigs()
    from rigs.openai_server import text, tool_call

    said = request["messages"][-1]["content"]
    tool, args = answers_by_text().get(said, (None, {}))
    return tool_call(tool, args) if tool else text(SMALL_TALK_ANSWER)
