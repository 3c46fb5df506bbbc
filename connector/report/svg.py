"""Charts as inline SVG, drawn here: columns, horizontal bars and a line, with no script.

Each chart is an `<svg role="img">` with a title and a description for screen readers, every
drawn value is an element of class `mark` with a tooltip (`<title>`), and the numbers behind it
stand in a table beside it. Nothing is fetched: the page needs no font, script or file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from connector.report.markup import text

# Okabe and Ito's palette: told apart with any colour vision, and in greyscale print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#999999")
KEPT, BROKEN, LIGHT = "#009E73", "#D55E00", "#9ECAE9"
WIDTH = 600
_FONT = 12
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 10, 30, 34


@dataclass(frozen=True)
class Series:
    """One named row of values (None: no value there), drawn in one colour."""

    name: str
    values: Sequence[float | None]
    color: str = ""


def nice_top(largest: float, *, counts: bool = False) -> tuple[float, float]:
    """An axis top at or above `largest` and its tick step: 1, 2 or 5 times a power of ten,
    at most five steps (whole steps for counts: no "0.5 tickets")."""
    if largest <= 0:
        return 1.0, 1.0
    magnitude = 10 ** math.floor(math.log10(largest / 5))
    step = next(m * magnitude for m in (1, 2, 5, 10, 20) if m * magnitude * 5 >= largest)
    if counts:
        step = max(step, 1.0)
    return math.ceil(largest / step) * step, step


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _open(ident: str, title: str, desc: str, height: float, *, empty: bool) -> list[str]:
    return [f'<svg class="chart{" empty" if empty else ""}" id="{ident}" role="img" '
            f'viewBox="0 0 {WIDTH} {height:.0f}" aria-labelledby="{ident}-t {ident}-d" '
            f'font-size="{_FONT}">',
            f'<title id="{ident}-t">{text(title)}</title>',
            f'<desc id="{ident}-d">{text(desc)}</desc>']


def _nothing(ident: str, title: str, desc: str, message: str) -> str:
    """A chart with nothing to draw says so in its place (and draws no mark)."""
    parts = _open(ident, title, desc, 60, empty=True)
    parts.append(f'<text x="{WIDTH / 2}" y="34" text-anchor="middle" class="note">'
                 f"{text(message)}</text></svg>")
    return "".join(parts)


def _legend(series: Sequence[Series], colors: Sequence[str]) -> tuple[list[str], float]:
    """Swatches and names, wrapped into rows before the unit's corner; and how much lower
    than one row the plot must start."""
    parts, x, y = [], float(_LEFT), 8.0
    for one, color in zip(series, colors, strict=True):
        wide = 24 + 7.5 * len(one.name)
        if x + wide > WIDTH - 110 and x > _LEFT:
            x, y = float(_LEFT), y + 16
        parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{x + 14:.0f}" y="{y + 9:.0f}">{text(one.name)}</text>')
        x += wide
    return parts, y - 8


def _colors(series: Sequence[Series]) -> list[str]:
    return [s.color or PALETTE[i % len(PALETTE)] for i, s in enumerate(series)]


def _y_axis(top: float, step: float, first: float, height: float, unit: str) -> list[str]:
    """Grid lines and their values, from 0 at `first + height` up to `top` at `first`."""
    parts, value = [], 0.0
    while value <= top + 1e-9:
        y = first + height - height * value / top
        parts.append(f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'class="grid"/><text x="{_LEFT - 4}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{_number(value)}</text>')
        value += step
    return [*parts, _unit(unit)]


def _unit(unit: str) -> str:
    """What the numbers count, at the end of the legend's row."""
    return f'<text x="{WIDTH - 4}" y="17" text-anchor="end" class="unit">{text(unit)}</text>'


def _x_labels(labels: Sequence[str], band: float, baseline: float) -> list[str]:
    every = max(1, math.ceil(len(labels) / 12))  # about a dozen labels fit the width
    return [f'<text x="{_LEFT + band * (i + 0.5):.1f}" y="{baseline + 16:.1f}" '
            f'text-anchor="middle">{text(label)}</text>'
            for i, label in enumerate(labels) if i % every == 0]


def columns(ident: str, *, title: str, desc: str, labels: Sequence[str],
            series: Sequence[Series], unit: str, empty: str = "Nothing in this period",
            height: float = 180) -> str:
    """Vertical columns, one per label, the series stacked in each."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    if not any(totals):
        return _nothing(ident, title, desc, empty)
    top, step = nice_top(max(totals), counts=True)
    colors = _colors(series)
    band = (WIDTH - _LEFT - _RIGHT) / len(labels)
    wide = min(band * 0.7, 40.0)  # a lone column stays a column, not a wall
    legend, extra = _legend(series, colors)
    first = _TOP + extra
    parts = _open(ident, title, desc, first + height + _BOTTOM, empty=False)
    parts += [*legend, *_y_axis(top, step, first, height, unit)]
    for i, label in enumerate(labels):
        base = first + height
        for one, color in zip(series, colors, strict=True):
            value = one.values[i] or 0
            if value <= 0:
                continue
            tall = height * value / top
            base -= tall
            parts.append(f'<rect class="mark" x="{_LEFT + band * (i + 0.5) - wide / 2:.1f}" '
                         f'y="{base:.1f}" width="{wide:.1f}" height="{tall:.1f}" '
                         f'fill="{color}"><title>{text(label)}: {text(one.name)} '
                         f"{_number(value)}</title></rect>")
    parts += _x_labels(labels, band, first + height)
    return "".join(parts) + "</svg>"


def bars(ident: str, *, title: str, desc: str, labels: Sequence[str],
         series: Sequence[Series], unit: str, notes: Sequence[str] = (),
         empty: str = "Nothing in this period") -> str:
    """Horizontal bars, one row per label (named on the left), the series stacked along it;
    `notes` (one per row) stand at each bar's end."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    if not any(totals):
        return _nothing(ident, title, desc, empty)
    top, _ = nice_top(max(totals))
    colors, left, row = _colors(series), 240, 24
    span = WIDTH - left - 100
    legend, extra = _legend(series, colors)
    first = _TOP + extra
    parts = _open(ident, title, desc, first + row * len(labels) + 20, empty=False)
    parts += [*legend, _unit(unit)]
    for i, label in enumerate(labels):
        y, x = first + row * i, float(left)
        shown = label if len(label) <= 36 else label[:35] + "\u2026"
        parts.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{text(shown)}'
                     f"<title>{text(label)}</title></text>")
        for one, color in zip(series, colors, strict=True):
            value = one.values[i] or 0
            if value <= 0:
                continue
            wide = span * value / top
            parts.append(f'<rect class="mark" x="{x:.1f}" y="{y + 3}" width="{wide:.1f}" '
                         f'height="{row - 8}" fill="{color}"><title>{text(label)}: '
                         f"{text(one.name)} {_number(value)}</title></rect>")
            x += wide
        note = notes[i] if i < len(notes) else _number(totals[i])
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 15}">{text(note)}</text>')
    return "".join(parts) + "</svg>"


def line(ident: str, *, title: str, desc: str, labels: Sequence[str],
         values: Sequence[float | None], top: float, unit: str,
         empty: str = "Nothing in this period", height: float = 140) -> str:
    """A line through the values (a gap where there is none), with a dot on each."""
    if all(v is None for v in values):
        return _nothing(ident, title, desc, empty)
    band = (WIDTH - _LEFT - _RIGHT) / len(labels)
    parts = _open(ident, title, desc, _TOP + height + _BOTTOM, empty=False)
    parts += _y_axis(top, 1.0 if top <= 5 else nice_top(top)[1], _TOP, height, unit)
    points = [(_LEFT + band * (i + 0.5), _TOP + height - height * v / top)
              if v is not None else None for i, v in enumerate(values)]
    run: list[str] = []
    for point in [*points, None]:
        if point is not None:
            run.append(f"{point[0]:.1f},{point[1]:.1f}")
            continue
        if len(run) > 1:
            parts.append(f'<polyline class="mark" fill="none" stroke="{PALETTE[0]}" '
                         f'stroke-width="2" points="{" ".join(run)}"/>')
        run = []
    for label, value, point in zip(labels, values, points, strict=True):
        if point is not None and value is not None:
            parts.append(f'<circle class="mark" cx="{point[0]:.1f}" cy="{point[1]:.1f}" r="4" '
                         f'fill="{PALETTE[0]}"><title>{text(label)}: {value:.2f}</title>'
                         "</circle>")
    parts += _x_labels(labels, band, _TOP + height)
    return "".join(parts) + "</svg>"
