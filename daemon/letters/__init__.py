"""Letters on paper and handwritten cards: one PDF per interviewer (`afterword letter`).

The words come from the note's template (its `letter` or `card` block, else its `text`
block), with the same variables as the email, so a letter says what the draft says.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from pathlib import Path

from afterword.daemon.config import Config
from afterword.daemon.drafting.compose import Templates, choose_template, note_context
from afterword.daemon.errors import TemplateError
from afterword.daemon.interviews.jobs import job_for
from afterword.daemon.letters.pdf import Page, render
from afterword.daemon.model import Interview, Interviewer

__all__ = ["auto_letters", "letter_path", "shorten", "write_letters"]


def write_letters(config: Config, templates: Templates, interview: Interview, now: datetime,
                  folder: Path, card: bool = False) -> list[Path]:
    """One PDF per interviewer of `interview` in `folder`; the paths written, in order.

    Every page is rendered before any file is written: a template error leaves no
    half-done set (TemplateError); OSError when the folder cannot be written.
    """
    job = job_for(config.jobs, interview)
    template = choose_template(config.drafts.rules, config.drafts.template,
                               interview.account, interview)
    zone = config.me.timezone
    today = now.astimezone(zone)
    date = (f"{today:%B} {today.day}, {today.year}" if config.letters.paper == "letter"
            else f"{today.day} {today:%B %Y}")
    company = interview.company or (job.job.company if job else "")
    pages = []
    for person in interview.interviewers:
        context = note_context(config, interview, person, now, job)
        kind, text = templates.render_paper(
            template, context, ("card", "text") if card else ("letter", "text"))
        if card and kind == "text":
            text = shorten(text)
        page = Page(
            sender=(config.me.name, *config.me.postal_address),
            date=date,
            recipient=tuple(x for x in (person.name, person.role, company) if x),
            body=text,
            paper="card" if card else config.letters.paper,
        )
        pages.append((letter_path(folder, interview, person, card, zone), page))
    for path, page in pages:
        render(page, path)
    return [path for path, _ in pages]


def auto_letters(config: Config, templates: Templates, interview: Interview,
                 now: datetime) -> str:
    """`[letters] auto`: write the interview's letters into `[letters] dir`; "" when done,
    else the one line that says why not (the drafts stand either way)."""
    try:
        write_letters(config, templates, interview, now, config.letters.dir or Path("."))
    except (OSError, TemplateError) as err:
        return f"interview {interview.event_id}: letters not written: {err}"
    return ""


def letter_path(folder: Path, interview: Interview, person: Interviewer, card: bool,
                zone: tzinfo | None = None) -> Path:
    """`2026-03-03-acme-jane-doe.pdf` (`-card` for cards): stable, so `[letters] auto` and
    the reminder that mentions the file agree."""
    start = interview.start.astimezone(zone)
    parts = [f"{start:%Y-%m-%d}", _slug(interview.company or "interview"),
             _slug(person.name or person.email or "interviewer")]
    return folder / ("-".join(p for p in parts if p) + ("-card" if card else "") + ".pdf")


def _slug(text: str) -> str:
    # Letters of any script stay (a CJK name makes a CJK file name); the rest is "-".
    return re.sub(r"[\W_]+", "-", text.casefold()).strip("-")[:40]


def shorten(text: str) -> str:
    """A card from a note's text: the greeting, the first paragraph and the closing.

    A card is copied out by hand, so it keeps what matters (thanks, for what, when) and
    drops the rest; templates that want other words define a `card` block.
    """
    paragraphs = [p for p in text.strip().split("\n\n") if p.strip()]
    if len(paragraphs) <= 3:
        return text
    body = paragraphs[1]
    sentences = re.split(r"(?<=[.!?])\s+", body.strip())
    return "\n\n".join([paragraphs[0], " ".join(sentences[:2]), paragraphs[-1]]) + "\n"
