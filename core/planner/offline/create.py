"""create_task: its slots cut out one by one, the title is what is left."""

from __future__ import annotations

import re

from core.dates import find_date_phrase
from core.planner import PlannerInput
from core.planner.offline.text import Utterance, strip_polite
from core.planner.offline.vocabulary import (
    STATUS_ALT,
    Args,
    _projects,
    clean_phrase,
    is_person,
    iso,
    people_list,
    status_option,
)
from core.resolve import project_score, resolve_project
from core.tools import ToolCall

_CREATE_HEAD = re.compile(
    r"^(?:create|add|make|open|log|raise|put|set up|setup|new|start|schedule|record|file)"
    r"(?:\s+(?:me|us))?(?:\s+(?:a|an|another|one|the))?(?:\s+new)?"
    r"(?:\s+(?:task|todo|to-do|ticket|item|card|reminder|job))s?\b",
    re.I,
)
_CREATE_BARE = re.compile(r"^(?:create|new task|task|todo|to-do)\b\s*:?", re.I)


def wants_create(core: str, ctx: PlannerInput) -> bool:
    """'create …', 'add a task …', 'new task …', 'assign <title> to <person>', 'remind me to'."""
    if _CREATE_HEAD.match(core) or _CREATE_BARE.match(core):
        return True
    if re.match(r"^remind me to\b|^assign(?:ed)? to\b", core, re.I) or _ADD_TO_LIST.match(core):
        return True
    if re.match(r"^(?:add|put|create|make)\s+⟦\d+⟧", core, re.I):  # a quoted new title
        return True
    m = re.match(r"^(?:add|put)\s+(?P<what>.+?)\s+(?:to|in|into|under)\s+(?P<where>.+)$", core, re.I)
    existing = m is not None and re.match(r"(?:the|my|our|that|this)\b", m.group("what"), re.I) is not None
    if m and not existing and not people_list(m.group("what"), ctx):
        _, project = take_project(" in " + m.group("where"), ctx)
        return project is not None and project_name(project, ctx) in ctx.projects
    m = re.match(r"^assign\s+(?P<left>.+)\s+to\s+(?P<right>.+)$", core, re.I)
    existing = m is not None and re.match(r"(?:the|my|our|this|that|his|her|their)\b", m.group("left"), re.I)
    if m and not existing and not re.search(r"\binstead\b|\bonly\s*$", core, re.I):
        left, right = m.group("left"), _strip_slots(m.group("right"), ctx)
        return not (people_list(left, ctx) and not people_list(right, ctx, loose=True))
    return bool(_GET_PERSON_TO.match(core) and _get_person(core, ctx))


_ADD_TO_LIST = re.compile(
    r"^(?:add|put|stick|chuck|pop)\s+(?P<title>.+?)\s+(?:to|on|onto|in)\s+(?P<whose>my|our|the|[\w<@>|!]+'s)"
    r"\s+(?:list|tasks|todo(?: list)?|to-?do list|board|plate|task list)\b",
    re.I,
)
_GET_PERSON_TO = re.compile(r"^(?:get|have|ask)\s+(?P<who>\S+(?:\s+[A-Z]\w+)?)\s+to\s+(?P<rest>.+)$")


def _get_person(core: str, ctx: PlannerInput) -> str | None:
    m = _GET_PERSON_TO.match(core)
    return m.group("who") if m and is_person(m.group("who"), ctx) else None


def _strip_slots(s: str, ctx: PlannerInput) -> str:
    """`s` without its date and project clauses (to look at what is left)."""
    s, _ = take_due(s, ctx)
    s, _ = take_project(s, ctx)
    return s


def plan_create(msg: Utterance, core: str, ctx: PlannerInput) -> ToolCall:
    """Fill create_task's slots one by one, cutting each out; the rest is the title."""
    args: Args = {}
    s = core
    s, args["description"] = take_description(msg, s)
    s, args["status"] = take_status_note(s)
    s, args["due"] = take_due(s, ctx)
    s, args["project"] = take_project(s, ctx)
    s, assignees = take_assign_clause(s, ctx)
    title, people = split_title_people(s, ctx)
    people = assignees or people
    if title:
        args["title"] = tidy_title(clean_phrase(msg, msg.typed(title)))
    if people and people != ["me"]:
        args["assignees"] = people
    return ToolCall(tool="create_task", args={k: v for k, v in args.items() if v})


def take_description(msg: Utterance, s: str) -> tuple[str, str | None]:
    m = re.search(
        r"(?:[,;.]\s*|\s+(?:and\s+)?with\s+|\s+and\s+)(?:the\s+|a\s+)?(?:description|desc|details|"
        r"notes?)\s*(?::|=|is|of|saying|that says|reading)?\s*(?P<value>⟦\d+⟧|[^,]+?)\s*"
        r"(?=$|,\s*(?:due|assign|for|in)\b)",
        s,
        re.I,
    )
    if not m:
        return s, None
    value = msg.verbatim(m.group("value")).strip().strip("\"'")
    return (s[: m.start()] + s[m.end() :]).strip(), value or None


_STATUS_NOTES: list[tuple[str, str]] = [
    (r"(?:i'?ve|i have|we'?ve|we have|i'?m|i am)\s+(?:already\s+)?(?:started|begun|kicked off|"
     r"been working|working)(?:\s+(?:on|with)\s+(?:it|this|that))?", "In Progress"),
    (r"(?:it'?s|it is)\s+(?:already\s+)?(?:in progress|started|underway)", "In Progress"),
    (r"(?:it'?s|it is)\s+(?:already\s+)?(?:blocked|stuck|on hold)", "Blocked"),
    (r"(?:it'?s|it is)\s+(?:already\s+)?(?:done|finished|complete)", "Done"),
    (r"(?:it'?s|it is)\s+(?:already\s+)?ready for review", "To Review"),
    (rf"(?:with\s+)?status\s*(?::|=|is|of|as)?\s*(?P<word>{STATUS_ALT})", ""),
    (rf"(?:and\s+)?(?:mark|set)\s+it\s+(?:as\s+)?(?P<word>{STATUS_ALT})", ""),
]  # fmt: skip


def take_status_note(s: str) -> tuple[str, str | None]:
    """'… I've already started on it' on a new task → In Progress."""
    for pattern, option in _STATUS_NOTES:
        m = re.search(rf"[,;.]?\s*(?:and\s+)?{pattern}\s*[.!]?", s, re.I)
        if m:
            found = option or status_option(m.group("word")) or None
            return (s[: m.start()] + s[m.end() :]).strip(), found
    return s, None


_DUE_CUE = re.compile(
    r"(?:[,;]\s*)?(?:and\s+)?(?:(?:it'?s|it is|which is|that'?s|to be)\s+)?"
    r"(?:(?:due(?:\s+date)?|deadline|dl)\s*(?:is\s+|:\s*)?)?"
    r"(?:(?:by|on|before|for|until|till|til|at|no later than)\s+)?(?:the\s+)?$",
    re.I,
)


def take_due(s: str, ctx: PlannerInput) -> tuple[str, str | None]:
    """Cut out the due date: a date phrase after a cue word ("due", "by"), or one that
    ends a clause. A date inside a title ("Plan Friday social") stays."""
    offset = 0
    while (found := find_date_phrase(s[offset:])) is not None:
        phrase, (start, end) = found
        start, end = start + offset, end + offset
        cue = _DUE_CUE.search(s[:start])
        has_cue = cue is not None and cue.group(0).strip() != ""
        at_clause_end = re.match(r"\s*(?:$|[,;.!?]|\s(?:in|for|to|assign)\b)", s[end:]) is not None
        if has_cue or at_clause_end:
            cut = cue.start() if cue is not None and has_cue else start
            # An impossible date ("31 February") goes on as typed: the gate asks about it
            # rather than the task being created with no due date at all.
            return _cut(s, (cut, end)), iso(phrase, ctx) or phrase
        offset = end
    return s, None


_PROJECT_EXPLICIT = [
    re.compile(r"(?:[,;]\s*)?\b(?:in|for|under|on|to|into)\s+(?:the\s+)?(?P<p>[^,;:]+?)\s+"
               r"(?:project|proj)\b", re.I),
    re.compile(r"(?:[,;]\s*)?\b(?:project|proj)\s*[:=]?\s+(?P<p>[^,;:]+?)(?=\s*(?:$|[,;:]))",
               re.I),
    re.compile(r"[,;]\s*(?:the\s+)?(?P<p>[^,;:]+?)\s+project(?=\s*(?:$|[,;]))", re.I),
]  # fmt: skip
_PROJECT_PREP = re.compile(r"(?:[,;]\s*)?\b(?:in|for|under|into|within|on|to|onto)\s+(?:the\s+)?", re.I)


def take_project(s: str, ctx: PlannerInput) -> tuple[str, str | None]:
    """Cut out 'in <project>', 'project <project>', 'in the <name> project'."""
    for pattern in _PROJECT_EXPLICIT:
        m = pattern.search(s)
        if m and not people_list(m.group("p"), ctx):
            return _cut(s, m.span()), project_name(m.group("p"), ctx)
    for m in _PROJECT_PREP.finditer(s):
        hit = known_project_at(s, m.end(), ctx)
        if hit:
            name, end = hit
            return _cut(s, (m.start(), end)), name
    m = re.search(r"(?:[,;]\s*)?\bin\s+(?:the\s+)?(?P<p>[A-Z][\w&'-]*(?:\s+[A-Z0-9][\w&'-]*)*)"
                  r"\s*[.!]?$", s)  # fmt: skip
    if m and not is_person(m.group("p"), ctx):
        return _cut(s, m.span()), m.group("p")
    return s, None


def _cut(s: str, span: tuple[int, int]) -> str:
    """`s` without `span`, keeping a clause break (a comma) where the cut had one."""
    before, removed, after = s[: span[0]], s[span[0] : span[1]], s[span[1] :]
    had_break = removed.lstrip().startswith((",", ";")) or after.lstrip().startswith((",", ";"))
    keep = had_break and before.strip(" ,;") and after.strip(" ,;")
    return (before.rstrip(" ,;") + (", " if keep else " ") + after.lstrip(" ,;")).strip(" ,;")


def project_name(phrase: str, ctx: PlannerInput) -> str:
    """The project's own name when the phrase names one clearly, else the phrase."""
    phrase = phrase.strip(" .,")
    found = resolve_project(phrase, _projects(ctx))
    return found.value.name if found.value else phrase


_SLOT_START = re.compile(
    r"\s*(?:$|(?:due|by|on|for|to|assign|assigned|and|with|before|until|till|i'?ve|i'?m)\b)", re.I
)


def known_project_at(s: str, start: int, ctx: PlannerInput) -> tuple[str, int] | None:
    """The longest run of words from `start` (up to 4) that names a known project and ends
    its clause or meets the next slot ("… in marketing due fri"), and where it ends.
    "Prepare for hackathon judging" keeps its hackathon."""
    tail = re.match(r"[^,;:.!?—–]*", s[start:])
    clause = tail.group(0) if tail else ""
    tokens = list(re.finditer(r"\S+", clause))
    for n in range(min(4, len(tokens)), 0, -1):
        end = tokens[n - 1].end()
        phrase = clause[:end]
        if is_person(phrase, ctx) or status_option(phrase) or not _SLOT_START.match(clause[end:]):
            continue
        found = resolve_project(phrase, _projects(ctx))
        if found.value and project_score(phrase, found.value.name) >= 0.88:
            return found.value.name, start + end
    return None


_ASSIGN_CUE = re.compile(
    r"(?:[,;]\s*|\s+and\s+|\s+)(?:assign(?:ed)?(?:\s+it)?(?:\s+to)?|assignees?\s*:?|owner\s*:?|"
    r"give it to|for)\s+",
    re.I,
)


# "… and I think Hiro should do it": who is to do it, said after what.
_DOER = re.compile(
    r"(?:[,;]\s*|\s+)(?:and\s+|so\s+)?(?:i think\s+|i reckon\s+|maybe\s+|probably\s+)?(?P<who>\S+)\s+"
    r"(?:should|can|could|will|'ll|is going to|is gonna|has to|needs to)\s+(?:do|take|handle|own|run|grab)\s+"
    r"(?:it|that|this)\b",
    re.I,
)


def take_assign_clause(s: str, ctx: PlannerInput) -> tuple[str, list[str] | None]:
    """', assign to Tom' / 'and assign it to Tom' / '… for Samantha' anywhere but first: the
    last cue whose clause is all people ("Book room for SQL workshop for Samantha"); or
    '…, and Hiro should do it'."""
    doer = _DOER.search(s)
    if doer and doer.start() > 0 and (people := people_list(doer.group("who"), ctx)):
        return _cut(s, doer.span()), people
    for cue in reversed(list(_ASSIGN_CUE.finditer(s))):
        if cue.start() == 0:
            continue
        loose = "assign" in cue.group(0).lower()
        # the clause, or (said without commas) up to the next slot: "… assign priya due friday"
        for clause in (re.match(r"[^,;:]+", s[cue.end() :]), re.match(r"[^,;:]+?(?=\s+(?:due|by|in|on)\b)",
                                                                       s[cue.end() :])):
            if clause and (people := people_list(clause.group(0), ctx, loose=loose)):
                return _cut(s, (cue.start(), cue.end() + clause.end())), people
    return s, None


def split_title_people(s: str, ctx: PlannerInput) -> tuple[str | None, list[str] | None]:
    """What is left of a create request → (title, people)."""
    s = s.strip(" ,.")
    m = re.match(r"^assign\s+(?P<title>.+)\s+to\s+(?P<people>.+)$", s, re.I)
    if m:
        return m.group("title"), people_list(m.group("people"), ctx, loose=True)
    m = re.match(r"^remind me to\s+(?P<title>.+)$", s, re.I)
    if m:
        return m.group("title"), None
    m = re.match(r"^assign(?:ed)?\s+to\s+(?P<people>[^:]+?)\s*:\s*(?P<title>.+)$", s, re.I)
    if m:
        return m.group("title"), people_list(m.group("people"), ctx, loose=True)
    if (m := _ADD_TO_LIST.match(s)) and not _CREATE_HEAD.match(s):
        whose = re.sub(r"'s$", "", m.group("whose"))
        people = None if whose.lower() in ("my", "our", "the") else people_list(whose, ctx)
        return m.group("title"), people
    if (who := _get_person(s, ctx)) and (m := _GET_PERSON_TO.match(s)):
        return m.group("rest"), people_list(who, ctx)
    head = _CREATE_HEAD.match(s) or _CREATE_BARE.match(s) or re.match(r"^(?:add|put|make)\b", s, re.I)
    rest = s[head.end() :] if head else s
    return _title_and_people(rest.strip(" ,:"), ctx)


def _title_and_people(rest: str, ctx: PlannerInput) -> tuple[str | None, list[str] | None]:
    people: list[str] | None = None
    # a header before a colon: "for me in X: <title>", "to my list: <title>"
    if ":" in rest:
        header, _, body = rest.partition(":")
        m = re.search(r"\bfor\s+(?P<people>.+)$", header, re.I)
        if m:
            people = people_list(m.group("people"), ctx)
        return body.strip(" ,") or None, people
    rest = re.sub(r"^(?:to|on|in|onto)\s+(?:my|our|the)\s+(?:list|tasks|todo(?: list)?|plate|board)"
                  r"\s*", "", rest, flags=re.I)  # fmt: skip
    m = re.match(r"^for\s+(?P<people>.+?)\s+(?:to|:)\s+(?P<title>.+)$", rest, re.I)
    if m and (people := people_list(m.group("people"), ctx)):
        return m.group("title"), people
    m = re.match(r"^for\s+(?P<people>.+?)$", rest, re.I)
    if m and (people := people_list(m.group("people"), ctx)):
        return None, people
    m = re.search(r"\s+for\s+(?P<people>[^,]+?)$", rest, re.I)
    if m and (people := people_list(m.group("people"), ctx)):
        rest = rest[: m.start()]
    rest = re.sub(r"^(?:called|named|titled|to)\s+", "", rest, flags=re.I)
    return rest or None, people


def tidy_title(title: str) -> str:
    title = re.sub(r"^(?:called|named|titled|to)\s+", "", title, flags=re.I).strip(" ,.")
    return title[:1].upper() + title[1:] if title else title


# ---------------------------------------------------------------- the slot filler

_WRAPPER_END = re.compile(
    r"(?:[,;.!]\s*|\s+)(?:(?:and|so)\s+)?(?:(?:can|could|would|will) (?:you|u)\s+)?(?:please\s+)?"
    r"(?:put|add|log|make|create|set up|pop|stick|write|jot|note|record)\s+(?:that|this|it|one|a task)"
    r"(?:\s+(?:in|down|up|on|for (?:it|that|this|me|us)|to my list|on my list|in for me))*"
    r"(?:\s+(?:please|thanks|pls))?\s*[?!.]*$",
    re.I,
)
_HEADER = re.compile(
    r"^(?P<pre>.*?)\b(?:task|one|reminder|todo|to-do|item|job|ticket|list)s?\b(?P<header>[^:—–]*?)"
    r"(?:\s*(?::|—|–)\s*|\s+-\s+|\s+to\s+)(?P<title>.+)$",
    re.I,
)
_MODAL = re.compile(
    r"^(?P<who><@[^>]+>|[A-Za-z][\w-]*(?:\s+(?-i:[A-Z])[\w-]*)?)(?:\s+|(?='))(?:can|could|should|needs? to|"
    r"has to|have to|will|is going to|'s going to|is gonna|'s gonna|'ll|to|is doing|'s doing|is on|'s on|"
    r"is|must)\s+(?P<title>.+)$",
    re.I,
)
_SELF_TO = re.compile(
    r"^(?:remind me to|i need a reminder to|(?:i|we)? ?need (?:someone|somebody) to|someone to|"
    r"(?:i'm|we're|i am|we are) (?:going to|gonna) need (?:someone|somebody) to|"
    r"i need to|i have to|i've got to|i gotta|we need to|we need|"
    r"we have to|we've got to|we gotta|someone needs to|someone should|somebody needs to|need to|"
    r"i must|i should|i'll|i will|note to self:?|reminder:?)\s+(?P<title>.+)$",
    re.I,
)
_ASK_PERSON = re.compile(
    r"^(?:(?:i|we)\s+(?:need|want|would like|'d like)|get|have|ask|tell)\s+(?P<who><@[^>]+>|[A-Za-z][\w-]*"
    r"(?:\s+(?:and|&)\s+[A-Za-z][\w-]*)?)\s+to\s+(?P<title>.+)$",
    re.I,
)
_REQUEST_HEAD = re.compile(
    r"^(?:(?:can|could|would) you\s+)?(?:please\s+)?(?:create|add|make|open|log|put|set up|write down|"
    r"jot down|note down|new|start|pop|stick|i'd like|i would like|i want|i need)\b"
    r"(?:\s+(?:me|us|in|down))*\s*",
    re.I,
)


# A long run-on lead that ends asking for a task: "hope all is well I just need a quick task …".
_ASKS_FOR = re.compile(r"\b(?:need|want|like|add|create|make|get|set up|put|log)\b.*"
                       r"\b(?:a|an|new|quick|another)\s*$", re.I)  # fmt: skip


def _pick_sentence(core: str) -> str:
    """A chatty preamble ("Hey! Long week. …") is not the request: the sentence that asks is."""
    sentences = [x for x in re.split(r"(?<=[.!?])\s+", core) if x.strip()]
    if len(sentences) <= 1:
        return core
    cue = re.compile(r"\b(?:task|todo|reminder|one for|add|create|put|assign|log|remind|new)\b", re.I)
    asking = [i for i, x in enumerate(sentences) if cue.search(x)]
    return " ".join(sentences[asking[0] :]) if asking else core


def fill_create(utt: Utterance, core: str, ctx: PlannerInput) -> ToolCall | None:
    """A new task: slots cut out; the title is what is left once the words asking for it go."""
    s = _pick_sentence(core)
    s = strip_polite(s)
    args: Args = {}
    s, args["description"] = take_description(utt, s)
    s, args["status"] = take_status_note(s)
    s = _WRAPPER_END.sub("", s).strip()
    s, args["due"] = take_due(s, ctx)
    s = re.sub(r"[\s,]+(?:is|would be|'s|works|sounds) (?:fine|ok|okay|good|great)$", "", s, flags=re.I)
    s, args["project"] = take_project(s, ctx)
    s = _WRAPPER_END.sub("", s).strip()
    s, assignees = take_assign_clause(s, ctx)
    s = strip_polite(s.strip(" ,.;"))
    s = re.sub(r"^(?:(?:put|write|jot|note) down|log|record|note)\s+that\s+", "", s, flags=re.I)
    people: list[str] | None = None
    title: str | None = None
    assigned = re.match(r"^assign\s+(?P<title>.+)\s+to\s+(?P<who>.+)$", s, re.I)
    if assigned and (found := people_list(assigned.group("who"), ctx, loose=True)):
        people, title = found, assigned.group("title")
    elif (m := _ASK_PERSON.match(s)) and (found := people_list(m.group("who"), ctx)):
        people, title = found, m.group("title")
    elif m := _SELF_TO.match(s):
        title = m.group("title")
    elif (m := _HEADER.match(s)) and (len(m.group("pre").split()) <= 6 or _ASKS_FOR.search(m.group("pre"))):
        title = m.group("title")
        who = re.search(r"\bfor\s+(?P<who>.+?)\s*$", m.group("header").strip(), re.I)
        if who:
            people = people_list(re.sub(r"\s+(?:in|on)$", "", who.group("who")), ctx)
        else:
            words = re.findall(r"<@[^>]+>|[A-Za-z][\w'-]*", m.group("pre"))
            named = [w for w in words if people_list(w, ctx)]
            people = people_list(", ".join(named), ctx) if named else None
    elif (m := _MODAL.match(s)) and (found := people_list(m.group("who"), ctx)):
        people, title = found, m.group("title")
    else:
        head = _REQUEST_HEAD.match(s)
        title = s[head.end() :] if head else s
        title = re.sub(r"^(?:(?:a|an|another|new|one)\s+)*(?:task|one|todo|reminder)?\s*"
                       r"(?:called|named|to|:|for(?=\s+\w+\s+(?:the|a|an|some|new|our|my)\b))?\s*", "", title,
                       flags=re.I)  # "a task for buy the batteries": non-native "for" + a verb
        title = re.sub(r"\s+(?:to|on|in)\s+(?:my|our|the)\s+(?:list|board|todo list|to-do list)\s*$", "",
                       title, flags=re.I)  # fmt: skip
    people = assignees or people
    if title:  # "Eve, new one": a person and the words asking, no title
        named = [w for w in re.findall(r"<@[^>]+>|[\w'-]+", title) if people_list(w, ctx)]
        leftover = re.sub(r"<@[^>]+>|\b(?:new|one|task|todo|a|an|another|for|please|pls|thanks)\b", " ",
                          title, flags=re.I)  # fmt: skip
        for name in named:
            leftover = re.sub(rf"\b{re.escape(name)}\b", " ", leftover)
        if not leftover.strip(" ,.!?:;-–—"):
            title, people = None, people or people_list(", ".join(named), ctx) if named else people
    if title:
        title = re.sub(r"^(?:(?:to|that|and|then|you|u|please|pls|kindly)\s+)+", "", title.strip(" ,.;:-"),
                       flags=re.I)  # fmt: skip
        title = re.sub(r"\s+(?:for me|please|pls|thanks|thx|cheers|asap)$", "", title, flags=re.I)
        title = tidy_title(clean_phrase(utt, utt.typed(title)))
    if title:
        args["title"] = title
    if people and people != ["me"]:
        args["assignees"] = people
    return ToolCall(tool="create_task", args={k: v for k, v in args.items() if v})
