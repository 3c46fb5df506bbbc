"""Perform recorded effects: each ledger row is checked against today's rules, then performed
and marked in the transaction that queues its mail."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import cast, get_args

from connector.actions.executors import execute
from connector.actions.runtime import Outcome, Runtime
from connector.config.actions import Action
from connector.domain import Ticket
from connector.engine.events import Event, EventKind
from connector.engine.planner import PlannedAction
from connector.engine.replay import replay
from connector.errors import AuthError, BlockedError, SkippableError, TrackerError
from connector.state.base import Effect, EffectStatus, StateStore, Transaction
from connector.sync.derive import Side

log = logging.getLogger(__name__)

# Actions that change the ticket: one blocked until the configuration is fixed is dropped if
# the ticket has moved on meanwhile (an escalation must not pull back a ticket now in work).
CHANGES_TICKET = frozenset({"transition", "categorize", "assign", "escalate"})
# Actions the later actions of their rule and trigger wait for: a customer told "assigned"
# when nothing was assigned is worse than a notice that comes late.
GATES = frozenset({"transition", "assign", "escalate"})
_EVENT_KINDS = frozenset(get_args(EventKind))


@dataclass(frozen=True)
class Performed:
    """One effect's result, for timelines and metrics."""

    effect: Effect
    outcome: str
    status: str


Reporter = Callable[[Performed], None]


def planned_from(effect: Effect, action: Action, issue_id: str) -> PlannedAction:
    """The planned action of a ledger row, with the event that triggered it as recorded
    (rows of an older ticketflow recorded no event: they are rebuilt as `schedule`)."""
    recorded = effect.event
    at = (recorded.at if recorded else None) or effect.created_at or datetime.min
    event = Event(kind="schedule", issue_id=issue_id, issue_key=effect.issue_key, at=at,
                  trigger=effect.trigger)
    if recorded is not None and recorded.kind in _EVENT_KINDS:
        event = replace(event, kind=cast("EventKind", recorded.kind),
                        from_status=recorded.from_status, to_status=recorded.to_status,
                        field=recorded.field, by=cast("Side | None", recorded.by))
    index = effect.identity.index if effect.identity else int(effect.action.partition(":")[0])
    return PlannedAction(effect.effect_key, issue_id, effect.issue_key, effect.rule, index,
                         action, event, recorded.ticket_status if recorded else None,
                         recorded.ticket_status_since if recorded else None)


def perform_pending(store: StateStore, runtime: Runtime, now: datetime,
                    report: Reporter | None = None) -> list[Performed]:
    """Perform every pending and blocked ledger row, oldest first; one failing issue does not
    stop the others."""
    results = []
    for effect in store.pending_effects():
        results.append(_perform(store, runtime, effect, now))
        if report:
            report(results[-1])
    return results


def _identity(effect: Effect) -> tuple[int, str, str, str]:
    """(index, kind, definition, digest) of a row; older rows only had "1:notify"."""
    if effect.identity is not None:
        i = effect.identity
        return i.index, i.kind, i.definition, i.digest
    index, _, kind = effect.action.partition(":")
    return (int(index) if index.isdigit() else -1), kind, "", ""


def _held(store: StateStore, runtime: Runtime, effect: Effect,
          ticket: Ticket | None) -> tuple[Action | None, EffectStatus, str]:
    """The action to perform, or why not: its ticket is gone, rules.yaml changed under it, an
    earlier action of its rule and trigger holds it back, or it waited for a configuration
    fix while its ticket moved on."""
    if ticket is None:
        return None, "skipped", "its ticket is no longer in the mirror"
    index, kind, definition, digest = _identity(effect)
    found = replay(runtime.config.rules.rules, rule=effect.rule, index=index, kind=kind,
                   recorded=definition, recorded_digest=digest)
    if found.action is None:
        return None, "superseded", found.reason
    for earlier in store.effects_for(effect.issue_key):
        earlier_index, earlier_kind, _, _ = _identity(earlier)
        if (earlier.rule != effect.rule or earlier.trigger != effect.trigger
                or earlier_index >= index or earlier_kind not in GATES):
            continue
        what = f"{earlier_kind} (action {earlier_index}) of rule '{effect.rule}'"
        if earlier.status == "blocked":
            return None, "blocked", f"waits for {what}, blocked: {earlier.detail}"
        if earlier.status == "failed":
            return None, "skipped", f"not performed: {what} failed: {earlier.detail}"
        if earlier.status == "superseded":
            return None, "superseded", f"not performed: {what} was superseded"
    then = effect.event
    if (effect.status == "blocked" and kind in CHANGES_TICKET and then is not None
            and then.ticket_status_since is not None
            and (then.ticket_status, then.ticket_status_since)
            != (ticket.status, ticket.status_since)):
        return None, "superseded", (f"waited for a configuration fix while {ticket.key} moved "
                                    f"from {then.ticket_status} to {ticket.status}; "
                                    "no longer applies, not performed")
    return found.action, "pending", ""


def _attempt(runtime: Runtime, planned: PlannedAction, ticket: Ticket,
             now: datetime) -> tuple[EffectStatus, str, Outcome | None]:
    try:
        outcome = execute(runtime, planned, ticket, now)
    except AuthError:
        raise  # the credentials are wrong: nothing else will work either
    except BlockedError as error:
        return "blocked", str(error), None
    except SkippableError as error:
        return "skipped", str(error), None
    except TrackerError as error:  # a refusal about this issue (403, 404, 400): it fails alone
        return "failed", str(error), None
    return ("skipped" if outcome.skipped else "done"), outcome.detail, outcome


def _perform(store: StateStore, runtime: Runtime, effect: Effect, now: datetime) -> Performed:
    ticket = store.ticket_by_key(effect.issue_key)
    action, status, detail = _held(store, runtime, effect, ticket)
    outcome: Outcome | None = None
    if action is not None and ticket is not None:
        planned = planned_from(effect, action, ticket.issue_id)
        status, detail, outcome = _attempt(runtime, planned, ticket, now)
    mark = replace(effect, status=status, detail=detail, done_at=now)
    store.commit(Transaction(
        tickets=[outcome.ticket] if outcome else [],
        outbox=list(outcome.outbox) if outcome else [], marks=[mark],
        message_ids=[(m, effect.issue_key, "out") for m in outcome.message_ids] if outcome
        else []))
    # Said once, when it starts waiting; its later tries are routine.
    starts_waiting = status == "blocked" and effect.status != "blocked"
    level = logging.WARNING if starts_waiting else logging.INFO
    log.log(level, "effect %s", status, extra={"ticket": effect.issue_key, "rule": effect.rule,
                                               "action": effect.action, "outcome": detail})
    return Performed(mark, detail, status)
