"""The LLM planner through the real litellm, over HTTP, against a scripted OpenAI-compatible
server on loopback (tests/rigs/openai_server.py).

The whole module shares one event loop and one server: litellm caches its HTTP clients
per loop, and its import (≈5 s) and first call with tools (≈1 s) are paid once, by the
`warm` fixture, so the timeout tests measure timeouts, not imports.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from functools import cache, partial
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import pytest
import pytest_asyncio
from rigs import perfect_model
from rigs.openai_server import (
    OpenAIServer,
    error,
    rate_limited,
    slow,
    text,
    tool_call,
    tool_calls,
)

from bot import evaluation
from bot.bootstrap import bootstrap
from core.actions import TOOLS
from core.config import ConfigError, PlannerSettings, ProjectProperties, TaskProperties, load_settings
from core.domain import Member
from core.planner import PlannerInput, PlanResult
from core.planner.offline import OfflinePlanner
from core.tools import ToolCall
from core.usage import MemoryUsageLedger, UsageEntry, metering
from integrations.llm.planner import BUDGET_NOTICE, OUTAGE_NOTICE, LLMPlanner, build_planner
from integrations.llm.schemas import tool_schemas

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = ROOT / "config" / "demo-workspace.json"
CORPUS = ROOT.parent / "shared" / "eval" / "public.jsonl"
PRIMARY, SECONDARY = "openai/primary-model", "openai/secondary-model"
PRICED = "openai/gpt-4o-mini"  # in litellm's local cost map: completion_cost() knows its price


# ---------------------------------------------------------------- the demo workspace


@cache
def workspace() -> dict[str, Any]:
    return json.loads(WORKSPACE.read_text(encoding="utf-8"))


@cache
def members() -> tuple[Member, ...]:
    fields = set(Member.model_fields)
    return tuple(Member(**{k: v for k, v in m.items() if k in fields}) for m in workspace()["members"])


def context(handle: str | None, *, history: list[str] | None = None, days: int = 0) -> PlannerInput:
    """What the service would give the planner for `handle` (unlinked or "unknown": no requester)."""
    raw = next((m for m in workspace()["members"] if m["handle"] == handle), None)
    requester = next((m for m in members() if m.handle == handle), None)
    if raw is None or not raw.get("linked", True):
        requester = None
    now = datetime.fromisoformat(workspace()["now"]).astimezone(ZoneInfo(workspace()["timezone"]))
    return PlannerInput(
        now=now + timedelta(days=days),
        requester=requester,
        members=list(members()),
        projects=[p["name"] for p in workspace()["projects"]],
        history=history or [],
    )


def task_titles() -> list[str]:
    return [t["title"] for t in workspace()["tasks"]]


# ---------------------------------------------------------------- the labelled corpus


def labelled_calls() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(id, user, text, expected tool, args) of every public case with a tool."""
    out = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        expect = case["expect"]
        expect = expect["any_of"][0] if "any_of" in expect else expect
        if expect.get("tool"):
            out.append((case["id"], case["user"], case["text"], expect["tool"], expect.get("args", {})))
    return out


def raw_args(args: dict[str, Any]) -> dict[str, Any]:
    return perfect_model.raw_args(args, {m.handle: m.name for m in members()})


# ---------------------------------------------------------------- fixtures


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server() -> AsyncIterator[OpenAIServer]:
    async with OpenAIServer() as rig:
        yield rig


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def warm(server: OpenAIServer) -> None:
    planner = make(server)
    await planner.warm_up()
    server.script(text("Hello!"))
    await planner.plan("hello", context("alice"))  # the first real call's lazy imports
    server.reset()


@pytest.fixture
def rig(server: OpenAIServer, warm: None) -> Iterator[OpenAIServer]:
    server.reset()
    yield server
    assert server.unscripted == 0, "a request found no scripted answer"


def make(
    server: OpenAIServer, *models: str, usage: MemoryUsageLedger | None = None, **settings: Any
) -> LLMPlanner:
    planner_settings = PlannerSettings(
        kind="llm",
        models=list(models or (PRIMARY, SECONDARY)),
        api_base=server.base_url,
        timeout_seconds=settings.pop("timeout_seconds", 5),
        **settings,
    )
    return LLMPlanner(planner_settings, fallback=OfflinePlanner(), usage=usage)


# ---------------------------------------------------------------- the arguments flow unchanged


@pytest.mark.parametrize(
    ("case_id", "user", "said", "tool", "args"), labelled_calls(), ids=[c[0] for c in labelled_calls()]
)
async def test_labelled_call_flows_unchanged(
    rig: OpenAIServer,
    case_id: str,
    user: str,
    said: str,
    tool: str,
    args: dict[str, Any],
) -> None:
    planner = make(rig)
    raw = raw_args(args)
    rig.script(tool_call(tool, raw))

    call = (await planner.plan(said, context(user))).call

    assert call == ToolCall(tool=tool, args=raw)
    assert rig.calls == 1 and planner.stats.fallbacks == 0
    request = rig.requests[0]
    assert request["messages"][-1] == {"role": "user", "content": said}
    prompt = request["messages"][0]["content"].casefold()
    assert not [t for t in task_titles() if t.casefold() in prompt]


async def test_no_tool_is_no_tool(rig: OpenAIServer) -> None:
    planner = make(rig)
    rig.script(text("I can't check the weather, sorry."), text("I look after the club's tasks."))

    weather = (await planner.plan("what's the weather like in Melbourne today?", context("tom"))).call
    helped = (await planner.plan("help", context("sam"))).call

    assert weather == ToolCall(tool=None, intent="out_of_scope")
    assert helped == ToolCall(tool=None, intent="help")


async def test_null_arguments_are_absent_and_ids_stay_strings(rig: OpenAIServer) -> None:
    planner = make(rig)
    rig.script(
        tool_call("list_tasks", {"assignee": "me", "project": None, "status": None, "due_before": ""}),
        tool_call("update_task", {"task": "notion-page-7f3a9c", "status": "Done"}),
    )

    mine = (await planner.plan("my tasks", context("dan"))).call
    assert mine == ToolCall(tool="list_tasks", args={"assignee": "me"})
    invented = (await planner.plan("finish it", context("dan"))).call
    assert invented == ToolCall(tool="update_task", args={"task": "notion-page-7f3a9c", "status": "Done"})


async def test_a_call_written_as_text_is_read(rig: OpenAIServer) -> None:
    """Local servers without a tool-call template put the call in the message text."""
    planner = make(rig)
    rig.script(
        text('<tool_call>\n{"name": "list_tasks", "arguments": {"assignee": "Bob"}}\n</tool_call>'),
        text('```json\n{"name": "whoami", "parameters": {}}\n```'),
    )

    assert (await planner.plan("bob's tasks", context("dan"))).call == ToolCall(
        tool="list_tasks", args={"assignee": "Bob"}
    )
    assert (await planner.plan("who am I", context("dan"))).call == ToolCall(tool="whoami")

    rig.script(text('{"name": "whoami", "arguments": {"me": true}}'), tool_call("whoami", {}))
    assert (await planner.plan("who am I", context("dan"))).call == ToolCall(tool="whoami")
    assert rig.requests[-1]["messages"][-1]["role"] == "user"  # the repair, said as the user
    assert planner.stats.repairs == 1 and planner.stats.fallbacks == 0


async def test_several_tool_calls_use_the_first(rig: OpenAIServer) -> None:
    planner = make(rig)
    rig.script(
        tool_calls(
            [
                ("update_task", {"task": "Order catering", "status": "Done"}),
                ("update_task", {"task": "Print name badges", "status": "Done"}),
            ]
        )
    )

    call = (await planner.plan("catering and badges are done", context("eve"))).call

    assert call == ToolCall(tool="update_task", args={"task": "Order catering", "status": "Done"})


async def test_a_perfect_model_scores_every_public_case_through_the_gate(
    rig: OpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The labelled calls, sent by the model, go through identity → gate → reply as the
    evaluation runs them, and the project's scorer finds every case right."""
    score = _scorer()
    cases = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    answers: dict[str, Any] = {}
    names = {m.handle: m.name for m in members()}
    for case in cases:
        tool, args = perfect_model.labelled_call(case, names)
        answers[case["text"]] = tool_call(tool, args) if tool else text("Hi! I look after tasks.")
    rig.respond_with(lambda request: answers[request["messages"][-1]["content"]])
    planner = make(rig)
    monkeypatch.setattr(evaluation, "bootstrap", partial(bootstrap, planner=planner))

    predictions = {p["id"]: p for p in await evaluation.predict(load_settings(), cases)}

    workspace_ = score.Workspace(WORKSPACE)
    misses = {
        c["id"]: why
        for c in cases
        if (why := score.judge(c["expect"], predictions[c["id"]], c["user"], workspace_))
    }
    assert not misses
    assert planner.stats.calls == rig.calls <= len(cases) and planner.stats.fallbacks == 0


def _scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("darcy_eval_score", CORPUS.parent / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- what is sent


async def test_schemas_sent_match_the_argument_models(rig: OpenAIServer) -> None:
    planner = make(rig)
    rig.script(tool_call("whoami", {}))
    await planner.plan("who am I?", context("dan"))
    request = rig.requests[0]
    sent = {t["function"]["name"]: t["function"] for t in request["tools"]}

    assert request["tool_choice"] == "auto"
    assert list(sent) == list(TOOLS)
    statuses = TaskProperties().status_options
    for name, spec in TOOLS.items():
        params = sent[name]["parameters"]
        fields = spec.args_model.model_fields
        assert set(params["properties"]) == set(fields), name
        assert params.get("required", []) == [f for f, info in fields.items() if info.is_required()], name
        assert params["additionalProperties"] is False
        assert sent[name]["description"] == inspect.cleandoc(spec.args_model.__doc__ or "")
        jsonschema.Draft202012Validator.check_schema(params)
        if params["properties"].get("status", {}).get("type") == "string":  # create, update…
            assert params["properties"]["status"]["enum"] == statuses, name
    for name in ("create_task", "update_task"):
        assert "enum" in sent[name]["parameters"]["properties"]["status"]
    list_status = sent["list_tasks"]["parameters"]["properties"]["status"]["anyOf"]
    assert {"enum": ["active", "all"], "type": "string"} in list_status
    assert {"type": "array", "items": {"type": "string", "enum": statuses}} in list_status
    progress = sent["list_projects"]["parameters"]["properties"]["progress"]["anyOf"]
    options = ProjectProperties().progress_options
    assert {"type": "array", "items": {"type": "string", "enum": options}} in progress


async def test_schemas_accept_what_the_models_accept() -> None:
    """Every labelled call validates against both; typical mistakes fail both."""
    schemas = {
        s["function"]["name"]: s["function"]["parameters"]
        for s in tool_schemas({"status": TaskProperties().status_options})
    }
    for _, _, _, tool, args in labelled_calls():
        raw = raw_args(args)
        jsonschema.validate(raw, schemas[tool])
        TOOLS[tool].args_model.model_validate(raw)
    for tool, bad in [
        ("list_tasks", {"status": 5}),
        ("list_tasks", {"priority": "high"}),
        ("create_task", {"assignees": "Bob"}),
        ("whoami", {"me": True}),
    ]:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schemas[tool])
        with pytest.raises(ValueError):
            TOOLS[tool].args_model.model_validate(bad)


async def test_prompt_is_compact_and_never_lists_tasks(rig: OpenAIServer) -> None:
    planner = make(rig)
    rig.script(tool_call("list_tasks", {"assignee": "Bob"}))
    history = ["hi", "show my tasks", "what's overdue?", "thanks"]

    await planner.plan("and Bob's?", context("carol", history=history))

    prompt = rig.system_prompts()[0]
    for expected in (
        "Wednesday 2026-11-18",
        "Australia/Melbourne",
        '"Carol Jensen" ("carol")',
        'role "lead"',
        "2026-11-22",
        "2026-11-23 to 2026-11-29",
    ):
        assert expected in prompt
    for member in members():
        assert f'"{member.name}" ("{member.handle}")' in prompt
    for project in workspace()["projects"]:
        assert f'"{project["name"]}"' in prompt
    assert "show my tasks" in prompt and "thanks" in prompt and "- hi" not in prompt  # the last 3 turns
    everything_but_the_user = json.dumps([m for m in rig.requests[0]["messages"] if m["role"] != "user"])
    assert not [t for t in task_titles() if t.casefold() in everything_but_the_user.casefold()]
    assert len(prompt) < 2500


async def test_an_unlinked_user_is_said_to_be_unlinked(rig: OpenAIServer) -> None:
    planner = make(rig)
    rig.script(text("Please link your account first."))
    await planner.plan("show me my tasks please", context("zoe"))
    assert "not linked to a Notion account" in rig.system_prompts()[0]


# ---------------------------------------------------------------- the cascade


async def test_rate_limited_primary_falls_to_the_next_model_then_waits(rig: OpenAIServer) -> None:
    planner = make(rig)
    wanted = {"assignee": "me"}
    rig.script(rate_limited(retry_after=30), tool_call("list_tasks", wanted), tool_call("list_tasks", wanted))

    first = (await planner.plan("what are my tasks?", context("dan"))).call
    second = (await planner.plan("what are my tasks?", context("dan"))).call

    assert first == second == ToolCall(tool="list_tasks", args=wanted)
    # the second message skipped the primary: it asked to be left alone for 30 s
    assert rig.models() == ["primary-model", "secondary-model", "secondary-model"]
    assert planner.stats.failed_calls == 1 and planner.stats.fallbacks == 0


async def test_server_error_falls_to_the_next_model(rig: OpenAIServer) -> None:
    planner = make(rig)
    rig.script(error(500, "upstream exploded"), tool_call("whoami", {}))

    assert (await planner.plan("who am I?", context("dan"))).call == ToolCall(tool="whoami")
    assert rig.models() == ["primary-model", "secondary-model"]


async def test_timeout_falls_to_the_next_model_quickly(rig: OpenAIServer) -> None:
    planner = make(rig, timeout_seconds=0.3)
    rig.script(slow(3, tool_call("whoami", {})), tool_call("whoami", {}))

    began = time.monotonic()
    call = (await planner.plan("who am I?", context("dan"))).call

    assert call == ToolCall(tool="whoami")
    assert rig.calls == 2 and time.monotonic() - began < 1.5


async def test_every_model_failing_gives_the_offline_answer(rig: OpenAIServer) -> None:
    planner = make(rig)
    rig.script(error(503, "overloaded"), rate_limited(retry_after=None))
    said, ctx = "show Priya's tasks in Marketing", context("bob")

    planned = await planner.plan(said, ctx)

    assert planned.call == (await OfflinePlanner().plan(said, ctx)).call
    assert rig.calls == 2 and planner.stats.fallbacks == 1 and planned.notice == OUTAGE_NOTICE


async def test_unreachable_endpoint_gives_the_offline_answer(rig: OpenAIServer) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    settings = PlannerSettings(
        kind="llm", models=[PRIMARY], api_base=f"http://127.0.0.1:{closed}/v1", timeout_seconds=2
    )
    planner = LLMPlanner(settings, fallback=OfflinePlanner())
    said, ctx = "what's overdue?", context("carol")

    assert (await planner.plan(said, ctx)).call == (await OfflinePlanner().plan(said, ctx)).call
    assert planner.stats.failed_calls == 1 and planner.stats.fallbacks == 1


# ---------------------------------------------------------------- malformed answers


async def test_invalid_json_gets_one_repair_round(rig: OpenAIServer) -> None:
    planner = make(rig)
    good = {"task": "Order catering", "status": "Done"}
    broken = '{"task": "Order catering", "status": '
    rig.script(tool_call("update_task", broken), tool_call("update_task", good))

    call = (await planner.plan("catering's sorted", context("eve"))).call

    assert call == ToolCall(tool="update_task", args=good)
    assert rig.calls == 2 and planner.stats.repairs == 1 and planner.stats.fallbacks == 0
    repair = rig.requests[1]["messages"]
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "tool"]
    assert repair[2]["tool_calls"][0]["function"]["arguments"] == broken
    assert repair[3]["tool_call_id"] == repair[2]["tool_calls"][0]["id"]
    assert "not valid JSON" in repair[3]["content"]
    assert rig.models() == ["primary-model", "primary-model"]  # the model that erred repairs


async def test_malformed_twice_gives_the_offline_answer(rig: OpenAIServer) -> None:
    planner = make(rig)
    rig.script(
        tool_call("update_task", "{not json"), tool_call("update_task", {"status": "Finished!!", "x": 1})
    )
    said, ctx = "I've just finished sending out the recruitment forms", context("dan")

    call = (await planner.plan(said, ctx)).call

    assert call == (await OfflinePlanner().plan(said, ctx)).call
    assert rig.calls == 2 and planner.stats.repairs == 1 and planner.stats.fallbacks == 1


async def test_unknown_tool_gets_a_repair_naming_the_tools(rig: OpenAIServer) -> None:
    planner = make(rig)
    rig.script(
        tool_call("delete_task", {"task": "Order catering"}),
        tool_call("update_task", {"task": "Order catering", "status": "Archive"}),
    )

    call = (await planner.plan("get rid of order catering", context("alice"))).call

    assert call == ToolCall(tool="update_task", args={"task": "Order catering", "status": "Archive"})
    told = rig.requests[1]["messages"][-1]["content"]
    assert "delete_task" in told and all(name in told for name in TOOLS)


async def test_wrong_types_get_a_repair_with_the_validation_error(rig: OpenAIServer) -> None:
    planner = make(rig)
    rig.script(
        tool_call("create_task", {"title": "Book photographer", "assignees": "Hiro"}),
        tool_call("create_task", {"title": "Book photographer", "assignees": ["Hiro"]}),
    )

    call = (await planner.plan("assign Book photographer to hiro", context("carol"))).call

    assert call == ToolCall(tool="create_task", args={"title": "Book photographer", "assignees": ["Hiro"]})
    assert "assignees" in rig.requests[1]["messages"][-1]["content"]


async def test_a_failed_repair_call_falls_back_offline(rig: OpenAIServer) -> None:
    planner = make(rig)
    rig.script(tool_call("nope", {}), error(500), error(500))
    said, ctx = "who am I?", context("dan")

    assert (await planner.plan(said, ctx)).call == (await OfflinePlanner().plan(said, ctx)).call
    assert rig.calls == 3 and planner.stats.fallbacks == 1


# ---------------------------------------------------------------- usage and budget


async def test_usage_is_counted_from_the_servers_usage(rig: OpenAIServer) -> None:
    planner = make(rig)
    rig.script(
        tool_call("whoami", {}, prompt_tokens=812, completion_tokens=9),
        tool_call("whoami", "{", prompt_tokens=800, completion_tokens=5),
        tool_call("whoami", {}, prompt_tokens=850, completion_tokens=7),
    )

    with metering() as first:
        await planner.plan("who am I?", context("dan"))
    with metering() as second:
        await planner.plan("who am I?", context("dan"))  # malformed, then repaired: two calls

    stats = planner.stats
    assert (stats.requests, stats.calls, stats.prompt_tokens, stats.completion_tokens) == (2, 3, 2462, 21)
    assert (first.llm_calls, first.prompt_tokens, first.completion_tokens) == (1, 812, 9)
    assert first.model == PRIMARY
    assert (second.llm_calls, second.prompt_tokens, second.completion_tokens) == (2, 1650, 12)
    assert second.cost_usd == 0.0  # a model litellm has no price for


async def plan_charged(
    planner: LLMPlanner, said: str, ctx: PlannerInput, ledger: MemoryUsageLedger
) -> PlanResult:
    """Plan as inside a command: what the meter charged goes to the ledger (UsageRecorder's part)."""
    with metering() as meter:
        planned = await planner.plan(said, ctx)
    assert ctx.requester is not None
    await ledger.record(UsageEntry(
        at=ctx.now, day=ctx.now.date(), correlation_id="test", command="HandleRequest", platform="terminal",
        user_id=ctx.requester.handle, notion_user_id=ctx.requester.notion_user_id, cost_usd=meter.cost_usd,
    ))
    return planned


async def test_daily_budget_switches_that_user_offline_with_a_notice(rig: OpenAIServer) -> None:
    ledger = MemoryUsageLedger()
    planner = make(rig, PRICED, usage=ledger, daily_budget_usd=0.01)
    expensive = {"prompt_tokens": 100_000, "completion_tokens": 0}  # ≈ $0.015 at gpt-4o-mini's price
    rig.script(tool_call("whoami", {}, **expensive), tool_call("whoami", {}), tool_call("whoami", {}))
    said = "who am I?"

    first = await plan_charged(planner, said, context("dan"), ledger)
    assert first.call == ToolCall(tool="whoami") and first.notice is None
    dan = context("dan").requester
    assert dan is not None and await ledger.spent_usd(dan.notion_user_id, context("dan").now.date()) > 0.01

    over = await planner.plan("what's overdue?", context("dan"))
    assert over.call == (await OfflinePlanner().plan("what's overdue?", context("dan"))).call
    assert over.notice == BUDGET_NOTICE and rig.calls == 1
    assert planner.stats.budget_skips == 1

    alice = await planner.plan(said, context("alice"))  # another person still has the model
    assert alice.notice is None and rig.calls == 2
    tomorrow = await planner.plan(said, context("dan", days=1))  # and so has dan, tomorrow
    assert tomorrow.notice is None and rig.calls == 3


# ---------------------------------------------------------------- building


async def test_build_planner_follows_the_config() -> None:
    settings = load_settings()
    assert isinstance(build_planner(settings), OfflinePlanner)

    llm = settings.model_copy(update={"planner": PlannerSettings(kind="llm", models=[PRIMARY, SECONDARY])})
    planner = build_planner(llm)
    assert isinstance(planner, LLMPlanner) and isinstance(planner.fallback, OfflinePlanner)
    assert planner.settings.models == [PRIMARY, SECONDARY]

    with pytest.raises(ConfigError, match=r"planner\.models"):
        build_planner(settings.model_copy(update={"planner": PlannerSettings(kind="llm")}))


async def test_a_large_club_lists_only_the_names_the_message_could_mean() -> None:
    """Past 40 members, the prompt names only the requester and the people mentioned."""
    from integrations.llm.prompt import system_prompt

    base = context("carol")
    crowd = [Member(notion_user_id=f"u{i}", name=f"Person{i:03d} Example", handle=f"p{i}") for i in range(99)]
    ctx = base.model_copy(update={"members": [*base.members, *crowd]})
    prompt = system_prompt(ctx, "assign the poster to Hiro")
    assert '"Hiro Sato" ("hiro")' in prompt and '"Carol Jensen" ("carol")' in prompt
    assert "Person050" not in prompt
    assert len(prompt) < len(system_prompt(base, "assign the poster to Hiro")) + 200
