"""The planner: text → ToolCall."""

from __future__ import annotations

import re

from core.planner import PlanningContext
from core.planner.offline.account import plan_link_account, plan_undo, plan_whoami
from core.planner.offline.comment import plan_comment
from core.planner.offline.create import plan_create, wants_create
from core.planner.offline.reads import is_question, plan_list_projects, plan_list_tasks, plan_show_task
from core.planner.offline.small_talk import plan_small_talk
from core.planner.offline.text import parse_utterance, strip_polite
from core.planner.offline.update import plan_update
from core.planner.offline.vocabulary import Args
from core.tools import ToolCall


def plan_text(text: str, ctx: PlanningContext) -> ToolCall:
    """Text → ToolCall, first matching intent wins; no tool for help, chit-chat, the rest."""
    msg = parse_utterance(text)
    core = strip_polite(msg.text)
    if not core:
        return ToolCall(intent="help")
    question = is_question(core)
    for plan in (
        lambda: plan_link_account(msg, core),
        lambda: plan_whoami(core),
        lambda: plan_undo(core),
        lambda: plan_comment(msg, core),
        lambda: plan_create(msg, core, ctx) if wants_create(core, ctx) else None,
        lambda: plan_bulk(plan_update(msg, core, ctx, question)),
        lambda: plan_show_task(msg, core, ctx),
        lambda: plan_list_projects(core),
        lambda: plan_list_tasks(msg, core, ctx),
    ):
        call = plan()
        if call is not None:
            return call
    return plan_small_talk(msg)


_BULK = re.compile(
    r"^(?:all|every|each|both)\b(?:\s+(?:of|the))*\s*(?P<rest>.*?)\s*\btasks?\b(?P<tail>.*)$", re.I
)
_OWNER = re.compile(r"\b(?:(?P<me>my|mine|our)|(?P<who><@[^>]+>|[\w.-]+)(?:'s|’s|s'))\s*", re.I)
_FILLER = re.compile(r"\b(?:in|for|from|under|on|of|the|project|open|active|current)\b", re.I)


def plan_bulk(call: ToolCall | None) -> ToolCall | None:
    """ "mark all my hackathon tasks done" → one `update_tasks` the gate lists, caps and checks;
    any other call passes through."""
    if call is None or call.tool != "update_task":
        return call
    m = _BULK.match(str(call.args.get("task") or "").strip())
    if m is None:
        return call
    scope = f"{m.group('rest')} {m.group('tail')}"
    args: Args = {k: v for k, v in call.args.items() if k in ("status", "due")}
    owner = _OWNER.search(scope)
    if owner:
        args["assignee"] = "me" if owner.group("me") else owner.group("who")
        scope = scope[: owner.start()] + scope[owner.end() :]
    project = " ".join(_FILLER.sub(" ", scope).split())
    if project:
        args["project"] = project
    return ToolCall(tool="update_tasks", args=args) if args.keys() & {"status", "due"} else call


class OfflinePlanner:
    """Deterministic planner: the default without a model, and the fallback with one."""

    name = "offline"

    async def plan(self, text: str, ctx: PlanningContext) -> ToolCall:
        return plan_text(text, ctx)


