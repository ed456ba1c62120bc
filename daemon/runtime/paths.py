"""Where things live on disk (XDG base directories); read from the environment each call."""

from __future__ import annotations

import os
from pathlib import Path


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
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
