"""install-scheme and validate --online on the Zendesk sandbox, through the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from connector.cli import main
from connector.config.shipped import config_dir_for
from connector.sandbox import API_TOKEN, API_USER, Sandbox

START = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


@pytest.fixture
def zendesk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, Path]]:
    with Sandbox(tracker="zendesk", now=START) as sandbox:
        monkeypatch.setenv("TICKETFLOW_ZENDESK_URL", sandbox.url)
        monkeypatch.setenv("TICKETFLOW_ZENDESK_EMAIL", API_USER)
        monkeypatch.setenv("TICKETFLOW_ZENDESK_TOKEN", API_TOKEN)
        monkeypatch.setenv("TICKETFLOW_STATE_DB", str(tmp_path / "state.db"))
        yield sandbox, config_dir_for("zendesk", tmp_path)


def _writes(sandbox: Sandbox) -> dict[str, int]:
    counts = sandbox.request_counts()["by_endpoint"]
    return {k: v for k, v in counts.items() if not k.startswith("GET ")}


def test_dry_run_plans_then_install_creates_and_validate_agrees(
        zendesk: tuple[Sandbox, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """--dry-run prints what it would create and writes nothing; validate --online names each
    missing item at its mappings.yaml line (exit 2); install-scheme creates them, after which
    validate passes and a second install has nothing to do."""
    sandbox, config = zendesk
    assert main(["install-scheme", "--dry-run", "--config-dir", str(config)]) == 0
    out = capsys.readouterr().out
    assert '  ok      custom status "New"' in out
    assert '  create  custom status "Reviewing" (open)' in out
    assert '  create  alice@example.edu joins group "Tier 1 - Platform Support"' in out
    assert '  create  drop-down field "Request category" (4 options)' in out
    assert _writes(sandbox) == {}
    assert main(["validate", "--online", "--config-dir", str(config)]) == 2
    err = capsys.readouterr().err
    lines = (config / "mappings.yaml").read_text().splitlines()
    row, text = next((n, t) for n, t in enumerate(lines, 1) if t.strip().startswith("Reviewing"))
    assert (f'mappings.yaml:{row}:{text.index("{") + 1}: zendesk.statuses.Reviewing: custom status '
            f'"Reviewing" (open) is missing in Zendesk') in err
    assert main(["install-scheme", "--config-dir", str(config)]) == 0
    assert "install-scheme: 12 change(s) made" in capsys.readouterr().out
    assert main(["validate", "--online", "--config-dir", str(config)]) == 0
    assert main(["install-scheme", "--config-dir", str(config)]) == 0
    assert "everything is in place" in capsys.readouterr().out


def test_a_status_in_another_category_stops_the_install_at_its_line(
        zendesk: tuple[Sandbox, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """An admin made "Reviewing" a pending status: install-scheme changes nothing and says
    where mappings.yaml expects otherwise; validate --online says the same."""
    sandbox, config = zendesk
    made = requests.post(f"{sandbox.url}/api/v2/custom_statuses.json", timeout=5,
                         auth=(f"{API_USER}/token", API_TOKEN), json={"custom_status": {
                             "status_category": "pending", "agent_label": "Reviewing"}})
    assert made.status_code == 201
    sandbox.reset_request_counts()
    assert main(["install-scheme", "--config-dir", str(config)]) == 1
    out = capsys.readouterr().out
    assert ("zendesk.statuses.Reviewing.category: the custom status \"Reviewing\" is in "
            "category pending in Zendesk; expected open") in out
    assert _writes(sandbox) == {}
    assert main(["validate", "--online", "--config-dir", str(config)]) == 2
    assert "zendesk.statuses.Reviewing.category" in capsys.readouterr().err
