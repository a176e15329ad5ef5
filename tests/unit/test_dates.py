"""Date words with the evaluation's semantics: now is Wed 2026-11-18 10:00 Melbourne."""

from __future__ import annotations

from datetime import date

import pytest
from fixtures import now

from core.dates import find_date_phrase, find_range, resolve_date, resolve_range

NOW = now()


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("today", date(2026, 11, 18)),
        ("tomorrow", date(2026, 11, 19)),
        ("tmrw", date(2026, 11, 19)),
        ("tmr", date(2026, 11, 19)),
        ("day after tomorrow", date(2026, 11, 20)),
        ("friday week", date(2026, 11, 27)),  # a week after the coming Friday
        ("monday week", date(2026, 11, 30)),
        # a bare weekday is the next such day after today
        ("Friday", date(2026, 11, 20)),
        ("fri", date(2026, 11, 20)),
        ("Monday", date(2026, 11, 23)),
        ("Tuesday", date(2026, 11, 24)),
        ("Wednesday", date(2026, 11, 25)),
        ("wed", date(2026, 11, 25)),
        ("firday", date(2026, 11, 20)),
        # "next <weekday>" is that day in next week
        ("next Friday", date(2026, 11, 27)),
        ("next Monday", date(2026, 11, 23)),
        ("next wed", date(2026, 11, 25)),
        ("this friday", date(2026, 11, 20)),
        ("tuesday next week", date(2026, 11, 24)),
        ("by fri", date(2026, 11, 20)),
        ("end of the month", date(2026, 11, 30)),
        ("end of month", date(2026, 11, 30)),
        ("eom", date(2026, 11, 30)),
        ("end of the week", date(2026, 11, 22)),
        ("next week", date(2026, 11, 23)),
        ("this week", date(2026, 11, 22)),
        # day-first numerics and named months
        ("27/11", date(2026, 11, 27)),
        ("4/12", date(2026, 12, 4)),
        ("1/12/2026", date(2026, 12, 1)),
        ("27.11", date(2026, 11, 27)),
        ("2026-12-01", date(2026, 12, 1)),
        ("25 November", date(2026, 11, 25)),
        ("1 December", date(2026, 12, 1)),
        ("4 December", date(2026, 12, 4)),
        ("4th of December", date(2026, 12, 4)),
        ("Dec 4th", date(2026, 12, 4)),
        ("11 Dec", date(2026, 12, 11)),
        ("the 25th", date(2026, 11, 25)),
        ("the 5th", date(2026, 12, 5)),
        ("5 Jan", date(2027, 1, 5)),
        ("in 3 days", date(2026, 11, 21)),
        ("in two weeks", date(2026, 12, 2)),
    ],
)
def test_resolve_date(phrase: str, expected: date) -> None:
    assert resolve_date(phrase, NOW) == expected


@pytest.mark.parametrize("phrase", ["31 February", "30 Feb", "31/02", "32/1", "", "banana"])
def test_impossible_or_no_dates(phrase: str) -> None:
    assert resolve_date(phrase, NOW) is None


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("overdue", (None, date(2026, 11, 17))),
        ("today", (date(2026, 11, 18), date(2026, 11, 18))),
        ("tomorrow", (date(2026, 11, 19), date(2026, 11, 19))),
        ("this week", (None, date(2026, 11, 22))),
        ("next week", (date(2026, 11, 23), date(2026, 11, 29))),
        ("by 1 December", (None, date(2026, 12, 1))),
        ("by fri", (None, date(2026, 11, 20))),
        ("by the end of the month", (None, date(2026, 11, 30))),
        ("end of the month", (None, date(2026, 11, 30))),
        ("after friday", (date(2026, 11, 20), None)),
        ("on 27/11", (date(2026, 11, 27), date(2026, 11, 27))),
        ("next month", (date(2026, 12, 1), date(2026, 12, 31))),
        ("next 7 days", (date(2026, 11, 18), date(2026, 11, 24))),
    ],
)
def test_resolve_range(phrase: str, expected: tuple) -> None:
    assert resolve_range(phrase, NOW) == expected


def test_range_words_that_are_not_times() -> None:
    assert resolve_range("the march budget", NOW) is None


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("assign X to bob due by Friday in Marketing", "Friday"),
        ("push the catering order to next Friday", "next Friday"),
        ("whats due tmrw", "tmrw"),
        ("due by fri pls", "fri"),
        ("new task due 27/11 in marketing", "27/11"),
        ("due wendsday", "wendsday"),  # a typo keeps its span as typed
        ("create Write deployment guide, due 4 December", "4 December"),
    ],
)
def test_find_date_phrase(text: str, phrase: str) -> None:
    found = find_date_phrase(text)
    assert found is not None
    assert found[0] == phrase
    start, end = found[1]
    assert text[start:end] == phrase


@pytest.mark.parametrize(
    "text",
    [
        "the march budget",  # a month name without a day is no date
        "Schedule December newsletter",
        "Sent to 240 people so far",
        "I sat on it",  # short weekday forms need a cue word
        "Fix mobile navigation bug",
    ],
)
def test_no_date_phrase(text: str) -> None:
    assert find_date_phrase(text) is None


def test_find_range_includes_bound_word() -> None:
    found = find_range("which tasks are due by 1 December?", NOW)
    assert found is not None
    phrase, _, bounds = found
    assert phrase == "by 1 December"
    assert bounds == (None, date(2026, 12, 1))


def test_find_range_overdue_and_weeks() -> None:
    assert find_range("show Tom's overdue tasks", NOW)[2] == (None, date(2026, 11, 17))  # type: ignore[index]
    assert find_range("due next week?", NOW)[2] == (date(2026, 11, 23), date(2026, 11, 29))  # type: ignore[index]
    assert find_range("what's in review right now", NOW) is None


def test_a_range_between_two_dates() -> None:
    from core.dates import find_range

    found = find_range("what's due between the 20th and the 30th?", NOW)
    assert found is not None and found[2] == (date(2026, 11, 20), date(2026, 11, 30))
    found = find_range("tasks due from monday to friday week", NOW)
    assert found is not None and found[2] == (date(2026, 11, 23), date(2026, 11, 27))
