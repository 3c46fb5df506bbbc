"""The Tracker contract: what the core relies on, held against every adapter and the fake.

Each world is a tracker with the shipped workflow installed, the clock that stamps its
changes, and a way to act as a person (an engineer changing a ticket in the tracker's own
screens). A new adapter joins by adding one builder to WORLDS; every test then runs on it with
the same workflow words and the same expectations.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from connector.clock import SettableClock
from connector.config.loader import Config, load_config
from connector.config.shipped import config_dir_for
from connector.errors import NoTransitionError, TrackerError
from connector.http.retry import Retrier
from connector.mail.intake.writer import carries, stamped
from connector.sandbox import Sandbox
from connector.settings import Settings
from connector.tracker.base import Tracker
from connector.tracker.fake import FakeTracker
from connector.tracker.feed import Change, FeedPage
from connector.tracker.jira import installer, provisioner
from connector.tracker.jira.client import connect
from connector.tracker.jira.scheme import desired_from
from connector.tracker.jira.tracker import open_tracker
from connector.tracker.values import Attachment, MailOrigin, NewTicket, Person, WorkflowFields
from connector.tracker.zendesk import tracker as zendesk
from connector.tracker.zendesk.tracker import ZendeskTracker

START = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
ALICE = "alice@example.edu"


@dataclass
class World:
    """A tracker, its clock, and `acting(email)`: the tracker as that person uses it.

    `lag` is how long the tracker's feed takes to show a change (Zendesk leaves out the last
    minute); `settle()` waits that long. `restart_touches`: restarting a status updates the
    ticket (Jira takes the loop transition; Zendesk has no transitions to take)."""

    tracker: Tracker
    now: Callable[[], datetime]
    advance: Callable[[timedelta], object]
    acting: Callable[[str], AbstractContextManager[Tracker]]
    lag: timedelta = timedelta(0)
    restart_touches: bool = True

    def settle(self) -> None:
        if self.lag:
            self.advance(self.lag)


@contextmanager
def _fake(config: Config) -> Iterator[World]:
    clock = SettableClock(START)
    alice = Person("acc-alice", ALICE, "Alice")
    fake = FakeTracker.from_config(config, clock=clock, people=[alice])

    @contextmanager
    def acting(email: str) -> Iterator[Tracker]:
        person = fake.find_person(email)
        assert person is not None
        with fake.acting_as(person):
            yield fake

    yield World(fake, clock.now, clock.advance, acting)


def _settings(sandbox: Sandbox, *, email: str | None = None) -> Settings:
    """The API user's settings, or another person's (Data Center: their own token)."""
    who = email or sandbox.email
    token = sandbox.token
    if sandbox.flavor == "datacenter" and email is not None:
        token = f"{token}-{email.partition('@')[0]}"
    return Settings(jira_url=sandbox.url, jira_email=who, jira_token=SecretStr(token),
                    jira_flavor=sandbox.flavor, _env_file=None)  # type: ignore[call-arg]


def _jira_world(sandbox: Sandbox, config: Config) -> World:
    def tracker(email: str | None = None) -> Tracker:
        return open_tracker(config, _settings(sandbox, email=email),
                            retrier=Retrier(sleep=lambda _: None))

    @contextmanager
    def acting(email: str) -> Iterator[Tracker]:
        yield tracker(email)

    return World(tracker(), sandbox.now, sandbox.advance_clock, acting)


def _install(sandbox: Sandbox, config: Config) -> None:
    admin = connect(_settings(sandbox)).admin
    desired = desired_from(config.rules, config.mappings)
    observed = provisioner.observe(admin, desired)
    provisioner.apply(installer.plan(desired, observed), observed, admin,
                      echo=lambda _: None, wait=lambda _: None)


@contextmanager
def _jira_cloud(config: Config) -> Iterator[World]:
    with Sandbox("cloud", now=START) as cloud:
        _install(cloud, config)
        yield _jira_world(cloud, config)


@contextmanager
def _jira_datacenter(config: Config) -> Iterator[World]:
    """Data Center cannot create workflows over REST: the scheme is copied in, as an admin
    following install-scheme's checklist would make it."""
    with Sandbox("cloud", now=START) as cloud, Sandbox("datacenter", now=START) as dc:
        _install(cloud, config)
        with cloud.store.lock, dc.store.lock:
            for name in ("statuses", "workflows", "schemes", "components"):
                setattr(dc.store, name, copy.deepcopy(getattr(cloud.store, name)))
            dc.store.counters.update(cloud.store.counters)
            dc.store.projects[10000].scheme_id = cloud.store.projects[10000].scheme_id
        yield _jira_world(dc, config)


@contextmanager
def _zendesk(_: Config) -> Iterator[World]:
    """The same rules.yaml with the shipped Zendesk mappings, installed by install-scheme;
    agents act with their own API tokens."""
    with tempfile.TemporaryDirectory() as scratch, \
            Sandbox(tracker="zendesk", now=START) as sandbox:
        config = load_config(config_dir_for("zendesk", Path(scratch)))

        def tracker(email: str | None = None) -> Tracker:
            settings = Settings(zendesk_url=sandbox.url, zendesk_email=email or sandbox.email,
                                zendesk_token=SecretStr(sandbox.token),
                                _env_file=None)  # type: ignore[call-arg]
            return zendesk.open_tracker(config, settings, retrier=Retrier(sleep=lambda _: None))

        admin = tracker()
        assert isinstance(admin, ZendeskTracker)
        assert admin.install_scheme(config, dry_run=False, echo=lambda _: None) == 0

        @contextmanager
        def acting(email: str) -> Iterator[Tracker]:
            yield tracker(email)

        yield World(admin, sandbox.now, sandbox.advance_clock, acting,
                    lag=timedelta(minutes=1, seconds=1), restart_touches=False)


WORLDS: dict[str, Callable[[Config], AbstractContextManager[World]]] = {
    "fake": _fake,
    "jira-cloud": _jira_cloud,
    "jira-datacenter": _jira_datacenter,
    "zendesk": _zendesk,
}


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT)


@pytest.fixture(params=sorted(WORLDS))
def world(request: pytest.FixtureRequest, config: Config) -> Iterator[World]:
    with WORLDS[request.param](config) as built:
        yield built


def _new(world: World, summary: str = "Locked out", **fields: object) -> str:
    return world.tracker.create(NewTicket(summary, "Line one\nline two\n\n[~x] *y* {code}",
                                          WorkflowFields(**fields)))  # type: ignore[arg-type]


def _walk(world: World, key: str, *statuses: str) -> None:
    for status in statuses:
        world.tracker.update(key, WorkflowFields(status=status))


def test_a_new_ticket_reads_back_in_the_workflows_words(world: World) -> None:
    """Created in the initial status, with its text exactly as written, the customer given,
    no history, and a reference that a subject tag finds again."""
    key = _new(world, customer="pat@uni.example.edu")
    ticket = world.tracker.ticket(key)
    assert (ticket.status, ticket.customer, ticket.tier) == ("Pending", "pat@uni.example.edu",
                                                             None)
    assert ticket.text == "Line one\nline two\n\n[~x] *y* {code}"
    assert ticket.created == ticket.updated == START
    assert world.tracker.history(key) == []
    refs = world.tracker.refs
    assert refs.in_subject(f"Re: {refs.subject_tag(key)} Locked out") == [key]
    assert refs.parse(key) == key


def test_statuses_move_only_along_the_workflow(world: World) -> None:
    """A move writes history in workflow names; asking again changes nothing; a move the
    workflow lacks is refused and changes nothing."""
    key = _new(world)
    world.advance(timedelta(minutes=5))
    _walk(world, key, "Reviewing", "Reviewing")
    ticket = world.tracker.ticket(key)
    assert (ticket.status, ticket.updated) == ("Reviewing", START + timedelta(minutes=5))
    moves = [(i.before, i.after) for c in world.tracker.history(key) for i in c.items
             if i.kind == "status"]
    assert moves == [("Pending", "Reviewing")]
    with pytest.raises(NoTransitionError):
        world.tracker.update(key, WorkflowFields(status="Pending"))
    assert world.tracker.ticket(key).status == "Reviewing"


def test_restarting_a_status_takes_its_transition_to_itself(world: World) -> None:
    """An escalation restarts Assigned (Assigned -> Assigned is in the workflow): the tracker
    takes the transition (the ticket is updated, where the tracker has transitions) but, the
    status being the same, writes no status change, as Jira does; without `restart_status`
    nothing happens at all; a restart the workflow has no loop for is refused."""
    key = _new(world)
    _walk(world, key, "Reviewing", "Assigned")
    world.advance(timedelta(minutes=1))
    world.tracker.update(key, WorkflowFields(status="Assigned"))
    assert world.tracker.ticket(key).updated == START
    world.tracker.update(key, WorkflowFields(status="Assigned"), restart_status=True)
    ticket = world.tracker.ticket(key)
    touched = START + timedelta(minutes=1) if world.restart_touches else START
    assert (ticket.status, ticket.updated) == ("Assigned", touched)
    moves = [(i.before, i.after) for c in world.tracker.history(key) for i in c.items
             if i.kind == "status"]
    assert moves == [("Pending", "Reviewing"), ("Reviewing", "Assigned")]


def test_workflow_fields_round_trip(world: World) -> None:
    """Tier, category and customer written together read back; changing two writes their
    history as tier and category changes."""
    key = _new(world)
    world.tracker.update(key, WorkflowFields(category="Access", tier=1,
                                             customer="c@example.org"))
    world.tracker.update(key, WorkflowFields(category="Data export", tier=2))
    ticket = world.tracker.ticket(key)
    assert (ticket.category, ticket.tier, ticket.customer) == ("Data export", 2, "c@example.org")
    kinds = {i.kind for c in world.tracker.history(key) for i in c.items}
    assert {"tier", "category"} <= kinds


def test_comments_keep_visibility_and_write_no_history(world: World) -> None:
    """Internal and public comments read back in order, by their author; the ticket's
    `updated` moves, its history does not."""
    key = _new(world)
    world.advance(timedelta(minutes=1))
    world.tracker.add_comment(key, "note to staff", public=False)
    with world.acting(ALICE) as alice:
        alice.add_comment(key, "Hello {code}", public=True)
    comments = world.tracker.comments(key)
    assert [(c.body, c.public) for c in comments] == [("note to staff", False),
                                                       ("Hello {code}", True)]
    me = world.tracker.myself().ref
    assert [c.author.ref == me for c in comments if c.author] == [True, False]
    ticket = world.tracker.ticket(key)
    assert ticket.updated == START + timedelta(minutes=1)
    assert [c.body for c in ticket.comments] == ["note to staff", "Hello {code}"]
    assert world.tracker.history(key) == []


def test_people_are_found_assigned_and_told_apart(world: World) -> None:
    """find_person by e-mail; an assignment reads back and writes one assignee change by its
    author; a person's own change is theirs, ticketflow's is ticketflow's. (The ticket is in
    tier 1, Alice's: on Zendesk an assignee outside the ticket's group moves it to theirs.)"""
    alice = world.tracker.find_person(ALICE)
    assert alice is not None and alice.email == ALICE
    assert world.tracker.find_person("nobody@example.edu") is None
    key = _new(world, tier=1)
    world.tracker.update(key, WorkflowFields(assignee=alice))
    assignee = world.tracker.ticket(key).assignee
    assert assignee is not None and assignee.ref == alice.ref
    with world.acting(ALICE) as as_alice:
        as_alice.update(key, WorkflowFields(status="Reviewing"))
    history = world.tracker.history(key)
    assert [[i.kind for i in c.items] for c in history] == [["assignee"], ["status"]]
    authors = [c.author.ref if c.author else None for c in history]
    assert authors == [world.tracker.myself().ref, alice.ref]
    world.tracker.update(key, WorkflowFields(assignee=None))
    assert world.tracker.ticket(key).assignee is None


def test_a_ticket_made_from_mail_is_found_by_its_marker(world: World) -> None:
    """The marker of the mail a ticket was made from finds it again (after a crash); an
    unknown marker finds nothing; an attached file is listed."""
    key = world.tracker.create(NewTicket("From mail", "body", labels=("tf-auto",),
                                         mail=MailOrigin("tf-mail-0123456789ab", "k", "<m@x>")))
    assert world.tracker.find_by_mail_marker("tf-mail-0123456789ab") == key
    assert world.tracker.find_by_mail_marker("tf-mail-ffffffffffff") is None
    assert "tf-auto" in world.tracker.ticket(key).labels
    world.tracker.attach(key, Attachment("trace.log", b"line\n", "text/plain"))
    assert world.tracker.attachments(key) == ["trace.log"]


def test_the_oldest_ticket_with_a_marker_is_the_one_found(world: World) -> None:
    """Two tickets carry one mail's marker (a crash between a create and its record, then a
    second create): the older one is the mail's ticket, whatever else carries other markers."""
    _new(world, "unrelated")
    mail = MailOrigin("tf-mail-0123456789ab", "k", "<m@x>")
    first = world.tracker.create(NewTicket("two", "", mail=mail))
    world.tracker.create(NewTicket("three", "", mail=mail))
    assert world.tracker.find_by_mail_marker("tf-mail-0123456789ab") == first


def test_a_comments_marker_survives_the_trackers_rich_text(world: World) -> None:
    """The marker closing a mail comment's first line reads back from the comment list as it
    was written (ADF on Jira Cloud, escaped wiki markup on Data Center), beside markup-like
    text in the sender's name, and tells two equal bodies apart."""
    key = _new(world)
    header = "From: *Pat* [~admin] {code} <pat@uni.example.edu> (by email)\n\nThanks!"
    first, second = stamped(header, "tf-mail-0123456789ab"), stamped(header, "tf-mail-ba98")
    world.tracker.add_comment(key, first, public=True)
    world.tracker.add_comment(key, second, public=True)
    bodies = [c.body for c in world.tracker.comments(key)]
    assert [carries(b, "tf-mail-0123456789ab") for b in bodies] == [True, False]
    assert [carries(b, "tf-mail-ba98") for b in bodies] == [False, True]
    assert bodies[0].partition("\n")[0] == (
        "From: *Pat* [~admin] {code} <pat@uni.example.edu> (by email, ref tf-mail-0123456789ab)")


def test_the_feed_backfills_open_tickets_then_follows_changes(world: World) -> None:
    """With no bookmark: every open ticket, then a page with the first bookmark and the
    baseline. From that bookmark: every ticket changed since, with the change, and a bookmark
    to go on from (an adapter may repeat recent ones, as Jira's overlap does: the core
    de-duplicates); a ticket unchanged long before the bookmark does not come back."""
    done, open_one, quiet = _new(world, "done"), _new(world, "open"), _new(world, "quiet")
    _walk(world, done, "Reviewing", "Complete")
    assert world.tracker.count_open() == 2
    world.settle()
    pages = list(world.tracker.changes(None, now=world.now()))
    backfilled = [t.ticket.key for p in pages for t in p.tickets]
    assert sorted(backfilled) == sorted([open_one, quiet])
    assert pages[-1].bookmark is not None and pages[-1].baseline is not None
    assert all(p.bookmark is None for p in pages[:-1])
    world.advance(timedelta(minutes=10))
    _walk(world, open_one, "Reviewing")
    world.settle()
    later = list(world.tracker.changes(pages[-1].bookmark, now=world.now()))
    seen = _changed(later)
    assert open_one in seen
    moved = [i.after for c in seen[open_one] for i in c.items if i.kind == "status"]
    assert moved == ["Reviewing"]
    assert later[-1].bookmark is not None
    world.advance(timedelta(minutes=10))
    again = list(world.tracker.changes(later[-1].bookmark, now=world.now()))
    assert quiet not in _changed(again)  # unchanged, and long before the bookmark


def test_an_unknown_ticket_is_a_404(world: World) -> None:
    """Reading a ticket that does not exist is a TrackerError with status 404 (mail intake
    then opens a new ticket instead)."""
    key = _new(world)
    with pytest.raises(TrackerError) as caught:
        world.tracker.ticket(key[:-1] + "99")
    assert caught.value.status == 404


def _changed(pages: list[FeedPage]) -> dict[str, tuple[Change, ...]]:
    return {t.ticket.key: t.changes for p in pages for t in p.tickets}
