"""The command line frame: entry points, global options, exit codes, init."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from connector.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[3]


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_python_m_connector_is_the_ticketflow_command() -> None:
    """`python -m connector X` and `ticketflow X` give the same output and exit code."""
    ticketflow = Path(sys.executable).with_name("ticketflow")
    for args in (["--version"], ["validate"], ["validate", "--config-dir", "/nonexistent"]):
        via_module = _run(sys.executable, "-m", "connector", *args)
        via_script = _run(str(ticketflow), *args)
        assert (via_module.returncode, via_module.stdout, via_module.stderr) == (
            via_script.returncode,
            via_script.stdout,
            via_script.stderr,
        )


def test_global_options_work_before_or_after_the_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--config-dir` is accepted on either side of the command name."""
    assert main(["--config-dir", str(ROOT), "validate"]) == 0
    assert main(["validate", "--config-dir", str(ROOT)]) == 0
    assert capsys.readouterr().out.count("ok:") == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["--now", "yesterday", "validate"],
        ["--now", "2026-12-01T09:00", "validate"],
        ["frobnicate"],
        [],
        ["--log-format", "xml", "validate"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Bad usage (unknown command, a --now without offset, ...) exits 2 with a message."""
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err


def test_now_with_offset_is_accepted() -> None:
    """`--now 2026-12-01T09:00:00-06:00` parses to that aware instant."""
    args = build_parser().parse_args(["validate", "--now", "2026-12-01T09:00:00-06:00"])
    assert args.now.isoformat() == "2026-12-01T09:00:00-06:00"


def test_help_lists_only_commands_that_exist() -> None:
    """Every command in --help has a handler (nothing is advertised before it works)."""
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, sub in commands.items():
        assert callable(sub.get_default("handler")), name


def test_init_writes_a_config_that_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ticketflow init DIR` from any folder writes the shipped files; they validate there."""
    target = tmp_path / "helpdesk"
    assert main(["init", str(target)]) == 0
    assert (target / "rules" / "templates" / "request_submitted.txt.j2").is_file()
    assert main(["validate", "--config-dir", str(target)]) == 0
    assert main(["init", str(target)]) == 2
    assert "already exist" in capsys.readouterr().err


def test_validate_touches_no_network_on_bad_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a Jira URL set to a listening local port, a bad config never connects to it."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    monkeypatch.setenv("TICKETFLOW_JIRA_URL", f"http://127.0.0.1:{port}")
    (tmp_path / "rules.yaml").write_text("calendar: [\n")
    try:
        assert main(["validate", "--config-dir", str(tmp_path)]) == 2
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()


def test_version_and_help_import_none_of_the_service() -> None:
    """`--version` and `--help` build the parser only: no config, tracker, state or pydantic
    import (they took 1.4 s when every command module was imported eagerly)."""
    probe = ("import sys\nfrom connector.cli import build_parser\nbuild_parser()\n"
             "heavy = sorted(m for m in sys.modules if m.startswith(('connector.config', "
             "'connector.app', 'connector.tracker', 'connector.state', 'pydantic', 'jira')))\n"
             "print(heavy)")
    result = _run(sys.executable, "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_every_command_module_registers_the_same_way() -> None:
    """Each module of connector.commands registers one parser with a handler, and the settings
    its help names are real settings."""
    import importlib

    from connector.commands import COMMANDS
    from connector.settings import Settings

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert sorted(commands) == sorted(n.replace("_", "-") for n in COMMANDS)
    for name in COMMANDS:
        assert callable(importlib.import_module(f"connector.commands.{name}").register)
    for name, sub in commands.items():
        named = (sub.epilog or "").removeprefix("Settings it reads: ").split(", ")
        unknown = [s for s in named if s and s.removeprefix("TICKETFLOW_").lower()
                   not in Settings.model_fields]
        assert unknown == [], name


def test_global_options_are_listed_once(capsys: pytest.CaptureFixture[str]) -> None:
    """`ticketflow --help` lists --config-dir; a command's --help does not repeat it, though
    the command still accepts it."""
    assert main(["--help"]) == 0
    assert "--config-dir" in capsys.readouterr().out
    assert main(["validate", "--help"]) == 0
    assert "--config-dir" not in capsys.readouterr().out
