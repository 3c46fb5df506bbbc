"""One contract, three trackers: FakeTracker, and JiraClient on the Cloud and DC sandboxes.

What engine and sync tests assume of the fake is checked here against the real adapter, so the
fake cannot drift from Jira's behaviour unnoticed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from connector.clock import SettableClock
from connector.config.loader import Config, load_config
from connector.domain import User
from connector.errors import TrackerError
from connector.http.retry import Retrier
from connector.sandbox import Sandbox
from connector.settings import Settings
from connector.tracker.base import LegacyTracker
from connector.tracker.fake import FakeTracker
from connector.tracker.jira import installer, provisioner
from connector.tracker.jira.client import connect
from connector.tracker.jira.fields import FieldCodec, TicketFields
from connector.tracker.jira.scheme import desired_from

START = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class World:
    """A tracker and the one clock that stamps its changes."""

    tracker: LegacyTracker
    advance: Callable[[timedelta], object]
    codec: FieldCodec


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT)


@pytest.fixture(params=["fake", "cloud", "datacenter"])
def world(request: pytest.FixtureRequest, config: Config) -> Iterator[World]:
    codec = FieldCodec(config.mappings.fields, categories=[c.name for c in config.rules.categories])
    if request.param == "fake":
        clock = SettableClock(START)
        alice = User("Alice", account_id="712020:alice", email="alice@example.edu")
        yield World(
            FakeTracker.from_config(config, clock=clock, users=[alice]), clock.advance, codec
        )
        return
    with Sandbox("cloud", now=START) as cloud:
        _install(cloud, config)
        if request.param == "cloud":
            yield World(_connect(cloud, codec), cloud.advance_clock, codec)
            return
        with Sandbox("datacenter", now=START) as dc:
            _copy_scheme(cloud, dc)  # what a DC admin does following the checklist
            yield World(_connect(dc, codec), dc.advance_clock, codec)


def _connect(sandbox: Sandbox, codec: FieldCodec) -> LegacyTracker:
    settings = Settings(
        jira_url=sandbox.url,
        jira_email=sandbox.email,
        jira_token=SecretStr(sandbox.token),
        jira_flavor="auto",
    )
    return connect(
        settings, custom_fields=codec.custom_field_ids(), retrier=Retrier(sleep=lambda _: None)
    )


def _install(sandbox: Sandbox, config: Config) -> None:
    settings = Settings(
        jira_url=sandbox.url,
        jira_email=sandbox.email,
        jira_token=SecretStr(sandbox.token),
        jira_flavor="cloud",
    )
    admin = connect(settings).admin
    desired = desired_from(config.rules, config.mappings)
    observed = provisioner.observe(admin, desired)
    provisioner.apply(
        installer.plan(desired, observed), observed, admin, echo=lambda _: None, wait=lambda _: None
    )


def _copy_scheme(source: Sandbox, target: Sandbox) -> None:
    with source.store.lock, target.store.lock:
        for name in ("statuses", "workflows", "schemes", "components"):
            setattr(target.store, name, copy.deepcopy(getattr(source.store, name)))
        target.store.counters.update(source.store.counters)
        target.store.projects[10000].scheme_id = source.store.projects[10000].scheme_id


def _new(world: World, summary: str = "Locked out") -> str:
    return world.tracker.create_issue(
        "HELP",
        issue_type="Service Request",
        summary=summary,
        description="Line one\nline two\n\n[~x] *y*",
    ).key


def test_new_issues_start_pending_and_read_back(world: World) -> None:
    """Create: first key HELP-1, initial status, the description exactly as written."""
    issue = world.tracker.get_issue(_new(world))
    assert (issue.key, issue.status, issue.status_category) == ("HELP-1", "Pending", "To Do")
    assert issue.description == "Line one\nline two\n\n[~x] *y*"
    assert issue.created == issue.updated == START
    assert world.tracker.changelogs([issue.id]) == {issue.id: []}


def test_transitions_allowed_and_refused_alike(world: World) -> None:
    """Allowed moves change status and write history; a refused one names the options."""
    key = _new(world)
    world.advance(timedelta(minutes=5))
    world.tracker.transition_to(key, "Reviewing")
    world.tracker.transition_to(key, "Reviewing")  # already there, no loop: nothing happens
    issue = world.tracker.get_issue(key)
    assert (issue.status, issue.updated) == ("Reviewing", START + timedelta(minutes=5))
    items = [i for c in world.tracker.changelogs([issue.id])[issue.id] for i in c.items]
    assert [(i.field, i.from_string, i.to_string) for i in items] == [
        ("status", "Pending", "Reviewing")
    ]
    with pytest.raises(TrackerError) as caught:
        world.tracker.transition_to(key, "Pending")
    assert str(caught.value).startswith(
        f'{key} is in "Reviewing"; no transition leads to "Pending". Available: '
        '"Reply with solution" -> Done'
    )


def test_comments_keep_visibility_and_bump_updated_only(world: World) -> None:
    """Internal and public comments read back in order; no changelog entry for them."""
    key = _new(world)
    world.advance(timedelta(minutes=1))
    world.tracker.add_comment(key, "note to staff", internal=True)
    world.tracker.add_comment(key, "Hello {code}", internal=False)
    assert [(c.body, c.internal) for c in world.tracker.comments(key)] == [
        ("note to staff", True),
        ("Hello {code}", False),
    ]
    issue = world.tracker.get_issue(key)
    assert issue.updated == START + timedelta(minutes=1)
    assert world.tracker.changelogs([issue.id])[issue.id] == []


def test_ticket_fields_round_trip_through_the_codec(world: World) -> None:
    """Category, tier and customer e-mail written per mappings.yaml read back the same."""
    key = _new(world)
    issue = world.tracker.get_issue(key)
    world.tracker.update_fields(
        key, world.codec.updates(issue, category="Access", tier=1, customer_email="c@example.org")
    )
    issue = world.tracker.get_issue(key)
    world.tracker.update_fields(key, world.codec.updates(issue, category="Data export", tier=2))
    assert world.codec.read(world.tracker.get_issue(key)) == TicketFields(
        category="Data export", tier=2, customer_email="c@example.org"
    )


def test_search_changed_is_bounded_and_ordered(world: World) -> None:
    """Issues updated at or after `since`, oldest first; an older issue touched moves last."""
    first = _new(world, "one")
    world.advance(timedelta(minutes=1))
    second = _new(world, "two")
    world.advance(timedelta(minutes=1))
    third = _new(world, "three")
    world.advance(timedelta(minutes=1))
    world.tracker.transition_to(first, "Reviewing")
    since = START + timedelta(minutes=1)
    keys = [i.key for p in world.tracker.search_changed("HELP", since=since) for i in p]
    assert keys == [second, third, first]
    assert world.tracker.count("HELP", done_statuses=["Done"]) == 3


def test_people_are_found_and_assigned(world: World) -> None:
    """find_user by e-mail; assignment reads back and writes one changelog entry."""
    alice = world.tracker.find_user("alice@example.edu")
    assert alice is not None and alice.display_name == "Alice"
    assert world.tracker.find_user("nobody@example.edu") is None
    key = _new(world)
    world.tracker.assign(key, alice)
    issue = world.tracker.get_issue(key)
    assert issue.assignee is not None and issue.assignee.ref == alice.ref
    fields = [i.field for c in world.tracker.changelogs([issue.id])[issue.id] for i in c.items]
    assert fields == ["assignee"]
