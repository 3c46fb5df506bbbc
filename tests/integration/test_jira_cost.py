"""What a cycle costs Jira, over the sandbox and real HTTP: an idle cycle is one search even
with changed tickets inside the overlap window, and no comment is lost when more came between
two polls than a search brings."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from connector.cli import main
from connector.sandbox import API_TOKEN, Sandbox
from connector.state.sqlite import SqliteStateStore

from .conftest import operator_env

ROOT = Path(__file__).resolve().parents[2]
NOON = datetime(2026, 12, 1, 18, 0, tzinfo=ZoneInfo("UTC"))
COMMENTS = "GET /rest/api/3/issue/{key}/comment"  # as the sandbox counts requests
COMMENT_RULE = """
  - name: comment seen
    on: {commented: {by: anyone}}
    then:
      - notify: {to: assignee, template: customer_replied}
"""


def _config_dir(tmp_path: Path) -> Path:
    """The shipped configuration plus a rule that fires on every comment."""
    folder = tmp_path / "config"
    folder.mkdir()
    for name in ("rules.yaml", "mappings.yaml", "rules"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, folder / name)
    with (folder / "rules.yaml").open("a") as rules:
        rules.write(COMMENT_RULE)
    (folder / "rules" / "templates" / "customer_replied.txt.j2").write_text(
        "Subject: [{{ ticket.key }}] A comment\n\nSee the ticket.\n")
    return folder


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """Jira Cloud with the workflow installed (Data Center embeds each changelog in the
    search, so its idle cycle was one request already)."""
    with Sandbox("cloud", now=NOON) as sandbox:
        operator_env(monkeypatch, sandbox, tmp_path)
        monkeypatch.setenv("TICKETFLOW_CONFIG_DIR", str(_config_dir(tmp_path)))
        assert main(["install-scheme"]) == 0
        yield sandbox


def _once(sandbox: Sandbox, now: datetime) -> int:
    """One cycle at `now` (Jira's clock too); the number of Jira requests it made."""
    sandbox.set_clock(now)
    sandbox.reset_request_counts()
    assert main(["once", "--now", now.isoformat()]) == 0
    return int(sandbox.request_counts()["total"])


def _as_alice(sandbox: Sandbox) -> requests.Session:
    """An engineer with her own login, working in Jira's screens."""
    session = requests.Session()
    session.auth = ("alice@example.edu", API_TOKEN)
    return session


def _comment(sandbox: Sandbox, session: requests.Session, key: str, text: str) -> None:
    """Alice comments on a ticket (in ADF, as Cloud takes it)."""
    body = {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": text}]}]}
    session.post(f"{sandbox.url}/rest/api/3/issue/{key}/comment", json={"body": body},
                 timeout=10).raise_for_status()


def _comment_events(tmp_path: Path) -> set[str]:
    """The comments the rule fired on, by the trigger its ledger rows record."""
    store = SqliteStateStore(tmp_path / "state.db")
    try:
        rows = store.effects_with_status(["pending", "done", "skipped", "failed", "blocked"])
        return {e.trigger for e in rows if e.rule == "comment seen"}
    finally:
        store.close()


def test_an_idle_cycle_is_one_request_with_changes_inside_the_overlap_window(
        sandbox: Sandbox, tmp_path: Path) -> None:
    """Tickets changed a minute ago stay inside the feed's overlap window for five minutes;
    once a cycle has mirrored them, the next cycles fetch no changelog for them (their
    `updated` is what the mirror holds): one search each, and a real change is still seen."""
    keys = sandbox.seed_issues(30, status="Pending", start=NOON - timedelta(hours=1))
    _once(sandbox, NOON)                                   # backfill
    sandbox.set_clock(NOON + timedelta(minutes=1))
    session = _as_alice(sandbox)
    for key in keys[:10]:
        _comment(sandbox, session, key, "Looking into it.")
    _once(sandbox, NOON + timedelta(minutes=2))
    assert len(_comment_events(tmp_path)) == 10
    idle = [_once(sandbox, NOON + timedelta(minutes=m)) for m in (3, 4, 5)]
    assert idle == [1, 1, 1]
    sandbox.set_clock(NOON + timedelta(minutes=5, seconds=30))
    _comment(sandbox, session, keys[0], "One more thing.")
    _once(sandbox, NOON + timedelta(minutes=6))
    assert len(_comment_events(tmp_path)) == 11
    assert _once(sandbox, NOON + timedelta(minutes=7)) == 1


def test_fifty_comments_between_two_polls_are_fifty_events(
        sandbox: Sandbox, tmp_path: Path) -> None:
    """A Cloud search brings the 20 newest comments of an issue. Alice writes 50 between two
    polls: the rule fires on each of the 50 (the rest are read with the comment endpoint,
    paged), and the next poll reads no comments again."""
    (key,) = sandbox.seed_issues(1, status="Pending", start=NOON - timedelta(hours=1))
    _once(sandbox, NOON)                                   # backfill
    session = _as_alice(sandbox)
    sandbox.set_clock(NOON + timedelta(minutes=1))
    for n in range(50):
        _comment(sandbox, session, key, f"Update {n}")
    _once(sandbox, NOON + timedelta(minutes=2))
    assert sandbox.request_counts()["by_endpoint"].get(COMMENTS) == 1
    posted = session.get(f"{sandbox.url}/rest/api/3/issue/{key}/comment",
                         params={"maxResults": 100}, timeout=10).json()["comments"]
    assert len(posted) == 50
    assert _comment_events(tmp_path) == {f"comment:{c['id']}" for c in posted}
    _once(sandbox, NOON + timedelta(minutes=8))
    assert COMMENTS not in sandbox.request_counts()["by_endpoint"]
    assert len(_comment_events(tmp_path)) == 50
