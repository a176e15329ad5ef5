"""Step 3: fill the slots of the intent the classifier read, from the entities and the rest.

Each filler works on the whole message rather than one sentence shape: it cuts out what it
recognises (a date, a project, people, the words that carry the intent, a status cue from
core/lexicon.py) and what remains names the task, or is the new task's title. A filler
returns None when it cannot fill its intent's required slot; the dispatcher then asks
rather than answers with something else.
"""

from __future__ import annotations

import re

from core.lexicon import possessive, statement_status, status_option
from core.planner import PlannerInput
from core.planner.offline.create import _cut, take_due
from core.planner.offline.entities import MENTION_RE
from core.planner.offline.text import Utterance
from core.planner.offline.vocabulary import Args, iso, people_list, task_phrase
from core.resolve import owner_tag, resolve_person
from core.tools import ToolCall

# ---------------------------------------------------------------- task phrases

# Words that say what to do with a task, not which task: left out of the task's name.
_NOT_TASK = {
    "i", "i'm", "i've", "i'll", "im", "ive", "we", "we're", "we've", "you", "he", "she", "they",
    "it", "it's", "its", "is", "are", "was", "were", "be", "been", "am", "has", "have", "had", "'s",
    "just", "finally", "already", "now", "again", "all", "totally", "officially", "still", "also",
    "too", "as", "well", "so", "really", "please", "thanks", "can", "could", "would", "will",
    "need", "needs", "needed", "going", "gonna", "to", "get", "got", "some", "more", "time",
    "few", "days", "day", "week", "weeks", "a", "an", "extension", "say", "till", "until", "til",
    "by", "push", "pushed", "move", "moved", "bump", "back", "slip", "slipped", "slipping", "delay",
    "delayed", "postpone", "postponed", "reschedule", "extend", "deadline", "due", "date", "when",
    "change", "on", "for", "with", "of", "the", "my", "our", "one", "task", "thing", "bit",
    "another", "mark", "set", "make", "made", "start", "mine", "!", "hey", "darcy", "ok", "okay",
    "yeah", "yep", "right", "out", "that", "this", "which", "should", "must", "go", "from", "over",
    "instead", "only", "take", "takes", "taking", "give", "hand", "put", "add", "assign", "reassign",
    "in", "me", "him", "her", "them", "helping", "help", "let", "do", "doing", "later",
    "and", "or", "late", "early", "soon", "lol", "haha", "myself", "ones", "both", "pushing",
    "moving", "bumping", "shifting", "changing", "extending", "delaying", "fyi", "btw", "heads",
    "morning", "afternoon", "arvo", "evening", "earlier", "yesterday", "today", "tonight",
    "couple", "little", "extra", "think", "reckon", "guess", "done", "wait", "ready",
    "own", "owns", "pick", "picking", "let's", "lets", "pretty", "much", "basically", "nearly",
    "almost", "mostly", "kinda", "possibly", "maybe", "perhaps", "finish", "not", "yet", "problem",
    "problems", "issue", "issues", "trouble",
}  # fmt: skip
_SUBORDINATE = re.compile(
    r"\s+(?:till|until|til|because|cause|coz|cos|since|as soon as|once|but|so that|if|unless|"
    r"so|and then|then|, ?she|, ?he|, ?they|(?:he|she|they) (?:said|says|reckons))\b.*$",
    re.I,
)
_CLAUSE_SPLIT = re.compile(r"\s*(?:[,;!?]+|\.(?:\s+|$)|:\s+|\s+[-–—]+\s+|\s+(?:but|and then)\s+)\s*")
_TASKISH_END = re.compile(r"\s+(?:one|task|thing|job|bit)$", re.I)


_MORE_TIME = re.compile(
    r"\b(?:an?\s+)?(?:few|couple(?:\s+of)?|bit|little|lot|day or two|week or two)?\s*(?:more|extra)\s+"
    r"(?:days?|weeks?|time)\b|\b(?:a few|a couple(?: of)?|two|three|2|3)\s+(?:more\s+)?(?:days?|weeks?)\b",
    re.I,
)
_LEFT_ONLY = {"day", "days", "week", "weeks", "time"}  # "a few more days on X", but "recruitment day"
_KEEP_PAIRS = {("set", "up"), ("send", "out"), ("sign", "up"), ("hand", "out"), ("make", "sure"),
               ("start", "up"), ("put", "up"), ("back", "up"), ("follow", "up"), ("check", "in")}  # fmt: skip


def _content(s: str) -> list[str]:
    """The words of `s` without what asks, reports or fills at either edge; the middle stays."""
    words = re.findall(r"[\w'&/-]+|<@[^>]+>", s)

    def keep(i: int) -> bool:
        w = words[i].lower()
        if w not in _NOT_TASK:
            return True
        nxt = words[i + 1].lower() if i + 1 < len(words) else ""
        prev = words[i - 1].lower() if i > 0 else ""
        return (w, nxt) in _KEEP_PAIRS or (prev, w) in _KEEP_PAIRS

    start, end = 0, len(words)
    while start < end and not keep(start):
        start += 1
    while end > start and not keep(end - 1) and words[end - 1].lower() not in _LEFT_ONLY:
        end -= 1
    return words[start:end]


def task_in(utt: Utterance, s: str, ctx: PlannerInput) -> str | None:
    """The task a piece of text names, whose it is kept ("my slides", "<@notion:…>'s invoices")."""
    s = _SUBORDINATE.sub("", s.strip())
    s = _MORE_TIME.sub(" ", s)
    s = re.sub(r"(?:'s|’s)\s*$", "", s.strip(" ,.!?:;"))
    owner = _owner(s, ctx)
    prefix = ""
    if owner is not None:
        prefix, s = owner
    words = next((w for start, end in _clauses(s) if (w := _content(s[start:end]))), [])
    if not words:
        return None
    phrase = task_phrase(utt, " ".join(words))
    if phrase is None:
        return None
    phrase = _TASKISH_END.sub("", phrase) or phrase
    return f"{prefix}{phrase}" if prefix else phrase


def _owner(s: str, ctx: PlannerInput) -> tuple[str, str] | None:
    """("my " or an owner tag, the rest) when the phrase says whose task it is."""
    m = re.search(r"(?:^|\s)(?P<who>my|our)\s+(?P<rest>.+)$", s, re.I)
    if m:
        return "my ", m.group("rest")
    m = re.search(
        r"(?:^|\s)(?P<who><@[!&]?[A-Za-z0-9]+(?:\|[^>]*)?>|[A-Za-z][\w-]*)\s*(?:'s|’s)\s+(?P<rest>.+)$", s
    )
    if m is None:  # "toms analytics task": a member's name with an s and no apostrophe
        bare = re.search(r"(?:^|\s)(?P<who>[A-Za-z]+)s\s+(?P<rest>.+)$", s)
        keys = {m.handle.lower() for m in ctx.members} | {m.first_name.lower() for m in ctx.members}
        if bare is None or bare.group("who").lower() not in keys:
            return None
        m = bare
    found = possessive(f"{m.group('who')}'s {m.group('rest')}")
    if found is None:
        return None
    member = resolve_person(found[0], ctx.members, ctx.requester, ctx.platform).value
    if member is None:
        return None
    if ctx.requester is not None and member.notion_user_id == ctx.requester.notion_user_id:
        return "my ", found[1]
    return owner_tag(member.notion_user_id, "").rstrip() + " ", found[1]


def _clauses(s: str) -> list[tuple[int, int]]:
    spans, last = [], 0
    for m in _CLAUSE_SPLIT.finditer(s):
        if m.start() > last:
            spans.append((last, m.start()))
        last = m.end()
    if last < len(s):
        spans.append((last, len(s)))
    return spans


def _task_near(utt: Utterance, s: str, span: tuple[int, int], ctx: PlannerInput) -> str | None:
    """The task named in the clause holding `span` (the cue cut out), else in another clause."""
    clauses = _clauses(s)
    home = next((c for c in clauses if c[0] <= span[0] < c[1] or c[0] < span[1] <= c[1]), None)
    order = ([home] if home else []) + [c for c in clauses if c != home]
    for start, end in order:
        piece = s[start:end]
        if (start, end) == home:
            a, b = max(span[0], start) - start, min(span[1], end) - start
            piece = piece[:a] + " " + piece[b:]
        found = task_in(utt, piece, ctx)
        if found:
            return found
    return None


# ---------------------------------------------------------------- update_task


def fill_status(utt: Utterance, core: str, ctx: PlannerInput) -> ToolCall | None:
    """A statement or a command about where one task stands."""
    m = re.search(
        r"\b(?:mark|set|move|put|flag|change|make|switch)\s+(?P<task>.+?)\s+(?:as\s+|to\s+|into\s+|in\s+)?"
        r"(?P<word>done|complete|completed|finished|blocked|in progress|started|ready for review|"
        r"to review|in review|not started|on hold|archived)\b",
        core,
        re.I,
    )
    if m and (option := status_option(m.group("word"))):
        task = task_in(utt, m.group("task"), ctx) or _task_near(utt, core, m.span(), ctx)
        return ToolCall(tool="update_task", args={"status": option, **({"task": task} if task else {})})
    m = re.match(r"^(?:archive|shelve|scrap|bin)\s+(?P<task>.+)$", core, re.I)
    if m:
        task = task_in(utt, m.group("task"), ctx)
        return ToolCall(tool="update_task", args={"status": "Archive", **({"task": task} if task else {})})
    found = statement_status(core)
    if found is None:
        return None
    option, span = found
    task = _reported_task(utt, core, span, ctx) or _task_near(utt, core, span, ctx)
    verb = re.fullmatch(
        r"(?:(?:i|we)(?:'ve| have)?\s+)?(?:just\s+|finally\s+|already\s+)*(?P<v>[a-z]+ed|sent|paid|built|"
        r"bought|made|wrote|ran|held|set up)",
        core[span[0] : span[1]].strip(),
        re.I,
    )
    before = core[: span[0]].strip(" ,.!").lower()
    opening = before in ("", "i", "we", "i've", "we've")
    if verb and task and opening and verb.group("v").lower() not in _GENERIC:
        task = f"{verb.group('v')} {task}"  # "recruited the judges": the verb names the task too
    args: Args = {"status": option}
    if task:
        args["task"] = task
    return ToolCall(tool="update_task", args=args)


# After a blocked cue, who or what it waits on, then the task: "waiting on quotes for the catering".
_BLOCKER = re.compile(r"^\s*(?:waiting\s+(?:on|for)\s+|by\s+)?(?P<blocker>.+?)\s+"
                      r"(?:for|about|on|with|re|regarding)\s+(?P<task>.+)$", re.I)  # fmt: skip


def _reported_task(utt: Utterance, core: str, span: tuple[int, int], ctx: PlannerInput) -> str | None:
    """The task a status report is about when its words say which side of the cue it is:
    the subject before it ("the badges are blocked on the supplier": not the supplier), or,
    with nothing before, what follows the blocker ("stuck waiting on quotes for the catering")."""
    clauses = _clauses(core[: span[0]])
    before = core[clauses[-1][0] : clauses[-1][1]] if clauses and clauses[-1][1] >= span[0] - 1 else ""
    if before.strip() and (task := task_in(utt, before, ctx)):
        return task
    cue, after = core[span[0] : span[1]], core[span[1] :]
    waits = re.search(r"\b(?:waiting (?:on|for)|by)$", cue, re.I) or re.match(r"\s*(?:waiting|by)\b", after,
                                                                                re.I)
    m = _BLOCKER.match(re.split(r"[,;.!?]", after)[0]) if waits else None
    return task_in(utt, m.group("task"), ctx) if m else None


# Verbs that say a task is finished whatever it was, unlike "recruited" or "booked".
_GENERIC = {"finished", "completed", "sorted", "wrapped", "handled", "nailed", "smashed", "ticked",
            "knocked", "dusted", "closed", "resolved", "done"}  # fmt: skip

_SHIFT = re.compile(
    r"\b(?:by\s+|back\s+|out\s+)?(?P<n>a|an|one|two|three|four|five|six|seven|another|an extra|\d{1,2})"
    r"\s+(?:more\s+|extra\s+)?(?P<unit>day|week|wk|fortnight)s?\b",
    re.I,
)
_COUNT = {"a": 1, "an": 1, "one": 1, "another": 1, "an extra": 1, "two": 2, "three": 3, "four": 4, "five": 5,
          "six": 6, "seven": 7}  # fmt: skip
_UNIT_DAYS = {"day": 1, "week": 7, "wk": 7, "fortnight": 14}


def _shift_days(found: re.Match[str]) -> int:
    """"a week" → 7, "two more days" → 2, "a fortnight" → 14."""
    n = found["n"].casefold()
    count = int(n) if n.isdigit() else _COUNT.get(n, 1)
    return count * _UNIT_DAYS[found["unit"].casefold()]


def fill_due(utt: Utterance, core: str, ctx: PlannerInput) -> ToolCall | None:
    """A new due date for one task; without a date, the task alone (the gate asks what to change)."""
    s = core
    s, due = take_due(s, ctx)
    if due is None:
        from core.dates import find_date_phrase

        dated = find_date_phrase(s)
        if dated and (value := iso(dated[0], ctx)):
            due, s = value, _cut(s, dated[1])
    shift = _SHIFT.search(s) if due is None else None
    if shift:  # "slip by a week": relative to the due date the planner does not see; the gate adds it
        due, s = f"+{_shift_days(shift)}d", _cut(s, shift.span())
    s = re.sub(r"\b(?:say|like|maybe|perhaps|ideally)\b", " ", s, flags=re.I)
    task = task_in(utt, s, ctx)
    args: Args = {}
    if task:
        args["task"] = task
    if due:
        args["due"] = due
    return ToolCall(tool="update_task", args=args)


_ADD_CUE = re.compile(
    r"\b(?:as well|too|also|in on|loop(?:ed)? in|add(?:ed)?|helping|help(?:s)? (?:out )?with|"
    r"join(?:s|ing)?|alongside)\b",
    re.I,
)
_FROM_TO = re.compile(r"\bfrom\s+(?P<old>.+?)\s+to\s+(?P<new>[^,.;]+)", re.I)
_INSTEAD_OF = re.compile(r"(?P<new>\S+(?:\s+\S+)?)\s+instead\s+of\s+(?P<old>\S+(?:\s+(?-i:[A-Z])\S*)?)", re.I)
_SWAP = re.compile(
    r"\bswap\s+(?P<old>\S+(?:\s+(?-i:[A-Z])\S*)?)\s+(?:for|with)\s+(?P<new>\S+(?:\s+(?-i:[A-Z])\S*)?)",
    re.I,
)
_TAKE_OVER = re.compile(
    r"\b(?P<who>i'?ll|i will|i|me|let me|[A-Z]\w*|<@[^>]+>)(?:'s|'ll|'re|'m)?\s+"
    r"(?:can\s+|will\s+|should\s+|to\s+|is\s+|'ll\s+)?(?:take|taking|takes|grab|grabbing|do|doing|"
    r"handle|handling)\s+(?:over\s+)?(?P<task>.+?)(?:\s+from\s+\S+)?(?:\s+instead(?:\s+of\s+\S+)?)?$",
    re.I,
)


def fill_people(utt: Utterance, core: str, ctx: PlannerInput) -> ToolCall | None:
    """Who is in charge of one task: replace ("instead of", "from A to B", "take over") or add
    ("as well", "too")."""
    s = core
    for rx in (_FROM_TO, _SWAP):
        m = rx.search(s)
        if m and (new := people_list(m.group("new").strip(), ctx, loose=True)):
            rest = _cut(s, m.span())
            return _people_call(utt, rest, ctx, assignees=new)
    m = _INSTEAD_OF.search(s)
    if m and (new := people_list(m.group("new").split()[-1], ctx, loose=True)):
        rest = _cut(s, m.span())
        return _people_call(utt, rest, ctx, assignees=new)
    m = re.search(r"\b(?:to|for)\s+(?P<who>[^,.;]+?)\s+only\b|\bonly\s+(?P<who2>[A-Z]\w+)", s)
    if m and (new := people_list((m.group("who") or m.group("who2")).strip(), ctx, loose=True)):
        return _people_call(utt, _cut(s, m.span()), ctx, assignees=new)
    m = _TAKE_OVER.search(s)
    if m and re.search(r"\b(?:take|taking|takes)\s+over\b|\binstead\b|\bgrab", s, re.I):
        who = m.group("who").lower()
        myself = who in ("i", "i'll", "i will", "me", "let me")
        people = ["me"] if myself else people_list(m.group("who"), ctx)
        if people:
            return _people_call(utt, m.group("task"), ctx, assignees=people)
    people = _people_in(s, ctx)
    if not people:
        return None
    rest = s
    for p in people:
        rest = re.sub(rf"(?<![\w@<]){re.escape(p)}(?:'s)?(?![\w>])", " ", rest, count=1, flags=re.I)
    if _ADD_CUE.search(s):
        return _people_call(utt, _ADD_CUE.sub(" ", rest), ctx, add_assignees=people)
    return _people_call(utt, rest, ctx, assignees=people)


def _people_in(s: str, ctx: PlannerInput) -> list[str]:
    """People named as the new people in charge: after "to", else any member or mention."""
    m = re.search(r"\bto\s+(?P<who>[^,.;]+?)(?:\s+(?:as well|too|also|instead|please|now|then))?\s*[,.;!?]*$",
                  s, re.I)  # fmt: skip
    if m and (found := people_list(m.group("who"), ctx, loose=True)):
        return found
    names: list[str] = [mm.group(0) for mm in MENTION_RE.finditer(s)]
    helping = re.finditer(r"\bhelp(?:ing|s)?\s+(\S+)\s+(?:with|on|out)\b", s, re.I)
    helped = {h.group(1).lower() for h in helping}
    for word in re.findall(r"(?<![\w@<])[A-Za-z][\w-]+(?:'s)?", s):
        w = re.sub(r"'s$", "", word)
        if re.search(rf"\b{re.escape(w)}'s\b(?!\s+(?:\w+ing|on|gonna|going)\b)", s):
            continue  # whose task, not who is put on it ("Dan's helping" is Dan is)
        if w.lower() in ("me", "i", "it", "the", "on", "to", "a", "as", "is") or len(w) < 3:
            continue
        if w.lower() in helped or re.search(rf"\btake\s+{re.escape(w)}\s+off\b", s, re.I):
            continue  # the one helped, or taken off, is not put on
        if resolve_person(w, ctx.members, ctx.requester, ctx.platform).value is not None:
            names.append(w)
    return list(dict.fromkeys(names))


def _people_call(utt: Utterance, rest: str, ctx: PlannerInput, **change: list[str]) -> ToolCall:
    rest = re.sub(r"\b(?:from|to|on|onto)\s+(?:me|him|her|them)\b", " ", rest, flags=re.I)
    rest = re.sub(r"\bhelp(?:ing|s)?\s+\S+\s+(?:with|on|out)\b|\btake\s+\S+\s+off\b|"
                  r"\b(?:and\s+)?(?:give|hand|pass)\s+(?:it|them|that|this)\s+(?:over\s+)?to\b|"
                  r"\b(?:and\s+)?put\s+\S+\s+on\b", " ", rest, flags=re.I)  # fmt: skip
    task = task_in(utt, rest, ctx)
    args: Args = dict(change)
    if task:
        args["task"] = task
    return ToolCall(tool="update_task", args=args)


# ---------------------------------------------------------------- add_comment

_TELL = re.compile(
    r"^(?:tell|let|ping|notify|remind)\s+(?:the\s+|everyone\s+on\s+|whoever\s+(?:has|is on|owns)\s+)?"
    r"(?P<task>.+?)(?:\s*(?:folks|people|team|crew|owners?)?\s*(?:\s(?:know\s+)(?:that\s+)?|\sthat\s+|:\s*)|"
    r"\s+(?:folks|people|team|crew|owners?)\s+)"
    r"(?P<text>.+)$",
    re.I,
)


def fill_comment(utt: Utterance, core: str, ctx: PlannerInput) -> ToolCall | None:
    """A note for the people on a task ("tell the newsletter folks that images are late")."""
    m = _TELL.match(core)
    if m is None:
        return None
    task = task_in(utt, m.group("task"), ctx)
    text = utt.verbatim(m.group("text")).strip(" \"'")
    args: Args = {"text": text}
    if task:
        args["task"] = task
    return ToolCall(tool="add_comment", args=args)


# ---------------------------------------------------------------- show_task

_ASKING = re.compile(
    r"^(?:(?:can you |could you )?tell me\s+)?"
    r"(?:is|are|has|have|did|does|was|were|when'?s|when is|who'?s|who is|what'?s|how'?s|how far along is|"
    r"any news on|any updates? on|what'?s the latest on|where are we (?:at )?(?:with|on))\s+"
    r"(?:(?:anyone|anybody|someone|\w+)\s+)?(?:(?:started|finished|done|on|doing)\s+)?",
    re.I,
)


def fill_show(utt: Utterance, core: str, ctx: PlannerInput) -> ToolCall | None:
    """A question about one task ("is the venue booking done?"): the task, in full."""
    s = _ASKING.sub("", core.strip().rstrip("?!. "))
    s = re.sub(r",?\s+(?:how(?:'s| is) (?:it|that) going|what(?:'s| is) (?:the )?(?:status|latest|news)|"
               r"(?:any )?(?:status|update|news)|is it (?:done|finished|ready)(?: yet)?|"
               r"who(?:'s| is| has| is on| is doing|'s on|'s doing) (?:it|that)|when(?:'s| is) it due)$",
               "", s, flags=re.I)  # fmt: skip
    s = re.sub(r"\s+(?:done|finished|complete|started|blocked|due|yet|still on track|on track|"
               r"been \w+|waiting on|going|at)(?:\s+yet)?$", "", s, flags=re.I)  # fmt: skip
    task = task_in(utt, s, ctx)
    return ToolCall(tool="show_task", args={"task": task}) if task else None


__all__ = [
    "fill_comment",
    "fill_due",
    "fill_people",
    "fill_show",
    "fill_status",
    "task_in",
]
