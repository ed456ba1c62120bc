"""Durations as the config writes them: "45s", "30m", "3h", "2d", "1w", or "1h30m"."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_WHOLE = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*[smhdw]\s*)+$")


def parse_duration(text: str) -> timedelta:
    """Parse "45s", "30m", "3h", "2d", "1w" or a sum like "1h30m"; raise ValueError otherwise."""
    if not isinstance(text, str) or not _WHOLE.match(text.lower()):
        raise ValueError(f"not a duration: {text!r} (use e.g. \"45s\", \"30m\", \"3h\", \"2d\")")
    seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(text.lower()))
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Render a timedelta compactly for people: "2d 3h", "45m", "10s"."""
    total = int(abs(delta.total_seconds()))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if total >= size:
            parts.append(f"{total // size}{unit}")
            total %= size
    if total or not parts:
        parts.append(f"{total}s")
    text = " ".join(parts[:2])
    return f"-{text}" if delta.total_seconds() < 0 else text
