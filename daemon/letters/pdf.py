"""Lay out one letter or card as a PDF with fpdf2 and the fonts shipped in this package.

Why fpdf2: it is pure Python (pip alone installs it, with Pillow and fontTools wheels),
embeds TrueType fonts and subsets them to the characters used, and a letter is a page of
plain paragraphs — no HTML/CSS engine needed. WeasyPrint would reuse the Jinja HTML but
needs Pango and HarfBuzz from the system; typst would need a second template language.

Why these fonts: a PDF shows only the glyphs it embeds, and a fresh machine may have no
fonts at all. DejaVu Sans (Bitstream Vera licence, 0.75 MB) covers Latin, Greek and
Cyrillic names with their accents; Droid Sans Fallback (Apache 2.0, 4 MB, Android's CJK
fallback) covers Chinese, Japanese and Korean. fpdf2 switches to the fallback per glyph,
and the fallback is loaded only for text that needs it (loading it costs ~0.5 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FONTS = Path(__file__).resolve().parent / "fonts"
_MAIN, _CJK = "DejaVuSans.ttf", "WenQuanYiMicroHei.ttf"
# Card: A6, the usual size of a note card (and of a card's writing side).
_CARD = (105.0, 148.0)


@dataclass(frozen=True)
class Page:
    """What goes on one letter (or card)."""

    sender: tuple[str, ...]  # your name, then your postal address lines
    date: str
    recipient: tuple[str, ...]  # name, role, company (the lines that are known)
    body: str  # salutation, paragraphs, closing and signature
    paper: str = "a4"  # "a4" | "letter" | "card"


def _needs_fallback(text: str) -> bool:
    # CJK, kana, Hangul and full-width forms all sit at U+1100 and beyond, where
    # DejaVu Sans has no glyphs worth using for names.
    return any(ord(c) >= 0x1100 and not 0x1E00 <= ord(c) <= 0x2BFF for c in text)


def render(page: Page, path: Path) -> None:
    """Write `page` to `path` as a one- (or more-) page PDF."""
    from fpdf import FPDF  # imported lazily: the idle daemon never needs it

    card = page.paper == "card"
    pdf = FPDF(unit="mm", format=_CARD if card else ("Letter" if page.paper == "letter"
                                                      else "A4"))
    pdf.set_creator("Afterword")
    margin = 12.0 if card else 25.0
    pdf.set_margins(margin, margin, margin)
    pdf.set_auto_page_break(True, margin)
    pdf.add_font("Main", "", str(FONTS / _MAIN))
    everything = "\n".join((*page.sender, page.date, *page.recipient, page.body))
    if _needs_fallback(everything):
        pdf.add_font("CJK", "", str(FONTS / _CJK))
        pdf.set_fallback_fonts(["CJK"], exact_match=False)
    size = 10.0 if card else 11.0
    line = size * 0.5
    pdf.add_page()

    def block(lines: tuple[str, ...] | list[str], align: str = "L") -> None:
        for text in lines:
            pdf.multi_cell(0, line, text, align=align, new_x="LMARGIN", new_y="NEXT")

    if not card:
        pdf.set_font("Main", size=size + 3)
        block(page.sender[:1], "R")
        pdf.set_font("Main", size=size)
        block(page.sender[1:], "R")
        pdf.ln(line)
        block([page.date], "R")
        pdf.ln(line)
        block(page.recipient)
        pdf.ln(line * 1.5)
    pdf.set_font("Main", size=size)
    for paragraph in page.body.strip().split("\n\n"):
        block(paragraph.splitlines())
        pdf.ln(line * 0.8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    pdf.output(str(tmp))
    tmp.replace(path)  # never a half-written PDF under the final name
