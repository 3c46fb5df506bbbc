"""install-scheme: what the workflow needs in Jira, compared with what is there, as a plan.

Planning is pure (plain values in, a `Plan` out) so it is tested without Jira; `provisioner`
reads Jira into `Observed` and performs the plan's `+` steps on Cloud. Data Center cannot create
statuses or workflows over REST, so there the plan becomes the admin's `checklist`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from connector.tracker.jira.admin import JiraProject, JiraScheme, JiraStatus, JiraWorkflow
from connector.tracker.jira.scheme import CATEGORY_NAMES, Desired


@dataclass(frozen=True)
class Observed:
    """What Jira has now, as far as the plan cares."""

    project: JiraProject
    statuses: tuple[JiraStatus, ...]
    workflow: JiraWorkflow | None
    scheme: JiraScheme | None  # ours, found by name
    project_scheme: JiraScheme | None  # what the project uses (None: unknown, Data Center)
    type_statuses: tuple[str, ...]  # statuses the issue type can be in today
    issue_count: int
    components: frozenset[str]
    can_write: bool = True  # Cloud; Data Center creates no statuses or workflows over REST


@dataclass(frozen=True)
class Step:
    """One line of the plan: `=` in place, `+` to do, `!` a problem that stops the install."""

    mark: str
    text: str
    kind: str = ""
    subject: str = ""

    def __str__(self) -> str:
        return f"{self.mark} {self.text}"


@dataclass(frozen=True)
class Plan:
    """The steps, in the order they are applied."""

    desired: Desired
    steps: tuple[Step, ...]
    moves: Mapping[str, str] = field(default_factory=dict)  # switch: old status -> new

    @property
    def todo(self) -> list[Step]:
        return [s for s in self.steps if s.mark == "+"]

    @property
    def problems(self) -> list[Step]:
        return [s for s in self.steps if s.mark == "!"]

    def lines(self) -> list[str]:
        return [str(s) for s in self.steps]


def plan(desired: Desired, observed: Observed) -> Plan:
    """Compare; every step says what exists or what will be done."""
    steps: list[Step] = []
    if desired.issue_type not in observed.project.issue_types:
        steps.append(
            Step(
                "!",
                f"project {desired.project} has no issue type "
                f'"{desired.issue_type}"; add it to the project in Jira',
            )
        )
    steps += _status_steps(desired, observed)
    steps += _workflow_steps(desired, observed)
    steps += _scheme_steps(desired, observed)
    association, moves = _association_steps(desired, observed)
    steps += association
    steps += [
        Step("=", f'component "{c}" exists')
        if c in observed.components
        else Step("+", f'create component "{c}" in {desired.project}', "component", c)
        for c in desired.components
    ]
    return Plan(desired, tuple(steps), moves)


def _status_steps(desired: Desired, observed: Observed) -> list[Step]:
    have = {s.name.lower(): s for s in observed.statuses}
    steps = []
    for name, category in desired.statuses:
        found = have.get(name.lower())
        if found is None:
            steps.append(
                Step("+", f'create status "{name}" ({CATEGORY_NAMES[category]})', "status", name)
            )
        elif found.category != category:
            steps.append(
                Step(
                    "!",
                    f'status "{name}" exists in category '
                    f"{CATEGORY_NAMES.get(found.category, found.category)}; "
                    f"expected {CATEGORY_NAMES[category]} (statuses are shared "
                    "by every project: rename ours in mappings.yaml, or change "
                    "the category in Jira)",
                )
            )
        else:
            steps.append(Step("=", f'status "{name}" exists'))
    return steps


def _workflow_steps(desired: Desired, observed: Observed) -> list[Step]:
    count = len(desired.transitions)
    name = desired.workflow_name
    if observed.workflow is None:
        return [Step("+", f'create workflow "{name}" with {count} transitions', "workflow")]
    if not observed.can_write:
        return [Step("=", f'workflow "{name}" exists')]
    edges = {
        (s.lower(), t.target.lower()) for t in observed.workflow.transitions for s in t.sources
    }
    missing = [t for t in desired.transitions if (t.source.lower(), t.target.lower()) not in edges]
    if missing:
        listed = "; ".join(f'"{t.name}" ({t.source} -> {t.target})' for t in missing)
        return [
            Step(
                "!",
                f'workflow "{name}" exists but lacks {listed}; add them in Jira\'s '
                "workflow editor, or delete the workflow and run install-scheme again",
            )
        ]
    return [Step("=", f'workflow "{name}" exists with {count} transitions')]


def _scheme_steps(desired: Desired, observed: Observed) -> list[Step]:
    type_id = observed.project.issue_types.get(desired.issue_type, "")
    if observed.scheme is None:
        return [
            Step(
                "+",
                f'create workflow scheme "{desired.scheme_name}" '
                f'({desired.issue_type} -> "{desired.workflow_name}")',
                "scheme",
            )
        ]
    if observed.scheme.mappings.get(type_id) != desired.workflow_name:
        return [
            Step(
                "!",
                f'workflow scheme "{desired.scheme_name}" exists but does not map '
                f'{desired.issue_type} to "{desired.workflow_name}"; fix the mapping '
                "in Jira or delete the scheme and run install-scheme again",
            )
        ]
    return [Step("=", f'workflow scheme "{desired.scheme_name}" exists')]


def _association_steps(desired: Desired, observed: Observed) -> tuple[list[Step], dict[str, str]]:
    ours = observed.scheme
    wanted = {n.lower() for n, _ in desired.statuses}
    if observed.project_scheme is None:  # Data Center: judge by the statuses the type has
        if wanted <= {s.lower() for s in observed.type_statuses}:
            return [
                Step(
                    "=",
                    f"project {desired.project} ({desired.issue_type}) uses the "
                    "workflow's statuses",
                )
            ], {}
    elif ours is not None and observed.project_scheme.id == ours.id:
        return [
            Step("=", f'project {desired.project} uses workflow scheme "{desired.scheme_name}"')
        ], {}
    if observed.issue_count == 0 or not observed.can_write:
        return [
            Step(
                "+",
                f"associate scheme with project {desired.project} "
                f"(issue type {desired.issue_type})",
                "associate",
            )
        ], {}
    moves = _moves(desired, observed.type_statuses)
    moved = ", ".join(f'"{a}" -> "{b}"' for a, b in moves.items()) or "no status changes"
    return [
        Step(
            "+",
            f"switch project {desired.project} ({observed.issue_count} issues) to "
            f'workflow scheme "{desired.scheme_name}", moving {moved}',
            "switch",
        )
    ], moves


def _moves(desired: Desired, current: tuple[str, ...]) -> dict[str, str]:
    """Where issues in statuses the new workflow lacks go: the first status of their category."""
    ours = {n.lower() for n, _ in desired.statuses}
    first: dict[str, str] = {}
    for name, category in desired.statuses:
        first.setdefault(category, name)
    first["TODO"] = desired.initial
    guess = {
        "to do": "TODO",
        "open": "TODO",
        "backlog": "TODO",
        "in progress": "IN_PROGRESS",
        "done": "DONE",
        "closed": "DONE",
        "resolved": "DONE",
    }
    return {
        s: first.get(guess.get(s.lower(), "TODO"), desired.initial)
        for s in current
        if s.lower() not in ours
    }
