"""What an invite's description says about the interview: who is on the panel, notes.

Descriptions come from strangers and in many shapes: plain text, Google's light HTML,
Outlook's full HTML documents. They are turned into text first, then read for
"Interviewers: Jane Doe (Engineering Manager), John Smith", bullet lists under such a
heading, schedulers' itineraries ("10:00–10:45  Aisha Rahman, Staff Engineer — System
design", "Product Sense — Hana Sato, Senior Product Manager": the session is never the
person), and sentences like "you will meet with me and Jane Doe" ("me": the organizer).
The user's "Notes:" section is handed to `notes`, the one Notes parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from afterword.daemon.interviews import description_words as vocab
from afterword.daemon.interviews import notes as notes_section
from afterword.daemon.interviews.html_text import html_to_text
from afterword.daemon.interviews.names import clean_display
from afterword.daemon.interviews.notes import NoteLine

__all__ = ["DescriptionInfo", "ListedPerson", "html_to_text", "parse", "parse_text"]

# Any other "Label:" line ends a list.
_OTHER_LABEL = re.compile(r"^\s*[A-Z][\w /&-]{1,30}:\s*(?:\S.*)?$")
_BULLET = re.compile(r"^\s*(?:[-*•·●▪◦‣+]|\d{1,2}[.)])\s+")
_TIME_RANGE = re.compile(
    r"^\s*\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?\s*(?:[-–—]|to)\s*\d{1,2}(?::\d{2})?\s*"
    r"(?:[ap]\.?m\.?)?\s*(?-i:[A-Z]{2,4}\b)?\s*[:\-–—|]?\s*", re.IGNORECASE)
_TABLE_RULE = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*(?::?-{3,}:?\s*)?$")  # |---|---|
# Lengths bounded as RFC 5321 bounds them: an unbounded local part made a search of a long
# run of "-" quadratic (0.6 s for 20,000 characters).
_EMAIL = re.compile(r"<?(?:mailto:)?([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}"
                    r"(?:\.[A-Za-z0-9-]{1,63})+)>?")
_WITH = re.compile(r"\b(?:(?:meet(?:ing)?|speak(?:ing)?|chat(?:ting)?|talk(?:ing)?|interview(?:s|"
                   r"ing)?|call|session|conversation)\s+with|(?:your\s+)?interviewers?\s+"
                   r"(?:today\s+)?(?:are|is|will\s+be))\s+(?P<rest>[^\n]+)", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&|\+)\s*")
_ROLE_SEP = re.compile(r"\s+[-–—|/]\s+|\s*[:–—|]\s+")
# "me" in "You'll meet with me and Tariq Aziz": the organizer wrote the invite.
_ME = {"me", "myself"}
_PRONOUNS = re.compile(r"(?i)\s*(?:she|he|they|ze|xe)\s*/\s*"
                       r"(?:her|him|them|hir|zir|hers|his|theirs)(?:\s*/\s*\w+)?\s*")
_SENTENCE_END = re.compile(r"(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bProf)(?<!\b[A-Z])"
                           r"[.!?](?:\s|$)")


@dataclass(frozen=True)
class ListedPerson:
    """Someone the description names, with the role and address given beside the name."""

    name: str
    role: str = ""
    email: str | None = None


@dataclass(frozen=True)
class DescriptionInfo:
    """What a description says: the people listed and the user's notes."""

    people: tuple[ListedPerson, ...] = ()
    notes: tuple[NoteLine, ...] = ()
    from_list: bool = False  # the people came from an explicit "Interviewers:" list
    with_me: bool = False  # "you'll meet with me and ...": the organizer is on the panel


def parse(description: str) -> DescriptionInfo:
    """The people and notes of a description (HTML or text). Never raises."""
    return parse_text(html_to_text(description or ""))


def parse_text(text: str) -> DescriptionInfo:
    """The people and notes of a description already turned into text. Never raises."""
    lines = text[:20000].splitlines()
    people: list[ListedPerson] = []
    notes: list[NoteLine] = []
    from_list = with_me = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if notes_section.starts_notes(line):
            found_notes, i = notes_section.collect(lines, i)
            notes.extend(found_notes)
            continue
        heading = vocab.HEADING.match(line)
        if (heading or _table_header(line)) and not _EMAIL.fullmatch(line.strip()):
            found, me, i = _collect_list(lines, i, heading.group("rest") if heading else "")
            with_me = with_me or me
            if found:
                from_list = True
                people.extend(found)
                continue
        i += 1
    if not people:
        # A schedule table with no heading (one timed line per session), or lines that
        # print a person's address ("Grace Liu, Design Director (grace.liu@acme.com)").
        for line in lines:
            timed = bool(_TIME_RANGE.match(line.lstrip(" |")))
            if not (timed or _EMAIL.search(line)):
                continue
            person = _entry(_BULLET.sub("", line, count=1), whole_line=True)
            if person is not None and person.name:
                people.append(person)
            elif person is None and timed:
                people.extend(_session_with(line))
    if not people:
        for match in _WITH.finditer(text[:20000]):
            names, me = _names_in_sentence(match.group("rest"))
            people.extend(names)
            with_me = with_me or me
    return DescriptionInfo(tuple(_unique(people)), tuple(notes), from_list, with_me)


def _collect_list(lines: list[str], i: int,
                  rest: str) -> tuple[list[ListedPerson], bool, int]:
    found: list[ListedPerson] = []
    with_me = False
    if rest.strip():
        for chunk in _split_outside_parens(rest):
            if chunk.strip(" .").casefold() in _ME:
                with_me = True
                continue
            person = _entry(chunk)
            if person is not None:
                found.append(person)
                continue
            # "You will meet with Jane Doe and John Smith from the platform team."
            names, _ = _names_in_sentence(chunk)
            if names:
                found.extend(names)
                if len(names[0].name) < len(chunk.strip(" .")):
                    break  # prose after the name
            elif found and not found[-1].role and _looks_like_role(chunk):
                # "Jane Doe, Engineering Manager; John Smith, Staff Engineer"
                found[-1] = ListedPerson(found[-1].name, _clean_role(chunk), found[-1].email)
        i += 1
        if not found or i >= len(lines) or not lines[i].strip():
            return found, with_me, i
        # "Interviewers: Jane Doe<br>John Smith": the list goes on below the heading line.
    else:
        i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1  # a blank line between the heading and its list
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            # HTML lists often leave blank lines between items: continue if a bullet follows.
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and _BULLET.match(lines[j]):
                i = j
                continue
            break
        if vocab.HEADING.match(line) or notes_section.starts_notes(line):
            break
        itemised = bool(_BULLET.match(line) or _TIME_RANGE.match(line.lstrip(" |"))
                        or _table_header(line) or _TABLE_RULE.match(line))
        if not itemised and _OTHER_LABEL.match(line):
            break
        person = _entry(_BULLET.sub("", line, count=1), whole_line=True)
        if person is None and not itemised:
            break
        if person:
            found.append(person)
        elif itemised:
            found.extend(_session_with(line))
        i += 1
    return found, with_me, i


def _table_header(line: str) -> bool:
    """A schedule table's header row ("Time | Interviewer | Session"): skipped, not an end."""
    cells = [c.strip(" *_").casefold() for c in line.split("|") if c.strip(" *_")]
    return len(cells) >= 2 and all(c in _HEADER_CELLS for c in cells)


_HEADER_CELLS = {"time", "when", "interviewer", "interviewers", "session", "title", "name",
                 "role", "topic", "focus", "duration", "location", "who", "format", "type"}


def _split_outside_parens(text: str) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    depth = 0
    tokens = re.split(r"(\(|\)|,|;|\s&\s|\s(?:and|et|und)\s)", text)
    for token in tokens:
        if token == "(":
            depth += 1
        elif token == ")":
            depth = max(0, depth - 1)
        if depth == 0 and token in (",", ";", " & ", " and ", " et ", " und "):
            chunks.append("".join(current))
            current = []
        else:
            current.append(token)
    chunks.append("".join(current))
    return [c.strip() for c in chunks if c.strip()]


_ROLE_WORDS = {
    "manager", "engineer", "engineering", "director", "lead", "head", "recruiter", "designer",
    "scientist", "analyst", "developer", "architect", "officer", "president", "vp", "ceo",
    "cto", "cfo", "coo", "cpo", "founder", "co-founder", "partner", "principal", "staff",
    "senior", "product", "pm", "em", "hr", "sales", "marketing", "consultant", "specialist",
    "coordinator", "owner", "researcher", "professor", "research", "team", "chief", "sre",
    "devops", "qa", "ux", "ui", "data", "software", "hiring", "talent", "people", "operations",
}


def _looks_like_role(text: str) -> bool:
    words = [w.strip(",.()").lower() for w in text.split()]
    return (0 < len(words) <= 6 and not _EMAIL.search(text)
            and any(w in _ROLE_WORDS for w in words))


def _entry(text: str, whole_line: bool = False) -> ListedPerson | None:
    """One list entry: "Jane Doe (Engineering Manager) <jane@acme.com>" and variants.

    An itinerary line holds a session name too ("Portfolio Review — Grace Liu, Design
    Director (grace.liu@acme.com)"): of its parts, the person is the one written like a
    name with a role beside it, never the session.
    """
    text = _TIME_RANGE.sub("", text.strip().strip("|"), count=1).strip().strip("*_|").strip()
    email = None
    found = _EMAIL.search(text)
    if found:
        email = found.group(1).lower()
        text = (text[: found.start()] + text[found.end():]).strip()
        text = re.sub(r"\(\s*\)|<\s*>|\[\s*\]", " ", text).strip()  # "(grace@acme.com)"
    parts = [p.strip() for p in _ROLE_SEP.split(text) if p.strip()] or [""]
    best: tuple[int, ListedPerson] | None = None
    for n, part in enumerate(parts):
        person = _person(part, whole_line or len(parts) > 1)
        if person is None:
            continue
        # A role written beside the name says "person"; otherwise the first name-like part.
        score = 2 if person.role else 0
        if best is None or score > best[0]:
            others = [p for k, p in enumerate(parts) if k != n]
            role = person.role or next((_clean_role(p) for p in others
                                        if _looks_like_role(p)), "")
            best = (score, ListedPerson(person.name, role, email))
    if best is None:
        if email and not any(_is_name(p) for p in parts):
            return ListedPerson(name="", role="", email=email)
        return None
    return best[1]


def _person(text: str, comma_role: bool) -> ListedPerson | None:
    """"Jane Doe", "Jane Doe (Engineering Manager)" or (`comma_role`) "Jane Doe, EM"."""
    role = ""
    paren = re.search(r"\(([^)]{0,200})\)", text)
    if paren:
        role = paren.group(1).strip()
        text = (text[: paren.start()] + text[paren.end():]).strip()
    if _PRONOUNS.fullmatch(role):
        role = ""  # "(she/her)" is not a job title
    if comma_role and "," in text:
        # "Jane Doe, Engineering Manager" on its own line (a comma inside a bullet).
        head, tail = text.split(",", 1)
        if _is_name(head) and not _is_name(tail):
            text, role = head.strip(), role or tail.strip()
    # A sentence's full stop is not part of the name ("Jr." and initials keep theirs).
    name = re.sub(r"(\w{3,})[.!?]$", r"\1", clean_display(text.strip(" -–—:|")))
    if not _is_name(name):
        return None
    return ListedPerson(name=name, role=_clean_role(role))


def _clean_role(role: str) -> str:
    role = " ".join(role.split()).strip(" -–—:|,.")
    return role[:80]


def _is_name(text: str) -> bool:
    words = text.strip().split()
    if not 1 <= len(words) <= 5 or len(text) > 60:
        return False
    if any(w.strip(".,").lower() in vocab.NOT_A_PERSON for w in words):
        return False
    if "," in text:
        # "Doe, Jane" is one person written last-name-first.
        return all(_name_word(w) for w in text.replace(",", " ").split())
    return (all(_name_word(w) or w.lower() in vocab.PARTICLES for w in words)
            and _name_word(words[0]))


def _name_word(word: str) -> bool:
    word = word.strip(".,")
    if not word:
        return False
    letters = [c for c in word if c.isalpha()]
    if not letters or len(letters) < len(word.replace("-", "").replace("'", "")
                                         .replace("’", "").replace(".", "")):
        return False
    first = word[0]
    # A capital, or a script without case (CJK, Arabic...): names start like that.
    return first.isupper() or (first.isalpha() and first.lower() == first.upper())


def _names_in_sentence(rest: str) -> tuple[list[ListedPerson], bool]:
    """Names after "with": capitalised runs separated by commas / "and"; stops at prose.

    The flag says the sentence named "me" (the organizer) among them.
    """
    rest = _SENTENCE_END.split(rest, maxsplit=1)[0]
    found: list[ListedPerson] = []
    with_me = False
    for chunk in _split_outside_parens(rest):
        if chunk.strip(" .").casefold() in _ME:
            with_me = True
            continue
        role = ""
        paren = re.search(r"\(([^)]{0,200})\)", chunk)
        if paren:
            role = paren.group(1)
            chunk = chunk[: paren.start()] + " " + chunk[paren.end():]
        words = chunk.split()
        taken: list[str] = []
        for word in words:
            if _name_word(word) or (taken and word.lower() in vocab.PARTICLES):
                taken.append(word)
            else:
                break
        while taken and taken[-1].lower() in vocab.PARTICLES:
            taken.pop()
        name = " ".join(taken).strip(".,")
        titled = bool(taken) and taken[0].rstrip(".").lower() in ("dr", "prof")
        if (len(taken) >= 2 or titled) and _is_name(name):
            found.append(ListedPerson(name=name, role=_clean_role(role)))
        elif not taken and found and _apposition(chunk):
            # "Jane Doe, our VP of Engineering, and Raj Patel": Jane's job; the list goes on.
            if not found[-1].role:
                found[-1] = ListedPerson(found[-1].name, _clean_role(_apposition(chunk)),
                                         found[-1].email)
            continue
        else:
            break
        if len(taken) < len(words):
            break  # prose follows the name: the list has ended
    return found, with_me


def _apposition(chunk: str) -> str:
    """The job in "our VP of Engineering" / "the hiring manager" ("" when it is not one)."""
    text = re.sub(r"(?i)^\s*(?:our|the|a|an|my|your)\s+", "", chunk).strip(" .")
    return text if text != chunk.strip(" .") and _looks_like_role(text) else ""


def _session_with(line: str) -> list[ListedPerson]:
    """The people an itinerary row names after "with" ("9:45 – 10:30 Coding with Raj")."""
    found = re.search(r"(?i)\bwith\s+(?P<rest>.+)$", line)
    return _names_in_sentence(found.group("rest"))[0] if found else []


def _unique(people: list[ListedPerson]) -> list[ListedPerson]:
    seen: set[str] = set()
    result = []
    for person in people:
        key = (person.email or person.name).casefold()
        if key and key not in seen:
            seen.add(key)
            result.append(person)
    return result
