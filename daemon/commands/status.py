"""What `afterword status` shows: interviews, drafts and accounts, as data or as a table."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from afterword.daemon.config import Config
from afterword.daemon.durations import format_duration
from afterword.daemon.interviews import user_notes
from afterword.daemon.model import DraftRecord, DraftState, Interview, InterviewStatus, UserNote
from afterword.daemon.reminders.policy import cap_advice
from afterword.daemon.runtime.store import Store


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def status_data(config: Config, store: Store, now: datetime) -> dict[str, Any]:
    """Everything `status --json` prints (stable keys; times in ISO 8601 UTC)."""
    configured = {a.name for a in config.accounts}
    accounts = []
    for name in sorted(configured | {a.name for a in store.accounts()}):
        state = store.account(name)
        accounts.append({
            "name": name,
            "configured": name in configured,
            "synced_at": _iso(state.synced_at),
            "needs_reauth": state.needs_reauth,
            "last_error": state.last_error or None,
            "reauth_command": f"afterword auth {name}" if state.needs_reauth else None,
        })
    stored = store.interviews()
    titles = {(i.account, i.event_id): i.title for i in stored}
    fixed = {(name, event_id) for name in {i.account for i in stored}
             for event_id in store.title_fixes_of(name)}
    interviews = [_interview(i, config, (i.account, i.event_id) in fixed,
                             store.user_notes(i.account, i.event_id))
                  for i in stored if i.status is not InterviewStatus.CANCELLED]
    drafts = [_draft(d) for d in store.drafts()]
    for item in (*interviews, *drafts):
        # An account removed from the config is no longer watched: shown apart.
        item["configured"] = item["account"] in configured
    asks = {(d["account"], d["event_id"]): d for d in drafts if d["kind"] == "ask_names"}
    for d in drafts:
        d["interview_title"] = titles.get((d["account"], d["event_id"]))
    for i in interviews:
        # The one note asking for the names, when one was drafted (key, to whom, state).
        ask = asks.get((i["account"], i["event_id"]))
        i["ask"] = ({"key": ask["key"], "recipient": ask["recipient"],
                     "recipient_name": ask["recipient_name"], "state": ask["state"]}
                    if ask else None)
    _add_reminders(config, store, now, drafts, interviews)
    skipped = [{"account": account, "series_id": s.series_id, "title": s.title,
                "reason": s.reason, "skipped_at": _iso(at)}
               for account, s, at in store.skipped_series() if account in configured]
    return {"now": now.isoformat(), "accounts": accounts, "interviews": interviews,
            "drafts": drafts, "skipped_series": skipped}


def _add_reminders(config: Config, store: Store, now: datetime, drafts: list[dict[str, Any]],
                   interviews: list[dict[str, Any]]) -> None:
    """Each waiting draft's age and next reminder; each names-needed interview's too."""
    from afterword.daemon.reminders import policy, sending

    zone, quiet = config.me.timezone, config.reminders.quiet_hours
    upcoming = {s.ref: policy.when_sent(t, now, quiet, zone)
                for s in sending.subjects(config, store, now)
                if (t := policy.upcoming(s, now, quiet, zone)) is not None
                } if config.reminders.channels else {}
    for d in drafts:
        created = datetime.fromisoformat(d["created_at"]) if d["created_at"] else None
        d["age_seconds"] = (max(0, int((now - created).total_seconds()))
                            if created and d["state"] == DraftState.DRAFTED.value else None)
        d["next_reminder_at"] = _iso(upcoming.get(d["key"]))
    for i in interviews:
        i["next_reminder_at"] = _iso(upcoming.get(f"names:{i['account']}:{i['event_id']}"))


def _interview(interview: Interview, config: Config, fixed: bool,
               mine: list[UserNote]) -> dict[str, Any]:
    return {
        "account": interview.account,
        "event_id": interview.event_id,
        "title": interview.title,
        "company": interview.company or None,
        "role": interview.role or None,
        "fixed": fixed,  # company and role as corrected with `afterword fix`
        "start": _iso(interview.start),
        "end": _iso(interview.end),
        "status": interview.status.value,
        "recipients": sum(1 for p in interview.interviewers if p.email),
        "drafts_due_at": _iso(config.drafts.due_at(interview.end, interview.has_notes)),
        "notes": interview.notes or None,  # for the whole interview: yours and the invite's
        "notes_held": [{"for": n.who, "text": n.text}  # for nobody on the panel (yet)
                       for n in user_notes.held(interview, mine)],
        "interviewers": [
            {"name": p.name, "email": p.email, "needs_check": p.needs_check,
             "address_needed": p.email is None, "to_check": p.to_check,
             "problem": p.problem or None, "source": p.source, "notes": p.notes or None}
            for p in interview.interviewers
        ],
    }


def _draft(d: DraftRecord) -> dict[str, Any]:
    return {
        "key": d.key,
        "account": d.account,
        "event_id": d.event_id,
        "recipient": d.recipient,
        "recipient_name": d.recipient_name,
        "state": d.state.value,
        "provider_id": d.provider_id,
        "created_at": _iso(d.created_at),
        "sent_at": _iso(d.sent_at),
        "closed_at": _iso(d.closed_at),
        "last_error": d.last_error or None,
        "kind": d.kind.value,
    }


def render_table(data: dict[str, Any], config: Config, now: datetime) -> str:
    """A readable plain-text report of `status_data`."""
    zone = config.me.timezone
    cap = config.recipients.max_per_interview
    out: list[str] = []

    def when(iso: str | None) -> str:
        if not iso:
            return "-"
        moment = datetime.fromisoformat(iso)
        return moment.astimezone(zone).strftime("%a %d %b %H:%M")

    problems = [a for a in data["accounts"] if a["configured"]
                and (a["needs_reauth"] or a["last_error"])]
    for account in problems:
        if account["needs_reauth"]:
            out.append(f"! account {account['name']} needs to sign in again: "
                       f"run `{account['reauth_command']}`")
        else:
            out.append(f"! account {account['name']}: {account['last_error']}")
    if problems:
        out.append("")

    watched = [i for i in data["interviews"] if i.get("configured", True)]
    upcoming = [i for i in watched if i["status"] == "ready"
                and datetime.fromisoformat(i["drafts_due_at"]) > now]
    needed = [i for i in watched if i["status"] in ("names_needed", "too_many")]
    out.append("Upcoming interviews")
    for i in upcoming:
        names = ", ".join(_panelist(p) for p in i["interviewers"]) or "-"
        out.append(f"  {when(i['start'])}  {i['title'][:48]:<48}  drafts {when(i['drafts_due_at'])}"
                   f"  to {names}")
        if i.get("fixed"):
            what = " at ".join(x for x in (i["role"], i["company"]) if x) or "no company or role"
            out.append(f"      for {what} (fixed with `afterword fix`)")
        out.append(f"      {_notes_line(i)}")
    if not upcoming:
        out.append("  none")
    # A ready panel can still miss someone: a name without an address, or a bad address.
    missing = [i for i in watched if i["status"] == "ready"
               and any(p["address_needed"] for p in i["interviewers"])]
    if needed or missing:
        out.append("")
        out.append("Interviews that need you")
        for i in needed:
            what = (_names_advice(i) if i["status"] == "names_needed" else
                    cap_advice(i.get("recipients", 0), cap, i["event_id"]))
            out.append(f"  {when(i['start'])}  {i['title'][:48]}  [{i['event_id']}]")
            out.append(f"      {what}")
            out += _address_needed(i)
            if i.get("next_reminder_at"):
                out.append(f"      next reminder {when(i['next_reminder_at'])}")
        for i in missing:
            out.append(f"  {when(i['start'])}  {i['title'][:48]}  [{i['event_id']}]")
            out += _address_needed(i)

    groups = {
        "Drafts waiting for you to send": [DraftState.DRAFTED.value],
        "Drafts not written yet": [DraftState.PLANNED.value, DraftState.FAILED.value],
        "Done": [DraftState.SENT.value, DraftState.DISCARDED.value, DraftState.GONE.value,
                 DraftState.DISMISSED.value],
    }
    channels = bool(config.reminders.channels)
    drafts = [d for d in data["drafts"] if d.get("configured", True)]
    for title, states in groups.items():
        rows = [d for d in drafts if d["state"] in states]
        if not rows:
            continue
        out.append("")
        out.append(title)
        if states == [DraftState.DRAFTED.value]:
            out.append(f"  {'KEY':<16}  {'INTERVIEW':<{_TITLE}}  {'TO':<36}  {'AGE':<8}  "
                       "NEXT REMINDER")
            for d in rows:
                who = _who(d)
                age = format_duration(timedelta(seconds=d["age_seconds"] or 0))
                nxt = (when(d["next_reminder_at"]) if d["next_reminder_at"]
                       else "none" if channels else "no channel")
                out.append(f"  {d['key']:<16}  {_short(d.get('interview_title'), _TITLE)}  "
                           f"{_short(who, 36)}  {age:<8}  {nxt}")
            if not channels:
                out.append("  no channel: reminders are off (`channels = []`); add a "
                           "[[reminders.channels]] entry, e.g. type = \"desktop\"")
            continue
        for d in rows:
            who = _who(d)
            detail = {
                "failed": f"failed: {d['last_error']}",
                "planned": "in progress",
                "sent": f"sent {when(d['sent_at'] or d['closed_at'])}",
                "discarded": f"discarded {when(d['closed_at'])}",
                "dismissed": f"done (no reminders) {when(d['closed_at'])}",
            }.get(d["state"], d["state"])
            out.append(f"  {d['key']}  {d['state']:<9}  {who[:50]:<50}  {detail}")
    if data.get("skipped_series"):
        out += ["", "Repeating events skipped (more interviews a day than anyone has)"]
        out += [f"  {_short(s['title'], 40)}  {s['reason']}  [`afterword explain "
                f"{s['series_id'][:40]}`]" for s in data["skipped_series"]]
    out += _removed(data)
    return "\n".join(out) + "\n"


_TITLE = 30  # width of the interview column


def _panelist(person: dict[str, Any]) -> str:
    """One interviewer in the table: the name, and what is wrong with their address."""
    if person["address_needed"]:
        return f"{person['name']} (address needed)"
    if person.get("to_check"):
        return f"{person['name']} (to check: {person['email']})"
    return str(person["name"])


def _address_needed(interview: dict[str, Any]) -> list[str]:
    """One line per interviewer without a usable address, with the command that adds it."""
    return [f"      address needed: {p['name']}"
            + (f" ({p['problem']})" if p.get("problem") else "")
            + f"; `afterword add-interviewer {interview['event_id']} \"{p['name']} <address>\"`"
            for p in interview["interviewers"] if p["address_needed"]]


def _notes_line(interview: dict[str, Any]) -> str:
    """Whom an interview's notes are about, or how to add some."""
    whom = [p["name"] or p["email"] for p in interview["interviewers"] if p["notes"]]
    if interview["notes"]:
        whom.append("the whole interview")
    held = [n["for"] for n in interview["notes_held"]]
    text = (f"notes for {', '.join(whom)}" if whom else
            f"no notes yet: `afterword note {interview['event_id']} \"Jane: what you talked "
            "about\"`")
    if held:
        text += f"; held for {', '.join(held)} (not on the panel yet)"
    return text


def _who(draft: dict[str, Any]) -> str:
    """"Jane Doe <jane@…>", or "ask: Acme Recruiting <recruiting@…>" for the ask for names."""
    who = f"{draft['recipient_name']} <{draft['recipient']}>"
    return f"ask: {who}" if draft.get("kind") == "ask_names" else who


def _names_advice(interview: dict[str, Any]) -> str:
    """What to do about a names-needed interview, given its ask for names (if any)."""
    add = f"`afterword add-interviewer {interview['event_id']} \"Name <address>\"`"
    ask = interview.get("ask")
    if ask is None:
        return f"names needed: ask the receptionist or HR for their names, then {add}"
    to = ask["recipient_name"] or ask["recipient"]
    if ask["state"] == DraftState.DRAFTED.value:
        return (f"names needed: your note asking {to} for them is waiting in Drafts "
                f"({ask['key']}); send it, then {add}")
    if ask["state"] == DraftState.SENT.value:
        return f"names needed: you asked {to} for them; when they answer, {add}"
    return f"names needed: ask the receptionist or HR for their names, then {add}"


def _short(text: str | None, width: int) -> str:
    """`text` in exactly `width` columns, cut with an ellipsis when longer."""
    text = " ".join((text or "-").split())
    return (text if len(text) <= width else text[:width - 1] + "…").ljust(width)


def _removed(data: dict[str, Any]) -> list[str]:
    """One line per account that is in the state but not in the config any more."""
    gone = sorted({a["name"] for a in data["accounts"] if not a["configured"]})
    lines = []
    for name in gone:
        drafts = [d for d in data["drafts"] if d["account"] == name]
        waiting = sum(1 for d in drafts if d["state"] == DraftState.DRAFTED.value)
        interviews = sum(1 for i in data["interviews"] if i["account"] == name)
        lines.append(f"  {name}: {interviews} interview(s), {len(drafts)} draft(s)"
                     f" ({waiting} still in its Drafts folder); not watched, no reminders")
    if lines:
        return ["", "Not in the config any more", *lines]
    return []
