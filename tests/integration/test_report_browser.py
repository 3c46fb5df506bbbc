"""The report opened in a real headless Chromium: no console error, no request leaving the page,
every chart drawn, readable on a phone, printable; screenshots land in the test's folder.

Debian's `chromium` is needed (`.ci/run` installs it): under CI a missing one fails, elsewhere
the tests skip saying so.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from connector.cli import main
from connector.config.loader import load_config, shipped_dir
from connector.report.compose import html_report, tracker_links
from connector.report.records import Scope

from .browser import Browser, chromium

BENCH = Path(__file__).resolve().parents[2] / "bench"
PNG = b"\x89PNG\r\n\x1a\n"
# Each chart of the page: how many marks (bars, dots, lines) it drew with a visible size,
# and the note it shows in their place when it has nothing to draw.
_CHARTS = """[...document.querySelectorAll('svg.chart')].map(svg => ({
  id: svg.id,
  marks: [...svg.querySelectorAll('.mark')].filter(mark => {
    const box = mark.getBBox(); return box.width > 0 || box.height > 0; }).length,
  note: svg.classList.contains('empty') ? svg.querySelector('.note').textContent : null,
  labelled: Boolean(svg.getAttribute('aria-labelledby')) && svg.getAttribute('role') === 'img',
}))"""


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    binary = chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    opened = Browser(binary, tmp_path / "profile")
    try:
        yield opened
    finally:
        opened.close()


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("report_bench", BENCH / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["report_bench"] = module
    spec.loader.exec_module(module)
    return module


def _problems(browser: Browser, page: Path) -> tuple[list[Any], list[str]]:
    """Console errors and exceptions the page raised, and every URL it asked for but itself."""
    errors = [e["params"] for e in browser.events
              if (e["method"] == "Runtime.consoleAPICalled"
                  and e["params"]["type"] in ("error", "assert"))
              or e["method"] == "Runtime.exceptionThrown"
              or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
    asked = [e["params"]["request"]["url"] for e in browser.events
             if e["method"] == "Network.requestWillBeSent"]
    return errors, [url for url in asked if url != page.as_uri()]


def test_the_demo_report_opens_offline_and_draws_its_charts(
        browser: Browser, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`ticketflow demo` writes report.html and says where; opened in Chromium it logs no
    error and asks for nothing beyond itself; the week's charts (volume, time in status,
    escalations, promises, mail) have drawn marks, and those the week gives nothing to (no
    survey answered, no ticket left open) say so in their place. A screenshot is kept."""
    output = tmp_path / "demo"
    assert main(["demo", "--output", str(output)]) == 0
    page = output / "report.html"
    assert f"the report (charts of the week) is {page}" in capsys.readouterr().out
    browser.open(page.as_uri())
    charts = {chart["id"]: chart for chart in browser.evaluate(_CHARTS)}
    assert _problems(browser, page) == ([], [])
    drawn = ("chart-opened", "chart-completed", "chart-status", "chart-escalations",
             "chart-promises", "chart-mail")
    assert {name: charts[name]["marks"] > 0 for name in drawn} == dict.fromkeys(drawn, True)
    assert {name: charts[name]["note"] for name in ("chart-scores", "chart-trend",
                                                     "chart-slowest")} == {
        "chart-scores": "No answer in this period", "chart-trend": "No answer in this period",
        "chart-slowest": "No open ticket"}
    assert all(chart["labelled"] for chart in charts.values())
    shot = tmp_path / "demo-report.png"
    browser.screenshot(shot)
    assert shot.read_bytes().startswith(PNG)


def test_a_busy_report_draws_every_chart_on_a_phone_and_in_print(browser: Browser,
                                                                  tmp_path: Path) -> None:
    """Over 400 generated tickets (the benchmark's generator: history, mail, feedback, open
    tickets) every chart has drawn marks; with ticket links on the page, nothing is fetched;
    on a 390-pixel-wide phone the page does not scroll sideways; it prints to a PDF. The
    screenshots and the PDF are kept."""
    bench = _bench()
    state = tmp_path / "state.db"
    bench.fill(state, 400, weeks=4)
    page = html_report(tmp_path / "report.html", state, load_config(shipped_dir()),
                       Scope(bench.NOW - timedelta(weeks=4), bench.NOW),
                       link=tracker_links("https://jira.example.edu"))
    assert 'href="https://jira.example.edu/browse/' in page.read_text()
    browser.page("Emulation.setDeviceMetricsOverride", width=390, height=844,
                 deviceScaleFactor=2, mobile=True)
    browser.open(page.as_uri())
    charts = browser.evaluate(_CHARTS)
    assert _problems(browser, page) == ([], [])
    assert len(charts) == 9
    assert [c["id"] for c in charts if c["marks"] == 0] == []
    assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    browser.screenshot(tmp_path / "report-phone.png")
    browser.page("Emulation.clearDeviceMetricsOverride")
    browser.screenshot(tmp_path / "report-desktop.png")
    browser.pdf(tmp_path / "report.pdf")
    assert (tmp_path / "report-phone.png").read_bytes().startswith(PNG)
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
