"""JQL syntax tree to matching issue ids: resolve values, use the indexes, filter, sort.

Supported exactly (anything else is a 400 in Jira's words, so a caller notices):
`project`, `key`/`issuekey`/`issue`/`id` (keys or ids), `status` with `=`, `!=`, `in`, `not in`;
`labels` with `=`, `!=`, `in`, `not in`, `is EMPTY`, `is not EMPTY` (case-insensitive, and as in
Jira `!=`/`not in` never match an issue without labels);
`created`/`updated` (and `createdDate`/`updatedDate`) with `=`, `!=`, `>`, `>=`, `<`, `<=`
against `"yyyy/MM/dd HH:mm"` (also `-` separators, date only) read in the caller's time zone,
or epoch milliseconds; `AND`, `OR`, `NOT`, parentheses; `ORDER BY` key, id, created, updated,
status or project with ASC (the default here) or DESC, at most 7 fields. With no ORDER BY the
order is `key DESC`; ties always fall back to the issue id, ascending.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from connector.sandbox.jira.jql import BoolOp, Clause, JqlError, Node, Not, Query, Value, parse
from connector.sandbox.jira.model import Issue
from connector.sandbox.jira.plans import COMPARE, AndPlan, DatePlan, NotPlan, OrPlan, Plan, SetPlan
from connector.sandbox.jira.store import Store
from connector.sandbox.jira.timeutil import parse_jql_date

_FIELDS = {"project": "project", "key": "issuekey", "issuekey": "issuekey",
           "issue": "issuekey", "id": "issuekey", "status": "status", "updated": "updated",
           "updateddate": "updated", "created": "created", "createddate": "created",
           "labels": "labels"}
_KNOWN_ELSEWHERE = frozenset({"assignee", "reporter", "summary", "description",
                              "component", "issuetype", "type", "resolution", "comment", "text",
                              "resolved", "resolutiondate", "statuscategory", "priority"})
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-\d+$")
_PERIOD = re.compile(r"^-?\s*\d+\s*[wdhm](\s+\d+\s*[wdhm])*$", re.IGNORECASE)
_ORDERABLE = {"key", "issuekey", "issue", "id", "created", "createddate", "updated",
              "updateddate", "status", "project"}


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    plan: Plan | None
    order: tuple[tuple[str, bool], ...]

    @property
    def bounded(self) -> bool:
        """Enhanced search refuses queries without a restriction (e.g. only ORDER BY)."""
        return self.plan is not None


def compile_jql(store: Store, text: str, time_zone: str) -> CompiledQuery:
    """Parse and resolve `text`; JqlError (a 400) for anything the sandbox does not support."""
    query: Query = parse(text)
    if len(query.order) > 7:
        raise JqlError("Error in the JQL Query: ORDER BY supports at most 7 fields.")
    for name, _ in query.order:
        if name.lower() not in _ORDERABLE:
            raise JqlError(f"Not able to sort using field '{name}'.")
    plan = None if query.where is None else _compile(store, query.where, time_zone)
    return CompiledQuery(plan, query.order)


def _compile(store: Store, node: Node, tz: str) -> Plan:
    if isinstance(node, BoolOp):
        children = [_compile(store, child, tz) for child in node.children]
        return AndPlan(children) if node.op == "and" else OrPlan(children)
    if isinstance(node, Not):
        return NotPlan(_compile(store, node.child, tz))
    return _clause(store, node, tz)


def _clause(store: Store, clause: Clause, tz: str) -> Plan:
    field = _FIELDS.get(clause.field.lower())
    if field is None:
        if clause.field.lower() in _KNOWN_ELSEWHERE:
            raise JqlError(f"Error in the JQL Query: the Jira sandbox does not support "
                           f"searching by '{clause.field}'; it supports project, key, id, "
                           "status, labels, created and updated.")
        raise JqlError(f"Field '{clause.field}' does not exist or you do not have permission "
                       "to view it.")
    for value in clause.values:
        if value.function:
            raise JqlError(f"Error in the JQL Query: the Jira sandbox does not support JQL "
                           f"functions such as '{value.text}'.")
    if field in ("created", "updated"):
        return _date_clause(clause, field, tz)
    if field == "labels":
        return _label_clause(clause)
    if clause.op not in ("=", "!=", "in", "not in"):
        raise JqlError(f"The operator '{clause.op}' is not supported by the '{clause.field}' "
                       "field.")
    negate = clause.op in ("!=", "not in")
    resolve = {"project": _project_ids, "status": _status_ids, "issuekey": _issue_ids}[field]
    attr = {"project": "project_id", "status": "status_id", "issuekey": "id"}[field]
    return SetPlan(attr, frozenset(resolve(store, clause)), negate)


def _project_ids(store: Store, clause: Clause) -> list[object]:
    found: list[object] = []
    for value in clause.values:
        match = [p.id for p in store.projects.values()
                 if value.text.upper() in (p.key.upper(), str(p.id), p.name.upper())]
        if not match:
            raise JqlError(f"The value '{value.text}' does not exist for the field "
                           f"'{clause.field}'.")
        found += match
    return found


def _status_ids(store: Store, clause: Clause) -> list[object]:
    found: list[object] = []
    for value in clause.values:
        status = store.statuses.get(value.text) or store.status_by_name(value.text)
        if status is None:
            raise JqlError(f"The value '{value.text}' does not exist for the field "
                           f"'{clause.field}'.")
        found.append(status.id)
    return found


def _issue_ids(store: Store, clause: Clause) -> list[object]:
    found: list[object] = []
    for value in clause.values:
        if value.text.isdigit():
            found.append(int(value.text))  # an id that matches nothing is no error in Jira
            continue
        if not _KEY.match(value.text):
            raise JqlError(f"The issue key '{value.text}' for field '{clause.field}' is "
                           "invalid.")
        issue = store.by_key.get(value.text.upper())
        if issue is None:
            raise JqlError(f"An issue with key '{value.text}' does not exist for field "
                           f"'{clause.field}'.")
        found.append(issue.id)
    return found


@dataclass(slots=True)
class LabelPlan(Plan):
    """`labels` clauses as Jira evaluates them: any label equal (ignoring case) to a value;
    the negations hold only for issues that have labels; EMPTY means no labels."""

    values: frozenset[str]
    op: str  # "=", "!=", "in", "not in", "is", "is not"

    def matches(self, issue: Issue) -> bool:
        labels = {label.lower() for label in issue.labels}
        if self.op == "is":
            return not labels
        if self.op == "is not":
            return bool(labels)
        hit = bool(labels & self.values)
        return hit if self.op in ("=", "in") else bool(labels) and not hit


def _label_clause(clause: Clause) -> Plan:
    if clause.op in ("is", "is not"):  # the parser allows only EMPTY or NULL after IS
        return LabelPlan(frozenset(), clause.op)
    if clause.op not in ("=", "!=", "in", "not in"):
        raise JqlError(f"The operator '{clause.op}' is not supported by the '{clause.field}' "
                       "field.")
    return LabelPlan(frozenset(v.text.lower() for v in clause.values), clause.op)


def _date_clause(clause: Clause, field: str, tz: str) -> Plan:
    if clause.op not in COMPARE:
        raise JqlError(f"The operator '{clause.op}' is not supported by the '{clause.field}' "
                       "field.")
    return DatePlan(field, clause.op, _date_value(clause, clause.values[0], tz))


def _date_value(clause: Clause, value: Value, tz: str) -> int:
    text = value.text.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)  # epoch milliseconds, as Jira reads a bare number
    parsed = parse_jql_date(text, tz)
    if parsed is not None:
        return parsed
    if _PERIOD.match(text):
        raise JqlError(f"Error in the JQL Query: the Jira sandbox does not support relative "
                       f"dates such as '{text}' for field '{clause.field}'; send "
                       "'yyyy/MM/dd HH:mm' or epoch milliseconds.")
    raise JqlError(f"Date value '{text}' for field '{clause.field}' is invalid. Valid formats "
                   "include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', "
                   "'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.")


def evaluate(store: Store, compiled: CompiledQuery) -> list[int]:
    """Ids of the matching issues in the query's order (the caller holds the store lock)."""
    plan = compiled.plan
    pool: Collection[int] | None = None if plan is None else plan.candidates(store)
    if pool is None:
        issues = list(store.issues.values())
    else:
        issues = [store.issues[i] for i in pool if i in store.issues]
    if plan is not None:
        issues = [issue for issue in issues if plan.matches(issue)]
    issues.sort(key=lambda i: i.id)
    order = compiled.order or (("key", True),)
    for name, descending in reversed(order):
        issues.sort(key=_sort_key(store, name.lower()), reverse=descending)
    return [issue.id for issue in issues]


def _sort_key(store: Store, name: str) -> Callable[[Issue], Any]:
    if name in ("created", "createddate"):
        return lambda i: i.created
    if name in ("updated", "updateddate"):
        return lambda i: i.updated
    if name == "status":
        return lambda i: store.statuses[i.status_id].name.lower()
    keys = {pid: p.key for pid, p in store.projects.items()}
    if name == "project":
        return lambda i: keys[i.project_id]
    # Key order is project key, then number; numbers rise with ids inside a project.
    return lambda i: (keys[i.project_id], i.id)
