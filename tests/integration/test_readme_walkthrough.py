"""The README's sandbox walkthrough, run: its sample output has the shape of a real run's."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import requests

from connector.cli import main
from connector.sandbox import API_TOKEN, API_USER, Sandbox

ROOT = Path(__file__).resolve().parents[2]
SECTION = (ROOT / "README.md").read_text().split("### Trying it on the Jira sandbox", 1)[1]
SECTION = SECTION.split("\n### ", 1)[0]
# Times and dates are the reader's own: they are compared by shape, everything else exactly.
_SHAPES = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"), "<instant>"),
    (re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d\d:\d\d [A-Z]{3,4}"),
     "<local time>"),
    (re.compile(r"\b(\d+h)?\d+m\b|\b\d+h\b"), "<business time>"),
]


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", SECTION, flags=re.DOTALL)


def shape(line: str) -> str:
    for pattern, placeholder in _SHAPES:
        line = pattern.sub(placeholder, line)
    return line


def _sample() -> list[tuple[str, list[str]]]:
    """The sample output: each `$ command` with the lines shown under it."""
    (text,) = _blocks("text")
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            sections.append((line[2:], []))
        else:
            sections[-1][1].append(line)
    return sections


def _run(command: str, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """A sample command as the reader runs it: ticketflow through its entry point, curl as the
    HTTP request it makes."""
    words = shlex.split(command)
    if words[0] == "curl":
        path = re.sub(r"^http://127\.0\.0\.1:8080", "", words[words.index("-X") + 2])
        body = words[words.index("-d") + 1]
        return [requests.post(sandbox.url + path, data=body, timeout=10).text]
    assert words[0] == "ticketflow"
    capsys.readouterr()
    assert main(words[1:]) == 0, capsys.readouterr().err
    return capsys.readouterr().out.splitlines()


def test_the_walkthrough_runs_as_written_and_prints_what_the_readme_shows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The commands of the README's walk are run against a sandbox in the same order; every
    sample line (but `...`) appears in the real output, in order, up to its times."""
    (script,) = _blocks("sh")
    sample = _sample()
    for command, _ in sample:  # the sample shows the commands the walk runs
        program = command.replace("ticketflow ", ".venv/bin/ticketflow ", 1)
        assert program in script, command
    with Sandbox("cloud") as sandbox:
        for name, value in {"JIRA_URL": sandbox.url, "JIRA_EMAIL": API_USER,
                            "JIRA_TOKEN": API_TOKEN, "PUBLIC_URL": "http://127.0.0.1:8787",
                            "STATE_DB": str(tmp_path / "ticketflow.db"),
                            "OUTBOX_DIR": str(tmp_path / "outbox"),
                            "CONFIG_DIR": str(ROOT)}.items():
            monkeypatch.setenv(f"TICKETFLOW_{name}", value)
        _run("ticketflow install-scheme", sandbox, capsys)
        _run("ticketflow once", sandbox, capsys)
        for command, shown in sample:
            real = [shape(line) for line in _run(command, sandbox, capsys)]
            position = 0
            for line in (shape(s) for s in shown if s != "..."):
                assert line in real[position:], (command, line, real)
                position = real.index(line, position) + 1


def test_the_demo_prints_what_the_readme_shows(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's simulated week is the same on every machine: each line of the README's sample
    (but `...`) appears in a real run's output, in order, as written."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## What the demo shows", 1)[1].split("```text\n", 1)[1]
    shown = [line for line in block.split("```", 1)[0].splitlines() if line != "..."]
    assert main(["demo", "--output", str(tmp_path / "demo")]) == 0
    real = capsys.readouterr().out.splitlines()
    position = 0
    for line in shown:
        assert line in real[position:], (line, real)
        position = real.index(line, position) + 1
