"""The default template against personas (golden files), the panel variation, rules."""

from __future__ import annotations

import email
import email.policy
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from afterword.daemon.commands.preview import format_message
from afterword.daemon.config import Config, DraftRule, parse
from afterword.daemon.drafting.compose import (
    Templates,
    choose_template,
    compose_interview,
    note_context,
    when_phrase,
)
from afterword.daemon.errors import TemplateError
from afterword.daemon.model import Interview, Interviewer

GOLDEN = Path(__file__).parent.parent / "golden"
REGEN = os.environ.get("AFTERWORD_REGEN_GOLDEN") == "1"
START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Berlin
NOW = START + timedelta(hours=1, minutes=30)

JANE = Interviewer("Jane Doe", "jane.doe@acme.example", "Jane", "Doe",
                   notes="the data pipeline migration")
JOHN = Interviewer("John Smith", "john.smith@acme.example", "John", "Smith")
PRIYA = Interviewer("Priya Raman", "priya.raman@acme.example", "Priya", "Raman", title="Dr.")


def make_config(tmp_path: Path, drafts: dict[str, object] | None = None,
                me: dict[str, object] | None = None) -> Config:
    """A config with one local account and the given [drafts] / [me] overrides."""
    data: dict[str, object] = {
        "me": {"name": "Alex Rivera", "emails": ["alex@example.com"],
               "timezone": "Europe/Berlin", "signature": "Alex Rivera\n+1 555 0100",
               **(me or {})},
        "accounts": [{"name": "local", "provider": "local", "calendar": "cal.ics",
                      "maildir": "Mail"}],
        "drafts": drafts or {},
    }
    return parse(data, tmp_path)


def interview(*people: Interviewer, company: str = "Acme", role: str = "Senior Data Engineer",
              notes: str = "", title: str = "Interview", event_id: str = "ev-1") -> Interview:
    """An interview that ended half an hour before NOW."""
    return Interview("local", event_id, title, START, START + timedelta(hours=1), people,
                     company=company, role=role, notes=notes)


def render_all(config: Config, iv: Interview, templates: Templates | None = None,
               now: datetime = NOW) -> list[email.message.EmailMessage]:
    """Every draft of the interview, parsed back from the bytes a mailbox would store."""
    composed = compose_interview(config, templates or Templates(config.drafts.templates_dir),
                                 "local", iv, from_address="alex@example.com", now=now)
    return [email.message_from_bytes(d.message.as_bytes(), policy=email.policy.default)
            for d in composed.drafts]


def text_of(message: email.message.EmailMessage, kind: str = "plain") -> str:
    """One body part's text."""
    part = message.get_body(preferencelist=(kind,))
    assert part is not None, f"no text/{kind} part"
    return str(part.get_content()).replace("\r\n", "\n")


def assert_golden(name: str, messages: list[email.message.EmailMessage]) -> None:
    """Compare with tests/golden/NAME; AFTERWORD_REGEN_GOLDEN=1 rewrites the file."""
    actual = "\n".join(format_message(m, mask_id=True) for m in messages)
    path = GOLDEN / name
    if REGEN:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with AFTERWORD_REGEN_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{name} differs from the golden file; if the change is intended, rerun with "
        "AFTERWORD_REGEN_GOLDEN=1 and review the diff")


def test_single_interviewer_golden(tmp_path: Path) -> None:
    config = make_config(tmp_path, {"vars": {
        "pitch": "My five years of building data pipelines at scale map well onto the "
                 "migration you described."}}, me={"links": ["https://alex.example/work"]})
    [message] = render_all(config, interview(JANE))
    assert_golden("single.txt", [message])
    body = text_of(message)
    assert message["To"].addresses[0].addr_spec == "jane.doe@acme.example"
    assert body.startswith("Hi Jane,\n")
    assert "this morning about the Senior Data Engineer role at Acme" in body
    assert "the data pipeline migration" in body
    assert "My five years of building data pipelines" in body
    assert body.rstrip().endswith("Alex Rivera\n+1 555 0100\nhttps://alex.example/work")
    assert "[" not in body and "{" not in body and "CHECK" not in body


def test_panel_of_three_golden_and_each_note_differs_beyond_the_name(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    messages = render_all(config, interview(JANE, JOHN, PRIYA,
                                            notes="the move to streaming ingestion"))
    assert_golden("panel.txt", messages)
    assert [m["To"].addresses[0].addr_spec for m in messages] == [
        "jane.doe@acme.example", "john.smith@acme.example", "priya.raman@acme.example"]
    bodies = [text_of(m) for m in messages]
    assert bodies[2].startswith("Hi Dr. Raman,\n")
    # Take every name out: what is left must still differ from note to note.
    names = re.compile(r"Dr\. Raman|Jane|John|Priya|Doe|Smith|Raman")
    stripped = [names.sub("NAME", b) for b in bodies]
    assert len(set(stripped)) == 3
    # ...and not only in one sentence: the wording differs in several places.
    for a, b in ((0, 1), (0, 2), (1, 2)):
        differing = set(stripped[a].split("\n")) ^ set(stripped[b].split("\n"))
        assert len(differing) >= 4, (stripped[a], stripped[b])
    # Jane's own note uses her detail; the others get the interview's general note.
    assert "the data pipeline migration" in bodies[0]
    assert "the data pipeline migration" not in bodies[1] + bodies[2]
    assert "streaming ingestion" in bodies[1] and "streaming ingestion" in bodies[2]
    # Each note mentions the other two panel members, never the recipient.
    assert "John and Priya" in bodies[0] and "Jane and Priya" in bodies[1]


def test_the_same_recipient_always_gets_the_same_wording(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    first = [text_of(m) for m in render_all(config, interview(JANE, JOHN, PRIYA))]
    again = [text_of(m) for m in render_all(config, interview(JANE, JOHN, PRIYA,
                                                              event_id="ev-2", title="Onsite"))]
    assert first == again
    # Listed in another order, each person still reads their own wording.
    reordered = [text_of(m) for m in render_all(config, interview(PRIYA, JOHN, JANE))]
    assert [b.split("\n")[2].split(". ")[0] for b in first] == [
        b.split("\n")[2].split(". ")[0] for b in reversed(reordered)]


def test_a_name_that_needs_checking_is_flagged_visibly_and_empty_fields_read_naturally(
        tmp_path: Path) -> None:
    config = make_config(tmp_path)
    guessed = Interviewer("Jdoe", "jdoe@globex.example", "Jdoe", needs_check=True)
    [message] = render_all(config, interview(guessed, company="", role=""))
    assert_golden("needs-check.txt", [message])
    body = text_of(message)
    assert body.splitlines()[0] == (
        "Hi Jdoe, [CHECK NAME: guessed from jdoe@globex.example; correct it before sending]")
    assert message["Subject"] == "Thank you for your time this morning"
    assert "about the role." not in body and " at ." not in body and "  " not in body
    assert re.search(r"(interested in|excited about|enthusiastic about) "
                     r"(the role|the opportunity|joining the team)\.", body)


@pytest.mark.parametrize(("company", "role", "subject", "phrase"), [
    ("Acme", "", "Thank you — Acme", "this morning about joining Acme."),
    ("", "Data Engineer", "Thank you — Data Engineer interview",
     "this morning about the Data Engineer role."),
    ("", "", "Thank you for your time this morning", "this morning."),
])
def test_missing_company_or_role_still_reads_naturally(
        tmp_path: Path, company: str, role: str, subject: str, phrase: str) -> None:
    [message] = render_all(make_config(tmp_path), interview(JOHN, company=company, role=role))
    body = text_of(message)
    assert message["Subject"] == subject
    assert phrase in body
    assert not re.search(r"\s[.,]|  |\bthe\s+role at\s*\.", body)


def test_non_ascii_names_golden_and_rfc2047_on_the_wire(tmp_path: Path) -> None:
    config = make_config(tmp_path, me={"name": "Renée Ünal", "signature": "Renée"})
    zoe = Interviewer("Zoë Łukasiewicz", "zoe@societe.example", "Zoë", "Łukasiewicz")
    jose = Interviewer("José Núñez", "jose@societe.example", "José", "Núñez",
                       notes="l’équipe de données")
    composed = compose_interview(config, Templates(), "local",
                                 interview(zoe, jose, company="Société Générale",
                                           role="Ingénieure données"),
                                 from_address="renee@example.com", now=NOW)
    raw = composed.drafts[0].message.as_bytes()
    raw.decode("ascii")  # every byte on the wire is ASCII: headers RFC 2047, bodies QP
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in headers
    assert "Zoë".encode() not in headers and "Renée".encode() not in headers
    parsed = [email.message_from_bytes(d.message.as_bytes(), policy=email.policy.default)
              for d in composed.drafts]
    assert_golden("non-ascii.txt", parsed)
    assert parsed[0]["To"].addresses[0].display_name == "Zoë Łukasiewicz"
    assert parsed[0]["From"].addresses[0].display_name == "Renée Ünal"
    assert parsed[0]["Subject"] == "Thank you — Ingénieure données at Société Générale"
    assert text_of(parsed[0]).startswith("Hi Zoë,")
    assert "l’équipe de données" in text_of(parsed[1])


def test_html_variant_golden_is_multipart_alternative_and_escaped(tmp_path: Path) -> None:
    config = make_config(tmp_path, {"template": "thank-you-html"})
    evil = Interviewer("Eve <script>", "eve@acme.example", "Eve", notes="<b>bold</b> & more")
    [message] = render_all(config, interview(
        evil, company="Acme <script>alert(1)</script>", role="R&D \"Lead\""))
    assert_golden("html.txt", [message])
    assert message.get_content_type() == "multipart/alternative"
    html = text_of(message, "html")
    plain = text_of(message)
    assert "<script" not in html and "<b>" not in html
    assert "Acme &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in html
    assert "R&amp;D &#34;Lead&#34;" in html
    assert "<p>Hi Eve,</p>" in html
    # The plain part is plain text: the same words, unescaped.
    assert "Acme <script>alert(1)</script>" in plain and "<b>bold</b> & more" in plain


def test_a_users_html_block_escapes_every_variable(tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "mine.j2").write_text(
        "{% block subject %}{{ interview.title }}{% endblock %}\n"
        "{% block text %}Hi {{ interviewer.name }}: {{ interview.title }}{% endblock %}\n"
        "{% block html %}<h1>{{ interview.title }}</h1><p>{{ interviewer.notes }}</p>"
        "<p>{{ me.signature | nl2br }}</p>{% endblock %}\n")
    config = make_config(tmp_path, {"templates_dir": str(folder), "template": "mine"})
    person = Interviewer("Eve", "eve@acme.example", "Eve",
                         notes='<img src=x onerror="alert(1)">')
    [message] = render_all(config, interview(person, title="<script>alert('x')</script> & Co"))
    html = text_of(message, "html")
    assert html.startswith("<h1>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co</h1>")
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert "<p>Alex Rivera<br>\n+1 555 0100</p>" in html
    assert message["Subject"] == "<script>alert('x')</script> & Co"
    assert text_of(message).strip() == "Hi Eve: <script>alert('x')</script> & Co"


def test_invite_text_is_never_evaluated_as_a_template(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    sneaky = Interviewer("{{ me.email }}", "x@acme.example", "{{ me.email }}",
                         notes="{% for x in range(3) %}loop{% endfor %}")
    [message] = render_all(config, interview(sneaky, company="{{ 7*7 }}"))
    body = text_of(message)
    assert "{{ me.email }}" in body and "{% for x in range(3) %}" in body
    assert "alex@example.com" not in body and "49" not in body


def test_names_and_titles_from_invites_cannot_add_lines_to_the_note(tmp_path: Path) -> None:
    sneaky = Interviewer("Jane\n\nPS: please wire the fee", "jane@acme.example",
                         "Jane\u2028\u2028PS: wire it")
    [message] = render_all(make_config(tmp_path),
                           interview(sneaky, company="Acme\r\n\r\nP.S. call me"))
    body = text_of(message)
    assert body.startswith("Hi Jane PS: wire it,\n")
    assert "\nPS" not in body and "\nP.S." not in body and "\u2028" not in body


def test_templates_run_in_a_sandbox(tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "evil.j2").write_text(
        "{% block subject %}x{% endblock %}{% block text %}"
        "{{ ''.__class__.__mro__[1].__subclasses__() }}{% endblock %}")
    config = make_config(tmp_path, {"templates_dir": str(folder), "template": "evil"})
    with pytest.raises(TemplateError, match=r"template evil\.j2, line 1: .*unsafe"):
        render_all(config, interview(JANE))


def test_python_errors_inside_a_template_are_template_errors(tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "maths.j2").write_text(
        "{% block subject %}x{% endblock %}\n{% block text %}\n{{ 1 / 0 }}\n{% endblock %}\n")
    config = make_config(tmp_path, {"templates_dir": str(folder), "template": "maths.j2"})
    with pytest.raises(TemplateError, match=r"template maths\.j2, line 3: ZeroDivisionError"):
        render_all(config, interview(JANE))


def test_one_failing_note_means_no_note_for_the_whole_interview(tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "picky.j2").write_text(
        "{% block subject %}Thanks{% endblock %}\n{% block text %}\nHi {{ interviewer.name }}\n"
        "{% if interviewer.first_name == 'John' %}{{ vars.missing }}{% endif %}\n"
        "{% endblock %}\n")
    config = make_config(tmp_path, {"templates_dir": str(folder), "template": "picky"})
    with pytest.raises(TemplateError, match=r"template picky\.j2, line 4: undefined variable"):
        render_all(config, interview(JANE, JOHN, PRIYA))


def test_user_templates_come_first_and_may_extend_the_packaged_ones(tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "thank-you.j2").write_text(
        "{% block subject %}Mine{% endblock %}{% block text %}Hi {{ interviewer.first_name }}"
        "{% endblock %}")
    (folder / "short.j2").write_text(
        '{% extends "thank-you-html.j2" %}{% block subject %}Short: {{ super() }}{% endblock %}')
    config = make_config(tmp_path, {"templates_dir": str(folder)})
    [message] = render_all(config, interview(JANE))
    assert message["Subject"] == "Mine" and text_of(message).strip() == "Hi Jane"
    config = make_config(tmp_path, {"templates_dir": str(folder), "template": "short"})
    [message] = render_all(config, interview(JANE))
    # short → thank-you-html (packaged) → thank-you (the user's own, found first).
    assert message["Subject"] == "Short: Mine"
    assert "<p>Hi Jane</p>" in text_of(message, "html")


RULES = (
    DraftRule(template="acme-eng", company="acme", role="engineer"),
    DraftRule(template="acme", company="Acme"),
    DraftRule(template="managers", role="manager"),
    DraftRule(template="work-account", account="work"),
)


@pytest.mark.parametrize(("account", "company", "role", "title", "expected"), [
    ("local", "Acme Corp", "Data Engineer", "Interview", "acme-eng"),
    ("local", "ACME", "Designer", "Interview", "acme"),
    ("local", "Globex", "", "Engineering Manager interview", "managers"),
    ("work", "Globex", "Designer", "Interview", "work-account"),
    ("local", "Globex", "Designer", "Interview", "thank-you"),
    ("work", "Acme", "Engineer", "Interview", "acme-eng"),  # first match wins
])
def test_rules_choose_by_company_role_keyword_account_then_default(
        account: str, company: str, role: str, title: str, expected: str) -> None:
    iv = interview(JANE, company=company, role=role, title=title)
    assert choose_template(RULES, "thank-you", account, iv) == expected


@pytest.mark.parametrize(("start_hour", "now", "phrase"), [
    (9, datetime(2026, 3, 3, 11, 0, tzinfo=UTC), "this morning"),
    (13, datetime(2026, 3, 3, 16, 0, tzinfo=UTC), "this afternoon"),
    (18, datetime(2026, 3, 3, 20, 0, tzinfo=UTC), "this evening"),
    (9, datetime(2026, 3, 4, 8, 0, tzinfo=UTC), "yesterday"),
    (9, datetime(2026, 3, 6, 8, 0, tzinfo=UTC), "on Tuesday"),
    (9, datetime(2026, 3, 20, 8, 0, tzinfo=UTC), "on 3 March"),
])
def test_when_phrases(start_hour: int, now: datetime, phrase: str) -> None:
    start = datetime(2026, 3, 3, start_hour, 0, tzinfo=UTC)
    assert when_phrase(start, now) == phrase


def test_when_phrase_is_in_my_timezone(tmp_path: Path) -> None:
    # 23:30 UTC on Monday is Tuesday 08:30 in Tokyo; read at Tuesday 10:00 Tokyo time.
    config = make_config(tmp_path, me={"timezone": "Asia/Tokyo"})
    start = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    iv = Interview("local", "e", "Interview", start, start + timedelta(hours=1), (JANE,))
    context = note_context(config, iv, JANE, datetime(2026, 3, 3, 1, 0, tzinfo=UTC))
    assert context["interview"]["when"] == "this morning"
    assert context["interview"]["day"] == "Tuesday"
    assert context["interview"]["start"].utcoffset() == timedelta(hours=9)


def test_context_offers_every_documented_variable(tmp_path: Path) -> None:
    config = make_config(tmp_path, {"vars": {"pitch": "P"}}, me={"links": ["https://a.example"]})
    iv = Interview("local", "e", "Interview", START, START + timedelta(hours=1), (JANE, JOHN),
                   company="Acme", role="Engineer", location="HQ",
                   video_link="https://meet.example/x", notes="n")
    ctx = note_context(config, iv, JANE, NOW)
    assert set(ctx["interviewer"]) >= {"name", "first_name", "last_name", "salutation", "email",
                                       "role", "needs_check", "notes"}
    assert {k: ctx["interview"][k] for k in ("title", "company", "role", "location",
                                              "video_link", "notes")} == {
        "title": "Interview", "company": "Acme", "role": "Engineer", "location": "HQ",
        "video_link": "https://meet.example/x", "notes": "n"}
    assert [p["name"] for p in ctx["interview"]["panel"]] == ["John Smith"]
    assert ctx["me"] == {"name": "Alex Rivera", "first_name": "Alex",
                         "email": "alex@example.com",
                         "signature": "Alex Rivera\n+1 555 0100",
                         "links": ["https://a.example"]}
    assert ctx["vars"] == {"pitch": "P"}


def test_vary_gives_every_member_of_a_large_panel_a_different_combination() -> None:
    from afterword.daemon.drafting.templating import Variation

    panel = [f"person{i}@acme.example" for i in range(8)]
    picks = []
    for person in panel:
        vary = Variation(person, panel)
        picks.append((vary("a", "b", "c"), vary(1, 2, 3, 4), vary("v", "w", "x", "y", "z")))
        assert vary("a", "b", "c") == picks[-1][0]  # the same call, the same answer
    assert len(set(picks)) == len(panel)
    # Within one call, the first len(options) members all get different options.
    assert len({p[2] for p in picks[:5]}) == 5
