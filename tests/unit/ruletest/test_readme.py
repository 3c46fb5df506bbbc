"""The README's *Rule tests* section tells the truth: its example passes, and its sample
output and sample error are what `ticketflow test` prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connector.cli import main

ROOT = Path(__file__).resolve().parents[3]
SECTION = (ROOT / "README.md").read_text().split("## Rule tests\n", 1)[1].split("\n## ", 1)[0]
BLOCKS = re.findall(r"```(yaml|text)\n(.*?)```", SECTION, flags=re.DOTALL)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_readme_example_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The example test file runs green on the shipped rules."""
    example = tmp_path / "example.yaml"
    example.write_text(next(body for kind, body in BLOCKS if kind == "yaml"))
    assert main(["test", "--config-dir", str(ROOT), str(example)]) == 0
    assert "1 passed" in capsys.readouterr().out


def test_the_readme_failure_is_what_a_wrong_assignee_prints(
        shipped_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With the first case of rules/tests/escalation.yaml expecting carol, the output holds
    every line of the README's sample, in order (`...` stands for lines left out)."""
    escalation = shipped_config / "rules" / "tests" / "escalation.yaml"
    _edit(escalation, "assignee: bob", "assignee: carol")
    assert main(["test", "--config-dir", str(shipped_config), str(escalation)]) == 1
    out = re.sub(r" in \d+\.\d s$", " in {s} s", capsys.readouterr().out, flags=re.MULTILINE)
    sample = next(body for kind, body in BLOCKS if kind == "text")
    sample = re.sub(r" in \d+\.\d s$", " in {s} s", sample, flags=re.MULTILINE)
    lines = iter(out.splitlines())
    for wanted in sample.splitlines():
        if wanted != "...":
            assert any(line == wanted for line in lines), wanted


def test_the_readme_error_is_what_a_misspelt_person_prints(
        shipped_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`by: alcie` in rules/tests/escalation.yaml: exit 2 and exactly the README's lines."""
    _edit(shipped_config / "rules" / "tests" / "escalation.yaml", "by: alice", "by: alcie")
    assert main(["test", "--config-dir", str(shipped_config)]) == 2
    sample = [body for kind, body in BLOCKS if kind == "text"][1]
    assert capsys.readouterr().err == sample
