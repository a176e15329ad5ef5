"""The offline planner: a small grammar of intents, deterministic, no network, no key.

It is the embedded default, the fallback when every model fails, and the reference in
tests. It reads what people type in a club chat ("catering's sorted", "push the
website stuff to fri", "<@U00001002>'s tasks") with regular expressions per intent,
forgiving typos in the words that carry the intent, and leaves names as typed: the
gate resolves people, projects and tasks (core/resolve.py). Dates are resolved here,
against `ctx.now`, because a planner's output carries ISO dates.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from core.dates import DateTooFar, find_date_phrase, find_range, resolve_date
from core.domain import Project
from core.planner import Planner, PlannerInput, PlanResult
from core.resolve import SELF_WORDS, project_score, resolve_person, resolve_project
from core.tools import ToolCall

Args = dict[str, Any]

# ---------------------------------------------------------------- the message


@dataclass
class Message:
    """What was typed, cleaned up: quoted strings replaced by ⟦n⟧ placeholders so no
    rule looks inside a title or a comment, slang and typos in intent words fixed."""

    raw: str
    text: str
    quotes: list[str] = field(default_factory=list)

    def restore(self, s: str) -> str:
        return re.sub(r"⟦(\d+)⟧", lambda m: self.quotes[int(m.group(1))], s)


_QUOTE_RE = re.compile(r"""(?:^|(?<=[\s:(=,]))(?:"([^"]+)"|'([^']+?)'|`([^`]+)`)(?=$|[\s,.;:!?)])""")
_SLANG = {
    r"pls|plz|plez|plox": "please",
    r"u": "you",
    r"ur": "your",
    r"r": "are",
    r"im": "i'm",
    r"ive": "i've",
    r"i ve": "i've",
    r"i m": "i'm",
    r"its": "it's",
    r"whats": "what's",
    r"wats|wat's|wot's": "what's",
    r"wat|wot|whta|waht|wht": "what",
    r"whcih|wich|whihc": "which",
    r"shwo|sho|shw": "show",
    r"lsit|lst": "list",
    r"anythng|anyting|anythin|nething|anythign": "anything",
    r"evrything|everythng|everyting": "everything",
    r"thx|thnx|thanx|ty|tysm|thank u": "thanks",
    r"w/": "with",
    r"taks|tsks|tasls|taskss": "tasks",
    r"tsk": "task",
    r"2do|todos": "todo",
    r"rn": "right now",
    r"dont": "don't",
    r"cant": "can't",
    r"hv": "have",
    r"abt": "about",
    r"b4": "before",
    r"proj": "project",
    r"wk": "week",
    r"wks": "weeks",
    r"projs": "projects",
}
_SLANG_RE = [(re.compile(rf"(?<![\w@<])(?:{k})(?![\w>])", re.I), v) for k, v in _SLANG.items()]

# Words that carry an intent; a typo of one of them ("finsihed", "asign") is corrected.
_KEYWORDS = [
    "assign", "reassign", "create", "rename", "archive", "comment", "overdue", "finished",
    "completed", "complete", "started", "blocked", "review", "progress", "projects",
    "project", "tasks", "description", "deadline", "postpone", "please", "remind",
    "working", "active", "status", "change", "update", "account", "sorted", "submitted",
    "leave", "mark",
]  # fmt: skip


def parse_message(text: str) -> Message:
    """Normalise quotes, space, slang and intent-word typos; pull out quoted strings."""
    s = text.replace("⟦", "[").replace("⟧", "]")  # the placeholders' brackets are ours
    s = s.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    s = "".join(" " if unicodedata.category(c) in ("So", "Sk", "Cs", "Co") else c for c in s)
    s = re.sub(r"\s+", " ", s).strip()
    quotes: list[str] = []

    def keep(m: re.Match[str]) -> str:
        quotes.append(next(g for g in m.groups() if g is not None).strip())
        return f"⟦{len(quotes) - 1}⟧"

    s = _QUOTE_RE.sub(keep, s)
    for pattern, replacement in _SLANG_RE:
        s = pattern.sub(replacement, s)
    s = re.sub(r"[A-Za-z]{5,}", lambda m: _keyword_fix(m.group(0)), s)
    return Message(raw=text, text=s, quotes=quotes)


@lru_cache(maxsize=4096)
def _keyword_fix(word: str) -> str:
    low = word.lower()
    if low in _KEYWORDS:
        return word
    hit = process.extractOne(
        low, _KEYWORDS, scorer=DamerauLevenshtein.normalized_similarity, score_cutoff=0.8
    )
    if hit and hit[0][0] == low[0] and abs(len(hit[0]) - len(low)) <= 2:
        return word if low.startswith(hit[0]) else hit[0]  # "assigned" is no typo of "assign"
    return word


_POLITE = re.compile(
    r"^(?:please|kindly|hey|hi|hello|yo|oi|ok(?:ay)?|so|um+|uh+|hmm+|@?/?darcy|"
    r"can you|could you|would you|will you|can u|could u|"
    r"i want you to|i'd like you to|i need you to|go ahead and|quickly|just|"
    r"(?:i want to|i'd like to|i would like to|i wanna|i need to|let's|lets)(?=\s+(?:create|add|make|"
    r"assign|reassign|rename|archive|mark|see|list|show|know|check|comment|link|move|push|change|"
    r"set|update|log|leave|view|get)\b))"
    r"(?:[\s,!:.]+|$)",
    re.I,
)


_POLITE_END = re.compile(
    r"(?:[\s,!.]+(?:please|thanks|thank you|cheers|ta|mate|darcy|asap|for me please))+[\s!.?]*$", re.I
)


def strip_polite(s: str) -> str:
    """'hey darcy, can you please mark … thanks' → 'mark …' (only when something remains)."""
    s = _POLITE_END.sub("", s) or s
    while True:
        stripped = _POLITE.sub("", s, count=1).strip()
        if stripped == s or not stripped:
            return s.strip(" ,.!")
        s = stripped


# ---------------------------------------------------------------- shared vocabulary

STATUS_WORDS: list[tuple[str, str]] = [
    (r"ready (?:for|to) (?:be )?review(?:ed)?|(?:up )?for review|to review|in review|"
     r"under review|needs? (?:a )?review(?:ing)?|review", "To Review"),
    (r"not started|not yet started|to[- ]?do|re-?opened|re-?open|unstarted|backlog",
     "Not Started"),
    (r"in[- ]?progress|started|underway|under way|ongoing|wip|doing|being worked on",
     "In Progress"),
    (r"blocked|stuck|on hold|waiting", "Blocked"),
    (r"done|complete|completed|finished|sorted|closed|resolved|ticked off|all good|"
     r"good to go|taken care of|handled|dealt with|wrapped up|dusted", "Done"),
    (r"archived?|shelved|binned|deleted", "Archive"),
]  # fmt: skip
STATUS_ALT = "|".join(p for p, _ in STATUS_WORDS)
_PRONOUNS = {"it", "that", "this", "them", "those", "these", "that one", "this one", "it all"}
_PEOPLE_SPLIT = re.compile(r"\s*(?:,|&|\+|/|\band\b|\bn\b)\s*", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MENTION = r"<@[!&]?[A-Za-z0-9]+(?:\|[^>]*)?>"


def status_option(word: str) -> str | None:
    """The Notion status option a status word means ("sorted" → Done)."""
    w = re.sub(r"\s+", " ", word.lower().strip(" .!?"))
    for pattern, option in STATUS_WORDS:
        if re.fullmatch(pattern, w):
            return option
    return None


def _projects(ctx: PlannerInput) -> list[Project]:
    return [Project(id=name, name=name) for name in ctx.projects]


def is_person(phrase: str, ctx: PlannerInput, loose: bool = False) -> bool:
    """Does `phrase` name someone: "me", a mention, a member; `loose` also accepts an
    unknown capitalised name ("Kevin") where only a person can stand."""
    p = phrase.strip().lstrip("@")
    if not p:
        return False
    if p.lower() in SELF_WORDS or re.fullmatch(_MENTION, p):
        return True
    found = resolve_person(p, ctx.members, ctx.requester, ctx.platform)
    if found.value or found.candidates:
        return True
    return loose and bool(re.fullmatch(r"[A-Z][a-z'-]+(?: [A-Z][a-z'-]+)?", p))


def people_list(phrase: str, ctx: PlannerInput, loose: bool = False) -> list[str] | None:
    """'me and Bob' → ['me', 'Bob']; None unless every part names a person."""
    parts = [p.strip(" .!?").lstrip("@") for p in _PEOPLE_SPLIT.split(phrase.strip())]
    parts = [re.sub(r"^(?:the|to)\s+", "", p, flags=re.I) for p in parts if p]
    parts = ["me" if p.lower() in SELF_WORDS else p for p in parts]
    if not parts or not all(is_person(p, ctx, loose) for p in parts):
        return None
    return list(dict.fromkeys(parts))


def clean_phrase(msg: Message, s: str) -> str:
    """A task phrase or a title as typed, quotes restored, edges tidied."""
    s = msg.restore(s).strip()
    s = re.sub(r"^(?:on|with|the status of)\s+", "", s, flags=re.I)
    s = re.sub(r"(?:\s+(?:as well|too|also|now|already|please|thanks|then|for me|pls|over|back))+$",
               "", s, flags=re.I)  # fmt: skip
    return s.strip(" \t,.;:!?\"'`-–—").strip()


def task_phrase(msg: Message, s: str) -> str | None:
    """A task as named, or None for a pronoun ("mark it done")."""
    cleaned = re.sub(rf"{_MENTION}\s*(?:'s)?\s*", "", clean_phrase(msg, s)).strip()
    dated = find_date_phrase(cleaned)
    if dated and dated[1][1] >= len(cleaned) - 1 and dated[1][0] > 0:  # "… today"
        cleaned = clean_phrase(msg, cleaned[: dated[1][0]])
        cleaned = re.sub(r"\s+(?:by|on|due)$", "", cleaned, flags=re.I)
    if not cleaned or cleaned.lower() in _PRONOUNS:
        return None
    return cleaned


def iso(phrase: str, ctx: PlannerInput) -> str | None:
    """The day as ISO; a day past the calendar's end stays words, for the gate to explain."""
    try:
        found = resolve_date(phrase, ctx.now)
    except DateTooFar:
        return phrase
    return found.isoformat() if found else None


# ---------------------------------------------------------------- no tool

_HELP = re.compile(
    r"^(?:help|\?+|commands?|usage|menu|options|instructions|guide|getting started|"
    r"what can (?:you|i) (?:do|ask|say)|what do you do|what are you|who are you|"
    r"how (?:do|does|can) (?:i|you|this|it)\b.*|how does this work|what is this|"
    r"what can darcy do|tell me what you can do|show me what you can do)\W*$",
    re.I,
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|heya|hiya|yo|sup|wassup|g'?day|howdy|greetings|morning|"
    r"good (?:morning|afternoon|evening|day)|hi there|hey there|how are you|how's it going)"
    r"(?:\s+(?:darcy|there|all|everyone|mate))?\W*$",
    re.I,
)
_THANKS = re.compile(
    r"\b(?:thanks|thank you|cheers|ta|appreciate|legend|awesome|perfect|nice one|"
    r"good job|well done|great|cool|nice|ok|okay|got it|sweet|lovely)\b",
    re.I,
)


def plan_small_talk(msg: Message) -> ToolCall:
    """Help, a greeting, thanks, or anything else Darcy does not do."""
    s = msg.text.strip()
    short_help = len(s.split()) <= 6 and re.search(r"\b(?:help|commands|instructions)\b", s, re.I)
    if _HELP.match(s) or _HELP.match(strip_polite(s)) or short_help:
        return ToolCall(intent="help")
    if _GREETING.match(s):
        return ToolCall(intent="greeting")
    if _THANKS.search(s) and len(s.split()) <= 6:
        return ToolCall(intent="thanks")
    return ToolCall(intent="out_of_scope")


# ---------------------------------------------------------------- link_account, whoami

_LINK_WORDS = re.compile(
    r"\b(?:link|connect|verify|notion|e-?mail|mail|account|i'm|i am|it's|it is|me|my|"
    r"register|sign me up|use)\b",
    re.I,
)
_WRITE_VERBS = re.compile(r"^(?:assign|create|add|comment|rename|reassign|mark|move)\b", re.I)


def plan_link_account(msg: Message, core: str) -> ToolCall | None:
    """'my notion email is zoe@…', 'link my account to zoe@…', or a bare address."""
    found = _EMAIL.search(core)
    if not found or _WRITE_VERBS.match(core):
        return None
    rest = (core[: found.start()] + core[found.end() :]).strip(" .!,")
    if rest and not _LINK_WORDS.search(rest):
        return None
    return ToolCall(tool="link_account", args={"email": found.group(0).strip(".")})


_WHOAMI = re.compile(
    r"\bwho\s*am\s*i\b|\bwhoami\b|\bwho do you think i am\b|"
    r"\b(?:which|what) (?:notion )?(?:account|user|profile)\b.*\b(?:i|me|my)\b|"
    r"\bam i (?:linked|connected|verified|registered|logged in|signed in)\b|"
    r"\bwhat(?:'s| is) my (?:notion )?(?:account|name|handle|role|profile|identity)\b|"
    r"\bmy (?:notion )?(?:account|profile|identity) (?:details|info)\b",
    re.I,
)


def plan_whoami(core: str) -> ToolCall | None:
    return ToolCall(tool="whoami") if _WHOAMI.search(core) else None


_UNDO = re.compile(
    r"^(?:please\s+)?(?:undo|revert|reverse|take back|roll back)\b(?:\s+(?:that|it|this|the last"
    r"(?:\s+(?:change|one|thing|edit))?|my last(?:\s+(?:change|edit|one))?))?[\s.!]*$",
    re.I,
)


def plan_undo(core: str) -> ToolCall | None:
    """Only the whole message "undo (that)": "undo the catering order" is not a safe guess."""
    return ToolCall(tool="undo") if _UNDO.match(core.strip()) else None


# ---------------------------------------------------------------- add_comment

_COMMENT_PATTERNS = [
    re.compile(
        r"^(?:add|leave|post|write|put|drop|make|pop)?\s*(?:a |an |my )?(?:quick )?"
        r"(?:comment|note|remark|update|message)\s+(?P<text>⟦\d+⟧)\s+(?:on|to|for|under|in)\s+"
        r"(?P<task>.+)$",
        re.I,
    ),
    re.compile(
        r"^(?:add|leave|post|write|put|drop|make|pop)?\s*(?:a |an |my )?(?:quick )?"
        r"(?:comment|note|remark|update|message)\s+(?:on|to|for|under|in|against)\s+"
        r"(?P<task>.+?)\s*(?::|—|–| - |,? saying|,? that says|,? which says|,? to say|"
        r",? reading)\s*(?P<text>.+)$",
        re.I,
    ),
    re.compile(
        r"^(?:add|leave|post|write|put|drop|make|pop)?\s*(?:a |an |my )?(?:quick )?"
        r"(?:comment|note|remark|update|message)\s+(?:on|to|for|under|in|against)\s+"
        r"(?P<task>.+?)\s+(?P<text>⟦\d+⟧)$",
        re.I,
    ),
    re.compile(r"^comment\s+(?P<task>[^:]+?)\s*:\s*(?P<text>.+)$", re.I),
]


def plan_comment(msg: Message, core: str) -> ToolCall | None:
    """'comment on X: "…"', 'leave a note on X saying …'."""
    for pattern in _COMMENT_PATTERNS:
        m = pattern.match(core)
        if m:
            args: Args = {"text": clean_comment(msg, m.group("text"))}
            task = task_phrase(msg, m.group("task"))
            if task:
                args["task"] = task
            return ToolCall(tool="add_comment", args={k: v for k, v in args.items() if v})
    if re.match(r"^(?:add|leave|post|write)\s+(?:a |an )?(?:comment|note)\b", core, re.I):
        return ToolCall(tool="add_comment", args={})
    return None


def clean_comment(msg: Message, s: str) -> str:
    text = msg.restore(s).strip()
    return text.strip("\"'` ").strip()


# ---------------------------------------------------------------- create_task

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
    if m and not people_list(m.group("what"), ctx):
        _, project = take_project(" in " + m.group("where"), ctx)
        return project is not None and project_name(project, ctx) in ctx.projects
    m = re.match(r"^assign\s+(?P<left>.+)\s+to\s+(?P<right>.+)$", core, re.I)
    if m and not re.search(r"\binstead\b", core, re.I):
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


def plan_create(msg: Message, core: str, ctx: PlannerInput) -> ToolCall:
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
        args["title"] = tidy_title(clean_phrase(msg, title))
    if people and people != ["me"]:
        args["assignees"] = people
    return ToolCall(tool="create_task", args={k: v for k, v in args.items() if v})


def take_description(msg: Message, s: str) -> tuple[str, str | None]:
    m = re.search(
        r"(?:[,;.]\s*|\s+(?:and\s+)?with\s+|\s+and\s+)(?:the\s+|a\s+)?(?:description|desc|details|"
        r"notes?)\s*(?::|=|is|of|saying|that says|reading)?\s*(?P<value>⟦\d+⟧|[^,]+?)\s*"
        r"(?=$|,\s*(?:due|assign|for|in)\b)",
        s,
        re.I,
    )
    if not m:
        return s, None
    value = msg.restore(m.group("value")).strip().strip("\"'")
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
_PROJECT_PREP = re.compile(r"(?:[,;]\s*)?\b(?:in|for|under|into|within|on)\s+(?:the\s+)?", re.I)


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
    tail = re.match(r"[^,;:.!?]*", s[start:])
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
    r"(?:[,;]\s*|\s+and\s+|\s+)(?:assign(?:ed)?(?:\s+it)?\s+to|assignees?\s*:?|owner\s*:?|"
    r"give it to|for)\s+",
    re.I,
)


def take_assign_clause(s: str, ctx: PlannerInput) -> tuple[str, list[str] | None]:
    """', assign to Tom' / 'and assign it to Tom' / '… for Samantha' anywhere but first: the
    last cue whose clause is all people ("Book room for SQL workshop for Samantha")."""
    for cue in reversed(list(_ASSIGN_CUE.finditer(s))):
        if cue.start() == 0:
            continue
        clause = re.match(r"[^,;:]+", s[cue.end() :])
        if not clause:
            continue
        loose = "assign" in cue.group(0).lower()
        if people := people_list(clause.group(0), ctx, loose=loose):
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


# ---------------------------------------------------------------- update_task

Rule = Callable[[Message, str, PlannerInput], Args | None]


def _task_args(msg: Message, task: str, **changes: Any) -> Args:
    args: Args = {k: v for k, v in changes.items() if v}
    if (named := task_phrase(msg, task)) is not None:
        args["task"] = named
    return args


def rule_rename(msg: Message, s: str, ctx: PlannerInput) -> Args | None:
    patterns = [
        r"^(?:rename|retitle)\s+(?P<task>.+)\s+(?:to|as|into)\s+(?P<value>⟦\d+⟧)$",
        r"^(?:rename|retitle)\s+(?P<task>.+?)\s+(?:to|as|into)\s+(?P<value>.+)$",
        r"^(?:change|update|set|edit)\s+(?:the\s+)?(?:title|name)\s+(?:of|for|on)\s+(?P<task>.+?)"
        r"\s+to\s+(?P<value>.+)$",
        r"^(?:change|update|set|edit)\s+(?P<task>.+?)'s\s+(?:title|name)\s+to\s+(?P<value>.+)$",
    ]
    for pattern in patterns:
        if m := re.match(pattern, s, re.I):
            return _task_args(msg, m.group("task"), title=clean_phrase(msg, m.group("value")))
    return None


def rule_description(msg: Message, s: str, ctx: PlannerInput) -> Args | None:
    patterns = [
        r"^(?:set|change|update|make|add|put|edit|write)\s+(?:the\s+|a\s+)?"
        r"(?:description|desc|details|notes?)\s+(?:of|for|on|to)\s+(?P<task>.+?)\s*"
        r"(?:\s(?:to|as)\b|:|=|,? saying|,? reading)\s*(?P<value>.+)$",
        r"^(?:set|change|update|edit)\s+(?P<task>.+?)'s\s+(?:description|desc|details)\s*"
        r"(?:to|as|:)\s*(?P<value>.+)$",
        r"^describe\s+(?P<task>.+?)\s+as\s+(?P<value>.+)$",
    ]
    for pattern in patterns:
        if m := re.match(pattern, s, re.I):
            value = clean_comment(msg, m.group("value"))
            return _task_args(msg, m.group("task"), description=value)
    return None


def rule_reassign(msg: Message, s: str, ctx: PlannerInput) -> Args | None:
    patterns = [
        r"^(?:re-?assign|hand(?:\s+over)?|handover|transfer|pass|give)\s+(?P<task>.+)\s+"
        r"(?:over\s+|back\s+)?to\s+(?P<people>.+?)(?:\s+instead)?$",
        r"^assign\s+(?P<task>.+)\s+to\s+(?P<people>.+?)\s+instead$",
        r"^(?:change|switch|set|update)\s+(?:the\s+)?(?:assignee|owner|person in charge)s?\s+"
        r"(?:of|for|on)\s+(?P<task>.+?)\s+to\s+(?P<people>.+)$",
        r"^(?:make|let)\s+(?P<people>.+?)\s+(?:the\s+)?(?:owner|assignee|in charge)\s+(?:of|for)\s+"
        r"(?P<task>.+)$",
    ]
    for pattern in patterns:
        m = re.match(pattern, s, re.I)
        if m and (people := people_list(m.group("people"), ctx, loose=True)):
            return _task_args(msg, m.group("task"), assignees=people)
    # "assign Tom to the Devpost page": people first, then something that is not people
    m = re.match(r"^assign\s+(?P<people>.+?)\s+to\s+(?P<task>.+)$", s, re.I)
    if m and (people := people_list(m.group("people"), ctx)) and not people_list(m.group("task"), ctx):
        return _task_args(msg, m.group("task"), assignees=people)
    return None


def rule_add_people(msg: Message, s: str, ctx: PlannerInput) -> Args | None:
    m = re.match(
        r"^(?:add|put|include|loop in|also assign|get)\s+(?P<people>.+?)\s+"
        r"(?:to|on|onto|in on|as (?:an? )?(?:assignee|helper|owner)s? (?:on|to|for))\s+"
        r"(?P<task>.+?)(?:\s+(?:as well|too|also))?$",
        s,
        re.I,
    )
    if m and (people := people_list(m.group("people"), ctx)):
        return _task_args(msg, m.group("task"), add_assignees=people)
    return None


def rule_due_change(msg: Message, s: str, ctx: PlannerInput) -> Args | None:
    patterns = [
        r"^(?:change|set|update|move|push|extend|make|bump|shift|put)\s+(?:back\s+)?(?:the\s+)?"
        r"(?:due\s+date|deadline|due|date)\s+(?:of|for|on)\s+(?P<task>.+?)\s+"
        r"(?:to|until|till|as|back to|out to)\s+(?P<date>.+)$",
        r"^(?:change|set|update|move|push|extend|bump|shift)\s+(?P<task>.+?)'s\s+"
        r"(?:due\s+date|deadline|due)\s+(?:to\s+|until\s+|back to\s+)?(?P<date>.+)$",
        r"^make\s+(?P<task>.+?)\s+due\s+(?:on\s+|by\s+)?(?P<date>.+)$",
        r"^(?:.*\b)?(?:an? )?(?:extension|more time)\s+(?:on|for)\s+(?P<task>.+?)\s+"
        r"(?:till|until|til|to|for)\s+(?P<date>.+)$",
    ]
    return _due_from(msg, s, ctx, patterns)


def rule_due_statement(msg: Message, s: str, ctx: PlannerInput) -> Args | None:
    """'the catering order is now due Friday' (a statement, never a question)."""
    patterns = [
        r"^(?P<task>.+?)\s+(?:is\s+now\s+|should\s+be\s+|is\s+|will\s+be\s+|now\s+)?"
        r"due\s+(?:on\s+|by\s+)?(?P<date>.+)$",
    ]
    m = re.match(r"^(?P<task>.+?)\s+(?:is\s+|are\s+)?due\b", s, re.I)
    if m and re.search(r"\b(?:tasks?|anything|everything|what|which|my|stuff|all)\b", m[1], re.I):
        return None  # "my tasks due friday" asks for a list
    return _due_from(msg, s, ctx, patterns)


def _due_from(msg: Message, s: str, ctx: PlannerInput, patterns: list[str]) -> Args | None:
    for pattern in patterns:
        m = re.match(pattern, s, re.I)
        if m and (due := iso(m.group("date"), ctx)):
            return _task_args(msg, m.group("task"), due=due)
    return None


_MOVE = re.compile(
    r"^(?:move|push|bump|postpone|delay|reschedule|shift|put|file|transfer|change|switch|"
    r"extend|set)\s+(?P<rest>.+)$",
    re.I,
)
_MOVE_SPLIT = re.compile(r"\s+(?:back\s+|out\s+|over\s+)?(?:to|into|under|until|till|til|for|in)"
                         r"\s+", re.I)  # fmt: skip


def rule_move(msg: Message, s: str, ctx: PlannerInput) -> Args | None:
    """'push X to next Friday' (due), 'move X to done' (status), 'move X into P' (project)."""
    m = _MOVE.match(s)
    if not m:
        return None
    rest = m.group("rest")
    for split in reversed(list(_MOVE_SPLIT.finditer(rest))):
        task, dest = rest[: split.start()], rest[split.end() :].strip(" .!")
        if option := status_option(re.sub(r"^(?:the\s+)?", "", dest)):
            return _task_args(msg, task, status=option)
        with_cue = rest[split.start() :].strip()  # "to fri": short weekdays need their cue
        dated = find_date_phrase(with_cue)
        if dated and dated[1][0] <= len(with_cue) - len(dest) + 4 and (due := iso(dated[0], ctx)):
            return _task_args(msg, task, due=due)
        project = re.sub(r"^(?:the\s+)", "", dest, flags=re.I)
        project = re.sub(r"\s+(?:project|proj|event)$", "", project, flags=re.I)
        explicit = re.search(r"\b(?:project|proj)$", dest, re.I) is not None
        found = resolve_project(project, _projects(ctx))
        if found.value or explicit:
            return _task_args(msg, task, project=found.value.name if found.value else project)
    return None


def rule_arrow(msg: Message, s: str, ctx: PlannerInput) -> Args | None:
    """'nav bug -> next friday', 'catering → done'."""
    m = re.match(r"^(?P<task>.+?)\s*(?:->|→|=>|-->)\s*(?P<dest>.+)$", s)
    if not m:
        return None
    dest = m.group("dest").strip(" .!")
    if option := status_option(dest):
        return _task_args(msg, m.group("task"), status=option)
    if due := iso(dest, ctx):
        return _task_args(msg, m.group("task"), due=due)
    if people := people_list(dest, ctx):
        return _task_args(msg, m.group("task"), assignees=people)
    return None


def rule_archive(msg: Message, s: str, ctx: PlannerInput) -> Args | None:
    m = re.match(r"^(?:archive|shelve|bin|trash|delete|scrap|cancel|kill)\s+(?P<task>.+)$", s, re.I)
    return _task_args(msg, m.group("task"), status="Archive") if m else None


def rule_mark(msg: Message, s: str, ctx: PlannerInput) -> Args | None:
    """'mark X as done', 'set X to in progress', 'tick off X', 'close X'."""
    patterns = [
        r"^(?:set|change|update|switch)\s+(?:the\s+)?status\s+(?:of|for|on)\s+(?P<task>.+?)\s+"
        rf"(?:to|as)\s+(?P<status>{STATUS_ALT})$",
        r"^(?:mark|set|move|put|change|flag|update|switch|make|tag|label)\s+(?P<task>.+?)\s+"
        rf"(?:as\s+|to\s+|into\s+|in\s+|=\s*)?(?:being\s+)?(?P<status>{STATUS_ALT})$",
    ]
    for pattern in patterns:
        if m := re.match(pattern, s, re.I):
            return _task_args(msg, m.group("task"), status=status_option(m.group("status")))
    m = re.match(r"^(?:tick|cross|check|sign)\s+off\s+(?P<task>.+)$|"
                 r"^(?:close|complete|finish|resolve)\s+(?:off\s+)?(?P<task2>.+)$", s, re.I)  # fmt: skip
    if m:
        return _task_args(msg, m.group("task") or m.group("task2"), status="Done")
    m = re.match(r"^(?:start|begin|kick off)\s+(?:on\s+|working on\s+)?(?P<task>.+)$", s, re.I)
    if m:
        return _task_args(msg, m.group("task"), status="In Progress")
    m = re.match(r"^(?:reopen|re-open|restart)\s+(?P<task>.+)$", s, re.I)
    if m:
        return _task_args(msg, m.group("task"), status="Not Started")
    return None


_SUBJECT = rf"(?:i|we|{_MENTION}|[a-z]+(?: [a-z]+)?)"
_AUX = r"(?:'ve|'s|'d|'m| have| has| had| am| is| was)?"
_ADVERBS = r"(?:\s+(?:just|finally|already|now|officially|totally|basically|completely|also))*"
_LEAD = rf"^(?:(?:{_SUBJECT}){_AUX}{_ADVERBS}\s+)?"
_STATEMENTS: list[tuple[str, str]] = [
    (rf"{_LEAD}(?:submitted|sent|put|handed in)\s+(?P<task>.+?)\s+(?:in\s+|up\s+)?for review$",
     "To Review"),
    (rf"{_LEAD}(?:finished|completed|done|wrapped up|sorted(?: out)?|nailed|knocked out|"
     r"ticked off|got through|smashed)(?:\s+(?:with|off))?\s+(?P<task>.+)$", "Done"),
    (rf"{_LEAD}(?:started|begun|began|kicked off|picked up|been working|working|now working)"
     r"(?:\s+(?:on|with|working on))?\s+(?P<task>.+)$", "In Progress"),
    (r"^(?:i'm|i am|we're|we are)\s+(?:now\s+)?(?:on|doing|tackling|handling)\s+(?P<task>.+)$",
     "In Progress"),
    (rf"{_LEAD}(?:stuck|blocked|held up)(?:\s+(?:on|with|by))?\s+(?P<task>.+)$", "Blocked"),
    (rf"{_LEAD}can(?:'|no)t (?:finish|do|progress|continue)(?: with)?\s+(?P<task>.+)$",
     "Blocked"),
]  # fmt: skip
_STATEMENT_RES = [(re.compile(p, re.I), option) for p, option in _STATEMENTS]
_PAST = re.compile(
    r"^(?:(?:i|we)(?:'ve| have)?(?:\s+(?:just|finally|already|now|officially))*\s+)?"
    r"(?P<task>(?:[a-z]+ed|sent|wrote|written|made|built|bought|paid|ran|set up|did|got|"
    r"booked|drew|took|gave|sold|held|met|found|shot)\s+.+)$",
    re.I,
)
_NOT_DONE_VERBS = {"started", "begun", "decided", "wanted", "needed", "tried", "planned",
                   "hoped", "forgotten", "forgot", "assigned", "added", "created", "asked",
                   "noticed", "realised", "realized", "checked", "looked", "wondered",
                   "been", "got", "linked"}  # fmt: skip


# What a finished piece of work "is" ("the devpost page is up"), except these.
_PARTICIPLES: dict[str, str | None] = {
    "stalled": "Blocked", "paused": "Blocked", "cancelled": "Archive", "canceled": "Archive",
    "scrapped": "Archive", "delayed": None, "postponed": None, "assigned": None,
    "needed": None, "required": None, "overdue": None, "due": None, "planned": None,
    "supposed": None, "expected": None, "related": None, "based": None, "called": None,
    "named": None, "linked": None, "listed": None,
}  # fmt: skip


def rule_statement(msg: Message, s: str, ctx: PlannerInput) -> Args | None:
    """What people report: 'I've just finished X', "I'm stuck on X", "X's sorted",
    '<@id> has finished X, please mark it done'. The first clause naming a task wins."""
    status: str | None = None
    task: str | None = None
    for clause in _clauses(s):
        found = _statement(msg, clause)
        if found is None:
            continue
        clause_status, clause_task = found
        status = status or clause_status
        if task is None and clause_task is not None:
            task = clause_task
    if status is None or (task and re.search(r"\b(?:tasks|anything|everything|what|which)\b|"
                                              r"^(?:in|for|from|at)\b", task, re.I)):  # fmt: skip
        return None  # "hackathon tasks that are blocked" is a question
    args: Args = {"status": status}
    if task:
        args["task"] = task
    return args


def _clauses(s: str) -> list[str]:
    s = re.split(r"\s+(?:because|bc|b/c|cos|coz|cuz|'cause|as i|since i)\s+", s, flags=re.I)[0]
    parts = re.split(r"\s*(?:[,;.!]+\s+|\s+(?:so|and|but)\s+(?=(?:please|pls|can|could|mark|"
                     r"i|it|set)\b))\s*", s)  # fmt: skip
    return [strip_polite(p) for p in parts if p.strip()] or [s]


def _statement(msg: Message, clause: str) -> tuple[str, str | None] | None:
    for pattern, option in _STATEMENT_RES:
        if m := pattern.match(clause):
            return option, task_phrase(msg, m.group("task"))
    m = re.match(
        rf"^(?P<task>.+?)(?:'s|'re| is| are| has been| have been| was| were)?"
        rf"(?:\s+(?:now|all|finally|officially|totally|completely|been|fully|also))*\s+"
        rf"(?P<status>{STATUS_ALT})(?:\s+(?:now|already|finally|too))?$",
        clause,
        re.I,
    )
    if m and (option := status_option(m.group("status"))):
        return option, task_phrase(msg, m.group("task"))
    m = re.match(
        r"^(?P<task>.+?)(?:'s|'re| is| are| has been| have been| was| were)(?:\s+(?:now|all|finally|"
        r"officially|already))*\s+(?P<word>up|live|out|sent|paid|[a-z]+ed)(?:\s+(?:now|already))?$",
        clause,
        re.I,
    )
    if m and (option := _PARTICIPLES.get(m.group("word").lower(), "Done")):
        return option, task_phrase(msg, m.group("task"))
    m = re.match(rf"^(?P<status>{STATUS_ALT})\s*[:\-–—]\s*(?P<task>.+)$", clause, re.I)
    if m and (option := status_option(m.group("status"))):
        return option, task_phrase(msg, m.group("task"))
    m = _PAST.match(clause)
    verb = m.group("task").split()[0].lower() if m else ""
    if m and verb not in _NOT_DONE_VERBS and not verb.endswith("eed"):  # "need", "proceed"
        return "Done", task_phrase(msg, m.group("task"))
    m = re.match(rf"^(?:mark|set|make)\s+(?:it|that|this)\s+(?:as\s+)?(?P<status>{STATUS_ALT})$",
                 clause, re.I)  # fmt: skip
    if m:
        return status_option(m.group("status")) or "Done", None
    return None


UPDATE_RULES: list[Rule] = [
    rule_rename,
    rule_description,
    rule_due_change,
    rule_add_people,
    rule_reassign,
    rule_archive,
    rule_mark,
    rule_move,
    rule_arrow,
]


def plan_update(msg: Message, core: str, ctx: PlannerInput, question: bool) -> ToolCall | None:
    """A command about one task, or (unless a question) a statement about one."""
    rules = [*UPDATE_RULES] if question else [*UPDATE_RULES, rule_due_statement, rule_statement]
    for rule in rules:
        args = rule(msg, core, ctx)
        if args is not None and len(args) >= 1 and set(args) != {"task"}:
            return ToolCall(tool="update_task", args=args)
    return None


# ---------------------------------------------------------------- show_task

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


def plan_show_task(msg: Message, core: str, ctx: PlannerInput) -> ToolCall | None:
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


def plan_list_tasks(msg: Message, core: str, ctx: PlannerInput) -> ToolCall | None:
    """'what's on my plate in marketing?', "Tom's overdue tasks", 'anything due tmrw'."""
    about_projects = re.search(r"\bprojects\b", core, re.I) and not re.search(r"\btasks?\b", core, re.I)
    if not _TASK_WORDS.search(core) or about_projects:
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
    args["assignee"] = find_assignee(s, ctx) or ("me" if mentions_self(core) else None)
    return ToolCall(tool="list_tasks", args={k: v for k, v in args.items() if v})


_ALL_STATUSES = re.compile(
    r"\b(?:whatever (?:their |the |its )?status(?:es)?|any status|regardless of (?:their |the )?"
    r"status|every status|all statuses|all statuses|no matter (?:the |their )?status|"
    r"including (?:the )?(?:done|completed|finished|archived|closed)(?: ones)?|"
    r"even (?:the )?(?:done|completed|finished)(?: ones)?|incl\.? (?:done|completed))\b",
    re.I,
)
_LIST_STATUS: list[tuple[str, str]] = [
    (r"blocked|stuck|on hold", "Blocked"),
    (r"(?:in|to|for|under|awaiting|needs?|ready for) review|being reviewed", "To Review"),
    (r"not (?:yet )?started|unstarted|haven'?t (?:i |we |you )?(?:yet )?started|not begun", "Not Started"),
    (r"in[- ]progress|being worked on|underway|ongoing|started", "In Progress"),
    (r"done|finished|completed|complete|closed", "Done"),
    (r"archived", "Archive"),
]


def take_list_status(s: str) -> tuple[str, str | list[str] | None]:
    m = _ALL_STATUSES.search(s)
    if m:
        return _cut(s, m.span()), "all"
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
            if found.value and project_score(phrase, found.value.name) >= 0.9:
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


def _without_show_me(s: str) -> str:
    return re.sub(r"\b(?:show|give|get|tell|send|let|remind)\s+me\b", "", s, flags=re.I)


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


# ---------------------------------------------------------------- the planner


def plan_text(text: str, ctx: PlannerInput) -> ToolCall:
    """Text → ToolCall, first matching intent wins; no tool for help, chit-chat, the rest."""
    msg = parse_message(text)
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


class OfflinePlanner(Planner):
    """Deterministic planner: the default without a model, and the fallback with one."""

    name = "offline"

    async def plan(self, text: str, facts: PlannerInput) -> PlanResult:
        return PlanResult(call=plan_text(text, facts))


__all__ = ["OfflinePlanner", "parse_message", "plan_text", "status_option"]
