"""[[jobs]], jobs_dir, [letters]: read as written, every problem with its dotted path."""

from __future__ import annotations

from pathlib import Path

import pytest

from afterword.daemon.config import load
from afterword.daemon.config.readers import default_paper
from afterword.daemon.errors import ConfigError
from afterword.daemon.interviews.jobs import match_job
from tests.conftest import run_cli

MINIMAL = """
[me]
name = "Alex"
emails = ["alex@example.com"]
timezone = "Europe/Berlin"
postal_address = ["12 Rue des Lilas", "75011 Paris"]

[[accounts]]
name = "demo"
provider = "local"
calendar = "cal.ics"
maildir = "Mail"
"""

ACME = """
[[jobs]]
company = "Acme"
aliases = ["Acme Corp", "ACME Labs"]
domains = ["@Acme.example"]
role = "Senior Data Engineer"
pitch = "I led the move of a two-petabyte warehouse to streaming."
highlights = ["five years of Spark in production", "on-call lead for a data platform"]
posting = "https://jobs.acme.example/123"
contact = "Rita Recruiter <Rita@acme.example>"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, text))
    return caught.value.problems


def test_a_job_reads_as_written(tmp_path: Path) -> None:
    config = load(write(tmp_path, MINIMAL + ACME))
    (job,) = config.jobs
    assert job.company == "Acme" and job.aliases == ("Acme Corp", "ACME Labs")
    assert job.domains == ("acme.example",)
    assert job.highlights == ("five years of Spark in production",
                              "on-call lead for a data platform")
    assert (job.contact_name, job.contact_email) == ("Rita Recruiter", "rita@acme.example")
    assert job.contact == "Rita Recruiter <rita@acme.example>"
    assert job.where == "jobs[0]"
    assert config.me.postal_address == ("12 Rue des Lilas", "75011 Paris")
    assert config.recipients.ask_for_names is True


def test_bad_jobs_are_reported_with_their_dotted_paths(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, MINIMAL + ACME + """
[[jobs]]
company = "ACME, corp."
pich = "typo"
contact = "Rita <rita@acme.example>, Bob <bob@acme.example>"
domains = ["not a domain"]
posting = "jobs.acme.example"

[[jobs]]
role = "no company"
""")
    assert "jobs[1].pich: unknown key for a job (did you mean 'pitch'?)" in problems
    assert any(p.startswith("jobs[1].contact: expected one \"Name <address>\"")
               for p in problems), problems
    assert "jobs[1].domains[0]: not a domain: 'not a domain' (e.g. \"acme.example\")" in problems
    assert any(p.startswith("jobs[1].posting: expected an http:// or https:// URL")
               for p in problems), problems
    assert "jobs[2].company: missing (required)" in problems
    # "ACME, corp." is "Acme Corp" (an alias of jobs[0]) once case and punctuation go.
    assert "jobs[1].company: duplicate company 'ACME, corp.' (also jobs[0])" in problems


def test_a_contact_with_a_line_break_is_refused(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, MINIMAL + """
[[jobs]]
company = "Acme"
contact = "Rita <rita@acme.example>\\nBcc: x@evil.example"
""")
    assert problems == ["jobs[0].contact: the interviewer contains control characters or line "
                        "breaks; expected \"Name <address>\""]


def test_jobs_dir_holds_one_file_per_application(tmp_path: Path) -> None:
    folder = tmp_path / "jobs"
    folder.mkdir()
    (folder / "globex.toml").write_text('company = "Globex"\npitch = "Globex pitch."\n')
    (folder / "initech.toml").write_text('company = "Initech"\nhighlight = "x"\n')
    (folder / "broken.toml").write_text('company = "Broken\n')
    (folder / "acme-again.toml").write_text('company = "acme"\n')
    text = MINIMAL.replace("[me]", 'jobs_dir = "jobs"\n\n[me]') + ACME
    problems = problems_of(tmp_path, text)
    assert ("jobs_dir/initech.toml.highlight: unknown key for a job (did you mean "
            "'highlights'?)") in problems
    assert any(p.startswith("jobs_dir/broken.toml: line 1") for p in problems), problems
    assert ("jobs_dir/acme-again.toml.company: duplicate company 'acme' (also jobs[0])"
            in problems)
    for name in ("initech.toml", "broken.toml", "acme-again.toml"):
        (folder / name).unlink()
    config = load(write(tmp_path, text))
    assert [(j.company, j.where) for j in config.jobs] == [
        ("Acme", "jobs[0]"), ("Globex", "jobs_dir/globex.toml")]


def test_letters_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    problems = problems_of(tmp_path, MINIMAL + '[letters]\nauto = true\npaper = "A5"\n')
    assert "letters.dir: missing: letters.auto = true needs a folder to write them into" in (
        problems)
    assert any(p.startswith("letters.paper: unknown paper 'A5'") for p in problems), problems
    config = load(write(tmp_path, MINIMAL + '[letters]\nauto = true\ndir = "letters"\n'
                                            'paper = "letter"\n'))
    assert config.letters.dir == tmp_path / "letters" and config.letters.paper == "letter"
    for env, paper in (("en_US.UTF-8", "letter"), ("de_DE.UTF-8", "a4"), ("C.UTF-8", "a4"),
                       ("en_CA.UTF-8", "letter"), ("fr_FR", "a4")):
        monkeypatch.delenv("LC_ALL", raising=False)
        monkeypatch.delenv("LC_PAPER", raising=False)
        monkeypatch.setenv("LANG", env)
        assert default_paper() == paper, env
    monkeypatch.setenv("LC_PAPER", "en_US.UTF-8")
    assert load(write(tmp_path, MINIMAL)).letters.paper == "letter"


def test_check_reports_job_problems_in_one_line_each(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + '[[jobs]]\ncompany = "Acme"\ncontact = "not an address"\n')
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (f"afterword: {path}: jobs[0].contact: expected one \"Name "
                             "<address>\", got 'not an address'\n")


def test_matching_ignores_case_spaces_and_punctuation_then_uses_domains(
        tmp_path: Path) -> None:
    config = load(write(tmp_path, MINIMAL + ACME + '[[jobs]]\ncompany = "Globex"\n'
                                                  'domains = ["globex.example"]\n'))
    jobs = config.jobs
    for company in ("Acme", "acme corp", "ACME-Labs", "Acme Corp."):
        match = match_job(jobs, company, [])
        assert match is not None and match.job.company == "Acme", company
    assert match_job(jobs, "Acme Industries", []) is None
    by_domain = match_job(jobs, "", ["kim@eu.globex.example"])
    assert by_domain is not None and by_domain.job.company == "Globex"
    assert by_domain.why == "address domain eu.globex.example is jobs[1] (Globex)"
    # The title's company wins over an address at another job's domain.
    first = match_job(jobs, "Globex", ["jane@acme.example"])
    assert first is not None and first.job.company == "Globex"
