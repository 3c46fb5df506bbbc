"""FakeTracker keeps the Jira rules that engine and sync tests lean on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connector.clock import SettableClock
from connector.config.loader import load_config
from connector.domain import User
from connector.errors import TrackerError
from connector.tracker.base import LegacyTracker
from connector.tracker.fake import FakeTracker
from connector.tracker.values import Attachment

T0 = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
ALICE = User("Alice", account_id="a-1", email="alice@example.edu")


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(T0)


@pytest.fixture
def fake(shipped_config: Path, clock: SettableClock) -> FakeTracker:
    return FakeTracker.from_config(load_config(shipped_config), clock=clock, users=[ALICE])


def test_it_is_a_tracker(fake: FakeTracker) -> None:
    """The fake satisfies the protocol (checked by mypy here, and used as one)."""
    tracker: LegacyTracker = fake
    assert tracker.flavor == "cloud"


def test_issues_start_in_the_initial_status_without_history(fake: FakeTracker) -> None:
    """Create: the workflow's initial status, the API user as reporter, no changelog entry."""
    issue = fake.create_issue(
        "HELP",
        issue_type="Service Request",
        summary="s",
        description="d",
        fields={"labels": ["vip"]},
        properties={"ticketflow": {"mail": "<m@x>"}},
    )
    assert (issue.key, issue.status, issue.status_category, issue.labels) == (
        "HELP-1",
        "Pending",
        "To Do",
        ("vip",),
    )
    assert fake.changelogs([issue.id]) == {issue.id: []}
    assert fake.get_property("HELP-1", "ticketflow") == {"mail": "<m@x>"}


def test_transitions_follow_the_workflow(fake: FakeTracker, clock: SettableClock) -> None:
    """Allowed moves write a status change; others fail as the Jira adapter does."""
    issue = fake.create_issue("HELP", issue_type="t", summary="s", description="")
    clock.advance(timedelta(minutes=5))
    fake.transition_to(issue.key, "Reviewing")
    moved = fake.get_issue(issue.key)
    assert (moved.status, moved.updated) == ("Reviewing", T0 + timedelta(minutes=5))
    change = fake.changelogs([issue.id])[issue.id][0]
    assert (change.items[0].field, change.items[0].from_string, change.items[0].to_string) == (
        "status",
        "Pending",
        "Reviewing",
    )
    with pytest.raises(
        TrackerError,
        match=r'HELP-1 is in "Reviewing"; no transition leads '
        r'to "Pending". Available: "Reply with solution"',
    ):
        fake.transition_to(issue.key, "Pending")
    fake.transition_to(issue.key, "Reviewing")  # already there: nothing happens
    assert len(fake.changelogs([issue.id])[issue.id]) == 1


def test_comments_bump_updated_without_history(fake: FakeTracker, clock: SettableClock) -> None:
    """As in Jira: a comment changes `updated` but writes no changelog entry."""
    issue = fake.create_issue("HELP", issue_type="t", summary="s", description="")
    clock.advance(timedelta(minutes=1))
    fake.add_comment(issue.key, "hello", internal=True)
    assert fake.get_issue(issue.key).updated == T0 + timedelta(minutes=1)
    assert fake.changelogs([issue.id])[issue.id] == []
    assert [(c.body, c.internal) for c in fake.comments(issue.key)] == [("hello", True)]


def test_fields_assign_attach_write_history(fake: FakeTracker) -> None:
    """Field updates, assignment and attachments each write one changelog entry."""
    issue = fake.create_issue("HELP", issue_type="t", summary="s", description="")
    fake.update_fields(issue.key, {"components": [{"name": "Access"}], "customfield_10071": 1})
    fake.assign(issue.key, ALICE)
    fake.attach(issue.key, Attachment("mail.eml", b"x"))
    after = fake.get_issue(issue.key)
    assert (after.components, after.custom_fields, after.assignee) == (
        ("Access",),
        {"customfield_10071": 1},
        ALICE,
    )
    fields = [[i.field for i in c.items] for c in fake.changelogs([issue.id])[issue.id]]
    assert fields == [["components", "customfield_10071"], ["assignee"], ["Attachment"]]
    with pytest.raises(TrackerError, match="Field 'priority' cannot be set"):
        fake.update_fields(issue.key, {"priority": {"name": "High"}})


def test_searches_page_oldest_first(fake: FakeTracker, clock: SettableClock) -> None:
    """search_changed: updated >= since, by (updated, key), pages of at most 100."""
    for _ in range(150):
        fake.create_issue("HELP", issue_type="t", summary="s", description="")
        clock.advance(timedelta(seconds=1))
    pages = list(fake.search_changed("HELP", since=T0 + timedelta(seconds=10), page_size=500))
    assert [len(p) for p in pages] == [100, 40]
    assert pages[0][0].key == "HELP-11"
    fake.transition_to("HELP-1", "Reviewing")
    assert next(iter(fake.search_changed("HELP", since=clock.now())))[0].key == "HELP-1"
    assert fake.count("HELP", done_statuses=["Done"]) == 150


def test_users_and_missing_issues(fake: FakeTracker) -> None:
    """find_user by e-mail; an unknown key is a 404 TrackerError; notify is recorded."""
    assert fake.find_user("ALICE@example.edu") == ALICE
    assert fake.find_user("nobody@example.edu") is None
    with pytest.raises(TrackerError) as caught:
        fake.get_issue("HELP-99")
    assert caught.value.status == 404
    issue = fake.create_issue("HELP", issue_type="t", summary="s", description="")
    fake.notify(issue.key, subject="Hi", text_body="t", html_body=None, users=[ALICE])
    assert fake.notifications[0].users == (ALICE,)
    assert fake.myself().account_id == "ticketflow-bot"
