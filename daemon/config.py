"""The TOML config file → frozen dataclasses, with every problem reported at once.

Each section is read by a `_Table` that remembers which keys it was asked for, so an
unknown key is reported with a "did you mean" taken from the keys that section knows.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta, tzinfo
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from afterword.daemon.durations import parse_duration
from afterword.daemon.email_address import valid_address
from afterword.daemon.errors import ConfigError
from afterword.daemon.runtime import paths

T = TypeVar("T")

PROVIDERS = ("google", "microsoft", "local")
SECRETS_BACKENDS = ("keyring", "file")
CHANNEL_TYPES = ("desktop", "webhook", "command")
WEBHOOK_FORMATS = ("json", "ntfy")


def _default_format(url: str) -> str:
    """ntfy for a URL on an ntfy host (ntfy.sh, ntfy.example.org), else our JSON."""
    return "ntfy" if "ntfy" in (urlsplit(url).hostname or "") else "json"


def _last_segment(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
_ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Me:
    """The user: never an interviewer, always the signature."""

    name: str
    emails: tuple[str, ...]
    timezone: tzinfo
    timezone_name: str
    signature: str = ""
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountConfig:
    """One calendar + mailbox pair; which fields apply depends on the provider."""

    name: str
    provider: str
    address: str = ""  # the account's own address, when the provider cannot tell us
    # google
    calendars: tuple[str, ...] = ("primary",)
    client_secrets: Path | None = None
    endpoint: str = "https://www.googleapis.com/"
    track_sent: bool = False
    timeout: timedelta = timedelta(seconds=60)  # per request, before it counts as failed
    # microsoft
    client_id: str = ""
    authority: str = "https://login.microsoftonline.com/common"
    graph_endpoint: str = "https://graph.microsoft.com/v1.0"
    flag_drafts: bool = False
    # local
    calendar: Path | None = None
    maildir: Path | None = None


# Which account keys each provider accepts (beyond name, provider, address).
PROVIDER_KEYS: dict[str, tuple[str, ...]] = {
    "google": ("calendars", "client_secrets", "endpoint", "track_sent", "timeout"),
    "microsoft": ("client_id", "authority", "graph_endpoint", "calendars", "flag_drafts",
                  "timeout"),
    "local": ("calendar", "maildir"),
}


@dataclass(frozen=True)
class DetectConfig:
    """How an event is recognised as an interview."""

    keywords: tuple[str, ...] = ("interview", "onsite", "on-site", "phone screen",
                                 "technical screen", "recruiter screen", "screening call",
                                 "final round")
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
    template: str = "thank-you"
    templates_dir: Path | None = None
    vars: Mapping[str, str] = field(default_factory=dict)
    rules: tuple[DraftRule, ...] = ()


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
    daemon: DaemonConfig = DaemonConfig()
    secrets: SecretsConfig = SecretsConfig()
    path: Path | None = None

    def account(self, name: str) -> AccountConfig:
        """The account called `name`; ConfigError (with a suggestion) when there is none."""
        for account in self.accounts:
            if account.name == name:
                return account
        names = [a.name for a in self.accounts]
        raise ConfigError([f"no account named '{name}'{_suggest(name, names)}"])


def default_path() -> Path:
    """$XDG_CONFIG_HOME/afterword/config.toml."""
    return paths.config_home() / "afterword" / "config.toml"


def load(path: Path) -> Config:
    """Read and validate the config file; ConfigError lists every problem found."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            ["config file not found (start from config.example.toml, or try `afterword demo`)"],
            source=str(path),
        ) from None
    except OSError as err:
        raise ConfigError([f"cannot read config file: {err.strerror}"], source=str(path)) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(["not UTF-8 text"], source=str(path)) from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([_toml_problem(err)], source=str(path)) from None
    return parse(data, base_dir=path.parent, source=str(path), path=path)


def parse(
    data: Mapping[str, Any], base_dir: Path, source: str = "", path: Path | None = None
) -> Config:
    """Validate already-parsed TOML data (paths resolve against `base_dir`)."""
    problems: list[str] = []
    root = _Table(data, "", problems, base_dir)
    me = _read_me(root.table("me"))
    accounts = tuple(_read_account(t) for t in root.tables("accounts"))
    if not accounts:
        problems.append("accounts: at least one [[accounts]] entry is needed")
    seen: set[str] = set()
    for i, account in enumerate(accounts):
        if account.name and account.name in seen:
            problems.append(f"accounts[{i}].name: duplicate account name '{account.name}'")
        seen.add(account.name)
    config = Config(
        me=me,
        accounts=accounts,
        detect=_read_detect(root.table("detect")),
        recipients=_read_recipients(root.table("recipients")),
        drafts=_read_drafts(root.table("drafts"), seen),
        reminders=_read_reminders(root.table("reminders")),
        daemon=_read_daemon(root.table("daemon")),
        secrets=SecretsConfig(
            backend=root.table("secrets").choice("backend", SECRETS_BACKENDS, "keyring")
        ),
        path=path,
    )
    root.finish()
    if problems:
        raise ConfigError(problems, source=source)
    return config


def _read_me(t: _Table) -> Me:
    name = t.string("name", "")
    emails = tuple(e.lower() for e in t.strings("emails", ()))
    for i, email in enumerate(emails):
        if not valid_address(email):
            t.problem(f"emails[{i}]", f"not an email address: {email!r}")
    tz_name = t.string("timezone", "")
    zone: tzinfo
    if tz_name:
        try:
            zone = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            t.problem("timezone", f"unknown time zone {tz_name!r} (e.g. \"Europe/Berlin\")")
            zone = ZoneInfo("UTC")
    else:
        zone, tz_name = system_timezone()
    me = Me(
        name=name,
        emails=emails,
        timezone=zone,
        timezone_name=tz_name,
        signature=t.string("signature", ""),
        links=t.strings("links", ()),
    )
    t.finish()
    return me


def _read_account(t: _Table) -> AccountConfig:
    name = t.string("name", "", required=True)
    if name and not _ACCOUNT_NAME.match(name):
        t.problem("name", f"{name!r} is not a valid account name (letters, digits, . _ -)")
    provider = t.choice("provider", PROVIDERS, "", required=True)
    values: dict[str, Any] = {"name": name, "provider": provider}
    address = t.string("address", "")
    if address and not valid_address(address):
        t.problem("address", f"not an email address: {address!r}")
    values["address"] = address.lower()
    keys = PROVIDER_KEYS.get(provider, ())
    defaults = AccountConfig(name="", provider="")
    readers: dict[str, Callable[[], Any]] = {
        "calendars": lambda: t.strings("calendars", defaults.calendars) or defaults.calendars,
        "client_secrets": lambda: t.path("client_secrets"),
        "endpoint": lambda: t.url("endpoint", defaults.endpoint, trailing_slash=True),
        "track_sent": lambda: t.boolean("track_sent", False),
        "timeout": lambda: t.duration("timeout", defaults.timeout, timedelta(seconds=1)),
        "client_id": lambda: t.string("client_id", "", required=True),
        "authority": lambda: t.url("authority", defaults.authority, https=True),
        "graph_endpoint": lambda: t.url("graph_endpoint", defaults.graph_endpoint).rstrip("/"),
        "flag_drafts": lambda: t.boolean("flag_drafts", False),
        "calendar": lambda: t.path("calendar", required=True),
        "maildir": lambda: t.path("maildir", required=True),
    }
    for key in keys:
        values[key] = readers[key]()
    if provider == "microsoft" and "calendars" not in t.data:
        values["calendars"] = ()  # the user's default calendar
    t.finish(what=f"a '{provider}' account" if provider else "an account")
    return AccountConfig(**values)


def _read_detect(t: _Table) -> DetectConfig:
    d = DetectConfig()
    patterns = t.strings("patterns", d.patterns)
    for i, pattern in enumerate(patterns):
        _check_regex(t, f"patterns[{i}]", pattern)
    title_patterns = t.strings("title_patterns", d.title_patterns)
    for i, pattern in enumerate(title_patterns):
        compiled = _check_regex(t, f"title_patterns[{i}]", pattern)
        if compiled is not None and not {"company", "role"} & set(compiled.groupindex):
            t.problem(f"title_patterns[{i}]", f"{pattern!r} has no named group "
                      "(?P<company>...) or (?P<role>...)")
    hashtags = tuple(h if h.startswith("#") else f"#{h}"
                     for h in t.strings("hashtags", d.hashtags) if h.strip("# "))
    config = DetectConfig(
        keywords=t.strings("keywords", d.keywords),
        exclude=t.strings("exclude", d.exclude),
        patterns=patterns,
        hashtags=hashtags,
        categories=t.strings("categories", d.categories),
        google_colors=t.strings("google_colors", d.google_colors),
        private_property=t.string("private_property", d.private_property),
        skip_event_types=t.strings("skip_event_types", d.skip_event_types),
        all_day=t.boolean("all_day", d.all_day),
        title_patterns=title_patterns,
    )
    t.finish()
    return config


def _check_regex(t: _Table, key: str, pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error as err:
        t.problem(key, f"bad regular expression {pattern!r}: {err}")
        return None


def _read_recipients(t: _Table) -> RecipientsConfig:
    d = RecipientsConfig()

    def lowered(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(x.strip().lower().lstrip("@") for x in t.strings(key, default) if x.strip())

    config = RecipientsConfig(
        include_organizer=t.boolean("include_organizer", d.include_organizer),
        exclude_domains=lowered("exclude_domains", ()),
        max_per_interview=t.integer("max_per_interview", d.max_per_interview, minimum=1),
        shared_mailboxes=lowered("shared_mailboxes", d.shared_mailboxes),
        group_addresses=lowered("group_addresses", d.group_addresses),
        generic_domains=lowered("generic_domains", d.generic_domains),
        not_people=tuple(p.strip() for p in t.strings("not_people", ()) if p.strip()),
    )
    for i, pattern in enumerate(config.not_people):
        if not pattern.strip("*? "):
            t.problem(f"not_people[{i}]", f"the pattern {pattern!r} would match everyone")
    t.finish()
    return config


def _read_drafts(t: _Table, account_names: set[str]) -> DraftsConfig:
    d = DraftsConfig()
    vars_table = t.table("vars")
    variables = {k: vars_table.string(k, "") for k in list(vars_table.data)}
    vars_table.finish()
    rules = []
    for rt in t.tables("rules"):
        rule = DraftRule(
            template=rt.string("template", "", required=True),
            company=rt.string("company", ""),
            role=rt.string("role", ""),
            account=rt.string("account", ""),
        )
        if rule.account and rule.account not in account_names:
            rt.problem("account", f"no account named '{rule.account}'"
                       f"{_suggest(rule.account, sorted(account_names))}")
        rt.finish()
        rules.append(rule)
    config = DraftsConfig(
        delay=t.duration("delay", d.delay),
        max_age=t.duration("max_age", d.max_age),
        template=t.string("template", d.template),
        templates_dir=t.path("templates_dir"),
        vars=variables,
        rules=tuple(rules),
    )
    t.finish()
    return config


def _read_reminders(t: _Table) -> RemindersConfig:
    d = RemindersConfig()
    quiet: QuietHours | None = d.quiet_hours
    if "quiet_hours" in t.data:
        quiet = _quiet_hours(t, t.string("quiet_hours", ""))
    channels = []
    for ct in t.tables("channels", default=None):
        kind = ct.choice("type", CHANNEL_TYPES, "", required=True)
        url = ct.url("url", "", required=kind == "webhook") if kind == "webhook" else ""
        fmt = ""
        if kind == "webhook":
            fmt = ct.choice("format", WEBHOOK_FORMATS, _default_format(url))
            if fmt == "ntfy" and url and not _last_segment(url):
                ct.problem("url", f"an ntfy URL must end in the topic, e.g. "
                                  f"https://ntfy.sh/my-afterword-topic; got {url!r}")
        command: tuple[str, ...] = ()
        if kind == "command":
            command = ct.strings("command", (), required=True)
            if not command and "command" in ct.data:
                ct.problem("command", "must name a program, e.g. [\"notify-send\", \"Afterword\"]")
        ct.finish(what=f"a '{kind}' channel" if kind else "a channel")
        channels.append(ChannelConfig(type=kind, url=url, command=command,
                                      format=fmt or "json"))
    config = RemindersConfig(
        after=t.duration("after", d.after),
        every=t.duration("every", d.every, minimum=timedelta(seconds=1)),
        deadline=t.duration("deadline", d.deadline),
        quiet_hours=quiet,
        channels=tuple(channels) if "channels" in t.data else d.channels,
    )
    t.finish()
    return config


def _quiet_hours(t: _Table, text: str) -> QuietHours | None:
    if not text:
        return None
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if match:
        h1, m1, h2, m2 = (int(x) for x in match.groups())
        if h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60:
            return QuietHours(time(h1, m1), time(h2, m2))
    t.problem("quiet_hours", f"expected \"HH:MM-HH:MM\" (e.g. \"21:00-08:00\"), got {text!r}")
    return None


def _read_daemon(t: _Table) -> DaemonConfig:
    d = DaemonConfig()
    config = DaemonConfig(
        poll_interval=t.duration("poll_interval", d.poll_interval, minimum=timedelta(seconds=1)),
        lookahead=t.duration("lookahead", d.lookahead),
        log_level=t.choice("log_level", ("debug", "info", "warning", "error"), d.log_level),
    )
    t.finish()
    return config


def system_timezone() -> tuple[tzinfo, str]:
    """The machine's zone: $TZ, /etc/timezone or /etc/localtime; UTC if none is readable."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    with contextlib.suppress(OSError):
        candidates.append(os.readlink("/etc/localtime").split("zoneinfo/", 1)[-1])
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name), name
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC"), "UTC"


def _toml_problem(err: tomllib.TOMLDecodeError) -> str:
    text = str(err)
    match = re.search(r"\(at line (\d+), column (\d+)\)", text)
    if match:
        message = text[: match.start()].strip()
        return f"line {match.group(1)}, column {match.group(2)}: TOML syntax error: {message}"
    return f"TOML syntax error: {text}"


def _suggest(word: str, options: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


_TYPE_NAMES = {str: "a string", bool: "true or false", int: "a whole number", list: "a list",
               dict: "a table"}


class _Table:
    """One TOML table being read; records problems and which keys were consumed."""

    def __init__(self, data: Any, path: str, problems: list[str], base_dir: Path) -> None:
        self.where = path
        self.problems = problems
        self.base_dir = base_dir
        self.known: list[str] = []
        if isinstance(data, Mapping):
            self.data: Mapping[str, Any] = data
        else:
            self.data = {}
            self.problems.append(f"{path}: expected a table")

    def _at(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def problem(self, key: str, message: str) -> None:
        """Record a problem with `key` of this table."""
        self.problems.append(f"{self._at(key)}: {message}")

    def _get(self, key: str, kind: type, default: Any, required: bool) -> Any:
        self.known.append(key)
        if key not in self.data:
            if required:
                self.problem(key, "missing (required)")
            return default
        value = self.data[key]
        if kind is int and isinstance(value, bool):
            value = None  # TOML booleans are ints to Python; not to us
        if not isinstance(value, kind):
            self.problem(key, f"expected {_TYPE_NAMES[kind]}, got {_describe(value)}")
            return default
        return value

    def string(self, key: str, default: str, required: bool = False) -> str:
        """A string value."""
        value = self._get(key, str, default, required)
        if required and key in self.data and isinstance(value, str) and not value.strip():
            self.problem(key, "must not be empty")
        return str(value)

    def boolean(self, key: str, default: bool) -> bool:
        """A boolean value."""
        return bool(self._get(key, bool, default, False))

    def integer(self, key: str, default: int, minimum: int | None = None) -> int:
        """A whole number, optionally with a lower bound."""
        value = int(self._get(key, int, default, False))
        if minimum is not None and value < minimum:
            self.problem(key, f"must be at least {minimum}, got {value}")
            return default
        return value

    def strings(
        self, key: str, default: tuple[str, ...], required: bool = False
    ) -> tuple[str, ...]:
        """A list of strings (a single string is not accepted: it is almost always a slip)."""
        value = self._get(key, list, None, required)
        if value is None:
            return default
        bad = [i for i, item in enumerate(value) if not isinstance(item, str)]
        for i in bad:
            self.problem(f"{key}[{i}]", f"expected a string, got {_describe(value[i])}")
        return tuple(item for item in value if isinstance(item, str))

    def choice(
        self, key: str, options: tuple[str, ...], default: str, required: bool = False
    ) -> str:
        """One of a fixed set of strings; a typo gets a suggestion."""
        value = self._get(key, str, default, required)
        if key in self.data and isinstance(self.data[key], str) and value not in options:
            listing = ", ".join(options)
            self.problem(key, f"unknown {key} {value!r}{_suggest(value, options)}"
                         f" (one of: {listing})")
            return ""
        return str(value)

    def duration(
        self, key: str, default: timedelta, minimum: timedelta | None = None
    ) -> timedelta:
        """A duration string such as "30m"."""
        value = self._get(key, str, None, False)
        if value is None:
            return default
        try:
            parsed = parse_duration(value)
        except ValueError as err:
            self.problem(key, str(err))
            return default
        if minimum is not None and parsed < minimum:
            self.problem(key, f"must be at least {minimum.total_seconds():g}s")
            return default
        return parsed

    def path(self, key: str, required: bool = False) -> Path | None:
        """A filesystem path; `~` and $VARS expand, relative paths start at the config's folder."""
        value = self._get(key, str, None, required)
        if not value:
            if required and key in self.data:
                self.problem(key, "must not be empty")
            return None
        expanded = Path(os.path.expandvars(os.path.expanduser(value)))
        return expanded if expanded.is_absolute() else self.base_dir / expanded

    def url(self, key: str, default: str, required: bool = False, https: bool = False,
            trailing_slash: bool = False) -> str:
        """An http(s) URL."""
        value = str(self._get(key, str, default, required))
        if key in self.data and isinstance(self.data[key], str):
            scheme_ok = value.startswith("https://") or (
                not https and value.startswith("http://"))
            if not scheme_ok or len(value.split("://", 1)[1]) == 0:
                need = "an https:// URL" if https else "an http:// or https:// URL"
                self.problem(key, f"expected {need}, got {value!r}")
                return default
        if trailing_slash and value and not value.endswith("/"):
            value += "/"
        return value

    def table(self, key: str) -> _Table:
        """A sub-table (empty when absent)."""
        value = self._get(key, dict, {}, False)
        return _Table(value, self._at(key), self.problems, self.base_dir)

    def tables(self, key: str, default: Any = None) -> list[_Table]:
        """An array of tables ([[key]])."""
        value = self._get(key, list, [], False)
        result = []
        for i, item in enumerate(value):
            if not isinstance(item, Mapping):
                self.problem(f"{key}[{i}]", f"expected a table, got {_describe(item)}")
                continue
            result.append(_Table(item, f"{self._at(key)}[{i}]", self.problems, self.base_dir))
        return result

    def finish(self, what: str = "") -> None:
        """Report every key nobody asked for, with a suggestion."""
        for key in self.data:
            if key not in self.known:
                where = f" for {what}" if what else ""
                self.problem(key, f"unknown key{where}{_suggest(key, self.known)}")


def _describe(value: Any) -> str:
    for kind, name in _TYPE_NAMES.items():
        if isinstance(value, bool):
            return "true or false"
        if isinstance(value, kind):
            return f"{name} ({value!r})" if kind in (str, int) else name
    return type(value).__name__
