"""Notification settings said in chat: narrow, so nothing else is taken for one."""

from __future__ import annotations

import pytest

from core.notify.phrases import SHOW, Unclear, parse


@pytest.mark.parametrize(
    ("said", "meaning"),
    [
        ("remind me at 8:30", {"morning": "08:30"}),
        ("Remind me at 7pm.", {"morning": "19:00"}),
        ("quiet hours 10pm–8am", {"quiet_start": "22:00", "quiet_end": "08:00"}),
        ("quiet hours from 22:00 to 07:30", {"quiet_start": "22:00", "quiet_end": "07:30"}),
        ("no more reminders", {"reminders": False}),
        ("no more assignment messages", {"assigned": False}),
        ("turn on the morning digest", {"digest": True}),
        ("remind me 2 days before", {"days_before": 2}),
        ("my timezone is Europe/London", {"timezone": "Europe/London"}),
        ("what do you send me?", SHOW),
        (
            "digest Hackathon 2026 weekly on Monday 9am here",
            {"channel_digest": {"project": "hackathon 2026", "weekday": 0, "at": "09:00"}},
        ),
        ("no more digest for Hackathon 2026 here", {"digest_off": {"project": "hackathon 2026"}}),
    ],
)
def test_what_a_sentence_sets(said: str, meaning: object) -> None:
    assert parse(said) == meaning


@pytest.mark.parametrize(
    "said", ["show me my tasks", "remind Bob to send the forms", "assign quiet hours poster to Bob", "done"]
)
def test_anything_else_goes_on_to_the_planner(said: str) -> None:
    assert parse(said) is None


def test_a_value_that_cant_be_used_is_said_so() -> None:
    with pytest.raises(Unclear, match="25:00 isn't a time of day"):
        parse("remind me at 25:00")
    with pytest.raises(Unclear, match="I don't know the timezone Mars/Olympus"):
        parse("my timezone is Mars/Olympus")
