"""One TOML table being read: typed getters that record problems with dotted key paths."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from afterword.daemon.durations import parse_duration


def toml_problem(err: tomllib.TOMLDecodeError) -> str:
    text = str(err)
    match = re.search(r"\(at line (\d+), column (\d+)\)", text)
    if match:
        message = text[: match.start()].strip()
        return f"line {match.group(1)}, column {match.group(2)}: TOML syntax error: {message}"
    return f"TOML syntax error: {text}"


def suggest(word: str, options: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


_TYPE_NAMES = {str: "a string", bool: "true or false", int: "a whole number", list: "a list",
               dict: "a table"}


class Table:
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
            self.problem(key, f"unknown {key} {value!r}{suggest(value, options)}"
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

    def table(self, key: str) -> Table:
        """A sub-table (empty when absent)."""
        value = self._get(key, dict, {}, False)
        return Table(value, self._at(key), self.problems, self.base_dir)

    def tables(self, key: str, default: Any = None) -> list[Table]:
        """An array of tables ([[key]])."""
        value = self._get(key, list, [], False)
        result = []
        for i, item in enumerate(value):
            if not isinstance(item, Mapping):
                self.problem(f"{key}[{i}]", f"expected a table, got {_describe(item)}")
                continue
            result.append(Table(item, f"{self._at(key)}[{i}]", self.problems, self.base_dir))
        return result

    def finish(self, what: str = "") -> None:
        """Report every key nobody asked for, with a suggestion."""
        for key in self.data:
            if key not in self.known:
                where = f" for {what}" if what else ""
                self.problem(key, f"unknown key{where}{suggest(key, self.known)}")


def _describe(value: Any) -> str:
    for kind, name in _TYPE_NAMES.items():
        if isinstance(value, bool):
            return "true or false"
        if isinstance(value, kind):
            return f"{name} ({value!r})" if kind in (str, int) else name
    return type(value).__name__

