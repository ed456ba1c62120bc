"""Shared scenario data for the jobs tests: applications, and what each note must say."""

from __future__ import annotations

ACME_PITCH = ("I led the move of a two-petabyte warehouse to streaming, the very work your "
              "team described.")
GLOBEX_PITCH = "I have run Kubernetes platforms for three hundred engineers."
GLOBAL_PITCH = "I have spent five years building data pipelines at scale."
ACME_HIGHLIGHTS = ("five years of Spark in production", "on-call leadership for a data platform",
                   "a conference talk on exactly-once pipelines")

JOBS = f"""
[drafts.vars]
pitch = "{GLOBAL_PITCH}"

[[jobs]]
company = "Acme"
aliases = ["Acme Corp"]
domains = ["acme.example"]
role = "Senior Data Engineer"
pitch = "{ACME_PITCH}"
highlights = {list(ACME_HIGHLIGHTS)!r}
contact = "Rita Recruiter <rita@acme.example>"

[[jobs]]
company = "Globex"
domains = ["globex.example"]
role = "Platform Engineer"
pitch = "{GLOBEX_PITCH}"
highlights = ["a CKA certification"]

[[jobs]]
company = "Hooli"
domains = ["hooli.example"]
role = "Product Analyst"
contact = "Gavin Belson <gavin@hooli.example>"
""".replace("'", '"')


def pitches_in(text: str) -> set[str]:
    """Which of the scenario's pitches a note carries."""
    squeezed = " ".join(text.split())
    return {name for name, pitch in (("acme", ACME_PITCH), ("globex", GLOBEX_PITCH),
                                     ("global", GLOBAL_PITCH)) if pitch in squeezed}


def highlights_in(text: str) -> set[str]:
    """Which of Acme's highlights a note carries."""
    squeezed = " ".join(text.split())
    return {h for h in ACME_HIGHLIGHTS if h in squeezed}
