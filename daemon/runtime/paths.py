"""Where things live on disk (XDG base directories); read from the environment each call."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from afterword.daemon.errors import StateError


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable, "")
    # The XDG spec says relative values are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / fallback


def config_home() -> Path:
    """$XDG_CONFIG_HOME, default ~/.config."""
    return _xdg("XDG_CONFIG_HOME", ".config")


def state_home() -> Path:
    """$XDG_STATE_HOME, default ~/.local/state."""
    return _xdg("XDG_STATE_HOME", ".local/state")


def state_dir() -> Path:
    """Afterword's own state folder, created private (0700) on first use."""
    path = state_home() / "afterword"
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as err:
        raise state_problem(path, err) from None
    return path


# What SQLite's result codes mean for the user (sqlite3.h: SQLITE_PERM 3, BUSY 5,
# READONLY 8, IOERR 10, FULL 13, CANTOPEN 14); extended codes keep the primary code in
# their low byte.
_SQLITE_CODES = {3: "permission denied", 5: "the database stayed locked by another process",
                 8: "read-only", 10: "input/output error", 13: "the disk is full",
                 14: "cannot open the database file"}
_ERRNO = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
          errno.EROFS: "read-only", errno.EACCES: "permission denied",
          errno.EPERM: "permission denied", errno.ENOTDIR: "a file is in the way",
          errno.EEXIST: "a file is in the way", errno.EFBIG: "the file size limit is reached"}


def state_problem(folder: Path, err: BaseException) -> StateError:
    """The error the user sees for an OS or SQLite error about the state folder's disk
    (full, read-only, unwritable): one line naming the folder and what is wrong."""
    reason = None
    if isinstance(err, sqlite3.Error):
        reason = _SQLITE_CODES.get((getattr(err, "sqlite_errorcode", 0) or 0) & 0xFF)
    elif isinstance(err, OSError):
        reason = _ERRNO.get(err.errno or 0) or (err.strerror or "").lower() or None
    reason = reason or " ".join(str(err).split())[:200] or type(err).__name__
    return StateError(f"state folder {folder}: {reason}; Afterword cannot keep track "
                      "of its drafts until this is fixed")


def is_state_problem(err: BaseException) -> bool:
    """An SQLite error about the disk rather than a mistake in our own SQL."""
    code = (getattr(err, "sqlite_errorcode", 0) or 0) & 0xFF
    return isinstance(err, sqlite3.Error) and code in _SQLITE_CODES
