"""Bulk seeding: many issues at once, without going through HTTP, for benchmarks and big tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from connector.sandbox.clock import to_ms
from connector.sandbox.jira.errors import bad_request
from connector.sandbox.jira.model import Issue
from connector.sandbox.jira.store import Store


def seed_issues(store: Store, count: int, *, project: str = "HELP", status: str | None = None,
                start: datetime | None = None, step: timedelta = timedelta(minutes=1),
                summary: str = "Seeded request") -> list[str]:
    """Create `count` issues as if imported: no history, created = updated, one `step` apart.

    They start at `start` (default: `count` steps before the sandbox's now, so the newest is
    now). `status` is a status name (default: the workflow's initial status). Returns the keys.
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
    issues = [Issue(id=first_id + i, key=f"{target.key}-{first_number + i}",
                    project_id=target.id, issuetype_id=type_id,
                    summary=f"{summary} {first_number + i}", status_id=status_id,
                    created=first_ms + i * step_ms, updated=first_ms + i * step_ms,
                    reporter=store.me,
                    custom={"customfield_10071": 1,
                            "customfield_10072": f"customer{first_number + i}@example.org"})
              for i in range(count)]
    store.add_issues_bulk(issues)
    return [issue.key for issue in issues]
