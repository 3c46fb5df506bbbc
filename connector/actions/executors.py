"""One executor per action type, behind an explicit registry; each is safe to run again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from connector.actions.decisions import choose_member, decide_escalation, picked
from connector.actions.messages import notify, render_for, survey
from connector.actions.runtime import Executor, Outcome, Runtime
from connector.config import actions as a
from connector.domain import Ticket
from connector.engine.conditions import Context, evaluate_all
from connector.engine.planner import PlannedAction
from connector.errors import BlockedError, NoTransitionError
from connector.tracker.values import UNSET, WorkflowFields

EXECUTORS: dict[type, Executor] = {}


def executes(kind: type) -> Callable[[Executor], Executor]:
    """Register the executor of one action type."""
    def register(function: Executor) -> Executor:
        EXECUTORS[kind] = function
        return function
    return register


def execute(runtime: Runtime, planned: PlannedAction, ticket: Ticket, now: datetime) -> Outcome:
    """Perform one planned action against the current mirror state of its ticket."""
    return EXECUTORS[type(planned.action)](runtime, planned, ticket, now)


def _update(runtime: Runtime, key: str, fields: WorkflowFields, *,
            restart_status: bool = False) -> None:
    """Write workflow fields; a workflow with no transition to the status asked for is a
    configuration problem (mappings.yaml names a status the workflow cannot reach): the
    effect waits."""
    try:
        runtime.tracker.update(key, fields, restart_status=restart_status)
    except NoTransitionError as error:
        raise BlockedError(f"{error}; check mappings.yaml statuses and the tracker's workflow "
                           "(`ticketflow validate --online`)") from None


def _move(runtime: Runtime, ticket: Ticket, status: str, now: datetime) -> Ticket:
    """Transition unless already there (so a replay after a crash changes nothing)."""
    if ticket.status == status:
        return ticket
    _update(runtime, ticket.key, WorkflowFields(status=status))
    return replace(ticket, status=status, status_since=now)


@executes(a.Transition)
def _transition(runtime: Runtime, planned: PlannedAction, ticket: Ticket,
                now: datetime) -> Outcome:
    assert isinstance(planned.action, a.Transition)
    target = planned.action.transition.to
    if ticket.status == target:
        return Outcome(ticket, f"already {target}", skipped=True)
    return Outcome(_move(runtime, ticket, target, now), f"{ticket.status} -> {target}")


def choose_category(runtime: Runtime, ticket: Ticket, now: datetime) -> str | None:
    """The first category whose `when` holds; else the default one."""
    ctx = Context(runtime.config, runtime.calendar, now)
    for category in runtime.config.rules.categories:
        if category.when is not None and evaluate_all(category.when, ticket, ctx).holds:
            return category.name
    return next((c.name for c in runtime.config.rules.categories if c.default), None)


@executes(a.Categorize)
def _categorize(runtime: Runtime, planned: PlannedAction, ticket: Ticket,
                now: datetime) -> Outcome:
    assert isinstance(planned.action, a.Categorize)
    category = planned.action.categorize.category or choose_category(runtime, ticket, now)
    if category is None or category == ticket.category:
        return Outcome(ticket, f"category stays {ticket.category}", skipped=True)
    _update(runtime, ticket.key, WorkflowFields(category=category))
    return Outcome(replace(ticket, category=category), f"category {category}")


def _assign_to(runtime: Runtime, ticket: Ticket, person: str) -> Ticket:
    if ticket.assignee == person:
        return ticket
    found = runtime.person(person, project=ticket.project)
    _update(runtime, ticket.key, WorkflowFields(assignee=found))
    return replace(ticket, assignee=person, assignee_name=found.display_name)


@executes(a.Assign)
def _assign(runtime: Runtime, planned: PlannedAction, ticket: Ticket, now: datetime) -> Outcome:
    assert isinstance(planned.action, a.Assign)
    spec = planned.action.assign
    person = spec.user or picked(runtime, planned, ticket, lambda due: choose_member(
        runtime, spec.role or "", spec.strategy, ticket.project, due))
    return Outcome(_assign_to(runtime, ticket, person), f"assigned {person}")


@executes(a.Escalate)
def _escalate(runtime: Runtime, planned: PlannedAction, ticket: Ticket,
              now: datetime) -> Outcome:
    assert isinstance(planned.action, a.Escalate)
    spec = planned.action.escalate
    made = decide_escalation(runtime, planned, ticket, now)
    current_tier, target, person = made.from_tier, made.to_tier, made.assignee
    if made.tier_name is None or current_tier is None or target is None or person is None:
        return Outcome(ticket, f"tier {current_tier} is the highest; nothing to escalate to",
                       skipped=True)
    # Read the tracker first: after a crash part of this may be done already, and nothing
    # may be done twice (tier, assignee, status and note are each checked before writing).
    current = runtime.tracker.ticket(ticket.key)
    resumed = current.tier == target
    holder = current.assignee.identity if current.assignee else None
    found = runtime.person(person, project=ticket.project)
    fields = WorkflowFields(tier=UNSET if resumed else target,
                            assignee=UNSET if holder == person else found, status=spec.status)
    # Assigned -> Assigned is a real transition (escalate again); take it even when already
    # there, so the ticket's stay in the status restarts for the next tier's clock.
    _update(runtime, ticket.key, fields, restart_status=not resumed)
    moved = replace(ticket, tier=target, assignee=person, assignee_name=found.display_name,
                    status=spec.status, status_since=now)
    note = (f"Escalated by ticketflow from tier {current_tier} to tier {target} "
            f"({made.tier_name}) after {made.waited} of business time in {made.waited_status}; "
            f"assigned to {person} (rule \"{planned.rule}\").")
    marker = f"Escalated by ticketflow from tier {current_tier} to tier {target} "
    if not any(c.body.startswith(marker) for c in current.comments):
        runtime.tracker.add_comment(ticket.key, note, public=False)
    return Outcome(moved, f"tier {current_tier} -> {target}, assigned {person}")


@executes(a.Comment)
def _comment(runtime: Runtime, planned: PlannedAction, ticket: Ticket, now: datetime) -> Outcome:
    assert isinstance(planned.action, a.Comment)
    spec = planned.action.comment
    rendered = render_for(runtime, planned, ticket, spec.template, now)
    runtime.tracker.add_comment(ticket.key, rendered.text, public=spec.public)
    return Outcome(ticket, f"{'public' if spec.public else 'internal'} comment {spec.template}")


EXECUTORS[a.Notify] = notify
EXECUTORS[a.Survey] = survey
