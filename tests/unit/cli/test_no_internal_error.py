"""No internal error reaches a user: each case the first-day report listed ends in a located
message and the exit code the README gives, never `internal error` or a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from connector.cli import main

ROOT = Path(__file__).resolve().parents[3]
TICKETFLOW = Path(sys.executable).with_name("ticketflow")
# Root reads any file; without these capabilities it meets file modes like anyone else.
NO_OVERRIDE = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
               "--bounding-set=-dac_override,-dac_read_search"]


def _clean(err: str) -> None:
    assert "internal error" not in err
    assert "Traceback" not in err and "Exception ignored" not in err


def test_output_into_a_closed_pipe_ends_quietly() -> None:
    """`ticketflow ... | head -1`: the reader is gone before the output is; the command stops
    with exit 1 and says nothing (there is nobody to tell), rather than a BrokenPipeError."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has had enough before the first line
    try:
        result = subprocess.run([str(TICKETFLOW), "validate", "--config-dir", str(ROOT)],
                                stdout=write_end, stderr=subprocess.PIPE, text=True,
                                check=False, timeout=60)
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert result.stderr == ""


def test_an_unreadable_template_is_a_located_problem(
        shipped_config: Path, tmp_path: Path) -> None:
    """A template the service user may not read: exit 2, its file and line, the reason."""
    template = shipped_config / "rules" / "templates" / "work_started.txt.j2"
    template.chmod(0)
    command = [str(TICKETFLOW), "validate", "--config-dir", str(shipped_config)]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root reads any file, and setpriv (util-linux) is not here to stop it")
        command = NO_OVERRIDE + command
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60,
                            cwd=tmp_path)
    assert result.returncode == 2
    assert ("rules/templates/work_started.txt.j2:1:1: template work_started: cannot read the "
            "template (Permission denied); expected a readable UTF-8 file") in result.stderr
    _clean(result.stderr)


def test_an_impossible_holiday_is_a_located_problem(
        shipped_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`holidays: [2026-02-30]` looks like a date and is none: exit 2 at its line."""
    rules = shipped_config / "rules.yaml"
    rules.write_text(rules.read_text().replace("2026-12-25", "2026-02-30"))
    assert main(["validate", "--config-dir", str(shipped_config)]) == 2
    err = capsys.readouterr().err
    assert "rules.yaml:13:26: calendar.holidays[1]: '2026-02-30' is not a date that exists" in err
    _clean(err)


def test_explain_on_a_garbage_state_file_names_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """TICKETFLOW_STATE_DB pointing at something that is no database: exit 1, the file named."""
    state = tmp_path / "state.db"
    state.write_bytes(b"this is a shopping list, not SQLite\n" * 100)
    monkeypatch.setenv("TICKETFLOW_STATE_DB", str(state))
    monkeypatch.setenv("TICKETFLOW_JIRA_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TICKETFLOW_PUBLIC_URL", "https://helpdesk.example.edu")
    for command in (["explain", "HELP-1"], ["outbox"], ["once"]):
        assert main(["--config-dir", str(ROOT), *command]) == 1
        err = capsys.readouterr().err
        assert f"state database {state}" in err and "not a database" in err
        _clean(err)
