"""Every number of every chart, from one `ReportState` and the rules: pure, no I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime

from connector.config.loader import Config
from connector.engine.calendar import BusinessCalendar
from connector.report.flow import (
    EscalationRow,
    EscalationShareRow,
    StatusTimeRow,
    VolumeRow,
    completions,
    escalation_share,
    escalations,
    time_in_status,
    volume,
)
from connector.report.periods import within
from connector.report.promises import BreachRow, PromiseRow, promise_figures
from connector.report.records import ReportState, StayRow
from connector.report.slowest import SlowRow, slowest
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
    """Each ticket's stays, oldest first."""
    grouped: dict[str, list[StayRow]] = defaultdict(list)
    for stay in stays:
        grouped[stay.issue_key].append(stay)
    for history in grouped.values():
        history.sort(key=lambda s: s.entered_at)  # stable: the store's order breaks ties
    return grouped


def build(state: ReportState, config: Config, *, link: Link = no_link,
          slowest_count: int = 10) -> Figures:
    """The figures of `state` under these rules (calendar, workflow, timeframes)."""
    rules, scope = config.rules, state.scope
    calendar = BusinessCalendar.from_config(rules.calendar)
    done = rules.workflow.done_statuses
    histories = stays_by_ticket(state.stays)
    opened = [t for t in state.tickets if within(t.created, scope.since, scope.now)]
    promised = promise_figures(opened, histories, rules=rules, calendar=calendar,
                               now=scope.now, link=link)
    voiced = satisfaction(state.answers, scope=scope, calendar=calendar, link=link)
    meta = Meta(
        scope.project, scope.since, scope.now, rules.calendar.timezone, state.history_since,
        rules.workflow.initial, len(opened),
        sum(within(s.entered_at, scope.since, scope.now) for s in completions(state.stays, done)),
        promised.first_response_unmeasured, promised.resolve_unmeasured)
    statuses = [s.name for s in rules.workflow.statuses]
    return Figures(
        meta=meta,
        volume=volume(state.tickets, state.stays, done=done, scope=scope, calendar=calendar,
                      categories=[c.name for c in rules.categories]),
        time_in_status=time_in_status(state.tickets, state.stays, done=done,
                                      statuses=statuses, scope=scope, calendar=calendar),
        escalations=escalations(histories, scope=scope, calendar=calendar),
        escalation_share=escalation_share(state.tickets, histories, scope=scope,
                                          calendar=calendar),
        promises=promised.rows, breaches=promised.breaches,
        satisfaction=voiced.scores, satisfaction_trend=voiced.trend,
        satisfaction_comments=voiced.comments,
        mail=mail_days(state.mail, scope=scope, calendar=calendar),
        slowest=slowest(state.oldest_open, config=config, calendar=calendar, now=scope.now,
                        link=link, limit=slowest_count),
    )
