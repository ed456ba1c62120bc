"""What the interview is for: company and role from the title, else the interviewers' domain.

Title patterns are regular expressions with named groups `company` and/or `role`; the
user's own (`detect.title_patterns`) are tried before the built-in ones. When no pattern
gives a company, the interviewers' shared email domain does (acme.com → Acme), except
for mail providers and scheduling services (`recipients.generic_domains`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# Kinds of interview written before the word: "Technical Interview" is a stage, not a role.
# Only words that do not end job titles ("Technical Recruiter interview" keeps its role).
_KIND = (r"(?:(?:virtual|technical|tech|behaviou?ral|coding|system\s+design|culture(?:\s+fit)?|"
         r"final|first|second|third|1st|2nd|3rd|phone|video|on-?site|panel|live)\s+)*")
_STAGE = (_KIND + r"(?:interviews?|on-?sites?|phone\s+screen|technical\s+screen|"
          r"recruiter\s+(?:screen|call)|screen(?:ing)?(?:\s+call)?|final\s+round|"
          r"hiring\s+manager(?:\s+(?:interview|call|chat))?|panel|coding\s+interview|"
          r"intro(?:ductory)?\s+call|chat)")
_DASH = r"\s+[-–—|]\s+"
# Words that end a job title and never a company's name.
_JOB_NOUNS = {"engineer", "engineers", "manager", "designer", "developer", "scientist",
              "analyst", "architect", "director", "intern", "internship", "recruiter",
              "consultant", "specialist", "coordinator", "officer", "administrator",
              "technician", "programmer", "researcher", "associate", "assistant", "sre",
              "pm", "vp", "ceo", "cto", "cfo", "lead", "head", "owner", "writer", "editor"}
_JOB = "|".join(sorted(_JOB_NOUNS))
# Built-in title shapes, most specific first.
DEFAULT_TITLE_PATTERNS: tuple[str, ...] = (
    # "[Acme] Backend Engineer interview"
    rf"^\s*\[(?P<company>[^\]]+)\]\s*(?P<role>.+?)\s+{_STAGE}\b.*$",
    # "Interview: Senior Engineer at Acme", "Onsite - Staff Engineer @ Acme (virtual)"
    rf"^\s*(?:.*?\b)?{_STAGE}\s*(?:[:–—|]|\s-)\s*(?P<role>.+?)\s+(?:at|@)\s+"
    r"(?P<company>[^()\[\]|–—:]+?)\s*(?:\(.*\))?\s*$",
    # "Interview for Senior Engineer at Acme", "Interview with Jane Doe for the Senior
    # Engineer role at Acme" (Lever, Greenhouse and GoodTime invites)
    rf"^\s*(?:.*?\b)?{_STAGE}(?:\s+with\s+.+?)?\s+for\s+(?:the\s+|an?\s+)?(?P<role>.+?)\s+"
    r"(?:at|@)\s+(?P<company>[^()\[\]|–—:]+?)\s*(?:\(.*\))?\s*$",
    # "Acme / Alex Rivera – phone screen" (scheduling tools: company / candidate – stage)
    rf"^\s*(?P<company>[^/:]+?)\s*/\s*[^/–—-]+?{_DASH}.*{_STAGE}.*$",
    # "Interview – Acme – Senior Engineer (– Onsite)": the stage first
    rf"^\s*{_STAGE}{_DASH}(?P<company>[^–—|:]+?){_DASH}(?P<role>[^–—|:]+?)(?:{_DASH}.*)?$",
    # "Acme – Senior Engineer – Onsite"
    rf"^\s*(?P<company>[^–—|:]+?){_DASH}(?P<role>[^–—|:]+?){_DASH}.*?{_STAGE}.*$",
    # "Senior Engineer interview at Acme"
    rf"^\s*(?P<role>[^:]+?)\s+{_STAGE}\s+(?:at|@)\s+(?P<company>[^()\[\]|–—:]+?)\s*(?:\(.*\))?$",
    # "Interview at Acme", "Onsite @ Acme - Staff Engineer"
    rf"^\s*{_STAGE}\s+(?:at|@)\s+(?P<company>[^()\[\]|–—:]+?)(?:{_DASH}(?P<role>.+?))?\s*$",
    # "Acme: Senior Engineer interview", "Acme - phone screen"
    rf"^\s*(?P<company>[^:–—|]+?)\s*(?:[:–—|]|\s-)\s*(?:(?P<role>.+?)\s+)??{_STAGE}\s*$",
    # Without a company, only a job title is taken as the role: "Interview: for Senior
    # Engineer" (GoodTime's "Interview: Alex Rivera for Senior Engineer" without the
    # candidate), "Product Manager Interview".
    rf"^\s*(?:.*?\b)?{_STAGE}(?:\s+with\s+.+?)?\s*[:–—|-]?\s*for\s+(?:the\s+|an?\s+)?"
    rf"(?P<role>.+?\b(?:{_JOB}))(?:\s+(?:role|position|opening))?\s*(?:\(.*\))?\s*$",
    rf"^\s*(?P<role>[^:–—|]+?\b(?:{_JOB}))\s+{_STAGE}\s*(?:\(.*\))?\s*$",
)
_IS_STAGE = re.compile(_STAGE, re.IGNORECASE)
_TRAILING_STAGE = re.compile(rf"(?<=\w)\s+{_STAGE}$", re.IGNORECASE)
# Second-level labels of country domains: acme.co.uk → acme.
_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc", "ne", "or"}
_MAX = 60


@lru_cache(maxsize=32)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error:
            continue  # the config validates user patterns; never fail a cycle on one
    return tuple(compiled)


def from_title(title: str, patterns: tuple[str, ...] = (),
               people: Iterable[str] = ()) -> tuple[str, str]:
    """(company, role) from the first matching title pattern; ("", "") if none matches.

    `people` are names of people in the invite (the user first): schedulers put the
    candidate's or interviewer's name in the title ("Acme - Alex Rivera - Technical
    Interview"), and a person is never the company or the role.
    """
    title = " ".join(title.split())
    names = _names(people)
    if names:
        title = _without(title, names)
    for pattern in _compiled(tuple(patterns) + DEFAULT_TITLE_PATTERNS):
        match = pattern.match(title)
        if not match:
            continue
        groups = match.groupdict()
        # "Acme Interview: Hiring Manager": the company is Acme.
        company = _TRAILING_STAGE.sub("", _tidy(groups.get("company") or ""))
        role = _ROLE_WORD.sub("", _tidy(groups.get("role") or ""))
        if any(_IS_STAGE.fullmatch(part) for part in (company, role) if part):
            continue  # "INTERVIEW" is the kind of meeting, not the company or the role
        if names and any(_fold(part) in names for part in (company, role) if part):
            continue
        if company and not role and _is_job_title(company):
            company, role = "", company  # "Senior Engineer - Phone Screen"
        if company or role:
            return company, role
    return "", ""


# "Senior Engineer role at Acme": the word "role" is not part of the role.
_ROLE_WORD = re.compile(r"\s+(?:role|position|opening)$", re.IGNORECASE)
_JOIN = r"(?:<>|/|&|\+|\bx\b|\band\b)"
_SEPARATORS = re.compile(r"\s*([-–—|:])(?:\s*[-–—|:])+\s*")


def _is_job_title(text: str) -> bool:
    words = text.casefold().split()
    return bool(words) and words[-1].strip(".,()") in _JOB_NOUNS


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _names(people: Iterable[str]) -> frozenset[str]:
    """Full names (two words or more) as written and as "Last, First", case-folded."""
    found: set[str] = set()
    for name in people:
        words = (name or "").replace(",", " ").split()
        if not 2 <= len(words) <= 5 or len(name) > 80:
            continue
        found.add(_fold(name))
        found.add(_fold(" ".join(words)))
        if "," not in name:
            found.add(_fold(f"{words[-1]}, {' '.join(words[:-1])}"))
    return frozenset(found)


def _without(title: str, names: frozenset[str]) -> str:
    """The title with those people taken out, with the words and separators that only
    joined them ("with", "for", "<>", "x", "/", "(...)") and no doubled separators."""
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in n.split())
                            for n in sorted(names, key=len, reverse=True))
    person = re.compile(
        rf"(?:\s*{_JOIN}\s*)?(?:\b(?:with|for|between)\s+)?\(?\s*(?<!\w)(?:{alternatives})"
        rf"(?:['’]s)?(?!\w)\s*\)?(?:\s*{_JOIN}(?=\s))?", re.IGNORECASE)
    cleaned, count = person.subn(" ", title)
    if not count:
        return title
    cleaned = _SEPARATORS.sub(lambda m: ": " if m.group(1) == ":" else f" {m.group(1)} ",
                              cleaned)
    return " ".join(cleaned.split()).strip(" -–—|:/<>&+,")


def _tidy(text: str) -> str:
    text = " ".join(text.split()).strip(" -–—:|,.[]")
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1].strip()  # "(Senior Engineer)" left by a name taken out
    return text if len(text) <= _MAX else ""


def from_domains(addresses: Iterable[str], generic_domains: Iterable[str],
                 texts: Iterable[str] = ()) -> str:
    """The company of a shared domain: every address at acme.com → "Acme"; else "".

    When one of `texts` (the title, then the description) writes the domain's name out,
    that spelling wins: piedpiper.com and "Pied Piper" → "Pied Piper", not "Piedpiper".
    """
    generic = {d.lower() for d in generic_domains}
    domains = set()
    for address in addresses:
        domain = address.rsplit("@", 1)[-1].lower().strip(".")
        if not domain or "." not in domain:
            continue
        if domain in generic or any(domain.endswith("." + g) for g in generic):
            continue
        domains.add(registrable_label(domain))
    if len(domains) != 1:
        return ""
    label = domains.pop()
    for text in texts:
        written = spelled_in(label, text)
        if written:
            return written
    return company_name(label)


# Punctuation around a word that is not part of a name: "(Pied", "Piper!", "Piper's".
_EDGES = "\"'“”‘’()[]{}<>,.;:!?*_|/–—-"
_MAX_WORDS = 5


def spelled_in(label: str, text: str) -> str:
    """The words of `text` that spell the domain label, ignoring case, spaces and
    punctuation ("piedpiper" in "Interview at Pied Piper!" → "Pied Piper"); else "".

    A lower-case-only spelling is no better than the label itself and is not taken.
    """
    key = _letters(label)
    if not key or not text:
        return ""
    words = [_word(w) for w in text[:5000].split()]
    for i, first in enumerate(words):
        # Cheap rejection: the run must start with the label's first character.
        if not first or _letters(first)[:1] != key[0]:
            continue
        joined = ""
        for j in range(i, min(i + _MAX_WORDS, len(words))):
            joined += _letters(words[j])
            if not key.startswith(joined):
                break
            if joined == key:
                name = _tidy(" ".join(words[i:j + 1]))
                if name and any(c.isupper() for c in name):
                    return name
                break
    return ""


def _word(word: str) -> str:
    word = word.strip(_EDGES)
    for possessive in ("'s", "’s"):
        word = word.removesuffix(possessive)
    return word


def _letters(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def registrable_label(domain: str) -> str:
    """The organisation's label of a domain: mail.acme.com → acme, acme.co.uk → acme."""
    labels = domain.lower().split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else labels[0]


def company_name(label: str) -> str:
    """acme → Acme; acme-robotics → Acme Robotics; ibm → IBM."""
    words = [w for w in re.split(r"[-_]+", label) if w]
    if len(words) == 1 and len(words[0]) <= 3:
        return words[0].upper()
    return " ".join(w[:1].upper() + w[1:] for w in words)
