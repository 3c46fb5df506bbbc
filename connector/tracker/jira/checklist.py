"""The Data Center install checklist: the plan's missing steps as Markdown an admin can follow.

Jira Data Center creates statuses and workflows only in its administration screens. A workflow
XML file ("Import from XML") would have to name the ids of statuses that do not exist yet and
cannot be checked without a real Data Center, so the checklist names every screen and value
instead; `ticketflow install-scheme` run again verifies the result.
"""

from __future__ import annotations

from connector.tracker.jira.installer import Plan
from connector.tracker.jira.scheme import CATEGORY_NAMES


def checklist(current: Plan) -> str:
    """Markdown: what is missing, then each admin step with the exact names to type."""
    desired = current.desired
    todo = {step.kind for step in current.todo}
    lines = [
        f"# Install the ticketflow workflow in Jira Data Center (project {desired.project})",
        "",
        "Jira Data Center cannot create statuses or workflows over REST, so a Jira",
        "administrator does these steps in Jira's administration screens. Afterwards run",
        "`ticketflow install-scheme` again: it exits 0 once everything is in place.",
        "",
        "## What `ticketflow install-scheme` found",
        "",
        *(f"    {line}" for line in current.lines()),
        "",
        "## 1. Statuses (Administration > Issues > Statuses > Add status)",
        "",
        "| Status | Category | To do |",
        "|---|---|---|",
    ]
    missing = {s.subject.lower() for s in current.todo if s.kind == "status"}
    lines += [
        f"| {name} | {CATEGORY_NAMES[category]} | "
        f"{'**add**' if name.lower() in missing else 'exists'} |"
        for name, category in desired.statuses
    ]
    lines += _workflow(current, done="workflow" not in todo)
    lines += [
        "",
        f'## 3. Workflow scheme "{desired.scheme_name}"',
        "",
        "Administration > Issues > Workflow schemes > Add workflow scheme; add the workflow "
        f'"{desired.workflow_name}" and assign it to issue type **{desired.issue_type}**.',
        "",
        f"## 4. Use the scheme in project {desired.project}",
        "",
        f"Project settings of {desired.project} > Workflows > Switch scheme, choose "
        f'"{desired.scheme_name}" and Associate.',
    ]
    if current.moves:
        lines.append(
            "When Jira asks where issues in statuses the new workflow lacks go: "
            + "; ".join(f"{a} -> {b}" for a, b in current.moves.items())
            + "."
        )
    if desired.components:
        lines += [
            "",
            f"## 5. Components (Project settings of {desired.project} > Components)",
            "",
            "Categories are kept as components; create any missing: "
            + ", ".join(f"`{c}`" for c in desired.components)
            + ".",
        ]
    return "\n".join(lines) + "\n"


def _workflow(current: Plan, *, done: bool) -> list[str]:
    desired = current.desired
    state = "exists" if done else "add it"
    lines = [
        "",
        f'## 2. Workflow "{desired.workflow_name}" ({state})',
        "",
        "Administration > Issues > Workflows > Add workflow; add every status above, then",
        "these transitions (Diagram mode: drag from the first status to the second):",
        "",
        "| Transition | From | To |",
        "|---|---|---|",
        f"| Create (the initial transition) | (start) | {desired.initial} |",
    ]
    lines += [f"| {t.name} | {t.source} | {t.target} |" for t in desired.transitions]
    return lines
