"""The validated configuration's sections: frozen dataclasses with the defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from afterword.daemon.config.jobs import Job
from afterword.daemon.config.table import suggest
from afterword.daemon.errors import ConfigError
from afterword.daemon.model import later


@dataclass(frozen=True)
class Me:
    """The user: never an interviewer, always the signature."""

    name: str
    emails: tuple[str, ...]
    timezone: tzinfo
    timezone_name: str
    signature: str = ""
    links: tuple[str, ...] = ()
    postal_address: tuple[str, ...] = ()  # lines, printed on letters


@dataclass(frozen=True)
class AccountConfig:
    """One calendar + mailbox pair: the keys every account has, and its provider's own."""

    name: str
    provider: str
    address: str = ""  # the account's own address, when the provider cannot tell us
    # What the provider's `read_options` made of its own keys (its frozen dataclass).
    options: Any = None


@dataclass(frozen=True)
class DetectConfig:
    """How an event is recognised as an interview."""

    keywords: tuple[str, ...] = ("interview", "onsite", "on-site", "phone screen",
                                 "technical screen", "recruiter screen", "screening call",
                                 "final round",
                                 # The same in the languages job seekers' invites come in.
                                 "vorstellungsgespräch", "bewerbungsgespräch",
                                 "entretien d'embauche", "entrevista", "colloquio",
                                 "sollicitatiegesprek", "rozmowa kwalifikacyjna",
                                 "面接", "面试", "인터뷰")
    exclude: tuple[str, ...] = ("prep", "preparation", "mock", "practice", "debrief",
                                "rehearsal", "interview training", "interviewer training")
    patterns: tuple[str, ...] = ()  # extra regexes on the title
    hashtags: tuple[str, ...] = ("#interview",)  # tags in the description
    categories: tuple[str, ...] = ("Interview",)
    google_colors: tuple[str, ...] = ()
    # A private extended property the user sets (Google extendedProperties.private, Graph
    # single-value extended property): a yes-value marks an interview, a no-value never.
    private_property: str = "afterword"
    skip_event_types: tuple[str, ...] = ("focusTime", "outOfOffice", "workingLocation",
                                         "birthday")
    all_day: bool = False
    # Regexes with named groups `company` and/or `role`, tried on the title before the
    # built-in ones; they say what the interview is for, not whether it is one.
    title_patterns: tuple[str, ...] = ()


# Shared mailboxes that never interviewed anyone (matched on the address's local part).
SHARED_MAILBOXES = (
    "recruiting", "recruiter", "recruiters", "recruitment", "careers", "career", "talent",
    "talentacquisition", "talent-acquisition", "jobs", "job", "hr", "humanresources",
    "hiring", "people", "peopleops", "people-ops", "interviews", "interview", "interviewing",
    "scheduling", "schedule", "candidates", "candidate", "university", "campus", "staffing",
)
# Group, robot and no-reply addresses.
GROUP_ADDRESSES = (
    "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply",
    "calendar", "calendar-notification", "notifications", "notification", "notify",
    "mailer-daemon", "postmaster", "bounce", "bounces", "all", "everyone", "staff",
    "all-hands", "allhands", "team", "announce", "announcements",
)
# Mail providers and scheduling services: never taken as the company's domain.
GENERIC_DOMAINS = (
    "gmail.com", "googlemail.com", "google.com", "outlook.com", "hotmail.com", "live.com",
    "msn.com", "yahoo.com", "ymail.com", "rocketmail.com", "icloud.com", "me.com", "mac.com",
    "aol.com", "proton.me", "protonmail.com", "protonmail.ch", "pm.me", "gmx.com", "gmx.net",
    "gmx.de", "web.de", "mail.com", "yandex.com", "yandex.ru", "zoho.com", "fastmail.com",
    "hey.com", "tutanota.com", "tuta.io", "qq.com", "163.com", "126.com", "naver.com",
    "calendly.com", "greenhouse.io", "lever.co", "ashbyhq.com", "goodtime.io",
    "myworkday.com", "workday.com", "smartrecruiters.com", "icims.com", "zoom.us",
)


@dataclass(frozen=True)
class RecipientsConfig:
    """Who among the attendees gets a note."""

    include_organizer: bool = True
    exclude_domains: tuple[str, ...] = ()
    max_per_interview: int = 8
    # Local parts (or whole addresses) of shared recruiting mailboxes: never a recipient.
    shared_mailboxes: tuple[str, ...] = SHARED_MAILBOXES
    # Local parts (or whole addresses) of group, robot and no-reply addresses.
    group_addresses: tuple[str, ...] = GROUP_ADDRESSES
    # Domains never guessed as the company (mail providers, scheduling tools).
    generic_domains: tuple[str, ...] = GENERIC_DOMAINS
    # The user's own patterns of guests who are not people (rooms, bots, schedulers),
    # added to the packaged list (interviews/data/non_people.toml).
    not_people: tuple[str, ...] = ()
    # Names missing: draft one note asking the organizer (or the job's contact) for them.
    ask_for_names: bool = True


@dataclass(frozen=True)
class DraftRule:
    """Use `template` for interviews matching every given condition."""

    template: str
    company: str = ""
    role: str = ""
    account: str = ""


@dataclass(frozen=True)
class DraftsConfig:
    """When and how drafts are written."""

    delay: timedelta = timedelta(minutes=30)
    max_age: timedelta = timedelta(days=7)
    # At most this many new drafts in any 24 hours; past it Afterword asks first.
    max_per_day: int = 30
    template: str = "thank-you"
    templates_dir: Path | None = None
    vars: Mapping[str, str] = field(default_factory=dict)
    rules: tuple[DraftRule, ...] = ()
    # An interview without notes is drafted at end + this (or as soon as notes come, not
    # before end + delay); 0 (the default) turns waiting off.
    wait_for_notes: timedelta = timedelta(0)

    def due_at(self, end: datetime, noted: bool) -> datetime:
        """When an interview that ended at `end` is drafted: end + delay, or when waiting
        for notes that have not come (`noted` false), end + wait_for_notes."""
        if noted or self.wait_for_notes <= self.delay:
            return later(end, self.delay)
        return later(end, self.wait_for_notes)

    @property
    def longest_wait(self) -> timedelta:
        """The latest an interview is drafted after its end."""
        return max(self.delay, self.wait_for_notes)


@dataclass(frozen=True)
class LettersConfig:
    """Printed letters and handwritten cards (`afterword letter`)."""

    paper: str = "a4"  # "a4" or "letter"; the reader's default follows the locale
    auto: bool = False  # also write them into `dir` when the drafts are made
    dir: Path | None = None


@dataclass(frozen=True)
class ChannelConfig:
    """One way to reach the user with reminders."""

    type: str
    url: str = ""
    command: tuple[str, ...] = ()
    format: str = "json"  # webhook: "json" (our JSON) or "ntfy" (ntfy's JSON publishing)


@dataclass(frozen=True)
class QuietHours:
    """A daily span (possibly over midnight) when no reminder is sent."""

    start: time
    end: time


@dataclass(frozen=True)
class RemindersConfig:
    """How often and until when the user is reminded about unsent drafts."""

    after: timedelta = timedelta(hours=3)
    every: timedelta = timedelta(days=1)
    deadline: timedelta = timedelta(hours=48)
    quiet_hours: QuietHours | None = QuietHours(time(21, 0), time(8, 0))
    channels: tuple[ChannelConfig, ...] = (ChannelConfig(type="desktop"),)


@dataclass(frozen=True)
class CaptureConfig:
    """The nudges around an interview: names at its start, notes at its end."""

    enabled: bool = True
    quiet: bool = False  # true: they respect reminders.quiet_hours too


@dataclass(frozen=True)
class DaemonConfig:
    """The service's rhythm."""

    poll_interval: timedelta = timedelta(minutes=5)
    lookahead: timedelta = timedelta(days=14)  # how far ahead interviews are scheduled
    log_level: str = "info"


@dataclass(frozen=True)
class SecretsConfig:
    """Where credentials live."""

    backend: str = "keyring"


@dataclass(frozen=True)
class Config:
    """The whole, validated configuration."""

    me: Me
    accounts: tuple[AccountConfig, ...]
    detect: DetectConfig = DetectConfig()
    recipients: RecipientsConfig = RecipientsConfig()
    drafts: DraftsConfig = DraftsConfig()
    reminders: RemindersConfig = RemindersConfig()
    capture: CaptureConfig = CaptureConfig()
    daemon: DaemonConfig = DaemonConfig()
    secrets: SecretsConfig = SecretsConfig()
    jobs: tuple[Job, ...] = ()
    letters: LettersConfig = LettersConfig()
    path: Path | None = None

    def account(self, name: str) -> AccountConfig:
        """The account called `name`; ConfigError (with a suggestion) when there is none."""
        for account in self.accounts:
            if account.name == name:
                return account
        names = [a.name for a in self.accounts]
        raise ConfigError([f"no account named '{name}'{suggest(name, names)}"])


