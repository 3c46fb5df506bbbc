"""The report as one self-contained HTML page: inline CSS for screen, phone and print, inline
SVG charts, no script, and a Content-Security-Policy that lets it fetch nothing at all."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from connector.report import sections
from connector.report.figures import Figures
from connector.report.markup import NONE, share, text, when

# The page may load nothing: no script, font, image or style from anywhere (the SVG is
# inline, the CSS in <style>). A link to a ticket is a navigation, which the policy allows.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"

_CSS = """
:root{color-scheme:light;--ink:#1d1d1f;--muted:#5a5a60;--line:#d8d8de;--band:#f4f5f7}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",
Arial,sans-serif;color:var(--ink);background:#fff}
header,main,footer{max-width:64rem;margin:0 auto;padding:0 1rem}
header{padding-top:1.25rem}
h1{font-size:1.6rem;margin:0 0 .25rem}
h2{font-size:1.25rem;margin:2rem 0 .5rem;padding-top:.5rem;border-top:2px solid var(--line)}
p{margin:.4rem 0 .8rem}
.meta,.note,caption{color:var(--muted)}
nav{margin:.75rem 0;display:flex;flex-wrap:wrap;gap:.25rem .9rem}
nav a{color:#0b5cad}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.6rem;
margin:1rem 0}
.tile{background:var(--band);border-radius:6px;padding:.6rem .75rem}
.tile b{display:block;font-size:1.45rem}
.chart-box{margin:1rem 0;overflow-x:auto}
figcaption{font-weight:600;margin:0 0 .25rem}
svg.chart{display:block;width:100%;height:auto;max-width:48rem}
svg.chart text{fill:var(--ink)}
svg.chart .grid{stroke:var(--line);stroke-width:1}
svg.chart .unit,svg.chart .note{fill:var(--muted)}
svg.chart rect.mark:hover,svg.chart circle.mark:hover{opacity:.8}
.table{overflow:auto;max-height:24rem;margin:.5rem 0 1rem;border:1px solid var(--line)}
table{border-collapse:collapse;width:100%;font-size:.9rem}
caption{text-align:left;padding:.4rem .5rem;font-weight:600}
th,td{padding:.3rem .5rem;border-top:1px solid var(--line);vertical-align:top;text-align:left}
th{position:sticky;top:0;background:var(--band)}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
a{color:#0b5cad}
footer{margin:2rem auto;color:var(--muted);font-size:.85rem}
@media (max-width:40rem){
body{font-size:14px}
svg.chart{min-width:30rem}
th,td{padding:.25rem .35rem}
}
@media print{
body{font-size:10pt}
nav{display:none}
header,main,footer{max-width:none;padding:0}
section{break-inside:auto}
figure,.tile,tr{break-inside:avoid}
h2{break-after:avoid}
.table{max-height:none;overflow:visible;border:none}
svg.chart{max-width:100%;min-width:0}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
a{color:inherit;text-decoration:none}
}
"""


def _tiles(figures: Figures) -> str:
    meta, total = figures.meta, figures.escalation_share[-1]
    kept = {p: [r for r in figures.promises if r.promise == p]
            for p in ("first_response", "resolve")}

    def kept_share(promise: str) -> str:
        rows = kept[promise]
        measured = sum(r.measured for r in rows)
        return share(sum(r.kept for r in rows) / measured if measured else None)

    given = sum(r.answers for r in figures.satisfaction)
    score = (sum(r.score * r.answers for r in figures.satisfaction) / given) if given else None
    read = sum(r.tickets + r.comments + r.reopenings + r.bounces + r.auto_replies
               + r.quarantined + r.waiting for r in figures.mail)
    tiles = [("Opened", str(meta.opened)), ("Completed", str(meta.completed)),
             ("Escalated", share(total.share)),
             ("First response in time", kept_share("first_response")),
             ("Resolved in time", kept_share("resolve")),
             ("Satisfaction", NONE if score is None else f"{score:.2f} / 5"),
             ("Mail read", str(read)),
             ("Open tickets waiting", str(sum(r.waiting_now for r in figures.time_in_status)))]
    return '<div class="tiles">' + "".join(
        f'<div class="tile"><b>{value}</b>{text(label)}</div>' for label, value in tiles
    ) + "</div>"


def _history_note(figures: Figures, zone: ZoneInfo) -> str:
    since = figures.meta.history_since
    if since is None:
        return "No status history yet: time in status, escalations and promises start with " \
            "the first poll."
    return (f"Status history since {text(when(since, zone))}: time in status, escalations "
            "and promises cover what ticketflow saw from then on.")


def render(figures: Figures) -> str:
    """The whole page."""
    meta = figures.meta
    zone = ZoneInfo(meta.timezone)
    scope = f"project {meta.project}" if meta.project else "all projects"
    period = (f"{meta.since.astimezone(zone):%-d %b %Y %H:%M} to "
              f"{meta.now.astimezone(zone):%-d %b %Y %H:%M} ({meta.timezone})")
    nav = "".join(f'<a href="#{ident}">{text(name)}</a>' for ident, name in sections.SECTIONS)
    body = [sections.volume(figures), sections.time_in_status(figures),
            sections.escalations(figures), sections.promises(figures, zone),
            sections.satisfaction(figures, zone), sections.mail(figures),
            sections.slowest(figures)]
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>ticketflow report: {text(scope)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>Workflow report</h1><p class=\"meta\">{text(scope)} · {text(period)}"
        f"</p><p class=\"meta\">{_history_note(figures, zone)}</p>"
        f"<nav aria-label=\"Sections\">{nav}</nav>{_tiles(figures)}</header>"
        f"<main>{''.join(body)}</main>"
        "<footer><p>Made by <code>ticketflow report</code> from the state store. Business "
        "time counts the working hours of rules.yaml's calendar; charts and tables show the "
        "same numbers (<code>--format json</code> or <code>csv</code> for all of them).</p>"
        "</footer></body></html>\n")
