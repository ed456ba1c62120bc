"""Who interviewed me: attendees + description → interviewers, each kept or dropped with a reason.

Pure: a function of the event, `[recipients]`, the user's addresses and the interviewers
added by hand. Every attendee gets a verdict (shown by `afterword explain`), so a note
never goes to a room, to the user, to someone who declined, or to a robot.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from afterword.daemon.config import RecipientsConfig
from afterword.daemon.interviews import addresses, company, description
from afterword.daemon.interviews.addresses import normalise_address
from afterword.daemon.interviews.description import ListedPerson
from afterword.daemon.interviews.names import parse_name, same_person
from afterword.daemon.model import (
    Attendee,
    CalendarEvent,
    Interview,
    Interviewer,
    InterviewStatus,
    Response,
)

__all__ = ["Extraction", "Verdict", "build_interview", "extract", "interviewer_from",
           "normalise_address"]


# Drop reasons that follow an address wherever it appears in the invite.
_GROUP = "a group of people (CUTYPE=GROUP, e.g. a mailing list), not one person"
_STICKY = ("you", "a room or resource", _GROUP, "declined")


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
    notes: str = ""
    why: str = ""  # why the status is what it is, in words


def extract(
    event: CalendarEvent,
    rules: RecipientsConfig,
    my_emails: tuple[str, ...] | list[str],
    manual: list[tuple[str, str]] | None = None,
    title_patterns: tuple[str, ...] = (),
    my_name: str = "",
) -> Extraction:
    """Interviewers of `event`: attendees minus you, rooms, declined, robots; the description's
    named panel; and anyone added by hand. Never raises on odd input.

    `my_name` (me.name) keeps "Interview with Alex Rivera" from making you an interviewer.
    """
    mine = addresses.my_addresses(my_emails)
    info = description.parse(event.description)
    listed = [p for p in info.people
              if not (my_name and p.name and same_person(p.name, my_name, None))
              and not (p.email and normalise_address(p.email) in mine)]
    verdicts: list[Verdict] = []
    people: list[Interviewer] = []
    seen: set[str] = set()
    shared_domains: list[str] = []  # recruiting@acme.com still says "Acme"

    everyone = _everyone(event)
    # An address that is you, a room or declined anywhere in the invite is so everywhere:
    # a guest listed twice must not slip through on its second entry.
    tainted = {normalise_address(a.email): r for a in everyone if a.email
               and (r := drop_reason(a, rules, mine)) in _STICKY}

    def reason_for(guest: Attendee) -> str | None:
        reason = drop_reason(guest, rules, mine)
        if reason is None and guest.email:
            return tainted.get(normalise_address(guest.email))
        return reason

    for attendee in everyone:
        reason = reason_for(attendee)
        match = _take_match(listed, attendee)
        if reason is None and attendee.email and normalise_address(attendee.email) in seen:
            reason = "listed twice"
        if reason == "a shared mailbox" and attendee.email:
            shared_domains.append(attendee.email)
        if reason is not None:
            verdicts.append(Verdict(attendee, False, reason))
            continue
        email = attendee.email or ""
        seen.add(normalise_address(email))
        person = interviewer_from(attendee.name, email)
        why = "organizer" if attendee.is_organizer else "attendee"
        if match is not None:
            person = _merge(person, match)
            why += ", named in the description"
        people.append(person)
        verdicts.append(Verdict(attendee, True, why + (
            "; name guessed from the address" if person.needs_check else "")))

    for named in listed:
        # Named in the description but not a guest: keep with the address given there,
        # or as "address needed".
        stand_in = Attendee(email=named.email, name=named.name or None)
        if named.email:
            reason = reason_for(stand_in)
            if reason is None and normalise_address(named.email) in seen:
                reason = "listed twice"
            if reason is None:
                seen.add(normalise_address(named.email))
                found = replace(interviewer_from(named.name, named.email,
                                                 source="description"), role=named.role)
                people.append(found)
                verdicts.append(Verdict(stand_in, True, "named in the description with an "
                                                          "address"))
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
        if not addresses.valid(email) or normalise_address(email) in mine:
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

    status, why = _status(event, people, rules)
    # Schedulers write the candidate's and interviewers' names into titles ("Acme - Alex
    # Rivera - Technical Interview"): a person is never the company or the role.
    me_named = [my_name, *(a.name or "" for a in everyone if addresses.is_me(a, mine))]
    found_company, found_role = company.identify(
        event.title, title_patterns, [p.name for p in people], me_named,
        [p.email for p in people if p.email] or shared_domains, rules.generic_domains,
        texts=(event.title, description.html_to_text(event.description or "")))
    return Extraction(tuple(people), tuple(verdicts), status, found_company, found_role,
                      info.notes, why)


def _everyone(event: CalendarEvent) -> list[Attendee]:
    """Attendees, plus the organizer when the provider lists them apart."""
    everyone = list(event.attendees)
    organizer = event.organizer
    if organizer is not None and organizer.email:
        key = normalise_address(organizer.email)
        listed = [a for a in everyone if a.email and normalise_address(a.email) == key]
        if listed:
            # What the organizer entry says of the address (you, a group, a room) holds for
            # its attendee entry too: the two are one guest.
            everyone = [replace(a, is_organizer=True, is_self=a.is_self or organizer.is_self,
                                is_group=a.is_group or organizer.is_group,
                                is_resource=a.is_resource or organizer.is_resource)
                        if a in listed else a for a in everyone]
        else:
            everyone.append(replace(organizer, is_organizer=True))
    return everyone


def drop_reason(attendee: Attendee, rules: RecipientsConfig,
                mine: frozenset[str]) -> str | None:
    """Why this guest gets no note (None: they do). The order matters: "you" beats all."""
    email = (attendee.email or "").strip().lower()
    if addresses.is_me(attendee, mine):
        return "you"
    if addresses.is_room(attendee):
        return "a room or resource"
    if attendee.is_group:
        return _GROUP
    if not email:
        return "no email address"
    if not addresses.valid(email):
        return "not a valid email address"
    if attendee.response is Response.DECLINED:
        return "declined"
    if addresses.is_calendar_address(email):
        return "a calendar or group address"
    if addresses.local_matches(email, rules.group_addresses, suffix=True):
        return "a group or no-reply address"
    if addresses.local_matches(email, rules.shared_mailboxes, suffix=True):
        return "a shared mailbox"
    domain = addresses.in_domains(email, rules.exclude_domains)
    if domain:
        return f"excluded domain {domain} (recipients.exclude_domains)"
    if attendee.is_organizer and not rules.include_organizer:
        return "the organizer (recipients.include_organizer = false)"
    return None


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


def _status(event: CalendarEvent, people: list[Interviewer],
            rules: RecipientsConfig) -> tuple[InterviewStatus, str]:
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
    if event.attendees_hidden and all(p.source == "attendee" for p in reachable) and all(
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
        notes=extraction.notes,
        reason=reason,
    )
