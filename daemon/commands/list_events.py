"""`afterword list [--all]`: the events in the window, their ids and the verdict on each.

It reads each account's calendar over the same window the cycle reads (drafts.max_age
back, daemon.lookahead ahead) and plans every event exactly as the cycle does, so the id
it prints is the one `explain`, `fix` and `add-interviewer` take. Default: interviews
only; `--all`: every event, with why it is not an interview. It writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from afterword.daemon.config import AccountConfig, Config
from afterword.daemon.errors import AfterwordError, one_line
from afterword.daemon.interviews.planning import Plan, plan
from afterword.daemon.model import CalendarEvent
from afterword.daemon.runtime.cycle import Cycle


@dataclass(frozen=True)
class Listed:
    """One event of the window and how it was planned."""

    account: AccountConfig
    event: CalendarEvent
    planned: Plan


def window_events(config: Config, cycle: Cycle, now: datetime,
                  problems: list[str]) -> list[Listed]:
    """Every event of every account in the cycle's window, planned; an account that cannot
    be read adds one line to `problems` and the others are still listed."""
    window = cycle.window(now)
    found: list[Listed] = []
    for account in config.accounts:
        try:
            events = cycle.provider(account).calendar().changes(window, None).events
        except AfterwordError as err:
            problems.append(f"account {account.name}: {err}")
            continue
        mine = cycle.my_emails(account)
        hand_added = cycle.store.manual_interviewers_of(account.name)
        fixes = cycle.store.title_fixes_of(account.name)
        for event in events:
            found.append(Listed(account, event, plan(event, config, mine,
                                                     hand_added.get(event.id, []),
                                                     fixes.get(event.id))))
    return sorted(found, key=lambda item: (item.event.start, item.event.id))


def list_lines(config: Config, listed: list[Listed], everything: bool) -> list[str]:
    """What `afterword list` prints: three lines an event (when and title, id, verdict)."""
    zone = config.me.timezone
    shown = [item for item in listed if everything or item.planned.decision.is_interview]
    lines: list[str] = []
    for item in shown:
        event = item.event
        series = f", series {one_line(event.series_id)}" if event.series_id else ""
        lines.append(f"{event.start.astimezone(zone):%a %d %b %Y %H:%M}  "
                     f"{one_line(event.title) or '(no title)'}")
        lines.append(f"  id {one_line(event.id)}  (account {item.account.name}{series})")
        lines.append(f"  {verdict(item.planned)}")
    hidden = len(listed) - len(shown)
    if not shown:
        lines.append("No interview in the window." if not everything
                     else "No event in the window.")
    if hidden:
        lines.append(f"({hidden} other event(s) in the window are not interviews; "
                     "`afterword list --all` shows them and why)")
    return lines


def list_data(listed: list[Listed], everything: bool) -> list[dict[str, object]]:
    """What `afterword list --json` prints: one object an event, the same choice of events
    as the text (interviews, or every event with `--all`)."""
    data: list[dict[str, object]] = []
    for item in listed:
        decision, extraction = item.planned.decision, item.planned.extraction
        if not (everything or decision.is_interview):
            continue
        event = item.event
        entry: dict[str, object] = {
            "id": event.id, "account": item.account.name, "series_id": event.series_id,
            "start": event.start.isoformat(), "end": event.end.isoformat(),
            "title": event.title, "interview": decision.is_interview,
            "reason": decision.reason, "verdict": verdict(item.planned)}
        if decision.is_interview:
            entry.update({
                "status": extraction.status.value, "company": extraction.company,
                "role": extraction.role,
                "interviewers": [{"name": p.name, "email": p.email}
                                 for p in extraction.interviewers]})
        data.append(entry)
    return data


def verdict(planned: Plan) -> str:
    """One line: "interview (rule): status, who, for what", or why it is not one."""
    decision, extraction = planned.decision, planned.extraction
    if not decision.is_interview:
        return decision.reason
    with_address = [p.name for p in extraction.interviewers if p.email]
    status = extraction.status.value.replace("_", " ")
    who = f"notes to {', '.join(with_address)}" if with_address else "no recipient yet"
    what = " at ".join(x for x in (extraction.role, extraction.company) if x)
    return (f"interview ({decision.reason}): {status}, {who}"
            + (f"; for {what}" if what else ""))


def series_lines(config: Config, listed: list[Listed], series: str) -> list[str]:
    """The occurrences of a recurring series in the window, as `list` shows them; [] when
    `series` is not the id or UID of a series (or an occurrence's own id)."""
    occurrences = [item for item in listed if item.event.series_id
                   and series in (item.event.series_id, item.event.ical_uid)]
    if not occurrences or any(item.event.id == series for item in listed):
        return []
    return [f"series {one_line(series)}: {len(occurrences)} occurrence(s) in the window "
            "(`afterword explain ID` explains one)",
            *list_lines(config, occurrences, everything=True)]
