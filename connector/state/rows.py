"""Records as rows and back: the column lists and codecs every SQL dialect shares."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from connector.domain import Ticket
from connector.state.base import (
    ActionIdentity,
    Decision,
    Effect,
    OutboxMessage,
    TriggerEvent,
)
from connector.state.timestamps import from_text, from_text_or_none, to_text, to_text_or_none

TICKET_COLUMNS = (
    "issue_id", "key", "project", "status", "status_since", "created", "updated", "summary",
    "text", "assignee", "assignee_name", "tier", "category", "customer", "reporter", "labels",
    "last_customer_reply", "resolutions", "open",
)  # fmt: skip
LEDGER_COLUMNS = (
    "effect_key", "issue_key", "rule", "action", "trigger", "status", "detail", "created_at",
    "done_at",
    "action_index", "action_kind", "action_definition", "action_digest",
    "event_kind", "event_at", "event_from", "event_to", "event_by", "event_field",
    "ticket_status", "ticket_status_since",
    "from_tier", "to_tier", "tier_name", "waited_status", "waited", "assignee",
)  # fmt: skip
DECISION_COLUMNS = LEDGER_COLUMNS[-6:]
OUTBOX_COLUMNS = (
    "id", "effect_key", "issue_key", "template", "recipient", "message", "status", "attempts",
    "next_attempt_at", "last_error", "created_at", "sent_at",
)  # fmt: skip


# Decoding helpers bound once: they run for every row of the mirror.
_dt = from_text
_json_array = json.JSONDecoder().raw_decode  # labels come from json.dumps: no padding to skip
_new = object.__new__


def ticket_row(t: Ticket) -> tuple[object, ...]:
    return (
        t.issue_id, t.key, t.project, t.status, to_text(t.status_since), to_text(t.created),
        to_text(t.updated), t.summary, t.text, t.assignee, t.assignee_name, t.tier, t.category,
        t.customer, t.reporter, json.dumps(list(t.labels)), to_text_or_none(t.last_customer_reply),
        t.resolutions, int(t.open),
    )  # fmt: skip


def ticket_from_row(row: Sequence[Any]) -> Ticket:
    """Build a Ticket from a row in TICKET_COLUMNS order (the dataclass's field order).

    This runs 100,000 times per time-rule pass, so it fills the instance's __dict__ directly:
    the frozen dataclass __init__ pays an object.__setattr__ per field (measured ~40% slower).
    A test holds TICKET_COLUMNS equal to Ticket's fields, so none can be left unset.
    """
    ticket = _new(Ticket)
    values = ticket.__dict__
    values.update(zip(TICKET_COLUMNS, row, strict=False))  # equal lengths: tested
    values["status_since"] = _dt(row[4])
    values["created"] = _dt(row[5])
    values["updated"] = _dt(row[6])
    labels = row[15]
    values["labels"] = () if labels == "[]" else tuple(_json_array(labels)[0])
    reply = row[16]
    values["last_customer_reply"] = None if reply is None else _dt(reply)
    values["open"] = row[18] == 1
    return ticket


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic GC while a page of tickets is built.

    Tickets hold no cycles, but a page allocates thousands of tracked objects; letting the GC
    run every 700 allocations over a growing heap cost a quarter of the decoding time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def decision_row(d: Decision) -> tuple[object, ...]:
    return (d.from_tier, d.to_tier, d.tier_name, d.waited_status, d.waited, d.assignee)


def effect_row(e: Effect) -> tuple[object, ...]:
    i, v = e.identity, e.event
    return (
        e.effect_key, e.issue_key, e.rule, e.action, e.trigger, e.status, e.detail,
        to_text_or_none(e.created_at), to_text_or_none(e.done_at),
        i.index if i else None, i.kind if i else None, i.definition if i else None,
        i.digest if i else None,
        v.kind if v else None, to_text_or_none(v.at) if v else None,
        v.from_status if v else None, v.to_status if v else None, v.by if v else None,
        v.field if v else None, v.ticket_status if v else None,
        to_text_or_none(v.ticket_status_since) if v else None,
        *decision_row(e.decision),
    )  # fmt: skip


def effect_from_row(row: Sequence[Any]) -> Effect:
    identity = None if row[9] is None else ActionIdentity(row[9], row[10], row[11] or "",
                                                          row[12] or "")
    event = None if row[13] is None else TriggerEvent(
        row[13], from_text_or_none(row[14]), row[15], row[16], row[17], row[18], row[19],
        from_text_or_none(row[20]))
    return Effect(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6],
        from_text_or_none(row[7]), from_text_or_none(row[8]), identity, event,
        Decision(*row[21:27]),
    )  # fmt: skip


def outbox_row(m: OutboxMessage) -> tuple[object, ...]:
    return (
        m.effect_key, m.issue_key, m.template, m.recipient, m.message, m.status, m.attempts,
        to_text_or_none(m.next_attempt_at), m.last_error, to_text_or_none(m.created_at),
        to_text_or_none(m.sent_at),
    )  # fmt: skip


def outbox_from_row(row: Sequence[Any]) -> OutboxMessage:
    return OutboxMessage(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
        from_text_or_none(row[8]), row[9], from_text_or_none(row[10]), from_text_or_none(row[11]),
    )  # fmt: skip


