"""How people say where a piece of work stands, and whose it is: one place for both planners
and the resolver.

- `status_option("sorted")` → "Done": a status word or phrase as an option name;
- `statement_status("can't go further with the merch order till the supplier replies")`
  → ("Blocked", span of the cue): the status a *statement* reports, and where its cue sits,
  so what is left names the task;
- `possessive("Grace's invoices one")` → ("Grace", "invoices one"): whose task a phrase names
  ("my slides" → "me").

Pure functions over text, no workspace: callers decide what the names mean.
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------- status words

# A status as a word or short phrase (a list filter, "mark X as <word>", "X is <word>").
STATUS_WORDS: list[tuple[str, str]] = [
    (r"ready (?:for|to) (?:be )?review(?:ed)?|(?:up )?for review|to review|in review|"
     r"under review|needs? (?:a )?review(?:ing)?|review", "To Review"),
    (r"not started|not yet started|to[- ]?do|re-?opened|re-?open|unstarted|backlog",
     "Not Started"),
    (r"in[- ]?progress|started|underway|under way|ongoing|wip|doing|being worked on",
     "In Progress"),
    (r"blocked|stuck|on hold|waiting", "Blocked"),
    (r"(?:done|complete|completed|finished|finish|sorted|closed|resolved|ticked off|all good|"
     r"good to go|taken care of|handled|dealt with|wrapped up|dusted|done and dusted)(?: already)?", "Done"),
    (r"archived?|shelved|binned|deleted", "Archive"),
]  # fmt: skip
STATUS_ALT = "|".join(p for p, _ in STATUS_WORDS)


def status_option(word: str) -> str | None:
    """The Notion status option a status word means ("sorted" → Done)."""
    w = re.sub(r"\s+", " ", word.lower().strip(" .!?"))
    for pattern, option in STATUS_WORDS:
        if re.fullmatch(pattern, w):
            return option
    return None


# ---------------------------------------------------------------- statements

# What a statement says about a task, most specific first: "moving again" is In Progress
# though it holds no "start", "can't go further" is Blocked though it holds "go".
# Each cue is a phrase; the task is what the rest of the clause names.
_AGAIN = (
    r"(?:is |are |'s )?(?:(?:moving|going|rolling|underway|progressing) again|back on track|unblocked|"
    r"unstuck|un-?paused)(?= |$|[,.!])|(?:working on|back on|picking up|picked up|started on|on) "
    r"(?:it |them |that )?again|back (?:in|to) progress|resumed|resuming|unblocked"
)
# Participles that say nothing about being finished ("is assigned", "was delayed").
_NOT_DONE = (r"(?:assign|need|requir|delay|postpon|schedul|plann|expect|suppos|call|nam|relat|bas|link|"
             r"list|due|start|block|stall|paus|cancel|mov|push|chang|updat|add|creat|ask|want|worri|"
             r"concern|interest|stuck|excit|tir|bor|overwhelm|confus)ed\b")
STATEMENT_CUES: list[tuple[str, str]] = [
    (_AGAIN, "In Progress"),
    (r"(?:can'?t|cannot|can not|couldn'?t|unable to|(?:am |are |is )?not able to) (?:go|get|move|do|progress|"
     r"continue|finish|"
     r"proceed)(?: any)?(?: further| more| forward| on| anything)?(?: with| on)?|"
     r"(?:is |are |'s |'re |am |i'm |we're )?(?:stuck|blocked|held up|on hold|stalled|paused)"
     r"(?: on| with| by)?|waiting (?:on|for)|(?:till|until|til) (?:\w+ )*?(?:repl(?:y|ies)|"
     r"answers?|responds?|gets? back|comes? back|confirms?|sends?)\b|no progress",
     "Blocked"),
    (r"(?:is |are |'s |'re )?(?:ready|up|good) for (?:a )?(?:review|check|look|someone to (?:check|"
     r"look over|review))|(?:is |are |'s |'re )?ready to be (?:reviewed|checked)|(?:submitted|sent|"
     r"handed in)(?: .+?)? for review|needs? (?:a )?(?:review|check(?:ing)?|look(?:ing)? over)|"
     r"(?:is |are )?(?:in|under|awaiting) review|(?:can|could) (?:someone|somebody|you) "
     r"(?:check|review|look over)|(?:can|could) (?:be|get) (?:checked|reviewed|looked (?:at|over))",
     "To Review"),
    (r"(?:made|making) (?:a )?start (?:on|with)|(?:have |'ve |i )?(?:just )?(?:started|begun|"
     r"began|kicked off)(?: on| with| working on)?|(?:am |'m |are |'re |i'm |we're )?(?:now )?"
     r"(?:working on|on it|underway|in progress|under way|getting (?:going|started) on)|"
     r"still (?:working|going|doing)(?: on)?(?: (?:it|them|that))?|"
     r"(?:is |are )?(?:in progress|underway|under way|ongoing)", "In Progress"),
    (r"(?:is |are |'s |'re |has been |have been |was |were )?(?:all |now |finally |officially |"
     r"totally )*(?:done(?: and dusted)?|finished|complete(?:d)?|sorted(?: out)?|wrapped up|"
     r"sent(?: off| out)?|booked|paid|submitted|nailed|handled|taken care of|dealt with|"
     r"ticked off|in the bag|locked in|confirmed|organised|organized|arranged|"
     r"gone out|went out|out the door|delivered|printed|recruited|ordered|"
     r"published|posted|fixed|uploaded|signed)(?= |$|[,.!])|(?:i've |i have |we've |i |we )"
     r"(?:just |finally |already )*(?:done|finished|completed|wrapped up|sorted(?: out)?|"
     r"knocked out|got through|smashed|nailed)|(?:i am |i'm |i have |i've |we are |we have |is |are |"
     r"(?:has|have) been |already |i |we )(?:already |now |all |just )*finish(?= |$|[,.!])|"
     r"(?:is|are|'s|'re) (?:now |all |finally )*(?:live|up|out|"
     r"all set|a go|good to go|in the bag|locked in|over the line)(?= *[,.!]|$)|"
     rf"(?:is|are|'s|'re|has been|have been|was|were) (?:all |now |finally )*(?!{_NOT_DONE})[a-z]+ed"
     rf"(?: and (?!{_NOT_DONE})[a-z]+ed)*(?= *[,.!]|$)", "Done"),
]  # fmt: skip
_STATEMENT_RES = [(re.compile(rf"(?<![\w'-])(?:{p})(?![\w-])", re.I), option) for p, option in STATEMENT_CUES]


def statement_status(text: str) -> tuple[str, tuple[int, int]] | None:
    """The status a statement reports and the span of its cue, or None.

    The first kind of cue (in the order above) found anywhere wins, so "unblocked now,
    working on it again" is In Progress, not Blocked."""
    for pattern, option in _STATEMENT_RES:
        m = pattern.search(text)
        if m:
            return option, m.span()
    return None


# ---------------------------------------------------------------- whose

_MY = re.compile(r"^(?:the\s+)?(?:my|mine|our)\s+(?P<rest>.+)$", re.I)
_OWNERS = re.compile(
    r"^(?:the\s+)?(?P<who><@[!&]?[A-Za-z0-9]+(?:\|[^>]*)?>|[A-Za-z][\w.-]*(?:\s+[A-Z][\w-]*)?)"
    r"\s*(?:'s|’s|s')\s+(?P<rest>.+)$"
)
NOT_OWNERS = {"what", "that", "it", "there", "here", "who", "where", "how", "let", "everyone",
              "everybody", "anyone", "anybody", "someone", "team", "club", "today", "tomorrow",
              "week", "month", "he", "she", "one", "nobody", "when", "why", "this", "year",
              "night", "day"}  # fmt: skip


def possessive(phrase: str) -> tuple[str, str] | None:
    """("me" or the owner's name as typed, the rest) when a task phrase says whose it is:
    "my slides" → ("me", "slides"), "Grace's invoices one" → ("Grace", "invoices one")."""
    p = phrase.strip()
    if m := _MY.match(p):
        return "me", m.group("rest")
    m = _OWNERS.match(p)
    if m and m.group("who").lower() not in NOT_OWNERS:
        return m.group("who"), m.group("rest")
    return None


__all__ = ["STATEMENT_CUES", "STATUS_ALT", "STATUS_WORDS", "possessive", "statement_status", "status_option"]
