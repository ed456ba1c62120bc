"""Who interviewed me: attendees → interviewers, each kept or dropped with a reason."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nameparser import HumanName

from afterword.daemon.config import RecipientsConfig
from afterword.daemon.model import (
    Attendee,
    CalendarEvent,
    Interview,
    Interviewer,
    InterviewStatus,
    Response,
)

# Shared mailboxes that never interviewed anyone (issue 3 makes these configurable).
_GENERIC_LOCALS = {"recruiting", "recruiter", "recruitment", "careers", "talent", "jobs", "hr",
                   "hiring", "noreply", "no-reply", "donotreply", "calendar", "notifications"}
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")


@dataclass(frozen=True)
class Verdict:
    """One attendee and whether they get a note, with the reason."""

    attendee: Attendee
    recipient: bool
    reason: str


@dataclass(frozen=True)
class Extraction:
    """The interviewers of an event and the verdict on every attendee."""

    interviewers: tuple[Interviewer, ...]
    verdicts: tuple[Verdict, ...]
    status: InterviewStatus
    company: str = ""
    role: str = ""


def normalise_address(address: str) -> str:
    """Lower-case, with plus-addressing removed: alex+jobs@x.com → alex@x.com."""
    local, _, domain = address.strip().lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def extract(
    event: CalendarEvent,
    rules: RecipientsConfig,
    my_emails: tuple[str, ...],
    manual: list[tuple[str, str]] | None = None,
) -> Extraction:
    """Interviewers of `event`: attendees minus yourself, rooms, declined; plus manual ones."""
    mine = {normalise_address(e) for e in my_emails}
    verdicts: list[Verdict] = []
    seen: set[str] = set()
    people: list[Interviewer] = []
    everyone = list(event.attendees)
    organizer = event.organizer
    if organizer and organizer.email and all(a.email != organizer.email for a in everyone):
        everyone.append(organizer)
    for attendee in everyone:
        reason = _drop_reason(attendee, rules, mine)
        if reason is None and attendee.email and attendee.email.lower() in seen:
            reason = "listed twice"
        verdicts.append(Verdict(attendee, reason is None, reason or "interviewer"))
        if reason is None and attendee.email:
            seen.add(attendee.email.lower())
            people.append(interviewer_from(attendee.name, attendee.email))
    for email, name in manual or ():
        if email.lower() not in seen:
            seen.add(email.lower())
            people.append(interviewer_from(name, email, source="manual"))
    status = InterviewStatus.READY
    if not people:
        status = InterviewStatus.NAMES_NEEDED
    elif len(people) > rules.max_per_interview:
        status = InterviewStatus.TOO_MANY
    return Extraction(tuple(people), tuple(verdicts), status)


def _drop_reason(attendee: Attendee, rules: RecipientsConfig, mine: set[str]) -> str | None:
    email = (attendee.email or "").lower()
    if attendee.is_self or (email and normalise_address(email) in mine):
        return "you"
    if attendee.is_resource:
        return "a room or resource"
    if not email:
        return "no email address"
    if not _EMAIL.match(email):
        return "not a valid email address"
    if attendee.response is Response.DECLINED:
        return "declined"
    if email.split("@", 1)[0].split("+", 1)[0] in _GENERIC_LOCALS:
        return "a shared or no-reply mailbox"
    if email.rsplit("@", 1)[1] in rules.exclude_domains:
        return "excluded domain"
    if attendee.is_organizer and not rules.include_organizer:
        return "the organizer (recipients.include_organizer = false)"
    return None


def interviewer_from(name: str | None, email: str, source: str = "attendee") -> Interviewer:
    """An Interviewer with a parsed name; guessed from the address when there is none."""
    needs_check = False
    if not name or "@" in name:
        name = _name_from_address(email)
        needs_check = True
    parsed = HumanName(name)
    first = parsed.first.strip()
    last = parsed.last.strip()
    if first.isupper() or first.islower():
        first = first.title()
    if last.isupper() or last.islower():
        last = last.title()
    middle = parsed.middle.strip()
    if middle.isupper() or middle.islower():
        middle = middle.title()
    display = " ".join(p for p in (first, middle, last) if p) or name.strip()
    return Interviewer(
        name=display,
        email=email.lower(),
        first_name=first,
        last_name=last,
        title=parsed.title.strip(),
        needs_check=needs_check,
        source=source,
    )


def _name_from_address(email: str) -> str:
    local = email.split("@", 1)[0].split("+", 1)[0]
    parts = [p for p in re.split(r"[._-]+", local) if p.isalpha()]
    return " ".join(p.capitalize() for p in parts) or local


def build_interview(event: CalendarEvent, extraction: Extraction, reason: str) -> Interview:
    """The Interview record for a detected event."""
    return Interview(
        account=event.account,
        event_id=event.id,
        title=event.title,
        start=event.start,
        end=event.end,
        interviewers=extraction.interviewers,
        status=extraction.status,
        company=extraction.company,
        role=extraction.role,
        location=event.location,
        video_link=event.video_link,
        reason=reason,
    )
