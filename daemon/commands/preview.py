"""`afterword preview [EVENT_ID]`: exactly what would be drafted, and nothing written.

The interviews come from the state database, opened read-only (a preview never creates,
migrates or changes it). An interview the daemon has not seen yet (a fresh setup, or an
event id it does not know) is read from the accounts' calendars and planned in memory.
The notes are composed by the same `compose_interview` the cycle uses, at the moment they
would be drafted (the end of the interview + drafts.delay, or now if that has passed),
so "this morning" reads as it will in the draft.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TextIO

from afterword.daemon.commands.note import notes_lines
from afterword.daemon.commands.which import LAST, find_interview
from afterword.daemon.config import Config
from afterword.daemon.drafting.compose import KEY_HEADER, Templates, compose_interview
from afterword.daemon.errors import AfterwordError, TemplateError, UsageError
from afterword.daemon.interviews.asking import job_match, names_missing, who_to_ask
from afterword.daemon.interviews.jobs import explain_line
from afterword.daemon.model import (
    CalendarEvent,
    DraftRecord,
    DraftState,
    Interview,
    InterviewStatus,
    UserNote,
)
from afterword.daemon.runtime import paths
from afterword.daemon.runtime.store import Store

NOTHING_KNOWN = "No interview is due or coming up in your calendars."
log = logging.getLogger(__name__)
SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", KEY_HEADER)
_DONE = (DraftState.DRAFTED, DraftState.SENT, DraftState.DISCARDED, DraftState.GONE,
         DraftState.DISMISSED)


def format_message(message: EmailMessage, mask_id: bool = False) -> str:
    """A draft as a person reads it: decoded headers, then each body part."""
    lines = []
    for name in SHOWN_HEADERS:
        value = message.get(name)
        if value is None:
            continue
        text = "<…>" if mask_id and name == "Message-ID" else str(value)
        lines.append(f"{name}: {text}")
    for part in message.walk():
        if part.is_multipart():
            continue
        lines.append(f"--- {part.get_content_type()} ---")
        lines.append(part.get_content().replace("\r\n", "\n").rstrip("\n"))
    return "\n".join(lines) + "\n"


def state_db(state_dir: Path | None = None) -> Path:
    """Where the state database is, without creating the folder."""
    return (state_dir or paths.state_home() / "afterword") / "state.db"


def pending(store: Store, config: Config, now: datetime) -> list[Interview]:
    """Interviews that will still get drafts: not cancelled, recent enough, not all drafted."""
    horizon = now - config.drafts.max_age
    found = []
    for interview in store.interviews():
        if interview.status is InterviewStatus.CANCELLED or interview.end <= horizon:
            continue
        done = {d.recipient.lower() for d in
                store.drafts_for_event(interview.account, interview.event_id)
                if d.state in _DONE}
        if interview.status is not InterviewStatus.READY or any(
                p.email and p.email.lower() not in done for p in interview.interviewers):
            found.append(interview)
    return found


def run_preview(config: Config, event_id: str | None, out: TextIO,
                clock: Callable[[], datetime], state_dir: Path | None = None,
                raw: bool = False) -> int:
    """Print the drafts of one interview (or of every pending one); 1 if any cannot render."""
    path = state_db(state_dir)
    now = clock()
    interviews: list[Interview] = []
    drafts: dict[str, DraftRecord] = {}
    noted: dict[tuple[str, str], list[UserNote]] = {}
    events: dict[tuple[str, str], CalendarEvent] = {}  # whom to ask for names: the organizer
    if path.exists():
        store = Store.open_readonly(path)
        try:
            if event_id and event_id.strip().casefold() == LAST:
                interviews = [find_interview(store, event_id, now)]
            else:
                interviews = (store.find_interviews(event_id) if event_id
                              else pending(store, config, now))
            noted = {(i.account, i.event_id): store.user_notes(i.account, i.event_id)
                     for i in interviews}
            drafts = {d.key: d for i in interviews
                      for d in store.drafts_for_event(i.account, i.event_id)}
            for i in interviews:
                if names_missing(i) and (event := store.interview_event(i.account,
                                                                         i.event_id)):
                    events[(i.account, i.event_id)] = event
        finally:
            store.close()
    if not interviews:
        # Nothing stored yet: read the calendars themselves and plan in memory.
        interviews = calendar_interviews(config, event_id, now, state_dir, events)
    if not interviews:
        if event_id:
            raise UsageError(f"no interview with event id {event_id!r} in any account "
                             "(`afterword explain` tells why an event is not one)")
        print(NOTHING_KNOWN, file=out)
        return 0
    templates = Templates(config.drafts.templates_dir)
    status = 0
    for interview in interviews:
        event = events.get((interview.account, interview.event_id))
        mine_noted = noted.get((interview.account, interview.event_id), [])
        if not _preview_one(config, templates, interview, event, mine_noted, drafts, now, out,
                            raw):
            status = 1
    return status


def calendar_interviews(config: Config, event_id: str | None, now: datetime,
                        state_dir: Path | None = None,
                        seen: dict[tuple[str, str], CalendarEvent] | None = None,
                        ) -> list[Interview]:
    """Interviews read straight from the calendars (one event, or every pending one);
    their events go into `seen`."""
    from afterword.daemon.interviews.planning import plan
    from afterword.daemon.runtime.secrets import open_secrets
    from afterword.providers import open_provider
    from afterword.providers.base import ProviderContext, Window

    secrets = open_secrets(config.secrets.backend, state_db(state_dir).parent)
    window = Window(now - config.drafts.max_age - config.drafts.delay,
                    now + config.daemon.lookahead)
    found: list[Interview] = []
    for account in config.accounts:
        mine = tuple(dict.fromkeys([*config.me.emails, *([account.address]
                                                          if account.address else [])]))
        context = ProviderContext(timezone=config.me.timezone, my_emails=mine,
                                  secrets=secrets, clock=lambda: now)
        try:
            calendar = open_provider(account, context).calendar()
            if event_id:
                event = calendar.get_event(event_id)
                events = [event] if event is not None else []
            else:
                events = list(calendar.changes(window, None).events)
        except AfterwordError as err:
            log.warning("preview: account %s: %s", account.name, err)
            continue
        for event in events:
            interview = plan(event, config, mine).interview
            if interview is not None and interview.end > now - config.drafts.max_age:
                found.append(interview)
                if seen is not None:
                    seen[(interview.account, interview.event_id)] = event
    return sorted(found, key=lambda i: i.start)


def _preview_one(config: Config, templates: Templates, interview: Interview,
                 event: CalendarEvent | None, mine_noted: list[UserNote],
                 drafts: dict[str, DraftRecord], now: datetime,
                 out: TextIO, raw: bool) -> bool:
    zone = config.me.timezone
    due = max(now, config.drafts.due_at(interview.end, interview.has_notes))
    print(f"=== {interview.title} — {interview.start.astimezone(zone):%a %d %b %Y %H:%M} "
          f"({interview.account}, event {interview.event_id})", file=out)
    print("Notes:", file=out)
    print("\n".join(notes_lines(interview, mine_noted)), file=out)
    account = next((a for a in config.accounts if a.name == interview.account), None)
    mine = [*config.me.emails, *([account.address] if account and account.address else [])]
    job = job_match(event, interview, config)
    if (line := explain_line(job, config.jobs)) is not None:
        print(line[0].upper() + line[1:] + ".", file=out)
    ask = who_to_ask(event, interview, config, mine)
    if interview.status is not InterviewStatus.READY:
        reason = {
            InterviewStatus.NAMES_NEEDED: "no interviewer identified; add one with "
            f"`afterword add-interviewer {interview.event_id} \"Name <address>\"`",
            InterviewStatus.TOO_MANY: "more recipients than recipients.max_per_interview; "
            "nothing is drafted until you confirm",
            InterviewStatus.CANCELLED: "the event was cancelled or removed",
        }[interview.status]
        print(f"No thank-you drafts: {reason}.", file=out)
        if ask is None:
            print("", file=out)
            return True
    from_address = (account.address if account and account.address else
                    (config.me.emails or ("",))[0])
    try:
        composed = compose_interview(config, templates, interview.account, interview,
                                     from_address=from_address, now=due, ask=ask, job=job)
    except TemplateError as err:
        print(f"error: {err}; nothing would be drafted for this interview.\n", file=out)
        return False
    when = "now" if due <= now else f"at {due.astimezone(zone):%a %d %b %H:%M}"
    print(f"Template {composed.template}; {len(composed.drafts)} draft(s), written {when}.",
          file=out)
    for person in composed.no_address:
        print(f"No address for {person.name}: add one with `afterword add-interviewer`.",
              file=out)
    if composed.ask is not None and ask is not None:
        print(f"One note asking {ask.why} for the names (template ask-names).", file=out)
    for draft in [*composed.drafts, *([composed.ask] if composed.ask else [])]:
        record = drafts.get(draft.key.id)
        print("", file=out)
        if record is not None and record.state in _DONE:
            print(f"(already {record.state.value}: {draft.key.id} to {draft.key.recipient})",
                  file=out)
            continue
        if raw:
            out.write(draft.message.as_bytes().decode("ascii", "replace").replace("\r\n", "\n"))
        else:
            out.write(format_message(draft.message))
    print("", file=out)
    return True
