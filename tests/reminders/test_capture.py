"""The nudges around an interview: pure functions of the state and an injected clock."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from afterword.daemon.config import CaptureConfig, DraftsConfig, QuietHours
from afterword.daemon.model import Interview, Interviewer, InterviewStatus
from afterword.daemon.reminders import capture
from afterword.daemon.reminders.policy import Kind

BERLIN = ZoneInfo("Europe/Berlin")
QUIET = QuietHours(time(21, 0), time(8, 0))
ON = CaptureConfig()
DRAFTS = DraftsConfig(delay=timedelta(minutes=30))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A Berlin wall-clock moment in March 2026."""
    return datetime(2026, 3, day, hour, minute, tzinfo=BERLIN)


def interview(start: datetime, status: InterviewStatus = InterviewStatus.READY,
              **changes: object) -> Interview:
    people = () if status is InterviewStatus.NAMES_NEEDED else (
        Interviewer("Jane Doe", "jane@acme.com", "Jane", "Doe"),
        Interviewer("Bob Roe", "bob@acme.com", "Bob", "Roe"))
    base: dict[str, object] = dict(
        account="a", event_id="ev1", title="Acme - Senior Data Engineer - Onsite",
        start=start, end=start + timedelta(hours=1), interviewers=people, status=status,
        company="Acme", role="Senior Data Engineer")
    base.update(changes)
    return Interview(**base)  # type: ignore[arg-type]


def pending(interviews: list[Interview], now: datetime, sent: frozenset[tuple[str, str, str]]
            = frozenset(), config: CaptureConfig = ON) -> list[capture.Nudge]:
    return capture.pending(interviews, sent, config, QUIET, BERLIN, now)


def test_the_end_nudge_is_due_at_the_end_not_at_end_plus_delay() -> None:
    ready = interview(at(2, 13))
    nudges = pending([ready], now=at(2, 13, 30))
    assert [(n.kind, n.at) for n in nudges] == [(Kind.ENDED, at(2, 14))]
    assert capture.due(nudges, at(2, 13, 59)) == []
    assert capture.due(nudges, at(2, 14)) == nudges
    assert capture.earliest(nudges) == at(2, 14)


def test_names_needed_get_a_start_nudge_until_the_interview_ends() -> None:
    unnamed = interview(at(2, 13), InterviewStatus.NAMES_NEEDED)
    assert {(n.kind, n.at) for n in pending([unnamed], at(2, 12))} == {
        (Kind.STARTS, at(2, 13)), (Kind.ENDED, at(2, 14))}
    # Seen only after it ended: no "starts now", only the end nudge.
    assert [n.kind for n in pending([unnamed], at(2, 14, 5))] == [Kind.ENDED]


def test_each_nudge_once_and_not_after_it_went_stale() -> None:
    ready = interview(at(2, 13))
    assert pending([ready], at(2, 15), sent=frozenset({("a", "ev1", "interview_ended")})) == []
    assert pending([ready], at(2, 14) + capture.ENDED_FOR + timedelta(minutes=1)) == []
    assert pending([interview(at(2, 13), InterviewStatus.CANCELLED)], at(2, 12)) == []
    assert pending([ready], at(2, 12), config=CaptureConfig(enabled=False)) == []


def test_quiet_hours_only_when_asked() -> None:
    late = interview(at(2, 20, 30))  # ends at 21:30, inside 21:00-08:00
    assert [n.at for n in pending([late], at(2, 20))] == [at(2, 21, 30)]
    asked = CaptureConfig(quiet=True)
    # Deferred to 08:00, still within ENDED_FOR of the end: it comes in the morning.
    assert [n.at for n in pending([late], at(2, 20), config=asked)] == [at(3, 8)]
    assert capture.due(pending([late], at(2, 23), config=asked), at(2, 23)) == []
    # A start nudge that quiet hours would push past the interview's end is dropped.
    night = interview(at(2, 22), InterviewStatus.NAMES_NEEDED)
    assert [n.kind for n in pending([night], at(2, 20), config=asked)] == [Kind.ENDED]


def test_the_end_notice_names_the_job_the_drafting_time_and_the_commands() -> None:
    ready = interview(at(2, 13, 30))
    [nudge] = pending([ready], at(2, 14, 30))
    notice = capture.notice(nudge, "last", DRAFTS, BERLIN, at(2, 14, 30))
    assert notice.title == "Afterword: Acme — Senior Data Engineer just ended"
    assert notice.body.splitlines() == [
        "Who did you meet, and what stood out? Drafts at 15:00.",
        'About one person: `afterword note last "Jane: what you talked about"`',
        'About the whole interview: `afterword note last "what stood out"`',
        'Someone missing: `afterword add-interviewer last "Name <address>"`']
    assert notice.subjects[0].kind is Kind.ENDED
    # Later than "just", with drafts waiting for notes, and named by its id.
    waiting = DraftsConfig(delay=timedelta(minutes=30), wait_for_notes=timedelta(hours=2))
    later = capture.notice(nudge, "ev1", waiting, BERLIN, at(2, 15))
    assert later.title == "Afterword: Acme — Senior Data Engineer ended at 14:30"
    assert later.body.splitlines()[0] == ("Who did you meet, and what stood out? Drafts as "
                                          "soon as you add a note (from 15:00), else at 16:30.")
    assert 'afterword note ev1 "Jane:' in later.body


def test_the_start_notice_asks_for_names_and_untrusted_titles_stay_one_line() -> None:
    unnamed = interview(at(2, 13), InterviewStatus.NAMES_NEEDED, company="", role="",
                        title='Onsite `rm -rf` "interview"\nBcc: x@evil.example')
    nudge = next(n for n in pending([unnamed], at(2, 13)) if n.kind is Kind.STARTS)
    notice = capture.notice(nudge, "ev1", DRAFTS, BERLIN, at(2, 13))
    assert notice.title == "Afterword: Onsite 'rm -rf' 'interview' Bcc: x@evil.example starts now"
    assert "write down every interviewer's name before you leave" in notice.body
    assert "\n" not in notice.title
