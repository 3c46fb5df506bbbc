"""`ticketflow backtest` against the Jira sandbox over real HTTP: a month of history replayed
through the current rules and a candidate with a shorter tier 1 limit; the per-rule counts
and the one ticket where they differ, with why; and not one write anywhere."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jira import JIRA

from connector.cli import main
from connector.sandbox import API_TOKEN, API_USER, Sandbox

ROOT = Path(__file__).resolve().parents[2]
CHICAGO = ZoneInfo("America/Chicago")
START = datetime(2026, 11, 2, 8, 30, tzinfo=CHICAGO)  # a Monday
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=CHICAGO)


class Month:
    """The sandbox and `ticketflow once` as cron ran it through November."""

    def __init__(self, sandbox: Sandbox, state: Path) -> None:
        self.sandbox = sandbox
        self.state = state
        self.alice = JIRA(server=sandbox.url, basic_auth=("alice@example.edu", API_TOKEN),
                          max_retries=0, options={"rest_api_version": "2"})

    def at(self, when: datetime) -> None:
        self.sandbox.set_clock(when)
        assert main(["once", "--now", when.isoformat(), "--config-dir", str(ROOT)]) == 0

    def request(self, when: datetime, summary: str) -> str:
        self.sandbox.set_clock(when)
        issue = self.alice.create_issue(fields={
            "project": {"key": "HELP"}, "issuetype": {"name": "Service Request"},
            "summary": summary, "description": "Please help.",
            "customfield_10072": "pat.doe@uni.example.edu"})
        self.at(when + timedelta(minutes=1))
        return str(issue.key)

    def move(self, when: datetime, key: str, status: str) -> None:
        self.sandbox.set_clock(when)
        step = next(t for t in self.alice.transitions(key) if t["to"]["name"] == status)
        self.alice.transition_issue(key, step["id"])
        self.at(when + timedelta(minutes=1))


@pytest.fixture
def month(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Month]:
    with Sandbox("cloud", now=START - timedelta(days=1), time_zone="America/Chicago") as box:
        for name, value in {"JIRA_URL": box.url, "JIRA_EMAIL": API_USER,
                            "JIRA_TOKEN": API_TOKEN, "STATE_DB": str(tmp_path / "state.db"),
                            "OUTBOX_DIR": str(tmp_path / "outbox"),
                            "PUBLIC_URL": "https://helpdesk.example.edu"}.items():
            monkeypatch.setenv(f"TICKETFLOW_{name}", value)
        assert main(["install-scheme", "--config-dir", str(ROOT)]) == 0
        made = Month(box, tmp_path / "state.db")
        made.at(START - timedelta(days=1))  # the first run
        slow = made.request(START, "Please create a new project for my lab")
        made.move(START + timedelta(minutes=10), slow, "Reviewing")
        made.move(START + timedelta(hours=3, minutes=10), slow, "In Progress")  # 3h later
        quick = made.request(START + timedelta(days=1), "Locked out after password reset")
        made.move(START + timedelta(days=1, minutes=5), quick, "Reviewing")
        made.move(START + timedelta(days=1, hours=1), quick, "In Progress")
        made.request(START + timedelta(days=2), "Export of the survey data")
        box.set_clock(NOW)
        yield made
        made.alice.close()


def _candidate(folder: Path) -> Path:
    folder.mkdir()
    for name in ("rules.yaml", "mappings.yaml", "rules"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, folder / name)
    rules = folder / "rules.yaml"
    text = rules.read_text()
    assert "escalate_after: 4 business hours" in text
    rules.write_text(text.replace("escalate_after: 4 business hours",
                                  "escalate_after: 2 business hours"))
    return folder


def test_backtest_compares_a_candidate_and_writes_nothing(
        month: Month, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Three requests in November; the candidate's 2-hour tier 1 limit would have escalated
    the one that waited 3 hours in Reviewing (the current 4 hours did not), and nothing else
    differs. The sandbox counts no write, the state file's bytes are unchanged, and the
    printed cost is the requests the sandbox saw for the window."""
    candidate = _candidate(tmp_path / "candidate")
    before = hashlib.sha256(month.state.read_bytes()).hexdigest()
    month.sandbox.reset_request_counts()
    capsys.readouterr()
    command = ["backtest", "--since", "30d", "--candidate", str(candidate), "--now",
               NOW.isoformat(), "--config-dir", str(ROOT)]
    assert main(command) == 0
    out = capsys.readouterr().out
    counts = month.sandbox.request_counts()
    assert counts["writes"] == 0, counts
    assert hashlib.sha256(month.state.read_bytes()).hexdigest() == before

    lines = out.splitlines()
    assert lines[0].startswith("backtest Sun 1 Nov 00:00 CDT .. Mon 30 Nov 12:00 CST: "
                               "3 tickets changed")
    assert "acknowledge                    6          6" in out
    assert "escalate stale tier 1          0          3" in out
    assert "tickets where they differ: 1" in out
    assert ('HELP-1 "Please create a new project for my lab"\n'
            "  candidate only: escalate stale tier 1 at Mon 2 Nov 10:41 CST (time: in "
            "Reviewing since Mon 2 Nov 08:40 CST): escalate, notify, notify\n"
            '    current: rule "escalate stale tier 1" did not fire then:\n') in out
    assert "    current:   ✗ time in Reviewing: 2h1m of business time since Mon 2 Nov 08:40 " \
        "CST; limit 4 business hours (tier 1)" in out
    (cost,) = [line for line in lines if line.startswith("cost: ")]
    read = sum(n for route, n in counts["by_endpoint"].items()
               if "search" in route or "changelog" in route)
    assert cost.startswith(f"cost: {read} tracker requests (1 feed pages, 0 comment reads)")
    assert read == 2  # the floor: one search page, one bulk changelog fetch

    assert main([*command, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["actions_by_rule"]["escalate stale tier 1"] == {"current": 0, "candidate": 3}
    assert [d["key"] for d in report["differences"]] == ["HELP-1"]
    assert report["cost"]["tickets"] == 3
    assert month.sandbox.request_counts()["writes"] == 0
