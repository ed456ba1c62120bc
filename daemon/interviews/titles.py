"""Company and role from an interview's title, in the shapes schedulers and recruiters write.

The title is cleaned first: forwarding and reply prefixes ("FW:", "Accepted:", "Updated
invitation with note:"), requisition ids ("JR1004567", "R-104233", "Req #12345"), stage
counters ("(3/4)"), e-mail addresses, Google's "@ Tue 5 Mar ..." tail, the people of the
invite, ALL CAPS. Then it is cut at its separators (-, –, —, |, :, /, @, "at", "for",
"with", "between") and every part is read as a stage ("Final Round", "Onsite Interview",
"Vorstellungsgespräch"), a role (it ends with a job noun: "Software Engineer II"), a
company (a name where schedulers put one), or noise ("Zoom", "HQ", "30 Minute Meeting").

Confidence rules, because a wrong role is worse than none: a role needs a job noun (or,
in "X at Company", only job words); a company needs "at"/"@"/"[...]" before it, or to be
the one name left, or the interviewers' domain to spell it. Two different candidates for
one field and nothing to choose between them: neither is taken.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from afterword.daemon.interviews import names
from afterword.daemon.interviews import title_words as words

_NB = "\u00a0"  # joins the words of a compound ("hiring manager") into one token


@dataclass
class _Part:
    text: str
    joint: str  # the separator before it: "start", "at", "for", "with", "dash", "aside", ...
    stage: bool = False
    after: str = ""  # an aside's: the word before it ("Sarah (VP Eng)": "sarah")


def parse(title: str, people: Iterable[str] = (), me: Iterable[str] = (),
          hint: str = "") -> tuple[str, str]:
    """(company, role) read from `title`; "" for what the title does not say for sure.

    `people`: names of the interviewers (a person is never the company or the role, and
    the job title written after their name is theirs, not the candidate's); `me`: the
    candidate's names; `hint`: the interviewers' shared domain label ("acme"), which
    confirms a company the title only suggests.
    """
    text = _clean(title)
    mine = [n for n in me if n]
    text = names.without_people(text, names.full_names(people), eat_title=True)
    text = names.without_people(text, names.full_names(mine), eat_title=False)
    first_names = names.single_names([*people, *mine]) - words.NOT_NAMES
    mine_first = names.single_names(mine)
    parts = _parts(_compounds(text))
    lowercase = not any(c.isupper() for c in text)  # "initech recruiter phone screen"
    companies: list[tuple[str, int]] = []
    persons: set[int] = set()  # strengths of the parts that read as a person's name
    roles: list[tuple[str, int]] = []
    for i, part in enumerate(parts):
        rest = part.text
        if not rest or part.stage:
            continue
        if any(w.casefold() in first_names for w in _tokens(rest)) and not _confirmed(rest, hint):
            continue  # the candidate's or an interviewer's name (not "Jane Street" at janestreet)
        someone = (part.after in first_names or part.after in names.given_names()) \
            and part.after not in mine_first
        if (part.joint == "with" or someone) and role_score(rest):
            continue  # "Final round with the CTO", "Sarah (VP Eng)": an interviewer's job
        score = role_score(rest)
        before_at = i + 1 < len(parts) and parts[i + 1].joint == "at"
        if score == 2 or (score == 1 and before_at and part.joint != "with"):
            roles.append((rest, 1 if part.joint == "aside" else 2))
            continue
        if score == 1 or not _company_like(rest, lowercase):
            continue
        strength = {"at": 3, "lead": 3, "with": 1, "for": 1, "aside": 1}.get(part.joint, 2)
        if strength == 1 and _has_company_suffix(rest):
            strength = 2
        if (strength < 3 and names.looks_like_person(rest) and not _has_company_suffix(rest)
                and not _confirmed(rest, hint)):
            persons.add(strength)  # "Maria González": never the company, and it may be
            continue  # one ("Jane Street - Trading Interview"): the others stay in doubt
        companies.append((rest, strength))
    company = _choose_company(companies, hint)
    if company and not _confirmed(company, hint) and dict(companies)[company] in persons:
        company = ""
    role = _choose(roles)
    if role and not company:
        company, role = _split_company(role, hint)
    elif role and company and _fold(role).startswith(_fold(company) + " "):
        role = role[len(company):].strip()  # "Acme Senior Engineer" once Acme is known
    elif role and not hint and _suspect_prefix(role):
        role = ""  # "Globex Data Engineer": a name before the job, and nothing says which
    return _finish(company), _finish(role)


# -- cleaning ------------------------------------------------------------------------

_PREFIX = re.compile(
    r"^\s*(?:(?:fwd?|fw|re|aw|wg|tr|rv|sv|vs|antw)\s*:|accepted\s*:|declined\s*:|"
    r"tentative(?:ly accepted)?\s*:|updated invitation(?: with note)?\s*:|invitation\s*:|"
    r"new event\s*:|updated event\s*:|cancel+ed(?: event)?\s*:|reminder\s*:|"
    r"\[(?:hold|tentative|external|ext|confirmed|draft)\]|\((?:hold|tentative)\)|"
    r"hold\s*[-:|])\s*", re.IGNORECASE)
# Google's invitation subject: "Interview @ Tue Mar 5, 2024 2pm - 3pm (EST) (me@x.com)".
_GOOGLE_TAIL = re.compile(
    r"\s+@\s+(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\s+\S.*$", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_REQ = re.compile(
    r"(?:\b(?:req(?:uisition)?|job(?:\s+id)?|position(?:\s+id)?|ref|id)\s*[#:.]?\s*"
    r"[A-Z]{0,4}-?\d{3,}[\w-]*|#\s*\d{3,}|\b(?:JR|REQ|R|P|J)[-_]?\d{4,}(?:[-_]\d+)?\b)",
    re.IGNORECASE)
_COUNTER = re.compile(
    r"\(\s*(?:\d+\s*(?:/|of)\s*\d+|part\s+\d+(?:\s+of\s+\d+)?|round\s+\d+|day\s+\d+)\s*\)|"
    r"(?<![\w/])\d+\s*/\s*\d+(?![\w/])|"
    r"\b(?:round|part|day|session|block|stage|step|phase)\s+\d+(?:\s+of\s+\d+)?\b",
    re.IGNORECASE)
_GENDER = re.compile(r"\(\s*[mwfdhx]\s*/\s*[mwfdhx](?:\s*/\s*[mwfdhx])?\s*\)", re.IGNORECASE)


def _clean(title: str) -> str:
    text = unicodedata.normalize("NFC", " ".join((title or "").split()))[:300]
    text = text.replace("（", "(").replace("）", ")").replace("｜", "|").replace("：", ": ")
    for _ in range(4):
        text, count = _PREFIX.subn("", text)
        if not count:
            break
    text = _GOOGLE_TAIL.sub("", text)
    text = _EMAIL.sub(" ", text)
    text = _GENDER.sub(" ", text)
    text = _REQ.sub(" ", text)
    text = _COUNTER.sub(" ", text)
    text = re.sub(r"\(\s*\)|\[\s*\]", " ", text)
    text = natural_case(text)
    text = re.sub(r"(?<!\d)1\s*:\s*1(?!\d)", "one-on-one", text)
    return " ".join(text.split())


def _compounds(text: str) -> str:
    """Multi-word stages and job words as one token each ("hiring manager")."""
    for compound in words.COMPOUNDS:
        text = re.sub(rf"(?<!\w){compound}(?!\w)", lambda m: m.group(0).replace(" ", _NB),
                      text, flags=re.IGNORECASE)
    return text


def natural_case(text: str) -> str:
    """ALL CAPS titles in a natural case, keeping acronyms: "ML ENGINEER II" → "ML Engineer II"."""
    cased = [c for c in text if c.isalpha() and c.lower() != c.upper()]
    if len(cased) < 4 or any(c.islower() for c in cased):
        return text

    def word(match: re.Match[str]) -> str:
        w = match.group(0)
        if w in words.ACRONYMS or w.casefold() in words.SPECIAL_CASE:
            return words.SPECIAL_CASE.get(w.casefold(), w)
        if w.casefold() in words.NAME_JOINS and match.start() > 0:
            return w.lower()  # "MEET THE TEAM" → "Meet the Team", "ANALISTA DE DATOS"
        if len(w) <= 3 and w.casefold() not in words.SMALL_WORDS:
            return w  # "IBM", "AWS": short words in capitals are most often acronyms
        return w[:1] + w[1:].lower()

    return re.sub(r"[^\W\d_]+(?:['’][^\W\d_]+)?", word, text)


# -- parts ---------------------------------------------------------------------------

_SPLIT = re.compile(
    r"(\s+-+\s+|\s*[–—|]+\s*|\s+/+\s+|//|(?<!\d)\s*:\s*(?!\d)|\s+@\s+|\s+w/\s*|"
    r"\s+(?:at|for|with|between|bei|chez|con|com|avec|mit|met|presso|en)\s+)", re.IGNORECASE)
_JOINTS = {"@": "at", "at": "at", "bei": "at", "chez": "at", "presso": "at", "en": "at",
           "for": "for", "with": "with", "w/": "with", "avec": "with", "mit": "with", "met": "with",
           "con": "with", "com": "with", "between": "between"}
_ASIDE = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")


def _parts(text: str) -> list[_Part]:
    """The title cut at its separators, each part without its stage words."""
    asides: list[_Part] = []

    def aside(match: re.Match[str]) -> str:
        inner = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
        lead = match.start() == 0 and match.group(2) is not None
        before = text[:match.start()].split()[-1:] or [""]
        asides.append(_Part(inner, "lead" if lead else "aside", after=before[0].casefold()))
        return " — " if lead else " "

    text = _ASIDE.sub(aside, text)
    pieces = _SPLIT.split(text)
    parts: list[_Part] = []
    joint = "start"
    for i, piece in enumerate(pieces):
        if i % 2:
            key = piece.strip().casefold()
            joint = _JOINTS.get(key, "dash")
            continue
        if joint == "between":
            break  # Calendly: "30 Minute Meeting between Jane Doe and Alex Rivera"
        parts.append(_Part(piece, joint))
    for part in [*parts, *asides]:
        part.text, part.stage = _read(part.text, part)
    return parts + asides


def _read(text: str, part: _Part) -> tuple[str, bool]:
    """A part without stage words, articles and filler; (rest, whether it was a stage)."""
    tokens = _tokens(text)
    if not tokens:
        return "", False
    folded = [t.casefold().strip(".,;!?") for t in tokens]
    if all(f in words.STAGE or _cjk_stage(f) for f in folded):
        return "", True
    start, end = 0, len(tokens)
    had_stage = False
    # Stage words at the end ("Stripe Onsite Interview"), then at the start ("Final
    # Round Stripe"): a run counts only with a head noun in it, so "Team Lead" stays.
    run = end
    while run > start and (folded[run - 1] in words.STAGE or _cjk_stage(folded[run - 1])):
        run -= 1
    if run < end and _has_head(folded[run:end]):
        end, had_stage = run, True
    run = start
    while run < end and (folded[run] in words.STAGE or _cjk_stage(folded[run])):
        run += 1
    if run > start and _has_head(folded[start:run]):
        start, had_stage = run, True
    while start < end and folded[start] in words.LEADING:
        if folded[start] in ("for", "at", "with") and part.joint in ("start", "dash"):
            part.joint = {"for": "for", "at": "at", "with": "with"}[folded[start]]
        start += 1
    while end > start and (folded[end - 1] in words.TRAILING
                           or (folded[end - 1] in words.PLACE_WORDS and end - start > 1)):
        end -= 1  # "Globex HQ", "the Product Designer role"
    while start < end and re.fullmatch(r"\d{3,}", folded[start]):
        start += 1  # an unlabelled requisition number: "10234 Customer Service Rep"
    rest = " ".join(tokens[start:end]).replace(_NB, " ").strip(" -–—:|,.;/&+")
    if not rest or _noise(rest):
        return "", had_stage and not rest
    return rest, False


def _tokens(text: str) -> list[str]:
    # Split on spaces only: str.split() would also cut the no-break spaces of compounds.
    return [t for t in text.split(" ") if t]


def _has_head(folded: list[str]) -> bool:
    return any(f in words.STAGE_HEADS or _cjk_stage(f) for f in folded)


def _cjk_stage(token: str) -> bool:
    return any(head in token for head in words.CJK_STAGE)


def _noise(text: str) -> bool:
    """Conferencing, places, durations, times and filler: never a company or a role."""
    folded = _fold(text)
    if folded.replace(" ", _NB) in words.NOISE or folded in words.NOISE or folded in words.PLACES:
        return True
    if re.fullmatch(r"[\d\s:.,apm-]*", folded):
        return True  # "10:00", "2pm"
    if re.match(r"\d+\s*(?:min|mins|minutes?|minuten|hr|hrs|hours?|h|m)\b", folded):
        return True  # "30 Minute Meeting"
    last = folded.split()[-1]
    return last in words.PLACE_WORDS or folded.split()[0] in words.PREPOSITIONS


# -- judging -------------------------------------------------------------------------

def role_score(text: str) -> int:
    """2: a job title ("Senior Data Engineer", "Head of Design", "SRE II"); 1: only job
    words without a job noun ("Backend", "Data Platform"); 0: anything else."""
    raw = [t.casefold().strip(".;()") for t in text.replace("/", " / ").split()]
    raw = [t for t in raw if t and t != "/"]
    if not raw or len(raw) > 8:
        return 0
    # "Engineering Manager, Payments": the job is before the comma.
    comma = next((i for i, t in enumerate(raw) if t.endswith(",")), len(raw) - 1)
    toks = [t.strip(",") for t in raw]
    core = toks[:comma + 1]
    while len(core) > 1 and (core[-1] in words.LEVELS or re.fullmatch(r"[lep]\d{1,2}", core[-1])):
        core = core[:-1]
    last, first = core[-1], core[0]
    if last in words.JOB_NOUNS or any(last.endswith(s) for s in words.JOB_SUFFIXES):
        return 2
    if first in words.JOB_NOUNS_FIRST and len(toks) <= 5:
        return 2  # "Ingénieur logiciel", "Medewerker Klantenservice"
    if len(toks) >= 2 and first in words.HEADS_OF and (toks[1] in ("of", "de", "für")
                                                      or raw[0].endswith(",")
                                                      or first in ("vp", "svp", "evp")):
        return 2  # "Head of Design", "Director, Product", "VP Engineering"
    if all(t in words.ROLE_WORDS or t in words.LEVELS for t in toks):
        return 1
    return 0


def _company_like(text: str, lowercase: bool) -> bool:
    """A name that could be a company: short, starts with a capital (or is not Latin, or
    the whole title is in lower case), no commas except before Inc./LLC, no lower-case
    words but small joining ones ("Bank of America")."""
    if len(text) > 40 or len(text.split()) > 6 or text.casefold() in words.NOT_COMPANIES:
        return False
    if "," in text and not re.search(r",\s*(?:inc|llc|ltd|gmbh|s\.?a\.?)\b", text, re.I):
        return False
    head = text[0]
    if head.isalpha() and head.lower() != head.upper() and not head.isupper():
        return lowercase and len(text.split()) <= 2
    if text.split()[-1].casefold() in words.NAME_JOINS:
        return False  # "Meet the": a name never ends with a joining word
    lower = [w for w in text.split()[1:] if w[:1].islower() and w not in words.NAME_JOINS]
    return lowercase or not lower


def _has_company_suffix(text: str) -> bool:
    return _fold(text).split()[-1] in words.COMPANY_SUFFIXES


def _confirmed(text: str, hint: str) -> bool:
    """The interviewers' domain spells this name, or its first words: "Pied Piper Inc"
    and piedpiper.com."""
    if not hint:
        return False
    joined = ""
    for w in text.split():
        joined += "".join(c for c in w.casefold() if c.isalnum())
        if joined == hint:
            return True
        if not hint.startswith(joined):
            return False
    return False


def _choose_company(found: list[tuple[str, int]], hint: str) -> str:
    confirmed = _distinct(t for t, _ in found if _confirmed(t, hint))
    if confirmed:
        return confirmed[0]
    for strength in (3, 2):
        here = _distinct(t for t, s in found if s == strength)
        if len(here) == 1:
            return here[0]
        if here:
            return ""  # "Jane Smith - Acme - Onsite": two names, and nothing says which
    return ""


def _choose(found: list[tuple[str, int]]) -> str:
    for strength in (2, 1):
        here = _distinct(t for t, s in found if s == strength)
        if len(here) == 1:
            return here[0]
        if here:
            return ""
    return ""


def _distinct(texts: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for text in texts:
        seen.setdefault(_fold(text), text)
    return list(seen.values())


def _suspect_prefix(role: str) -> bool:
    """A role whose first words are not job words while two or more job words follow:
    "Globex Data Engineer" is likely company + role, "Payments Engineer" a role."""
    toks = [t.casefold().strip(".,") for t in role.split()]
    if toks[0] in words.HEADS_OF or toks[0] in words.JOB_NOUNS_FIRST:
        return False  # "Head of Design", "Ingénieur logiciel"
    run = 0
    for t in reversed(toks[:-1]):
        if t not in words.ROLE_WORDS and t not in words.LEVELS:
            break
        run += 1
    return run >= 1 and run < len(toks) - 1 and toks[0] not in words.ROLE_WORDS


def _split_company(role: str, hint: str) -> tuple[str, str]:
    """A company written before the job ("Stripe Software Engineer") when the domain says so."""
    parts = role.split()
    for n in range(1, min(4, len(parts))):
        prefix = " ".join(parts[:n])
        if _confirmed(prefix, hint) and role_score(" ".join(parts[n:])) == 2:
            return prefix, " ".join(parts[n:])
    if _suspect_prefix(role):
        return "", ""
    return "", role


def _finish(text: str) -> str:
    text = " ".join(text.replace(_NB, " ").split()).strip(" -–—:|,.;[]()/")
    text = re.sub(r"(?i),\s*(?:inc|llc|ltd|gmbh)$", "", text)  # "Datadog, Inc." → "Datadog"
    if text.count("(") != text.count(")"):
        text = text.replace("(", "").replace(")", "").strip()
    if text and text == text.lower() and re.fullmatch(r"[a-z0-9&.' -]+", text):
        text = " ".join(w[:1].upper() + w[1:] for w in text.split())
    return text if len(text) <= 60 else ""


def _fold(text: str) -> str:
    return " ".join(text.replace(_NB, " ").casefold().split())
