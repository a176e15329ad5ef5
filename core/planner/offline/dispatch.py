"""The planner: text → ToolCall, from two voices and a policy.

`understand` cleans the text up (`text`), drops what is not the request (pleasantries,
lead-ins, claims of authority: `claims.strip_claims`), spots and masks the entities
(`entities`), asks the classifier for the intent (`intent`) and the phrase grammar of
earlier versions for its reading, then decides:

- the same family (read, create, update, comment): the intent's slot filler, when it says at
  least as much as the grammar ("could you put a task in for me to order the hoodies" gets
  the title "Order the hoodies", a statement its status from core/lexicon.py);
- a change the grammar heard in a statement, which the classifier is sure is a question or
  chit-chat: the read, or small talk; a command ("mark …", "push …") is never read as a list;
- a write the classifier hears and the grammar does not: filled, or asked for what is
  missing (the gate asks), never answered with a read;
- too close to call between a read and a write: one short question (`_ask`).

`understand` also says why, for tests and for reading a miss.
"""

from __future__ import annotations

import re

from core.lexicon import statement_status
from core.planner import Planner, PlannerInput, PlanResult
from core.planner.offline.account import plan_link_account, plan_undo, plan_whoami
from core.planner.offline.claims import strip_claims
from core.planner.offline.comment import plan_comment
from core.planner.offline.create import fill_create, plan_create, wants_create
from core.planner.offline.entities import spot
from core.planner.offline.intent import Guess, classify
from core.planner.offline.reads import is_question, plan_list_projects, plan_list_tasks, plan_show_task
from core.planner.offline.slots import (
    fill_comment,
    fill_due,
    fill_people,
    fill_show,
    fill_status,
)
from core.planner.offline.small_talk import plan_small_talk
from core.planner.offline.text import Utterance, parse_utterance, strip_polite
from core.planner.offline.update import plan_update
from core.planner.offline.vocabulary import Args
from core.tools import ToolCall

# Which intents are reads and writes, and the tool each would call.
_FAMILY = {
    "list_tasks": "read", "list_projects": "read", "show_task": "read", "whoami": "read",
    "create_task": "create", "update_status": "update", "update_due": "update",
    "update_people": "update", "update_other": "update", "add_comment": "comment",
    "link_account": "account", "undo": "account", "chat": "chat",
}  # fmt: skip
_TOOL_FAMILY = {"list_tasks": "read", "list_projects": "read", "show_task": "read", "whoami": "read",
                "create_task": "create", "update_task": "update", "update_tasks": "update",
                "add_comment": "comment", "link_account": "account", "undo": "account"}  # fmt: skip
WRITE_FAMILIES = {"create", "update", "comment"}
SURE = 0.6  # the classifier overrides the grammar within a family from here
OVERRIDE = 0.9  # and a usable write of another kind a statement rule read, from here
COMMANDED = 0.98  # or one a command rule read ("reassign X to P"), from here
CLOSE = 0.2  # top two intents of different families closer than this: ask
UNSURE = 0.45  # a write only the classifier heard, below this: ask


def _grammar(msg: Utterance, core: str, ctx: PlannerInput) -> ToolCall | None:
    """The phrase grammar: exact shapes people use ("assign X to P due D", "mark X done")."""
    question = is_question(core)
    for plan in (
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
    return None


def _fill(intent: str, msg: Utterance, core: str, ctx: PlannerInput) -> ToolCall | None:
    """The slot filler of one intent (step 3)."""
    if intent == "create_task":
        return fill_create(msg, core, ctx)
    if intent.startswith("update_"):
        # the intent's own filler first, then the others: a change is a change
        fillers = {"update_status": lambda: fill_status(msg, core, ctx),
                   "update_due": lambda: fill_due(msg, core, ctx),
                   "update_people": lambda: fill_people(msg, core, ctx),
                   "update_other": lambda: plan_update(msg, core, ctx, False)}  # fmt: skip
        first = fillers.pop(intent)()
        if _usable(first):
            return first
        for other in fillers.values():
            call = other()
            if _usable(call) and call is not None and call.tool == "update_task":
                return call
        return first
    if intent == "add_comment":
        return plan_comment(msg, core) or fill_comment(msg, core, ctx)
    if intent == "list_tasks":
        return plan_list_tasks(msg, core, ctx, force=True)
    if intent == "list_projects":
        return plan_list_projects(core) or ToolCall(tool="list_projects")
    if intent == "show_task":
        return plan_show_task(msg, core, ctx) or fill_show(msg, core, ctx)
    if intent == "whoami":
        return ToolCall(tool="whoami")
    return None


def _usable(call: ToolCall | None) -> bool:
    """A write with its required slot (or a read, or no tool)."""
    if call is None:
        return False
    if call.tool == "create_task":
        return bool(call.args.get("title"))
    if call.tool == "update_task":
        return bool(call.args.get("task")) and len(call.args) > 1
    if call.tool == "add_comment":
        return bool(call.args.get("task")) and bool(call.args.get("text"))
    return True


def _ask(guess: Guess, who: str | None = None) -> ToolCall:
    """Step 4: too close to call between a read and a write. One short question.

    (The reply model has no choice buttons for this yet: the question is text.)"""
    first, second = guess.ranked[0][0], guess.ranked[1][0]
    pair = {_FAMILY[first], _FAMILY[second]}
    if who and pair == {"read", "create"}:
        return ToolCall(intent="clarify", say=f"Do you want to see {who}'s tasks, or give {who} a new one?")
    words = {"read": "see tasks", "create": "create a new task", "update": "change a task",
             "comment": "comment on a task", "account": "link your account"}  # fmt: skip
    a, b = words.get(_FAMILY[first], "see tasks"), words.get(_FAMILY[second], "change a task")
    question = f"Sorry, I'm not sure: do you want to {a}, or {b}? Say it another way."
    return ToolCall(intent="clarify", say=question)


# A sentence that opens with one of these asks for a change: never answered with a read.
_COMMAND = re.compile(
    r"^(?:mark|set|push|move|bump|archive|assign|reassign|rename|close|tick|change|update|delay|postpone|"
    r"reschedule|extend|give|hand|add|put|create|make|comment|reopen)\b",
    re.I,
)
# A sentence that opens with one of these asks to see something.
_ASKS = re.compile(
    r"^(?:show|list|what|what's|whats|which|who|who's|whose|any|anything|how many|how much|give me|"
    r"tell me|display|view|see|get me|is there|are there|do i|does|did)\b",
    re.I,
)
# Text that tries to instruct the assistant itself (unlike a person's claim about their own role,
# which is dropped and the rest planned: the gate decides by the real role).
_INJECTION = re.compile(r"^\s*(?:system|assistant|developer|admin)\s*:", re.I)
# Roles and access are set in the admin config, never by a request.
_ROLES = re.compile(
    r"\b(?:make|promote|set|give|grant|change|upgrade|elevate)\b.*\b(?:admin|administrator|superuser|"
    r"moderator|role|permissions?|access|rights|privileges?)\b|\b(?:make|promote)\s+\S+\s+(?:an?\s+)?lead\b",
    re.I,
)


def understand(text: str, ctx: PlannerInput) -> tuple[ToolCall, dict[str, object]]:
    """Text → (ToolCall, how it was understood), for the planner and for tests."""
    msg = parse_utterance(text)
    core = strip_polite(msg.text)
    if not core:
        return ToolCall(intent="help"), {"why": "empty"}
    for plan in (lambda: plan_link_account(msg, core), lambda: plan_whoami(core), lambda: plan_undo(core)):
        call = plan()
        if call is not None:
            return call, {"why": "account"}
    if _ROLES.search(core) and not re.search(r"\b(?:task|todo|reminder)s?\b", core, re.I):
        return ToolCall(intent="out_of_scope"), {"why": "roles are the admin's"}
    if _INJECTION.search(core):  # told what Darcy is, rather than asked: not a request
        return ToolCall(intent="out_of_scope"), {"why": "instructions to the assistant"}
    core = strip_claims(core) or core
    entities = spot(core, ctx)
    guess = classify(entities.masked)
    grammar = _grammar(msg, core, ctx)
    family = _FAMILY[guess.intent]
    named = [s for s in entities.of("person") if not s.text.startswith("<@")]
    person = named[0].text.strip() if len(named) == 1 else None
    said = _TOOL_FAMILY.get(grammar.tool or "", "chat") if grammar is not None else None
    writes = guess.mass({i for i, f in _FAMILY.items() if f in WRITE_FAMILIES})
    info: dict[str, object] = {
        "masked": entities.masked,
        "intent": str(guess.intent),
        "p": round(guess.confidence, 3),
        "grammar": grammar.tool if grammar is not None else None,
    }

    def answer(call: ToolCall, why: str) -> tuple[ToolCall, dict[str, object]]:
        return call, {**info, "why": why}

    # The family agrees: the intent's slot filler, when it says at least as much as the grammar.
    if grammar is not None and said == family:
        other = guess.confidence >= SURE and _tool_of(guess.intent) != grammar.tool
        if family in ("create", "update") or other:
            filled = _fill(guess.intent, msg, core, ctx)
            if filled is not None and _usable(filled) and _better(filled, grammar):
                return answer(filled, "filled")
        return answer(grammar, "grammar agrees")
    # A statement the grammar took for a change, which the classifier is sure is a question.
    statement = grammar is not None and grammar.tool in ("update_task", "update_tasks") and (
        plan_update(msg, core, ctx, True) is None  # no command rule: a statement rule read it
    )
    sure_read = family == "read" and guess.confidence >= (0.8 if statement else 0.95)
    commanded = _COMMAND.match(core) is not None
    changes = grammar is not None and grammar.tool in ("update_task", "update_tasks")
    if changes and sure_read and not commanded:
        filled = _fill(guess.intent, msg, core, ctx)
        if filled is not None:
            return answer(filled, "classifier sure of a read")
    if grammar is not None and said in WRITE_FAMILIES:
        override = SURE if statement else COMMANDED
        if family in WRITE_FAMILIES and (guess.confidence >= override or not _usable(grammar)):
            filled = _fill(guess.intent, msg, core, ctx)
            if filled is not None and _usable(filled):
                return answer(filled, "classifier: other write")
        if statement and family == "chat" and guess.confidence >= SURE:
            return answer(plan_small_talk(msg), "a statement rule heard chit-chat")
        if writes >= 0.25 or _usable(grammar):
            return answer(grammar, "grammar write")
    # Unsure of the intent, but a status is stated about something: a progress report.
    unsure = guess.confidence < SURE or (family == "chat" and guess.confidence < OVERRIDE)
    if unsure and grammar is None and not is_question(core) and statement_status(core):
        reported = fill_status(msg, core, ctx)
        if _usable(reported):
            return answer(reported, "a status stated")  # type: ignore[arg-type]
    # A question the grammar read as a list, which the classifier half hears as a change.
    if said == "read" and _ASKS.match(core) and guess.confidence < OVERRIDE:
        return answer(grammar, "grammar read of a question")  # type: ignore[arg-type]
    # A write must never be answered with a read: the classifier's write wins, filled or asked.
    if family in WRITE_FAMILIES or (writes >= 0.5 and said != "read"):
        same = _FAMILY[guess.ranked[1][0]] == family
        if grammar is None and guess.confidence < UNSURE and not same:
            return answer(_ask(guess, person), "unsure")
        intent = guess.intent if family in WRITE_FAMILIES else _best_write(guess)
        runner_up = guess.ranked[1][0]
        if intent == "create_task" and guess.confidence < SURE and runner_up.startswith("update_"):
            reported = _fill(runner_up, msg, core, ctx)  # no create cue, a status said: a change
            if _usable(reported) and statement_status(core) is not None:
                return answer(reported, "statement rather than create")  # type: ignore[arg-type]
        filled = _fill(intent, msg, core, ctx)
        if filled is not None and (_usable(filled) or filled.tool in ("update_task", "create_task")):
            if not filled.args and guess.margin < CLOSE and _FAMILY[guess.ranked[1][0]] == "read":
                return answer(_ask(guess, person), "too close")
            return answer(filled, "classifier write")
        if grammar is not None and said in WRITE_FAMILIES:
            return answer(grammar, "grammar write (classifier's unfilled)")
        return answer(_unfilled(intent), "write, slots missing")
    if grammar is not None and said == "read":
        if family == "chat" and guess.confidence >= 0.95 and not is_question(core):
            return answer(plan_small_talk(msg), "chit-chat the grammar took for a list")
        if writes >= 0.4 and guess.margin < CLOSE:
            return answer(_ask(guess, person), "too close")
        return answer(grammar, "grammar read")
    if family == "read":
        filled = _fill(guess.intent, msg, core, ctx)
        if filled is not None:
            return answer(filled, "classifier read")
    if grammar is not None:
        return answer(grammar, "grammar")
    return answer(plan_small_talk(msg), "small talk")


def _better(filled: ToolCall, grammar: ToolCall) -> bool:
    """Does the slot filler's call say at least as much as the grammar's?"""
    if grammar.tool == "update_tasks":
        return False  # several tasks, by owner and project: only the grammar reads that
    if filled.tool != grammar.tool or not _usable(grammar):
        return True
    if set(filled.args) != set(grammar.args):
        return len(filled.args) > len(grammar.args)
    if filled.tool == "create_task" or filled.args.get("status") != grammar.args.get("status"):
        return True  # the title from what is left; the status from the lexicon
    named = str(grammar.args.get("task", ""))
    if _COMMAND.match(named) or re.search(r"\b(?:it|that|this|them)$", named) or statement_status(named):
        return True  # the grammar took the request's own words for the task
    return str(filled.args.get("task", "")).startswith("<@notion:")  # whose task it is


def _tool_of(intent: str) -> str:
    return "update_task" if intent.startswith("update_") else intent


def _best_write(guess: Guess) -> str:
    return next(i for i, _ in guess.ranked if _FAMILY[i] in WRITE_FAMILIES)


def _unfilled(intent: str) -> ToolCall:
    """A write whose required slot is missing: the gate asks for it."""
    return ToolCall(tool=_tool_of(intent), args={})


def plan_text(text: str, ctx: PlannerInput) -> ToolCall:
    """Text → ToolCall: entities, intent, slots; no tool for help, chit-chat, the rest."""
    return understand(text, ctx)[0]


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


class OfflinePlanner(Planner):
    """Deterministic planner: the default without a model, and the fallback with one."""

    name = "offline"

    async def plan(self, text: str, facts: PlannerInput) -> PlanResult:
        return PlanResult(call=plan_text(text, facts))


