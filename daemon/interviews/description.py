"""What an invite's description says about the interview: who is on the panel, notes.

Descriptions come from strangers and in many shapes: plain text, Google's light HTML,
Outlook's full HTML documents. They are turned into text first, then read for
"Interviewers: Jane Doe (Engineering Manager), John Smith", bullet lists under such a
heading, and sentences like "you will meet with Jane Doe and John Smith".
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from afterword.daemon.interviews.names import clean_display

_TAG = re.compile(r"<(?:/?(?:p|div|br|span|b|i|u|a|ul|ol|li|html|body|head|table|tbody|tr|td|"
                  r"th|font|strong|em|h[1-6]|hr|meta|style|img|blockquote|pre|code)\b|!--)"
                  r"[^>]*>", re.IGNORECASE)
_BRACKETED_ADDRESS = re.compile(r"<((?:mailto:)?[^<>\s@]+@[^<>\s@]+)>")
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
               "table", "blockquote", "hr", "section"}
_SKIP_TAGS = {"head", "style", "script", "title"}
# Headings that introduce the people you will meet.
_HEADING = re.compile(
    r"^\s*(?:[*_#>]+\s*)?(?:your\s+)?(?:interviewers?|interview\s+panel|panel(?:ists?)?|"
    r"panel\s+members?|who\s+you(?:'|’)?ll\s+(?:meet|be\s+meeting|speak\s+with)|"
    r"you\s+will\s+(?:meet|be\s+meeting|speak)\s*(?:with)?|you(?:'|’)ll\s+(?:meet|be\s+meeting)"
    r"\s*(?:with)?|meeting\s+with|speaking\s+with|attendees|participants|agenda|schedule|"
    r"itinerary)\b[*_]*\s*[:\-–—]?"
    r"\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_NOTES = re.compile(r"^\s*(?:[*_#]+\s*)?(?:notes?|additional\s+notes)\s*[:\-–—]\s*(?P<rest>.*)$",
                    re.IGNORECASE)
# Any other "Label:" line ends a list.
_OTHER_LABEL = re.compile(r"^\s*[A-Z][\w /&-]{1,30}:\s*(?:\S.*)?$")
_BULLET = re.compile(r"^\s*(?:[-*•·●▪◦‣+]|\d{1,2}[.)])\s+")
_TIME_RANGE = re.compile(
    r"^\s*\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?\s*(?:[-–—]|to)\s*\d{1,2}(?::\d{2})?\s*"
    r"(?:[ap]\.?m\.?)?\s*(?-i:[A-Z]{2,4}\b)?\s*[:\-–—|]?\s*", re.IGNORECASE)
_EMAIL = re.compile(r"<?(?:mailto:)?([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+"
                    r"(?:\.[A-Za-z0-9-]+)+)>?")
_WITH = re.compile(r"\b(?:meet(?:ing)?|speak(?:ing)?|chat(?:ting)?|talk(?:ing)?|interview(?:s|"
                   r"ing)?|call|session|conversation)\s+with\s+(?P<rest>[^\n]+)", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&|\+)\s*")
_ROLE_SEP = re.compile(r"\s+[-–—|/]\s+|\s*[:–—|]\s+")
# Words that make a "name" a team, a product or a company instead of a person.
_NOT_A_PERSON = {
    "team", "teams", "inc", "corp", "corporation", "llc", "ltd", "gmbh", "group", "labs",
    "company", "recruiting", "recruitment", "talent", "hr", "engineering", "zoom", "meet",
    "google", "microsoft", "webex", "skype", "hangouts", "call", "meeting", "interview",
    "calendar", "the", "our", "your", "us", "we", "you", "me", "department", "panel",
    "hiring", "manager", "committee", "office", "link", "details", "below", "above",
    "phone", "video", "onsite", "screen", "round", "session", "agenda", "schedule", "tbd",
    "lunch", "break", "welcome", "tour", "wrap-up", "intro", "introduction", "coffee",
    "closing", "overview", "presentation", "demo", "coding", "design", "system", "systems",
    "behavioral", "behavioural", "technical", "culture", "values", "debrief", "chat", "sync",
    "q&a", "questions", "exercise", "case", "study", "lead", "staff", "senior", "principal",
    "director", "engineer", "recruiter", "coordinator", "ceo", "cto", "vp", "head",
    "room", "conf", "conference", "building", "bldg", "floor", "lobby", "reception", "hq",
    "regards", "thanks", "thank", "cheers", "sincerely", "hello", "hi", "dear", "please",
}
_PRONOUNS = re.compile(r"(?i)\s*(?:she|he|they|ze|xe)\s*/\s*"
                       r"(?:her|him|them|hir|zir|hers|his|theirs)(?:\s*/\s*\w+)?\s*")
_SENTENCE_END = re.compile(r"(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bProf)(?<!\b[A-Z])"
                           r"[.!?](?:\s|$)")
_PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "del", "della", "du", "le", "la",
              "bin", "bint", "al", "el", "ten", "ter", "y", "dos", "das"}


@dataclass(frozen=True)
class ListedPerson:
    """Someone the description names, with the role and address given beside the name."""

    name: str
    role: str = ""
    email: str | None = None


@dataclass(frozen=True)
class DescriptionInfo:
    """What a description says: the people listed and any notes."""

    people: tuple[ListedPerson, ...] = ()
    notes: str = ""
    from_list: bool = False  # the people came from an explicit "Interviewers:" list


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.mailto: str | None = None  # <a href="mailto:..."> being read
        self.link_start = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")  # table cells: "Jane Doe | Engineering Manager"
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if href.lower().startswith("mailto:"):
                self.mailto = href[7:].split("?", 1)[0].strip()
                self.link_start = len(self.parts)
        if tag == "li":
            self.parts.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.mailto:
            # <a href="mailto:jane@acme.com">Jane Doe</a> → "Jane Doe <jane@acme.com>"
            if self.mailto.lower() not in "".join(self.parts[self.link_start:]).lower():
                self.parts.append(f" <{self.mailto}>")
            self.mailto = None
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS and tag not in ("li", "tr"):  # one break between items
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(text: str) -> str:
    """Plain text of a description that may be HTML (Google's or Outlook's)."""
    if not text or not _TAG.search(text):
        return text.replace("\r\n", "\n") if text else ""
    parser = _TextExtractor()
    # "<jane@acme.com>" is an address, not a tag: keep it as text.
    text = _BRACKETED_ADDRESS.sub(r"&lt;\1&gt;", text)
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError):  # the stdlib parser is lenient; never let it fail
        return html.unescape(_TAG.sub(" ", text))
    raw = "".join(parser.parts).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in raw.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def parse(description: str) -> DescriptionInfo:
    """The people and notes of a description (HTML or text). Never raises."""
    text = html_to_text(description or "")[:20000]
    lines = text.splitlines()
    people: list[ListedPerson] = []
    notes: list[str] = []
    from_list = False
    i = 0
    while i < len(lines):
        line = lines[i]
        note = _NOTES.match(line)
        if note:
            i = _collect_notes(lines, i, note.group("rest"), notes)
            continue
        heading = _HEADING.match(line)
        if heading and not _EMAIL.fullmatch(line.strip()):
            found, i = _collect_list(lines, i, heading.group("rest"))
            if found:
                from_list = True
                people.extend(found)
                continue
        i += 1
    if not people:
        for match in _WITH.finditer(text):
            people.extend(_names_in_sentence(match.group("rest")))
    return DescriptionInfo(tuple(_unique(people)), " ".join(notes)[:500], from_list)


def _collect_notes(lines: list[str], i: int, rest: str, notes: list[str]) -> int:
    if rest.strip():
        notes.append(rest.strip())
    i += 1
    while i < len(lines) and lines[i].strip() and not _OTHER_LABEL.match(lines[i]):
        notes.append(lines[i].strip())
        i += 1
    return i


def _collect_list(lines: list[str], i: int, rest: str) -> tuple[list[ListedPerson], int]:
    found: list[ListedPerson] = []
    if rest.strip():
        for chunk in _split_outside_parens(rest):
            person = _entry(chunk)
            if person is not None:
                found.append(person)
                continue
            # "You will meet with Jane Doe and John Smith from the platform team."
            names = _names_in_sentence(chunk)
            if names:
                found.extend(names)
                if len(names[0].name) < len(chunk.strip(" .")):
                    break  # prose after the name
            elif found and not found[-1].role and _looks_like_role(chunk):
                # "Jane Doe, Engineering Manager; John Smith, Staff Engineer"
                found[-1] = ListedPerson(found[-1].name, _clean_role(chunk), found[-1].email)
        i += 1
        if not found or i >= len(lines) or not lines[i].strip():
            return found, i
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
        if _HEADING.match(line) or _NOTES.match(line):
            break
        itemised = bool(_BULLET.match(line) or _TIME_RANGE.match(line))
        if not itemised and _OTHER_LABEL.match(line):
            break
        person = _entry(_BULLET.sub("", line, count=1), whole_line=True)
        if person is None and not itemised:
            break
        if person:
            found.append(person)
        i += 1
    return found, i


def _split_outside_parens(text: str) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    depth = 0
    tokens = re.split(r"(\(|\)|,|;|\s&\s|\sand\s)", text)
    for token in tokens:
        if token == "(":
            depth += 1
        elif token == ")":
            depth = max(0, depth - 1)
        if depth == 0 and token in (",", ";", " & ", " and "):
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
    """One list entry: "Jane Doe (Engineering Manager) <jane@acme.com>" and variants."""
    text = _TIME_RANGE.sub("", text.strip().strip("|"), count=1).strip().strip("*_|").strip()
    email = None
    found = _EMAIL.search(text)
    if found:
        email = found.group(1).lower()
        text = (text[: found.start()] + text[found.end():]).strip()
    role = ""
    paren = re.search(r"\(([^)]*)\)", text)
    if paren:
        role = paren.group(1).strip()
        text = (text[: paren.start()] + text[paren.end():]).strip()
    if _PRONOUNS.fullmatch(role):
        role = ""  # "(she/her)" is not a job title
    parts = _ROLE_SEP.split(text, maxsplit=1)
    if len(parts) == 2:
        first, second = parts[0].strip(), parts[1].strip()
        if not _is_name(first) and _is_name(second):
            first, second = second, first  # "Engineering Manager: Jane Doe"
        text, role = first, role or second
    elif whole_line and "," in text:
        # "Jane Doe, Engineering Manager" on its own line (a comma inside a bullet).
        head, tail = text.split(",", 1)
        if _is_name(head) and not _is_name(tail):
            text, role = head.strip(), role or tail.strip()
    # A sentence's full stop is not part of the name ("Jr." and initials keep theirs).
    name = re.sub(r"(\w{3,})[.!?]$", r"\1", clean_display(text.strip(" -–—:|")))
    if not _is_name(name):
        if email and not name:
            return ListedPerson(name="", role=_clean_role(role), email=email)
        return None
    return ListedPerson(name=name, role=_clean_role(role), email=email)


def _clean_role(role: str) -> str:
    role = " ".join(role.split()).strip(" -–—:|,.")
    return role[:80]


def _is_name(text: str) -> bool:
    words = text.strip().split()
    if not 1 <= len(words) <= 5 or len(text) > 60:
        return False
    if any(w.strip(".,").lower() in _NOT_A_PERSON for w in words):
        return False
    if "," in text:
        # "Doe, Jane" is one person written last-name-first.
        return all(_name_word(w) for w in text.replace(",", " ").split())
    return all(_name_word(w) or w.lower() in _PARTICLES for w in words) and _name_word(words[0])


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


def _names_in_sentence(rest: str) -> list[ListedPerson]:
    """Names after "with": capitalised runs separated by commas / "and"; stops at prose."""
    rest = _SENTENCE_END.split(rest, maxsplit=1)[0]
    found: list[ListedPerson] = []
    for chunk in _split_outside_parens(rest):
        role = ""
        paren = re.search(r"\(([^)]*)\)", chunk)
        if paren:
            role = paren.group(1)
            chunk = chunk[: paren.start()] + " " + chunk[paren.end():]
        words = chunk.split()
        taken: list[str] = []
        for word in words:
            if _name_word(word) or (taken and word.lower() in _PARTICLES):
                taken.append(word)
            else:
                break
        while taken and taken[-1].lower() in _PARTICLES:
            taken.pop()
        name = " ".join(taken).strip(".,")
        titled = bool(taken) and taken[0].rstrip(".").lower() in ("dr", "prof")
        if (len(taken) >= 2 or titled) and _is_name(name):
            found.append(ListedPerson(name=name, role=_clean_role(role)))
        else:
            break
        if len(taken) < len(words):
            break  # prose follows the name: the list has ended
    return found


def _unique(people: list[ListedPerson]) -> list[ListedPerson]:
    seen: set[str] = set()
    result = []
    for person in people:
        key = (person.email or person.name).casefold()
        if key and key not in seen:
            seen.add(key)
            result.append(person)
    return result
