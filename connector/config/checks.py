"""Checks across files: every name a rule uses exists, names are unique, templates parse."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from connector.config.models import MappingsFile, RulesFile
from connector.config.problems import Problem, problem_at, resolve, suggest
from connector.config.refs import FoundRef, RefKind, find_refs
from connector.config.source import Document, Location
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
    problems += _all_statuses_mapped(rules, mappings_doc, mappings)
    problems += _template_problems(templates, config_dir)
    return problems


def known_names(rules: RulesFile, mappings: MappingsFile,
                templates: dict[str, TemplateFiles]) -> dict[RefKind, list[str]]:
    """The names each kind of reference may use (statuses, roles, categories, ...)."""
    return {
        "status": [s.name for s in rules.workflow.statuses],
        "role": list(mappings.roles),
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


def _all_statuses_mapped(
    rules: RulesFile, document: Document, mappings: MappingsFile
) -> list[Problem]:
    missing = [s.name for s in rules.workflow.statuses if s.name not in mappings.statuses]
    if not missing:
        return []
    return [
        problem_at(
            document,
            ("statuses",),
            f"workflow statuses not mapped: {', '.join(missing)}; expected a Jira "
            "status name for every status of rules.yaml's workflow",
            prefer_key=True,
        )
    ]


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
