"""An invite, read once: its description as text (people, notes) and every guest classified.

Detection ("is anyone else there?"), extraction (who gets a note), the notes and
`afterword explain` all use this one reading, so they never disagree about who is a
room, a bot, a scheduler or a person. Pure: a function of the event, `[recipients]`
and the user's addresses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from afterword.daemon.config import RecipientsConfig
from afterword.daemon.email_address import valid_address
from afterword.daemon.interviews import addresses, non_people
from afterword.daemon.interviews.addresses import normalise_address
from afterword.daemon.interviews.description import DescriptionInfo, html_to_text, parse_text
from afterword.daemon.interviews.names import clean_display
from afterword.daemon.model import Attendee, CalendarEvent, Response


class GuestKind(StrEnum):
    """What a guest is, as far as notes go."""

    YOU = "you"
    ROOM = "room"
    GROUP = "group"  # a group of people (.ics CUTYPE=GROUP): names needed
    BOT = "bot"
    SCHEDULER = "scheduler"
    CALENDAR = "calendar"
    NO_ADDRESS = "no_address"
    INVALID = "invalid"
    DECLINED = "declined"
    DELEGATED = "delegated"
    NO_REPLY = "no_reply"  # group, robot and no-reply addresses (recipients.group_addresses)
    SHARED_MAILBOX = "shared_mailbox"
    EXCLUDED = "excluded"  # recipients.exclude_domains
    ORGANIZER = "organizer"  # recipients.include_organizer = false
    NOT_A_PERSON = "not_a_person"  # matched the user's recipients.not_people
    PERSON = "person"


# Kinds that are never a human who could be on the panel.
# Guests who say nothing about a panel. A scheduling system or a candidate calendar as
# organizer does: someone arranged an interview whose guest list is hidden, so it is
# names needed (no note to the scheduler; the user is asked to write the names down).
NOT_SOMEONE = frozenset({GuestKind.YOU, GuestKind.ROOM, GuestKind.BOT, GuestKind.NO_REPLY,
                         GuestKind.NOT_A_PERSON})
# Kinds that follow an address wherever it appears in the invite (listed twice).
STICKY = frozenset({GuestKind.YOU, GuestKind.ROOM, GuestKind.GROUP, GuestKind.BOT,
                    GuestKind.SCHEDULER, GuestKind.CALENDAR, GuestKind.DECLINED,
                    GuestKind.DELEGATED, GuestKind.NOT_A_PERSON})
GROUP_REASON = "a group of people (CUTYPE=GROUP, e.g. a mailing list), not one person"
_CATALOG_REASON = {"room": "a room or resource", "bot": "a meeting bot or notetaker",
                   "scheduler": "a scheduling system or applicant tracker",
                   "calendar": "a calendar or group address",
                   "configured": "not a person"}
_CATALOG_KIND = {"room": GuestKind.ROOM, "bot": GuestKind.BOT,
                 "scheduler": GuestKind.SCHEDULER, "calendar": GuestKind.CALENDAR,
                 "configured": GuestKind.NOT_A_PERSON}


@dataclass(frozen=True)
class Guest:
    """One guest (or the organizer) and what they are; `reason` is "" for a person."""

    attendee: Attendee
    kind: GuestKind
    reason: str = ""

    @property
    def is_person(self) -> bool:
        """Someone who may get a note."""
        return self.kind is GuestKind.PERSON


@dataclass(frozen=True)
class InviteReading:
    """Everything read from one invite, once."""

    event: CalendarEvent
    mine: frozenset[str]  # the user's normalised addresses
    text: str  # the description as plain text
    description: DescriptionInfo
    guests: tuple[Guest, ...]  # the attendees, then the organizer if listed apart


def read(event: CalendarEvent, rules: RecipientsConfig | None = None,
         my_emails: Iterable[str] = ()) -> InviteReading:
    """Read `event` once. Never raises on odd input."""
    rules = rules or RecipientsConfig()
    mine = addresses.my_addresses(my_emails)
    text = html_to_text(event.description or "")
    places = _place_names(event.location)
    catalog = non_people.catalog(rules.not_people)
    guests = tuple(Guest(a, *classify(a, rules, mine, catalog, places)) for a in _everyone(event))
    return InviteReading(event, mine, text, parse_text(text), guests)


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


def _place_names(location: str) -> frozenset[str]:
    """The event's location, whole and split at ";" (Outlook joins several rooms so)."""
    parts = [location, *location.split(";")] if location else []
    return frozenset(k for p in parts if len(k := " ".join(p.split()).casefold()) >= 3)


def classify(attendee: Attendee, rules: RecipientsConfig, mine: frozenset[str],
             catalog: non_people.Catalog | None = None,
             places: frozenset[str] = frozenset()) -> tuple[GuestKind, str]:
    """What this guest is and why they get no note ("" for a person). "You" beats all."""
    email = (attendee.email or "").strip().lower()
    if addresses.is_me(attendee, mine):
        return GuestKind.YOU, "you"
    if attendee.is_resource:
        return GuestKind.ROOM, "a room or resource"
    name = clean_display(attendee.name)
    if name and name.casefold() in places:
        return GuestKind.ROOM, "a room or resource (named as the event's location)"
    if attendee.is_group:
        return GuestKind.GROUP, GROUP_REASON
    entry = (catalog or non_people.catalog(rules.not_people)).match(email, attendee.name)
    if entry is not None:
        return _CATALOG_KIND[entry.kind], f"{_CATALOG_REASON[entry.kind]} ({entry.name})"
    if not email:
        return GuestKind.NO_ADDRESS, "no email address"
    if not valid_address(email):
        return GuestKind.INVALID, "not a valid email address"
    if attendee.response is Response.DECLINED:
        return GuestKind.DECLINED, "declined"
    if attendee.response is Response.DELEGATED:
        return GuestKind.DELEGATED, ("delegated the meeting to someone else (the delegate "
                                     "gets the note)")
    if addresses.local_matches(email, rules.group_addresses, suffix=True):
        return GuestKind.NO_REPLY, "a group or no-reply address"
    if addresses.local_matches(email, rules.shared_mailboxes, suffix=True):
        return GuestKind.SHARED_MAILBOX, "a shared mailbox"
    domain = addresses.in_domains(email, rules.exclude_domains)
    if domain:
        return GuestKind.EXCLUDED, f"excluded domain {domain} (recipients.exclude_domains)"
    if attendee.is_organizer and not rules.include_organizer:
        return GuestKind.ORGANIZER, "the organizer (recipients.include_organizer = false)"
    return GuestKind.PERSON, ""


def someone_else(reading: InviteReading) -> bool:
    """Anyone besides the user who could be on the panel (rooms and robots are not)."""
    return any(g.kind not in NOT_SOMEONE and (g.attendee.email or g.attendee.name)
               for g in reading.guests) or bool(reading.description.people)
