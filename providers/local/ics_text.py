""".ics text read tolerantly into its calendars and their components, as lines.

Calendars as people have them are not always one clean VCALENDAR: `cat a.ics b.ics`
and some exporters put several in one file, downloads get cut short, hand edits leave
stray lines. Calendar apps import the good parts; so does this reader. Every VCALENDAR
of a file is read; a component (an event, a time zone) whose BEGIN/END do not match is
dropped on its own; a line outside any component that is not a content line is skipped.
Each of these costs only what it damages, with a problem naming its line. A file with
no component at all is not a calendar (`NotACalendar`).

Both ways of reading an event (ics_plain's fast path and icalendar) start from the
blocks found here, so they see the same events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# icalendar's unfolding and line split (parser/content_line.py).
_UNFOLD = re.compile(r"(?:(?<!\n)\r\n|(?<![\r\n])\n)(?:\r?\n)*[ \t]")
_NEWLINE = re.compile(r"\r?\n")
# Components that only ever stand at the top of a calendar: one of these beginning
# inside another means the other was never closed.
_TOP_LEVEL = frozenset({"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VTIMEZONE",
                        "VAVAILABILITY"})
# Problems named per file; the rest are counted (a garbage file must not flood the log).
MAX_PROBLEMS = 5


class NotACalendar(ValueError):
    """The data holds no calendar component at all."""


@dataclass(eq=False)
class Source:
    """One VCALENDAR of a file: its own properties (METHOD, X-WR-TIMEZONE, …) and zones."""

    index: int
    file: Structure
    head: list[str] = field(default_factory=list)
    zones: list[Block] = field(default_factory=list)

    _method: str | None = None

    @property
    def method(self) -> str:
        """The iTIP method (RFC 5546) of this calendar's components, upper case; "" if none."""
        if self._method is None:
            self._method = next((line.split(":", 1)[1].strip().upper() for line in self.head
                                 if line[:7].upper() in ("METHOD:", "METHOD;")), "")
        return self._method


@dataclass(eq=False)
class Block:
    """One top-level component as lines (BEGIN to END), where it was, and its calendar."""

    lines: list[str]
    index: int  # of its BEGIN line among the file's unfolded lines
    source: Source
    order: int = 0  # reading order over every file: the later copy wins a tie

    @property
    def kind(self) -> str:
        """VEVENT, VTIMEZONE, …"""
        return self.lines[0][6:].upper()

    def value(self, name: str) -> str | None:
        """The first value of a property of the component itself (not of a VALARM), raw;
        `name` upper case."""
        prefix = len(name) + 1
        depth = 0
        for line in self.lines[1:-1]:
            head = line[:prefix].upper()
            if head.startswith("BEGIN:"):
                depth += 1
            elif head.startswith("END:"):
                depth -= 1
            elif not depth and head[:-1] == name and head[-1:] in (":", ";"):
                return line.split(":", 1)[1] if ":" in line else ""
        return None

    _uid: str | None = None

    @property
    def uid(self) -> str:
        """The UID, unescaped the way icalendar unescapes text."""
        if self._uid is None:
            raw = self.value("UID")
            self._uid = "" if raw is None else _unescape(raw).strip()
        return self._uid

    def describe(self) -> str:
        """How a warning names it: its UID, else its line."""
        uid = self.uid
        kind = "event" if self.kind == "VEVENT" else self.kind.lower().lstrip("v") or "part"
        return f"{kind} {uid[:80]}" if uid else f"{kind} at line {self.line}"

    @property
    def line(self) -> int:
        """The file's line number of its BEGIN line."""
        return self.source.file.line(self.index)


@dataclass(eq=False)
class Structure:
    """A file's calendars and event blocks, and the problems that cost parts of it."""

    text: str  # as read, for line numbers
    name: str = ""  # the file's path, for warnings
    sources: list[Source] = field(default_factory=list)
    events: list[Block] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _numbers: list[int] | None = None

    def line(self, index: int) -> int:
        """The file's line number where unfolded non-empty line `index` starts."""
        if self._numbers is None:  # only for warnings: not worth a pass on every read
            self._numbers = _physical_lines(self.text)
        return self._numbers[index] if index < len(self._numbers) else index + 1


def structure(data: bytes) -> Structure:
    """Every calendar and top-level component of `data`; NotACalendar if there is none."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # icalendar reads such bytes too, replacing what is not UTF-8; the text fields
        # of the damaged event show the replacement character.
        text = data.decode("utf-8-sig", errors="replace")
    found = Structure(text)
    if "\n " in text or "\n\t" in text:  # folded lines (most exports): unfold them
        text = _UNFOLD.sub("", text)
    reader = _Reader([line for line in _NEWLINE.split(text) if line], found)
    reader.run()
    if not found.sources:
        raise NotACalendar("no calendar in it (no BEGIN:VCALENDAR … END:VCALENDAR)")
    named = [f"line {found.line(i)}: {what}" for i, what in reader.problems[:MAX_PROBLEMS]]
    if len(reader.problems) > MAX_PROBLEMS:
        named.append(f"and {len(reader.problems) - MAX_PROBLEMS} more damaged part(s)")
    if named and not found.events and not any(s.zones for s in found.sources):
        # Damage and nothing else (an empty calendar is fine, garbage is not).
        raise NotACalendar(f"nothing readable in it ({named[0]})")
    found.problems = named
    return found


class _Reader:
    """The walk over a file's unfolded lines (one pass, a stack of open components)."""

    def __init__(self, lines: list[str], found: Structure) -> None:
        self.lines = lines
        self.found = found
        self.problems: list[tuple[int, str]] = []  # (line index, what)
        self.source: Source | None = None
        self.stack: list[str] = []
        self.block: list[str] = []
        self.start = 0
        self.broken = ""

    def run(self) -> None:
        for index, line in enumerate(self.lines):
            head = line[:6].upper()
            if head == "BEGIN:":
                self._begin(index, line, line[6:].upper())
            elif head[:4] == "END:":
                self._end(index, line, line[4:].upper())
            elif self.stack:
                self.block.append(line)
            elif self.source is not None and _is_content_line(line):
                self.source.head.append(line)
            elif self.source is None and head == "X-COMM":
                continue  # icalendar's own tolerance: a comment after the calendar
            else:
                self.problems.append((index, f"skipped a line that is not part of an "
                                             f"event: {line[:40]!r}"))
        if self.stack:
            self._drop(f"not closed: the file ends before END:{self.stack[0]}")

    def _begin(self, index: int, line: str, name: str) -> None:
        if self.stack and (name == "VCALENDAR" or name in _TOP_LEVEL):
            self._drop(f"not closed (BEGIN:{name[:20]} comes first)")
        if name == "VCALENDAR":
            self.source = Source(len(self.found.sources), self.found)
            self.found.sources.append(self.source)
            return
        if not self.stack:
            if self.source is None:  # a bare component, outside any VCALENDAR
                self.source = Source(len(self.found.sources), self.found)
                self.found.sources.append(self.source)
            self.block, self.start, self.broken = [], index, ""
        self.stack.append(name)
        self.block.append(line)

    def _end(self, index: int, line: str, name: str) -> None:
        if name == "VCALENDAR":
            if self.stack:
                self._drop("not closed (END:VCALENDAR comes first)")
            if self.source is None:
                self.problems.append((index, "skipped END:VCALENDAR without its BEGIN"))
            self.source = None
            return
        if not self.stack:
            self.problems.append((index, f"skipped END:{name[:20]} without its BEGIN"))
            return
        if name in self.stack:
            while self.stack[-1] != name:
                self.broken = self.broken or f"BEGIN:{self.stack[-1]} is not closed"
                self.stack.pop()
            self.stack.pop()
        else:
            self.broken = self.broken or f"END:{name[:20]} without its BEGIN"
        self.block.append(line)
        if not self.stack:
            if self.broken:
                self._drop(self.broken)
            else:
                self._keep()

    def _keep(self) -> None:
        assert self.source is not None
        block = Block(self.block, self.start, self.source)
        if block.kind == "VEVENT":
            self.found.events.append(block)
        elif block.kind == "VTIMEZONE":
            self.source.zones.append(block)
        self.block, self.stack = [], []

    def _drop(self, why: str) -> None:
        """Drop the open component, with a problem naming it."""
        assert self.source is not None
        block = Block(self.block, self.start, self.source)
        kind = "event" if block.kind == "VEVENT" else block.kind.lower().lstrip("v")
        uid = block.uid
        self.problems.append((self.start, f"skipped {kind} {uid[:80]}: {why}" if uid else
                              f"skipped {'an' if kind[:1] in 'aeiou' else 'a'} {kind}: {why}"))
        self.block, self.stack = [], []


def _is_content_line(line: str) -> bool:
    """Whether icalendar can split the line into a name, parameters and a value."""
    from icalendar.parser import Contentline

    try:
        Contentline(line).parts()
    except ValueError:
        return False
    return True


def _physical_lines(raw: str) -> list[int]:
    """For each unfolded non-empty line, the line of the file where it starts."""
    numbers: list[int] = []
    for number, line in enumerate(_NEWLINE.split(raw), start=1):
        if line and not (line[0] in " \t" and numbers):  # not a folded continuation
            numbers.append(number)
    return numbers


_UNESCAPE = re.compile(r"\\([\\,;:nN])")


def _unescape(value: str) -> str:
    if "\\" not in value:
        return value
    return _UNESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)
