"""Is this event an interview? A pure function of the event and `[detect]`, with its reason.

Order: hard skips first (cancelled, declined), then the user's own private marker, then
event types and all-day events, then exclusion words (they win over keywords), then the
rules that recognise an interview, and last "is there anyone else there at all?".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from afterword.daemon.config import DetectConfig, RecipientsConfig
from afterword.daemon.interviews import addresses, description
from afterword.daemon.model import CalendarEvent, EventStatus, Response

_YES = {"1", "true", "yes", "y", "on", "interview"}
_NO = {"0", "false", "no", "n", "off", "skip", "ignore", "not-interview", "none"}


@dataclass(frozen=True)
class Decision:
    """The verdict on one event and the rule that decided it."""

    is_interview: bool
    reason: str
    rule: str = ""  # machine-readable: keyword, pattern, hashtag, category, color, property,
    #                 or the skip: cancelled, declined, event_type, all_day, excluded,
    #                 no_match, no_one_else, property_no, dates (out of range)


@lru_cache(maxsize=64)
def _phrase(words: tuple[str, ...]) -> re.Pattern[str] | None:
    # Word-bounded and case-insensitive: "interview" must not match "interviewer"; a
    # plural is allowed ("interviews"). Inner spaces match any run of spaces or dashes.
    alternatives = "|".join(
        r"[\s\-–—]+".join(re.escape(part) for part in w.split()) for w in words if w.strip())
    if not alternatives:
        return None
    return re.compile(rf"(?<!\w)(?:{alternatives})s?(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=16)
def _hashtags(tags: tuple[str, ...]) -> re.Pattern[str] | None:
    alternatives = "|".join(re.escape(t) for t in tags if t.strip("# "))
    if not alternatives:
        return None
    return re.compile(rf"(?<![\w#])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def decide(event: CalendarEvent, rules: DetectConfig,
           my_emails: tuple[str, ...] | list[str] = (),
           recipients: RecipientsConfig | None = None) -> Decision:
    """Decide whether `event` is an interview; the reason names the rule or the skip.

    `my_emails` and `recipients` (for its group/no-reply list) tell who else is there.
    """
    mine = addresses.my_addresses(my_emails)
    groups = (recipients or RecipientsConfig()).group_addresses
    if event.status is EventStatus.CANCELLED:
        return Decision(False, "skipped: the event is cancelled", "cancelled")
    if _declined(event, mine):
        return Decision(False, "skipped: you declined it", "declined")
    marker = _marker(event, rules)
    if marker is False:
        return Decision(False, f"skipped: marked not an interview (private property "
                               f"{rules.private_property!r})", "property_no")
    if marker is True:
        return _with_people(event, mine, groups, Decision(
            True, f"private property {rules.private_property!r}", "property"))
    if event.event_type in rules.skip_event_types:
        return Decision(False, f"skipped: a {event.event_type} event, not a meeting",
                        "event_type")
    if event.all_day and not rules.all_day:
        return Decision(False, "skipped: an all-day event (set detect.all_day = true to "
                               "include)", "all_day")
    excluded = _phrase(rules.exclude)
    hit = excluded.search(event.title) if excluded else None
    if hit:
        return Decision(False, f"skipped: the title contains the exclusion "
                               f"{hit.group(0).lower()!r}", "excluded")
    matched = _match(event, rules)
    if matched is None:
        return Decision(False, "not an interview: no keyword, pattern, hashtag, category or "
                               "colour matched", "no_match")
    return _with_people(event, mine, groups, matched)


def _declined(event: CalendarEvent, mine: frozenset[str]) -> bool:
    if event.my_response is Response.DECLINED:
        return True
    return any(a.response is Response.DECLINED and addresses.is_me(a, mine)
               for a in event.attendees)


def _marker(event: CalendarEvent, rules: DetectConfig) -> bool | None:
    """The user's private property: True (interview), False (never), None (not set)."""
    if not rules.private_property:
        return None
    wanted = rules.private_property.casefold()
    for key, value in event.private_properties.items():
        if key.casefold() == wanted:
            text = str(value).strip().casefold()
            if text in _YES:
                return True
            if text in _NO:
                return False
    return None


def _match(event: CalendarEvent, rules: DetectConfig) -> Decision | None:
    keywords = _phrase(rules.keywords)
    hit = keywords.search(event.title) if keywords else None
    if hit:
        return Decision(True, f"title keyword {hit.group(0).lower()!r}", "keyword")
    for pattern in rules.patterns:
        try:
            if re.search(pattern, event.title, re.IGNORECASE):
                return Decision(True, f"title pattern {pattern!r}", "pattern")
        except re.error:
            continue  # validated in the config; a bad one never stops a cycle
    tags = _hashtags(rules.hashtags)
    if tags and event.description:
        tag = tags.search(description.html_to_text(event.description))
        if tag:
            return Decision(True, f"description hashtag {tag.group(0).lower()!r}", "hashtag")
    wanted = {c.casefold() for c in rules.categories}
    for category in event.categories:
        if category.casefold() in wanted:
            return Decision(True, f"category {category!r}", "category")
    if event.color_id and event.color_id in rules.google_colors:
        return Decision(True, f"Google colour {event.color_id}", "color")
    return None


def _with_people(event: CalendarEvent, mine: frozenset[str], groups: tuple[str, ...],
                 decision: Decision) -> Decision:
    """An interview needs someone else: a guest, a hidden guest list, or a named panel.

    A shared recruiting mailbox or a CUTYPE=GROUP list counts (people are behind it: names
    needed); rooms, group addresses and robots do not.
    """
    if event.attendees_hidden:
        return decision
    others = [a for a in (*event.attendees, *((event.organizer,) if event.organizer else ()))
              if not addresses.is_me(a, mine) and not addresses.is_room(a)
              and (a.email or a.name) and not _robot(a.email or "", groups)]
    if others or description.parse(event.description).people:
        return decision
    return Decision(False, f"skipped: no one else is invited ({decision.reason} matched)",
                    "no_one_else")


def _robot(email: str, groups: tuple[str, ...]) -> bool:
    return bool(email) and (addresses.is_calendar_address(email)
                            or addresses.local_matches(email, groups, suffix=True) is not None)
