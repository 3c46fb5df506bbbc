"""An operator's first day against the sandbox: what refuses to start, and what it says."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connector.cli import main
from connector.sandbox import API_TOKEN, Sandbox

from .conftest import operator_env
from .processes import free_port

ROOT = Path(__file__).resolve().parents[2]
NOON = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox with the workflow installed, and the settings an operator would export."""
    with Sandbox("cloud", now=NOON) as sandbox:
        operator_env(monkeypatch, sandbox, tmp_path)
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


def test_a_wrong_explicit_flavor_is_never_remembered(
        sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """TICKETFLOW_JIRA_FLAVOR=datacenter against Cloud: the 401 says the flavor may be the
    cause; the state keeps no flavor, so the next plain (auto) run detects Cloud and works."""
    monkeypatch.setenv("TICKETFLOW_JIRA_FLAVOR", "datacenter")
    capsys.readouterr()
    assert main(["once"]) == 1
    assert ("TICKETFLOW_JIRA_FLAVOR is set to datacenter: if this Jira is cloud, the "
            "credentials are sent the wrong way") in capsys.readouterr().err
    monkeypatch.delenv("TICKETFLOW_JIRA_FLAVOR")
    assert main(["once"]) == 0


@pytest.mark.parametrize(("url", "cause"), [
    ("http://127.0.0.1:{closed}", "connection refused"),
    ("https://127.0.0.1:{sandbox}", "TLS failed"),
    ("http://no-such-host.invalid", "DNS: the host name was not found"),
])
def test_an_unreachable_jira_fails_at_once_naming_url_variable_and_cause(
        url: str, cause: str, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A Jira never reached before (a typo, https to a plain-HTTP port, a dead host): `once`
    and `validate --online` exit 1 with the URL, TICKETFLOW_JIRA_URL and the cause, without
    minutes of retry warnings that name neither."""
    target = url.format(closed=free_port(), sandbox=sandbox.url.rsplit(":", 1)[1])
    monkeypatch.setenv("TICKETFLOW_JIRA_URL", target)
    capsys.readouterr()
    for command in (["once"], ["validate", "--online"], ["install-scheme", "--dry-run"]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert f"cannot connect to Jira at {target} (TICKETFLOW_JIRA_URL): {cause}" in err
        assert "retrying" not in err


def test_two_spellings_of_the_url_are_one_jira_in_the_state(
        sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first run with `http://host:port/` remembers the flavor and ticketflow's user; a run
    with `http://HOST:port` uses them: its idle cycle costs one request, the search."""
    monkeypatch.setenv("TICKETFLOW_JIRA_URL", sandbox.url + "/")
    assert main(["once"]) == 0
    monkeypatch.setenv("TICKETFLOW_JIRA_URL", sandbox.url.replace("http://", "HTTP://"))
    sandbox.reset_request_counts()
    assert main(["once"]) == 0
    assert sandbox.request_counts()["total"] == 1


def test_run_on_a_busy_port_names_the_port_and_its_settings(
        sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Another program holds TICKETFLOW_HTTP_PORT: `run` exits 1 naming the address and the
    settings to change, not `internal error: OSError`."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as holder:
        port = holder.getsockname()[1]
        monkeypatch.setenv("TICKETFLOW_HTTP_PORT", str(port))
        capsys.readouterr()
        assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert (f"cannot serve /healthz, /metrics and /feedback on 127.0.0.1:{port} "
            "(TICKETFLOW_HTTP_HOST, TICKETFLOW_HTTP_PORT): Address already in use; expected a "
            "free port") in err
    assert "internal error" not in err


def _edit(config: Path, old: str, new: str) -> Path:
    """One edit to mappings.yaml of a copy of the shipped configuration."""
    mappings = config / "mappings.yaml"
    assert old in mappings.read_text()
    mappings.write_text(mappings.read_text().replace(old, new))
    return config


@pytest.mark.parametrize("case", [
    ("Complete: Done", "Complete: Closed",
     'jira.statuses.Complete: Jira has no status "Closed"'),
    ("dave@example.edu", "dave@example.ed",
     'jira.roles.tier3.users[0]: Jira has no user "dave@example.ed" (did you mean '
     '"dave@example.edu"?)'),
    ("customfield_10072", "customfield_10071",
     'jira.fields.customer_email.custom_field: field "customfield_10071" (Tier) holds number '
     'values'),
])
def test_once_refuses_a_mapping_the_tracker_cannot_honour(
        case: tuple[str, str, str], sandbox: Sandbox, shipped_config: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A mapping that would lose mail silently (the completion mail never sent, an escalation
    to nobody, the customer's address in a number field): `once` checks mappings.yaml against
    Jira before acting, exits 2 with the line `validate --online` gives, and does nothing.
    Fixed, the same ticket is handled."""
    old, new, expected = case
    config = _edit(shipped_config, old, new)
    monkeypatch.setenv("TICKETFLOW_CONFIG_DIR", str(config))
    sandbox.seed_issues(1, status="Pending", start=sandbox.now())
    capsys.readouterr()
    assert main(["once"]) == 2
    err = capsys.readouterr().err
    assert "mappings.yaml:" in err and expected in err
    assert not (shipped_config / "outbox").exists()
    mappings = config / "mappings.yaml"
    mappings.write_text(mappings.read_text().replace(new, old))
    assert main(["once"]) == 0
    assert main(["validate", "--online"]) == 0


def test_an_unchanged_configuration_costs_nothing_more_per_cycle(
        sandbox: Sandbox, shipped_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check runs when the configuration is new (9 requests for the shipped mappings: 5,
    and one per role user); the idle cycles after it cost one request, the search. An edit to
    mappings.yaml makes it new again."""
    config = _edit(shipped_config, "project: HELP", "project: HELP  # edited")
    monkeypatch.setenv("TICKETFLOW_CONFIG_DIR", str(config))
    assert main(["once"]) == 0
    sandbox.reset_request_counts()
    assert main(["once"]) == 0
    assert sandbox.request_counts()["total"] == 1
    mappings = config / "mappings.yaml"
    mappings.write_text(mappings.read_text().replace("# edited", "# edited again"))
    sandbox.reset_request_counts()
    assert main(["once"]) == 0
    assert sandbox.request_counts()["total"] == 1 + 9


def test_validate_online_says_ok_only_when_all_is(
        sandbox: Sandbox, shipped_config: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Files fine, Jira disagrees: no `ok` line at all, only the problems (exit 2)."""
    monkeypatch.setenv("TICKETFLOW_CONFIG_DIR", str(_edit(
        shipped_config, "Complete: Done", "Complete: Closed")))
    capsys.readouterr()
    assert main(["validate", "--online"]) == 2
    captured = capsys.readouterr()
    assert "ok" not in captured.out
    assert 'Jira has no status "Closed"' in captured.err


def test_run_refuses_a_mapping_the_tracker_cannot_honour(
        sandbox: Sandbox, shipped_config: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The service checks at start-up as `once` does: exit 2 with the located line, before it
    serves or cycles (systemd's RestartPreventExitStatus=2 then stops the restart loop)."""
    monkeypatch.setenv("TICKETFLOW_CONFIG_DIR", str(_edit(
        shipped_config, "Complete: Done", "Complete: Closed")))
    capsys.readouterr()
    assert main(["run"]) == 2
    assert 'statuses.Complete: Jira has no status "Closed"' in capsys.readouterr().err


def test_surveys_to_the_built_in_form_need_a_public_url(
        sandbox: Sandbox, shipped_config: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Without TICKETFLOW_PUBLIC_URL survey links pointed at `run`'s listening address
    (127.0.0.1, or 0.0.0.0 in the image): run and once refuse (exit 2) while rules send
    surveys to the built-in form, and need nothing once rules.yaml names an external form."""
    monkeypatch.delenv("TICKETFLOW_PUBLIC_URL")
    monkeypatch.setenv("TICKETFLOW_CONFIG_DIR", str(shipped_config))
    capsys.readouterr()
    for command in (["once"], ["run"]):
        assert main(command) == 2
        assert ("environment: TICKETFLOW_PUBLIC_URL: not set, and rules.yaml sends surveys to "
                "the built-in feedback form") in capsys.readouterr().err
    rules = shipped_config / "rules.yaml"
    rules.write_text(rules.read_text().replace(
        "feedback:\n", 'feedback:\n  form_url: "https://redcap.example.edu/surveys/?s=XYZ&'
        'ticket={ticket}"\n', 1))
    assert main(["once"]) == 0


def test_the_words_of_once_say_what_happened(
        sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    """A dry run says what would happen; a real cycle counts an action a guard skipped (here:
    no customer address to acknowledge) apart from those performed."""
    from jira import JIRA

    assert main(["once"]) == 0  # the first run mirrors the (empty) project
    alice = JIRA(server=sandbox.url, basic_auth=("alice@example.edu", API_TOKEN), max_retries=0)
    key = alice.create_issue(fields={"project": {"key": "HELP"}, "summary": "No address here",
                                     "issuetype": {"name": "Service Request"}}).key
    capsys.readouterr()
    assert main(["once", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"{key}  acknowledge  0:notify  would be skipped: request_submitted: no recipient" in out
    assert f"{key}  acknowledge  1:categorize  would be done: category Other" in out
    assert ": 2 actions planned; would be 1 done, 1 skipped" in out
    assert "  would set category on " + key in out
    assert main(["once"]) == 0
    out = capsys.readouterr().out
    assert f"{key}  acknowledge  0:notify  skipped: request_submitted: no recipient" in out
    assert ": 2 actions planned; 1 done, 1 skipped" in out
