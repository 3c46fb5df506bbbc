"""The README tells the truth: its commands are CI's, every command and rule type is in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connector.cli import build_parser
from connector.config.actions import ACTIONS
from connector.config.conditions import CONDITIONS
from connector.config.events import EVENTS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _first_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)
    return [
        next(line for line in block.splitlines() if line and not line.startswith("#"))
        for block in blocks[:2]
    ]


def test_readme_opens_with_the_two_commands() -> None:
    """The first two code blocks set up and run the main job, then set up and run the tests."""
    run_main, run_tests = _first_commands()
    assert run_main.startswith("python3 -m venv .venv") and "ticketflow" in run_main
    assert run_tests.startswith("python3 -m venv .venv") and "pytest" in run_tests


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run ends with exactly the README's second command, so CI tests what users run."""
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line]
    assert ci_lines[-1] == _first_commands()[1]


def test_every_command_is_documented() -> None:
    """Each subcommand of the parser appears in the README's command table."""
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in commands:
        assert f"`ticketflow {name}" in README, name


@pytest.mark.parametrize("kind", sorted(CONDITIONS) + sorted(ACTIONS) + sorted(EVENTS))
def test_every_rule_type_is_documented_with_an_example(kind: str) -> None:
    """Each registered condition, action and event has a reference row with an example."""
    assert re.search(rf"^\| `{kind}` \|.*`", README, flags=re.MULTILINE), kind


def test_every_setting_is_in_the_settings_table() -> None:
    """Each TICKETFLOW_* setting the program reads has a row in the README."""
    from connector.settings import Settings

    for name in Settings.model_fields:
        assert f"`TICKETFLOW_{name.upper()}`" in README, name
