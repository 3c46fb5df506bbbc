"""What escalate and assign decide, kept on their own ledger rows before their first write.

A rerun after a crash (in any process) finds the decision there and decides the same; the
notices of the same rule and trigger read the escalation from there when they render, so a
notice performed by the next process says what the clean run would have said.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from connector.actions.runtime import Runtime
from connector.config import actions as a
from connector.config.rules import TierDef
from connector.config.trackers import RoleDef
from connector.domain import Ticket
from connector.engine.calendar import describe_seconds
from connector.engine.conditions import Context
from connector.engine.due import held_since
from connector.engine.planner import PlannedAction
from connector.state.assignments import Pick
from connector.state.base import Decision
from connector.templates.variables import Escalation


def decision_of(runtime: Runtime, effect_key: str) -> Decision:
    """What the effect has decided so far (nothing for a row of an older ticketflow)."""
    row = runtime.store.effect(effect_key)
    return row.decision if row is not None else Decision()


def tier_named(runtime: Runtime, level: int) -> TierDef | None:
    return next((t for t in runtime.config.rules.tiers if t.tier == level), None)


def fell_due(runtime: Runtime, planned: PlannedAction, ticket: Ticket) -> datetime:
    """When the action fell due, whenever a cycle performs it: for an `on: schedule` rule,
    the instant its `if:` began to hold (an hour-long outage does not move it); for an event,
    the event's own instant. The instant the rule was found holding when neither is known."""
    event = planned.event
    rule = next((r for r in runtime.config.rules.rules if r.name == planned.rule), None)
    if event.kind != "schedule" or rule is None:
        return event.at
    stay = ticket
    if planned.ticket_status is not None and planned.status_since is not None:
        stay = replace(ticket, status=planned.ticket_status, status_since=planned.status_since)
    since = held_since(rule, stay, Context(runtime.config, runtime.calendar, event.at))
    return since or event.at


def choose_member(runtime: Runtime, role_name: str, strategy: str | None, project: str,
                  as_of: datetime) -> str:
    """A member of the role as the ticket's project staffs it: in turn (round_robin) or with
    the fewest open tickets just before `as_of` (least_loaded: when the action fell due, the
    picks ticketflow made for earlier ones counted; ties go to the first listed)."""
    mappings = runtime.config.mappings
    role: RoleDef = mappings.roles_of(project)[role_name]
    if (strategy or role.assign) == "least_loaded":
        load = runtime.store.load_as_of(project, role.users, as_of)
        return min(role.users, key=lambda user: (load.get(user, 0), role.users.index(user)))
    # The default project keeps the rotation's name from before several projects.
    turn = f"role:{role_name}" if project == mappings.project else f"role:{project}:{role_name}"
    return role.users[runtime.store.next_in_rotation(turn, len(role.users))]


def picked(runtime: Runtime, planned: PlannedAction, ticket: Ticket,
           choose: Callable[[datetime], str]) -> str:
    """The person this effect picked, or a new pick as of when the action fell due, recorded
    (with the person's hold of the ticket from then) once the tracker is known to let them
    be assigned tickets of the ticket's project (a missing user blocks the effect before
    anything is recorded or written)."""
    known = decision_of(runtime, planned.effect_key)
    if known.assignee is not None:
        return known.assignee
    due = fell_due(runtime, planned, ticket)
    person = choose(due)
    runtime.person(person, project=ticket.project)
    runtime.store.record_decision(planned.effect_key, replace(known, assignee=person),
                                  Pick(ticket.issue_id, ticket.project, person, due))
    return person


def decide_escalation(runtime: Runtime, planned: PlannedAction, ticket: Ticket,
                      now: datetime) -> Decision:
    """From and to which tier, after how long in which status, and to whom: decided at the
    first attempt and recorded before any write. `to_tier` without `tier_name` means there
    is no such tier (nothing recorded: nothing will be written)."""
    assert isinstance(planned.action, a.Escalate)
    known = decision_of(runtime, planned.effect_key)
    if known.tier_name is not None and known.assignee is not None:
        return known
    first = known.from_tier if known.from_tier is not None else (ticket.tier or 1)
    wanted = planned.action.escalate.to_tier
    target = known.to_tier or (first + 1 if wanted == "next" else int(wanted))
    tier = tier_named(runtime, target)
    if tier is None or target <= first:
        return Decision(from_tier=first, to_tier=target)
    waited = describe_seconds(runtime.calendar.business_seconds(ticket.status_since, now))
    due = fell_due(runtime, planned, ticket)
    person = known.assignee or choose_member(runtime, tier.role, None, ticket.project, due)
    # Blocked here, before anything is recorded, if the tracker lacks them in this project.
    runtime.person(person, project=ticket.project)
    decision = Decision(from_tier=first, to_tier=target, tier_name=tier.name,
                        waited_status=known.waited_status or ticket.status,
                        waited=known.waited or waited, assignee=person)
    runtime.store.record_decision(planned.effect_key, decision,
                                  Pick(ticket.issue_id, ticket.project, person, due))
    return decision


def escalation_for(runtime: Runtime, planned: PlannedAction) -> Escalation | None:
    """The escalation performed by an escalate of the same rule and trigger, as its row
    recorded it; None when there is none (the template's `{% if escalation %}` branch)."""
    for row in runtime.store.effects_for(planned.issue_key):
        made = row.decision
        if (row.rule != planned.rule or row.trigger != planned.event.trigger
                or row.status != "done" or made.from_tier is None or made.to_tier is None
                or not row.action.endswith(":escalate")):
            continue
        # Rows recorded by an older ticketflow kept the tiers only.
        tier = tier_named(runtime, made.to_tier)
        name = made.tier_name or (tier.name if tier else "")
        return Escalation(from_tier=made.from_tier, to_tier=made.to_tier, tier_name=name,
                          status=made.waited_status or "", waited=made.waited or "")
    return None
