"""Date words as club members type them, resolved against "now" in the workspace timezone.

The semantics are the evaluation's (../shared/eval/README.md): a bare weekday is the
next such day *after* today, "next <weekday>" is that day in next week, weeks run
Monday to Sunday, numeric dates are day-first. Libraries disagree with some of
these (dateparser's "next Friday" is this Friday), so the common words are handled
here by rule and the libraries only see what the rules do not know.

Phrases are *extracted* before they are parsed: `search_dates` over a whole
sentence turns "the march budget" into a date.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from rapidfuzz import fuzz, process

Range = tuple[date | None, date | None]

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY_ABBR = {
    "mon": 0, "tue": 1, "tues": 1, "wed": 2, "weds": 2, "thu": 3, "thur": 3, "thurs": 3,
    "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip
MONTHS = [
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december",
]  # fmt: skip
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
_TOMORROW = r"tomorrow|tmrw|tmrow|tmr|tmw|tomoz|tomorow|tommorow|tommorrow|2moro|2morrow|2mrw"
_TODAY = r"today|tonight|tdy|2day|tday"

_WD = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
# Short forms ("sat", "sun", "wed") are English words too: only after a cue word.
_WD_SHORT = r"mon|tues?|weds?|thu(?:rs?)?|fri|sat|sun"
_MON = r"january|february|march|april|may|june|july|august|september|october|november|december"
_MON_SHORT = r"jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec"
_MONTH = rf"(?:{_MON}|{_MON_SHORT})\.?"
_ORD = r"(?:st|nd|rd|th)?"
_CUES = ["by", "on", "due", "next", "this", "coming", "until", "till", "til", "before", "after",
         "from", "to", "for", "since", "thru"]  # fmt: skip
_AFTER_CUE = "(?:" + "|".join(rf"(?<=\b{cue}\s)" for cue in _CUES) + ")"  # fixed-width each
_NUM = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten)"
_WORD_NUM = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip

_PHRASES = [
    r"\d{4}-\d{1,2}-\d{1,2}",
    r"\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?",
    rf"\d{{1,2}}{_ORD}(?:\s+of)?\s+{_MONTH}(?:,?\s+\d{{4}})?",
    rf"{_MONTH}\s+\d{{1,2}}{_ORD}(?:,?\s+\d{{4}})?",
    rf"(?:the\s+)?day\s+after\s+(?:{_TOMORROW})",
    rf"{_TOMORROW}|{_TODAY}|yesterday",
    r"end\s+of\s+(?:the\s+|this\s+|next\s+)?(?:week|month)|eo[wm]",
    r"(?:this|next|the\s+coming|coming)\s+(?:week(?:end)?|month)",
    rf"(?:in\s+)?(?:the\s+)?next\s+{_NUM}\s+(?:days?|weeks?)",
    rf"in\s+{_NUM}\s+(?:days?|weeks?|fortnights?)|in\s+a\s+fortnight",
    rf"{_NUM}\s+(?:days?|weeks?)\s+from\s+(?:now|today)|a\s+week\s+(?:from\s+)?today",
    rf"(?:(?:this|next|coming|the\s+coming)\s+)?(?:{_WD})(?:\s+(?:next|this)\s+week|\s+week\b)?",
    rf"{_AFTER_CUE}(?:{_WD_SHORT})\b\.?",
    rf"(?:next|this|coming)\s+(?:{_WD_SHORT})\b\.?",
    r"(?:on\s+)?the\s+\d{1,2}(?:st|nd|rd|th)",
]
_PHRASE_RE = re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in _PHRASES) + r")(?![\w/])", re.I)


# ---------------------------------------------------------------- extraction


def _fix_typos(text: str) -> tuple[str, list[tuple[int, int, int]]]:
    """Correct misspelt weekday and month names ("firday", "novmber").

    Returns the fixed text and, for each word replaced, (fixed start, fixed end,
    length change so far) so spans can be mapped back to the text as typed.
    """
    out: list[str] = []
    edits: list[tuple[int, int, int]] = []
    last, shift = 0, 0
    for m in re.finditer(r"[A-Za-z]{5,}", text):
        fixed = _typo_word(m.group(0))
        if fixed is None:
            continue
        out.append(text[last : m.start()])
        start = m.start() + shift
        shift += len(fixed) - len(m.group(0))
        edits.append((start, start + len(fixed), shift))
        out.append(fixed)
        last = m.end()
    out.append(text[last:])
    return "".join(out), edits


def _original_index(pos: int, edits: list[tuple[int, int, int]]) -> int:
    """Map a word-boundary position in the fixed text back to the text as typed."""
    shift = 0
    for start, end, total in edits:
        if pos < end:
            return pos - shift if pos <= start else pos - total
        shift = total
    return pos - shift


@lru_cache(maxsize=4096)
def _typo_word(word: str) -> str | None:
    low = word.lower()
    names = WEEKDAYS + MONTHS
    if low in names:
        return None
    hit = process.extractOne(low, names, scorer=fuzz.ratio, score_cutoff=80)
    if hit and hit[0][0] == low[0] and abs(len(hit[0]) - len(low)) <= 2:
        return hit[0]
    return None


def find_date_phrase(text: str) -> tuple[str, tuple[int, int]] | None:
    """The first date phrase in `text` and its span, or None.

    Misspelt weekday/month names are recognised; the returned phrase is the text as
    typed (resolve_date fixes the spelling again).
    """
    fixed, edits = _fix_typos(text)
    match = _PHRASE_RE.search(fixed)
    if not match:
        return None
    start, end = _original_index(match.start(), edits), _original_index(match.end(), edits)
    return text[start:end], (start, end)


# ---------------------------------------------------------------- single dates


def _after_today(today: date, weekday: int) -> date:
    """The next `weekday` strictly after today ("Friday" said on a Friday is next week's)."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _monday(today: date) -> date:
    return today - timedelta(days=today.weekday())


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _weekday_index(word: str) -> int | None:
    word = word.lower().rstrip(".")
    if word in WEEKDAYS:
        return WEEKDAYS.index(word)
    return _WEEKDAY_ABBR.get(word)


def _month_index(word: str) -> int | None:
    word = word.lower().rstrip(".")
    if word in MONTHS:
        return MONTHS.index(word) + 1
    return _MONTH_ABBR.get(word)


class _Invalid(Exception):
    """A phrase that names a day that does not exist ("31 February")."""


class DateTooFar(ValueError):
    """A phrase naming a day beyond the calendar ("in 5000000 days"): a clear error, never a crash."""

    def __init__(self, phrase: str, span: tuple[int, int] = (0, 0)) -> None:
        super().__init__(phrase)
        self.phrase, self.span = phrase, span


def _make(year: int | None, month: int, day: int, today: date) -> date:
    """A calendar date; without a year, this year's unless that is long past (then next year's)."""
    if year is not None and year < 100:
        year += 2000
    try:
        if year is not None:
            return date(year, month, day)
        found = date(today.year, month, day)
    except ValueError as e:
        raise _Invalid from e
    if found < today - timedelta(days=90):
        try:
            return date(today.year + 1, month, day)
        except ValueError:  # 29 February
            return found
    return found


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _WORD_NUM[word.lower()]


def _rule_date(phrase: str, today: date) -> date | None:
    """The rules for the words people use most; None when no rule applies."""
    p = re.sub(r"\s+", " ", phrase.lower().strip(" ,.!?")).removeprefix("on ")
    p = re.sub(r"^(?:(?:by|due|before|until|till|til|for)\s+)+", "", p)
    rules = (_rule_numeric, _rule_named_month, _rule_relative, _rule_weekday, _rule_period)
    for rule in rules:
        found = rule(p, today)
        if found is not None:
            return found
    return None


def _rule_numeric(p: str, today: date) -> date | None:
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", p):
        return _make(int(m[1]), int(m[2]), int(m[3]), today)
    if m := re.fullmatch(r"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?", p):  # day first
        return _make(int(m[3]) if m[3] else None, int(m[2]), int(m[1]), today)
    if m := re.fullmatch(r"(?:the )?(\d{1,2})(?:st|nd|rd|th)", p):
        day = int(m[1])
        try:
            found = today.replace(day=day)
        except ValueError as e:
            raise _Invalid from e
        return found if found >= today else _make(None, _next_month(today).month, day, today)
    return None


def _rule_named_month(p: str, today: date) -> date | None:
    m = re.fullmatch(rf"(\d{{1,2}}){_ORD}(?: of)? ([a-z]+)\.?(?:,? (\d{{4}}))?", p)
    if m and (month := _month_index(m[2])):
        return _make(int(m[3]) if m[3] else None, month, int(m[1]), today)
    m = re.fullmatch(rf"([a-z]+)\.? (\d{{1,2}}){_ORD}(?:,? (\d{{4}}))?", p)
    if m and (month := _month_index(m[1])):
        return _make(int(m[3]) if m[3] else None, month, int(m[2]), today)
    return None


def _rule_relative(p: str, today: date) -> date | None:
    if re.fullmatch(rf"(?:the )?day after (?:{_TOMORROW})", p):
        return today + timedelta(days=2)
    if re.fullmatch(_TOMORROW, p):
        return today + timedelta(days=1)
    if re.fullmatch(_TODAY, p):
        return today
    if p == "yesterday":
        return today - timedelta(days=1)
    if p == "in a fortnight":
        return today + timedelta(days=14)
    m = re.fullmatch(rf"(?:in )?({_NUM}) (day|week|fortnight)s?(?: from (?:now|today))?", p)
    if m and (p.startswith("in ") or "from" in p):
        days = {"day": 1, "week": 7, "fortnight": 14}[m[2]]
        return today + timedelta(days=_number(m[1]) * days)
    if p in ("a week today", "a week from today"):
        return today + timedelta(days=7)
    return None


def _rule_weekday(p: str, today: date) -> date | None:
    m = re.fullmatch(
        r"(?:(this|next|coming|the coming) )?(?:coming )?([a-z]+)\.?(?: (next|this) week| (week))?", p
    )
    if not m or (wd := _weekday_index(m[2])) is None:
        return None
    if m[4]:  # "Friday week": a week after the coming Friday
        return _after_today(today, wd) + timedelta(days=7)
    if m[1] == "next" or m[3] == "next":  # that day in next week
        return _monday(today) + timedelta(days=7 + wd)
    if (m[1] == "this" or m[3] == "this") and wd >= today.weekday():
        return _monday(today) + timedelta(days=wd)
    return _after_today(today, wd)


def _rule_period(p: str, today: date) -> date | None:
    """A period named as one day: its end ("end of the month") or its start ("next week")."""
    if re.fullmatch(r"end of (?:the |this )?month|eom|this month", p):
        return _month_end(today)
    if p == "end of next month":
        return _month_end(_next_month(today))
    if re.fullmatch(r"end of (?:the |this )?week|eow|this week", p):
        return _monday(today) + timedelta(days=6)
    if p == "end of next week":
        return _monday(today) + timedelta(days=13)
    if p in ("next week", "the coming week", "coming week"):
        return _monday(today) + timedelta(days=7)
    if p in ("this weekend", "the weekend", "weekend"):
        return _monday(today) + timedelta(days=5)
    if p in ("next month", "the coming month"):
        return _next_month(today)
    return None


@lru_cache(maxsize=1)
def _calendar():  # parsedatetime builds its tables once
    import parsedatetime

    return parsedatetime.Calendar(version=parsedatetime.VERSION_CONTEXT_STYLE)


def _library_date(phrase: str, now: datetime) -> date | None:
    """dateparser first, parsedatetime second, for phrases no rule knows."""
    import dateparser

    settings = {
        "PREFER_DATES_FROM": "future",
        "DATE_ORDER": "DMY",
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "STRICT_PARSING": False,
    }
    if now.tzinfo is not None and hasattr(now.tzinfo, "key"):
        settings["TIMEZONE"] = now.tzinfo.key  # type: ignore[attr-defined]
    found = dateparser.parse(phrase, languages=["en"], settings=settings)
    if found is not None:
        return found.date()
    parsed, context = _calendar().parseDT(phrase, sourceTime=now.replace(tzinfo=None))
    return parsed.date() if context.hasDate else None


def resolve_date(phrase: str, now: datetime) -> date | None:
    """The day `phrase` names, relative to `now` (aware, in the workspace timezone).

    None when it names no day or an impossible one ("31 February"); DateTooFar when it names
    one past the calendar's end.
    """
    try:
        return _resolve_date(phrase, now)
    except (OverflowError, ValueError) as exc:
        raise DateTooFar(phrase) from exc


def _resolve_date(phrase: str, now: datetime) -> date | None:
    if not phrase or not phrase.strip():
        return None
    fixed, _ = _fix_typos(phrase)
    try:
        found = _rule_date(fixed, now.date())
    except _Invalid:
        return None
    if found is not None:
        return found
    return _library_date(fixed, now) if _only_date_words(fixed) else None


_DATE_VOCAB = {
    "a", "an", "the", "in", "on", "at", "by", "of", "from", "now", "today", "tomorrow",
    "yesterday", "next", "last", "this", "coming", "after", "before", "ago", "day", "days",
    "week", "weeks", "month", "months", "year", "years", "fortnight", "fortnights", "weekend",
    "end", "start", "beginning", "mid", "and", "due", "until", "till", "noon", "midnight",
    "morning", "evening", "night",
    *WEEKDAYS, *MONTHS, *_WEEKDAY_ABBR, *_MONTH_ABBR, *_WORD_NUM,
}  # fmt: skip


def _only_date_words(phrase: str) -> bool:
    """Libraries find a date in anything ("the march budget"): only let them see phrases
    made of date words and numbers."""
    tokens = re.findall(r"[a-z]+|\d+", phrase.lower())
    ordinals = {"st", "nd", "rd", "th"}
    return bool(tokens) and all(t.isdigit() or t in _DATE_VOCAB or t in ordinals for t in tokens)


# ---------------------------------------------------------------- ranges

_OVERDUE = r"overdue|over\s*due|past\s+due|past\s+(?:the|their)\s+due\s+dates?|late|behind"
_RANGE_PHRASES = [
    rf"(?P<overdue>{_OVERDUE})",
    rf"(?P<within>(?:in\s+|within\s+|over\s+)?(?:the\s+)?(?:next|coming)\s+{_NUM}\s+(?:days?|weeks?))",
    r"(?P<within1>within\s+(?:a|one|the)\s+week|in\s+the\s+next\s+week)",
    r"(?P<period>(?:this|next|the\s+coming|coming)\s+(?:week(?:end)?|month))",
]
_RANGE_RE = re.compile(r"\b(?:" + "|".join(_RANGE_PHRASES) + r")\b", re.I)
_BOUND_RE = re.compile(
    r"\b(?P<word>by|before|until|till|til|no\s+later\s+than|after|from|since|starting|on|for)"
    r"\s+(?:the\s+)?$",
    re.I,
)


def resolve_range(phrase: str, now: datetime) -> Range | None:
    """(due_after, due_before), both inclusive, for a phrase about when things are due.

    "overdue" is everything due before today; "this week" ends on Sunday; "by X" is up to
    and including X; a single day is that day alone. None when `phrase` names no time;
    DateTooFar past the calendar's end.
    """
    try:
        return _resolve_range(phrase, now)
    except (OverflowError, ValueError) as exc:
        raise DateTooFar(phrase) from exc


def _resolve_range(phrase: str, now: datetime) -> Range | None:
    p = re.sub(r"\s+", " ", phrase.lower().strip(" ,.!?"))
    p = re.sub(r"^(?:due|are due|is due)\s+", "", p)
    today = now.date()
    monday = _monday(today)
    if re.fullmatch(_OVERDUE, p):
        return None, today - timedelta(days=1)
    periods: dict[str, Range] = {
        "this week": (None, monday + timedelta(days=6)),
        "next week": (monday + timedelta(days=7), monday + timedelta(days=13)),
        "the coming week": (monday + timedelta(days=7), monday + timedelta(days=13)),
        "coming week": (monday + timedelta(days=7), monday + timedelta(days=13)),
        "this weekend": (monday + timedelta(days=5), monday + timedelta(days=6)),
        "this month": (None, _month_end(today)),
        "next month": (_next_month(today), _month_end(_next_month(today))),
    }
    if p in periods:
        return periods[p]
    if m := re.fullmatch(rf"(?:in |within |over )?(?:the )?(?:next|coming) ({_NUM}) (day|week)s?", p):
        return today, today + timedelta(days=_number(m[1]) * (7 if m[2] == "week" else 1) - 1)
    if re.fullmatch(r"within (?:a|one|the) week|in the next week", p):
        return today, today + timedelta(days=6)
    if m := re.fullmatch(r"between (.+?) and (.+)", p):
        return _ordered(resolve_date(m[1], now), resolve_date(m[2], now), m[2])
    return _bounded_range(p, now)


def _ordered(after: date | None, before: date | None, second: str) -> Range:
    """'between Monday and Friday' said on a Wednesday: Friday is the one after that Monday."""
    if after and before and before < after and re.search(rf"\b(?:{_WD}|{_WD_SHORT})\b", second, re.I):
        while before < after:
            before += timedelta(days=7)
    return after, before


def _bounded_range(p: str, now: datetime) -> Range | None:
    """'by Friday', 'after 1 December', 'end of the month', or one day."""
    m = re.fullmatch(
        r"(by|before|until|till|til|no later than|after|from|since|starting|on|for)"
        r" (?:the )?(.+)",
        p,
    )
    word, rest = (m[1], m[2]) if m else ("", p)
    if re.fullmatch(r"(?:the )?end of (?:the |this )?(?:month|week)|eo[mw]", rest):
        word = word or "by"
    day = resolve_date(rest, now)
    if day is None:
        return None
    if word in ("by", "before", "until", "till", "til", "no later than"):
        return None, day
    if word in ("after", "from", "since", "starting"):
        return day, None
    return day, day


_BETWEEN_RE = re.compile(
    r"\b(?:between|from)\s+(?P<a>.+?)\s+(?:and|to|until|till|til|through|thru|-)\s+(?P<b>.+?)"
    r"(?=$|[,?!.;]|\s+(?:in|for|on|that|which)\b)",
    re.I,
)


def find_range(text: str, now: datetime) -> tuple[str, tuple[int, int], Range] | None:
    """The first phrase in `text` that bounds due dates, its span and its range.

    The span includes a bound word before a date ("by 1 December"), so a caller can cut
    the whole phrase out of the sentence.
    """
    for between in _BETWEEN_RE.finditer(text):  # "between the 20th and the 30th", "from mon to fri"
        first, second = find_date_phrase(between.group("a")), find_date_phrase(between.group("b"))
        if first and second:
            after, before = resolve_date(first[0], now), resolve_date(second[0], now)
            if after and before:
                return between.group(0), between.span(), _ordered(after, before, second[0])
    named = _RANGE_RE.search(text)
    dated = find_date_phrase(text)
    if dated and (not named or dated[1][0] < named.start()):
        phrase, (start, end) = dated
        if re.fullmatch(r"(?:this|next|coming|the coming) (?:week(?:end)?|month)", phrase.lower()):
            named = _RANGE_RE.search(text, start)
        else:
            bound = _BOUND_RE.search(text[:start])
            if bound:
                start = bound.start()
            found = _range_at(text[start:end], (start, end), now)
            return (text[start:end], (start, end), found) if found else None
    if named:
        phrase = named.group(0)
        found = _range_at(phrase, named.span(), now)
        return (phrase, named.span(), found) if found else None
    return None


def _range_at(phrase: str, span: tuple[int, int], now: datetime) -> Range | None:
    try:
        return resolve_range(phrase, now)
    except DateTooFar as exc:
        raise DateTooFar(phrase, span) from exc


__all__ = ["DateTooFar", "find_date_phrase", "find_range", "resolve_date", "resolve_range"]
