"""`ticketflow report` on a state file: HTML, JSON and CSV out, usage errors, progress."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from connector.cli import main
from connector.commands.report import ProgressBar
from connector.config.loader import shipped_dir

from .known import NOW, fill

ARGS = ["report", "--config-dir", str(shipped_dir()), "--now", NOW.isoformat(),
        "--since", "2026-11-30"]


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ticketflow.db"
    fill(path)
    monkeypatch.setenv("TICKETFLOW_STATE_DB", str(path))
    monkeypatch.setenv("TICKETFLOW_JIRA_URL", "https://jira.example.edu")
    return path


def test_the_html_report_is_written_where_asked(state: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """The page is written to --out and the command says where; tickets link to the Jira of
    TICKETFLOW_JIRA_URL; nothing but the path goes to stdout (no bar off a terminal)."""
    out = tmp_path / "week.html"
    assert main([*ARGS, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"report written to {out}\n"
    assert captured.err == ""
    assert 'href="https://jira.example.edu/browse/HELP-2"' in out.read_text()


def test_json_goes_to_standard_output(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--format json prints the numbers behind every chart (the known week's)."""
    assert main([*ARGS, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["meta"]["opened"], report["meta"]["completed"]) == (3, 2)
    assert [r["key"] for r in report["slowest"]] == ["HELP-2", "HELP-4"]


def test_csv_writes_a_folder_of_tables(state: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """`--format csv DIR` writes one CSV per table into DIR and says how many."""
    folder = tmp_path / "tables"
    assert main([*ARGS, "--format", "csv", str(folder)]) == 0
    assert capsys.readouterr().out == f"12 tables written to {folder}/\n"
    assert (folder / "promises.csv").read_text().startswith("tier,promise,limit,measured")


def test_a_folder_without_csv_and_a_missing_state_are_usage_errors(
        state: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A positional folder is for CSV only; no state file yet says what to run first; both
    exit 2."""
    assert main([*ARGS, "somewhere"]) == 2
    assert "for `--format csv DIR` only" in capsys.readouterr().err
    monkeypatch.setenv("TICKETFLOW_STATE_DB", str(tmp_path / "none.db"))
    assert main([*ARGS, "--out", str(tmp_path / "r.html")]) == 2
    assert "run `ticketflow once`" in capsys.readouterr().err


def test_the_progress_bar_fills_in_place_on_a_terminal() -> None:
    """On a terminal each step redraws one line, ending full with a newline; elsewhere it
    writes nothing."""
    shown = io.StringIO()
    bar = ProgressBar(shown, total=4, shown=True)
    for step in ("reading", "counting", "drawing", "writing"):
        bar(step)
    bar.finish()
    assert shown.getvalue().count("\r") == 4
    assert shown.getvalue().rstrip().endswith("] 4/4 writing")
    assert shown.getvalue().endswith("\n")
    quiet = io.StringIO()
    ProgressBar(quiet, total=4)("reading")
    assert quiet.getvalue() == ""
