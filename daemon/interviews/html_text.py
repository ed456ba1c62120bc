"""An invite's description as plain text: Google's light HTML and Outlook's full documents.

Read once per invite (`reading.read`); everything else works on the text.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_TAG_START = (r"<(?:/?(?:p|div|br|span|b|i|u|a|ul|ol|li|html|body|head|table|tbody|tr|td|"
              r"th|font|strong|em|h[1-6]|hr|meta|style|img|blockquote|pre|code)\b|!--)")
# Is it HTML? Only the tag's start is looked for: "[^>]*>" after it made "<a <a <a ..."
# (no ">") quadratic, 28 s for 300 KB. The fallback's tags are bounded for the same reason.
_HTML = re.compile(_TAG_START, re.IGNORECASE)
_TAG = re.compile(_TAG_START + r"[^>]{0,4096}>", re.IGNORECASE)
# A "<" with another "<" (or the end) before any ">" cannot open a tag. Left in, the stdlib
# parser rescans the rest of the text for each one: "<a <a <a ..." was quadratic.
_NOT_A_TAG = re.compile(r"<(?=[^<>]*(?:<|$))")
_BRACKETED_ADDRESS = re.compile(r"<((?:mailto:)?[^<>\s@]+@[^<>\s@]+)>")
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
               "table", "blockquote", "hr", "section"}
_SKIP_TAGS = {"head", "style", "script", "title"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.mailto: str | None = None  # <a href="mailto:..."> being read
        self.link_start = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")  # table cells: "Jane Doe | Engineering Manager"
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if href.lower().startswith("mailto:"):
                self.mailto = href[7:].split("?", 1)[0].strip()
                self.link_start = len(self.parts)
        if tag == "li":
            self.parts.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.mailto:
            # <a href="mailto:jane@acme.com">Jane Doe</a> → "Jane Doe <jane@acme.com>"
            if self.mailto.lower() not in "".join(self.parts[self.link_start:]).lower():
                self.parts.append(f" <{self.mailto}>")
            self.mailto = None
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS and tag not in ("li", "tr"):  # one break between items
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(text: str) -> str:
    """Plain text of a description that may be HTML (Google's or Outlook's)."""
    if not text or not _HTML.search(text):
        return text.replace("\r\n", "\n") if text else ""
    parser = _TextExtractor()
    # "<jane@acme.com>" is an address, not a tag: keep it as text.
    text = _NOT_A_TAG.sub("&lt;", _BRACKETED_ADDRESS.sub(r"&lt;\1&gt;", text))
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError):  # the stdlib parser is lenient; never let it fail
        return html.unescape(_TAG.sub(" ", text))
    raw = "".join(parser.parts).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in raw.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
