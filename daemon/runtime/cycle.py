"""One pass over every account: sync → plan → draft → track. Orchestration only.

A failing account is recorded and skipped; the others carry on. Each draft's intent is
committed before the provider call, and a draft whose earlier attempt may have reached
the provider is looked up by its key before any retry, so nothing is drafted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from afterword.daemon.config import AccountConfig, Config
from afterword.daemon.drafting.compose import Templates, compose_interview
from afterword.daemon.errors import AfterwordError, AuthExpired, TemplateError, TransientError
from afterword.daemon.interviews.asking import ask_and_job, names_missing
from afterword.daemon.interviews.planning import plan_interview, plannable
from afterword.daemon.letters import auto_letters
from afterword.daemon.model import (
    CalendarEvent,
    DraftKind,
    DraftState,
    Interview,
    TitleFix,
    UserNote,
)
from afterword.daemon.runtime import limits
from afterword.daemon.runtime.collector import collector_paused
from afterword.daemon.runtime.mailbox_cursors import KeptCursors
from afterword.daemon.runtime.store import AccountState, Store
from afterword.providers import open_provider
from afterword.providers.base import (
    CredentialStore,
    DraftRef,
    MailboxState,
    Provider,
    ProviderContext,
    Window,
)

log = logging.getLogger(__name__)

# Events that ended this long before the drafting horizon still enter the window, so a
# long interview is not missed.
_WINDOW_SLACK = timedelta(days=1)


@dataclass
class AccountReport:
    """What one cycle did for one account."""

    name: str
    synced: bool = False
    drafted: list[str] = field(default_factory=list)  # keys
    closed: dict[str, str] = field(default_factory=dict)  # key → new state
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # problems that did not stop the cycle
    needs_reauth: bool = False


@dataclass
class CycleReport:
    """What one cycle did."""

    accounts: list[AccountReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No account failed."""
        return not any(a.errors for a in self.accounts)


class Cycle:
    """Runs cycles for a config against a store; keeps provider objects between cycles."""

    def __init__(
        self,
        config: Config,
        store: Store,
        secrets: CredentialStore,
        clock: Callable[[], datetime],
        provider_extra: Mapping[str, object] | None = None,
    ) -> None:
        self.config = config
        # Test seams handed to every provider (sleepers, timeouts, CA bundles).
        self.provider_extra: Mapping[str, object] = provider_extra or {}
        self.store = store
        self.secrets = secrets
        self.clock = clock
        self.templates = Templates(config.drafts.templates_dir)
        self._providers: dict[str, Provider] = {}
        self.cursors = KeptCursors(store)
        # replan_stored's memo: (account, event id) → (stored row, (hand-added, correction)).
        self._replanned: dict[tuple[str, str], tuple[object, object]] = {}
        self._replanned_for: Config | None = None
        # account → interviews the daily cap held back at its last pass.
        self._held: dict[str, int] = {}
        # The daemon sets this on SIGTERM: stop between interviews, never mid-panel.
        self.should_stop: Callable[[], bool] = lambda: False

    def provider(self, account: AccountConfig) -> Provider:
        """The (cached) provider object of an account."""
        if account.name not in self._providers:
            context = ProviderContext(
                timezone=self.config.me.timezone, my_emails=self.my_emails(account),
                secrets=self.secrets, clock=self.clock, extra=self.provider_extra)
            self._providers[account.name] = open_provider(account, context)
        return self._providers[account.name]

    def my_emails(self, account: AccountConfig) -> tuple[str, ...]:
        """Every address that is the user: me.emails plus the account's own."""
        mine = list(self.config.me.emails)
        if account.address:
            mine.append(account.address)
        return tuple(dict.fromkeys(mine))

    def run(self) -> CycleReport:
        """One full pass over every account."""
        report = CycleReport()
        for account in self.config.accounts:
            report.accounts.append(self.run_account(account))
        return report

    def run_account(self, account: AccountConfig) -> AccountReport:
        """Sync, draft and track one account; its failures are recorded, never raised."""
        report = AccountReport(account.name)
        try:
            provider = self.provider(account)
            report.synced = self._step(
                report, account, lambda: self.sync(account, provider, report))
            if report.synced:
                self._step(report, account, lambda: self.draft_due(account, provider, report))
            if not report.needs_reauth:
                self._step(report, account, lambda: self.track(account, provider, report))
        except AfterwordError as err:
            self._fail(report, account, err)
        except Exception as err:  # one account's bug must not stop the others
            # A defect (in a provider or a client library) that slipped past the error
            # mapping: kept to this account, logged with its traceback for a bug report.
            log.exception("account %s: unexpected error", account.name)
            self._fail(report, account, AfterwordError(
                f"internal error ({type(err).__name__}): please report it with the log"))
        if report.warnings and not report.errors:
            self.store.set_account_error(account.name, "; ".join(report.warnings)[:1000],
                                         self.clock())
        elif not report.errors:
            self.store.clear_account_error(account.name)
        return report

    def track_account(self, account: AccountConfig) -> AccountReport:
        """Only the mailbox check (one request), e.g. just before a reminder goes out."""
        report = AccountReport(account.name)
        try:
            provider = self.provider(account)
            self._step(report, account, lambda: self.track(account, provider, report))
        except AfterwordError as err:
            self._fail(report, account, err)
        return report

    def _step(self, report: AccountReport, account: AccountConfig,
              step: Callable[[], object]) -> bool:
        try:
            step()
            return True
        except AfterwordError as err:
            self._fail(report, account, err)
            return False

    def _fail(self, report: AccountReport, account: AccountConfig, err: AfterwordError) -> None:
        reauth = isinstance(err, AuthExpired)
        message = str(err)
        report.errors.append(message)
        report.needs_reauth = report.needs_reauth or reauth
        self.store.set_account_error(account.name, message, self.clock(), needs_reauth=reauth)
        level = logging.WARNING if isinstance(err, TransientError) else logging.ERROR
        log.log(level, "account %s: %s", account.name, message)

    # -- sync -------------------------------------------------------------------------

    def window(self, now: datetime) -> Window:
        """The span of events that matter now: recent enough to draft, or coming up."""
        drafts = self.config.drafts
        return Window(now - drafts.max_age - drafts.delay - _WINDOW_SLACK,
                      now + self.config.daemon.lookahead)

    def sync(self, account: AccountConfig, provider: Provider,
             report: AccountReport | None = None) -> None:
        """Read the calendar's changes and update the interviews they concern."""
        now = self.clock()
        window = self.window(now)
        state = self.store.account(account.name)
        with collector_paused():
            self._sync_changes(account, provider, window, state, now, report)

    def _sync_changes(self, account: AccountConfig, provider: Provider, window: Window,
                      state: AccountState, now: datetime, report: AccountReport | None) -> None:
        changes = provider.calendar().changes(window, state.cursor)
        events, warnings = plannable(changes.events, changes.warnings)
        undated = {e.id for e in changes.events} - {e.id for e in events}
        # Warnings unchanged since the last cycle stay in `status` but are not logged again.
        for warning in warnings if "; ".join(warnings)[:1000] != state.last_error else []:
            log.warning("account %s: %s", account.name, warning)
        if report is not None:
            report.warnings.extend(warnings)
        with self.store.transaction():
            events, dropped, skips = limits.bounded(self.store, self.config.me.timezone,
                                                    account.name, replace(changes, events=tuple(
                                                        events), warnings=()), now)
            if report is not None:
                report.warnings += skips
            seen = set()
            # Two queries for the whole change set instead of two per event: most events
            # of a busy calendar are not interviews and have nobody added by hand.
            hand_added = self.store.manual_interviewers_of(account.name)
            fixes = self.store.title_fixes_of(account.name)
            noted = self.store.user_notes_of(account.name)
            live = self.store.live_interview_ids(account.name)
            for event in events:
                seen.add(event.id)
                if self.plan_event(account, event, now, hand_added.get(event.id, []),
                                   event.id in live, fixes.get(event.id),
                                   noted.get(event.id, [])):
                    live.add(event.id)  # the same event twice in one change set
                else:
                    live.discard(event.id)
            removed = set(changes.removed) | dropped | undated
            if changes.full:
                known = self.store.interview_ids_between(account.name, window.start, window.end)
                removed |= known - seen
            for event_id in removed - seen:
                if self.store.forget_interview(account.name, event_id, now):
                    log.info("account %s: interview %s was cancelled or removed",
                             account.name, event_id)
            self.replan_stored(account, window, seen | removed, now)
            self.store.set_cursor(account.name, changes.cursor, now)

    def plan_event(self, account: AccountConfig, event: CalendarEvent, now: datetime,
                   manual: list[tuple[str, str]], stored: bool,
                   fix: TitleFix | None = None, notes: list[UserNote] | None = None) -> bool:
        """Detect, extract and store one changed event; True if it is an interview. `manual`,
        `fix`, `notes`: what the user added; `stored`: whether it was live until now."""
        interview = plan_interview(event, self.config, self.my_emails(account), manual,
                                   fix, notes)
        if interview is None:
            if stored:
                self.store.forget_interview(account.name, event.id, now)
            return False
        before = self.store.interview(account.name, event.id)
        self.store.save_interview(interview, event, now)
        if before is None or before.status != interview.status:
            log.info("account %s: interview %s (%s): %s, %d interviewer(s)", account.name,
                     event.id, interview.reason, interview.status.value,
                     len(interview.interviewers))
        return True

    def replan_stored(self, account: AccountConfig, window: Window, skip: set[str],
                      now: datetime) -> None:
        """Re-plan unchanged stored interviews, so a config edit (a higher cap, a new
        excluded domain) takes effect without the event changing. Pure and local: no I/O
        beyond the state database, which is written only when the plan changed."""
        if self._replanned_for is not self.config:
            self._replanned, self._replanned_for = {}, self.config
        rows = self.store.interview_rows_between(account.name, window.start, window.end)
        hand_added = self.store.manual_interviewers_of(account.name)
        fixes = self.store.title_fixes_of(account.name)
        noted = self.store.user_notes_of(account.name)
        for event_id, row in rows.items():
            if event_id in skip:
                continue
            added = (hand_added.get(event_id, []), fixes.get(event_id), noted.get(event_id, []))
            # Planning is pure: the same stored row (event included), people, fix and notes
            # as when this runner last left it, with the same config, plan the same.
            if self._replanned.get((account.name, event_id)) == (row, added):
                continue
            before = self.store.interview(account.name, event_id)
            event = self.store.interview_event(account.name, event_id)
            if before is None or event is None:
                continue
            after = plan_interview(event, self.config, self.my_emails(account), *added)
            if after is None:
                self.store.forget_interview(account.name, event_id, now)
                continue
            if after != before:
                self.store.save_interview(after, event, now)
            self._replanned[(account.name, event_id)] = (
                self.store.interview_row(account.name, event_id), added)

    # -- drafting ---------------------------------------------------------------------

    def draft_due(self, account: AccountConfig, provider: Provider,
                  report: AccountReport) -> None:
        """Draft every interview that ended between drafts.delay and drafts.max_age ago."""
        now, drafts = self.clock(), self.config.drafts
        due = self.store.due_interviews(account.name, ended_before=now - drafts.delay,
                                        ended_after=now - drafts.max_age)
        due, waiting = limits.within_cap(self.store, self.config, due, now)
        if waiting:
            report.warnings.append(limits.held_line(waiting, self.config))
            if self._held.get(account.name) != waiting:  # said when the number changes
                log.warning("account %s: %s", account.name, report.warnings[-1])
        self._held[account.name] = waiting
        for interview in due:
            if self.should_stop():
                return
            if drafts.due_at(interview.end, interview.has_notes) <= now:  # wait_for_notes
                self.draft_interview(account, provider, interview, report)

    def draft_interview(self, account: AccountConfig, provider: Provider, interview: Interview,
                        report: AccountReport) -> None:
        """One draft per interviewer with an address, and the one ask for missing names;
        all rendered before any is written."""
        now = self.clock()
        from_address = provider.address() or (self.config.me.emails or ("",))[0]
        ask = job = None
        if names_missing(interview) and self.config.recipients.ask_for_names:
            # Only then is the stored event read: its organizer is whom to ask.
            event = self.store.interview_event(account.name, interview.event_id)
            ask, job = ask_and_job(event, interview, self.config, self.my_emails(account))
        try:
            composed = compose_interview(self.config, self.templates, account.name, interview,
                                         from_address=from_address, now=now, ask=ask, job=job)
        except TemplateError as err:
            # Never a half-rendered draft, and never a partial panel: skip the interview.
            report.errors.append(f"interview {interview.event_id}: {err}")
            self.store.set_account_error(account.name, str(err), now)
            log.error("account %s: interview %s not drafted: %s", account.name,
                      interview.event_id, err)
            return
        notes = [*composed.drafts, *([composed.ask] if composed.ask else [])]
        mailbox = self.cursors.open(account.name, provider.mailbox(), writing=True)
        for note in notes:
            key = note.key
            record, created = self.store.plan_draft(key, note.name, now)
            if record.state not in (DraftState.PLANNED, DraftState.FAILED):
                continue
            if not created:
                # An earlier attempt may have reached the mailbox: look before writing.
                found = mailbox.find_draft(key.id)
                if found is not None:
                    self.store.record_drafted(key.id, found.provider_id, found.thread_id, now,
                                              found.version)
                    log.info("account %s: found draft %s from an earlier attempt",
                             account.name, key.id)
                    continue
            try:
                ref = mailbox.create_draft(
                    key.id, note.message,
                    send_by=interview.end + self.config.reminders.deadline)
            except AuthExpired:
                raise
            except AfterwordError as err:
                self.store.record_failed(key.id, str(err))
                raise
            self.store.record_drafted(key.id, ref.provider_id, ref.thread_id, self.clock(),
                                      ref.version)
            report.drafted.append(key.id)
            log.info("account %s: drafted %s %s for interview %s", account.name,
                     "the ask for names" if key.kind is DraftKind.ASK_NAMES else "note",
                     key.id, interview.event_id)
        if self.config.letters.auto and composed.drafts:
            # The panel's letters too; a failure is said once, and the drafts stand.
            problem = auto_letters(self.config, self.templates, interview, now)
            if problem:
                report.warnings.append(problem)
                log.error("account %s: %s", account.name, problem)
        self.store.mark_interview_drafted(account.name, interview.event_id)

    # -- tracking ---------------------------------------------------------------------

    def track(self, account: AccountConfig, provider: Provider, report: AccountReport) -> None:
        """Ask the mailbox, in one call, which open drafts were sent or discarded.

        Dismissed drafts (`afterword done`) are asked about too, in the same call: a later
        send is still recorded, though nobody is reminded about them.
        """
        open_drafts = self.store.open_draft_refs(account.name, dismissed=True)
        if not open_drafts:
            return
        refs = {key: DraftRef(pid, thread) for key, (pid, thread) in open_drafts.items()}
        statuses = self.cursors.open(account.name, provider.mailbox()).draft_states(refs)
        now = self.clock()
        with self.store.transaction():
            self.cursors.keep(account.name)  # with the states it saw, or neither
            for key, status in statuses.items():
                if status.state is MailboxState.OPEN:
                    if status.ref is not None:
                        self.store.update_provider_ref(key, status.ref.provider_id,
                                                       status.ref.thread_id)
                    continue
                state = DraftState(status.state.value)
                if self.store.close_draft(key, state, now, sent_at=status.sent_at):
                    report.closed[key] = state.value
                    log.info("account %s: draft %s is now %s", account.name, key, state.value)
