"""Notification settings said in chat: "remind me at 8:30", "quiet hours 10pm-8am", "no more
reminders", "what do you send me?". Deterministic and narrow on purpose: a sentence that is not
clearly about notifications goes on to the planner untouched."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SHOW = "show"
TIME = r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?"
DASH = r"\s*(?:-|–|—|to|until|till)\s*"
DAYS = ("mon", "tues", "wednes", "thurs", "fri", "satur", "sun")
RULES: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(
            r"^(?:/darcy )?(?:set up |set |post |send )?(?:a |the )?(?:weekly )?digest (?:for |of )?(.+?) "
            rf"(?:weekly|every week) on ({'|'.join(DAYS)})(?:day)?s? (?:at )?{TIME} here$"
        ),
        "channel_digest",
    ),
    (
        re.compile(r"^(?:/darcy )?(?:no more|stop(?: the)?) (?:weekly )?digest (?:for |of )(.+?) here$"),
        "digest_off",
    ),
    (re.compile(r"^what (?:do|will|would) you send me\??$|^(?:my )?notification settings\??$"), SHOW),
    (re.compile(rf"^(?:please )?remind me (?:at|around) {TIME}$"), "morning"),
    (re.compile(rf"^quiet hours?(?: from)? {TIME}{DASH}{TIME}$"), "quiet"),
    (re.compile(r"^no (?:more )?quiet hours$"), {"quiet_start": None, "quiet_end": None}),
    (re.compile(r"^remind me (\d{1,2}) days? before$"), "days_before"),
    (re.compile(r"^remind me on the (?:due )?day$"), {"days_before": 0}),
    (re.compile(r"^(?:no more|stop(?: the| my)?|turn off(?: the| my)?) reminders$"), {"reminders": False}),
    (
        re.compile(r"^(?:turn on(?: the| my)?|start(?: the| my)?) reminders$|^remind me again$"),
        {"reminders": True},
    ),
    (
        re.compile(r"^(?:no more|stop(?: the| my)?|turn off(?: the| my)?) assignment messages$"),
        {"assigned": False},
    ),
    (re.compile(r"^(?:turn on|send me)(?: the| my)? assignment messages$"), {"assigned": True}),
    (
        re.compile(r"^(?:no more|stop(?: the| my)?|turn off(?: the| my)?) (?:morning )?digests?$"),
        {"digest": False},
    ),
    (re.compile(r"^(?:turn on|start|send me)(?: a| the| my)? (?:morning )?digest$"), {"digest": True}),
    (re.compile(r"^(?:my )?time ?zone is ([A-Za-z_]+/[A-Za-z_/+-]+)$", re.I), "timezone"),
]


class Unclear(ValueError):
    """About notifications, but not a value Darcy can use; the message says why."""


def clock(hours: str, minutes: str | None, half: str | None) -> str:
    h, m = int(hours), int(minutes or 0)
    if half == "pm" and h < 12:
        h += 12
    elif half == "am" and h == 12:
        h = 0
    if not (0 <= h < 24 and 0 <= m < 60):
        raise Unclear(f"{hours}:{minutes or '00'} isn't a time of day")
    return f"{h:02d}:{m:02d}"


def parse(text: str) -> dict[str, Any] | str | None:
    """The settings a sentence changes, SHOW, or None when it is not about notifications.
    Raises Unclear for a sentence about them with a value that can't be used."""
    said = re.sub(r"\s+", " ", text.strip().rstrip(".!")).casefold()
    for pattern, meaning in RULES:
        match = pattern.match(said)
        if match is None:
            continue
        if meaning == "channel_digest":
            project, weekday, *at = match.groups()
            return {"channel_digest": {"project": project, "weekday": DAYS.index(weekday), "at": clock(*at)}}
        if meaning == "digest_off":
            return {"digest_off": {"project": match.group(1)}}
        if meaning == "morning":
            return {"morning": clock(*match.groups())}
        if meaning == "quiet":
            groups = match.groups()
            return {"quiet_start": clock(*groups[:3]), "quiet_end": clock(*groups[3:])}
        if meaning == "days_before":
            return {"days_before": min(int(match.group(1)), 14)}
        if meaning == "timezone":
            zone = re.search(r"is (\S+)$", text.strip().rstrip(".!"), re.I).group(1)  # type: ignore[union-attr]
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise Unclear(f"I don't know the timezone {zone}; try one like Australia/Melbourne") from exc
            return {"timezone": zone}
        return meaning
    return None
