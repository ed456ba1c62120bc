"""What the interview is for: company and role from the title, else the interviewers' domain.

The user's own title patterns (`detect.title_patterns`, regular expressions with named
groups `company` and/or `role`) are tried first; then `titles` reads the title as
schedulers write it. The interviewers' shared email domain (acme.com → Acme) confirms a
company the title only suggests, and names it when the title does not, except for mail
providers and scheduling services (`recipients.generic_domains`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from afterword.daemon.interviews import titles

_MAX = 60
# Second-level labels of country domains: acme.co.uk → acme.
_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc", "ne", "or"}


@lru_cache(maxsize=32)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error:
            continue  # the config validates user patterns; never fail a cycle on one
    return tuple(compiled)


def from_title(title: str, patterns: tuple[str, ...] = (), people: Iterable[str] = (),
               me: Iterable[str] = (), hint: str = "") -> tuple[str, str]:
    """(company, role) from the user's own title patterns first, else as `titles` reads
    the title; "" for what the title does not say for sure.

    `people` are the interviewers' names, `me` the candidate's (me.name and the names the
    invite gives the user), `hint` the interviewers' shared domain label.
    """
    one_line = " ".join(title.split())
    for pattern in _compiled(tuple(patterns)):
        match = pattern.match(one_line)
        if match:
            groups = match.groupdict()
            return _tidy(groups.get("company") or ""), _tidy(groups.get("role") or "")
    return titles.parse(one_line, people, me, hint)


def identify(title: str, patterns: tuple[str, ...], people: Iterable[str],
             me: Iterable[str], addresses: Iterable[str], generic_domains: Iterable[str],
             texts: Iterable[str] = ()) -> tuple[str, str]:
    """(company, role) of an interview: the title says them; the interviewers' shared
    domain confirms a company the title only suggests, or names it when the title does not.
    """
    label = domain_label(addresses, generic_domains)
    company, role = from_title(title, patterns, people, me, label)
    if not company:
        company = from_domains(addresses, generic_domains, texts)
    return company, role


def domain_label(addresses: Iterable[str], generic_domains: Iterable[str]) -> str:
    """The organisation label all these addresses share ("acme"), else ""."""
    generic = {d.lower() for d in generic_domains}
    domains = set()
    for address in addresses:
        domain = address.rsplit("@", 1)[-1].lower().strip(".")
        if not domain or "." not in domain:
            continue
        if domain in generic or any(domain.endswith("." + g) for g in generic):
            continue
        domains.add(registrable_label(domain))
    return domains.pop() if len(domains) == 1 else ""


def _tidy(text: str) -> str:
    text = " ".join(text.split()).strip(" -–—:|,.[]")
    return text if len(text) <= _MAX else ""


def from_domains(addresses: Iterable[str], generic_domains: Iterable[str],
                 texts: Iterable[str] = ()) -> str:
    """The company of a shared domain: every address at acme.com → "Acme"; else "".

    When one of `texts` (the title, then the description) writes the domain's name out,
    that spelling wins: piedpiper.com and "Pied Piper" → "Pied Piper", not "Piedpiper".
    """
    label = domain_label(addresses, generic_domains)
    if not label:
        return ""
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
