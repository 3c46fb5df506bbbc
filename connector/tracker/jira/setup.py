"""The tracker-facing commands: `install-scheme` and `validate --online`, given config and Jira."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from connector.config.loader import Config, mappings_document
from connector.config.mappings import jira_sections, located_jira
from connector.config.problems import Problem
from connector.config.trackers import JiraSection
from connector.errors import ConfigError
from connector.tracker.jira import installer, online, provisioner
from connector.tracker.jira.checklist import checklist
from connector.tracker.jira.client import JiraClient
from connector.tracker.jira.scheme import desired_from

log = logging.getLogger(__name__)


def install_scheme(
    config: Config,
    tracker: JiraClient,
    *,
    dry_run: bool,
    output: Path | None = None,
    echo: Callable[[str], None] = print,
    wait: Callable[[float], None] = time.sleep,
) -> int:
    """Print the plan; on Cloud apply it, on Data Center write the admin's checklist; for
    every project of mappings.yaml in turn (each named first when there are several).

    Returns the exit code: 0 when the scheme is in place (or would be, in a dry run), 1 while
    something is missing that ticketflow cannot create, or a problem stops the install.
    """
    sections = jira_sections(config.mappings)
    code = 0
    for section in sections:
        if len(sections) > 1:
            echo(f"project {section.project}:")
        target = output if output is None or len(sections) == 1 else (
            output.with_name(f"{output.stem}-{section.project}{output.suffix}"))
        code = max(code, _install_project(config, section, tracker, dry_run=dry_run,
                                          output=target, echo=echo, wait=wait))
    return code


def _install_project(
    config: Config,
    section: JiraSection,
    tracker: JiraClient,
    *,
    dry_run: bool,
    output: Path | None,
    echo: Callable[[str], None],
    wait: Callable[[float], None],
) -> int:
    """install-scheme for one project."""
    desired = desired_from(config.rules, config.mappings, section)
    observed = provisioner.observe(tracker.admin, desired)
    current = installer.plan(desired, observed)
    for line in current.lines():
        echo(line)
    if current.problems:
        echo(
            f"install-scheme: {len(current.problems)} problem(s) (marked !) must be fixed "
            "in Jira first; nothing was changed"
        )
        return 1
    if not current.todo:
        echo("install-scheme: everything is in place; nothing to change")
        return 0
    if not observed.can_write:
        target = output or Path(f"ticketflow-scheme-{desired.project}.md")
        if dry_run:
            echo(
                f"install-scheme: dry run; would write the {len(current.todo)} missing steps "
                f"to {target}"
            )
            return 1
        target.write_text(checklist(current), encoding="utf-8")
        echo(
            f"install-scheme: Jira Data Center cannot create statuses or workflows over "
            f"REST; wrote the {len(current.todo)} missing steps to {target} for a Jira "
            "administrator, then run install-scheme again"
        )
        return 1
    if dry_run:
        echo(f"install-scheme: dry run; {len(current.todo)} change(s) planned, none made")
        return 0
    provisioner.apply(current, observed, tracker.admin, echo=echo, wait=wait)
    log.info("scheme installed", extra={"project": desired.project, "changes": len(current.todo)})
    echo(f"install-scheme: {len(current.todo)} change(s) made")
    return 0


def validate_online(config: Config, tracker: JiraClient) -> str:
    """Check every project of mappings.yaml against Jira; raise ConfigError listing each
    mismatch by line. Returns the line to print when everything is in place."""
    document = mappings_document(config.config_dir)
    categories = [c.name for c in config.rules.categories]
    problems: list[Problem] = []
    found: list[str] = []
    for where, section in located_jira(config.mappings):
        catalogue = online.read_catalogue(tracker, section)
        problems += online.check(section, document, catalogue, categories=categories,
                                 where=where)
        found.append(_found(section, online.unmapped_statuses(section, catalogue)))
    if problems:
        raise ConfigError([str(p) for p in sorted(set(problems))])
    return f"ok: online ({tracker.flavor}): " + "; ".join(found)


def _found(jira: JiraSection, unmapped: list[str]) -> str:
    people = sum(len(r.users) for r in jira.roles.values())
    # Not an error: a ticket there is mirrored under Jira's own name, and no rule names it.
    note = (f"; Jira statuses no workflow status maps to (kept under Jira's name): "
            f"{', '.join(unmapped)}" if unmapped else "")
    return (
        f"project {jira.project}, issue type "
        f"{jira.issue_type}, {len(jira.statuses)} statuses, fields "
        f"and {people} people found in Jira{note}"
    )
