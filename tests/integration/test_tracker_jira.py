"""The Jira adapter (JiraClient, and what JiraTracker keeps in Jira's own terms) end to end
against the Jira sandbox over real HTTP, in both flavors."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from connector.config.loader import load_config
from connector.errors import AuthError, TrackerError
from connector.http.retry import Retrier, RetryPolicy
from connector.sandbox import Sandbox
from connector.settings import Settings
from connector.tracker.jira import installer, provisioner
from connector.tracker.jira.client import JiraClient, connect
from connector.tracker.jira.scheme import Desired, desired_from
from connector.tracker.jira.tracker import open_tracker
from connector.tracker.values import Attachment, MailOrigin, NewTicket

START = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
CUSTOM = ("customfield_10071", "customfield_10072")


class Waits:
    """Sleep that only records: retries in these tests never wait on the wall clock."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def tracker_for(sandbox: Sandbox, waits: Waits | None = None) -> JiraClient:
    """Connect as the product does: flavor from serverInfo, the flavor's credentials."""
    waits = waits or Waits()
    settings = Settings(
        jira_url=sandbox.url,
        jira_email=sandbox.email,
        jira_token=SecretStr(sandbox.token),
        jira_flavor="auto",
    )
    retrier = Retrier(RetryPolicy(budget=300.0), sleep=waits.sleep, monotonic=lambda: waits.now)
    return connect(settings, custom_fields=CUSTOM, retrier=retrier)


@pytest.fixture(params=["cloud", "datacenter"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """Each flavor in turn, clock frozen at START."""
    with Sandbox(request.param, now=START) as started:
        yield started


@pytest.fixture
def sandbox_with_workflow(sandbox: Sandbox) -> Sandbox:
    """The sandbox with ticketflow's workflow in HELP (installed on Cloud, seeded on DC)."""
    install_workflow(sandbox)
    return sandbox


def install_workflow(sandbox: Sandbox) -> None:
    """Cloud: through install-scheme's own code. Data Center: into the store, as an admin would."""
    config = load_config(ROOT)
    desired = desired_from(config.rules, config.mappings)
    if sandbox.flavor == "datacenter":
        with Sandbox("cloud", now=START) as helper:  # build it on Cloud, copy it over
            _install(helper, desired)
            _copy_workflow(helper, sandbox)
        return
    _install(sandbox, desired)


def _install(sandbox: Sandbox, desired: Desired) -> None:
    tracker = tracker_for(sandbox)
    observed = provisioner.observe(tracker.admin, desired)
    current = installer.plan(desired, observed)
    provisioner.apply(current, observed, tracker.admin, echo=lambda _: None, wait=lambda _: None)


def _copy_workflow(source: Sandbox, target: Sandbox) -> None:
    """What a Data Center admin does by hand: the same statuses, workflow and scheme."""
    with source.store.lock, target.store.lock:
        for name in ("statuses", "workflows", "schemes", "components"):
            setattr(target.store, name, copy.deepcopy(getattr(source.store, name)))
        target.store.counters.update(source.store.counters)
        for project_id, project in source.store.projects.items():
            target.store.projects[project_id].scheme_id = project.scheme_id


def test_issue_lifecycle_through_every_write(sandbox_with_workflow: Sandbox) -> None:
    """Create, transition, comment (internal and public), assign, fields, attach, notify."""
    sandbox = sandbox_with_workflow
    tracker = tracker_for(sandbox)
    issue = tracker.get_issue(tracker.create_issue(
        "HELP",
        issue_type="Service Request",
        summary="Locked out",
        description="I cannot log in.\n\n[~admin] *help*",
        fields={"customfield_10072": "customer@example.org"},
    ))
    assert (issue.key, issue.status) == ("HELP-1", "Pending")
    assert issue.description == "I cannot log in.\n\n[~admin] *help*"
    tracker.transition_to(issue.key, "Reviewing")
    tracker.transition_to(issue.key, "Assigned", from_status="Reviewing")
    tracker.transition_to(issue.key, "Assigned")  # the loop: "Escalate to next tier"
    internal = tracker.add_comment(issue.key, "Escalating to tier 2.", internal=True)
    public = tracker.add_comment(issue.key, "We are on it: [~bob] {code}x{code}", internal=False)
    assert internal.internal and not public.internal
    alice = tracker.find_user("alice@example.edu")
    assert alice is not None
    tracker.assign(issue.key, alice)
    tracker.update_fields(issue.key, {"customfield_10071": 2, "labels": ["vip"]})
    tracker.attach(issue.key, Attachment("mail.eml", b"From: x\r\n\r\nhi", "message/rfc822"))
    tracker.notify(
        issue.key,
        subject="Assigned to you",
        text_body="HELP-1 is yours",
        html_body="<p>HELP-1 is yours</p>",
        users=[alice],
    )

    after = tracker.get_issue(issue.key)
    assert after.status == "Assigned"
    assert after.assignee is not None and after.assignee.ref == alice.ref
    assert after.custom_fields == {
        "customfield_10071": 2.0,
        "customfield_10072": "customer@example.org",
    }
    assert after.labels == ("vip",)
    comments = tracker.comments(issue.key)
    assert [(c.body, c.internal) for c in comments] == [
        ("Escalating to tier 2.", True),
        ("We are on it: [~bob] {code}x{code}", False),
    ]
    sent = sandbox.notifications()
    assert sent[-1]["subject"] == "Assigned to you"
    ident = "accountId" if sandbox.flavor == "cloud" else "name"
    assert sent[-1]["to"] == {"users": [{ident: alice.ref}]}
    history = tracker.changelogs([issue.id])[issue.id]
    statuses = [
        (i.from_string, i.to_string) for c in history for i in c.items if i.field == "status"
    ]
    assert statuses == [("Pending", "Reviewing"), ("Reviewing", "Assigned")]
    assert any(
        i.field_id == "attachment" or i.field == "Attachment" for c in history for i in c.items
    )
    assert tracker.myself().display_name == "Sandbox Admin"


def test_missing_transition_is_a_clear_error(sandbox_with_workflow: Sandbox) -> None:
    """Pending cannot go straight to Done: the error names the issue, status and options."""
    tracker = tracker_for(sandbox_with_workflow)
    key = tracker.create_issue("HELP", issue_type="Service Request", summary="s", description="d")
    with pytest.raises(TrackerError) as caught:
        tracker.transition_to(key, "Done")
    assert str(caught.value) == (
        'HELP-1 is in "Pending"; no transition leads to "Done". '
        'Available: "Start review" -> Reviewing'
    )


def test_server_time_is_jiras_clock_not_the_hosts(sandbox: Sandbox) -> None:
    """`server_time()` reads serverInfo.serverTime: the sandbox's clock (set apart from the
    host's), as an aware instant, in both flavors."""
    tracker = tracker_for(sandbox)
    assert tracker.server_time() == START
    sandbox.set_clock(START + timedelta(minutes=20))
    assert tracker.server_time() == START + timedelta(minutes=20)


def test_search_changed_pages_and_respects_the_bound(sandbox: Sandbox) -> None:
    """250 seeded issues a minute apart: pages of 100, oldest first, bound by epoch millis."""
    sandbox.seed_issues(250, start=START - timedelta(days=1))
    tracker = tracker_for(sandbox)
    since = START - timedelta(days=1) + timedelta(minutes=10)
    pages = list(tracker.search_changed("HELP", since=since, page_size=100))
    assert [len(p) for p in pages] == [100, 100, 40]
    keys = [i.key for p in pages for i in p]
    assert keys[0] == "HELP-11" and keys[-1] == "HELP-250"
    updated = [i.updated for p in pages for i in p]
    assert updated == sorted(updated) and updated[0] >= since
    assert tracker.count("HELP", done_statuses=["Done"]) == 250
    opened = list(tracker.search_open("HELP", done_statuses=["To Do"], page_size=100))
    assert opened == []


def test_retries_ride_out_rate_limits_and_dropped_connections(sandbox: Sandbox) -> None:
    """With 429s and dropped connections injected, a full search still completes."""
    sandbox.seed_issues(120, start=START - timedelta(hours=3))
    sandbox.set_faults(rate_429=0.2, rate_drop=0.1, retry_after=3, seed=7)
    waits = Waits()
    tracker = tracker_for(sandbox, waits)
    pages = list(tracker.search_changed("HELP", since=START - timedelta(days=1), page_size=50))
    assert sum(len(p) for p in pages) == 120
    changes = tracker.changelogs([i.id for p in pages for i in p][:20])
    assert len(changes) == 20
    faults = sandbox.request_counts()
    assert waits.waits, faults  # some retries happened, none slept on the wall clock
    assert all(w >= 0.5 for w in waits.waits)


def test_wrong_credentials_name_the_settings(sandbox: Sandbox) -> None:
    """A bad token is a plain AuthError naming the two settings; the token never shows."""
    settings = Settings(
        jira_url=sandbox.url,
        jira_email=sandbox.email,
        jira_token=SecretStr("wrong-token-123"),
        jira_flavor="auto",
    )
    tracker = connect(settings, retrier=Retrier(sleep=lambda _: None))
    with pytest.raises(AuthError) as caught:
        tracker.get_issue("HELP-1")
    assert "check TICKETFLOW_JIRA_EMAIL / TICKETFLOW_JIRA_TOKEN" in str(caught.value)
    assert "wrong-token-123" not in str(caught.value)


def test_properties_set_at_creation_read_back(sandbox: Sandbox) -> None:
    """Issue properties given to create_issue are readable with get_property."""
    tracker = tracker_for(sandbox)
    key = tracker.create_issue(
        "HELP",
        issue_type="Service Request",
        summary="s",
        description="d",
        properties={"ticketflow": {"mail": "<m@x>"}},
    )
    assert tracker.get_property(key, "ticketflow") == {"mail": "<m@x>"}


def test_a_mail_ticket_carries_its_marker_as_a_label_and_the_mail_as_a_property(
        sandbox: Sandbox) -> None:
    """On Jira a mail's marker is a label (JQL can search labels; an API-token user cannot
    search issue properties on Cloud) and the mail's Message-ID an issue property, both set
    with the create itself; a follow-up is a "Relates" link."""
    config = load_config(ROOT)
    settings = Settings(jira_url=sandbox.url, jira_email=sandbox.email,
                        jira_token=SecretStr(sandbox.token), jira_flavor=sandbox.flavor,
                        _env_file=None)  # type: ignore[call-arg]
    tracker = open_tracker(config, settings, retrier=Retrier(sleep=lambda _: None))
    old = tracker.create(NewTicket("Old", ""))
    key = tracker.create(NewTicket("New", "", labels=("tf-auto",), mail=MailOrigin(
        "tf-mail-0123456789ab", "<m@x>", "<m@x>")))
    tracker.relate(key, old)
    assert tracker.client.get_issue(key).labels == ("tf-mail-0123456789ab", "tf-auto")
    assert tracker.client.get_property(key, "ticketflow.mail") == {"message_id": "<m@x>",
                                                                   "key": "<m@x>"}
    with sandbox.store.lock:
        (link,) = sandbox.store.by_key[key].links
        assert (link.type_name, sandbox.store.issues[link.other_id].key) == ("Relates", old)
