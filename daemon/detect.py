"""Is this event an interview? A pure function of the event and `[detect]`, with its reason."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from afterword.daemon.config import DetectConfig
from afterword.daemon.model import CalendarEvent, EventStatus, Response

_NOT_MEETINGS = {"focusTime", "outOfOffice", "workingLocation", "birthday"}


@dataclass(frozen=True)
class Decision:
    """The verdict on one event and the rule that decided it."""

    is_interview: bool
    reason: str


@lru_cache(maxsize=64)
def _phrase(words: tuple[str, ...]) -> re.Pattern[str] | None:
    # Word-bounded and case-insensitive: "interview" must not match "interviewer".
    if not words:
        return None
    alternatives = "|".join(re.escape(w.strip()) for w in words if w.strip())
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if alternatives else None


def decide(event: CalendarEvent, rules: DetectConfig) -> Decision:
    """Decide whether `event` is an interview; the reason names the rule or the skip."""
    if event.status is EventStatus.CANCELLED:
        return Decision(False, "skipped: the event is cancelled")
    if event.my_response is Response.DECLINED:
        return Decision(False, "skipped: you declined it")
    if event.event_type in _NOT_MEETINGS:
        return Decision(False, f"skipped: a {event.event_type} event, not a meeting")
    if event.all_day and not rules.all_day:
        return Decision(False, "skipped: an all-day event (set detect.all_day = true to include)")
    excluded = _phrase(rules.exclude)
    hit = excluded.search(event.title) if excluded else None
    if hit:
        return Decision(False, f"skipped: the title contains the exclusion {hit.group(0)!r}")
    matched = _match(event, rules)
    if matched is None:
        return Decision(False, "not an interview: no keyword, pattern or category matched")
    return Decision(True, matched)


def _match(event: CalendarEvent, rules: DetectConfig) -> str | None:
    keywords = _phrase(rules.keywords)
    hit = keywords.search(event.title) if keywords else None
    if hit:
        return f"title keyword {hit.group(0).lower()!r}"
    for pattern in rules.patterns:
        if re.search(pattern, event.title, re.IGNORECASE):
            return f"title pattern {pattern!r}"
    wanted = {c.casefold() for c in rules.categories}
    for category in event.categories:
        if category.casefold() in wanted:
            return f"category {category!r}"
    if event.color_id and event.color_id in rules.google_colors:
        return f"Google colour {event.color_id}"
    return None
