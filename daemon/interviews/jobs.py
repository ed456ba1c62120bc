"""Which application an interview is for: its company, else an interviewer's domain.

Pure. `explain`, `preview`, the notes and the ask all call `match_job`, so what `explain`
names is what the notes say.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from afterword.daemon.config.jobs import Job, company_key
from afterword.daemon.model import Interview


@dataclass(frozen=True)
class JobMatch:
    """The job an interview matched, and why (for `explain` and `preview`)."""

    job: Job
    why: str


def match_job(jobs: Sequence[Job], company: str,
              addresses: Iterable[str | None]) -> JobMatch | None:
    """The first job whose company or alias equals `company` (ignoring case, spaces and
    punctuation); else the first whose `domains` hold one of `addresses`' domains."""
    key = company_key(company)
    if key:
        for job in jobs:
            for name in (job.company, *job.aliases):
                if company_key(name) == key:
                    return JobMatch(job, f"company {company!r} is {job.where} "
                                         f"({job.company})")
    domains = [a.rsplit("@", 1)[1].lower() for a in addresses if a and "@" in a]
    for job in jobs:
        for domain in domains:
            for own in job.domains:
                if domain == own or domain.endswith("." + own):
                    return JobMatch(job, f"address domain {domain} is {job.where} "
                                         f"({job.company})")
    return None


def job_for(jobs: Sequence[Job], interview: Interview,
            more_addresses: Iterable[str | None] = ()) -> JobMatch | None:
    """`match_job` for an interview: its company, its interviewers' addresses (and any
    others the caller knows, e.g. the organizer's)."""
    if not jobs:
        return None
    return match_job(jobs, interview.company,
                     [*(p.email for p in interview.interviewers), *more_addresses])


def explain_line(match: JobMatch | None, jobs: Sequence[Job]) -> str | None:
    """The `job:` line of `explain` and `preview` (None when no job is configured)."""
    if not jobs:
        return None
    if match is None:
        return "job: none of [[jobs]] matches (company or interviewers' domains)"
    return f"job: {match.job.company}" + (f", {match.job.role}" if match.job.role else "") + (
        f" — {match.why}")
