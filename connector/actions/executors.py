"""One executor per action type, behind an explicit registry; each is safe to run again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from connector.actions.messages import notify, render_for, survey
from connector.actions.runtime import Executor, Outcome, Runtime
from connector.config import actions as a
from connector.config.models import RoleDef
from connector.domain import Ticket
from connector.engine.calendar import describe_seconds
from connector.engine.conditions import Context, evaluate_all
from connector.engine.planner import PlannedAction
from connector.templates.variables import Escalation

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


def _move(runtime: Runtime, ticket: Ticket, status: str, now: datetime) -> Ticket:
    """Transition unless already there (so a replay after a crash changes nothing)."""
    if ticket.status == status:
        return ticket
    runtime.tracker.transition_to(ticket.key, runtime.jira_status[status])
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
    issue = runtime.tracker.get_issue(ticket.key)
    runtime.tracker.update_fields(ticket.key, runtime.codec.updates(issue, category=category))
    return Outcome(replace(ticket, category=category), f"category {category}")


def decided_once(runtime: Runtime, what: str, effect_key: str,
                 decide: Callable[[], str]) -> str:
    """A choice an effect makes (whom to assign, which tier to go to), made the first time
    and remembered under the effect's key before anything is done with it: an action
    interrupted by a crash and performed again, after the poll has seen its partial writes,
    chooses exactly the same."""
    remembered = runtime.store.meta(f"{what} {effect_key}")
    if remembered is not None:
        return remembered
    choice = decide()
    runtime.store.set_meta(f"{what} {effect_key}", choice)
    return choice


def pick_member(runtime: Runtime, role_name: str, strategy: str | None, project: str, *,
                effect_key: str) -> str:
    """A member of the role: in turn (round_robin) or with the fewest open tickets."""
    return decided_once(runtime, "pick", effect_key,
                        lambda: _choose(runtime, role_name, strategy, project))


def _choose(runtime: Runtime, role_name: str, strategy: str | None, project: str) -> str:
    role: RoleDef = runtime.config.mappings.roles[role_name]
    if (strategy or role.assign) == "least_loaded":
        load = runtime.store.open_count_by_assignee(project)
        return min(role.users, key=lambda user: (load.get(user, 0), role.users.index(user)))
    return role.users[runtime.store.next_in_rotation(f"role:{role_name}", len(role.users))]


def _assign_to(runtime: Runtime, ticket: Ticket, person: str) -> Ticket:
    if ticket.assignee == person:
        return ticket
    user = runtime.user(person)
    runtime.tracker.assign(ticket.key, user)
    return replace(ticket, assignee=person, assignee_name=user.display_name)


@executes(a.Assign)
def _assign(runtime: Runtime, planned: PlannedAction, ticket: Ticket, now: datetime) -> Outcome:
    assert isinstance(planned.action, a.Assign)
    spec = planned.action.assign
    person = spec.user or pick_member(runtime, spec.role or "", spec.strategy, ticket.project,
                                      effect_key=planned.effect_key)
    return Outcome(_assign_to(runtime, ticket, person), f"assigned {person}")


@executes(a.Escalate)
def _escalate(runtime: Runtime, planned: PlannedAction, ticket: Ticket,
              now: datetime) -> Outcome:
    assert isinstance(planned.action, a.Escalate)
    spec = planned.action.escalate
    first = ticket.tier or 1
    step = decided_once(runtime, "tiers", planned.effect_key, lambda: f"{first}->" + str(
        first + 1 if spec.to_tier == "next" else spec.to_tier))
    current, target = (int(part) for part in step.split("->"))
    tier = next((t for t in runtime.config.rules.tiers if t.tier == target), None)
    if tier is None or target <= current:
        return Outcome(ticket, f"tier {current} is the highest; nothing to escalate to",
                       skipped=True)
    waited = runtime.calendar.business_seconds(ticket.status_since, now)
    escalation = Escalation(from_tier=current, to_tier=target, tier_name=tier.name,
                            status=ticket.status, waited=describe_seconds(waited))
    # Read Jira first: after a crash part of this may be done already, and nothing may be
    # done twice (tier, assignee, transition and note are each checked before writing).
    issue = runtime.tracker.get_issue(ticket.key)
    resumed = runtime.codec.read(issue).tier == target
    if not resumed:
        runtime.tracker.update_fields(ticket.key, runtime.codec.updates(issue, tier=target))
    person = pick_member(runtime, tier.role, None, ticket.project,
                         effect_key=planned.effect_key)
    holder = issue.assignee.email if issue.assignee else None
    moved = _assign_to(runtime, replace(ticket, tier=target, assignee=holder), person)
    # Assigned -> Assigned is a real transition (escalate again); take it even when already
    # there, so the ticket's stay in the status restarts for the next tier's clock.
    target_status = runtime.jira_status[spec.status]
    if not (resumed and issue.status == target_status):
        runtime.tracker.transition_to(ticket.key, target_status)
    moved = replace(moved, status=spec.status, status_since=now)
    note = (f"Escalated by ticketflow from tier {current} to tier {target} ({tier.name}) "
            f"after {escalation.waited} of business time in {ticket.status}; assigned to "
            f"{person} (rule \"{planned.rule}\").")
    marker = f"Escalated by ticketflow from tier {current} to tier {target} "
    if not any(c.body.startswith(marker) for c in issue.comments):
        runtime.tracker.add_comment(ticket.key, note, internal=True)
    runtime.escalations[ticket.key] = escalation
    return Outcome(moved, f"tier {current} -> {target}, assigned {person}")


@executes(a.Comment)
def _comment(runtime: Runtime, planned: PlannedAction, ticket: Ticket, now: datetime) -> Outcome:
    assert isinstance(planned.action, a.Comment)
    spec = planned.action.comment
    rendered = render_for(runtime, ticket, spec.template, now)
    runtime.tracker.add_comment(ticket.key, rendered.text, internal=not spec.public)
    return Outcome(ticket, f"{'public' if spec.public else 'internal'} comment {spec.template}")


EXECUTORS[a.Notify] = notify
EXECUTORS[a.Survey] = survey
