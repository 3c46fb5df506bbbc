"""Two Jira projects in one service, on the sandbox: one search a cycle across both, each
ticket read in its own project's words, install-scheme for each."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from connector.cli import main
from connector.sandbox import API_TOKEN, API_USER, Sandbox
from connector.state.sqlite import SqliteStateStore

NOON = datetime(2026, 12, 1, 18, 0, tzinfo=ZoneInfo("UTC"))


def two_projects(config_dir: Path) -> None:
    """The shipped mappings.yaml with a second project, OPS: its Done status is called
    Closed, its category a label, and it has an address of its own."""
    path = config_dir / "mappings.yaml"
    data = yaml.safe_load(path.read_text())
    ops = {**data["jira"], "project": "OPS",
           "statuses": {**data["jira"]["statuses"], "Complete": "Closed"},
           "fields": {**data["jira"]["fields"], "category": {"label_prefix": "cat-"}},
           "mailbox": {"address": "ops_helpdesk@example.edu"}}
    data["jira"] = [data["jira"], ops]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def one_project(config_dir: Path) -> str:
    """Back to HELP alone (before a project is added); the two-project file's text."""
    path = config_dir / "mappings.yaml"
    both = path.read_text()
    data = yaml.safe_load(both)
    data["jira"] = data["jira"][0]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return both


@pytest.fixture
def sandbox(shipped_config: Path, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox("cloud", now=NOON) as sandbox:
        _point_at(sandbox, tmp_path, monkeypatch)
        sandbox.add_project("OPS", "Operations")
        two_projects(shipped_config)
        yield sandbox


def _point_at(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands' settings: this sandbox, state and outbox under `tmp_path`."""
    for name, value in {"JIRA_URL": sandbox.url, "JIRA_EMAIL": API_USER,
                        "JIRA_TOKEN": API_TOKEN, "STATE_DB": str(tmp_path / "state.db"),
                        "OUTBOX_DIR": str(tmp_path / "outbox"),
                        "PUBLIC_URL": "https://helpdesk.example.edu"}.items():
        monkeypatch.setenv(f"TICKETFLOW_{name}", value)


def _run(*argv: str, config_dir: Path) -> int:
    return main([*argv, "--config-dir", str(config_dir)])


def _once(now: datetime, config_dir: Path) -> None:
    assert _run("once", "--now", now.isoformat(), config_dir=config_dir) == 0


def test_an_idle_cycle_costs_one_request_for_two_projects(
        sandbox: Sandbox, shipped_config: Path, tmp_path: Path) -> None:
    """After the backfill of both projects' open tickets, a cycle with nothing new asks Jira
    exactly one thing (one search across both projects); new tickets of both projects are
    then acknowledged and mirrored under their project."""
    assert _run("install-scheme", config_dir=shipped_config) == 0
    two_hours_ago = NOON - timedelta(hours=2)
    sandbox.seed_issues(30, project="HELP", status="Pending", start=two_hours_ago)
    sandbox.seed_issues(20, project="OPS", status="Pending", start=two_hours_ago)
    _once(NOON, shipped_config)
    sandbox.set_clock(NOON + timedelta(minutes=10))  # past the overlap window
    sandbox.reset_request_counts()

    _once(NOON + timedelta(minutes=10), shipped_config)

    counts = sandbox.request_counts()
    assert counts["by_endpoint"] == {"POST /rest/api/3/search/jql": 1}
    (help_key,) = sandbox.seed_issues(1, project="HELP", status="Pending")
    (ops_key,) = sandbox.seed_issues(1, project="OPS", status="Pending")
    _once(NOON + timedelta(minutes=11), shipped_config)
    store = SqliteStateStore(tmp_path / "state.db")
    try:
        assert (store.count_open("HELP"), store.count_open("OPS")) == (31, 21)
        ops_ticket = store.ticket_by_key(ops_key)
        assert ops_ticket is not None and ops_ticket.project == "OPS"
    finally:
        store.close()
    sent = sorted(p.read_text() for p in (tmp_path / "outbox").glob("*request_submitted*.eml"))
    assert len(sent) == 2
    assert any(help_key in text for text in sent) and any(ops_key in text for text in sent)


def test_each_ticket_is_read_in_its_own_projects_words(
        sandbox: Sandbox, shipped_config: Path, tmp_path: Path) -> None:
    """OPS calls the Complete status Closed: an OPS issue moved to Closed in Jira is
    Complete (and so closed) in the mirror, while HELP's Done stays HELP's Complete."""
    assert _run("install-scheme", config_dir=shipped_config) == 0
    (ops_key,) = sandbox.seed_issues(1, project="OPS", status="Pending")
    (help_key,) = sandbox.seed_issues(1, project="HELP", status="Pending")
    _once(NOON, shipped_config)
    sandbox.set_clock(NOON + timedelta(minutes=1))
    sandbox.seed_issues(1, project="OPS", status="Closed")
    sandbox.seed_issues(1, project="HELP", status="Done")
    _once(NOON + timedelta(minutes=2), shipped_config)

    store = SqliteStateStore(tmp_path / "state.db")
    try:
        statuses = {t.key: (t.status, t.open) for t in (
            store.ticket_by_key(f"OPS-{n}") for n in (1, 2)) if t is not None}
        statuses |= {t.key: (t.status, t.open) for t in (
            store.ticket_by_key(f"HELP-{n}") for n in (1, 2)) if t is not None}
    finally:
        store.close()
    assert statuses == {ops_key: ("Pending", True), "OPS-2": ("Complete", False),
                        help_key: ("Pending", True), "HELP-2": ("Complete", False)}


def test_install_scheme_and_validate_online_cover_every_project(
        sandbox: Sandbox, shipped_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """install-scheme installs OPS's workflow too (its Closed status included), and
    `validate --online` then finds both projects in place; a project Jira lacks is located
    at its own line of mappings.yaml."""
    assert _run("install-scheme", config_dir=shipped_config) == 0
    out = capsys.readouterr().out
    assert "project HELP:" in out and "project OPS:" in out

    assert _run("validate", "--online", config_dir=shipped_config) == 0
    out = capsys.readouterr().out
    assert "project HELP" in out and "project OPS" in out

    path = shipped_config / "mappings.yaml"
    path.write_text(path.read_text().replace("project: OPS", "project: OPX"))
    assert _run("validate", "--online", config_dir=shipped_config) == 2
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1)
                if "project: OPX" in text)
    assert f"mappings.yaml:{line}:" in capsys.readouterr().err


def test_validate_online_checks_each_role_in_its_own_project(
        shipped_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Alice may be assigned HELP's issues and not OPS's: `validate --online` reports her at
    OPS's platform_support line (`jira[1]`) and not at HELP's, and once OPS's role names
    someone OPS takes, it passes."""
    with Sandbox("cloud", now=NOON) as sandbox:
        _point_at(sandbox, tmp_path, monkeypatch)
        sandbox.add_project("OPS", "Operations", unassignable=["alice@example.edu"])
        two_projects(shipped_config)
        path = shipped_config / "mappings.yaml"
        data = yaml.safe_load(path.read_text())
        data["jira"][1]["roles"] = copy.deepcopy(data["jira"][1]["roles"])  # not an alias
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        assert _run("install-scheme", config_dir=shipped_config) == 0
        capsys.readouterr()
        assert _run("validate", "--online", config_dir=shipped_config) == 2
        lines = capsys.readouterr().err.splitlines()
        text = (shipped_config / "mappings.yaml").read_text().splitlines()
        ops_line = next(n for n, line in enumerate(text, 1) if "project: OPS" in line)
        alice = next(n for n, line in enumerate(text, 1)
                     if n > ops_line and "alice@example.edu" in line)
        assert [line for line in lines if "alice" in line] == [
            f"mappings.yaml:{alice}:{text[alice - 1].index('alice') + 1}: "
            "jira[1].roles.platform_support.users[0]: Jira user \"alice@example.edu\" may not "
            "be assigned issues of project OPS; expected a user with the project's Assignable "
            "User permission (tickets are assigned to the people of a role)"]

        data["jira"][1]["roles"]["platform_support"]["users"] = ["bob@example.edu"]
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        assert _run("validate", "--online", config_dir=shipped_config) == 0


def test_a_project_added_later_is_backfilled_and_the_others_go_on(
        sandbox: Sandbox, shipped_config: Path, tmp_path: Path) -> None:
    """HELP runs alone; then OPS, with open and completed tickets of its own, is added to
    mappings.yaml while a HELP customer writes in. OPS's tickets are mirrored without a
    message (as a first run does), the HELP ticket is acknowledged, nothing twice."""
    both = one_project(shipped_config)
    assert _run("install-scheme", config_dir=shipped_config) == 0
    _once(NOON, shipped_config)
    sandbox.set_clock(NOON + timedelta(minutes=10))
    (new_help,) = sandbox.seed_issues(1, project="HELP", status="Pending")
    (shipped_config / "mappings.yaml").write_text(both)
    assert _run("install-scheme", config_dir=shipped_config) == 0
    ops_open = sandbox.seed_issues(3, project="OPS", status="Pending",
                                   start=NOON - timedelta(hours=1))
    sandbox.seed_issues(1, project="OPS", status="Closed")  # done before ticketflow came

    for minute in (11, 12, 20):
        sandbox.set_clock(NOON + timedelta(minutes=minute))
        _once(NOON + timedelta(minutes=minute), shipped_config)

    sent = [p.name for p in (tmp_path / "outbox").glob("*request_submitted*.eml")]
    assert len(sent) == 1 and sent[0].startswith(new_help)
    store = SqliteStateStore(tmp_path / "state.db")
    try:
        assert sorted(t.key for t in store.open_tickets("OPS")) == sorted(ops_open)
        marks = {p: store.bookmark(p) for p in ("HELP", "OPS")}
    finally:
        store.close()
    assert marks["HELP"] is not None and marks["OPS"] is not None
    assert marks["HELP"].position == marks["OPS"].position  # one feed, one position
