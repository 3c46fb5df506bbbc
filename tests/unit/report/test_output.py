"""The report's outputs: the page (self-contained, escaped, accessible), JSON and CSV."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from connector.config.loader import Config, load_config, shipped_dir
from connector.report.export import to_json, write_csv
from connector.report.figures import Figures, build
from connector.report.page import render
from connector.report.svg import Series, bars, columns, nice_top

from .known import state

HOSTILE = 'Help <script>alert(1)</script> "quoted"\x07\x1b[31m & more'


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(shipped_dir())


@pytest.fixture(scope="module")
def figures(config: Config) -> Figures:
    known = state()
    tickets = [t._replace(summary=HOSTILE) if t.key == "HELP-2" else t for t in known.tickets]
    known = replace(known, tickets=tickets, oldest_open=[
        replace(t, summary=HOSTILE) if t.key == "HELP-2" else t for t in known.oldest_open])
    return build(known, config, link=lambda key: f"https://jira.example.edu/browse/{key}")


def test_the_page_loads_nothing_and_runs_nothing(figures: Figures) -> None:
    """One file: a policy that forbids every fetch, no script, no external font, image or
    style, charts inline."""
    page = render(figures)
    assert "Content-Security-Policy\" content=\"default-src 'none'" in page
    assert "<script" not in page.replace("&lt;script", "")
    assert not re.search(r"(src=|@import|url\(|<link )", page)
    assert page.count("<svg ") == 9


def test_ticket_text_is_escaped_and_stripped_of_control_characters(figures: Figures) -> None:
    """A summary written to break the page shows as text; bell and escape characters are
    replaced, in the tables and in the chart labels alike."""
    page = render(figures)
    assert "Help &lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot;\ufffd\ufffd[31m" \
        " &amp; more" in page
    assert "\x07" not in page and "\x1b" not in page


def test_breaches_and_slow_tickets_link_to_the_tracker(figures: Figures) -> None:
    """Each broken promise and each slow ticket names its ticket, linked."""
    page = render(figures)
    assert page.count('<a href="https://jira.example.edu/browse/HELP-2" rel="noreferrer">') >= 3


def test_every_chart_is_labelled_for_screen_readers(figures: Figures) -> None:
    """Each chart is an image with a title and a description, and the table behind it."""
    page = render(figures)
    for ident in re.findall(r'<svg class="chart[^"]*" id="([^"]+)" role="img"', page):
        assert f'aria-labelledby="{ident}-t {ident}-d"' in page
        assert f'<title id="{ident}-t">' in page and f'<desc id="{ident}-d">' in page
    assert page.count("<table>") >= 9


def test_json_holds_every_table_and_the_meta(figures: Figures) -> None:
    """The JSON document has the metadata and every table with its rows; times are ISO."""
    document = json.loads(to_json(figures))
    assert set(document) == {"meta", *Figures.table_names()}
    assert document["meta"]["opened"] == 3
    assert document["promises"][0] == {"tier": 1, "promise": "first_response", "limit": "4h",
                                       "measured": 2, "kept": 1, "breached": 1,
                                       "kept_share": 0.5, "not_yet_due": 0}
    assert document["breaches"][0]["due"] == "2026-12-02T14:10:00+00:00"


def test_csv_writes_one_file_per_table_with_its_header(figures: Figures, config: Config,
                                                       tmp_path: Path) -> None:
    """One CSV per table (and meta.csv), headed by its columns even when it has no row; a
    list (the explain lines) is one cell."""
    written = write_csv(figures, tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(
        f"{name}.csv" for name in ("meta", *Figures.table_names()))
    rows = list(csv.DictReader((tmp_path / "out" / "slowest.csv").read_text().splitlines()))
    assert rows[0]["key"] == "HELP-2"
    assert " | rule \"escalate stale tier 1\" fires now" in rows[0]["explain"]
    empty = build(replace(state(), tickets=[], stays=[], oldest_open=[]), config)
    write_csv(empty, tmp_path / "empty")
    assert (tmp_path / "empty" / "breaches.csv").read_text().splitlines() == [
        "key,summary,promise,tier,limit,due,met_at,late_hours,link"]


def test_chart_axes_use_round_steps_and_whole_counts() -> None:
    """Axis tops are 1, 2 or 5 times a power of ten, at most five steps; counts never get
    half steps."""
    assert nice_top(7) == (8.0, 2.0)
    assert nice_top(43) == (50.0, 10.0)
    assert nice_top(0.8) == (0.8, 0.2)
    assert nice_top(2, counts=True) == (2.0, 1.0)


def test_a_chart_draws_one_mark_per_value_and_says_when_there_is_none() -> None:
    """Columns draw a mark per non-zero value of each series; with nothing to draw, the chart
    says so and draws no mark."""
    drawn = columns("c", title="t", desc="d", labels=["a", "b", "c"],
                    series=[Series("x", [1, 0, 2]), Series("y", [3, None, 0])], unit="n")
    assert drawn.count('class="mark"') == 3
    empty = bars("e", title="t", desc="d", labels=["a"], series=[Series("x", [0])], unit="n",
                 empty="Nothing here")
    assert 'class="mark"' not in empty and "Nothing here" in empty

