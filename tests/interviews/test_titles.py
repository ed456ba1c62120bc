"""Company and role from real-shaped interview titles (tests/data/titles.toml): every
title is read, right / omitted / wrong are counted per field and printed, no field may
be wrong, and at least 85% of what the titles say must be named."""

from __future__ import annotations

import tomllib
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from afterword.daemon.interviews import company

DATA = Path(__file__).parent.parent / "data" / "titles.toml"
ME = "Alex Rivera"


def _cases() -> list[dict[str, Any]]:
    data = tomllib.loads(DATA.read_text(encoding="utf-8"))
    return [dict(case, batch=batch["name"]) for batch in data["batch"]
            for case in batch["titles"]]


def _read(case: dict[str, Any]) -> tuple[str, str]:
    hint = company.domain_label([f"x@{case['domain']}"], ()) if "domain" in case else ""
    return company.from_title(case["title"], people=case.get("people", []), me=[ME],
                              hint=hint)


def _judge(want: str, got: str) -> str:
    if want == "unknown":
        return "unknown" if not got else "wrong"
    if not got:
        return "omitted"
    return "right" if " ".join(got.casefold().split()) == want.casefold() else "wrong"


def test_the_data_covers_ten_schedulers_and_120_titles() -> None:
    cases = _cases()
    sources = tomllib.loads(DATA.read_text(encoding="utf-8"))["sources"]
    assert len(cases) >= 120
    assert len({c["from"] for c in cases} - {"hand"}) >= 10
    assert {c["from"] for c in cases} <= set(sources)


@pytest.mark.parametrize("batch", ["rules", "holdout", "holdout2"])
def test_no_wrong_company_or_role_and_most_of_the_rest_named(
        batch: str, capsys: pytest.CaptureFixture[str]) -> None:
    counts: dict[str, Counter[str]] = {"company": Counter(), "role": Counter()}
    wrong: list[str] = []
    for case in (c for c in _cases() if c["batch"] == batch):
        got = dict(zip(("company", "role"), _read(case), strict=True))
        for field, counter in counts.items():
            verdict = _judge(case[field], got[field])
            counter[verdict] += 1
            counter["knowable"] += case[field] != "unknown"
            if verdict == "wrong":
                wrong.append(f"{case['title']!r}: {field} {got[field]!r}, want "
                             f"{case[field]!r}")
    with capsys.disabled():
        for field, c in counts.items():
            print(f"\n{batch} {field}: {c['right']} right, {c['omitted']} omitted, "
                  f"{c['wrong']} wrong, {c['unknown']} rightly left out; "
                  f"{c['right'] / max(1, c['knowable']):.0%} of {c['knowable']} knowable named")
    assert wrong == []
    for field, c in counts.items():
        assert c["right"] >= 0.85 * c["knowable"], (field, c)


_WORD = st.sampled_from([
    "Interview", "FW:", "Onsite", "-", "–", "|", ":", "/", "@", "at", "for", "with", "Acme",
    "Senior", "Engineer", "Alex", "Rivera", "(3/4)", "JR1004567", "Zoom", "HQ", "[Hold]",
    "Vorstellungsgespräch", "面接", "and", "between", "Manager", "Hiring", "the", "II",
    "Jane", "Doe", "(", ")", "[", "]", ",", "Inc", "Round", "Final", "PHONE", "SCREEN"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.lists(_WORD, max_size=14).map(" ".join), st.text(max_size=120)),
       st.sampled_from(["", "acme"]))
@example("\uf900", "")  # a compatibility ideograph, read as U+8C48
def test_a_title_is_never_a_crash_and_nothing_is_invented(title: str, hint: str) -> None:
    found = company.from_title(title, people=["Jane Doe"], me=[ME], hint=hint)
    # Titles are read in NFC, which folds compatibility characters (U+F900 to U+8C48).
    letters = "".join(c for c in unicodedata.normalize("NFC", title).casefold() if c.isalnum())
    for part in found:
        assert len(part) <= 60 and "\n" not in part and part == part.strip()
        for word in part.split():
            # Every word comes from the title (its case may be restored).
            assert "".join(c for c in word.casefold() if c.isalnum()) in letters
