"""People's names: display names and address local parts → first, last, title.

A real name parser (nameparser) does the splitting: "Doe, Jane" → Jane Doe, "Dr. Priya
Raman" keeps "Dr." for a formal salutation, "JANE DOE" → Jane Doe. When a guest has no
usable display name, a name is guessed from the address (jane.doe@ → Jane Doe) and
marked `needs_check`, so the template can flag it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from nameparser import HumanName

from afterword.daemon.errors import CONTROL_CHARS

# Titles kept for a formal greeting ("Dear Dr. Raman"); Mr/Ms and the like are dropped in
# favour of the first name, which is what a thank-you note uses.
_FORMAL_TITLES = {"dr": "Dr.", "doctor": "Dr.", "prof": "Prof.", "professor": "Professor"}
# Decorations calendars add to display names: "(Acme)", "[EXTERNAL]", "(she/her)".
_DECORATION = re.compile(r"\s*(?:\([^)]{0,200}\)|\[[^\]]{0,200}\])\s*")
_AFFILIATION = re.compile(r"\s+[|–—-]\s+")
_LOCAL_SPLIT = re.compile(r"[._\-]+")


@dataclass(frozen=True)
class PersonName:
    """A parsed name: what to call someone, and whether it was guessed."""

    display: str  # "Priya Raman"
    first: str = ""  # what the greeting uses: a nickname if one was given
    last: str = ""
    title: str = ""  # "Dr." / "Prof." only
    needs_check: bool = False  # guessed from the address: the user should check it


def clean_display(text: str | None) -> str:
    """A display name without control characters, quotes, or "(Acme)"-style decorations."""
    if not text:
        return ""
    # No name is this long: the rest of a stranger's megabyte is not worth reading.
    text = CONTROL_CHARS.sub(" ", text[:1000])
    text = _DECORATION.sub(" ", text)
    # "Jane Doe | Acme", "Doe, Jane - ACME": the company after a spaced dash or bar.
    text = _AFFILIATION.split(text, maxsplit=1)[0]
    text = text.strip().strip("\"'“”‘’").strip()
    return " ".join(text.split())[:120]


def looks_like_address(text: str, email: str | None = None) -> bool:
    """A "display name" that is really the address or its local part."""
    if "@" in text:
        return True
    if email:
        local = email.split("@", 1)[0].split("+", 1)[0].lower()
        return text.lower() == local
    return False


def parse_name(display: str | None, email: str | None = None) -> PersonName:
    """The name of a guest from their display name, else guessed from their address."""
    name = clean_display(display)
    if name and not looks_like_address(name, email) and any(c.isalpha() for c in name):
        return _parse(name, needs_check=False)
    if email:
        guessed = guess_from_address(email)
        if guessed:
            return _parse(guessed, needs_check=True)
        local = email.split("@", 1)[0]
        return PersonName(display=local, first=local, needs_check=True)
    return PersonName(display=name, first=name, needs_check=True)


def guess_from_address(email: str) -> str:
    """jane.doe@ → "Jane Doe"; jane_doe2@ → "Jane Doe"; jdoe@ → "Jdoe"; "" if hopeless."""
    local = email.split("@", 1)[0].split("+", 1)[0]
    parts = [re.sub(r"\d+", "", p) for p in _LOCAL_SPLIT.split(local)]
    words = [p for p in parts if len(p) > 0 and p.isalpha()]
    if not words:
        return ""
    return " ".join(w[:1].upper() + w[1:].lower() for w in words)


def _parse(name: str, needs_check: bool) -> PersonName:
    if not re.search(r"\s", name) and any(_is_cjk(c) for c in name):
        # An unspaced CJK name (山田太郎, 김민준) is kept whole, in its own order: nameparser
        # would split 김민준 into "민준 김", which is nobody's name.
        return PersonName(display=name, first="", last=name, needs_check=needs_check)
    parsed = HumanName(name)
    if _single_case(name):
        # "JANE DOE" / "jane doe": nameparser restores McDonald, O'Brien, van der Berg.
        parsed.capitalize(force=True)
    title = _formal_title(parsed.title)
    first = parsed.first.strip()
    last = parsed.last.strip()
    if not first and parsed.title and not title:
        # nameparser reads some first names as titles ("Dean Smith", "Judge", "Major").
        first = parsed.title.strip()
    if not first and not last:
        first = name
    if first and not last and not parsed.first and parsed.last:
        # One word only (or an unspaced CJK name): nameparser calls it a last name.
        first, last = parsed.last.strip(), ""
    nickname = parsed.nickname.strip()
    middle = parsed.middle.strip()
    display = " ".join(p for p in ((title if title else ""), first, middle, last) if p)
    greeting = nickname or first
    if title and not last:
        title = ""  # "Dr. Jane" has nothing to put after the title
    if needs_check and len(greeting.rstrip(".")) == 1:
        # r.chen@ → "R. Chen": an initial is no way to greet anyone.
        display = " ".join(p for p in (greeting.rstrip(".") + ".", middle, last) if p)
        greeting = ""
    return PersonName(display=display.strip() or name, first=greeting, last=last, title=title,
                      needs_check=needs_check)


def _is_cjk(char: str) -> bool:
    """Hangul, kana and CJK ideographs (U+1100 and beyond, less the Latin extensions)."""
    return ord(char) >= 0x1100 and not 0x1E00 <= ord(char) <= 0x2BFF


def _formal_title(raw: str) -> str:
    key = raw.strip().rstrip(".").lower()
    return _FORMAL_TITLES.get(key, "")


def _single_case(text: str) -> bool:
    letters = [c for c in text if c.isalpha() and c.lower() != c.upper()]
    return bool(letters) and (all(c.isupper() for c in letters)
                              or all(c.islower() for c in letters))


def fold(text: str) -> str:
    """A comparison key: accents removed, case folded, only letters and spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]|\d|_", " ", plain.casefold()).split())


def same_person(listed: str, display: str | None, email: str | None) -> bool:
    """Whether a name from the description refers to this guest (name or address)."""
    want = fold(HumanName(listed).full_name if "," in listed else listed)
    tokens = want.split()
    if not tokens:
        return False
    if display:
        have = fold(clean_display(display))
        have_parsed = fold(" ".join((HumanName(clean_display(display)).first,
                                     HumanName(clean_display(display)).last)))
        if want in (have, have_parsed):
            return True
        have_tokens = set(have.split())
        if len(tokens) >= 2 and set(tokens) <= have_tokens:
            return True
        # "Priya Raman" vs "Dr. Priya Raman" / "Raman, Priya"
        if len(tokens) >= 2 and set(have_parsed.split()) and set(have_parsed.split()) <= set(
                tokens):
            return True
        # "J. Smith" vs "John Smith": an initial and the same last name
        parts = have_parsed.split()
        if (len(tokens) == 2 and len(tokens[0]) == 1 and len(parts) >= 2
                and parts[-1] == tokens[-1] and parts[0].startswith(tokens[0])):
            return True
    if email:
        local = fold(email.split("@", 1)[0].split("+", 1)[0].replace(".", " ")
                     .replace("_", " ").replace("-", " "))
        local_tokens = local.split()
        if len(tokens) >= 2 and local_tokens in ([tokens[0], tokens[-1]], tokens):
            return True
        squashed = "".join(local_tokens)
        if len(tokens) >= 2 and squashed in (tokens[0] + tokens[-1], tokens[0][0] + tokens[-1],
                                             tokens[0] + tokens[-1][0]):
            return True
        # An address-only guest ("carla@", "mendes@") named in full in the description.
        unnamed = not display or looks_like_address(clean_display(display), email)
        if (unnamed and len(tokens) >= 2 and len(local_tokens) == 1
                and len(squashed) >= 3 and squashed in (tokens[0], tokens[-1])):
            return True
    return False


# -- people written into a title ------------------------------------------------------

_JOIN = r"(?:<>|/|&|\+|\bx\b|\band\b)"
_SEPARATORS = re.compile(r"\s*([-–—|:])(?:\s*[-–—|:])+\s*")


def full_names(people: Iterable[str]) -> frozenset[str]:
    """Full names (two words or more) as written and as "Last, First", case-folded."""
    found: set[str] = set()
    for name in people:
        parts = (name or "").replace(",", " ").split()
        if not 2 <= len(parts) <= 5 or len(name) > 80:
            continue
        found.add(_fold_words(name))
        found.add(_fold_words(" ".join(parts)))
        if "," not in name:
            found.add(_fold_words(f"{parts[-1]}, {' '.join(parts[:-1])}"))
    return frozenset(found)


def single_names(people: Iterable[str]) -> frozenset[str]:
    """First and last names of the people (2 letters or more: Jo, Li, Ng), case-folded."""
    found: set[str] = set()
    for name in people:
        parts = [p.strip(".,") for p in (name or "").replace(",", " ").split()]
        if len(parts) >= 2:
            found.update(p.casefold() for p in (parts[0], parts[-1]) if len(p) >= 2)
    return frozenset(found)


def without_people(title: str, names: frozenset[str], eat_title: bool) -> str:
    """The title without those people, the words that only joined them ("with", "<>",
    "x", "(...)") and, for interviewers, the job title written after them ("Grace Liu,
    Design Director"): that is their job, not the one applied for."""
    if not names:
        return title
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in n.split())
                            for n in sorted(names, key=len, reverse=True))
    theirs = r"(?:\s*,\s*[^-–—|:()\[\]]+|\s*\([^()]*\))?" if eat_title else ""
    person = re.compile(
        rf"(?:\s*{_JOIN}\s*)?(?:\b(?:with|for|between)\s+)?\(?\s*(?<!\w)(?:{alternatives})"
        rf"(?:['’]s)?(?!\w)\s*\)?{theirs}(?:\s*{_JOIN}(?=\s))?", re.IGNORECASE)
    cleaned, count = person.subn(" ", title)
    if not count:
        return title
    cleaned = _SEPARATORS.sub(lambda m: ": " if m.group(1) == ":" else f" {m.group(1)} ",
                              cleaned)
    return " ".join(cleaned.split()).strip(" -–—|:/<>&+,")


def _fold_words(text: str) -> str:
    return " ".join(text.casefold().split())


@cache
def given_names() -> frozenset[str]:
    """Common given names, case-folded (data/given_names.txt, sources in the file)."""
    text = resources.files("afterword.daemon.interviews").joinpath(
        "data/given_names.txt").read_text(encoding="utf-8")
    return frozenset(word for line in text.splitlines() if not line.startswith("#")
                     for word in line.split())


def looks_like_person(text: str) -> bool:
    """Whether a piece of a title reads as someone's name ("Maria González", "Priya"): one
    to three words of letters, the first a common given name. Titles name interviewers
    who are not among the guests; such a name is never the company."""
    words = text.split()
    if not 1 <= len(words) <= 3:
        return False
    if not all(c.isalpha() or c in "'-." for word in words for c in word):
        return False
    return words[0].casefold() in given_names()
