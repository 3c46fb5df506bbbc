"""`install-scheme` and `validate --online` on Zendesk: the custom statuses, groups (with their
agents) and fields mappings.yaml names, compared with the account, created where missing.

`survey` reads the account (four requests, and one per role member) and compares without
I/O: each difference is a `Step` ticketflow can take (create a status, a group, a membership,
a field) or a problem at its line of mappings.yaml (a status in another category, a drop-down
without an option, a person who is no agent), which only an administrator can settle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.config.loader import MAPPINGS_FILE, Config
from connector.config.problems import Problem, problem_at
from connector.config.source import Document, KeyPath, load_document
from connector.config.trackers import TagTarget
from connector.errors import ConfigError
from connector.tracker.zendesk import catalogue as ids
from connector.tracker.zendesk.client import ZendeskClient
from connector.tracker.zendesk.shapes import an_id, reading
from connector.tracker.zendesk.translate import tag_of

log = logging.getLogger(__name__)
Json = Mapping[str, Any]
MEMBERSHIPS = "/api/v2/group_memberships.json"
# The titles of the fields install-scheme creates (mappings.yaml then names them by id).
CATEGORY_TITLE = "Request category"
SATISFACTION_TITLE = "Satisfaction score"


@dataclass
class Step:
    """One thing to create: what it is in words, where, and the body Zendesk takes."""

    text: str
    path: str
    key: str
    body: dict[str, Any]
    where: KeyPath  # the mappings.yaml key it comes from
    # A membership names its group, which may itself be created first: resolved at apply.
    group: str | None = None
    # A field mappings.yaml names by this id: made with another, it must be written there.
    field_id: str | None = None


@dataclass
class Survey:
    steps: list[Step] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    present: list[str] = field(default_factory=list)


def survey(config: Config, client: ZendeskClient, document: Document) -> Survey:
    """What mappings.yaml needs that the account lacks, and what contradicts it."""
    section = config.mappings.zendesk
    if section is None:
        raise ConfigError(["mappings.yaml: zendesk: missing"])
    found = ids.read(client)
    out = Survey()

    def at(path: KeyPath, text: str) -> Problem:
        return problem_at(document, path, text)

    for ours, status in section.statuses.items():
        label = status.agent_label
        ident = found.status_id(label)
        if ident is None:
            out.steps.append(Step(f'custom status "{label}" ({status.category})',
                                  ids.STATUSES, "custom_status", {
                                      "status_category": status.category,
                                      "agent_label": label, "end_user_label": label,
                                      "active": True},
                                  ("zendesk", "statuses", ours)))
        elif found.categories.get(ident) != status.category:
            out.problems.append(at(("zendesk", "statuses", ours, "category"), (
                f'the custom status "{label}" is in category '
                f"{found.categories.get(ident)} in Zendesk; expected {status.category}")))
        else:
            out.present.append(f'custom status "{label}"')
    _groups(config, client, found, out, at)
    _fields(config, found, out, at)
    return out


def _groups(config: Config, client: ZendeskClient, found: ids.Catalogue, out: Survey,
            at: Callable[[KeyPath, str], Problem]) -> None:
    section = config.mappings.zendesk
    assert section is not None
    members = _memberships(client)
    for role, spec in section.roles.items():
        name = spec.group
        group = found.group_id(name)
        if group is None:
            out.steps.append(Step(f'group "{name}"', ids.GROUPS, "group", {"name": name},
                                  ("zendesk", "roles", role, "group")))
        else:
            out.present.append(f'group "{name}"')
        for index, email in enumerate(spec.users):
            user = client.user_by_email(email)
            if user is None or user.get("role") not in ("agent", "admin"):
                out.problems.append(at(("zendesk", "roles", role, "users", index), (
                    f"{email} is {'no user' if user is None else 'not an agent'} in Zendesk; "
                    "expected an agent (only agents can be assigned tickets)")))
                continue
            with reading("user"):
                user_id = str(an_id(user["id"]))
            if group is None or (user_id, group) not in members:
                out.steps.append(Step(f'{email} joins group "{name}"', MEMBERSHIPS,
                                      "group_membership", {"user_id": int(user_id)},
                                      ("zendesk", "roles", role, "users", index), group=name))


def _memberships(client: ZendeskClient) -> set[tuple[str, str]]:
    with reading("group memberships"):
        return {(str(an_id(m["user_id"])), str(an_id(m["group_id"])))
                for m in client.listing(MEMBERSHIPS, "group_memberships")}


def _fields(config: Config, found: ids.Catalogue, out: Survey,
            at: Callable[[KeyPath, str], Problem]) -> None:
    section = config.mappings.zendesk
    assert section is not None
    category = section.fields.category
    if not isinstance(category, TagTarget):
        where: KeyPath = ("zendesk", "fields", "category", "custom_field")
        ident = str(category.custom_field)
        wanted = {tag_of(c.name): c.name for c in config.rules.categories}
        current = found.field(ident)
        if current is None:
            out.steps.append(Step(
                f'drop-down field "{CATEGORY_TITLE}" ({len(wanted)} options)', ids.FIELDS,
                "ticket_field", {"type": "tagger", "title": CATEGORY_TITLE,
                                 "custom_field_options": [{"name": name, "value": tag}
                                                          for tag, name in wanted.items()]},
                where, field_id=ident))
        else:
            names = {n.lower() for n in current.options.values()}
            missing = [n for t, n in wanted.items()
                       if t not in current.options and n.lower() not in names]
            if current.type != "tagger" or missing:
                out.problems.append(at(where, (
                    f'the field {ident} ("{current.title}") is a {current.type} field'
                    + (f" without an option for {', '.join(missing)}" if missing else "")
                    + "; expected a drop-down with an option for each category of rules.yaml")))
            else:
                out.present.append(f'drop-down field "{current.title}"')
    if section.fields.satisfaction is not None:
        where = ("zendesk", "fields", "satisfaction", "custom_field")
        ident = str(section.fields.satisfaction.custom_field)
        current = found.field(ident)
        if current is None:
            out.steps.append(Step(f'number field "{SATISFACTION_TITLE}"', ids.FIELDS,
                                  "ticket_field", {"type": "integer",
                                                   "title": SATISFACTION_TITLE},
                                  where, field_id=ident))
        elif current.type not in ("integer", "decimal"):
            out.problems.append(at(where, (
                f'the field {ident} ("{current.title}") is a {current.type} field; expected '
                "a number field for the survey's score")))
        else:
            out.present.append(f'number field "{current.title}"')


def install_scheme(config: Config, client: ZendeskClient, *, dry_run: bool,
                   echo: Callable[[str], None] = print) -> int:
    """Print the plan, then create what is missing (not with `dry_run`). 0 when everything
    is (or would be) in place; 1 when a problem only an administrator can fix stops it."""
    document = load_document(config.config_dir / MAPPINGS_FILE, MAPPINGS_FILE)
    found = survey(config, client, document)
    for line in found.present:
        echo(f"  ok      {line}")
    for step in found.steps:
        echo(f"  create  {step.text}")
    for problem in found.problems:
        echo(f"  !       {problem}")
    if found.problems:
        echo(f"install-scheme: {len(found.problems)} problem(s) (marked !) must be fixed in "
             "Zendesk or mappings.yaml first; nothing was changed")
        return 1
    if not found.steps:
        echo("install-scheme: everything is in place; nothing to change")
        return 0
    if dry_run:
        echo(f"install-scheme: dry run; {len(found.steps)} change(s) planned, none made")
        return 0
    groups: dict[str, str] = {}
    renamed: list[str] = []
    for step in found.steps:
        body = dict(step.body)
        if step.group is not None:
            groups = groups or {name.lower(): ident for ident, name in ids.read(client)
                                .groups.items()}
            body["group_id"] = int(groups[step.group.lower()])
        made = client.make(step.path, step.key, body)
        if step.key == "group":
            groups = {}  # read again when a membership needs it
        log.info("created %s", step.text, extra={"id": made.get("id")})
        echo(f"  made    {step.text} (id {made.get('id')})")
        if step.field_id is not None and str(made.get("id")) != step.field_id:
            renamed.append(f"{'.'.join(map(str, step.where))}: {made.get('id')} (the field "
                           f"just made; mappings.yaml says {step.field_id})")
    echo(f"install-scheme: {len(found.steps)} change(s) made")
    if renamed:
        echo("install-scheme: write the new fields' ids into mappings.yaml, then run it "
             "again: " + "; ".join(renamed))
        return 1
    return 0


def validate_online(config: Config, client: ZendeskClient) -> str:
    """mappings.yaml against the account: a ConfigError listing each mismatch at its line
    (what install-scheme would create counts too); else the line to print."""
    document = load_document(config.config_dir / MAPPINGS_FILE, MAPPINGS_FILE)
    found = survey(config, client, document)
    problems = [str(p) for p in found.problems]
    problems += [str(problem_at(document, step.where, f"{step.text} is missing in Zendesk; "
                                "expected it (`ticketflow install-scheme` creates it)"))
                 for step in found.steps]
    if problems:
        raise ConfigError(sorted(set(problems)))
    return (f"ok: online (Zendesk): {len(found.present)} statuses, groups and fields, and "
            f"{sum(len(r.users) for r in config.mappings.roles.values())} agents found")

