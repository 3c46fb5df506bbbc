"""install-scheme's I/O: read what Jira has (`observe`) and make the planned changes (`apply`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from connector.errors import TrackerError
from connector.tracker.jira.admin import JiraAdmin, JiraScheme, JiraStatus
from connector.tracker.jira.installer import Observed, Plan
from connector.tracker.jira.scheme import Desired, workflow_payload


class SchemeWriter(Protocol):
    """The writes `apply` makes (JiraAdmin on Cloud; a recording fake in tests)."""

    def create_statuses(self, statuses: Sequence[tuple[str, str]]) -> list[JiraStatus]: ...

    def create_workflow(self, payload: Mapping[str, Any]) -> None: ...

    def create_scheme(
        self,
        *,
        name: str,
        description: str,
        default_workflow: str | None,
        mappings: Mapping[str, str],
    ) -> JiraScheme: ...

    def assign_scheme(self, *, project_id: str, scheme_id: str) -> None: ...

    def switch_scheme(
        self,
        *,
        project_id: str,
        scheme_id: str,
        issue_type_id: str,
        moves: Mapping[str, str],
        wait: Callable[[float], None],
    ) -> None: ...

    def create_component(self, *, project: str, name: str) -> None: ...


def observe(admin: JiraAdmin, desired: Desired) -> Observed:
    """Read everything the plan compares (read-only)."""
    project = admin.project(desired.project)
    if project is None:
        raise TrackerError(
            f"project {desired.project} not found in Jira; check `project:` in "
            "mappings.yaml and that the API user can browse it"
        )
    scheme = next((s for s in admin.schemes() if s.name == desired.scheme_name), None)
    return Observed(
        project=project,
        statuses=tuple(admin.statuses()),
        workflow=admin.workflow(desired.workflow_name),
        scheme=scheme,
        project_scheme=admin.project_scheme(project.id),
        type_statuses=tuple(admin.project_statuses(desired.project).get(desired.issue_type, ())),
        issue_count=admin.issue_count(desired.project),
        components=frozenset(admin.components(desired.project))
        if desired.components
        else frozenset(),
        can_write=admin.flavor == "cloud",
    )


def apply(
    current: Plan,
    observed: Observed,
    admin: SchemeWriter,
    *,
    echo: Callable[[str], None],
    wait: Callable[[float], None],
) -> None:
    """Perform the `+` steps on Cloud, in order, echoing each one when done."""
    desired = current.desired
    ids = {s.name.lower(): s.id for s in observed.statuses}
    missing = [(n, c) for n, c in desired.statuses if n.lower() not in ids]
    if missing:
        ids.update({s.name.lower(): s.id for s in admin.create_statuses(missing)})
    scheme_id = observed.scheme.id if observed.scheme else ""
    type_id = observed.project.issue_types[desired.issue_type]
    for step in current.todo:
        if step.kind == "workflow":
            admin.create_workflow(workflow_payload(desired, ids))
        elif step.kind == "scheme":
            default = observed.project_scheme.default_workflow if observed.project_scheme else None
            scheme_id = admin.create_scheme(
                name=desired.scheme_name,
                description="Installed by ticketflow install-scheme.",
                default_workflow=default,
                mappings={type_id: desired.workflow_name},
            ).id
        elif step.kind == "associate":
            admin.assign_scheme(project_id=observed.project.id, scheme_id=scheme_id)
        elif step.kind == "switch":
            _switch(current, observed, admin, ids=ids, scheme_id=scheme_id, wait=wait)
        elif step.kind == "component":
            admin.create_component(project=desired.project, name=step.subject)
        echo(f"done: {step.text}")


def _switch(
    current: Plan,
    observed: Observed,
    admin: SchemeWriter,
    *,
    ids: Mapping[str, str],
    scheme_id: str,
    wait: Callable[[float], None],
) -> None:
    """Move a project that has issues; if Jira will not, say how to do it by hand."""
    desired = current.desired
    try:
        admin.switch_scheme(
            project_id=observed.project.id,
            scheme_id=scheme_id,
            issue_type_id=observed.project.issue_types[desired.issue_type],
            moves={ids[a.lower()]: ids[b.lower()] for a, b in current.moves.items()},
            wait=wait,
        )
    except TrackerError as error:
        moved = "; ".join(f"{a} -> {b}" for a, b in current.moves.items()) or "nothing to move"
        raise TrackerError(
            f"{error}. Switch by hand: Project settings of {desired.project} > Workflows > "
            f'Switch scheme, choose "{desired.scheme_name}", map statuses ({moved}), '
            "then run `ticketflow install-scheme` again",
            status=error.status,
            error_messages=error.error_messages,
        ) from None
