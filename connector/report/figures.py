"""Every number of every chart, from one `ReportState` and the rules: pure, no I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta

from connector.config.loader import Config
from connector.engine.calendar import BusinessCalendar
from connector.report.flow import (
    EscalationRow,
    EscalationShareRow,
    StatusTimeRow,
    VolumeRow,
    escalation_share,
    escalations,
    raises,
    time_in_status,
    volume,
)
from connector.report.periods import LocalDays, day_of
from connector.report.promises import BreachRow, PromiseRow, promise_figures
from connector.report.records import STEPS, ReportState, StayRow, Step, no_step
from connector.report.slowest import SlowRow, slowest
from connector.report.timeline import BusinessTimeline
from connector.report.voice import (
    CommentRow,
    MailDayRow,
    ScoreRow,
    TrendRow,
    mail_days,
    satisfaction,
)

Link = Callable[[str], str | None]


def no_link(key: str) -> str | None:
    """Without a tracker URL, tickets are named, not linked."""
    del key
    return None


@dataclass(frozen=True)
class Meta:
    """What the report covers, and what it could not measure."""

    project: str | None
    since: datetime
    now: datetime
    timezone: str
    history_since: datetime | None  # the status history is whole for tickets created after
    initial_status: str
    opened: int
    completed: int
    first_response_unmeasured: int  # opened tickets first seen past the initial status
    resolve_unmeasured: int  # opened tickets first seen already done


@dataclass(frozen=True)
class Figures:
    """The report: its metadata and one list of rows per table (each table is a CSV)."""

    meta: Meta
    volume: list[VolumeRow]
    time_in_status: list[StatusTimeRow]
    escalations: list[EscalationRow]
    escalation_share: list[EscalationShareRow]
    promises: list[PromiseRow]
    breaches: list[BreachRow]
    satisfaction: list[ScoreRow]
    satisfaction_trend: list[TrendRow]
    satisfaction_comments: list[CommentRow]
    mail: list[MailDayRow]
    slowest: list[SlowRow]

    @staticmethod
    def table_names() -> list[str]:
        return [f.name for f in fields(Figures) if f.name != "meta"]


def stays_by_ticket(stays: list[StayRow]) -> dict[str, list[StayRow]]:
    """Each ticket's stays, in the order given (a source gives each ticket's in order)."""
    grouped: dict[str, list[StayRow]] = defaultdict(list)
    for stay in stays:
        grouped[stay.issue_key].append(stay)
    return grouped


def timeline_for(state: ReportState, calendar: BusinessCalendar) -> BusinessTimeline:
    """Working windows from the earliest instant the figures ask about to past the longest
    promise (later or earlier ones fall back to the calendar itself)."""
    zone, scope = calendar.zone, state.scope
    # A ticket's stays begin after it was created; an earlier one asks the calendar itself.
    earliest = min([scope.since, *(t.created for t in state.tickets)])
    return BusinessTimeline(calendar, day_of(earliest, zone),
                            day_of(scope.now, zone) + timedelta(days=92))


def build(state: ReportState, config: Config, *, link: Link = no_link,
          slowest_count: int = 10, step: Step = no_step) -> Figures:
    """The figures of `state` under these rules (calendar, workflow, timeframes); `step`
    hears each table begin."""
    rules = config.rules
    calendar = BusinessCalendar.from_config(rules.calendar)
    timeline = timeline_for(state, calendar)
    # In UTC, as the state's times are: comparing instants of one zone is ten times faster.
    scope = replace(state.scope, since=state.scope.since.astimezone(UTC),
                    now=state.scope.now.astimezone(UTC))
    days = LocalDays(calendar.zone, day_of(scope.since, calendar.zone),
                     day_of(scope.now, calendar.zone))
    done = rules.workflow.done_statuses
    histories = stays_by_ticket(state.stays)
    opened = [t for t in state.tickets if scope.since <= t.created <= scope.now]
    step(STEPS[5])
    flow = volume(state.tickets, state.stays, done=done, scope=scope, days=days,
                  categories=[c.name for c in rules.categories])
    step(STEPS[6])
    statuses = [s.name for s in rules.workflow.statuses]
    timing = time_in_status(state.tickets, state.stays, done=done, statuses=statuses,
                            scope=scope, timeline=timeline)
    step(STEPS[7])
    tier_raises = raises(histories)
    raised = escalations(tier_raises, scope=scope, days=days)
    shares = escalation_share(state.tickets, tier_raises, scope=scope, days=days)
    step(STEPS[8])
    promised = promise_figures(opened, histories, rules=rules, timeline=timeline,
                               now=scope.now, link=link)
    step(STEPS[9])
    voiced = satisfaction(state.answers, scope=scope, days=days, link=link)
    step(STEPS[10])
    mail = mail_days(state.mail, scope=scope, days=days)
    step(STEPS[11])
    slow = slowest(state.oldest_open, config=config, calendar=calendar, now=scope.now,
                   link=link, limit=slowest_count)
    meta = Meta(
        scope.project, state.scope.since, state.scope.now, rules.calendar.timezone,
        state.history_since, rules.workflow.initial, len(opened),
        sum(row.completed for row in flow), promised.first_response_unmeasured,
        promised.resolve_unmeasured)
    return Figures(meta, flow, timing, raised, shares, promised.rows, promised.breaches,
                   voiced.scores, voiced.trend, voiced.comments, mail, slow)
