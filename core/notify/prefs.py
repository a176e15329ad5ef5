"""A person's notification settings: the admin config's defaults, with their own choices over them.

The choices are stored in the database as a small dict of only what the person changed, so a
default changed later by the admin still reaches everyone who never touched that setting.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from core.config import NotificationSettings

# What a person may change for themselves (the rest is the admin's).
PERSONAL = (
    "timezone",
    "morning",
    "quiet_start",
    "quiet_end",
    "assigned",
    "reminders",
    "digest",
    "days_before",
)


class Prefs(BaseModel):
    timezone: str
    morning: str = "08:00"
    quiet_start: str | None = None
    quiet_end: str | None = None
    assigned: bool = True
    reminders: bool = True
    digest: bool = False
    days_before: int = 1

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def effective(cls, defaults: NotificationSettings, timezone: str, own: dict[str, Any] | None) -> Prefs:
        base: dict[str, Any] = {key: getattr(defaults, key) for key in PERSONAL if key != "timezone"}
        base["timezone"] = timezone
        base.update({k: v for k, v in (own or {}).items() if k in PERSONAL})
        return cls(**base)

    def describe(self) -> list[str]:
        """The settings in words, for "what do you send me?" and `darcy settings`."""
        quiet = f"{self.quiet_start}–{self.quiet_end}" if self.quiet_start and self.quiet_end else "none"
        before = "on the due day" if self.days_before == 0 else f"{self.days_before} day(s) before"
        return [
            f"assignment messages: {'on' if self.assigned else 'off'}",
            f"due reminders: {'on' if self.reminders else 'off'} ({before}, at {self.morning}) "
            "and one nudge when overdue",
            f"morning digest: {'on' if self.digest else 'off'}",
            f"quiet hours: {quiet}",
            f"timezone: {self.timezone}",
        ]
