"""An operator's first day against the sandbox: what refuses to start, and what it says."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connector.cli import main
from connector.sandbox import API_TOKEN, API_USER, Sandbox

ROOT = Path(__file__).resolve().parents[2]
NOON = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox with the workflow installed, and the settings an operator would export."""
    with Sandbox("cloud", now=NOON) as sandbox:
        monkeypatch.setenv("TICKETFLOW_JIRA_URL", sandbox.url)
        monkeypatch.setenv("TICKETFLOW_JIRA_EMAIL", API_USER)
        monkeypatch.setenv("TICKETFLOW_JIRA_TOKEN", API_TOKEN)
        monkeypatch.setenv("TICKETFLOW_STATE_DB", str(tmp_path / "state.db"))
        monkeypatch.setenv("TICKETFLOW_OUTBOX_DIR", str(tmp_path / "outbox"))
        monkeypatch.setenv("TICKETFLOW_PUBLIC_URL", "https://helpdesk.example.edu")
        monkeypatch.setenv("TICKETFLOW_CONFIG_DIR", str(ROOT))
        assert main(["install-scheme"]) == 0
        yield sandbox


def test_an_empty_state_file_is_refused_unless_new_state_is_given(
        sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 0-byte state file (a truncated copy, a botched restore) is not taken as a first run:
    `once` exits 2 naming the file and --new-state, and touches nothing; with --new-state it
    starts a new state there."""
    state = tmp_path / "state.db"
    state.touch()
    capsys.readouterr()
    assert main(["once"]) == 2
    err = capsys.readouterr().err
    assert f"{state}: the state file is empty (0 bytes)" in err
    assert "--new-state" in err
    assert state.stat().st_size == 0
    assert main(["once", "--dry-run"]) == 2
    assert main(["explain", "HELP-1"]) == 2
    assert main(["outbox"]) == 2
    assert state.stat().st_size == 0

    assert main(["once", "--new-state"]) == 0
    assert state.stat().st_size > 0
    assert main(["once"]) == 0
