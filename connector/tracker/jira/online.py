"""`validate --online`: every name and id in mappings.yaml checked against the tracker.

`read_catalogue` asks Jira once for what exists; `check` compares it with mappings.yaml without
I/O and reports each mismatch at its line in the file.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from connector.config.models import ComponentTarget, CustomFieldTarget, MappingsFile
from connector.config.problems import Problem, problem_at
from connector.config.source import Document, KeyPath
from connector.errors import TrackerError
from connector.tracker.jira.admin import JiraProject
from connector.tracker.jira.client import JiraTracker

At = Callable[[KeyPath, str], Problem]  # a problem at a key path of mappings.yaml


@dataclass(frozen=True)
class Catalogue:
    """What the tracker has, as far as mappings.yaml names it."""

    project: JiraProject | None
    statuses: tuple[str, ...] = ()
    type_statuses: tuple[str, ...] = ()  # statuses the mapped issue type's workflow has
    fields: Mapping[str, str] = field(default_factory=dict)  # id -> name
    components: frozenset[str] = frozenset()
    known_people: frozenset[str] = frozenset()  # role entries found as a user or a group


def read_catalogue(tracker: JiraTracker, mappings: MappingsFile) -> Catalogue:
    """Everything `check` needs, read from Jira."""
    admin = tracker.admin
    project = admin.project(mappings.project)
    people = {u for role in mappings.roles.values() for u in role.users}
    known = frozenset(p for p in people if _person_exists(tracker, p))
    if project is None:
        return Catalogue(project=None, fields=admin.field_ids(), known_people=known)
    by_type = admin.project_statuses(mappings.project)
    return Catalogue(
        project=project,
        statuses=tuple(s.name for s in admin.statuses()),
        type_statuses=tuple(by_type.get(mappings.issue_type, ())),
        fields=admin.field_ids(),
        components=frozenset(admin.components(mappings.project)),
        known_people=known,
    )


def _person_exists(tracker: JiraTracker, name: str) -> bool:
    if tracker.find_user(name) is not None:
        return True
    try:
        found = tracker.http.get("groups/picker", params={"query": name, "maxResults": 50})
    except TrackerError as error:
        if error.status == 404:
            return False
        raise
    return any(g.get("name") == name for g in found.get("groups") or ())


def check(
    mappings: MappingsFile,
    document: Document,
    catalogue: Catalogue,
    *,
    categories: Iterable[str] = (),
) -> list[Problem]:
    """Every mismatch between mappings.yaml and the tracker, each at its line."""

    def at(path: KeyPath, message: str) -> Problem:
        return problem_at(document, path, message)

    problems: list[Problem] = []
    project = catalogue.project
    if project is None:
        problems.append(
            at(
                ("project",),
                f'Jira has no project "{mappings.project}" (or the '
                "API user cannot browse it); expected an existing "
                "project key",
            )
        )
    elif mappings.issue_type not in project.issue_types:
        problems.append(
            at(
                ("issue_type",),
                f"project {mappings.project} has no issue type "
                f'"{mappings.issue_type}"; expected one of: '
                + ", ".join(sorted(project.issue_types)),
            )
        )
    if project is not None:
        problems += _statuses(mappings, catalogue, at)
        problems += _components(mappings, catalogue, categories, at)
    problems += _fields(mappings, catalogue, at)
    for role_name, role in mappings.roles.items():
        for index, person in enumerate(role.users):
            if person not in catalogue.known_people:
                problems.append(
                    at(
                        ("roles", role_name, "users", index),
                        f'Jira has no user or group "{person}"; expected an '
                        "e-mail (Cloud) or user name (Data Center) Jira knows",
                    )
                )
    return problems


def _statuses(mappings: MappingsFile, catalogue: Catalogue, at: At) -> list[Problem]:
    problems = []
    existing = {s.lower() for s in catalogue.statuses}
    in_workflow = {s.lower() for s in catalogue.type_statuses}
    for ours, theirs in mappings.statuses.items():
        path = ("statuses", ours)
        if theirs.lower() not in existing:
            close = difflib.get_close_matches(theirs, catalogue.statuses, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            problems.append(
                at(
                    path,
                    f'Jira has no status "{theirs}"{hint}; expected an '
                    "existing status, or run `ticketflow install-scheme` to "
                    "create the workflow's statuses",
                )
            )
        elif theirs.lower() not in in_workflow:
            problems.append(
                at(
                    path,
                    f'status "{theirs}" is not in the workflow of '
                    f"{mappings.project} / {mappings.issue_type}; expected it "
                    "there: run `ticketflow install-scheme`",
                )
            )
    return problems


def _fields(mappings: MappingsFile, catalogue: Catalogue, at: At) -> list[Problem]:
    problems = []
    custom = sorted(f"{i} ({n})" for i, n in catalogue.fields.items() if i.startswith("custom"))
    for name in ("category", "tier", "customer_email", "satisfaction"):
        target = getattr(mappings.fields, name)
        if isinstance(target, CustomFieldTarget) and target.custom_field not in catalogue.fields:
            problems.append(
                at(
                    ("fields", name, "custom_field"),
                    f'Jira has no field "{target.custom_field}"; expected one of: '
                    + (", ".join(custom) or "(no custom fields)"),
                )
            )
    return problems


def _components(
    mappings: MappingsFile, catalogue: Catalogue, categories: Iterable[str], at: At
) -> list[Problem]:
    if not isinstance(mappings.fields.category, ComponentTarget):
        return []
    missing = [c for c in categories if c not in catalogue.components]
    if not missing:
        return []
    return [
        at(
            ("fields", "category", "component"),
            f"project {mappings.project} has no component "
            + ", ".join(f'"{c}"' for c in missing)
            + "; expected one per category: run `ticketflow install-scheme` to create them",
        )
    ]
