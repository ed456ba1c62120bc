"""Each config section read from its TOML table (every problem recorded, none raised)."""

from __future__ import annotations

import contextlib
import os
import re
from datetime import time, timedelta, tzinfo
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from afterword.daemon.config.sections import (
    AccountConfig,
    CaptureConfig,
    ChannelConfig,
    DaemonConfig,
    DetectConfig,
    DraftRule,
    DraftsConfig,
    LettersConfig,
    Me,
    QuietHours,
    RecipientsConfig,
    RemindersConfig,
    SecretsConfig,
)
from afterword.daemon.config.table import Table, suggest
from afterword.daemon.email_address import valid_address
from afterword.providers import REGISTRY, provider_spec

SECRETS_BACKENDS = ("keyring", "file")
CHANNEL_TYPES = ("desktop", "webhook", "command")
WEBHOOK_FORMATS = ("json", "ntfy")


def _default_format(url: str) -> str:
    """ntfy for a URL on an ntfy host (ntfy.sh, ntfy.example.org), else our JSON."""
    return "ntfy" if "ntfy" in (urlsplit(url).hostname or "") else "json"


def _last_segment(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
_ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")



def read_me(t: Table) -> Me:
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
        postal_address=tuple(line.strip() for line in t.strings("postal_address", ())
                             if line.strip()),
    )
    t.finish()
    return me


def read_account(t: Table) -> AccountConfig:
    name = t.string("name", "", required=True)
    if name and not _ACCOUNT_NAME.match(name):
        t.problem("name", f"{name!r} is not a valid account name (letters, digits, . _ -)")
    provider = t.choice("provider", tuple(REGISTRY), "", required=True)
    address = t.string("address", "")
    if address and not valid_address(address):
        t.problem("address", f"not an email address: {address!r}")
    # The provider reads (and validates) its own keys; unknown ones are reported below.
    options = provider_spec(provider).read_options(t) if provider else None
    t.finish(what=f"a '{provider}' account" if provider else "an account")
    return AccountConfig(name=name, provider=provider, address=address.lower(), options=options)


def read_detect(t: Table) -> DetectConfig:
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


def _check_regex(t: Table, key: str, pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error as err:
        t.problem(key, f"bad regular expression {pattern!r}: {err}")
        return None


def read_recipients(t: Table) -> RecipientsConfig:
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
        ask_for_names=t.boolean("ask_for_names", d.ask_for_names),
    )
    for i, pattern in enumerate(config.not_people):
        if not pattern.strip("*? "):
            t.problem(f"not_people[{i}]", f"the pattern {pattern!r} would match everyone")
    t.finish()
    return config


def read_drafts(t: Table, account_names: set[str]) -> DraftsConfig:
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
                       f"{suggest(rule.account, sorted(account_names))}")
        rt.finish()
        rules.append(rule)
    config = DraftsConfig(
        delay=t.duration("delay", d.delay),
        max_age=t.duration("max_age", d.max_age),
        max_per_day=t.integer("max_per_day", d.max_per_day, minimum=1),
        template=t.string("template", d.template),
        templates_dir=t.path("templates_dir"),
        vars=variables,
        rules=tuple(rules),
        wait_for_notes=t.duration("wait_for_notes", d.wait_for_notes),
    )
    t.finish()
    return config


def read_reminders(t: Table) -> RemindersConfig:
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


def _quiet_hours(t: Table, text: str) -> QuietHours | None:
    if not text:
        return None
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if match:
        h1, m1, h2, m2 = (int(x) for x in match.groups())
        if h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60:
            return QuietHours(time(h1, m1), time(h2, m2))
    t.problem("quiet_hours", f"expected \"HH:MM-HH:MM\" (e.g. \"21:00-08:00\"), got {text!r}")
    return None


def read_capture(t: Table) -> CaptureConfig:
    d = CaptureConfig()
    config = CaptureConfig(enabled=t.boolean("enabled", d.enabled),
                           quiet=t.boolean("quiet", d.quiet))
    t.finish()
    return config


# Territories that print on US Letter (the rest of the world uses A4).
_LETTER_TERRITORIES = ("US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "CR", "PA", "SV",
                       "NI", "DO", "PR")


def default_paper() -> str:
    """"letter" when the locale ($LC_ALL, $LC_PAPER, $LANG) is in a Letter country, else "a4"."""
    for var in ("LC_ALL", "LC_PAPER", "LANG"):
        value = os.environ.get(var, "")
        if value:
            territory = re.match(r"^[a-z]{2,3}_([A-Z]{2})", value)
            return "letter" if territory and territory.group(1) in _LETTER_TERRITORIES else "a4"
    return "a4"


def read_letters(t: Table) -> LettersConfig:
    auto = t.boolean("auto", False)
    folder = t.path("dir")
    if auto and folder is None:
        t.problem("dir", "missing: letters.auto = true needs a folder to write them into")
    config = LettersConfig(paper=t.choice("paper", ("a4", "letter"), default_paper())
                           or default_paper(), auto=auto, dir=folder)
    t.finish()
    return config


def read_secrets(t: Table) -> SecretsConfig:
    config = SecretsConfig(backend=t.choice("backend", SECRETS_BACKENDS, "keyring"))
    t.finish()
    return config


def read_daemon(t: Table) -> DaemonConfig:
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


