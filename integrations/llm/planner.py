"""The LLM planner: one litellm function-calling request per message (docs/architecture.md).

Why it is shaped this way:
- One request in the common case: the tools' schemas (generated from core/tools.py)
  and a compact prompt (integrations/llm/prompt.py) go in, one tool call comes out.
- The cascade across configured models is ours, with litellm's own retries off: a
  429, a 5xx, a timeout or a refused connection moves to the next model at once,
  and a model that answered 429 with Retry-After is skipped until then.
- A malformed answer (invalid JSON, an unknown tool, arguments the pydantic model
  rejects) gets one repair round with the error; then the offline planner answers.
  A person never sees an exception from here.
- Names stay names: the gate resolves them, and an id a model invents is just a
  string the gate will fail to resolve.
- Every call's tokens and cost go on the command's meter (core/usage.py), which the
  usage ledger keeps per person and day; a person past the daily budget gets the offline
  planner and a notice, returned with the call (`PlanResult.notice`).

`import litellm` takes seconds, so it happens on first use (or `warm_up()`), in a
thread so the event loop keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import structlog
from pydantic import ValidationError

from core import usage as metering
from core.actions import TOOLS
from core.config import ConfigError, PlannerSettings, ProjectProperties, Settings, TaskProperties
from core.observability import adopt_library_loggers, span
from core.planner import Planner, PlannerInput, PlanResult, Reader
from core.tools import ToolCall, ToolSpec, validate_args
from integrations.llm.prompt import system_prompt
from integrations.llm.schemas import tool_schemas

if TYPE_CHECKING:
    from types import ModuleType

# Before anything imports litellm: otherwise it downloads its model cost map.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

log = structlog.get_logger("darcy.llm")

BUDGET_NOTICE = (
    "You've reached today's AI budget; I'm using the simpler offline understanding until tomorrow."
)
OUTAGE_NOTICE = "(My AI model isn't answering right now, so I used my simpler offline understanding.)"
# A key for OpenAI-compatible local servers (llama.cpp, vLLM), which ignore it but
# whose client library refuses to send a request without one.
LOCAL_KEY = "x"
# Beyond litellm's own timeout, a hard ceiling on one call in case a layer ignores it.
HARD_TIMEOUT_GRACE_S = 1.0
MAX_COOLDOWN_S = 300.0


@dataclass
class PlannerStats:
    """Counters for evaluation and benchmarks (never reset by the planner)."""

    requests: int = 0  # messages planned
    calls: int = 0  # LLM requests sent (answered or not)
    failed_calls: int = 0  # of which: errors and timeouts
    repairs: int = 0  # repair rounds asked for
    fallbacks: int = 0  # messages answered by the fallback planner
    budget_skips: int = 0  # of which: because the user's daily budget was spent
    read_rounds: int = 0  # extension reads run mid-planning and sent back to the model
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class MalformedAnswer(Exception):
    """The model's answer is no valid call; the message is what the repair round tells it."""


class BudgetSpent(Exception):
    """The person's daily budget (dollars or tokens) is spent: no further model call today."""


class ModelsUnavailable(Exception):
    """Every configured model failed (or is cooling down after a 429)."""


class LLMPlanner(Planner):
    """Plans with a chat model through litellm; the fallback planner covers every failure."""

    uses_extensions = True

    def __init__(
        self,
        settings: PlannerSettings,
        *,
        fallback: Planner,
        usage: metering.UsageLedger | None = None,
        statuses: list[str] | None = None,
        progress_options: list[str] | None = None,
        tools: Mapping[str, ToolSpec] = TOOLS,
    ) -> None:
        self.settings = settings
        self.fallback: Planner = fallback
        self.usage = usage if usage is not None else metering.MemoryUsageLedger()
        self.specs = tools
        self.tools = tool_schemas({
            "status": statuses or TaskProperties().status_options,
            "progress": progress_options or ProjectProperties().progress_options,
        }, tools)
        # Runs a read the model asked for mid-planning (an extension tool) and returns what it
        # said; set by the request handler. Without it, every tool call ends the planning.
        self.reader: Reader | None = None
        self.stats = PlannerStats()
        self._cooldown_until: dict[str, float] = {}
        self._litellm: ModuleType | None = None

    async def warm_up(self) -> None:
        """Pay litellm's start-up (≈5 s import, ≈1 s of lazy imports on the first call with
        tools) now, off the event loop, rather than on the first person's message.

        The warming call uses litellm's `mock_response`: nothing leaves the process."""
        litellm = await self._client()
        model = self.settings.models[0] if self.settings.models else "openai/warm-up"
        try:
            await asyncio.to_thread(
                litellm.completion, model=model,
                messages=[{"role": "user", "content": "warm up"}], tools=self.tools, mock_response="ok",
            )
        except Exception as exc:  # warming is an optimisation; the first real call will tell
            log.info("llm_warm_up_failed", error=repr(exc))

    async def plan(self, text: str, facts: PlannerInput) -> PlanResult:
        self.stats.requests += 1
        try:
            return PlanResult(call=await self._plan(text, facts))
        except BudgetSpent:
            self.stats.budget_skips += 1
            log.info(
                "llm_budget_reached",
                budget_usd=self.settings.daily_budget_usd,
                budget_tokens=self.settings.daily_budget_tokens,
            )
            return await self._fall_back(text, facts, "budget", notice=BUDGET_NOTICE)
        except ModelsUnavailable as exc:
            log.warning("llm_unavailable", reason=str(exc))
            return await self._fall_back(text, facts, "unavailable", notice=OUTAGE_NOTICE)
        except MalformedAnswer as exc:
            log.warning("llm_malformed_after_repair", error=str(exc))
            return await self._fall_back(text, facts, "malformed")
        except Exception as exc:  # a bug or an unforeseen library error: still never the user's problem
            log.warning("llm_planner_error", error=repr(exc), exc_info=True)
            return await self._fall_back(text, facts, "error")

    # ---- one message -------------------------------------------------------------------

    async def _plan(self, text: str, ctx: PlannerInput) -> ToolCall:
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": system_prompt(ctx, text)},
            {"role": "user", "content": text},
        ]
        call = await self._answer(messages, text, ctx)
        rounds = 0
        # A bounded loop of reads: an extension tool's answer (a calendar, say) goes back to
        # the model, which then answers, reads again, or names the one call to make. Notion
        # reads end it (they are answered as tables), and a write always stops for a confirmation.
        while self.reader is not None and rounds < self.settings.max_read_rounds and self._chains(call):
            said = await self.reader(call, ctx)
            if said is None:
                break
            rounds += 1
            self.stats.read_rounds += 1
            messages.extend(_read_round(call, said, rounds))
            call = await self._answer(messages, text, ctx, after_reads=True)
        return call

    def _chains(self, call: ToolCall) -> bool:
        spec = self.specs.get(call.tool or "")
        return spec is not None and spec.impact == "read" and spec.source != "notion"

    async def _answer(
        self, messages: list[dict[str, Any]], text: str, ctx: PlannerInput, *, after_reads: bool = False,
    ) -> ToolCall:
        await self._check_budget(ctx)
        response, model = await self._complete(messages)
        try:
            return await self._read(response, text, ctx, after_reads=after_reads)
        except MalformedAnswer as exc:
            self.stats.repairs += 1
            log.warning("llm_malformed", model=model, error=str(exc))
            messages.extend(_repair_messages(response, str(exc)))
            await self._check_budget(ctx)  # a repair is a model call like any other
            response, _ = await self._complete(messages, first=model)
            return await self._read(response, text, ctx, after_reads=after_reads)

    async def _complete(
        self, messages: list[dict[str, Any]], first: str | None = None,
    ) -> tuple[Any, str]:
        """The first answer along the cascade (from `first` on), counted in usage."""
        litellm = await self._client()
        models = self.settings.models
        if first in models:
            models = models[models.index(first):]
        tried = []
        for model in models:
            if self._cooling(model):
                continue
            tried.append(model)
            self.stats.calls += 1
            with span("llm.completion", {"gen_ai.request.model": model}) as current:
                try:
                    async with asyncio.timeout(self.settings.timeout_seconds + HARD_TIMEOUT_GRACE_S):
                        response = await litellm.acompletion(
                            model=model, messages=messages, **self._call_options()
                        )
                except Exception as exc:
                    self.stats.failed_calls += 1
                    self._note_failure(model, exc)
                    current.set_attribute("error.type", type(exc).__name__)
                    continue
                current.set_attributes(self._count(litellm, response, model))
            return response, model
        raise ModelsUnavailable(f"tried {tried or 'no model'} of {self.settings.models}")

    def _call_options(self) -> dict[str, Any]:
        settings = self.settings
        key = os.environ.get(settings.api_key_env) if settings.api_key_env else None
        if not key and settings.api_base:
            key = LOCAL_KEY
        return {
            "api_base": settings.api_base, "api_key": key, "tools": self.tools, "tool_choice": "auto",
            "temperature": 0, "drop_params": True, "timeout": settings.timeout_seconds,
            "num_retries": 0, "max_retries": 0,
        }

    async def _read(
        self, response: Any, text: str, ctx: PlannerInput, *, after_reads: bool = False
    ) -> ToolCall:
        """The answer as a ToolCall, or MalformedAnswer saying what to fix."""
        message = response.choices[0].message
        calls = getattr(message, "tool_calls", None) or []
        if not calls and after_reads and (message.content or "").strip():
            return ToolCall(tool=None, say=message.content.strip())  # its answer, from what it read
        if not calls:
            written = _call_in_text(message.content, self.specs)
            if written is not None:
                return parse_tool_call(*written, self.specs)
            return ToolCall(tool=None, intent=await self._intent(text, ctx))
        if len(calls) > 1:
            log.warning("llm_several_tool_calls", count=len(calls), used=calls[0].function.name)
        return parse_tool_call(calls[0].function.name, calls[0].function.arguments, self.specs)

    async def _intent(self, text: str, ctx: PlannerInput) -> str:
        """The model chose no tool: the offline grammar tells help and thanks from the rest."""
        try:
            offline = (await self.fallback.plan(text, ctx)).call
        except Exception:
            return "out_of_scope"
        return (offline.intent or "help") if offline.tool is None else "out_of_scope"

    async def _fall_back(
        self, text: str, facts: PlannerInput, why: str, *, notice: str | None = None
    ) -> PlanResult:
        self.stats.fallbacks += 1
        log.info("llm_fallback", reason=why)
        offline = await self.fallback.plan(text, facts)
        return PlanResult(call=offline.call, notice=notice or offline.notice)

    # ---- accounting and failures --------------------------------------------------------

    def _count(self, litellm: ModuleType, response: Any, model: str) -> dict[str, Any]:
        """Charge this call to the command's meter; its span attributes."""
        usage = getattr(response, "usage", None)
        prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion = int(getattr(usage, "completion_tokens", 0) or 0)
        try:
            cost = float(litellm.completion_cost(completion_response=response) or 0.0)
        except Exception:  # a local or unpriced model: no cost known
            cost = 0.0
        self.stats.prompt_tokens += prompt
        self.stats.completion_tokens += completion
        self.stats.cost_usd += cost
        metering.charge_model(model, prompt, completion, cost)
        return {"gen_ai.usage.input_tokens": prompt, "gen_ai.usage.output_tokens": completion,
                "llm.cost_usd": round(cost, 6)}

    async def _check_budget(self, ctx: PlannerInput) -> None:
        """Before every model call: BudgetSpent when this person's spend today (every replica's,
        kept by the ledger, plus this command's so far) has reached a budget, in dollars or tokens."""
        usd, tokens = self.settings.daily_budget_usd, self.settings.daily_budget_tokens
        if ctx.requester is None or (usd is None and tokens is None):
            return
        who, day, meter = ctx.requester.notion_user_id, ctx.now.date(), metering.current()
        if usd is not None:
            spent = await self.usage.spent_usd(who, day) + (meter.cost_usd if meter else 0.0)
            if spent >= usd:
                raise BudgetSpent
        if tokens is not None:
            used = meter.prompt_tokens + meter.completion_tokens if meter else 0
            if await self.usage.spent_tokens(who, day) + used >= tokens:
                raise BudgetSpent

    def _note_failure(self, model: str, exc: BaseException) -> None:
        status = getattr(exc, "status_code", None)
        wait = _retry_after(exc) if status == 429 else None
        if wait:
            self._cooldown_until[model] = time.monotonic() + min(wait, MAX_COOLDOWN_S)
        log.warning("llm_call_failed", model=model, error=type(exc).__name__, status=status, retry_after=wait)

    def _cooling(self, model: str) -> bool:
        until = self._cooldown_until.get(model)
        if until is None:
            return False
        if time.monotonic() >= until:
            del self._cooldown_until[model]
            return False
        return True

    async def _client(self) -> ModuleType:
        if self._litellm is None:
            module = await asyncio.to_thread(importlib.import_module, "litellm")
            module.suppress_debug_info = True  # no "Give Feedback / Get Help" banners on errors
            adopt_library_loggers()  # its handlers print to stdout, unredacted: through Darcy's instead
            self._litellm = module
        return self._litellm


def parse_tool_call(
    name: str | None, arguments: str | dict[str, Any] | None, tools: Mapping[str, ToolSpec] = TOOLS
) -> ToolCall:
    """A model's tool call as a validated ToolCall, or MalformedAnswer with the reason.

    Null and empty arguments are dropped (models often send every field): absent
    means the default, which is what the gate and the evaluation expect.
    """
    if name not in tools:
        raise MalformedAnswer(f"There is no tool {name!r}. The tools are: {', '.join(tools)}.")
    if isinstance(arguments, dict):
        args: Any = arguments
    else:
        try:
            args = json.loads(arguments or "{}")
        except json.JSONDecodeError as exc:
            raise MalformedAnswer(f"The arguments are not valid JSON: {exc}.") from exc
    if not isinstance(args, dict):
        raise MalformedAnswer("The arguments must be a JSON object.")
    call = ToolCall(tool=name, args={k: v for k, v in args.items() if v is not None and v != ""})
    try:
        validate_args(call, tools)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}" for err in exc.errors()
        )
        raise MalformedAnswer(f"The arguments of {name} are not valid: {problems}.") from exc
    return call


_WRAPPERS = re.compile(r"^\s*(?:```(?:json)?|<tool_call>)\s*|\s*(?:```|</tool_call>)\s*$")


def _call_in_text(content: str | None, tools: Mapping[str, ToolSpec] = TOOLS) -> tuple[str, Any] | None:
    """A tool call a model wrote as text (`{"name": …, "arguments": {…}}`, maybe in a
    code fence or <tool_call> tags), as local servers without a tool-call template do."""
    if not content or "{" not in content:
        return None
    try:
        data = json.loads(_WRAPPERS.sub("", content))
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or data.get("name") not in tools:
        return None
    arguments = data.get("arguments", data.get("parameters", {}))
    return data["name"], arguments


def _read_round(call: ToolCall, said: str, number: int) -> list[dict[str, Any]]:
    """A read the model asked for and what the tool said, as the conversation's next messages."""
    call_id = f"read_{number}"
    return [
        {"role": "assistant", "content": None, "tool_calls": [{
            "id": call_id, "type": "function",
            "function": {"name": call.tool or "", "arguments": json.dumps(call.args)},
        }]},
        {"role": "tool", "tool_call_id": call_id, "content": said},
    ]


def _repair_messages(response: Any, error: str) -> list[dict[str, Any]]:
    """The model's faulty call and the error, as the conversation's next two messages."""
    message = response.choices[0].message
    if not getattr(message, "tool_calls", None):  # the call was written as text
        return [{"role": "assistant", "content": message.content or ""},
                {"role": "user", "content": f"Error: {error} Call one tool again with corrected arguments."}]
    first = message.tool_calls[0]
    call_id = getattr(first, "id", None) or "call_0"
    arguments = first.function.arguments
    return [
        {
            "role": "assistant", "content": message.content or None,
            "tool_calls": [{
                "id": call_id, "type": "function",
                "function": {"name": first.function.name or "",
                             "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)},
            }],
        },
        {"role": "tool", "tool_call_id": call_id,
         "content": f"Error: {error} Call one tool again with corrected arguments."},
    ]


def _retry_after(exc: BaseException) -> float | None:
    """Seconds from a 429's Retry-After header, when the exception carries the response."""
    for headers in (getattr(exc, "headers", None), getattr(getattr(exc, "response", None), "headers", None),
                    getattr(exc, "litellm_response_headers", None)):
        value = headers.get("retry-after") if headers is not None and hasattr(headers, "get") else None
        if value is not None:
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


def build_planner(
    settings: Settings, tools: Mapping[str, ToolSpec] = TOOLS, usage: metering.UsageLedger | None = None,
) -> Planner:
    """The configured planner; the offline one is always the LLM's fallback. `usage`: the
    ledger the daily budget is read from."""
    from core.planner.offline import OfflinePlanner

    offline = OfflinePlanner()
    if settings.planner.kind == "offline":
        return offline
    if not settings.planner.models:
        raise ConfigError("planner.models: the llm planner needs at least one litellm model name, "
                          "e.g. models = [\"openai/gpt-4o-mini\"]")
    return LLMPlanner(
        settings.planner, fallback=offline,
        statuses=settings.notion.tasks.status_options,
        progress_options=settings.notion.projects.progress_options,
        tools=tools,
        usage=usage,
    )


__all__ = [
    "BUDGET_NOTICE", "OUTAGE_NOTICE", "LLMPlanner", "MalformedAnswer", "ModelsUnavailable", "PlannerStats",
    "build_planner", "parse_tool_call",
]
