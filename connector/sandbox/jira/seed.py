"""Seeding: many issues at once, without going through HTTP (samples, benchmarks, big tests)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from connector.sandbox.accounts import find_values
from connector.sandbox.clock import to_ms
from connector.sandbox.jira.errors import bad_request
from connector.sandbox.jira.model import FIELDS_BY_ID, Issue
from connector.sandbox.jira.store import Store
from connector.sandbox.samples import sample


def seed_issues(store: Store, count: int, *, project: str = "HELP", status: str | None = None,
                start: datetime | None = None, step: timedelta = timedelta(minutes=1),
                summary: str | None = None) -> list[str]:
    """Create `count` issues as if imported: no history, created = updated, one `step` apart.

    They start at `start` (default: `count` steps before the sandbox's now, so the newest is
    now). `status` is a status name (default: the workflow's initial status). Each reads like
    a help desk's request (`summary`, if given, replaces the sample's), tier 1, its customer's
    address in the customer-email field the shipped mappings.yaml names. Returns the keys.
    """
    if count < 0:
        raise bad_request("count must not be negative.")
    target = store.project(project)
    type_id = target.issuetype_ids[0]
    workflow = store.workflow_for(target.id, type_id)
    status_id = workflow.initial_status()
    if status is not None:
        found = store.status_by_name(status)
        if found is None or found.id not in workflow.statuses:
            raise bad_request(f"Status '{status}' is not in the workflow of {target.key}.")
        status_id = found.id
    step_ms = int(step.total_seconds() * 1000)
    first_ms = store.now_ms() - count * step_ms if start is None else to_ms(start)
    first_id = store.counters["issue"] + 1
    store.counters["issue"] += count
    first_number = target.next_number
    target.next_number += count
    email_field = customer_email_field()
    issues = []
    for i in range(count):
        request = sample(first_number + i - 1)
        issues.append(Issue(
            id=first_id + i, key=f"{target.key}-{first_number + i}", project_id=target.id,
            issuetype_id=type_id, summary=summary or request.summary,
            description=request.description, status_id=status_id,
            created=first_ms + i * step_ms, updated=first_ms + i * step_ms, reporter=store.me,
            custom={"customfield_10071": 1, email_field: request.email()}))
    store.add_issues_bulk(issues)
    return [issue.key for issue in issues]


@cache
def customer_email_field() -> str:
    """The custom field the shipped mappings.yaml keeps the customer's address in."""
    for value in find_values("customer_email"):
        field = value.get("custom_field") if isinstance(value, dict) else None
        if isinstance(field, str) and field in FIELDS_BY_ID:
            return field
    return "customfield_10072"
