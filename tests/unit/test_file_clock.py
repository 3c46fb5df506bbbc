"""`run --clock-file`: replicas read one simulated clock from a file a test moves."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connector.cli import main
from connector.clock import FileClock


def test_the_file_clock_follows_the_file(tmp_path: Path) -> None:
    """Each look reads the file again: a test moves every replica's time by rewriting it."""
    path = tmp_path / "clock"
    path.write_text("2026-11-30T07:00:00-06:00\n")
    clock = FileClock(path)
    assert clock.now() == datetime(2026, 11, 30, 13, tzinfo=UTC)
    path.write_text("2026-11-30T07:30:00-06:00")
    assert clock.now() == datetime(2026, 11, 30, 13, 30, tzinfo=UTC)


def test_run_refuses_a_clock_file_it_cannot_read(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing file, or a time without its offset, stops `run` before anything starts
    (exit 2, naming the option and what it expected)."""
    monkeypatch.setenv("TICKETFLOW_JIRA_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TICKETFLOW_JIRA_TOKEN", "t")
    monkeypatch.setenv("TICKETFLOW_JIRA_EMAIL", "a@b.c")
    monkeypatch.setenv("TICKETFLOW_PUBLIC_URL", "https://helpdesk.example.edu")
    monkeypatch.setenv("TICKETFLOW_STATE_DB", str(tmp_path / "state.db"))
    root = Path(__file__).resolve().parents[2]
    naive = tmp_path / "naive"
    naive.write_text("2026-11-30T07:00:00")
    for given in (tmp_path / "missing", naive):
        code = main(["--config-dir", str(root), "run", "--clock-file", str(given)])
        assert code == 2
        said = capsys.readouterr().err
        assert f"--clock-file {given}" in said
        assert "expected a file holding an ISO-8601 instant with a UTC offset" in said
