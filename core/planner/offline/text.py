"""Text clean-up: what was typed → an `Utterance` (quotes aside, slang and intent-word typos fixed)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein


@dataclass
class Utterance:
    """What was typed, cleaned up: quoted strings replaced by ⟦n⟧ placeholders so no
    rule looks inside a title or a comment, slang and typos in intent words fixed."""

    raw: str
    text: str
    quotes: list[str] = field(default_factory=list)
    base: str = ""  # the text before slang and typos were fixed (quotes already ⟦n⟧)
    fixes: list[tuple[str, str]] = field(default_factory=list)  # (as fixed, as typed)

    def restore(self, s: str) -> str:
        return re.sub(r"⟦(\d+)⟧", lambda m: self.quotes[int(m.group(1))], s)

    def verbatim(self, s: str) -> str:
        """`s` (a piece of `text`) as it was typed: free text keeps its slang and spelling
        ("ping me b4 u print" stays so), quotes restored."""
        return self.restore(self.typed(s))

    def typed(self, s: str) -> str:
        """`s` as typed, quotes still ⟦n⟧."""
        if not self.fixes or not s.strip():
            return s
        pattern = re.escape(s.strip())
        for fixed, typed in sorted(set(self.fixes), key=lambda f: -len(f[0])):
            pattern = re.sub(
                rf"(?<![\w\\]){re.escape(re.escape(fixed))}(?!\w)",
                lambda _m, f=fixed, t=typed: f"(?:{re.escape(f)}|{re.escape(t)})",
                pattern,
                flags=re.I,
            )
        pattern = pattern.replace(r"\ ", r"\s+")
        try:
            found = re.search(pattern, self.base, re.I)
        except re.error:
            found = None
        return found.group(0) if found else s


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
    r"nxt": "next",
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


def parse_utterance(text: str) -> Utterance:
    """Normalise quotes, space, slang and intent-word typos; pull out quoted strings."""
    s = text.replace("⟦", "[").replace("⟧", "]")  # the placeholders' brackets are ours
    s = s.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    s = re.sub(r"\s*(?:✅|✔️|✔|☑️|☑|✓)(?:\ufe0f)?", " done ", s)  # a tick says done
    s = "".join(" " if unicodedata.category(c) in ("So", "Sk", "Cs", "Co") else c for c in s)
    s = re.sub(r"\s+", " ", s).strip()
    quotes: list[str] = []

    def keep(m: re.Match[str]) -> str:
        quotes.append(next(g for g in m.groups() if g is not None).strip())
        return f"⟦{len(quotes) - 1}⟧"

    s = _QUOTE_RE.sub(keep, s)
    s = _disfluent(s)
    base = s
    fixes: list[tuple[str, str]] = []

    def fix(typed: str, fixed: str) -> str:
        if typed != fixed:
            fixes.append((fixed, typed))
        return fixed

    for pattern, replacement in _SLANG_RE:
        s = pattern.sub(lambda m, r=replacement: fix(m.group(0), r), s)
    s = re.sub(r"[A-Za-z]{5,}", lambda m: fix(m.group(0), _keyword_fix(m.group(0))), s)
    return Utterance(raw=text, text=s, quotes=quotes, base=base, fixes=fixes)


# Speech turned into text: hesitations, a word said twice, "like" as a filler.
_HESITATION = re.compile(r"(?<![\w'])(?:u+h+m*|u+m+|e+r+m*|e+r|a+h+|hm+)(?![\w'])[,.]?\s*", re.I)
_REPEATED = re.compile(r"(?<![\w'])([a-z']+(?: [a-z']+)?)(?: \1)+(?![\w'])", re.I)
_LIKE = re.compile(r"\b(?P<head>is|are|was|were|'s|'re|just|so|all) like,?(?= \w)|,? like,(?= )", re.I)


def _disfluent(s: str) -> str:
    """'um so the the poster is like done' → 'so the poster is done': a transcript's hesitations,
    repeats and filler "like" carry nothing, and would end up in a task's name."""
    s = _HESITATION.sub("", s)
    s = _REPEATED.sub(r"\1", s)
    s = _LIKE.sub(lambda m: m.group("head") or "", s)
    return re.sub(r"\s+", " ", s).strip(" ,")


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


# A request wrapped in politeness or hedges: "when you get a sec", "if you don't mind", "maybe".
_COURTESY = (
    r"when(?:ever)? you (?:get|have|'ve got) (?:a )?(?:sec|second|minute|moment|mo|chance|min)|"
    r"if you (?:don't|do not) mind|if (?:it's|its|that's) (?:not too much trouble|ok|okay|possible)|"
    r"if (?:you can|possible)|no rush,?(?: but)?|(?:sorry|so sorry) to (?:bother|bug|pester) you,?(?: but)?|"
    r"(?:would|do) you mind|(?:is it possible|would it be possible) (?:for you )?to|"
    r"i was wondering if you could|i wonder if you could|"
    r"(?:please )?help me(?: to)?(?= (?:create|add|make|mark|change|set|move|push|assign|update|put|give)\b)|"
    r"please to|pls to|maybe|perhaps|possibly|(?:would|could|will) you be able to|are you able to|"
    r"(?:can|could|should|shall) we|(?:we|i) (?:should|could|can)"
    r"(?= (?:move|push|mark|change|set|give|assign|reassign|rename|archive|close|add|create|put|make|bump)\b)"
)
_POLITE = re.compile(
    rf"^(?:{_COURTESY}|"
    r"please|kindly|hey|hi|hello|yo|oi|ok(?:ay)?|so|um+|uh+|hmm+|@?/?darcy|anyway|right|"
    r"quick (?:one|thing|q|question|favou?r)|one more thing|also|btw|(?:hey|hi|hello) there|yeah|"
    r"the thing is|"
    r"can you|could you|would you|will you|can u|could u|"
    r"i want you to|i'd like you to|i need you to|go ahead and|quickly|just|"
    r"(?:i want to|i'd like to|i would like to|i wanna|i need to|let's|lets|i'd love to|i would love to)"
    r"(?=\s+(?:create|add|make|push|"
    r"assign|reassign|rename|archive|mark|see|list|show|know|check|comment|link|move|push|change|"
    r"set|update|log|leave|view|get)\b))"
    r"(?:[\s,!:.—–-]+|$)",
    re.I,
)


_POLITE_END = re.compile(
    r"(?:[\s,!.]+(?:please|thanks|thank you|cheers|ta|mate|darcy|asap|for me please|"
    r"(?:thanks|thank you|ty) (?:so|very) much|thanks (?:heaps|a lot|a bunch|a million|again|in advance)|"
    r"(?:much|really) appreciated|(?:i'd |i would |i )?(?:really )?appreciate (?:it|that)|"
    r"(?:that|it|this) (?:would|'d|will|'ll) be (?:great|amazing|awesome|lovely|perfect|a big help|"
    r"really helpful|helpful)|that'd be (?:great|amazing|awesome|lovely|perfect)|you're the best|"
    r"if (?:you can|possible|you don't mind|that's ok(?:ay)?|it's not too much trouble)|"
    r"when(?:ever)? you (?:get|have) (?:a )?(?:sec|second|minute|moment|chance)|"
    r"no (?:rush|worries|stress|pressure|hurry)))+[\s!.?]*$",
    re.I,
)


# "would you mind adding …": the command's own verb, once the courtesy before it is gone.
_GERUNDS = {"adding": "add", "making": "make", "creating": "create", "putting": "put", "marking": "mark",
            "moving": "move", "pushing": "push", "changing": "change", "setting": "set", "giving": "give",
            "assigning": "assign", "updating": "update", "logging": "log", "renaming": "rename",
            "archiving": "archive", "reassigning": "reassign", "showing": "show",
            "listing": "list"}  # fmt: skip
_GERUND_RE = re.compile(rf"^(?:{'|'.join(_GERUNDS)})\b", re.I)


def strip_polite(s: str) -> str:
    """'hey darcy, can you please mark … thanks' → 'mark …' (only when something remains)."""
    s = _POLITE_END.sub("", s) or s
    while True:
        stripped = _POLITE.sub("", s, count=1).strip()
        if stripped != s and stripped:
            stripped = _GERUND_RE.sub(lambda m: _GERUNDS[m.group(0).lower()], stripped)
        if stripped == s or not stripped:
            return s.strip(" ,.!")
        s = stripped
