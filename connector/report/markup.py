"""HTML pieces of the report: escaped text, ticket links, tables, and how values read."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

# Ticket summaries and comments come from anyone who can write mail: control characters
# (C0 but tab and newline, DEL, C1) never reach the page, whatever the text was.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
NONE = "\u2013"  # an en dash where there is no value


def text(value: object) -> str:
    """Any value as HTML text: control characters replaced, markup escaped."""
    return html.escape(_CONTROL.sub("\ufffd", str(value)), quote=True)


def link(key: str, url: str | None) -> str:
    """The ticket's key, linked to the tracker when its URL is a web address."""
    if url is None or not url.startswith(("https://", "http://")):
        return text(key)
    return f'<a href="{text(url)}" rel="noreferrer">{text(key)}</a>'


def when(instant: datetime | None, zone: ZoneInfo) -> str:
    """`Mon 30 Nov 13:10` in the team's zone; a dash for no time."""
    if instant is None:
        return NONE
    return instant.astimezone(zone).strftime("%a %-d %b %H:%M")


def hours(value: float | None) -> str:
    """Hours to a tenth, or a dash."""
    return NONE if value is None else f"{value:.1f} h"


def share(value: float | None) -> str:
    """A share as a whole percentage, or a dash when there was nothing to divide."""
    return NONE if value is None else f"{100 * value:.0f}%"


def table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]], *,
          numeric: Sequence[int] = (), empty: str = "No rows in this period.") -> str:
    """A table of already-escaped cells; the `numeric` columns are aligned right."""
    if not rows:
        return f'<p class="note">{text(empty)}</p>'
    right = set(numeric)

    def cells(values: Sequence[str], tag: str) -> str:
        return "".join(f'<{tag}{" class=num" if i in right else ""}>{v}</{tag}>'
                       for i, v in enumerate(values))

    head = f"<thead><tr>{cells([text(h) for h in headers], 'th')}</tr></thead>"
    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    return (f'<div class="table"><table><caption>{text(caption)}</caption>{head}'
            f"<tbody>{body}</tbody></table></div>")
