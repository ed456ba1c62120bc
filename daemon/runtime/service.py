"""`afterword run`: the long-running service.

An APScheduler BlockingScheduler runs, all in one worker thread under one lock (so the
state database sees one writer at a time):

- `poll:ACCOUNT` every `daemon.poll_interval` (with jitter; the first at start): sync,
  draft what is due, track what was sent;
- `draft:ACCOUNT:EVENT` at exactly end + `drafts.delay` of every known interview (end +
  `drafts.wait_for_notes` while its notes are awaited): the same pass for that account,
  so a draft appears on time whatever the poll interval;
- `remind` at the moment the reminder policy says the next reminder is due; it writes
  the digest's history and hands the digest to the `Outbox`, whose own thread delivers
  it, so no channel (a hung command, a trickling webhook) ever delays a draft or a stop;
- `capture` at the next nudge around an interview: names at its start (when none is
  known), notes at its end.

A heartbeat in its own thread pings the systemd watchdog and notices wall-clock jumps
(the scheduler waits on a monotonic clock that stops while a laptop sleeps) to catch up.
Jobs are rebuilt from the state database at start, after each pass and on SIGHUP.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from afterword.daemon import config as config_module
from afterword.daemon.config import Config
from afterword.daemon.errors import AfterwordError, ConfigError, one_line
from afterword.daemon.model import FAR
from afterword.daemon.reminders import policy, sending
from afterword.daemon.reminders.channels import Outbox
from afterword.daemon.runtime import journal, paths
from afterword.daemon.runtime.app import utc_now
from afterword.daemon.runtime.cycle import Cycle
from afterword.daemon.runtime.lock import StateLock
from afterword.daemon.runtime.sdnotify import sd_notify, watchdog_interval
from afterword.daemon.runtime.secrets import open_secrets
from afterword.daemon.runtime.store import Store

log = logging.getLogger("afterword.service")

JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
HEARTBEAT = 30.0  # seconds; at most half the systemd watchdog timeout
CLOCK_JUMP = 30.0  # seconds of wall-clock time the monotonic clock did not see
STUCK = 15 * 60.0  # a job running this long is hung: stop feeding the watchdog


def clock_jump(wall_before: float, mono_before: float, wall_now: float,
               mono_now: float) -> float:
    """Seconds the wall clock moved beyond the monotonic clock (suspend, clock change)."""
    return (wall_now - wall_before) - (mono_now - mono_before)


def poll_jitter(interval: timedelta) -> float:
    """Up to a tenth of the interval, at most 30 s: spreads requests, never delays much."""
    return min(interval.total_seconds() / 10, 30.0)


def _one_line(err: Exception) -> str:
    if isinstance(err, ConfigError):
        head = f"{err.source}: " if err.source else ""
        return head + "; ".join(err.problems)
    return one_line(err, 1000)


class Service:
    """The daemon: config, state, scheduler and signals."""

    def __init__(self, config: Config, config_path: Path,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self.config_path = config_path
        self.clock = clock
        self.lock = threading.RLock()  # one writer at a time: every job holds it
        self.stopping = threading.Event()
        # Held until the process exits: a second daemon or `run --once` is refused.
        self.state_lock = StateLock(paths.state_dir()).acquire()
        self.store = Store(paths.state_dir() / "state.db")
        self.secrets = open_secrets(config.secrets.backend, paths.state_dir())
        self.cycle = self._new_cycle(config)
        self.heartbeat_every = min(HEARTBEAT, watchdog_interval() or HEARTBEAT)
        self.scheduler = BlockingScheduler(
            timezone=UTC,
            job_defaults=JOB_DEFAULTS,
            executors={"default": ThreadPoolExecutor(1), "heartbeat": ThreadPoolExecutor(1)},
        )
        self.outbox = Outbox()
        self._wall, self._mono = time.time(), time.monotonic()
        self._busy_since: float | None = None  # monotonic start of the running job

    def _new_cycle(self, config: Config) -> Cycle:
        cycle = Cycle(config, self.store, self.secrets, self.clock)
        cycle.should_stop = self.stopping.is_set
        return cycle

    # -- life cycle -------------------------------------------------------------------

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; returns the exit status (0 after a clean stop)."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)
        log.info("afterword starting: %d account(s), polling every %ss",
                 len(self.config.accounts), int(self.config.daemon.poll_interval.total_seconds()))
        with self.lock:
            self._add_poll_jobs(self.clock())
            self._reschedule()
        self.scheduler.add_job(self._heartbeat, IntervalTrigger(seconds=self.heartbeat_every),
                               id="heartbeat", executor="heartbeat")
        sd_notify("READY=1\nSTATUS=watching calendars")
        log.info("ready: %d job(s) scheduled", len(self.scheduler.get_jobs()))
        if not self.stopping.is_set():
            self.scheduler.start()
        self.outbox.stop()
        with self.lock:  # waits for the job in progress to finish its write
            self.store.close()
        log.info("stopped")
        return 0

    def _on_stop(self, signum: int, _frame: FrameType | None) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        # The scheduler and logging take locks: never from inside a signal handler.
        threading.Thread(target=self._shutdown_scheduler, args=(signal.Signals(signum).name,),
                         daemon=True).start()

    def _shutdown_scheduler(self, signame: str) -> None:
        sd_notify("STOPPING=1")
        log.info("stopping on %s: finishing the current step", signame)
        self.outbox.stop(wait=0)  # a channel in progress is cut short, never waited for
        # A signal between run()'s check and the scheduler's start: wait for it to run.
        for _ in range(100):
            if self.scheduler.state != STATE_STOPPED:
                self.scheduler.shutdown(wait=False)
                return
            time.sleep(0.05)

    def _on_reload(self, _signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=self._add, args=(self._reload, "reload"), daemon=True).start()

    def _add(self, func: Callable[[], None], job_id: str, **trigger: Any) -> None:
        if self.stopping.is_set():
            return
        self.scheduler.add_job(func, trigger.pop("trigger", None), id=job_id,
                               replace_existing=True, **trigger)

    # -- jobs -------------------------------------------------------------------------

    def _guarded(self, what: str, step: Callable[[], object]) -> None:
        """Run one step under the lock; an unexpected error is one log line, not a crash."""
        with self.lock:
            if self.stopping.is_set():
                return
            self._busy_since = time.monotonic()
            try:
                step()
            except AfterwordError as err:  # already one line for the user (a full disk)
                log.error("%s failed: %s", what, _one_line(err))
            except Exception as err:
                log.error("%s failed: %s: %s", what, type(err).__name__, _one_line(err))
            finally:
                self._busy_since = None

    def _poll(self, account_name: str) -> None:
        self._guarded(f"poll of account {account_name}", lambda: self._pass(account_name))

    def _draft_due(self, account_name: str, event_id: str) -> None:
        def step() -> None:
            log.info("account %s: interview %s is due: checking it and drafting",
                     account_name, event_id)
            self._pass(account_name)
        self._guarded(f"drafting interview {event_id}", step)

    def _pass(self, account_name: str) -> None:
        account = next((a for a in self.config.accounts if a.name == account_name), None)
        if account is None:
            return  # removed from the config by a reload
        report = self.cycle.run_account(account)
        log.debug("account %s: pass done (%d drafted, %d closed, %d error(s))", account_name,
                  len(report.drafted), len(report.closed), len(report.errors))
        self._reschedule()
        self._send_reminders(fresh=account_name)

    def _remind(self) -> None:
        self._guarded("reminders", self._send_reminders)

    def _capture(self) -> None:
        def step() -> None:
            now = self.clock()
            channels = self.config.reminders.channels
            sending.send_nudges(self.config, self.store, now,
                                send=lambda notice: self.outbox.submit(channels, notice))
            self._schedule_capture(now)
        self._guarded("the notice around an interview", step)

    def _send_reminders(self, fresh: str | None = None) -> None:
        """Send what is due; the mailboxes of the drafts in it are checked first (except
        `fresh`, just checked by its poll), so a note sent since then is not reminded."""
        def refresh(accounts: set[str]) -> None:
            for account in self.config.accounts:
                if account.name in accounts and account.name != fresh \
                        and not self.store.account(account.name).needs_reauth:
                    report = self.cycle.track_account(account)
                    if report.closed:
                        log.info("account %s: checked before reminding: %d draft(s) closed",
                                 account.name, len(report.closed))

        now = self.clock()
        channels = self.config.reminders.channels
        sending.send_due(self.config, self.store, now, refresh,
                         send=lambda notice: self.outbox.submit(channels, notice))
        self._schedule_reminder(now)

    def _reload(self) -> None:
        def step() -> None:
            log.info("SIGHUP: reloading the config")
            try:
                new = config_module.load(self.config_path)
            except ConfigError as err:
                log.error("config reload failed, keeping the old config: %s", _one_line(err))
                return
            if new.secrets.backend != self.config.secrets.backend:
                self.secrets = open_secrets(new.secrets.backend, paths.state_dir())
            self.config = new
            self.cycle = self._new_cycle(new)
            journal.set_level(new.daemon.log_level)
            for job in self.scheduler.get_jobs():
                if job.id.startswith("poll:"):
                    job.remove()
            self._add_poll_jobs(self.clock())
            self._reschedule()
            log.info("config reloaded: %d account(s)", len(new.accounts))
        self._guarded("config reload", step)

    def _heartbeat(self) -> None:
        """Watchdog ping, and a catch-up when the wall clock jumped (laptop resumed)."""
        try:
            self._beat()
        except Exception as err:  # one line, and the next beat tries again
            log.error("heartbeat failed: %s: %s", type(err).__name__, _one_line(err))

    def _beat(self) -> None:
        wall, mono = time.time(), time.monotonic()
        busy = self._busy_since
        if busy is not None and mono - busy > STUCK:
            # No ping: systemd's watchdog restarts a daemon whose worker is hung.
            log.error("a job has been running for %ds: it looks stuck", int(mono - busy))
        else:
            sd_notify("WATCHDOG=1")
        jump = clock_jump(self._wall, self._mono, wall, mono)
        self._wall, self._mono = wall, mono
        if abs(jump) <= CLOCK_JUMP:
            return
        # round, not int: a jump of 7199.9996 s is "+7200s", as the user experienced it.
        log.warning("wall clock jumped by %+ds (suspend or clock change): catching up",
                    round(jump))
        now = self.clock()
        for job in self.scheduler.get_jobs():
            if job.id.startswith("poll:"):
                try:
                    job.modify(next_run_time=now)
                except LookupError:
                    continue  # removed by a reload meanwhile
        if self.scheduler.state != STATE_STOPPED:
            self.scheduler.wakeup()

    # -- building the schedule from the state -----------------------------------------

    def _add_poll_jobs(self, now: datetime) -> None:
        interval = self.config.daemon.poll_interval
        for account in self.config.accounts:
            self.scheduler.add_job(
                self._poll, IntervalTrigger(seconds=interval.total_seconds(),
                                            jitter=poll_jitter(interval)),
                args=(account.name,), id=f"poll:{account.name}", replace_existing=True,
                next_run_time=now)

    def _reschedule(self) -> None:
        """One date job per interview whose drafts are still to come; stale ones removed."""
        now = self.clock()
        wanted: dict[str, tuple[str, str, datetime]] = {}
        configured = {a.name for a in self.config.accounts}
        # Names-needed interviews too: the re-check may find the interviewers added.
        drafts = self.config.drafts
        for interview in self.store.awaiting_drafts(now - drafts.longest_wait):
            # Waiting for notes: at end + the wait, unless they came; notes that come
            # after end + delay are drafted by the poll that sees them.
            when = drafts.due_at(interview.end, interview.has_notes)
            if interview.account in configured and now < when < FAR:
                wanted[f"draft:{interview.account}:{interview.event_id}"] = (
                    interview.account, interview.event_id, when)
        for job in self.scheduler.get_jobs():
            if job.id.startswith("draft:") and job.id not in wanted:
                job.remove()
        for job_id, (account, event_id, when) in wanted.items():
            job = self.scheduler.get_job(job_id)
            if job is not None and job.next_run_time == when:
                continue
            self.scheduler.add_job(self._draft_due, DateTrigger(run_date=when), id=job_id,
                                   args=(account, event_id), replace_existing=True)
            log.debug("drafts for interview %s scheduled at %s", event_id, when.isoformat())
        self._schedule_reminder(now)
        self._schedule_capture(now)

    def _schedule_capture(self, now: datetime) -> None:
        self._schedule_at("capture", self._capture, sending.next_nudge(self.config, self.store,
                                                                        now), now)

    def _schedule_reminder(self, now: datetime) -> None:
        when = sending.next_due(self.config, self.store, now)
        if when is not None:
            # When it will really go: never in quiet hours (nudges have their own rule).
            when = policy.when_sent(when, now, self.config.reminders.quiet_hours,
                                    self.config.me.timezone)
        self._schedule_at("remind", self._remind, when, now)

    def _schedule_at(self, job_id: str, func: Callable[[], None], when: datetime | None,
                     now: datetime) -> None:
        """The one date job `job_id` at `when` (removed when None)."""
        job = self.scheduler.get_job(job_id)
        if when is None:
            if job is not None:
                job.remove()
            return
        # Never now: what was due was just handled; this avoids a tight loop.
        when = max(when, now + timedelta(seconds=1))
        if job is not None and job.next_run_time == when:
            return
        self.scheduler.add_job(func, DateTrigger(run_date=when), id=job_id,
                               replace_existing=True)
