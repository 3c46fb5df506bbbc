"""`ticketflow install-scheme` and `validate --online` end to end against the sandbox."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connector.cli import main
from connector.sandbox import Sandbox

START = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
READS = {"GET", "POST /rest/api/3/search/approximate-count", "POST /rest/api/2/search"}

FRESH_CLOUD_PLAN = [
    '+ create status "Pending" (To Do)',
    '+ create status "Reviewing" (In Progress)',
    '+ create status "Assigned" (To Do)',
    '= status "In Progress" exists',
    '= status "Done" exists',
    '+ create workflow "ticketflow: HELP support" with 9 transitions',
    '+ create workflow scheme "ticketflow: HELP support scheme" '
    '(Service Request -> "ticketflow: HELP support")',
    "+ associate scheme with project HELP (issue type Service Request)",
    '+ create component "Access" in HELP',
    '+ create component "Data export" in HELP',
    '+ create component "Project setup" in HELP',
    '+ create component "Other" in HELP',
]


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox("cloud", now=START) as sandbox:
        _point_settings_at(monkeypatch, sandbox)
        yield sandbox


@pytest.fixture
def datacenter(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox("datacenter", now=START) as sandbox:
        _point_settings_at(monkeypatch, sandbox)
        yield sandbox


def _point_settings_at(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> None:
    """The operator's environment: URL and credentials; the flavor is detected."""
    monkeypatch.setenv("TICKETFLOW_JIRA_URL", sandbox.url)
    monkeypatch.setenv("TICKETFLOW_JIRA_EMAIL", sandbox.email)
    monkeypatch.setenv("TICKETFLOW_JIRA_TOKEN", sandbox.token)
    monkeypatch.setenv("TICKETFLOW_JIRA_FLAVOR", "auto")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def _writes(sandbox: Sandbox) -> dict[str, int]:
    """Requests other than reads, by endpoint."""
    counts: dict[str, int] = sandbox.request_counts()["by_endpoint"]
    return {k: v for k, v in counts.items() if k.split(" ")[0] not in READS and k not in READS}


def test_cloud_install_from_an_empty_project_then_nothing_to_change(
    cloud: Sandbox,
    shipped_config: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """First run creates statuses, workflow, scheme, association; the second changes nothing."""
    config = str(shipped_config)
    code, dry, _ = _run(capsys, "install-scheme", "--dry-run", "--config-dir", config)
    assert code == 0 and dry[:-1] == FRESH_CLOUD_PLAN
    assert _writes(cloud) == {}

    code, out, err = _run(capsys, "install-scheme", "--config-dir", config)
    assert (code, err) == (0, "")
    assert out[: len(FRESH_CLOUD_PLAN)] == FRESH_CLOUD_PLAN
    assert out[-1] == "install-scheme: 10 change(s) made"
    assert 'done: create workflow "ticketflow: HELP support" with 9 transitions' in out

    cloud.reset_request_counts()
    code, again, _ = _run(capsys, "install-scheme", "--config-dir", config)
    assert code == 0
    assert [line[0] for line in again[:-1]] == ["="] * len(FRESH_CLOUD_PLAN)
    assert again[-1] == "install-scheme: everything is in place; nothing to change"
    assert _writes(cloud) == {}

    # New tickets now start in Pending and follow the workflow of rules.yaml.
    with cloud.store.lock:
        assert cloud.store.workflow_for(10000, "10004").name == "ticketflow: HELP support"


def test_cloud_install_switches_a_project_that_has_issues(
    cloud: Sandbox,
    shipped_config: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issues in To Do move to Pending; In Progress and Done stay (the same statuses)."""
    todo = cloud.seed_issues(3, status="To Do", start=START - timedelta(hours=1))
    doing = cloud.seed_issues(2, status="In Progress", start=START - timedelta(hours=1))
    code, out, _ = _run(capsys, "install-scheme", "--config-dir", str(shipped_config))
    assert code == 0
    assert (
        "+ switch project HELP (5 issues) to workflow scheme "
        '"ticketflow: HELP support scheme", moving "To Do" -> "Pending"'
    ) in out
    with cloud.store.lock:
        status = {
            i.key: cloud.store.statuses[i.status_id].name for i in cloud.store.issues.values()
        }
    assert [status[k] for k in todo] == ["Pending"] * 3
    assert [status[k] for k in doing] == ["In Progress"] * 2
    code, again, _ = _run(capsys, "install-scheme", "--config-dir", str(shipped_config))
    assert (code, again[-1]) == (0, "install-scheme: everything is in place; nothing to change")


def test_datacenter_lists_what_is_missing_writes_the_checklist_and_exits_1(
    datacenter: Sandbox,
    shipped_config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """DC cannot create statuses or workflows over REST: print, write the file, exit 1."""
    target = tmp_path / "steps.md"
    code, out, _ = _run(
        capsys, "install-scheme", "--config-dir", str(shipped_config), "--output", str(target)
    )
    assert code == 1
    assert out[:5] == [
        '+ create status "Pending" (To Do)',
        '+ create status "Reviewing" (In Progress)',
        '+ create status "Assigned" (To Do)',
        '= status "In Progress" exists',
        '= status "Done" exists',
    ]
    assert f"the 10 missing steps to {target}" in out[-1]
    text = target.read_text()
    assert "| Reviewing | In Progress | **add** |" in text
    assert "| Escalate to next tier | Assigned | Assigned |" in text
    assert _writes(datacenter) == {}

    _do_what_the_checklist_says(datacenter, shipped_config, capsys)
    code, again, _ = _run(capsys, "install-scheme", "--config-dir", str(shipped_config))
    assert (code, again[-1]) == (0, "install-scheme: everything is in place; nothing to change")


def _do_what_the_checklist_says(
    datacenter: Sandbox, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The admin's part, done the way it ends up: the same objects a Cloud install makes."""
    with Sandbox("cloud", now=START) as helper, pytest.MonkeyPatch.context() as env:
        _point_settings_at(env, helper)
        assert _run(capsys, "install-scheme", "--config-dir", str(config))[0] == 0
        with helper.store.lock, datacenter.store.lock:
            for name in ("statuses", "workflows", "schemes", "components"):
                setattr(datacenter.store, name, copy.deepcopy(getattr(helper.store, name)))
            datacenter.store.counters.update(helper.store.counters)
            datacenter.store.projects[10000].scheme_id = helper.store.projects[10000].scheme_id


def _installed(sandbox: Sandbox, config: Path, monkeypatch: pytest.MonkeyPatch,
               capsys: pytest.CaptureFixture[str]) -> None:
    """The workflow in the sandbox (by install-scheme, or Data Center's checklist done by
    hand), and the settings pointing at it."""
    _point_settings_at(monkeypatch, sandbox)
    if sandbox.flavor == "cloud":
        assert _run(capsys, "install-scheme", "--config-dir", str(config))[0] == 0
    else:
        _do_what_the_checklist_says(sandbox, config, capsys)
        _point_settings_at(monkeypatch, sandbox)


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_validate_online_points_at_the_wrong_status_name(
    flavor: str,
    shipped_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A misspelt Jira status in mappings.yaml is reported at its line; a good file passes."""
    with Sandbox(flavor, now=START) as sandbox:
        _installed(sandbox, shipped_config, monkeypatch, capsys)
        code, out, err = _run(capsys, "validate", "--online", "--config-dir", str(shipped_config))
        assert (code, err) == (0, "")
        assert out[-1].startswith(f"ok: online ({flavor}): project HELP")

        mappings = shipped_config / "mappings.yaml"
        mappings.write_text(mappings.read_text().replace("Complete: Done", "Complete: Dne"))
        line = next(
            n
            for n, text in enumerate(mappings.read_text().splitlines(), 1)
            if "Complete: Dne" in text
        )
        code, _, err = _run(capsys, "validate", "--online", "--config-dir", str(shipped_config))
    assert code == 2
    assert err.splitlines()[0].startswith(
        f'mappings.yaml:{line}:15: jira.statuses.Complete: Jira has no status "Dne" '
        '(did you mean "Done"?)'
    )


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_validate_online_reports_a_role_user_who_cannot_be_assigned(
    flavor: str,
    shipped_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Robin exists in Jira but may not be assigned HELP's issues: as a tier 3 engineer in
    mappings.yaml, `validate --online` names the line (found by the assignable-user search of
    the project), instead of the first escalation to tier 3 failing in Jira with a 400."""
    mappings = shipped_config / "mappings.yaml"
    mappings.write_text(mappings.read_text().replace("dave@example.edu",
                                                     "robin.reader@example.edu"))
    line, column = next((n, text.index("robin") + 1)
                        for n, text in enumerate(mappings.read_text().splitlines(), 1)
                        if "robin.reader" in text)
    with Sandbox(flavor, now=START) as sandbox:
        _installed(sandbox, shipped_config, monkeypatch, capsys)
        code, _, err = _run(capsys, "validate", "--online", "--config-dir", str(shipped_config))
    assert code == 2
    assert err.splitlines()[0] == (
        f"mappings.yaml:{line}:{column}: jira.roles.tier3.users[0]: Jira user "
        '"robin.reader@example.edu" may not be assigned issues of project HELP; expected a '
        "user with the project's Assignable User permission (tickets are assigned to the "
        "people of a role)")


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_install_scheme_registers_the_webhook_on_data_center_and_says_how_on_cloud(
    flavor: str,
    shipped_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With TICKETFLOW_PUBLIC_URL and TICKETFLOW_WEBHOOK_SECRET, install-scheme registers the
    admin webhook to /hooks/jira on Data Center (once: a second run finds it), signed with
    the secret; on Cloud, where only apps may register webhooks by API, it registers nothing
    and prints the administrator's steps, without the secret."""
    secret = "shared-webhook-secret-0123456789"
    with Sandbox(flavor, now=START) as sandbox:
        _installed(sandbox, shipped_config, monkeypatch, capsys)
        monkeypatch.setenv("TICKETFLOW_PUBLIC_URL", "https://helpdesk.example.edu")
        monkeypatch.setenv("TICKETFLOW_WEBHOOK_SECRET", secret)
        runs = [_run(capsys, "install-scheme", "--config-dir", str(shipped_config))
                for _ in range(2)]
        hooks = list(sandbox.store.webhooks.values())
    outs = [out for _, out, _ in runs]
    if flavor == "datacenter":
        assert [(h.url, h.secret) for h in hooks] == [
            ("https://helpdesk.example.edu/hooks/jira", secret)]
        assert "done: register webhook to https://helpdesk.example.edu/hooks/jira " \
               "(jira:issue_created, jira:issue_updated, comment_created)" in outs[0]
        assert "= webhook to https://helpdesk.example.edu/hooks/jira exists" in outs[1]
    else:
        assert hooks == []
        assert outs[0][-5].startswith("! webhook: Jira Cloud lets only Connect and OAuth 2.0")
        assert "    Name: ticketflow; URL: https://helpdesk.example.edu/hooks/jira" in outs[0]
        assert not any(secret in line for line in outs[0])
