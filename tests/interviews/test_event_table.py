"""The table: every realistic event in tests/data/events/ gets the decision, recipients and
salutations written down in expected.toml (Google JSON, Graph JSON and .ics exports)."""

from __future__ import annotations

import tomllib

import pytest

from afterword.daemon.config import DetectConfig, RecipientsConfig
from afterword.daemon.drafting.compose import salutation
from afterword.daemon.interviews import addresses, detect, people
from tests.event_fixtures import EVENTS, MY_EMAILS, MY_NAME, load_all

EXPECTED = tomllib.loads((EVENTS / "expected.toml").read_text())
LOADED = load_all()
DETECT = DetectConfig(google_colors=("11",))
RECIPIENTS = RecipientsConfig(exclude_domains=("talentbridge-agency.com",))


def test_every_fixture_event_has_an_expectation_and_there_are_enough() -> None:
    assert set(LOADED) <= set(EXPECTED), sorted(set(LOADED) - set(EXPECTED))
    assert len(EXPECTED) >= 60
    shapes = {key.split("#")[0].rsplit(".", 1)[-1] for key in EXPECTED}
    assert shapes == {"json", "ics"}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_event(key: str) -> None:
    want = EXPECTED[key]
    if want["decision"] == "absent":
        assert key not in LOADED and not any(k.startswith(key) for k in LOADED)
        return
    event = LOADED[key]
    assert event.title == want["title"]
    decision = detect.decide(event, DETECT, MY_EMAILS, RECIPIENTS)
    assert (decision.is_interview, decision.rule) == (want["decision"] == "interview",
                                                      want["rule"]), decision.reason
    if not decision.is_interview:
        return
    found = people.extract(event, RECIPIENTS, MY_EMAILS, my_name=MY_NAME)
    reachable = [p for p in found.interviewers if p.email]
    assert found.status.value == want["status"], found.why
    assert [p.email for p in reachable] == want["recipients"]
    assert [salutation(p) for p in reachable] == want["salutations"]
    assert [p.name for p in found.interviewers if not p.email] == want["address_needed"]
    assert [p.email for p in reachable if p.needs_check] == want["needs_check"]
    assert (found.company, found.role) == (want["company"], want["role"])
    assert [p.email for p in reachable if p.to_check] == want.get("to_check", [])
    if "dropped" in want:
        assert [[v.attendee.email, v.reason] for v in found.verdicts
                if not v.recipient and v.attendee.email
                and not addresses.is_me(v.attendee, addresses.my_addresses(MY_EMAILS))
                ] == want["dropped"]
