"""Reads: show_task, list_projects and list_tasks."""

from __future__ import annotations

import re

from core.dates import DateTooFar, find_range
from core.planner import PlannerInput
from core.planner.offline.create import _cut, project_name
from core.planner.offline.text import Utterance
from core.planner.offline.vocabulary import _MENTION, Args, _projects, is_person, task_phrase
from core.resolve import project_score, resolve_project
from core.tools import ToolCall

_SHOW_TASK = [
    re.compile(p, re.I)
    for p in (
        r"^(?:what(?:'s| is)|whats) (?:the )?(?:status|state|progress|latest|story|deal) "
        r"(?:of|on|with) (?P<t>.+)$",
        r"^(?:the )?(?:status|details|info|progress|updates?) (?:of|on|for) (?P<t>.+)$",
        r"^(?:how(?:'s| is)|hows) (?P<t>.+?) (?:going|coming along|looking|progressing)$",
        r"^(?:what(?:'s| is)|whats) (?:happening|going on|up) with (?P<t>.+)$",
        r"^tell me (?:more )?about (?P<t>.+)$",
        r"^(?:show|give|get) me (?:the )?(?:details|info|status) (?:of|on|for) (?P<t>.+)$",
        r"^(?:are there |were there |any )+(?:comments|notes|updates|news) (?:on|about|for) (?P<t>.+)$",
        r"^(?:what|which) (?:comments|notes) (?:are|were) (?:there )?(?:on|about|for) (?P<t>.+)$",
        r"^(?:who(?:'s| is)|whos) (?:working on|doing|handling|on|assigned to|in charge of|responsible for|"
        r"looking after) (?P<t>.+)$",
        r"^who (?:has|took|owns|got) (?P<t>.+)$",
        r"^when is (?P<t>.+?) due$",
        r"^(?:show|open|pull up|find)(?: me)? (?:the )?(?P<t>.+?) task$",
    )
]
_NOT_ONE_TASK = re.compile(
    r"\b(?:tasks|my|mine|me|i|everyone|everybody|anyone|anything|everything|things|stuff|work|"
    r"projects?)\b",
    re.I,
)


def plan_show_task(msg: Utterance, core: str, ctx: PlannerInput) -> ToolCall | None:
    """'what's the status of the poster?', 'who is doing Order catering', 'any comments on X'."""
    said = core.strip().rstrip("?!. ")
    for pattern in _SHOW_TASK:
        if (m := pattern.match(said)) is None:
            continue
        phrase = task_phrase(msg, m.group("t"))
        if phrase is None or _NOT_ONE_TASK.search(phrase) or is_person(phrase, ctx):
            return None  # a list, a person or a pronoun: not one task named
        project = resolve_project(phrase, _projects(ctx)).value
        if project is not None:  # "how's the hackathon going?": its tasks
            return ToolCall(tool="list_tasks", args={"project": project.name})
        return ToolCall(tool="show_task", args={"task": phrase})
    return None


# ---------------------------------------------------------------- list_projects, list_tasks

_QUESTION = re.compile(
    r"^(?:what|what's|which|who|whose|when|where|how|show|list|display|view|see|get|give|"
    r"tell|find|any|anything|is there|are there|do|does|did|have|has|can i see|can i get|"
    r"check|pull up|fetch|look up|lookup|summari[sz]e|gimme|lemme see|let me see|"
    r"remind me what|are|is)\b",
    re.I,
)
_TASK_WORDS = re.compile(
    r"^(?:list|show)(?: me)? (?:everything|all|it all)\b|"
    r"\b(?:tasks?|todo|to-do|to do|plate|workload|assigned|due|overdue|late|behind|"
    r"deadlines?|working on|left to do|what's left|outstanding|pending|open items|"
    r"jobs?|stuff|things|my list|have on|got on|(?:do|does) \S+(?: \S+)? have|has \S+ got|"
    r"in progress|in review|to review|for review|blocked|stuck|finished|completed|done|"
    r"not started|started|doing|up to|busy with|on top of)\b",
    re.I,
)


def is_question(core: str) -> bool:
    return bool(_QUESTION.match(core)) or core.rstrip().endswith("?")


def plan_list_projects(core: str) -> ToolCall | None:
    if not re.search(r"\bprojects?\b|\bevents\b", core, re.I):
        return None
    if re.search(r"\btasks?\b", core, re.I) or not is_question(core):
        return None
    low = core.lower()
    args: Args = {}
    if re.search(r"\b(?:all|every|including|incl|past and present|ever|as well|too|even)\b", low):
        args["progress"] = "all"
    elif re.search(r"\b(?:completed|finished|past|old|previous|done|closed)\b", low):
        args["progress"] = ["Completed"]
    elif re.search(r"\b(?:planning|planned|upcoming|future)\b", low):
        args["progress"] = ["Planning"]
    return ToolCall(tool="list_projects", args=args)


def plan_list_tasks(msg: Utterance, core: str, ctx: PlannerInput, force: bool = False) -> ToolCall | None:
    """'what's on my plate in marketing?', "Tom's overdue tasks", 'anything due tmrw'.
    `force`: the classifier has read a list request, so no task word is needed."""
    about_projects = re.search(r"\bprojects\b", core, re.I) and not re.search(r"\btasks?\b", core, re.I)
    if not force and (not _TASK_WORDS.search(core) or about_projects):
        return None
    s = core
    args: Args = {}
    s, args["status"] = take_list_status(s)
    try:
        found = find_range(s, ctx.now)
    except DateTooFar as too_far:  # left as words: the gate says why it can't use them
        found, s = None, _cut(s, too_far.span)
        args["due_before"] = too_far.phrase
    if found:
        _, span, (after, before) = found
        s = _cut(s, span)
        args["due_after"] = after.isoformat() if after else None
        args["due_before"] = before.isoformat() if before else None
    s, args["project"] = find_list_project(s, ctx)
    args["assignee"] = find_assignee(s, ctx) or ("me" if mentions_self(core) else None) or _stranger(s, ctx)
    return ToolCall(tool="list_tasks", args={k: v for k, v in args.items() if v})


_ALL_STATUSES = re.compile(
    r"\b(?:whatever (?:their |the |its )?status(?:es)?|any status|regardless of (?:their |the )?"
    r"status|every status|all statuses|all statuses|no matter (?:the |their )?status|"
    r"including (?:the )?(?:done|completed|finished|archived|closed)(?: ones)?|"
    r"even (?:the )?(?:done|completed|finished)(?: ones)?|incl(?:\.|uding)? (?:done|completed|finished)|"
    r"(?:the )?(?:done|finished|completed|closed)(?: ones)? (?:too|as well|included|also)|"
    r"(?:done|finished|completed|closed) or not|(?:open|active) (?:and|or) (?:done|closed|finished))\b",
    re.I,
)
_LIST_STATUS: list[tuple[str, str]] = [
    (r"blocked|stuck|on hold", "Blocked"),
    (r"(?:in|to|for|under|awaiting|needs?|ready for|waiting (?:for|on)|up for) (?:a )?review(?:ing)?|"
     r"being reviewed|needs? (?:checking|reviewing)", "To Review"),
    (r"not (?:yet )?started|unstarted|haven'?t (?:i |we |you )?(?:yet )?started|not begun", "Not Started"),
    (r"in[- ]progress|being worked on|underway|ongoing|started", "In Progress"),
    (r"done|finished|completed|complete|closed", "Done"),
    (r"archived", "Archive"),
]


def take_list_status(s: str) -> tuple[str, str | list[str] | None]:
    m = _ALL_STATUSES.search(s)
    if m:
        return _cut(s, m.span()), "all"
    m = re.search(
        r"\b(?:haven'?t|hasn'?t|have not|has not|not|isn'?t|aren'?t|never|un)\s*(?:i\s+|we\s+|you\s+)?"
        r"(?:yet\s+)?(?:been\s+)?(?:done|finished|completed|complete)\b(?:\s+yet)?",
        s,
        re.I,
    )
    if m:  # "what haven't I finished": the open ones, the default
        return _cut(s, m.span()), None
    m = re.search(r"\bdid\s+\S+(?:\s+\S+)?\s+(?P<verb>finish|complete|wrap up)\b", s, re.I)
    if m:  # "what did Eve finish"
        return _cut(s, m.span("verb")), ["Done"]
    found: list[str] = []
    for pattern, option in _LIST_STATUS:
        m = re.search(rf"\b(?:marked (?:as )?|that are |which are |are )?(?:{pattern})\b", s, re.I)
        if m:  # cut, so "not started" is not also "started"
            found.append(option)
            s = _cut(s, m.span())
    return s, found or None


def find_list_project(s: str, ctx: PlannerInput) -> tuple[str, str | None]:
    """A project named anywhere in a question ("my Sponsorship tasks", "in the website")."""
    m = re.search(r"\b(?:in|for|under|on|of)\s+(?:the\s+)?(?P<p>[^,;:?]+?)\s+(?:project|event)\b",
                  s, re.I)  # fmt: skip
    if m:
        return _cut(s, m.span()), project_name(m.group("p"), ctx)
    tokens = list(re.finditer(r"[\w'&-]+", s))
    for size in (4, 3, 2, 1):
        for i in range(len(tokens) - size + 1):
            start, end = tokens[i].start(), tokens[i + size - 1].end()
            phrase = s[start:end]
            if not _could_name_project(phrase, ctx):
                continue
            found = resolve_project(phrase, _projects(ctx))
            if found.value and project_score(phrase, found.value.name) >= (0.86 if len(phrase) >= 6 else 0.9):
                return _cut(s, (start, end)), found.value.name
    m = re.search(r"\bin\s+(?:the\s+)?(?P<p>[A-Z][\w&'-]*(?:\s+[A-Z0-9][\w&'-]*)*)\s*\??$", s)
    if m and not is_person(m.group("p"), ctx):
        return _cut(s, m.span()), m.group("p")
    return s, None


_NOT_PROJECT_WORDS = {"task", "tasks", "my", "me", "i", "the", "what", "due", "is", "are",
                      "have", "has", "do", "does", "show", "list", "all", "any", "anything",
                      "which", "whats", "what's", "of", "in", "for", "s"}  # fmt: skip


def _could_name_project(phrase: str, ctx: PlannerInput) -> bool:
    words = phrase.lower().split()
    if words[0] in _NOT_PROJECT_WORDS or words[-1] in _NOT_PROJECT_WORDS:
        return False
    return not is_person(phrase, ctx)


_NOT_POSSESSIVE = {"what", "that", "it", "there", "here", "who", "where", "how", "let",
                   "everyone", "everybody", "anyone", "anybody", "someone", "team", "club",
                   "today", "tomorrow", "week", "month", "he", "she", "one", "nobody",
                   "when", "why"}  # fmt: skip
_TASKISH = r"(?:tasks?|stuff|work|todos?|to-dos?|list|plate|load|workload|things|jobs|items)"


def find_assignee(s: str, ctx: PlannerInput) -> str | None:
    """Whose tasks: a possessive ("Carol's"), 'does P have', 'for P', or 'my'/'I'."""
    m = re.search(rf"(?P<who>{_MENTION})\s*(?:'s|s)?\b", s)
    if m:
        return m.group("who")
    for m in re.finditer(r"(?P<who>[A-Za-z][\w.-]*(?:\s+[A-Za-z][\w-]*)?)(?:'s|s')(?=\W|$)", s):
        for who in (m.group("who"), m.group("who").split()[-1]):
            if who.lower() in _NOT_POSSESSIVE:
                continue
            taskish = re.match(rf"\s+(?:\w+\s+)?{_TASKISH}\b", s[m.end() :], re.I)
            if is_person(who, ctx) or (taskish and who[0].isupper()):
                return who
    pattern = (r"\b(?:does|do|has|is|did|will|for|assigned to|belonging to|owned by|about)\s+"
               r"(?P<who>[A-Za-z][\w.-]*(?:\s+[A-Z][\w-]*)?)")  # fmt: skip
    for m in re.finditer(pattern, s):
        who = m.group("who")
        if who.lower() in ("i", "me", "myself"):
            return "me"
        for candidate in (who, who.split()[0]):
            if candidate.lower() not in ("you", "we", "anyone", "everyone", "it") and is_person(
                candidate, ctx
            ):
                return candidate
    if mentions_self(s):
        return "me"
    return _bare_member(_without_show_me(s), ctx)


def _stranger(s: str, ctx: PlannerInput) -> str | None:
    """An unknown name where only a person can stand ("what's Kevin working on"): kept, so the
    gate asks who that is rather than listing everyone's tasks."""
    m = re.search(
        r"(?:\b(?:is|does|has|did|will|for|of|what's|whats|how's)\s+|^)(?P<who>(?-i:[A-Z])[a-z'-]+)"
        r"(?:'s)?\s+(?:working|doing|got|have|has|up to|on|busy|tasks?|stuff|load|workload|plate|been)\b",
        s,
        re.I,
    )
    if m is None:
        return None
    who = m.group("who").removesuffix("'s")
    if who.lower() in _NOT_POSSESSIVE or who.lower() in _NOT_PROJECT_WORDS:
        return None
    return who if resolve_project(who, _projects(ctx)).value is None else None


def _without_show_me(s: str) -> str:
    return re.sub(r"\b(?:show|give|get|tell|send|let|remind|list|find|pull up)\s+me\b", "", s, flags=re.I)


def mentions_self(s: str) -> bool:
    """'my tasks', 'what do I have' — but not 'show me …'."""
    return re.search(r"\b(?:my|mine|i|i'm|i've|me|myself)\b", _without_show_me(s), re.I) is not None


def _bare_member(s: str, ctx: PlannerInput) -> str | None:
    """A member named by a bare first name or handle ("anything for tom?", "tasks carol")."""
    names = {m.handle.lower() for m in ctx.members} | {m.first_name.lower() for m in ctx.members}
    for m in re.finditer(r"[A-Za-z]+", s):
        word = m.group(0)
        if word.lower() in names:
            return word
        if word.lower().endswith("s") and word.lower()[:-1] in names:  # "carols tasks"
            return word[:-1]
    return None
