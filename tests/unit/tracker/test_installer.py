"""install-scheme planning with plain values: what exists is `=`, what is missing `+`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from connector.config.loader import load_config
from connector.errors import TrackerError
from connector.tracker.jira.admin import (
    JiraProject,
    JiraScheme,
    JiraStatus,
    JiraTransition,
    JiraWorkflow,
)
from connector.tracker.jira.checklist import checklist
from connector.tracker.jira.installer import Observed, plan
from connector.tracker.jira.scheme import Desired, desired_from, workflow_payload

JIRA_DEFAULTS = (
    JiraStatus("10001", "To Do", "TODO"),
    JiraStatus("10002", "In Progress", "IN_PROGRESS"),
    JiraStatus("10003", "Done", "DONE"),
)
OURS = (
    JiraStatus("10004", "Pending", "TODO"),
    JiraStatus("10005", "Reviewing", "IN_PROGRESS"),
    JiraStatus("10006", "Assigned", "TODO"),
)
PROJECT = JiraProject("10000", "HELP", {"Service Request": "10004"})
DEFAULT_SCHEME = JiraScheme("10000", "HELP: Default workflow scheme", "HELP: Default workflow", {})
CATEGORY_LINES = [
    '+ create component "Access" in HELP',
    '+ create component "Data export" in HELP',
    '+ create component "Project setup" in HELP',
    '+ create component "Other" in HELP',
]


@pytest.fixture
def desired(shipped_config: Path) -> Desired:
    config = load_config(shipped_config)
    return desired_from(config.rules, config.mappings)


def _empty_project() -> Observed:
    """A fresh company-managed project: Jira's three statuses, its default workflow."""
    return Observed(
        project=PROJECT,
        statuses=JIRA_DEFAULTS,
        workflow=None,
        scheme=None,
        project_scheme=DEFAULT_SCHEME,
        type_statuses=("To Do", "In Progress", "Done"),
        issue_count=0,
        components=frozenset(),
    )


def _installed(desired: Desired) -> Observed:
    transitions = tuple(
        JiraTransition(t.name, (t.source,), t.target, "DIRECTED") for t in desired.transitions
    )
    scheme = JiraScheme(
        "10001", desired.scheme_name, "HELP: Default workflow", {"10004": desired.workflow_name}
    )
    return Observed(
        project=PROJECT,
        statuses=JIRA_DEFAULTS + OURS,
        workflow=JiraWorkflow(desired.workflow_name, (), transitions),
        scheme=scheme,
        project_scheme=scheme,
        type_statuses=tuple(n for n, _ in desired.statuses),
        issue_count=12,
        components=frozenset(desired.components),
    )


def test_desired_state_uses_jira_names_and_categories(desired: Desired) -> None:
    """mappings.yaml renames Complete to Done; categories come from rules.yaml."""
    assert desired.statuses == (
        ("Pending", "TODO"),
        ("Reviewing", "IN_PROGRESS"),
        ("Assigned", "TODO"),
        ("In Progress", "IN_PROGRESS"),
        ("Done", "DONE"),
    )
    assert desired.initial == "Pending"
    assert len(desired.transitions) == 9
    assert desired.transitions[1].target == "Done"


def test_empty_project_plans_everything(desired: Desired) -> None:
    """From Jira's defaults: three statuses, the workflow, the scheme, the association."""
    assert plan(desired, _empty_project()).lines() == [
        '+ create status "Pending" (To Do)',
        '+ create status "Reviewing" (In Progress)',
        '+ create status "Assigned" (To Do)',
        '= status "In Progress" exists',
        '= status "Done" exists',
        '+ create workflow "ticketflow: HELP support" with 9 transitions',
        '+ create workflow scheme "ticketflow: HELP support scheme" '
        '(Service Request -> "ticketflow: HELP support")',
        "+ associate scheme with project HELP (issue type Service Request)",
        *CATEGORY_LINES,
    ]


def test_installed_scheme_plans_nothing(desired: Desired) -> None:
    """A second run: every line is `=`, nothing to do."""
    current = plan(desired, _installed(desired))
    assert current.todo == [] and current.problems == []
    assert current.lines()[5:] == [
        '= workflow "ticketflow: HELP support" exists with 9 transitions',
        '= workflow scheme "ticketflow: HELP support scheme" exists',
        '= project HELP uses workflow scheme "ticketflow: HELP support scheme"',
        '= component "Access" exists',
        '= component "Data export" exists',
        '= component "Project setup" exists',
        '= component "Other" exists',
    ]


def test_project_with_issues_is_switched_with_status_moves(desired: Desired) -> None:
    """Issues in statuses the new workflow lacks move to the first status of their category."""
    observed = replace(_empty_project(), issue_count=12)
    current = plan(desired, observed)
    assert current.moves == {"To Do": "Pending"}
    assert current.lines()[7] == (
        '+ switch project HELP (12 issues) to workflow scheme "ticketflow: HELP support scheme", '
        'moving "To Do" -> "Pending"'
    )


def test_problems_stop_the_install(desired: Desired) -> None:
    """A status in another category, a workflow missing edges, no such issue type: `!`."""
    wrong = (*JIRA_DEFAULTS, JiraStatus("10004", "Pending", "IN_PROGRESS"))
    lacking = JiraWorkflow(desired.workflow_name, (), ())
    project = JiraProject("10000", "HELP", {"Task": "10001"})
    observed = replace(_empty_project(), statuses=wrong, workflow=lacking, project=project)
    problems = [str(p) for p in plan(desired, observed).problems]
    assert problems[0] == (
        '! project HELP has no issue type "Service Request"; add it to the project in Jira'
    )
    assert problems[1].startswith(
        '! status "Pending" exists in category In Progress; expected To Do'
    )
    assert problems[2].startswith(
        '! workflow "ticketflow: HELP support" exists but lacks '
        '"Start review" (Pending -> Reviewing); '
    )


def test_workflow_request_links_every_transition(desired: Desired) -> None:
    """workflows/create: existing statuses by id, one INITIAL into Pending, 9 DIRECTED edges."""
    ids = {s.name.lower(): s.id for s in JIRA_DEFAULTS + OURS}
    payload = workflow_payload(desired, ids)
    workflow = payload["workflows"][0]
    assert payload["scope"] == {"type": "GLOBAL"}
    assert [s["statusReference"] for s in workflow["statuses"]] == [
        "10004",
        "10005",
        "10006",
        "10002",
        "10003",
    ]
    initial, *directed = workflow["transitions"]
    assert (initial["type"], initial["toStatusReference"], initial["links"]) == (
        "INITIAL",
        "10004",
        [],
    )
    assert len(directed) == 9
    assert directed[0]["name"] == "Start review"
    assert directed[0]["links"] == [{"fromStatusReference": "10004", "fromPort": 0, "toPort": 1}]
    loop = next(t for t in directed if t["name"] == "Escalate to next tier")
    assert loop["toStatusReference"] == loop["links"][0]["fromStatusReference"] == "10006"


def test_datacenter_checklist_names_every_missing_step(desired: Desired) -> None:
    """Data Center: the plan becomes Markdown with the statuses, transitions and scheme."""
    observed = replace(_empty_project(), project_scheme=None, can_write=False, issue_count=3)
    current = plan(desired, observed)
    assert "+ associate scheme with project HELP (issue type Service Request)" in current.lines()
    text = checklist(current)
    assert "| Reviewing | In Progress | **add** |" in text
    assert "| Done | Done | exists |" in text
    assert "| Start review | Pending | Reviewing |" in text
    assert "| Create (the initial transition) | (start) | Pending |" in text
    assert 'Workflow scheme "ticketflow: HELP support scheme"' in text
    assert "`Data export`" in text


class RecordingAdmin:
    """A hand-written stand-in for JiraAdmin's writes: records them, numbers new statuses."""

    def __init__(self, *, refuse_switch: bool = False) -> None:
        self.calls: list[tuple[str, object]] = []
        self.refuse_switch = refuse_switch

    def create_statuses(self, statuses: Sequence[tuple[str, str]]) -> list[JiraStatus]:
        self.calls.append(("statuses", [n for n, _ in statuses]))
        return [JiraStatus(str(20000 + i), n, c) for i, (n, c) in enumerate(statuses)]

    def create_workflow(self, payload: Mapping[str, Any]) -> None:
        self.calls.append(("workflow", payload))

    def create_scheme(
        self,
        *,
        name: str,
        description: str,
        default_workflow: str | None,
        mappings: Mapping[str, str],
    ) -> JiraScheme:
        self.calls.append(("scheme", (name, default_workflow, dict(mappings))))
        return JiraScheme("777", name, default_workflow or "", mappings)

    def assign_scheme(self, *, project_id: str, scheme_id: str) -> None:
        self.calls.append(("assign", (project_id, scheme_id)))

    def switch_scheme(
        self,
        *,
        project_id: str,
        scheme_id: str,
        issue_type_id: str,
        moves: Mapping[str, str],
        wait: Callable[[float], None],
    ) -> None:
        self.calls.append(("switch", dict(moves)))
        if self.refuse_switch:
            raise TrackerError(
                "POST /rest/api/3/workflowscheme/project/switch: HTTP 404", status=404
            )

    def create_component(self, *, project: str, name: str) -> None:
        self.calls.append(("component", name))


def test_apply_creates_in_order_with_the_new_ids(desired: Desired) -> None:
    """Statuses first (their new ids feed the workflow), then scheme, association, components."""
    from connector.tracker.jira.provisioner import apply

    admin = RecordingAdmin()
    observed = _empty_project()
    done: list[str] = []
    apply(
        plan(desired, observed),
        observed,
        admin,
        echo=done.append,
        wait=lambda _: None,
    )
    kinds = [kind for kind, _ in admin.calls]
    assert kinds == ["statuses", "workflow", "scheme", "assign", *["component"] * 4]
    workflow = admin.calls[1][1]
    assert isinstance(workflow, dict)
    refs = [s["statusReference"] for s in workflow["workflows"][0]["statuses"]]
    assert refs == ["20000", "20001", "20002", "10002", "10003"]
    assert admin.calls[2][1] == (
        "ticketflow: HELP support scheme",
        "HELP: Default workflow",
        {"10004": "ticketflow: HELP support"},
    )
    assert admin.calls[3][1] == ("10000", "777")
    assert done[0] == 'done: create status "Pending" (To Do)'


def test_a_refused_switch_says_how_to_do_it_by_hand(desired: Desired) -> None:
    """When Jira cannot switch a project with issues, the error gives the admin's steps."""
    from connector.tracker.jira.provisioner import apply

    observed = replace(_empty_project(), issue_count=4)
    admin = RecordingAdmin(refuse_switch=True)
    with pytest.raises(TrackerError) as caught:
        apply(
            plan(desired, observed),
            observed,
            admin,
            echo=lambda _: None,
            wait=lambda _: None,
        )
    assert admin.calls[-1] == ("switch", {"10001": "20000"})
    assert str(caught.value).endswith(
        "Switch by hand: Project settings of HELP > Workflows > Switch scheme, choose "
        '"ticketflow: HELP support scheme", map statuses (To Do -> Pending), then run '
        "`ticketflow install-scheme` again"
    )
