"""The report's sections: for each, what it shows in words, its chart and the table behind it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from connector.report.figures import Figures
from connector.report.markup import NONE, hours, link, share, table, text, when
from connector.report.svg import BROKEN, KEPT, LIGHT, PALETTE, Series, bars, columns, line
from connector.report.voice import MAIL_CLASSES

# The page lists this many rows of its long lists; JSON and CSV carry them all.
LISTED = 50
_PROMISES = {"first_response": "first response", "resolve": "resolution"}


def _day(day: date) -> str:
    return day.strftime("%-d %b")


def _section(ident: str, heading: str, about: str, *parts: str) -> str:
    return (f'<section id="{ident}"><h2>{text(heading)}</h2><p>{about}</p>'
            f"{''.join(parts)}</section>")


def _figure(svg: str, caption: str) -> str:
    """A chart with its visible caption (the SVG's own title is for screen readers)."""
    return (f'<figure class="chart-box"><figcaption>{text(caption)}</figcaption>{svg}'
            "</figure>")


def _more(total: int) -> str:
    return (f'<p class="note">The {LISTED} first of {total} are listed; '
            "<code>--format csv</code> gives them all.</p>" if total > LISTED else "")


def volume(figures: Figures) -> str:
    days = sorted({r.day for r in figures.volume})
    names = list(dict.fromkeys(r.category for r in figures.volume))  # rules.yaml's order
    cell = {(r.day, r.category): r for r in figures.volume}

    def chart(ident: str, what: str, field: str) -> str:
        series = [Series(name, [getattr(cell[(d, name)], field) for d in days])
                  for name in names]
        title = f"Tickets {what} per day, by category"
        return _figure(columns(ident, title=title, desc=f"Stacked columns: tickets {what} "
                               "each day of the period, one colour per category.",
                               labels=[_day(d) for d in days], series=series, unit="tickets"),
                       title)

    rows = [[text(r.day.isoformat()), text(r.category), str(r.opened), str(r.completed)]
            for r in figures.volume if r.opened or r.completed]
    return _section("volume", "Tickets opened and completed",
                    "Tickets created each day, and completions (each entry into a Done "
                    "status: a reopened ticket completes again), by category.",
                    chart("chart-opened", "opened", "opened"),
                    chart("chart-completed", "completed", "completed"),
                    table("Opened and completed per day", ["Day", "Category", "Opened",
                          "Completed"], rows, numeric=[2, 3]))


def time_in_status(figures: Figures) -> str:
    rows = figures.time_in_status
    ended = [r for r in rows if r.median_hours is not None]
    labels = [f"Tier {r.tier} · {r.status}" for r in ended]
    median = [r.median_hours for r in ended]
    rest = [(r.p90_hours or 0) - (r.median_hours or 0) for r in ended]
    title = "Time in each status, per tier: median and p90 (business hours)"
    svg = bars("chart-status", title=title,
               desc="For each tier and status, the median stay (dark) and the 90th percentile "
               "(the whole bar) of the stays that ended in the period.", labels=labels,
               series=[Series("median", median, PALETTE[0]), Series("to p90", rest, LIGHT)],
               unit="business hours", notes=[f"{r.median_hours:.1f} / {r.p90_hours:.1f}"
                                             for r in ended],
               empty="No stay ended in this period")
    cells = [[str(r.tier), text(r.status), str(r.stays), hours(r.median_hours),
              hours(r.p90_hours), str(r.waiting_now), hours(r.longest_wait_hours)]
             for r in rows]
    return _section("status", "Time in status per tier",
                    "How long tickets stayed in each status at each tier, in business hours "
                    "of the team's calendar: median and 90th percentile of the stays that "
                    "ended in the period; and the open tickets still there now, with the "
                    "longest wait so far. Done statuses are left out.", _figure(svg, title),
                    table("Stays per tier and status", ["Tier", "Status", "Stays ended",
                          "Median", "p90", "Waiting now", "Longest wait"], cells,
                          numeric=[0, 2, 3, 4, 5, 6]))


def escalations(figures: Figures) -> str:
    weeks = [date.fromisoformat(r.week) for r in figures.escalation_share if r.week != "all"]
    steps = sorted({(r.from_tier, r.to_tier) for r in figures.escalations})
    counts = {(r.week, r.from_tier, r.to_tier): r.escalations for r in figures.escalations}
    series = [Series(f"tier {low} → {high}", [counts.get((w, low, high), 0) for w in weeks])
              for low, high in steps]
    title = "Escalations per week, by tier"
    svg = columns("chart-escalations", title=title,
                  desc="Stacked columns: raises of a ticket's tier each week, one colour per "
                  "step (tier 1 to 2, 2 to 3...).",
                  labels=[f"wk {_day(w)}" for w in weeks], series=series, unit="escalations")
    total = figures.escalation_share[-1]
    shares = [[text("whole period" if r.week == "all" else f"week of {r.week}"), str(r.opened),
               str(r.escalated), share(r.share)] for r in figures.escalation_share]
    rows = [[text(r.week.isoformat()), f"{r.from_tier} → {r.to_tier}", str(r.escalations)]
            for r in figures.escalations]
    return _section("escalations", "Escalations",
                    "Each raise of a ticket's tier, by ticketflow's rules or by hand. "
                    f"<strong>{share(total.share)}</strong> of the {total.opened} tickets "
                    "opened in the period were escalated.", _figure(svg, title),
                    table("Escalations per week", ["Week of", "Tiers", "Escalations"], rows,
                          numeric=[2]),
                    table("Share of the tickets opened that were escalated",
                          ["Opened", "Tickets", "Escalated", "Share"], shares,
                          numeric=[1, 2, 3]))


def promises(figures: Figures, zone: ZoneInfo) -> str:
    rows = figures.promises
    labels = [f"Tier {r.tier} · {r.promise.replace('_', ' ')} in {r.limit}" for r in rows]
    title = "Promises kept and broken, per tier"
    svg = bars("chart-promises", title=title, desc="For each tier and "
               "promise, the tickets opened in the period that were answered or resolved in "
               "time (green) and late or still overdue (orange).", labels=labels,
               series=[Series("kept", [r.kept for r in rows], KEPT),
                       Series("broken", [r.breached for r in rows], BROKEN)],
               unit="tickets", notes=[f"{share(r.kept_share)} kept" for r in rows],
               empty="No promise came due in this period")
    cells = [[str(r.tier), text(_PROMISES[r.promise]), text(r.limit), str(r.kept),
              str(r.breached), share(r.kept_share), str(r.not_yet_due)] for r in rows]
    listed = figures.breaches[:LISTED]
    breaches = [[link(b.key, b.link), text(b.summary), text(_PROMISES[b.promise]),
                 str(b.tier), when(b.due, zone), when(b.met_at, zone) if b.met_at
                 else "not yet", hours(b.late_hours)] for b in listed]
    meta = figures.meta
    return _section(
        "promises", "Promises kept",
        "The <code>timeframes</code> of rules.yaml, on the team's calendar. <strong>First "
        f"response</strong> is the first move out of {text(meta.initial_status)}, counted "
        "from the ticket's creation. <strong>Resolution</strong> is the first entry into a "
        "Done status, against the tier it was resolved at, counted from when it reached that "
        "tier (the last ETA its customer was given). Tickets opened in the period; "
        f"{meta.first_response_unmeasured} were first seen past "
        f"{text(meta.initial_status)} and {meta.resolve_unmeasured} already done, so those "
        "promises are not measured.", _figure(svg, title),
        table("Promises per tier", ["Tier", "Promise", "Limit", "Kept", "Broken", "Kept %",
              "Not yet due"], cells, numeric=[0, 3, 4, 5, 6]),
        table("Promises broken, most overdue first", ["Ticket", "Summary", "Promise", "Tier",
              "Due", "Met", "Late by"], breaches, numeric=[3, 6],
              empty="No promise was broken."), _more(len(figures.breaches)))


def satisfaction(figures: Figures, zone: ZoneInfo) -> str:
    scores = figures.satisfaction
    given = sum(r.answers for r in scores)
    average = sum(r.score * r.answers for r in scores) / given if given else None
    bars_svg = columns("chart-scores", title="Satisfaction scores", desc="Columns: how many "
                       "answers gave each score from 1 (very unsatisfied) to 5 (very "
                       "satisfied).", labels=[str(r.score) for r in scores],
                       series=[Series("answers", [r.answers for r in scores], PALETTE[2])],
                       unit="answers", empty="No answer in this period")
    trend = figures.satisfaction_trend
    line_svg = line("chart-trend", title="Average score per week", desc="A line through "
                    "each week's average score, 1 to 5; a gap where nobody answered.",
                    labels=[f"wk {_day(r.week)}" for r in trend],
                    values=[r.average for r in trend], top=5, unit="average score",
                    empty="No answer in this period")
    listed = figures.satisfaction_comments[:LISTED]
    comments = [[link(c.key, c.link), str(c.score), text(c.comment), when(c.at, zone)]
                for c in listed]
    said = f"an average of <strong>{average:.2f}</strong>" if average is not None else "none"
    return _section(
        "satisfaction", "Satisfaction",
        f"Answers to the feedback survey first given in the period: {given}, {said}. A "
        "changed answer counts with its latest score.",
        _figure(bars_svg, "Satisfaction scores"), _figure(line_svg, "Average score per week"),
        table("Scores", ["Score", "Answers"], [[str(r.score), str(r.answers)] for r in scores],
              numeric=[0, 1]),
        table("Average per week", ["Week of", "Answers", "Average"],
              [[text(r.week.isoformat()), str(r.answers), NONE if r.average is None
                else f"{r.average:.2f}"] for r in trend], numeric=[1, 2]),
        table("Comments, newest first", ["Ticket", "Score", "Comment", "Answered"], comments,
              numeric=[1], empty="No comment in this period."),
        _more(len(figures.satisfaction_comments)))


def mail(figures: Figures) -> str:
    names = [name.replace("_", " ") for name in MAIL_CLASSES]
    series = [Series(name, [getattr(r, field) for r in figures.mail])
              for name, field in zip(names, MAIL_CLASSES, strict=True)]
    title = "Mail intake per day"
    svg = columns("chart-mail", title=title, desc="Stacked columns: the "
                  "messages read each day, by what intake made of them.",
                  labels=[_day(r.day) for r in figures.mail], series=series, unit="messages",
                  empty="No mail read in this period")
    rows = [[text(r.day.isoformat()), *(str(getattr(r, f)) for f in MAIL_CLASSES)]
            for r in figures.mail if any(getattr(r, f) for f in MAIL_CLASSES)]
    return _section(
        "mail", "Mail intake",
        "What the helpdesk mailbox brought each day, each message counted once: a new ticket, "
        "a comment, a reply that reopened its ticket, a bounce, an automatic reply, set "
        "aside in the quarantine, or still waiting (the tracker was unavailable).",
        _figure(svg, title), table("Mail per day", ["Day", *names], rows,
                            numeric=list(range(1, 8))))


def slowest(figures: Figures) -> str:
    rows = figures.slowest
    title = "The slowest open tickets (business hours open)"
    svg = bars("chart-slowest", title=title, desc="Horizontal bars: "
               "business hours since each open ticket was created.",
               labels=[f"{r.key} {r.summary}" for r in rows],
               series=[Series("business hours open", [r.age_hours for r in rows],
                              PALETTE[5])], unit="business hours",
               empty="No open ticket")
    cells = [[link(r.key, r.link), text(r.summary), text(r.status), str(r.tier),
              text(r.assignee or NONE), hours(r.age_hours), hours(r.in_status_hours),
              "<br>".join(text(line) for line in r.explain)] for r in rows]
    return _section(
        "slowest", "Slowest open tickets",
        "The open tickets with the most business time since they were created, with what "
        "<code>ticketflow explain</code> says of their time rules.", _figure(svg, title),
        table("Slowest open tickets", ["Ticket", "Summary", "Status", "Tier", "Assignee",
              "Open for", "In status", "Explain"], cells, numeric=[3, 5, 6],
              empty="No open ticket."))


SECTIONS: Sequence[tuple[str, str]] = (
    ("volume", "Volume"), ("status", "Time in status"), ("escalations", "Escalations"),
    ("promises", "Promises"), ("satisfaction", "Satisfaction"), ("mail", "Mail"),
    ("slowest", "Slowest"))
