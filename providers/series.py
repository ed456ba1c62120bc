"""Repeating events that would make more interviews than a person can attend.

A stranger's 287-byte invite with `RRULE:FREQ=MINUTELY` once drafted 10,050 notes to one
person in 51 s, and `FREQ=SECONDLY` grew the daemon to 6 GB. Nobody has more than a few
interviews a day in one series, so a series with more than `MAX_PER_DAY` occurrences on
one day is skipped whole, with one warning, however its occurrences arrive: counted as
they come (Google and Graph expand series on the server), or, for .ics files, read from
the rule before anything is expanded.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

MAX_PER_DAY = 3  # occurrences of one series on one day


@dataclass(frozen=True)
class SkippedSeries:
    """A series that is never planned: its id, its title (for status) and why."""

    series_id: str
    title: str
    reason: str

    def warning(self) -> str:
        """The one line logged and shown when the series is first skipped."""
        title = " ".join(self.title.split())[:80]
        return (f"skipped the repeating event {title!r} (series {self.series_id[:60]}): "
                f"{self.reason}; no notes are drafted for it")


class SeriesGuard:
    """Counts each series' occurrences per day as they arrive; past MAX_PER_DAY on any
    day the series is skipped whole (`skipped`), and its later occurrences are refused
    without being kept, so memory stays flat whatever the series holds."""

    def __init__(self, zone: tzinfo, known: Iterable[str] = ()) -> None:
        self.zone = zone
        self.known = set(known)  # skipped before: refused silently
        self.skipped: dict[str, SkippedSeries] = {}
        self._days: Counter[tuple[str, date]] = Counter()

    def admit(self, series_id: str, start: datetime, title: str) -> bool:
        """Whether this occurrence may be kept (events that do not repeat always may)."""
        if not series_id:
            return True
        if series_id in self.skipped or series_id in self.known:
            return False
        day = start.astimezone(self.zone).date()
        self._days[(series_id, day)] += 1
        if self._days[(series_id, day)] > MAX_PER_DAY:
            self.skipped[series_id] = SkippedSeries(
                series_id, title, f"more than {MAX_PER_DAY} occurrences on {day.isoformat()}")
            return False
        return True

    def refused(self, series_id: str) -> bool:
        """Whether occurrences admitted earlier must be dropped after all."""
        return bool(series_id) and (series_id in self.skipped or series_id in self.known)


# The smallest unit each FREQ steps by, in seconds, and the per-day default of each
# BYxxx list a rule leaves out (RFC 5545 3.3.10: a missing BYHOUR in a sub-daily rule
# means every hour; in a daily or longer one, the hour of DTSTART).
_STEP = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600}


def rule_per_day(rule: Any) -> int:
    """The most occurrences an RRULE (icalendar's vRecur, a dict of lists) can have on
    one day, worked out from the rule alone, before anything is expanded."""
    def values(name: str) -> list[Any]:
        found = rule.get(name) or []
        return list(found) if isinstance(found, list | tuple) else [found]

    freq = str((values("FREQ") or ["DAILY"])[0]).upper()
    try:
        interval = max(1, int((values("INTERVAL") or [1])[0]))
    except (TypeError, ValueError):
        interval = 1
    sub_daily = freq in _STEP
    hours = len(values("BYHOUR")) or (24 if sub_daily else 1)
    minutes = len(values("BYMINUTE")) or (60 if freq in ("SECONDLY", "MINUTELY") else 1)
    seconds = len(values("BYSECOND")) or (60 if freq == "SECONDLY" else 1)
    most = hours * minutes * seconds
    if sub_daily:
        # The rule's own rhythm bounds it too: FREQ=HOURLY;INTERVAL=8 is 3 a day.
        per_unit = {"SECONDLY": 1, "MINUTELY": seconds, "HOURLY": minutes * seconds}[freq]
        most = min(most, math.ceil(86400 / (_STEP[freq] * interval)) * per_unit)
    return most


def runaway_blocks(blocks: Iterable[Any]) -> dict[str, SkippedSeries]:
    """UID → why, for each .ics VEVENT block (its unfolded text lines) whose RRULEs allow
    more than MAX_PER_DAY occurrences on one day; nothing is parsed beyond those lines."""
    found: dict[str, SkippedSeries] = {}
    for block in blocks:
        most, title = 0, ""
        for line in block.lines:
            name, _, value = line.partition(":")
            name = name.split(";")[0].upper()
            if name == "SUMMARY":
                title = value
            elif name == "RRULE":
                rule = {k.upper(): v.split(",") for k, _, v in
                        (part.partition("=") for part in value.split(";"))}
                most += rule_per_day(rule)
        if most > MAX_PER_DAY:
            found[block.uid] = SkippedSeries(block.uid, title,
                                             f"its rule repeats it up to {most} times a day")
    return found
