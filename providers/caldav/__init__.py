"""provider = "caldav": a CalDAV calendar in, IMAP drafts out (Fastmail, iCloud, Nextcloud,
Proton Bridge, any standard server).

This module is light: the account's keys and the presets. python-caldav and IMAPClient
are imported only when an account opens (`provider.py`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from afterword.providers.base import OptionReader, ProviderSpec


@dataclass(frozen=True)
class Preset:
    """What a known service fills in."""

    caldav_url: str  # "" = the user must give it (Nextcloud, custom) or there is none
    imap_host: str
    imap_port: int = 993
    imap_security: str = "tls"
    has_caldav: bool = True
    hint: str = ""  # said by `check` and config errors: the password the service wants


PRESETS: dict[str, Preset] = {
    "icloud": Preset("https://caldav.icloud.com/", "imap.mail.me.com",
                     hint="an app-specific password (appleid.apple.com → Sign-In and "
                          "Security)"),
    "fastmail": Preset("https://caldav.fastmail.com/", "imap.fastmail.com",
                       hint="an app password (Settings → Privacy & Security)"),
    "nextcloud": Preset("", "", hint="caldav_url is the instance's remote.php/dav; "
                        "imap_host is your mail server (Nextcloud keeps no mail)"),
    # Proton's calendar is not CalDAV: the Bridge serves mail only. Pair it with a local
    # .ics export of the calendar (`calendar` key).
    "proton-bridge": Preset("", "127.0.0.1", 1143, "starttls", has_caldav=False,
                            hint="the Bridge's own password and certificate (ca_file), "
                                 "and a local .ics export as `calendar`: Proton Calendar "
                                 "has no CalDAV"),
    "custom": Preset("", ""),
}
SECURITY = ("tls", "starttls", "none")


@dataclass(frozen=True)
class CalDavOptions:
    """A CalDAV + IMAP account's keys, presets applied."""

    server: str = "custom"
    username: str = ""
    caldav_url: str = ""  # "" with a local `calendar` (Proton Bridge)
    calendar: Path | None = None  # a local .ics file or folder instead of CalDAV
    calendars: tuple[str, ...] = ()  # display names or collection URLs; () = every one
    imap_host: str = ""
    imap_port: int = 993
    imap_security: str = "tls"
    drafts_folder: str = ""  # "" = the \\Drafts folder (RFC 6154)
    sent_folder: str = ""  # "" = the \\Sent folder
    ca_file: Path | None = None  # a CA or the server's own certificate to trust
    timeout: timedelta = timedelta(seconds=60)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_options(t: OptionReader) -> CalDavOptions:
    """The account's keys from its config table, with the preset's defaults."""
    server = t.choice("server", tuple(PRESETS), "custom")
    preset = PRESETS.get(server, PRESETS["custom"])
    username = t.string("username", "", required=True)
    calendar = t.path("calendar")
    if preset.has_caldav:
        caldav_url = t.url("caldav_url", preset.caldav_url,
                           required=not preset.caldav_url and calendar is None,
                           trailing_slash=True)
        if calendar is not None and "caldav_url" not in t.data:
            caldav_url = ""  # a local export instead of the service's CalDAV
    else:
        caldav_url = ""
        if "caldav_url" in t.data:
            t.problem("caldav_url", f"{server} has no CalDAV: give a local .ics export as "
                      "`calendar` instead")
        if calendar is None:
            t.problem("calendar", f"required: {server} serves mail only, so the calendar is "
                      "a local .ics export (a file or a folder)")
    imap_host = t.string("imap_host", preset.imap_host, required=not preset.imap_host)
    security = t.choice("imap_security", SECURITY, preset.imap_security)
    if security == "none" and imap_host and not _loopback(imap_host):
        t.problem("imap_security", f"'none' sends the password in clear: only for a "
                  f"loopback host, not {imap_host!r}")
    port_default = preset.imap_port if "imap_security" not in t.data else \
        {"tls": 993, "starttls": 143, "none": 143}.get(security, 993)
    options = CalDavOptions(
        server=server, username=username, caldav_url=caldav_url, calendar=calendar,
        calendars=t.strings("calendars", ()),
        imap_host=imap_host,
        imap_port=t.integer("imap_port", port_default, minimum=1),
        imap_security=security,
        drafts_folder=t.string("drafts_folder", ""),
        sent_folder=t.string("sent_folder", ""),
        ca_file=t.path("ca_file"),
        timeout=t.duration("timeout", timedelta(seconds=60), timedelta(seconds=1)),
    )
    if options.imap_port > 65535:
        t.problem("imap_port", f"not a port: {options.imap_port}")
    return options


SPEC = ProviderSpec("caldav", "afterword.providers.caldav.provider:CalDavProvider",
                    read_options, signs_in=True)
