"""Names as people type them → members, projects and tasks of the workspace.

Pure functions, no I/O: the gate calls them with what the store returned. Each
returns a `Resolution`: one value, or ranked candidates when two are about equally
likely (the gate asks the person to choose rather than guess), or nothing with the
closest names for the message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Generic, TypeVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from core.domain import Member, Project, Task

T = TypeVar("T")

MAX_CANDIDATES = 5
SELF_WORDS = {"me", "i", "myself", "my", "mine", "moi", "self", "yours truly"}
_MENTION = re.compile(r"^<@!?&?([A-Za-z0-9]+)(?:\|[^>]*)?>$")


@dataclass
class Resolution(Generic[T]):
    value: T | None = None  # resolved uniquely
    candidates: list[T] = field(default_factory=list)  # ambiguous: ranked, at most 5
    suggestions: list[str] = field(default_factory=list)  # nothing matched: closest names

    @property
    def ambiguous(self) -> bool:
        return self.value is None and len(self.candidates) > 1

    @property
    def found(self) -> bool:
        return self.value is not None


# ---------------------------------------------------------------- words


# Irregular forms people use when they report work ("I wrote the copy").
_IRREGULAR = {
    "sent": "send", "wrote": "write", "written": "write", "made": "make", "built": "build",
    "bought": "buy", "did": "do", "done": "do", "paid": "pay", "got": "get", "ran": "run",
    "found": "find", "held": "hold", "took": "take", "taken": "take", "gave": "give",
    "given": "give", "drew": "draw", "drawn": "draw", "met": "meet", "told": "tell",
    "began": "begin", "begun": "begin", "led": "lead", "sold": "sell", "spoke": "speak",
    "brought": "bring", "chose": "choose", "kept": "keep", "thought": "think",
    "shot": "shoot", "rang": "ring", "redid": "redo", "rewrote": "rewrite",
    "uni": "university", "prep": "prepare", "prepped": "prepare", "pres": "presentation",
    "comms": "communication", "rego": "registration", "info": "information",
    "admin": "administration", "pics": "photo", "pic": "photo", "photos": "photo",
    "vids": "video", "vid": "video", "tshirts": "t-shirt", "tees": "t-shirt",
    "nav": "navigation", "qs": "question", "q": "question", "insta": "instagram", "ig": "instagram",
}  # fmt: skip
_FILLER = {
    "the", "a", "an", "my", "our", "your", "his", "her", "their", "its", "this", "that",
    "these", "those", "task", "tasks", "thing", "things", "stuff", "job", "item", "one",
    "of", "for", "to", "on", "in", "at", "and", "with", "from", "up", "out",
    "off", "all", "just", "already", "now", "finally", "whole", "bit", "card", "ticket",
    "todo", "please", "pls", "plz", "is", "are", "be", "it", "s",
}  # fmt: skip


def stem(word: str) -> str:
    """A crude, consistent stem: both sides of a comparison go through it, so it need
    not be a real word, only the same for "sending"/"send" and "forms"/"form"."""
    w = word.lower().strip("'’")
    w = _IRREGULAR.get(w, w)
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith(("sses", "ches", "shes", "xes", "zes")):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if len(w) > len(suffix) + 2 and w.endswith(suffix):
            w = w[: -len(suffix)]
            if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "lsz":  # "setting" → "set"
                w = w[:-1]
            break
    if len(w) > 3 and w.endswith("e"):  # "write"/"writing" → "writ"
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    """Lower-case word tokens; "sign-up" stays one token and also counts as its parts."""
    return re.findall(r"[a-z0-9]+(?:[-'][a-z0-9]+)*", text.lower().replace("’", "'"))


Term = tuple[str, str]  # (stem, word as typed, lower-cased)


def content_terms(text: str) -> list[Term]:
    """The words that carry meaning (no articles, no "task"), with their stems."""
    out: dict[str, str] = {}
    for token in words(text):
        token = re.sub(r"'s$", "", token)
        parts = [token, *token.split("-")] if "-" in token else [token]
        for part in parts:
            if part not in _FILLER and (s := stem(part)):
                out.setdefault(s, _IRREGULAR.get(part, part))
    return list(out.items())


def content_stems(text: str) -> list[str]:
    return [s for s, _ in content_terms(text)]


def fold(text: str) -> str:
    """Case, space and punctuation folded, for exact comparisons."""
    return " ".join(words(text))


@lru_cache(maxsize=1 << 16)
def _token_similarity(query: Term, target: Term) -> float:
    """1 for the same stem, a little less for a prefix as typed ("photo" of "photograph",
    but not "working" of "workshop"), a longer form ("migration") or a typo ("recruitmnet")."""
    if query[0] == target[0]:
        return 1.0
    if len(query[1]) >= max(3, len(target[1]) / 2) and target[1].startswith(query[1]):
        return 0.9  # a prefix of at least half the word: "photo", not "mark" of "marketing"
    if len(target[0]) >= 5 and query[0].startswith(target[0]):  # "reimbursement", "migration"
        return 0.85
    if min(len(query[0]), len(target[0])) >= 4 and query[0][0] == target[0][0]:
        score = fuzz.ratio(query[0], target[0]) / 100
        if len(query[1]) >= 5:  # two letters swapped ("drvie") are one slip, not two
            score = max(score, DamerauLevenshtein.normalized_similarity(query[1], target[1]))
        return score if score >= 0.8 else 0.0
    return 0.0


def _coverage(query: Sequence[Term], target: Sequence[Term]) -> tuple[float, float]:
    """(share of the query found in the target, share of the target the query names)."""
    if not query or not target:
        return 0.0, 0.0
    best = [max(_token_similarity(q, t) for t in target) for q in query]
    named = sum(1 for t in target if any(_token_similarity(q, t) >= 0.8 for q in query))
    return sum(best) / len(query), named / len(target)


# ---------------------------------------------------------------- ranking


def _pick(scored: list[tuple[float, int, T]], threshold: float, margin: float) -> tuple[T | None, list[T]]:
    """A unique winner, or the close runners-up (ties broken by `int`: lower first)."""
    good = sorted((s for s in scored if s[0] >= threshold), key=lambda s: (-s[0], s[1]))
    if not good:
        return None, []
    close = [s for s in good if good[0][0] - s[0] < margin]
    if len(close) == 1:
        return close[0][2], []
    return None, [s[2] for s in close[:MAX_CANDIDATES]]


def _suggest(text: str, names: Sequence[str], limit: int = 3, cutoff: float = 55) -> list[str]:
    """The closest names, for "did you mean …?"."""
    hits = process.extract(
        text.lower(), {n: n.lower() for n in names}, scorer=fuzz.WRatio, limit=limit,
        score_cutoff=cutoff,
    )  # fmt: skip
    return [key for _, _, key in hits]


# ---------------------------------------------------------------- people


def _mention_id(text: str) -> str | None:
    match = _MENTION.match(text.strip())
    return match.group(1) if match else None


def _person_keys(member: Member) -> tuple[tuple[str, int], ...]:
    """(folded key, tier): tier 0 identifies one person; 1 is a first name; 2 a last name."""
    return _keys(member.handle, member.name, member.notion_user_id, member.email or "")


@lru_cache(maxsize=1 << 12)
def _keys(handle: str, name: str, notion_user_id: str, email: str) -> tuple[tuple[str, int], ...]:
    """Every word of a message is tried as a person: the keys are folded once per member."""
    parts = name.split()
    keys = [
        (handle.lower(), 0),
        (name.lower(), 0),
        (notion_user_id.lower(), 0),
        (email.lower(), 0),
        (email.split("@")[0].lower(), 0),
        (parts[0].lower() if parts else "", 1),
        (parts[-1].lower() if len(parts) > 1 else "", 2),
    ]
    return tuple((k, tier) for k, tier in keys if k)


def resolve_person(
    text: str,
    members: Sequence[Member],
    requester: Member | None,
    platform: str = "terminal",
) -> Resolution[Member]:
    """A person by handle, name, first name, e-mail, Notion id, "me" or a chat mention.

    A first name two members share is ambiguous; a typo ("caorl") is forgiven when one
    member is clearly closest. `platform` decides which chat id a mention is tried
    against first.
    """
    raw = text.strip()
    key = re.sub(r"(?:'s|’s|')$", "", raw).strip().lstrip("@").lower()
    if key in SELF_WORDS:
        return Resolution(value=requester) if requester else Resolution()
    if (mentioned := _mention_id(raw)) is not None:
        return _by_chat_id(mentioned, members, platform)
    for tier in (0, 1, 2):
        hits = [m for m in members if (key, tier) in _person_keys(m)]
        if len(hits) == 1:
            return Resolution(value=hits[0])
        if len(hits) > 1:
            return Resolution(candidates=_requester_first(hits, requester)[:MAX_CANDIDATES])
    return _fuzzy_person(key, members, requester)


def _by_chat_id(chat_id: str, members: Sequence[Member], platform: str) -> Resolution[Member]:
    order = ("slack_id", "discord_id") if platform == "slack" else ("discord_id", "slack_id")
    for attr in order:
        for member in members:
            if getattr(member, attr) == chat_id:
                return Resolution(value=member)
    return Resolution()


def _requester_first(found: list[Member], requester: Member | None) -> list[Member]:
    mine = requester.notion_user_id if requester else None
    return sorted(found, key=lambda m: m.notion_user_id != mine)


def _fuzzy_person(key: str, members: Sequence[Member], requester: Member | None) -> Resolution[Member]:
    """Typos and prefixes ("caorl", "saman"): the best key per member, if clearly ahead."""
    if len(key) < 3:
        return Resolution(suggestions=[])
    scored: list[tuple[float, int, Member]] = []
    for i, member in enumerate(members):
        best = 0.0
        for k, tier in _person_keys(member):
            if (tier == 0 and "@" in k) or len(k) > 30:
                continue
            score = _typo_similarity(key, k)
            if len(key) >= 3 and k.startswith(key) and tier < 2:
                score = max(score, 0.86)
            best = max(best, score)
        scored.append((best, i, member))
    value, candidates = _pick(scored, threshold=0.75, margin=0.04)
    if value or candidates:
        return Resolution(value=value, candidates=candidates)
    names = [m.name for m in members] + [m.handle for m in members]
    suggestions = _suggest(key, names)
    return Resolution(suggestions=list(dict.fromkeys(_canonical_names(suggestions, members))))


def _typo_similarity(a: str, b: str) -> float:
    """Damerau-Levenshtein: a swapped pair of letters ("caorl") costs one edit, and a
    longer word is not "close" to a shorter one it merely contains ("marketing"/"martin")."""
    if abs(len(a) - len(b)) > 2:
        return 0.0
    return DamerauLevenshtein.normalized_similarity(a, b)


def _canonical_names(found: list[str], members: Sequence[Member]) -> list[str]:
    by_handle = {m.handle: m.name for m in members}
    return [by_handle.get(n, n) for n in found]


# ---------------------------------------------------------------- projects

_PROJECT_FILLER = {"project", "projects", "proj", "event", "events"}


@lru_cache(maxsize=1 << 12)
def _project_terms(text: str) -> tuple[Term, ...]:
    return tuple(t for t in content_terms(text) if t[0] not in _PROJECT_FILLER)


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def project_score(text: str, project_name: str) -> float:
    """How well `text` names the project: 1 for the name, high for "the website"."""
    if fold(text) == fold(project_name):
        return 1.0
    query = _project_terms(text)
    if not query:
        return 0.0
    covered, named = _coverage(query, _project_terms(project_name))
    compact_q, compact_p = _compact(" ".join(w for _, w in query)), _compact(project_name)
    if len(compact_q) >= 4 and compact_p.startswith(compact_q):  # "oweek" → "O-Week 2026"
        covered = max(covered, 0.95)
    return 0.85 * covered + 0.15 * named


def resolve_project(text: str, projects: Sequence[Project]) -> Resolution[Project]:
    """A project by name, part of its name ("the website", "hackathon") or a typo."""
    scored = [(project_score(text, p.name), i, p) for i, p in enumerate(projects)]
    exact = [p for s, _, p in scored if s == 1.0]
    if len(exact) == 1:
        return Resolution(value=exact[0])
    value, candidates = _pick(scored, threshold=0.75, margin=0.08)
    if value or candidates:
        return Resolution(value=value, candidates=candidates)
    return Resolution(suggestions=_suggest(text, [p.name for p in projects]))


# ---------------------------------------------------------------- tasks

TASK_THRESHOLD = 0.62
TASK_MARGIN = 0.1


def _best(query: Term, terms: list[Term]) -> float:
    return max((_token_similarity(query, t) for t in terms), default=0.0)


def task_score(
    query: list[Term], task: Task, project_terms: dict[str, Sequence[Term]] | None = None
) -> float:
    """Mostly how much of what was said the title explains; how much of the title was
    said only breaks near-ties.

    A word found only in the description counts half; the task's own project name
    counts ("the hackathon catering order"); another project's name counts against
    ("the hackathon run sheet" is not the Industry Night one).
    """
    project_terms = project_terms or {}
    title = _title_terms(task.title)
    extra = content_terms(task.description) if task.description else []
    own = [t for pid in task.project_ids for t in project_terms.get(pid, [])]
    others = [t for pid, terms in project_terms.items() if pid not in task.project_ids
              for t in terms]  # fmt: skip
    total = 0.0
    for q in query:
        found = max(_best(q, title), 0.9 * _best(q, own), 0.5 * _best(q, extra))
        if found == 0.0 and _best(q, others) >= 0.9:
            found = -0.5
        total += found
    _, named = _coverage(query, title)
    return total / len(query) + 0.1 * named


@lru_cache(maxsize=1 << 16)
def _title_terms(title: str) -> list[Term]:
    """A title's terms, worked out once: every request naming a task scores every title
    (do not change the list returned: it is shared)."""
    return content_terms(title)


# Above this many tasks, only a shortlist is scored in full (issue #19: a request naming a task
# on a board of 3,500 spent 200 ms scoring every title, 3.7 s at 35,000).
SHORTLIST_ABOVE = 300
SHORTLIST = 60


class _Titles:
    """Every title's terms by term, worked out once per task list (the index hands out the same
    list until something changes). Every word that can resemble a query word starts with the
    same letter (`_token_similarity`), so a query word is compared with that letter's words
    only, and a task is shortlisted by how much of the query its title explains (the main part
    of `task_score`), the requester's own first on a tie. A task whose title shares no word
    with the query can only win on its project's name or its description: on a board this big
    such a phrase names too many tasks to pick one anyway."""

    def __init__(self, tasks: Sequence[Task]) -> None:
        self.tasks = tasks
        self.exact: dict[str, list[Task]] = {}
        self.by_letter: dict[str, dict[Term, list[int]]] = {}
        for i, task in enumerate(tasks):
            self.exact.setdefault(fold(task.title), []).append(task)
            for term in _title_terms(task.title):
                self.by_letter.setdefault(term[0][:1], {}).setdefault(term, []).append(i)

    def shortlist(self, query: list[Term], mine: str | None) -> list[Task]:
        total: dict[int, float] = {}
        for q in query:
            best: dict[int, float] = {}
            for term, posting in self.by_letter.get(q[0][:1], {}).items():
                if weight := _token_similarity(q, term):
                    for i in posting:
                        if weight > best.get(i, 0.0):
                            best[i] = weight
            for i, weight in best.items():
                total[i] = total.get(i, 0.0) + weight
        ranked = sorted(total, key=lambda i: (-total[i], mine not in self.tasks[i].assignee_ids))
        return [self.tasks[i] for i in ranked[:SHORTLIST]]


_kept_titles: list[_Titles] = []


def _titles(tasks: Sequence[Task]) -> _Titles:
    if not _kept_titles or _kept_titles[0].tasks is not tasks:
        _kept_titles[:] = [_Titles(tasks)]
    return _kept_titles[0]


INACTIVE_STATUSES = {"Done", "Archive"}


def _finished_penalty(task: Task) -> float:
    """People talk about live work: a finished task loses a near-tie to an open one."""
    return 0.15 if task.status in INACTIVE_STATUSES else 0.0


def resolve_task(
    text: str,
    tasks: Sequence[Task],
    requester: Member | None,
    projects: Sequence[Project] = (),
    members: Sequence[Member] = (),
) -> Resolution[Task]:
    """The task a statement refers to ("sending out the recruitment forms").

    An exact title always wins. Otherwise every task is scored on its words (stemmed,
    filler dropped, typos forgiven; `projects`, when given, let a project's name help);
    when the best two are close the answer is the candidates, the requester's own
    first, never a guess.
    """
    big = len(tasks) > SHORTLIST_ABOVE
    titles = _titles(tasks) if big else None
    folded = fold(text)
    exact = titles.exact.get(folded, []) if titles else [t for t in tasks if fold(t.title) == folded]
    if len(exact) == 1:
        return Resolution(value=exact[0])
    owned = _owned(text, tasks, requester, members)
    if owned is not None:
        text, tasks = owned
        exact = [t for t in tasks if fold(t.title) == fold(text)]
        if len(exact) == 1:
            return Resolution(value=exact[0])
    query = content_terms(text)
    if not query:
        return Resolution()
    mine = requester.notion_user_id if requester else None
    by_project = {p.id: _project_terms(p.name) for p in projects}
    pool = exact or (titles.shortlist(query, mine) if titles else tasks)
    scored = [
        (task_score(query, t, by_project) - _finished_penalty(t), 0 if mine in t.assignee_ids else 1, t)
        for t in pool
    ]
    value, candidates = _pick(scored, threshold=TASK_THRESHOLD, margin=TASK_MARGIN)
    if value is None and mine:  # of two that fit, the requester's own is the one they mean
        theirs = [t for t in candidates if mine in t.assignee_ids]
        if len(theirs) == 1:
            value, candidates = theirs[0], []
    if value is None and not candidates:
        related = [t for score, _, t in scored if score >= SEMANTIC_MIN_WORDS]
        value, candidates = _semantic_fallback(text, related)
    if value or candidates:
        return Resolution(value=value, candidates=candidates)
    return Resolution(suggestions=_suggest(text, [t.title for t in tasks]))


# An owner the planner has resolved: "<@notion:ID>'s slides" (see core/lexicon.py, `possessive`).
OWNER_TAG = re.compile(r"^<@notion:(?P<id>[^>]+)>(?:'s)?\s+(?P<rest>.+)$")


def owner_tag(notion_user_id: str, rest: str) -> str:
    """A task phrase narrowed to one person's tasks, for `resolve_task`."""
    return f"<@notion:{notion_user_id}>'s {rest}"


def _owned(
    text: str, tasks: Sequence[Task], requester: Member | None, members: Sequence[Member] = ()
) -> tuple[str, list[Task]] | None:
    """"my slides", "Grace's invoices one": (the rest, that person's tasks), when they have any.
    A name needs `members` to be told apart (or the planner's owner tag, `owner_tag`)."""
    from core.lexicon import possessive

    tagged = OWNER_TAG.match(text.strip())
    if tagged:
        owner_id, rest = tagged.group("id"), tagged.group("rest")
    else:
        found = possessive(text)
        if found is None:
            return None
        if found[0] != "me":
            owner = resolve_person(found[0], members, requester).value if members else None
            if owner is None:  # a name nobody resolved: at least not part of the title
                return found[1], list(tasks)
            theirs = [t for t in tasks if owner.notion_user_id in t.assignee_ids]
            return (found[1], theirs) if theirs else (found[1], list(tasks))
        if requester is None:
            return None
        owner_id, rest = requester.notion_user_id, found[1]
    theirs = [t for t in tasks if owner_id in t.assignee_ids]
    return (rest, theirs) if theirs else (rest, list(tasks))


# ---------------------------------------------------------------- embeddings

# Embeddings only rescue a phrase that shares some words with a title and whose
# meaning is clearly closest to it; below these they guessed wrong more than right.
SEMANTIC_THRESHOLD = 0.7
SEMANTIC_MARGIN = 0.1
SEMANTIC_MIN_WORDS = 0.3


@lru_cache(maxsize=1)
def _embedder() -> Any:
    """wordllama's static embeddings ship inside the wheel: load them once, never download."""
    try:
        from pathlib import Path

        import wordllama
        from wordllama import WordLlama

        return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    except Exception:  # pragma: no cover - the package is optional at run time
        return None


def _semantic_fallback(text: str, tasks: Sequence[Task]) -> tuple[Task | None, list[Task]]:
    """When too few words match, a clear semantic winner among `tasks`, or nothing.

    Candidates are never offered from here: a weak guess is worse than asking."""
    model = _embedder()
    if model is None or not tasks:
        return None, []
    query = " ".join(w for w in words(text) if w not in _FILLER)
    if not query:
        return None, []
    scored = [(float(model.similarity(query, t.title)), i, t) for i, t in enumerate(tasks)]
    value, _ = _pick(scored, threshold=SEMANTIC_THRESHOLD, margin=SEMANTIC_MARGIN)
    return value, []


__all__ = [
    "MAX_CANDIDATES",
    "SELF_WORDS",
    "Resolution",
    "content_stems",
    "content_terms",
    "fold",
    "owner_tag",
    "project_score",
    "resolve_person",
    "resolve_project",
    "resolve_task",
    "stem",
]
