"""Daemon logging: one line per event, with syslog priorities when journald reads stderr."""

from __future__ import annotations

import logging
import os
import sys

# journald reads a leading "<N>" on each stderr line as the syslog priority.
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
             logging.CRITICAL: 2}
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}


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


def setup(level: str) -> None:
    """Route every log line to stderr in the right shape, at the configured level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JournalFormatter() if under_journald() else ConsoleFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    set_level(level)
    # Client libraries are chatty at INFO and may log URLs with tokens at DEBUG; the
    # scheduler logs every job run at INFO.
    for noisy in ("googleapiclient", "google", "urllib3", "msal", "httplib2",
                  "caldav", "niquests", "urllib3_future", "imapclient", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def set_level(level: str) -> None:
    """Change the level (SIGHUP applies a new [daemon] log_level)."""
    logging.getLogger().setLevel(LEVELS.get(level, logging.INFO))


def setup_cli(verbose: bool) -> None:
    """A command's log lines to stderr, short and without tracebacks."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("afterword: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    # Client libraries are chatty at INFO and may log URLs with tokens at DEBUG.
    for noisy in ("googleapiclient", "google", "urllib3", "msal", "httplib2",
                  "caldav", "niquests", "urllib3_future", "imapclient"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
