"""Reminder policy: pure functions of state and an injected clock (no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from afterword.daemon.config import DraftsConfig, QuietHours, RemindersConfig
from afterword.daemon.model import (
    DraftRecord,
    DraftState,
    Interview,
    Interviewer,
    InterviewStatus,
)
from afterword.daemon.reminders import policy
from afterword.daemon.reminders.policy import History, Kind

BERLIN = ZoneInfo("Europe/Berlin")
QUIET = QuietHours(time(21, 0), time(8, 0))
CONFIG = RemindersConfig(after=timedelta(hours=3), every=timedelta(days=1),
                         deadline=timedelta(hours=48), quiet_hours=QUIET)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A Berlin wall-clock moment in March 2026 (UTC+1)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=BERLIN)


INTERVIEW = Interview(account="a", event_id="ev1", title="Onsite interview — Acme",
                      start=at(2, 10), end=at(2, 11),
                      interviewers=(Interviewer("Jane Doe", "jane@acme.com"),),
                      status=InterviewStatus.READY)


def draft(**changes: object) -> DraftRecord:
    base = dict(key="k1", account="a", event_id="ev1", recipient="jane@acme.com",
                recipient_name="Jane Doe", state=DraftState.DRAFTED, provider_id="p",
                created_at=at(2, 11, 30))
    base.update(changes)
    return DraftRecord(**base)  # type: ignore[arg-type]


def simulate(record: DraftRecord, until: datetime, config: RemindersConfig = CONFIG,
             step: timedelta = timedelta(minutes=5)) -> list[datetime]:
    """Walk a clock forward, 'sending' whatever is due; returns when reminders went out."""
    sent: list[datetime] = []
    now = record.created_at or until
    while now <= until:
        subject = policy.draft_subject(record, INTERVIEW, config, BERLIN)
        if subject and policy.due([subject], now, config.quiet_hours, BERLIN):
            sent.append(now)
            record = draft(**{**record.__dict__, "last_reminded_at": now,
                              "reminders_sent": record.reminders_sent + 1})
        now += step
    return sent


def test_first_after_then_every_then_last_at_deadline_then_silence() -> None:
    sent = simulate(draft(), until=at(9, 12))
    # 11:30 + 3h; then a day later; then the deadline (end 11:00 + 48h); then nothing.
    assert sent == [at(2, 14, 30), at(3, 14, 30), at(4, 11, 0)]


def test_never_in_quiet_hours_over_midnight() -> None:
    late = draft(created_at=at(2, 19, 30))  # first reminder would be 22:30
    sent = simulate(late, until=at(6, 12))
    assert sent[0] == at(3, 8, 0)
    for moment in sent:
        assert not policy.in_quiet_hours(moment, QUIET, BERLIN)


def test_quiet_hours_follow_the_users_zone_not_utc() -> None:
    assert policy.in_quiet_hours(datetime(2026, 3, 2, 20, 30, tzinfo=UTC), QUIET, BERLIN)
    assert not policy.in_quiet_hours(datetime(2026, 3, 2, 19, 30, tzinfo=UTC), QUIET,
                                        BERLIN)
    assert policy.in_quiet_hours(at(3, 7, 59), QUIET, BERLIN)
    assert not policy.in_quiet_hours(at(3, 8, 0), QUIET, BERLIN)
    same_day = QuietHours(time(12, 0), time(14, 0))
    assert policy.in_quiet_hours(at(3, 13), same_day, BERLIN)
    assert not policy.in_quiet_hours(at(3, 15), same_day, BERLIN)
    assert not policy.in_quiet_hours(at(3, 23), None, BERLIN)


def test_deadline_in_quiet_hours_comes_the_evening_before_never_after() -> None:
    evening = Interview(**{**INTERVIEW.__dict__, "end": at(2, 22, 0)})
    record = draft(created_at=at(3, 8, 0), last_reminded_at=at(3, 11, 0), reminders_sent=1)
    subject = policy.draft_subject(record, evening, CONFIG, BERLIN)
    assert subject is not None
    assert policy.next_reminder(subject.schedule, subject.history, QUIET, BERLIN) \
        == at(4, 11, 0)
    after = draft(**{**record.__dict__, "last_reminded_at": at(4, 11, 0), "reminders_sent": 2})
    subject = policy.draft_subject(after, evening, CONFIG, BERLIN)
    assert subject is not None
    # The deadline (22:00 on the 4th) is quiet: the last one just before 21:00 that day.
    assert policy.next_reminder(subject.schedule, subject.history, QUIET, BERLIN) \
        == at(4, 20, 59)
    final = draft(**{**after.__dict__, "last_reminded_at": at(4, 20, 59), "reminders_sent": 3})
    subject = policy.draft_subject(final, evening, CONFIG, BERLIN)
    assert subject is not None
    assert policy.next_reminder(subject.schedule, subject.history, QUIET, BERLIN) is None


def test_new_york_evening_interview_last_reminder_lands_before_the_deadline() -> None:
    new_york = ZoneInfo("America/New_York")
    # Monday 2026-03-02 22:00 New York; drafted 22:30; deadline Wednesday 22:00.
    end = datetime(2026, 3, 2, 22, 0, tzinfo=new_york)
    interview = Interview(**{**INTERVIEW.__dict__, "start": end - timedelta(hours=1),
                             "end": end})
    record = draft(created_at=end + timedelta(minutes=30))
    sent: list[datetime] = []
    now = end + timedelta(minutes=30)
    while now < end + timedelta(days=5):
        subject = policy.draft_subject(record, interview, CONFIG, new_york)
        if subject and policy.due([subject], now, QUIET, new_york):
            sent.append(now)
            record = draft(**{**record.__dict__, "last_reminded_at": now,
                              "reminders_sent": record.reminders_sent + 1})
        now += timedelta(minutes=1)
    local = [m.astimezone(new_york).strftime("%a %H:%M") for m in sent]
    assert local == ["Tue 08:00", "Wed 08:00", "Wed 20:59"]
    assert all(m <= end + CONFIG.deadline for m in sent)


def test_a_deadline_missed_while_the_daemon_was_off_is_not_reminded_late() -> None:
    record = draft(last_reminded_at=at(3, 14, 30), reminders_sent=2)
    subject = policy.draft_subject(record, INTERVIEW, CONFIG, BERLIN)
    assert subject is not None
    # The last one is due at the deadline (4th 11:00); a few minutes late is still fine,
    assert policy.due([subject], at(4, 11, 10), QUIET, BERLIN) == [subject]
    # but after the laptop slept through it, nothing: it would come after the deadline.
    assert policy.due([subject], at(4, 13, 0), QUIET, BERLIN) == []
    # ... and none is planned either (the scheduler would otherwise wake every second).
    assert policy.earliest([subject], at(4, 13, 0), QUIET, BERLIN) is None


def test_draft_made_after_the_deadline_gets_one_reminder_at_once() -> None:
    # Silence would leave it unsent for good (issue 13): one reminder, then none.
    record = draft(created_at=at(6, 9, 0))
    assert simulate(record, until=at(12, 9)) == [at(6, 9, 0)]
    # Made in quiet hours: the one reminder comes when they end.
    record = draft(created_at=at(6, 23, 0))
    assert simulate(record, until=at(12, 9)) == [at(7, 8, 0)]


def test_first_reminder_past_the_deadline_comes_at_the_deadline() -> None:
    # Drafted 1 h before the deadline, `after` is 3 h: the deadline itself is the one.
    record = draft(created_at=at(4, 10, 0))
    assert simulate(record, until=at(9, 9)) == [at(4, 11, 0)]


def test_sent_discarded_gone_dismissed_drafts_are_never_reminded() -> None:
    for state in (DraftState.SENT, DraftState.DISCARDED, DraftState.GONE,
                  DraftState.DISMISSED, DraftState.PLANNED, DraftState.FAILED):
        assert policy.draft_subject(draft(state=state), INTERVIEW, CONFIG, BERLIN) is None


def test_snooze_delays_the_next_reminder() -> None:
    record = draft(snoozed_until=at(2, 18, 0))
    assert simulate(record, until=at(2, 23))[0] == at(2, 18, 0)
    # A snooze past the deadline: nothing after the deadline, ever.
    record = draft(last_reminded_at=at(2, 14, 30), reminders_sent=1, snoozed_until=at(5, 9))
    assert simulate(record, until=at(9, 9)) == []


def test_several_due_drafts_become_one_digest() -> None:
    subjects = [s for s in (
        policy.draft_subject(draft(key="k1"), INTERVIEW, CONFIG, BERLIN),
        policy.draft_subject(draft(key="k2", recipient_name="Bob Roe"), INTERVIEW, CONFIG,
                                BERLIN),
        policy.draft_subject(draft(key="k3", created_at=at(2, 16)), INTERVIEW, CONFIG,
                                BERLIN),
    ) if s is not None]
    due = policy.due(subjects, at(2, 15), QUIET, BERLIN)
    assert [s.key for s in due] == ["k1", "k2"]
    notice = policy.digest(due, BERLIN)
    assert notice.title == "Afterword: 2 thank-you notes are waiting in Drafts"
    assert "• Jane Doe — Onsite interview — Acme (Mon 02 Mar 10:00) (send by Wed 04 Mar 11:00)" \
        in notice.body
    assert "• Bob Roe" in notice.body
    assert "afterword done KEY" in notice.body and "k1, k2" in notice.body
    assert policy.earliest(subjects, at(2, 12), QUIET, BERLIN) == at(2, 14, 30)


def test_names_needed_reminds_from_when_drafts_were_due_until_the_deadline() -> None:
    nameless = Interview(**{**INTERVIEW.__dict__, "interviewers": (),
                            "status": InterviewStatus.NAMES_NEEDED})
    drafts = DraftsConfig(delay=timedelta(minutes=30))
    subject = policy.names_subject(nameless, History(), drafts, CONFIG, BERLIN)
    assert subject is not None and subject.kind is Kind.NAMES
    assert policy.next_reminder(subject.schedule, subject.history, QUIET, BERLIN) \
        == at(2, 11, 30)
    text = policy.digest([subject], BERLIN).body
    assert "ask the receptionist or HR for their names" in text
    assert "afterword add-interviewer ev1" in text
    done = policy.names_subject(nameless, History(dismissed=True), drafts, CONFIG, BERLIN)
    assert done is not None
    assert policy.next_reminder(done.schedule, done.history, QUIET, BERLIN) is None
    assert policy.names_subject(INTERVIEW, History(), drafts, CONFIG, BERLIN) is None


def test_reauth_reminds_with_the_exact_command_until_fixed() -> None:
    subject = policy.reauth_subject("work", at(2, 9), History(at(2, 9, 1), 1), CONFIG)
    assert policy.next_reminder(subject.schedule, subject.history, QUIET, BERLIN) \
        == at(3, 9, 1)
    notice = policy.digest([subject], BERLIN)
    assert notice.title == "Afterword: sign in again"
    assert "run `afterword auth work`" in notice.body
    far = History(at(20, 9), 19)
    assert policy.next_reminder(subject.schedule, far, QUIET, BERLIN) == at(21, 9)


def test_first_reminders_a_moment_apart_share_one_digest() -> None:
    first = policy.draft_subject(draft(key="k1"), INTERVIEW, CONFIG, BERLIN)
    second = policy.draft_subject(draft(key="k2", created_at=at(2, 11, 35)), INTERVIEW,
                                     CONFIG, BERLIN)
    later = policy.draft_subject(draft(key="k3", created_at=at(2, 12, 30)), INTERVIEW,
                                    CONFIG, BERLIN)
    subjects = [s for s in (first, second, later) if s is not None]
    window = policy.group_window(CONFIG)
    assert window == timedelta(minutes=10)
    assert policy.due(subjects, at(2, 14, 29), QUIET, BERLIN, window) == []
    assert [s.key for s in policy.due(subjects, at(2, 14, 30), QUIET, BERLIN, window)] \
        == ["k1", "k2"]
