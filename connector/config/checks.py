"""Checks across files: every name a rule uses exists, names are unique, templates parse."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from connector.config.mappings import (
    NOTIFYING_TRACKERS,
    TRACKER_NAMES,
    MappingsFile,
    located_jira,
    located_sections,
)
from connector.config.problems import Problem, problem_at, resolve, suggest
from connector.config.refs import FoundRef, RefKind, find_refs
from connector.config.rules import RulesFile
from connector.config.source import Document, KeyPath, Location
from connector.config.trackers import TrackerSection, ZendeskSection
from connector.templates.files import TEMPLATE_DIR, TEXT_SUFFIX, TemplateFiles, check
from connector.templates.render import trial_render
from connector.templates.variables import SAMPLE_CONTEXTS

_TIMEFRAME_KEY = re.compile(r"^tier(\d+)$")


def cross_check(
    *,
    rules: RulesFile,
    rules_doc: Document,
    mappings: MappingsFile,
    mappings_doc: Document,
    templates: dict[str, TemplateFiles],
    config_dir: Path,
) -> list[Problem]:
    """Every problem that needs more than one model (or file) to see."""
    known = known_names(rules, mappings, templates)
    problems = unknown_refs(find_refs(rules, RulesFile), known, rules_doc)
    problems += unknown_refs(find_refs(mappings, MappingsFile), known, mappings_doc)
    problems += _duplicates(rules_doc, "rules", [r.name for r in rules.rules], "rule name")
    problems += _duplicates(rules_doc, "categories", [c.name for c in rules.categories], "category")
    problems += _duplicates(
        rules_doc, "workflow.statuses", [s.name for s in rules.workflow.statuses], "status"
    )
    problems += _duplicates(rules_doc, "tiers", [str(t.tier) for t in rules.tiers], "tier")
    problems += _one_default_category(rules, rules_doc)
    problems += _timeframes(rules, rules_doc)
    for name in TRACKER_NAMES:  # a section not in use is still checked: it is to be used
        for at, section in located_sections(mappings, name):
            problems += _all_statuses_mapped(rules, mappings_doc, at, section)
            if isinstance(section, ZendeskSection):
                problems += _zendesk_categories(rules, mappings_doc, section)
                problems += _zendesk_distinct(mappings_doc, section)
    problems += _distinct_projects(mappings, mappings_doc)
    problems += _roles_in_every_project(rules, mappings, mappings_doc)
    problems += _notify_channel(rules, rules_doc, mappings)
    problems += _template_problems(templates, config_dir)
    return problems


def known_names(rules: RulesFile, mappings: MappingsFile,
                templates: dict[str, TemplateFiles]) -> dict[RefKind, list[str]]:
    """The names each kind of reference may use (statuses, roles, categories, ...)."""
    return {
        "status": [s.name for s in rules.workflow.statuses],
        "role": list(dict.fromkeys(r for _, s in located_sections(mappings, mappings.tracker)
                                   for r in s.roles)),
        "category": [c.name for c in rules.categories],
        "template": sorted(templates),
        "tier": [str(t.tier) for t in rules.tiers],
    }


def unknown_refs(
    refs: Iterable[FoundRef], known: dict[RefKind, list[str]], document: Document
) -> list[Problem]:
    """A located problem, with a suggestion, for each reference to a name that does not exist
    (rules.yaml's, mappings.yaml's, and the rule tests')."""
    problems = []
    for ref in refs:
        names = known[ref.kind]
        if str(ref.name) in names:
            continue
        if ref.kind == "template":
            message = (
                f"unknown template {ref.name!r}{suggest(str(ref.name), names)}; expected a "
                f"file {TEMPLATE_DIR / (str(ref.name) + TEXT_SUFFIX)}; have: "
                f"{', '.join(names) or 'none'}"
            )
        else:
            where = {
                "status": "workflow.statuses in rules.yaml",
                "role": "roles in mappings.yaml",
                "category": "categories in rules.yaml",
                "tier": "tiers in rules.yaml",
            }[ref.kind]
            message = (
                f"unknown {ref.kind} {ref.name!r}{suggest(str(ref.name), names)}; "
                f"expected one of {where}: {', '.join(names) or 'none'}"
            )
        problems.append(
            problem_at(document, resolve(document.data, ref.path), message, prefer_key=ref.is_key)
        )
    return problems


def _duplicates(document: Document, dotted: str, names: list[str], what: str) -> list[Problem]:
    base = tuple(dotted.split("."))
    counts = Counter(names)
    problems = []
    first_index: dict[str, int] = {}
    for index, name in enumerate(names):
        if counts[name] < 2:
            continue
        if name not in first_index:
            first_index[name] = index
            continue
        first = document.source.locate((*base, first_index[name]))
        line = f" (first at line {first.line})" if first else ""
        problems.append(
            problem_at(
                document,
                (*base, index),
                f"duplicate {what} {name!r}{line}; expected each {what} once",
            )
        )
    return problems


def _one_default_category(rules: RulesFile, document: Document) -> list[Problem]:
    defaults = [i for i, c in enumerate(rules.categories) if c.default]
    return [
        problem_at(
            document,
            ("categories", i, "default"),
            "a second default category; expected at most one `default: true`",
        )
        for i in defaults[1:]
    ]


def _timeframes(rules: RulesFile, document: Document) -> list[Problem]:
    levels = {t.tier for t in rules.tiers}
    problems = []
    for key in rules.timeframes:
        match = _TIMEFRAME_KEY.match(key)
        if match is None or int(match[1]) not in levels:
            problems.append(
                problem_at(
                    document,
                    ("timeframes", key),
                    f"{key!r} is not a tier; expected one of: "
                    f"{', '.join(f'tier{level}' for level in sorted(levels))}",
                    prefer_key=True,
                )
            )
    return problems


def _distinct_projects(mappings: MappingsFile, document: Document) -> list[Problem]:
    """Each project once, each project's own mail address once and not the shared mailbox's:
    else a ticket's or a mail's project could not be told."""
    sections = located_jira(mappings)
    problems = []
    first_key: dict[str, KeyPath] = {}
    for at, section in sections:
        if section.project not in first_key:
            first_key[section.project] = at
            continue
        first = _line(document, first_key[section.project], "project")
        problems.append(problem_at(
            document, (*at, "project"),
            f"project {section.project} is listed twice{first}; expected each project once, "
            "or a ticket's project could not be told"))
    owner: dict[str, tuple[KeyPath, str]] = {
        mappings.mailbox.address.lower(): ((), "the shared `mailbox:`")}
    for at, section in sections:
        if section.mailbox is None:
            continue
        address = section.mailbox.address.lower()
        if address not in owner:
            owner[address] = (at, f"project {section.project}")
            continue
        first_at, holder = owner[address]
        problems.append(problem_at(
            document, (*at, "mailbox", "address"),
            f"{section.mailbox.address} is {holder}'s address too"
            f"{_line(document, first_at, 'mailbox', 'address')}; expected each project its "
            "own address (mail to none of them goes to the first project)"))
    return problems


def _line(document: Document, at: KeyPath, *field: str) -> str:
    found = document.source.locate((*at, *field))
    return f" (first at line {found.line})" if found else ""


def _roles_in_every_project(rules: RulesFile, mappings: MappingsFile,
                            document: Document) -> list[Problem]:
    """The rules name roles for tickets of any project: with several projects, each
    defines every one of them (one project alone is checked by the unknown-name check)."""
    sections = located_sections(mappings, mappings.tracker)
    if len(sections) < 2:
        return []
    used = list(dict.fromkeys(str(ref.name) for ref in find_refs(rules, RulesFile)
                              if ref.kind == "role"))
    problems = []
    for at, section in sections:
        missing = [role for role in used if role not in section.roles]
        if missing:
            problems.append(problem_at(
                document, (*at, "roles"),
                f"roles the rules name are missing: {', '.join(missing)}; expected every "
                f"role rules.yaml names in each project (project {section.project})",
                prefer_key=True))
    return problems


def _all_statuses_mapped(
    rules: RulesFile, document: Document, at: KeyPath, section: TrackerSection
) -> list[Problem]:
    missing = [s.name for s in rules.workflow.statuses if s.name not in section.statuses]
    if not missing:
        return []
    what = "a Jira status name" if at[0] == "jira" else "a custom status"
    return [
        problem_at(
            document,
            (*at, "statuses"),
            f"workflow statuses not mapped: {', '.join(missing)}; expected {what} for every "
            "status of rules.yaml's workflow",
            prefer_key=True,
        )
    ]


def _zendesk_categories(rules: RulesFile, document: Document,
                        section: ZendeskSection) -> list[Problem]:
    """Zendesk treats a solved ticket as done (and closes it days later): the workflow's Done
    statuses are solved, and only they."""
    done = rules.workflow.done_statuses
    problems = []
    for ours, status in section.statuses.items():
        if (ours in done) == (status.category == "solved"):
            continue
        expected = ("solved: it is a Done status of the workflow" if ours in done else
                    "new, open, pending or hold: Zendesk takes a solved ticket for done, and "
                    f"{ours} is not a Done status of the workflow")
        problems.append(problem_at(document, ("zendesk", "statuses", ours, "category"),
                                   f"{status.category}; expected {expected}"))
    return problems


def _zendesk_distinct(document: Document, section: ZendeskSection) -> list[Problem]:
    """Each workflow status its own custom status, each role its own group: else a ticket's
    status or tier could not be read back from Zendesk."""
    problems = []
    for what, told, pairs, key in (
        ("custom status", "status", [(n, s.agent_label) for n, s in section.statuses.items()],
         ("statuses", "agent_label")),
        ("group", "tier", [(n, r.group) for n, r in section.roles.items()], ("roles", "group")),
    ):
        first: dict[str, str] = {}
        for ours, theirs in pairs:
            if theirs.casefold() not in first:
                first[theirs.casefold()] = ours
                continue
            problems.append(problem_at(
                document, ("zendesk", key[0], ours, key[1]),
                f"{theirs!r} is {first[theirs.casefold()]}'s {what} too; expected one "
                f"{what} each, or a ticket's {told} could not be told from Zendesk"))
    return problems


def _notify_channel(rules: RulesFile, document: Document,
                    mappings: MappingsFile) -> list[Problem]:
    """`via: jira_notify` needs a tracker that mails its own users (Jira's notify)."""
    channel = rules.notifications.assignee
    if channel.via != "jira_notify" or mappings.tracker in NOTIFYING_TRACKERS:
        return []
    written = "via" in channel.model_fields_set
    tracker = TRACKER_NAMES[mappings.tracker]
    return [problem_at(
        document, ("notifications", "assignee", "via"),
        f"jira_notify{'' if written else ' (the default)'}: {tracker} sends engineers no "
        "notification mail of its own; expected `notifications: {assignee: {via: email}}` "
        "(or webhook)")]


def _template_problems(templates: dict[str, TemplateFiles], config_dir: Path) -> list[Problem]:
    problems = []
    for files in templates.values():
        # Syntax first; a template that parses is rendered with the documented sample
        # variables, so a misspelt variable is reported here rather than at send time.
        found_problems = check(files) or trial_render(files, SAMPLE_CONTEXTS)
        for found in found_problems:
            shown = (
                found.file.relative_to(config_dir)
                if found.file.is_relative_to(config_dir)
                else found.file
            )
            problems.append(
                Problem(
                    Location(str(shown), found.line, 1), f"template {files.name}", found.message
                )
            )
    return problems
