"""Is this event an interview? A pure function of the event and `[detect]`, with its reason.

Order: hard skips first (cancelled, declined), then the user's own private marker, then
event types and all-day events, then exclusion words (they win over keywords), then the
rules that recognise an interview, and last "is there anyone else there at all?".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from afterword.daemon.config import DetectConfig, RecipientsConfig
from afterword.daemon.interviews import addresses
from afterword.daemon.interviews.html_text import html_to_text
from afterword.daemon.interviews.reading import InviteReading, read, someone_else
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
    # Words in scripts written without spaces (面接, 面试, 인터뷰) stand inside longer runs
    # of letters ("一次面接"), so they match anywhere.
    def alternative(word: str) -> str:
        return r"[\s\-–—]+".join(re.escape(part) for part in word.split())
    spaced = "|".join(alternative(w) for w in words if w.strip() and not _UNSPACED.search(w))
    unspaced = "|".join(alternative(w) for w in words if w.strip() and _UNSPACED.search(w))
    parts = ([rf"(?<!\w)(?:{spaced})s?(?!\w)"] if spaced else []) + \
        ([f"(?:{unspaced})"] if unspaced else [])
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


# Kana, CJK ideographs and Hangul: scripts that do not separate words with spaces.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@lru_cache(maxsize=16)
def _hashtags(tags: tuple[str, ...]) -> re.Pattern[str] | None:
    alternatives = "|".join(re.escape(t) for t in tags if t.strip("# "))
    if not alternatives:
        return None
    return re.compile(rf"(?<![\w#])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def decide(event: CalendarEvent, rules: DetectConfig,
           my_emails: tuple[str, ...] | list[str] = (),
           recipients: RecipientsConfig | None = None,
           reading: InviteReading | None = None) -> Decision:
    """Decide whether `event` is an interview; the reason names the rule or the skip.

    `reading` is the invite read once (made from `my_emails` and `recipients` when not
    given, and only once a rule matched: most events of a calendar never need it).
    """
    return decide_and_read(event, rules, my_emails, recipients, reading)[0]


def decide_and_read(event: CalendarEvent, rules: DetectConfig,
                    my_emails: tuple[str, ...] | list[str] = (),
                    recipients: RecipientsConfig | None = None,
                    reading: InviteReading | None = None,
                    ) -> tuple[Decision, InviteReading | None]:
    """`decide`, and the reading it made or was given (None: it needed none)."""
    held = [reading] if reading is not None else []

    def invite() -> InviteReading:
        if not held:
            held.append(read(event, recipients or RecipientsConfig(), my_emails))
        return held[0]

    decision = _decide(event, rules, my_emails, reading, invite)
    return decision, (held[0] if held else None)


def _decide(event: CalendarEvent, rules: DetectConfig, my_emails: tuple[str, ...] | list[str],
            reading: InviteReading | None, invite: Callable[[], InviteReading]) -> Decision:
    if event.status is EventStatus.CANCELLED:
        return Decision(False, "skipped: the event is cancelled", "cancelled")

    if _declined(event, addresses.my_addresses(my_emails) if reading is None
                 else reading.mine):
        return Decision(False, "skipped: you declined it", "declined")
    marker = _marker(event, rules)
    if marker is False:
        return Decision(False, f"skipped: marked not an interview (private property "
                               f"{rules.private_property!r})", "property_no")
    if marker is True:
        return _with_people(invite(), Decision(
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
    matched = _match(event, rules, reading)
    if matched is None:
        return Decision(False, "not an interview: no keyword, pattern, hashtag, category or "
                               "colour matched", "no_match")
    return _with_people(invite(), matched)


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


def _match(event: CalendarEvent, rules: DetectConfig,
           reading: InviteReading | None) -> Decision | None:
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
        tag = tags.search(reading.text if reading else html_to_text(event.description))
        if tag:
            return Decision(True, f"description hashtag {tag.group(0).lower()!r}", "hashtag")
    wanted = {c.casefold() for c in rules.categories}
    for category in event.categories:
        if category.casefold() in wanted:
            return Decision(True, f"category {category!r}", "category")
    if event.color_id and event.color_id in rules.google_colors:
        return Decision(True, f"Google colour {event.color_id}", "color")
    return None


def _with_people(reading: InviteReading, decision: Decision) -> Decision:
    """An interview needs someone else: a guest, a hidden guest list, or a named panel.

    A shared recruiting mailbox or a CUTYPE=GROUP list counts (people are behind it: names
    needed); rooms, bots, schedulers, calendars and no-reply addresses do not.
    """
    if reading.event.attendees_hidden or someone_else(reading):
        return decision
    return Decision(False, f"skipped: no one else is invited ({decision.reason} matched)",
                    "no_one_else")
