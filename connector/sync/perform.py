"""Perform recorded effects: each ledger row is marked in the transaction that queues its mail."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from connector.actions.executors import execute
from connector.actions.runtime import Outcome, Runtime
from connector.domain import Ticket
from connector.engine.events import Event
from connector.engine.planner import PlannedAction
from connector.errors import AuthError, SkippableError, TrackerError
from connector.state.base import Effect, StateStore, Transaction
from connector.templates.render import TemplateSecurityError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Performed:
    """One effect's result, for timelines and metrics."""

    effect: Effect
    outcome: str
    status: str


Reporter = Callable[[Performed], None]


def planned_from(effect: Effect, runtime: Runtime, issue_id: str) -> PlannedAction | None:
    """Rebuild the planned action of a ledger row from the rule it names (None if gone)."""
    rule = next((r for r in runtime.config.rules.rules if r.name == effect.rule), None)
    index = int(effect.action.partition(":")[0]) if ":" in effect.action else -1
    if rule is None or not 0 <= index < len(rule.then):
        return None
    event = Event(kind="schedule", issue_id=issue_id, issue_key=effect.issue_key,
                  at=effect.created_at or datetime.min, trigger=effect.trigger)
    return PlannedAction(effect.effect_key, issue_id, effect.issue_key, rule.name, index,
                         rule.then[index], event)


def perform_pending(store: StateStore, runtime: Runtime, now: datetime,
                    report: Reporter | None = None) -> list[Performed]:
    """Perform every pending ledger row, oldest first; one failing issue does not stop others."""
    results = []
    for effect in store.pending_effects():
        results.append(_perform(store, runtime, effect, now))
        if report:
            report(results[-1])
    return results


def _execute(runtime: Runtime, planned: PlannedAction | None, ticket: Ticket | None,
             now: datetime) -> Outcome:
    if ticket is None or planned is None:
        raise SkippableError("its ticket or rule no longer exists")
    return execute(runtime, planned, ticket, now)


def _perform(store: StateStore, runtime: Runtime, effect: Effect, now: datetime) -> Performed:
    ticket = store.ticket_by_key(effect.issue_key)
    planned = planned_from(effect, runtime, ticket.issue_id if ticket else "")
    outcome: Outcome | None = None
    try:
        outcome = _execute(runtime, planned, ticket, now)
        status = "skipped" if outcome.skipped else "done"
        detail = outcome.detail
    except AuthError:
        raise  # the credentials are wrong: nothing else will work either
    except TemplateSecurityError as error:  # a template tried to escape: an admin must look
        status, detail = "failed", str(error)
    except SkippableError as error:
        status, detail = "skipped", str(error)
    except TrackerError as error:
        status, detail = "failed", str(error)
    mark = replace(effect, status=status, detail=detail, done_at=now)  # type: ignore[arg-type]
    store.commit(Transaction(
        tickets=[outcome.ticket] if outcome else [],
        outbox=list(outcome.outbox) if outcome else [], marks=[mark],
        message_ids=[(m, effect.issue_key, "out") for m in outcome.message_ids] if outcome
        else []))
    log.info("effect %s", status, extra={"ticket": effect.issue_key, "rule": effect.rule,
                                         "action": effect.action, "outcome": detail})
    return Performed(mark, detail, status)
