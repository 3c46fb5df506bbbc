"""Random tickets, time rules and calendars for the due index's property tests: every kind of
condition nested in `all`/`any`/`not`, business and wall time, zones with DST changes and odd
offsets, holidays, odd working hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from connector.config.loader import Config, load_config
from connector.config.models import Calendar, Rule, TierDef
from connector.domain import Ticket
from connector.engine.calendar import BusinessCalendar

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = load_config(ROOT)
# A Monday before the spring DST changes (US 8 March, EU 29 March, Sydney and Chatham end
# theirs 5 April): tickets and clocks around it cross them.
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ZONES = ("America/Chicago", "Europe/Berlin", "Australia/Sydney", "America/St_Johns",
         "Asia/Kolkata", "Pacific/Chatham", "UTC")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STATUSES = ("Pending", "Reviewing", "Assigned", "In Progress")
CATEGORIES = ("Access", "Data export", "Project setup", "Other")
USERS = ("alice@example.edu", "bob@example.edu", "dave@example.edu")
LABELS = ("vip", "bug", "waiting")


@dataclass(frozen=True)
class Case:
    """A configuration (its rules, tiers and calendar) and the calendar built from it."""

    config: Config
    calendar: BusinessCalendar


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    """Any zone of ZONES, any non-empty set of workdays, hours from 1 minute to all day."""
    opens = draw(st.integers(0, 24 * 60 - 1))
    closes = draw(st.integers(opens + 1, 24 * 60))
    holidays = draw(st.lists(st.dates(date(2026, 2, 1), date(2026, 4, 30)), max_size=8))
    return Calendar.model_validate({
        "timezone": draw(st.sampled_from(ZONES)),
        "workdays": draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7,
                                  unique=True)),
        "hours": f"{_clock(opens)}-{_clock(closes)}", "holidays": holidays})


durations = st.one_of(
    st.integers(1, 900).map(lambda n: f"{n}m"),
    st.integers(1, 72).map(lambda n: f"{n}h"),
    st.integers(1, 30).map(lambda n: f"{n} business hours"),
    st.integers(1, 5).map(lambda n: f"{n} business days"),
    st.sampled_from(["1h30m", "1 day 4 hours", "2 business days 3 business hours"]),
)


@st.composite
def elapsed(draw: st.DrawFn) -> dict[str, Any]:
    """`{over: ..., under: ..., business: ...}` with at least one bound."""
    spec: dict[str, Any] = {}
    over = draw(st.sampled_from(["duration", "tier_limit", "none"]))
    if over != "none":
        spec["over"] = "tier_limit" if over == "tier_limit" else draw(durations)
    if over == "none" or draw(st.booleans()):
        spec["under"] = draw(durations)
    if draw(st.booleans()):
        spec["business"] = draw(st.booleans())
    return spec


timed = st.builds(lambda kind, spec: {kind: spec},
                  st.sampled_from(["time_in_status", "age", "since_customer_reply"]), elapsed())
timeless = st.one_of(
    st.lists(st.sampled_from(STATUSES), min_size=2, max_size=4, unique=True).map(
        lambda s: {"status": s}),
    st.lists(st.integers(1, 3), min_size=1, max_size=2, unique=True).map(lambda t: {"tier": t}),
    st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2, unique=True).map(
        lambda c: {"category": c}),
    st.sampled_from(["(?i)export", "locked", "^Data"]).map(lambda p: {"text_matches": p}),
    st.sampled_from(["none", "any", {"role": "tier2"}, {"user": "bob@example.edu"}]).map(
        lambda a: {"assignee": a}),
    st.sampled_from([["uni.example.edu"], ["other.org", "example.edu"]]).map(
        lambda d: {"reporter_domain": d}),
    st.sampled_from([{"any_of": ["vip"]}, {"all_of": ["bug", "vip"]}, {"none_of": ["waiting"]}]
                    ).map(lambda spec: {"labels": spec}),
)
conditions = st.recursive(
    st.one_of(timed, timed, timed, timeless),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda items: {"all": items}),
        st.lists(inner, min_size=1, max_size=3).map(lambda items: {"any": items}),
        st.lists(inner, min_size=1, max_size=2).map(lambda items: {"not": items})),
    max_leaves=6)


@st.composite
def rules(draw: st.DrawFn) -> list[Rule]:
    """One to three time rules (sometimes disabled), now and then beside an event rule."""
    found = []
    for index in range(draw(st.integers(1, 3))):
        found.append(Rule.model_validate({
            "name": f"rule {index}", "on": "schedule", "enabled": draw(st.sampled_from(
                [True, True, True, False])),
            "if": draw(st.lists(conditions, min_size=1, max_size=2)),
            "then": [{"notify": {"to": "customer", "template": "escalated"}},
                     {"notify": {"to": "assignee", "template": "assigned_to_you"}}]}))
    if draw(st.booleans()):
        found.append(Rule.model_validate({
            "name": "on created", "on": "created", "if": [{"age": {"over": "1m"}}],
            "then": [{"notify": {"to": "customer", "template": "request_submitted"}}]}))
    return found


@st.composite
def tiers(draw: st.DrawFn) -> list[TierDef]:
    """Tiers 1 to 3 (some missing, some without a limit), limits by category now and then."""
    found = []
    for level, role in ((1, "platform_support"), (2, "tier2"), (3, "tier3")):
        if level > 1 and not draw(st.booleans()):
            continue
        limit = draw(st.none() | durations)
        by_category = draw(st.dictionaries(st.sampled_from(CATEGORIES), durations, max_size=2))
        found.append(TierDef.model_validate({"tier": level, "name": f"Tier {level}",
                                             "role": role, "escalate_after": limit,
                                             "by_category": by_category}))
    return found


def config_of(rule_list: list[Rule], calendar: Calendar, tier_list: list[TierDef]) -> Config:
    """The shipped configuration with these rules, calendar and tiers."""
    file = SHIPPED.rules.model_copy(update={"rules": rule_list, "calendar": calendar,
                                            "tiers": tier_list})
    return Config(file, SHIPPED.mappings, SHIPPED.templates, SHIPPED.config_dir, SHIPPED.files)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    config = config_of(draw(rules()), draw(calendars()), draw(tiers()))
    return Case(config, BusinessCalendar.from_config(config.rules.calendar))


def _instant(draw: st.DrawFn, low_days: int, high_days: int) -> datetime:
    seconds = draw(st.integers(low_days * 86400, high_days * 86400))
    return START + timedelta(seconds=seconds, microseconds=draw(st.integers(0, 999_999)))


@st.composite
def tickets(draw: st.DrawFn, number: int = 1) -> Ticket:
    """An open ticket that entered its status up to 2 days before START (or, on a tracker
    clock ahead of the host's, up to a day after), created up to 3 days before that."""
    since = _instant(draw, -2, 1)
    created = since - timedelta(seconds=draw(st.integers(0, 3 * 86400)))
    reply = draw(st.none() | st.integers(0, 5 * 86400).map(
        lambda s: created + timedelta(seconds=s)))
    return Ticket(
        issue_id=str(10_000 + number), key=f"HELP-{number}", project="HELP",
        status=draw(st.sampled_from(STATUSES)), status_since=since, created=created,
        updated=since, summary=draw(st.sampled_from(["Data export fails", "locked out", "Hi"])),
        assignee=draw(st.none() | st.sampled_from(USERS)),
        tier=draw(st.none() | st.integers(1, 3)),
        category=draw(st.none() | st.sampled_from(CATEGORIES)),
        customer=draw(st.sampled_from([None, "pat@uni.example.edu", "lee@other.org"])),
        labels=tuple(draw(st.lists(st.sampled_from(LABELS), max_size=2, unique=True))),
        last_customer_reply=reply)
