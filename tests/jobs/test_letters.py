"""Letters and cards: one PDF per interviewer, read back as text, every name in it.

The PDFs are read with pypdf, the way a reader would extract them: names with accents,
Chinese, Japanese and Korean must come back as written (the fonts that draw them are
shipped with Afterword and embedded in the file, so no font on the machine matters).
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from afterword.daemon.config import load
from afterword.daemon.letters import shorten
from afterword.daemon.reminders import policy, sending
from afterword.daemon.runtime.store import Store
from tests.conftest import calendar, local_config, run_cli, vevent
from tests.jobs.scenarios import ACME_PITCH, JOBS

NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW - timedelta(hours=3)
PANEL = {
    "jane.doe@acme.example": "Jane Doe",
    "zoe@acme.example": "Zoë Ångström",
    "taro@acme.example": "山田太郎",
    "minjun@acme.example": "김민준",
    "li@acme.example": "鄧麗君",
}


def setup(tmp_path: Path, extra: str = "") -> Path:
    attendees = ["CN=Alex Rivera;PARTSTAT=ACCEPTED:mailto:alex@example.com"] + [
        f"CN={name};PARTSTAT=ACCEPTED:mailto:{address}" for address, name in PANEL.items()]
    (tmp_path / "calendar.ics").write_text(calendar(vevent(
        "acme-1", "Interview: Data Engineer at Acme", START, attendees=attendees,
        extra=["DESCRIPTION:Interviewers:\\nJane Doe (Engineering Manager)\\n\\n"
               "Notes:\\nJane: the data pipeline migration"])))
    config = local_config(tmp_path, extra=JOBS + extra)
    text = config.read_text().replace(
        'signature = "Alex"\n',
        'signature = "Alex"\npostal_address = ["12 Rue des Lilas", "75011 Paris"]\n')
    config.write_text(text)
    return config


def cli(config: Path, *args: str) -> Any:
    result = run_cli(*args, "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def squeeze(text: str) -> str:
    return "".join(text.split())


def drafts(tmp_path: Path) -> dict[str, EmailMessage]:
    found = {}
    for path in (tmp_path / "Mail" / ".Drafts" / "cur").iterdir():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found[message["To"].addresses[0].addr_spec] = message  # type: ignore[union-attr]
    return found


def embedded_fonts(path: Path) -> set[str]:
    """Names of the fonts the PDF embeds (FontFile2: the TrueType program itself)."""
    names = set()
    for page in PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if "/FontFile2" in descriptor:
                    names.add(str(descriptor["/FontName"]).split("+", 1)[-1])
    return names


def test_a_letter_per_interviewer_carries_names_company_date_and_the_note(
        tmp_path: Path) -> None:
    config = setup(tmp_path)
    cli(config, "run", "--once")
    notes = drafts(tmp_path)
    out = tmp_path / "letters"
    zone = load(config).me.timezone
    before = datetime.now(zone)
    printed = cli(config, "letter", "acme-1", "--out", str(out)).stdout.splitlines()
    after = datetime.now(zone)
    assert len(printed) == len(PANEL)
    assert all(Path(p).is_file() and Path(p).parent == out for p in printed)
    dates = {f"{d.day} {d:%B %Y}" for d in (before, after)}  # A4 paper: the day first
    for address, name in PANEL.items():
        (path,) = [Path(p) for p in printed if squeeze(name.casefold().replace(" ", "-"))
                   in Path(p).name]
        text = pdf_text(path)
        lines = text.splitlines()
        assert lines[:3] == ["Alex Rivera", "12 Rue des Lilas", "75011 Paris"]
        assert lines[3] in dates
        assert name in lines and "Acme" in lines
        note = notes[address].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        # The letter says what the draft says (wrapped differently on paper).
        assert squeeze(note) in squeeze(text), name
        assert squeeze(ACME_PITCH) in squeeze(text)
        assert any(f.startswith("DejaVuSans") for f in embedded_fonts(path))
        box = PdfReader(path).pages[0].mediabox
        assert (round(box.width), round(box.height)) == (595, 842)  # A4
    jane = next(p for p in printed if "jane-doe" in p)
    assert "Engineering Manager" in pdf_text(Path(jane)).splitlines()
    taro = next(p for p in printed if "山田太郎" in p)
    assert "WenQuanYiMicroHei" in embedded_fonts(Path(taro))


def test_a_card_is_short_and_sized_for_a_card(tmp_path: Path) -> None:
    config = setup(tmp_path, extra='\n[letters]\npaper = "letter"\n')
    cli(config, "run", "--once")
    zone = load(config).me.timezone
    before = datetime.now(zone)
    letters = cli(config, "letter", "acme-1", "--out", str(tmp_path)).stdout.splitlines()
    after = datetime.now(zone)
    cards = cli(config, "letter", "acme-1", "--card", "--out", str(tmp_path)).stdout.split()
    assert all(c.endswith("-card.pdf") for c in cards) and len(cards) == len(PANEL)
    for letter, card in zip(sorted(letters), sorted(cards), strict=True):
        letter_words = len(pdf_text(Path(letter)).split())
        card_text = pdf_text(Path(card))
        assert len(card_text.split()) * 2 < letter_words, (card, card_text)
        assert "Acme" in card_text and "Alex" in card_text
        box = PdfReader(card).pages[0].mediabox
        assert (round(box.width), round(box.height)) == (298, 420)  # A6
        box = PdfReader(letter).pages[0].mediabox
        assert (round(box.width), round(box.height)) == (612, 792)  # US Letter
    jane = pdf_text(Path(next(c for c in cards if "jane-doe" in c)))
    assert jane.startswith("Dear Jane,")
    assert "the data pipeline migration" in jane
    zoe = pdf_text(Path(next(c for c in cards if "zoë" in c)))
    assert zoe.startswith("Dear Zoë,")
    # US Letter paper: the month first.
    dates = {f"{d:%B} {d.day}, {d.year}" for d in (before, after)}
    assert pdf_text(Path(letters[0])).splitlines()[3] in dates


def test_letters_written_with_the_drafts_and_named_in_the_reminder(
        tmp_path: Path, xdg: dict[str, Path]) -> None:
    config = setup(tmp_path, extra='\n[letters]\nauto = true\ndir = "printed"\n')
    cli(config, "run", "--once")
    written = sorted((tmp_path / "printed").glob("*.pdf"))
    assert len(written) == len(PANEL)
    assert "Zoë Ångström" in pdf_text(next(p for p in written if "zoë" in p.name))
    loaded = load(config)
    store = Store(xdg["state"] / "afterword" / "state.db")
    try:
        subjects = sending.subjects(loaded, store)
    finally:
        store.close()
    notice = policy.digest(subjects, loaded.me.timezone)
    for path in written:
        assert f"the letter to print: {path}" in notice.body


def test_shorten_keeps_greeting_first_sentences_and_closing() -> None:
    text = ("Hi Jane,\n\nThank you for the talk. It was great. I learned a lot. More.\n\n"
            "Second paragraph.\n\nThird.\n\nBest regards,\nAlex\n")
    assert shorten(text) == ("Hi Jane,\n\nThank you for the talk. It was great.\n\n"
                             "Best regards,\nAlex\n")


def test_letter_for_an_unknown_interview_is_one_line(tmp_path: Path) -> None:
    config = setup(tmp_path)
    result = run_cli("letter", "nope", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no interview with id 'nope'" in result.stderr
