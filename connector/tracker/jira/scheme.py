"""The workflow ticketflow installs, in Jira's names, and the Cloud request that creates it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connector.config.mappings import MappingsFile, jira_section
from connector.config.rules import RulesFile
from connector.config.trackers import ComponentTarget, JiraSection

CATEGORIES = {"To Do": "TODO", "In Progress": "IN_PROGRESS", "Done": "DONE"}
CATEGORY_NAMES = {v: k for k, v in CATEGORIES.items()}


@dataclass(frozen=True)
class TransitionSpec:
    """One workflow edge, by Jira status names."""

    name: str
    source: str
    target: str


@dataclass(frozen=True)
class Desired:
    """What the workflow needs in Jira, in Jira's names (mappings.yaml applied)."""

    project: str
    issue_type: str
    statuses: tuple[tuple[str, str], ...]  # (name, TODO | IN_PROGRESS | DONE)
    initial: str
    transitions: tuple[TransitionSpec, ...]
    components: tuple[str, ...] = ()

    @property
    def workflow_name(self) -> str:
        return f"ticketflow: {self.project} support"

    @property
    def scheme_name(self) -> str:
        return f"ticketflow: {self.project} support scheme"


def desired_from(rules: RulesFile, mappings: MappingsFile,
                 section: JiraSection | None = None) -> Desired:
    """The desired state of a project (the default one unless `section` names another)
    from rules.yaml's workflow and mappings.yaml's names."""
    section = section or jira_section(mappings)
    jira = section.statuses
    categorised = isinstance(section.fields.category, ComponentTarget)
    return Desired(
        project=section.project,
        issue_type=section.issue_type,
        statuses=tuple((jira[s.name], CATEGORIES[s.category]) for s in rules.workflow.statuses),
        initial=jira[rules.workflow.initial],
        transitions=tuple(
            TransitionSpec(t.name or t.to, jira[t.from_], jira[t.to])
            for t in rules.workflow.transitions
        ),
        components=tuple(c.name for c in rules.categories) if categorised else (),
    )


def workflow_payload(desired: Desired, ids: Mapping[str, str]) -> dict[str, Any]:
    """`POST /rest/api/3/workflows/create` for the workflow; `ids` maps lower-case names to ids.

    Every status already exists (install-scheme creates missing ones first), so each is
    referenced by its id; the statuses are laid out left to right in the order of rules.yaml.
    """
    refs = [ids[name.lower()] for name, _ in desired.statuses]
    transitions: list[dict[str, Any]] = [
        _transition("1", "Create", "INITIAL", ids[desired.initial.lower()], None)
    ]
    transitions += [
        _transition(
            str(11 + 10 * index), t.name, "DIRECTED", ids[t.target.lower()], ids[t.source.lower()]
        )
        for index, t in enumerate(desired.transitions)
    ]
    return {
        "scope": {"type": "GLOBAL"},
        "statuses": [
            {"id": ref, "statusReference": ref, "name": name, "statusCategory": category}
            for ref, (name, category) in zip(refs, desired.statuses, strict=True)
        ],
        "workflows": [
            {
                "name": desired.workflow_name,
                "description": f"Support workflow of {desired.project}, installed by ticketflow.",
                "startPointLayout": {"x": -120.0, "y": 0.0},
                "statuses": [
                    {
                        "statusReference": ref,
                        "properties": {},
                        "layout": {"x": 200.0 * index, "y": 0.0},
                    }
                    for index, ref in enumerate(refs)
                ],
                "transitions": transitions,
            }
        ],
    }


def _transition(
    ident: str, name: str, kind: str, target: str, source: str | None
) -> dict[str, Any]:
    links = [{"fromStatusReference": source, "fromPort": 0, "toPort": 1}] if source else []
    return {
        "id": ident,
        "name": name,
        "type": kind,
        "toStatusReference": target,
        "links": links,
        "actions": [],
        "validators": [],
        "triggers": [],
        "properties": {},
    }
