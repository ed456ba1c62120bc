"""Logging for every command: one line per event, no secret at any verbosity.

One `setup` serves the daemon (syslog priorities when journald reads stderr, else the
time and level) and the other commands (`afterword: LEVEL: message`). Client libraries
that log requests, tokens, codes or verifiers at DEBUG are held at WARNING whatever the
verbosity, and every line passes `Redactor`, which blanks token-like values that would
slip through anyway (a library's message, an exception's text).
"""

from __future__ import annotations

import logging
import os
import re
import sys

# journald reads a leading "<N>" on each stderr line as the syslog priority.
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
             logging.CRITICAL: 2}
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}
# Chatty at INFO, and at DEBUG they log URLs, form bodies and token answers:
# requests_oauthlib logs the authorization code, the PKCE verifier and the tokens.
QUIET = ("googleapiclient", "google", "google_auth_oauthlib", "google_auth_httplib2",
         "requests_oauthlib", "oauthlib", "msal", "urllib3", "requests", "httplib2",
         "caldav", "niquests", "urllib3_future", "imapclient", "apscheduler", "jeepney")

REDACTED = "[redacted]"
_SECRET_KEYS = (r"access_token|refresh_token|id_token|code_verifier|client_secret|"
                r"device_code|client_assertion|assertion|password|token|code|secret")
_SECRETS = [
    # key=value (query strings, form bodies); "key": "value" and 'key': 'value' (JSON,
    # reprs). Unquoted "key: words" is prose ("refused the token: expired"), left alone.
    re.compile(r"(?i)(\b(?:" + _SECRET_KEYS + r")=)([^&\s\"',;}\])]{4,})"),
    re.compile(r"""(?i)(["'](?:""" + _SECRET_KEYS + r""")["']\s*:\s*["'])([^"']{4,})"""),
    re.compile(r"(?i)(\bBearer\s+)([\w\-.~+/]+=*)"),
    # Google's shapes: access tokens, refresh tokens, authorization codes; and any JWT.
    re.compile(r"()\bya29\.[\w\-]+"),
    re.compile(r"()(?<![\w/])1//[\w\-]{8,}"),
    re.compile(r"()(?<![\w/])4/[\w\-]{10,}"),
    re.compile(r"()\beyJ[\w\-]+\.[\w\-]+\.[\w\-]*"),
]


def redact(text: str) -> str:
    """`text` with every token-like value replaced by [redacted]."""
    for pattern in _SECRETS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class Redactor(logging.Filter):
    """The second line of defence: blanks token-like values in every line and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's text in place; never drops a record."""
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JournalFormatter(logging.Formatter):
    """`<6>afterword: message` (journald adds the time and unit itself)."""

    def format(self, record: logging.LogRecord) -> str:
        """One line: exceptions are summarised, never dumped as a traceback."""
        message = record.getMessage().replace("\n", " | ")
        priority = _PRIORITY.get(record.levelno, 6)
        return f"<{priority}>{message}"


class ConsoleFormatter(logging.Formatter):
    """`2026-11-26 06:50:00 INFO message` for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        """One line with the local time and the level."""
        message = record.getMessage().replace("\n", " | ")
        return f"{self.formatTime(record, '%Y-%m-%d %H:%M:%S')} {record.levelname} {message}"


def under_journald() -> bool:
    """Whether stderr goes to the journal (systemd sets JOURNAL_STREAM for the service)."""
    return bool(os.environ.get("JOURNAL_STREAM"))


def setup(level: str, daemon: bool = False) -> None:
    """Route every log line to stderr at `level`: the daemon's shape (journald or the
    console), or a command's `afterword: LEVEL: message` (with a traceback at debug)."""
    handler = logging.StreamHandler(sys.stderr)
    if daemon:
        handler.setFormatter(JournalFormatter() if under_journald() else ConsoleFormatter())
    else:
        handler.setFormatter(logging.Formatter("afterword: %(levelname)s: %(message)s"))
    handler.addFilter(Redactor())  # on the handler: it sees every logger's records
    root = logging.getLogger()
    root.handlers[:] = [handler]
    set_level(level)
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)


def set_level(level: str) -> None:
    """Change the level (SIGHUP applies a new [daemon] log_level)."""
    logging.getLogger().setLevel(LEVELS.get(level, logging.INFO))
