"""What mail intake needs of the tracker, held to one contract on the FakeTracker and on the
Jira adapter over both sandbox flavors: find an issue by label (JQL `labels = ...`, how a
crash between creating an issue and recording it is recovered) and link two issues."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from connector.clock import SettableClock
from connector.http.retry import Retrier
from connector.mail.intake.writer import carries, stamped
from connector.sandbox import Sandbox
from connector.settings import Settings
from connector.tracker.base import LegacyTracker
from connector.tracker.fake import FakeTracker
from connector.tracker.jira.client import connect

START = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "cloud", "datacenter"])
def world(request: pytest.FixtureRequest) -> Iterator[tuple[LegacyTracker, Sandbox | None]]:
    if request.param == "fake":
        yield FakeTracker(clock=SettableClock(START), statuses={"To Do": "To Do"},
                          initial="To Do", transitions=[]), None
        return
    with Sandbox(request.param, now=START) as sandbox:
        settings = Settings(jira_url=sandbox.url, jira_email=sandbox.email,
                            jira_token=SecretStr(sandbox.token), jira_flavor=request.param,
                            _env_file=None)  # type: ignore[call-arg]
        yield connect(settings, retrier=Retrier(sleep=lambda _: None)), sandbox


@pytest.fixture
def tracker(world: tuple[LegacyTracker, Sandbox | None]) -> LegacyTracker:
    return world[0]


def _new(tracker: LegacyTracker, summary: str, labels: list[str]) -> str:
    return tracker.create_issue("HELP", issue_type="Service Request", summary=summary,
                                description="", fields={"labels": labels},
                                properties={"ticketflow.mail": {"message_id": f"<{summary}@x>"}}
                                ).key


def test_find_by_label_returns_the_oldest_issue_with_it(tracker: LegacyTracker) -> None:
    """Exactly the labelled issue (case aside), the oldest if several; None when none."""
    _new(tracker, "one", ["other"])
    second = _new(tracker, "two", ["tf-mail-0123456789ab", "vip"])
    _new(tracker, "three", ["tf-mail-0123456789ab"])
    found = tracker.find_by_label("HELP", "tf-mail-0123456789ab")
    assert found is not None and found.key == second and found.summary == "two"
    assert tracker.find_by_label("HELP", "TF-MAIL-0123456789AB") is not None
    assert tracker.find_by_label("HELP", "tf-mail-ffffffffffff") is None
    assert tracker.get_property(second, "ticketflow.mail") == {"message_id": "<two@x>"}


def test_link_issues_relates_two_issues(world: tuple[LegacyTracker, Sandbox | None]) -> None:
    """A follow-up is linked to the ticket it follows ("relates to")."""
    tracker, sandbox = world
    old, new = _new(tracker, "old", []), _new(tracker, "new", [])
    tracker.link_issues(new, old, link_type="Relates")
    if isinstance(tracker, FakeTracker):
        assert tracker.links == [(new, old, "Relates")]
    else:
        assert sandbox is not None
        with sandbox.store.lock:
            (link,) = sandbox.store.by_key[new].links
            assert (link.type_name, sandbox.store.issues[link.other_id].key) == ("Relates", old)


def test_a_comments_marker_survives_the_trackers_rich_text(tracker: LegacyTracker) -> None:
    """The marker closing a mail comment's first line reads back from a comment list as it
    was written (ADF on Cloud, escaped wiki markup on Data Center), beside markup-like text
    in the sender's name, and tells two equal bodies apart."""
    key = _new(tracker, "marked", [])
    header = "From: *Pat* [~admin] {code} <pat@uni.example.edu> (by email)\n\nThanks!"
    first, second = stamped(header, "tf-mail-0123456789ab"), stamped(header, "tf-mail-ba98")
    tracker.add_comment(key, first, internal=False)
    tracker.add_comment(key, second, internal=False)
    bodies = [c.body for c in tracker.comments(key)]
    assert [carries(b, "tf-mail-0123456789ab") for b in bodies] == [True, False]
    assert [carries(b, "tf-mail-ba98") for b in bodies] == [False, True]
    assert bodies[0].partition("\n")[0] == (
        "From: *Pat* [~admin] {code} <pat@uni.example.edu> (by email, ref tf-mail-0123456789ab)")
