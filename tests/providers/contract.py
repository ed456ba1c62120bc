"""One contract every provider keeps, run against each of them the same way.

The daemon relies on these promises and nothing else, so a provider (a new one
included) is ready when its harness passes `ProviderContract`:

- a first read is full; an idle read reports nothing; a moved event keeps its id; a
  cancelled or deleted event leaves (`removed`, or absent from a full read) and
  `get_event` no longer returns it, while `lookup` says it is gone or cancelled;
- every occurrence of a series has its own id, stable from one read to the next;
- `create_draft` puts exactly one draft, with our key, into Drafts; `find_draft` finds
  it by key (and nothing for another key); `draft_states` says open, then sent (or gone,
  for a provider that cannot tell) once the user sends it, discarded (or gone) once
  the user deletes it;
- `replace_draft` rewrites a draft in place (same key, one draft, new text, new
  version); `draft_version` changes when the user edits the draft, and is None once the
  draft has left Drafts.

A provider's test module provides a `harness` fixture (a `Harness`) and a class
`TestXContract(ProviderContract)`: pytest then runs every test below against it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime, timedelta
from email.message import EmailMessage

from afterword.daemon.model import CalendarEvent, DraftKey
from afterword.providers.base import (
    CalendarSource,
    ChangeSet,
    DraftMailbox,
    DraftRef,
    MailboxState,
    Window,
)

GUESTS = [("Jane Doe", "jane@acme.example"), ("Raj Patel", "raj@acme.example")]


class Harness(ABC):
    """One provider wired to its real backend (files, a loopback fake or a real server),
    with the hands of a user who changes the calendar and the mailbox."""

    now: datetime  # the provider's clock
    can_tell_sent: bool = True  # False: a draft that left Drafts is GONE, not SENT

    @abstractmethod
    def calendar(self) -> CalendarSource:
        """The account's calendar source (the same object across calls)."""

    @abstractmethod
    def mailbox(self) -> DraftMailbox:
        """The account's draft mailbox (the same object across calls)."""

    @abstractmethod
    def add_event(self, title: str, start: datetime, minutes: int,
                  guests: list[tuple[str, str]]) -> None:
        """The organiser adds a one-off event with these guests (name, address)."""

    @abstractmethod
    def add_weekly_series(self, title: str, start: datetime, count: int,
                          guests: list[tuple[str, str]]) -> None:
        """The organiser adds a weekly series of `count` hour-long occurrences."""

    @abstractmethod
    def move_event(self, title: str, start: datetime) -> None:
        """The organiser moves the one-off event called `title` (same length)."""

    @abstractmethod
    def cancel_event(self, title: str) -> None:
        """The organiser cancels (or deletes) the one-off event called `title`."""

    @abstractmethod
    def user_sends(self, ref: DraftRef) -> None:
        """The user sends the draft from their mail client."""

    @abstractmethod
    def user_edits(self, ref: DraftRef) -> None:
        """The user changes the draft's text and saves it, in their mail client."""

    @abstractmethod
    def user_deletes(self, ref: DraftRef) -> None:
        """The user deletes the draft in their mail client."""

    @abstractmethod
    def drafts_in_mailbox(self) -> list[EmailMessage]:
        """Every message in the Drafts folder, as the user's mail client sees it."""

    def window(self) -> Window:
        """The span the daemon reads: a week back, two ahead."""
        return Window(self.now - timedelta(days=7), self.now + timedelta(days=14))


def note(key: str, to: str = "Jane Doe <jane@acme.example>",
         subject: str = "Thank you for today",
         text: str = "Dear Jane,\n\nThank you for your time today.\n\nAlex\n") -> EmailMessage:
    """A finished note as the drafting code hands it to a mailbox."""
    msg = EmailMessage()
    msg["To"] = to
    msg["Subject"] = subject
    msg["X-Afterword-Key"] = key
    msg.set_content(text)
    return msg


def key_for(recipient: str) -> str:
    """A real draft key, as the cycle makes them."""
    return DraftKey("contract", "event-1", recipient).id


def by_title(changes: ChangeSet, title: str) -> list[CalendarEvent]:
    """The events of a change set with this title, earliest first."""
    return sorted((e for e in changes.events if e.title == title), key=lambda e: e.start)


class ProviderContract:
    """The tests every provider passes (collected through each provider's subclass)."""

    # -- calendar ------------------------------------------------------------------------

    def test_first_read_is_full_and_carries_the_event(self, harness: Harness) -> None:
        start = harness.now + timedelta(days=1)
        harness.add_event("Interview: Data Engineer", start, 45, GUESTS)
        changes = harness.calendar().changes(harness.window(), None)
        assert changes.full
        [event] = by_title(changes, "Interview: Data Engineer")
        assert event.start == start and event.end == start + timedelta(minutes=45)
        assert event.start.tzinfo is not None
        guests = {a.email.lower() for a in event.attendees}
        assert {"jane@acme.example", "raj@acme.example"} <= guests
        names = {a.email.lower(): a.name for a in event.attendees}
        assert names["jane@acme.example"] == "Jane Doe"

    def test_an_idle_read_reports_nothing(self, harness: Harness) -> None:
        harness.add_event("Interview: Data Engineer", harness.now + timedelta(days=1), 60,
                          GUESTS)
        calendar = harness.calendar()
        first = calendar.changes(harness.window(), None)
        idle = calendar.changes(harness.window(), first.cursor)
        assert not idle.full
        assert idle.events == () and idle.removed == ()

    def test_a_moved_event_keeps_its_id(self, harness: Harness) -> None:
        start = harness.now + timedelta(days=1)
        harness.add_event("Interview: Data Engineer", start, 60, GUESTS)
        calendar = harness.calendar()
        first = calendar.changes(harness.window(), None)
        [before] = by_title(first, "Interview: Data Engineer")
        harness.move_event("Interview: Data Engineer", start + timedelta(days=2))
        after_changes = calendar.changes(harness.window(), first.cursor)
        [after] = by_title(after_changes, "Interview: Data Engineer")
        assert after.id == before.id
        assert after.start == start + timedelta(days=2)
        got = calendar.get_event(before.id)
        assert got is not None and got.start == after.start

    def test_a_cancelled_event_leaves(self, harness: Harness) -> None:
        harness.add_event("Interview: Data Engineer", harness.now + timedelta(days=1), 60,
                          GUESTS)
        harness.add_event("Onsite: Data Engineer", harness.now + timedelta(days=2), 60,
                          GUESTS)
        calendar = harness.calendar()
        first = calendar.changes(harness.window(), None)
        [gone] = by_title(first, "Interview: Data Engineer")
        harness.cancel_event("Interview: Data Engineer")
        later = calendar.changes(harness.window(), first.cursor)
        if later.full:
            assert gone.id not in {e.id for e in later.events}
        else:
            assert gone.id in later.removed
        assert not by_title(later, "Interview: Data Engineer")
        assert calendar.get_event(gone.id) is None
        looked = calendar.lookup(gone.id)
        assert looked is None or looked.cancelled
        [kept] = by_title(first, "Onsite: Data Engineer")
        assert calendar.get_event(kept.id) is not None

    def test_each_occurrence_of_a_series_has_its_own_stable_id(self, harness: Harness) -> None:
        start = harness.now + timedelta(days=1)
        harness.add_weekly_series("Weekly interview loop", start, 2, GUESTS)
        first = by_title(harness.calendar().changes(harness.window(), None),
                         "Weekly interview loop")
        assert [e.start for e in first] == [start, start + timedelta(weeks=1)]
        assert len({e.id for e in first}) == 2
        again = by_title(harness.calendar().changes(harness.window(), None),
                         "Weekly interview loop")
        assert [e.id for e in again] == [e.id for e in first]

    # -- mailbox -------------------------------------------------------------------------

    def test_one_draft_with_our_key_and_found_by_it(self, harness: Harness) -> None:
        box = harness.mailbox()
        key = key_for("jane@acme.example")
        ref = box.create_draft(key, note(key))
        [stored] = harness.drafts_in_mailbox()
        assert stored["X-Afterword-Key"] == key
        assert stored["To"] == "Jane Doe <jane@acme.example>"
        assert stored["Subject"] == "Thank you for today"
        found = box.find_draft(key)
        assert found is not None and found.provider_id == ref.provider_id
        assert box.find_draft(key_for("raj@acme.example")) is None
        assert box.draft_states({key: ref})[key].state is MailboxState.OPEN

    def test_a_sent_draft_is_seen_as_sent(self, harness: Harness) -> None:
        box = harness.mailbox()
        keys = [key_for("jane@acme.example"), key_for("raj@acme.example")]
        refs = {k: box.create_draft(k, note(k)) for k in keys}
        assert {s.state for s in box.draft_states(refs).values()} == {MailboxState.OPEN}
        harness.user_sends(refs[keys[0]])
        states = box.draft_states(refs)
        expected = MailboxState.SENT if harness.can_tell_sent else MailboxState.GONE
        assert states[keys[0]].state is expected
        assert states[keys[1]].state is MailboxState.OPEN

    def test_a_deleted_draft_is_seen_as_discarded(self, harness: Harness) -> None:
        box = harness.mailbox()
        key = key_for("jane@acme.example")
        ref = box.create_draft(key, note(key))
        box.draft_states({key: ref})
        harness.user_deletes(ref)
        expected = MailboxState.DISCARDED if harness.can_tell_sent else MailboxState.GONE
        assert box.draft_states({key: ref})[key].state is expected
        assert harness.drafts_in_mailbox() == []

    def test_a_draft_is_replaced_in_place(self, harness: Harness) -> None:
        box = harness.mailbox()
        key = key_for("jane@acme.example")
        ref = box.create_draft(key, note(key))
        assert ref.version is not None
        assert box.draft_version(ref) == ref.version
        better = note(key, subject="Thank you — Data Engineer at Acme",
                      text="Dear Jane,\n\nThank you for the pipeline deep dive.\n\nAlex\n")
        new = box.replace_draft(ref, key, better)
        [stored] = harness.drafts_in_mailbox()
        assert stored["Subject"] == "Thank you — Data Engineer at Acme"
        assert stored["X-Afterword-Key"] == key
        assert new.version is not None and new.version != ref.version
        assert box.draft_version(new) == new.version
        found = box.find_draft(key)
        assert found is not None and found.provider_id == new.provider_id
        assert box.draft_states({key: new})[key].state is MailboxState.OPEN

    def test_an_edit_by_the_user_changes_the_version(self, harness: Harness) -> None:
        box = harness.mailbox()
        key = key_for("jane@acme.example")
        ref = box.create_draft(key, note(key))
        harness.user_edits(ref)
        now = box.draft_version(box.find_draft(key) or ref)
        assert now is not None and now != ref.version
        harness.user_deletes(box.find_draft(key) or ref)
        assert box.draft_version(ref) is None
