"""`[[jobs]]` and `jobs_dir`: one entry per application (company, role, pitch, highlights).

Every problem is recorded with its dotted path (`jobs[1].contact`, or
`jobs_dir/acme.toml: pitch` for a file of `jobs_dir`), like any other config problem.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from afterword.daemon.config.table import Table, toml_problem
from afterword.daemon.errors import UsageError
from afterword.daemon.interviews.contact import parse_recipient


@dataclass(frozen=True)
class Job:
    """One application: what the notes to that company say about why you fit."""

    company: str
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    role: str = ""
    pitch: str = ""
    highlights: tuple[str, ...] = ()
    posting: str = ""
    contact_name: str = ""
    contact_email: str = ""
    where: str = ""  # `jobs[0]` or `jobs_dir/acme.toml`: what `explain` names

    @property
    def contact(self) -> str:
        """"Rita Recruiter <rita@acme.example>", or "" when no contact is set."""
        if not self.contact_email:
            return ""
        return (f"{self.contact_name} <{self.contact_email}>" if self.contact_name
                else self.contact_email)


def company_key(text: str) -> str:
    """A company name without case, spaces or punctuation ("ACME, Corp." → "acmecorp")."""
    return re.sub(r"[\W_]+", "", text.casefold())


def read_job(t: Table) -> Job:
    """One job table (an entry of [[jobs]] or one file of jobs_dir)."""
    company = t.string("company", "", required=True)
    domains = tuple(d.strip().lower().lstrip("@") for d in t.strings("domains", ()) if d.strip())
    for i, domain in enumerate(domains):
        if "." not in domain or "@" in domain or " " in domain:
            t.problem(f"domains[{i}]", f"not a domain: {domain!r} (e.g. \"acme.example\")")
    contact = t.string("contact", "")
    name = email = ""
    if contact.strip():
        try:
            name, email = parse_recipient(contact)
        except UsageError as err:
            t.problem("contact", str(err))
    posting = t.url("posting", "")
    job = Job(company=company.strip(), aliases=tuple(a.strip() for a in t.strings("aliases", ())),
              domains=domains, role=t.string("role", "").strip(),
              pitch=" ".join(t.string("pitch", "").split()),
              highlights=tuple(" ".join(h.split()) for h in t.strings("highlights", ())
                               if h.strip()),
              posting=posting, contact_name=name, contact_email=email, where=t.where)
    t.finish(what="a job")
    return job


def read_jobs(root: Table) -> tuple[Job, ...]:
    """`[[jobs]]` then every `*.toml` of `jobs_dir` (sorted by name); duplicates reported."""
    jobs = [read_job(t) for t in root.tables("jobs")]
    folder = root.path("jobs_dir")
    if folder is not None:
        if not folder.is_dir():
            root.problem("jobs_dir", f"not a folder: {folder}")
        else:
            for path in sorted(folder.glob("*.toml")):
                job = _read_file(path, root)
                if job is not None:
                    jobs.append(job)
    seen: dict[str, str] = {}
    for job in jobs:
        for name in (job.company, *job.aliases):
            key = company_key(name)
            if not key:
                continue
            if key in seen and seen[key] != job.where:
                root.problems.append(f"{job.where}.company: duplicate company {name!r} "
                                     f"(also {seen[key]})")
                break
            seen[key] = job.where
    return tuple(jobs)


def _read_file(path: Path, root: Table) -> Job | None:
    where = f"jobs_dir/{path.name}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        root.problems.append(f"{where}: cannot be read: {getattr(err, 'strerror', None) or err}")
        return None
    except tomllib.TOMLDecodeError as err:
        root.problems.append(f"{where}: {toml_problem(err)}")
        return None
    return read_job(Table(data, where, root.problems, path.parent))
