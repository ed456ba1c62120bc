"""Who interviewed me: the reading of an invite → interviewers, each guest kept or dropped
with a reason.

Pure: a function of the invite's one reading (`reading.read`), `[recipients]` and the
interviewers added by hand. Every guest gets a verdict (shown by `afterword explain`), so
a note never goes to a room, a bot, a scheduler, the user, someone who declined or
delegated the meeting, or an invalid address.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from afterword.daemon.config import RecipientsConfig
from afterword.daemon.email_address import valid_address
from afterword.daemon.interviews import company
from afterword.daemon.interviews.addresses import normalise_address
from afterword.daemon.interviews.description import ListedPerson
from afterword.daemon.interviews.names import (
    clean_display,
    looks_like_address,
    parse_name,
    same_person,
)
from afterword.daemon.interviews.reading import (
    STICKY,
    GuestKind,
    InviteReading,
    classify,
    read,
)
from afterword.daemon.model import (
    Attendee,
    CalendarEvent,
    Interview,
    Interviewer,
    InterviewStatus,
)

__all__ = ["Extraction", "Verdict", "build_interview", "extract", "interviewer_from",
           "normalise_address"]


@dataclass(frozen=True)
class Verdict:
    """One attendee (or a person named in the description) and whether they get a note."""

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
    why: str = ""  # why the status is what it is, in words


def extract(
    event: CalendarEvent,
    rules: RecipientsConfig,
    my_emails: tuple[str, ...] | list[str],
    manual: list[tuple[str, str]] | None = None,
    title_patterns: tuple[str, ...] = (),
    my_name: str = "",
    reading: InviteReading | None = None,
) -> Extraction:
    """Interviewers of `event`: the guests who are people, the description's named panel,
    and anyone added by hand. Never raises on odd input.

    `reading` is the invite read once (`reading.read`); `my_name` (me.name) keeps
    "Interview with Alex Rivera" from making you an interviewer.
    """
    reading = reading or read(event, rules, my_emails)
    mine = reading.mine
    info = reading.description
    listed = [p for p in info.people
              if not (my_name and p.name and same_person(p.name, my_name, None))
              and not (p.email and normalise_address(p.email) in mine)]
    verdicts: list[Verdict] = []
    people: list[Interviewer] = []
    seen: set[str] = set()
    shared_domains: list[str] = []  # recruiting@acme.com still says "Acme"
    # An address that is you, a room, a bot, declined... anywhere in the invite is so
    # everywhere: a guest listed twice must not slip through on its second entry.
    tainted = {normalise_address(g.attendee.email): (g.kind, g.reason)
               for g in reading.guests if g.attendee.email and g.kind in STICKY}

    def judged(guest: Attendee, kind: GuestKind, reason: str) -> tuple[GuestKind, str]:
        if guest.email and kind not in STICKY:
            kind, reason = tainted.get(normalise_address(guest.email), (kind, reason))
        if kind is GuestKind.PERSON and guest.email and normalise_address(guest.email) in seen:
            return GuestKind.PERSON, "listed twice"
        return kind, reason

    for guest in reading.guests:
        attendee = guest.attendee
        kind, reason = judged(attendee, guest.kind, guest.reason)
        match = _take_match(listed, attendee)
        if kind is GuestKind.SHARED_MAILBOX and attendee.email:
            shared_domains.append(attendee.email)
        if kind is GuestKind.INVALID:
            _invalid(attendee, match, people, verdicts)
            continue
        if kind is not GuestKind.PERSON or reason:
            verdicts.append(Verdict(attendee, False, reason))
            continue
        email = attendee.email or ""
        seen.add(normalise_address(email))
        person = interviewer_from(attendee.name, email)
        why = "organizer" if attendee.is_organizer else "attendee"
        if attendee.is_organizer and info.with_me:
            # "You'll meet with me and ...": the organizer wrote it and is on the panel
            # (recipients.include_organizer = false still wins: the user said so).
            why += ", \"me\" in the description"
        if match is not None:
            person = _merge(person, match)
            why += ", named in the description"
        people.append(person)
        verdicts.append(Verdict(attendee, True, why + (
            "; name guessed from the address" if person.needs_check else "")))

    for named in listed:
        # Named in the description but not a guest: keep with the address given there
        # (marked "to check"), or as "address needed".
        stand_in = Attendee(email=named.email, name=named.name or None)
        if named.email:
            kind, reason = judged(stand_in, *classify(stand_in, rules, mine))
            if kind is GuestKind.INVALID:
                _invalid(stand_in, named, people, verdicts)
            elif kind is GuestKind.PERSON and not reason:
                seen.add(normalise_address(named.email))
                people.append(replace(interviewer_from(named.name, named.email,
                                                       source="description"), role=named.role))
                verdicts.append(Verdict(stand_in, True, "named in the description with an "
                                        "address that is not among the guests: to check"))
            else:
                verdicts.append(Verdict(stand_in, False, reason))
        elif len(named.name.split()) < 2:
            verdicts.append(Verdict(stand_in, False, "a single name in the description that "
                                                     "matches no guest"))
        else:
            people.append(_address_needed(named))
            verdicts.append(Verdict(stand_in, False, "named in the description; address "
                                                     "needed (afterword add-interviewer)"))

    for email, name in manual or ():
        if not valid_address(email) or normalise_address(email) in mine:
            continue
        if normalise_address(email) in seen:
            continue
        seen.add(normalise_address(email))
        added = interviewer_from(name or None, email, source="manual")
        # An "address needed" entry with this name is now resolved.
        people = [p for p in people
                  if p.email is not None or not same_person(p.name, added.name, email)]
        people.append(added)
        verdicts.append(Verdict(Attendee(email=email, name=name or None), True,
                                "added by hand (afterword add-interviewer)"))

    status, why = _status(reading, people, rules)
    # Schedulers write the candidate's and interviewers' names into titles ("Acme - Alex
    # Rivera - Technical Interview"): a person is never the company or the role.
    me_named = [my_name, *(g.attendee.name or "" for g in reading.guests
                           if g.kind is GuestKind.YOU)]
    found_company, found_role = company.identify(
        event.title, title_patterns, [p.name for p in people], me_named,
        [p.email for p in people if p.email] or shared_domains, rules.generic_domains,
        texts=(event.title, reading.text))
    return Extraction(tuple(people), tuple(verdicts), status, found_company, found_role, why)


def _invalid(guest: Attendee, match: ListedPerson | None, people: list[Interviewer],
             verdicts: list[Verdict]) -> None:
    """A guest whose address we would never write to: no note for them, the rest of the
    panel goes on; a real name stays on the panel as "address needed"."""
    shown = " ".join((guest.email or "").split())[:80]
    problem = f"not a valid email address: {shown!r}"
    verdicts.append(Verdict(guest, False, f"{problem}; the rest of the panel is drafted"))
    name = (match.name if match and match.name else clean_display(guest.name))
    if name and not looks_like_address(name, guest.email) and len(name.split()) >= 2:
        parsed = parse_name(name)
        people.append(Interviewer(name=parsed.display, email=None, first_name=parsed.first,
                                  last_name=parsed.last, title=parsed.title,
                                  role=match.role if match else "", source="attendee",
                                  problem=problem))


def _take_match(listed: list[ListedPerson], attendee: Attendee) -> ListedPerson | None:
    """The description entry naming this attendee, removed from `listed`."""
    for person in listed:
        if person.email and attendee.email and (
                normalise_address(person.email) == normalise_address(attendee.email)):
            listed.remove(person)
            return person
    for person in listed:
        if person.name and same_person(person.name, attendee.name, attendee.email):
            listed.remove(person)
            return person
    return None


def _merge(person: Interviewer, listed: ListedPerson) -> Interviewer:
    """An attendee matched to a description entry: the role, and the better name."""
    role = listed.role or person.role
    if listed.name and (person.needs_check or (parse_name(listed.name).title
                                               and not person.title)):
        # The description's name beats a guess from the address, and carries "Dr.".
        named = interviewer_from(listed.name, person.email or "", source=person.source)
        return replace(named, role=role)
    return replace(person, role=role)


def _address_needed(person: ListedPerson) -> Interviewer:
    parsed = parse_name(person.name)
    return Interviewer(name=parsed.display, email=None, first_name=parsed.first,
                       last_name=parsed.last, title=parsed.title, role=person.role,
                       source="description")


def _status(reading: InviteReading, people: list[Interviewer],
            rules: RecipientsConfig) -> tuple[InterviewStatus, str]:
    event = reading.event
    reachable = [p for p in people if p.email]
    if len(reachable) > rules.max_per_interview:
        return InterviewStatus.TOO_MANY, (
            f"{len(reachable)} recipients, more than recipients.max_per_interview = "
            f"{rules.max_per_interview}: raise it to {len(reachable)} to draft for them all")
    if not reachable:
        if any(p.email is None for p in people):
            return InterviewStatus.NAMES_NEEDED, "interviewers named without an address"
        if event.attendees_hidden:
            return InterviewStatus.NAMES_NEEDED, "the guest list is hidden"
        return InterviewStatus.NAMES_NEEDED, "no identifiable interviewer"
    if event.attendees_hidden and not reading.description.with_me and all(
            p.source == "attendee" for p in reachable) and all(
            _is_organizer(event, p) for p in reachable):
        # Only the organizer is visible: likely the recruiter, not the panel.
        return InterviewStatus.NAMES_NEEDED, ("the guest list is hidden; only the organizer "
                                              "is known")
    return InterviewStatus.READY, f"{len(reachable)} interviewer(s) with an address"


def _is_organizer(event: CalendarEvent, person: Interviewer) -> bool:
    organizer = event.organizer
    return bool(organizer and organizer.email and person.email
                and normalise_address(organizer.email) == normalise_address(person.email))


def interviewer_from(name: str | None, email: str, source: str = "attendee") -> Interviewer:
    """An Interviewer with a parsed name; guessed from the address when there is none."""
    parsed = parse_name(name, email or None)
    return Interviewer(
        name=parsed.display,
        email=email.lower() if email else None,
        first_name=parsed.first,
        last_name=parsed.last,
        title=parsed.title,
        needs_check=parsed.needs_check,
        source=source,
    )


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
