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

_STAGE = (r"(?:virtual\s+)?(?:interviews?|on-?sites?|phone\s+screen|technical\s+screen|"
          r"recruiter\s+(?:screen|call)|screen(?:ing)?(?:\s+call)?|final\s+round|"
          r"hiring\s+manager(?:\s+(?:interview|call|chat))?|panel|coding\s+interview|"
          r"intro(?:ductory)?\s+call|chat)")
_DASH = r"\s+[-–—|]\s+"
# Built-in title shapes, most specific first.
DEFAULT_TITLE_PATTERNS: tuple[str, ...] = (
    # "[Acme] Backend Engineer interview"
    rf"^\s*\[(?P<company>[^\]]+)\]\s*(?P<role>.+?)\s+{_STAGE}\b.*$",
    # "Interview: Senior Engineer at Acme", "Onsite - Staff Engineer @ Acme (virtual)"
    rf"^\s*(?:.*?\b)?{_STAGE}\s*(?:[:–—|]|\s-)\s*(?P<role>.+?)\s+(?:at|@)\s+"
    r"(?P<company>[^()\[\]|–—:]+?)\s*(?:\(.*\))?\s*$",
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
)
_IS_STAGE = re.compile(_STAGE, re.IGNORECASE)
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


def from_title(title: str, patterns: tuple[str, ...] = ()) -> tuple[str, str]:
    """(company, role) from the first matching title pattern; ("", "") if none matches."""
    title = " ".join(title.split())
    for pattern in _compiled(tuple(patterns) + DEFAULT_TITLE_PATTERNS):
        match = pattern.match(title)
        if not match:
            continue
        groups = match.groupdict()
        company = _tidy(groups.get("company") or "")
        role = _tidy(groups.get("role") or "")
        if any(_IS_STAGE.fullmatch(part) for part in (company, role) if part):
            continue  # "INTERVIEW" is the kind of meeting, not the company or the role
        if company or role:
            return company, role
    return "", ""


def _tidy(text: str) -> str:
    text = " ".join(text.split()).strip(" -–—:|,.[]")
    return text if len(text) <= _MAX else ""


def from_domains(addresses: Iterable[str], generic_domains: Iterable[str]) -> str:
    """The company of a shared domain: every address at acme.com → "Acme"; else ""."""
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
    return company_name(domains.pop())


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
