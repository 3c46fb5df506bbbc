"""The demo's closing summary, read from the state the real service wrote."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from connector.state.store import SqlStateStore


def _rows(store: SqlStateStore, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in store.db.execute(sql).fetchall()]


def summary_lines(store: SqlStateStore, *, output: Path) -> list[str]:
    """Tickets, escalations, messages by template, surveys, and where the mail is."""
    tickets = _rows(store, "SELECT key, status, tier, category FROM tickets ORDER BY issue_id")
    escalations = _rows(store, "SELECT issue_key, detail FROM ledger "
                        "WHERE action LIKE '%:escalate' AND status = 'done' ORDER BY created_at")
    messages = Counter({str(template): int(str(count)) for template, count in _rows(
        store, "SELECT template, count(*) FROM outbox WHERE status = 'sent' GROUP BY template")})
    held = _rows(store, "SELECT recipient, template, status FROM outbox WHERE status != 'sent'")
    lines = ["", "Summary", "-------",
             f"tickets: {len(tickets)}"]
    lines += [f"  {key}: {status}, tier {tier or 1}, {category or 'uncategorised'}"
              for key, status, tier, category in tickets]
    lines.append(f"escalations: {len(escalations)}")
    lines += [f"  {key}: {detail}" for key, detail in escalations]
    lines.append(f"messages sent: {sum(messages.values())}")
    lines += [f"  {template}: {count}" for template, count in sorted(messages.items())]
    lines.append(f"surveys: {messages.get('feedback_request', 0)}")
    skipped = _rows(store, "SELECT issue_key, detail FROM ledger WHERE status IN "
                    "('skipped', 'failed') AND action LIKE '%:notify'")
    if skipped or held:
        lines.append("not sent:")
        lines += [f"  {key}: {detail}" for key, detail in skipped]
        lines += [f"  {template} to {recipient}: {status}" for recipient, template, status in held]
    lines.append(f"the messages are .eml files in {output / 'outbox'}/")
    return lines
