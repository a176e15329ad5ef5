"""Wall-clock times in a person's timezone.

A reminder fires at the local time the person chose, whatever daylight saving does: the
instant is computed from the local date and time each time (never by adding 24 hours to
yesterday's instant), so Melbourne's April and October changes move the UTC time, not the
local one. A local time that does not exist (02:30 on the night clocks jump) lands just after
the jump; one that exists twice (the night they fall back) is the first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_hm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def at_local(day: date, hm: str, tz: ZoneInfo) -> datetime:
    """The instant (UTC) of `hm` on `day` in `tz`."""
    local = datetime.combine(day, parse_hm(hm)).replace(tzinfo=tz, fold=0)
    return local.astimezone(UTC)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def quiet_until(moment: datetime, start: str | None, end: str | None, tz: ZoneInfo) -> datetime | None:
    """The end of the quiet hours `moment` falls in (UTC), or None when it is not in them."""
    if not (start and end) or start == end:
        return None
    local = moment.astimezone(tz)
    begins, ends = parse_hm(start), parse_hm(end)
    now = local.time()
    day = local.date()
    if begins < ends:  # e.g. 13:00–14:00, within one day
        inside = begins <= now < ends
        return at_local(day, end, tz) if inside else None
    if now >= begins:  # e.g. 22:00–08:00, and it is late evening
        return at_local(day + timedelta(days=1), end, tz)
    if now < ends:  # early morning
        return at_local(day, end, tz)
    return None


def outside_quiet(moment: datetime, start: str | None, end: str | None, tz: ZoneInfo) -> datetime:
    """`moment`, or the end of the quiet hours it falls in."""
    return quiet_until(moment, start, end, tz) or moment
