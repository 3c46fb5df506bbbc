"""`validate --online`: every name and id in mappings.yaml checked against the tracker.

`read_catalogue` asks Jira once for what exists; `check` compares it with mappings.yaml without
I/O and reports each mismatch at its line in the file. `run` and `once` run the same check
whenever the configuration is new to them.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from connector.config.problems import Problem, problem_at
from connector.config.source import Document, KeyPath
from connector.config.trackers import ComponentTarget, CustomFieldTarget, JiraSection
from connector.errors import TrackerError
from connector.tracker.jira.admin import JiraProject
from connector.tracker.jira.client import JiraClient, exact_user

At = Callable[[KeyPath, str], Problem]  # a problem at a key path of mappings.yaml's `jira:`

# What ticketflow writes into each mapped custom field (FieldCodec writes plain values), as
# the `schema.type` Jira gives a field: a number into a text field or an e-mail address into a
# number field is refused at the first ticket, so say so before it.
FIELD_TYPES = {
    "category": ("string",),
    "tier": ("number", "string"),
    "customer_email": ("string",),
    "satisfaction": ("number", "string"),
}


@dataclass(frozen=True)
class Person:
    """What Jira says about one entry of a role: found exactly, active, or what it offered."""

    found: bool
    active: bool = True
    assignable: bool = True  # the project's assignable-user search finds them
    group: bool = False
    offered: str | None = None  # the user Jira's search found instead (a typo, usually)


@dataclass(frozen=True)
class Catalogue:
    """What the tracker has, as far as mappings.yaml names it."""

    project: JiraProject | None
    statuses: tuple[str, ...] = ()
    type_statuses: tuple[str, ...] = ()  # statuses the mapped issue type's workflow has
    fields: Mapping[str, str] = field(default_factory=dict)  # id -> name
    field_types: Mapping[str, str] = field(default_factory=dict)  # id -> schema type
    components: frozenset[str] = frozenset()
    people: Mapping[str, Person] = field(default_factory=dict)


def read_catalogue(tracker: JiraClient, jira: JiraSection) -> Catalogue:
    """Everything `check` needs of one project, read from Jira: 6 requests, and one more
    per role entry."""
    admin = tracker.admin
    project = admin.project(jira.project)
    entries = dict.fromkeys(u for role in jira.roles.values() for u in role.users)
    people = {entry: _person(tracker, entry, jira.project) for entry in entries}
    raw_fields = tracker.http.get("field") or []
    fields = {str(f["id"]): str(f.get("name") or f["id"]) for f in raw_fields}
    types = {str(f["id"]): str((f.get("schema") or {}).get("type", "")) for f in raw_fields}
    if project is None:
        return Catalogue(project=None, fields=fields, field_types=types, people=people)
    by_type = admin.project_statuses(jira.project)
    return Catalogue(
        project=project,
        statuses=tuple(s.name for s in admin.statuses()),
        type_statuses=tuple(by_type.get(jira.issue_type, ())),
        fields=fields,
        field_types=types,
        components=frozenset(admin.components(jira.project)),
        people=people,
    )


def _person(tracker: JiraClient, entry: str, project: str) -> Person:
    """Exactly this user, or nothing (see `exact_user`), asked as the assign action asks:
    with the project's assignable-user search. Only a user it does not find is looked up with
    the plain search, to say why: deactivated, not assignable, a near miss, or a group."""
    assignable = tracker.search_users(entry, assignable_in=project)
    if assignable is not None and exact_user(assignable, entry, flavor=tracker.flavor):
        return Person(found=True)
    found = tracker.search_users(entry) or []
    wanted = exact_user(found, entry, flavor=tracker.flavor)
    if wanted is not None:
        return Person(found=True, active=wanted.get("active") is not False,
                      assignable=assignable is None)
    if found:
        first = found[0]
        return Person(found=False, offered=str(first.get("emailAddress") or first.get("name")
                                               or first.get("displayName") or ""))
    return Person(found=False, group=_is_group(tracker, entry))


def _is_group(tracker: JiraClient, name: str) -> bool:
    """Only asked for an entry that is no user, to say what it is instead."""
    try:
        found = tracker.http.get("groups/picker", params={"query": name, "maxResults": 50})
    except TrackerError as error:
        if error.status == 404:
            return False
        raise
    return any(g.get("name") == name for g in (found or {}).get("groups") or ())


def check(
    jira: JiraSection,
    document: Document,
    catalogue: Catalogue,
    *,
    categories: Iterable[str] = (),
    where: KeyPath = ("jira",),
) -> list[Problem]:
    """Every mismatch between one project's section of mappings.yaml (at `where`: `jira`,
    or `jira[1]` in a list) and Jira, each at its line."""

    def at(path: KeyPath, message: str) -> Problem:
        return problem_at(document, (*where, *path), message)

    problems: list[Problem] = []
    project = catalogue.project
    if project is None:
        problems.append(
            at(
                ("project",),
                f'Jira has no project "{jira.project}" (or the '
                "API user cannot browse it); expected an existing "
                "project key",
            )
        )
    elif jira.issue_type not in project.issue_types:
        problems.append(
            at(
                ("issue_type",),
                f"project {jira.project} has no issue type "
                f'"{jira.issue_type}"; expected one of: '
                + ", ".join(sorted(project.issue_types)),
            )
        )
    if project is not None:
        problems += _statuses(jira, catalogue, at)
        problems += _components(jira, catalogue, categories, at)
    problems += _fields(jira, catalogue, at)
    problems += _people(jira, catalogue, at)
    return problems


def unmapped_statuses(jira: JiraSection, catalogue: Catalogue) -> list[str]:
    """The statuses of the issue type's workflow that no workflow status maps to: a ticket
    in one passes through to the core under Jira's name."""
    mapped = {name.lower() for name in jira.statuses.values()}
    return [name for name in catalogue.type_statuses if name.lower() not in mapped]


def _people(mappings: JiraSection, catalogue: Catalogue, at: At) -> list[Problem]:
    problems = []
    expected = "expected the e-mail (Cloud) or user name (Data Center) of an active Jira user"
    for role_name, role in mappings.roles.items():
        for index, entry in enumerate(role.users):
            person = catalogue.people.get(entry, Person(found=False))
            path = ("roles", role_name, "users", index)
            if person.found and not person.active:
                problems.append(at(path, f'Jira user "{entry}" is deactivated; {expected} '
                                         "(tickets cannot be assigned to this one)"))
            elif person.found and not person.assignable:
                problems.append(at(path, f'Jira user "{entry}" may not be assigned issues of '
                                         f"project {mappings.project}; expected a user with "
                                         "the project's Assignable User permission (tickets "
                                         "are assigned to the people of a role)"))
            elif person.group:
                problems.append(at(path, f'"{entry}" is a Jira group, not a user; {expected} '
                                         "(a role's people are assigned tickets one by one)"))
            elif not person.found:
                hint = f' (did you mean "{person.offered}"?)' if person.offered else ""
                problems.append(at(path, f'Jira has no user "{entry}"{hint}; {expected}'))
    return problems


def _statuses(mappings: JiraSection, catalogue: Catalogue, at: At) -> list[Problem]:
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


def _fields(mappings: JiraSection, catalogue: Catalogue, at: At) -> list[Problem]:
    problems = []
    custom = sorted(f"{i} ({n})" for i, n in catalogue.fields.items() if i.startswith("custom"))
    for name, types in FIELD_TYPES.items():
        target = getattr(mappings.fields, name)
        if not isinstance(target, CustomFieldTarget):
            continue
        path = ("fields", name, "custom_field")
        found = target.custom_field
        if found not in catalogue.fields:
            problems.append(at(path, f'Jira has no field "{found}"; expected one of: '
                               + (", ".join(custom) or "(no custom fields)")))
            continue
        kind = catalogue.field_types.get(found, "")
        if kind and kind not in types:
            fitting = sorted(f"{i} ({n})" for i, n in catalogue.fields.items()
                             if i.startswith("custom") and catalogue.field_types.get(i) in types)
            problems.append(at(path, f'field "{found}" ({catalogue.fields[found]}) holds '
                               f"{kind} values, and {name} is written as {' or '.join(types)}; "
                               "expected a field of that type: "
                               + (", ".join(fitting) or "(none in Jira)")))
    return problems


def _components(
    mappings: JiraSection, catalogue: Catalogue, categories: Iterable[str], at: At
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
