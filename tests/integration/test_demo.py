"""`ticketflow demo`: the main job on embedded defaults, as a new user runs it."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest

from connector.cli import main


def test_demo_runs_the_week_and_leaves_its_messages(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """With nothing configured, the demo installs the workflow in the sandbox, turns the
    sample mails into three tickets, escalates, reopens on a late reply, stops mail to a dead
    address after its bounce, and leaves every message as an .eml file it names."""
    output = tmp_path / "demo"
    assert main(["demo", "--output", str(output)]) == 0
    out = capsys.readouterr().out
    assert "workflow installed in Jira" in out
    assert "mail: new ticket HELP-1 from pat.doe@uni.example.edu" in out
    assert "mail: comment on HELP-3 from mailer-daemon@mx.example.edu (bounce)" in out
    assert "mail: comment on HELP-2 from sam.lee@uni.example.edu (Auto-Submitted" in out
    assert "reopened it" in out
    assert "escalate stale tier 2: tier 2 -> 3" in out
    # A notice is a message mailed to someone, not someone escalated; plain words for mail.
    assert 'escalate stale tier 1: "escalated" mailed to pat.doe@uni.example.edu' in out
    assert '"feedback_request" to be mailed to pat.doe@uni.example.edu on Wed 12:00' in out
    assert "(a person's mail)" in out
    summary = out[out.index("Summary"):]
    assert "tickets: 3" in summary
    assert "escalations: 3" in summary
    assert "surveys: 2" in summary                 # HELP-1 reopened: still one survey
    assert "is suppressed: bounced" in summary     # HELP-3's later notices were held back
    assert f"the messages are .eml files in {output / 'outbox'}/" in summary
    messages = sorted((output / "outbox").glob("*.eml"))
    sent = int(summary.split("messages sent: ")[1].split()[0])
    assert len(messages) == sent
    for path in messages:
        parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert str(parsed["Subject"]).startswith("[HELP-")


def test_demo_twice_starts_afresh(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Running the demo again into the same folder gives the same story, not a doubled one."""
    output = tmp_path / "demo"
    assert main(["demo", "--output", str(output)]) == 0
    first = capsys.readouterr().out
    assert main(["demo", "--output", str(output)]) == 0
    second = capsys.readouterr().out
    summary = slice(first.index("Summary"), first.index("(simulated"))
    assert first[summary] == second[second.index("Summary"):second.index("(simulated")]


def test_demo_ignores_the_settings_of_the_container_image(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Inside the image TICKETFLOW_CONFIG_DIR=/config (empty there) and other settings are set;
    the demo still runs on its embedded configuration, mails nobody over SMTP and is not
    stopped by a setting it does not read. Only an explicit --config-dir changes its config."""
    monkeypatch.setenv("TICKETFLOW_CONFIG_DIR", str(tmp_path / "config-not-here"))
    monkeypatch.setenv("TICKETFLOW_STATE_DB", str(tmp_path / "data" / "ticketflow.db"))
    monkeypatch.setenv("TICKETFLOW_SMTP_URL", "smtp://127.0.0.1:9")  # discard: nothing listens
    monkeypatch.setenv("TICKETFLOW_POLL_INTERVAL", "0")
    output = tmp_path / "demo"
    assert main(["demo", "--output", str(output)]) == 0
    out = capsys.readouterr().out
    assert "tickets: 3" in out
    assert list((output / "outbox").glob("*.eml"))
    assert not (tmp_path / "data").exists()

    assert main(["demo", "--output", str(output), "--config-dir", str(tmp_path / "nowhere")]) == 2
    assert "mappings.yaml" in capsys.readouterr().err


def test_the_demo_names_the_projects_of_a_two_project_config(
        shipped_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With OPS listed after HELP, the demo adds OPS to its sandbox, installs the workflow in
    both and says so on its timeline; the week runs as with one project."""
    from tests.integration.test_projects import two_projects

    two_projects(shipped_config)
    output = tmp_path / "demo"
    assert main(["demo", "--output", str(output), "--config-dir", str(shipped_config)]) == 0
    out = capsys.readouterr().out
    assert "workflow installed in Jira projects HELP, OPS" in out
    assert "mail: new ticket HELP-1 from pat.doe@uni.example.edu" in out


def test_the_zendesk_demo_runs_the_same_week(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """`demo --tracker zendesk`: the same rules.yaml and sample mails on the Zendesk sandbox
    give the same tickets, escalations, surveys and messages as on Jira (the counts the Jira
    demo above asserts), with Zendesk's references in the subjects. The hourly census right
    after a move is no gap (Zendesk's export lags a minute): nothing is warned about."""
    output = tmp_path / "demo"
    assert main(["demo", "--tracker", "zendesk", "--output", str(output)]) == 0
    out, err = capsys.readouterr()
    assert "census" not in err
    assert "workflow installed in Zendesk (custom statuses, groups, fields)" in out
    assert "mail: new ticket 1 from pat.doe@uni.example.edu" in out
    assert "mail: comment on 1 from pat.doe@uni.example.edu (reply reopened it)" in out
    assert "#2      dave moves it to Solved (export fixed" in out
    summary = out[out.index("Summary"):]
    for line in ("tickets: 3", "escalations: 3", "surveys: 2", "messages sent: 16",
                 "assigned_to_you: 3", "escalated: 3", "request_complete: 3",
                 "request_submitted: 3", "work_started: 2", "is suppressed: bounced"):
        assert line in summary
    messages = sorted((output / "outbox").glob("*.eml"))
    assert len(messages) == 16
    for path in messages:
        parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert str(parsed["Subject"]).startswith("[Request #")
