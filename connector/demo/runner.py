"""`ticketflow demo`: the real service over a simulated working week against the sandbox."""

from __future__ import annotations

import logging
import mailbox
import re
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.utils import parseaddr
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from jira import JIRA

from connector.app import build, connect_tracker
from connector.clock import SettableClock
from connector.config.loader import Config, load_config, shipped_dir
from connector.demo.report import summary_lines
from connector.demo.script import START, WEEK, MailArrives, Step, ticks
from connector.report.compose import html_report
from connector.report.records import Scope
from connector.sandbox import API_TOKEN, API_USER, Sandbox
from connector.settings import Settings, embedded_settings
from connector.sync.perform import Performed
from connector.tracker.jira.setup import install_scheme

log = logging.getLogger(__name__)


@dataclass
class Timeline:
    """Lines of `time  ticket  what happened`, in the order things happened."""

    clock: SettableClock
    zone_name: str
    out: TextIO
    lines: list[str] = field(default_factory=list)

    def add(self, ticket: str, text: str) -> None:
        when = self.clock.now().astimezone(self._zone()).strftime("%a %H:%M")
        line = f"{when}  {ticket:<7} {text}"
        self.lines.append(line)
        print(line, file=self.out)

    def performed(self, item: Performed) -> None:
        if item.status == "done":
            self.add(item.effect.issue_key, f"{item.effect.rule}: {_said(item)}")
        elif item.status in ("skipped", "failed"):
            self.add(item.effect.issue_key, f"{item.effect.rule}: {item.status} ({item.outcome})")

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.zone_name)


# A message an action queued: "escalated to pat.doe@..." or "... at 2026-12-02T12:00-06:00".
_MAILED = re.compile(r"(?P<template>\w+) to (?P<who>[^;]+?)(?: at (?P<at>\S+))?")


def _said(item: Performed) -> str:
    """What an effect did, in words: a notice is a message mailed to someone ("escalated to
    pat.doe" read as if pat.doe had been escalated to)."""
    kind = item.effect.action.partition(":")[2]
    found = _MAILED.fullmatch(item.outcome)
    if kind not in ("notify", "survey") or found is None or " via " in item.outcome:
        return item.outcome
    template, who, at = found["template"], found["who"], found["at"]
    if at is not None:
        when = datetime.fromisoformat(at).strftime("%a %H:%M")
        return f'"{template}" to be mailed to {who} on {when}'
    return f'"{template}" mailed to {who}'


class MailLog(logging.Handler):
    """Puts the mail intake's one-line outcomes on the timeline."""

    def __init__(self, timeline: Timeline) -> None:
        super().__init__(logging.INFO)
        self.timeline = timeline

    def emit(self, record: logging.LogRecord) -> None:
        ticket = str(getattr(record, "ticket", "") or "-")
        self.timeline.add(ticket, f"mail: {record.getMessage()}")


def demo_settings(output: Path, sandbox: Sandbox, config: Config) -> Settings:
    """The demo's own settings; no TICKETFLOW_* variable of the environment reaches them (an
    SMTP URL there must not make the demo mail anyone)."""
    return embedded_settings(
        jira_url=sandbox.url, jira_email=API_USER, jira_token=API_TOKEN,
        jira_flavor="cloud", state_db=output / "state.db", outbox_dir=output / "outbox",
        maildir=output / "Maildir", mail_from=config.mappings.mailbox.address,
        public_url="http://127.0.0.1:8787",
        feedback_secret=secrets.token_urlsafe(32))


def _fill_placeholders(raw: bytes, outbox: Path) -> bytes:
    """`{{ message_id_of: ADDRESS TEMPLATE }}` -> the Message-ID we really sent there."""
    text = raw.decode("utf-8")
    while "{{ message_id_of:" in text:
        start = text.index("{{ message_id_of:")
        end = text.index("}}", start) + 2
        address, template = text[start + 17:end - 2].split()
        found = "<unknown@example.edu>"
        for eml in sorted(outbox.glob(f"*{template}*.eml")):
            message = message_from_bytes(eml.read_bytes(), policy=policy.default)
            if parseaddr(str(message["To"]))[1] == address:
                found = str(message["Message-ID"])
        text = text[:start] + found + text[end:]
    return text.encode("utf-8")


def _act(step: Step, *, sandbox: Sandbox, output: Path, timeline: Timeline,
         assignee_of: Callable[[str], str]) -> None:
    if isinstance(step, MailArrives):
        raw = (shipped_dir() / "examples" / "mail" / step.file).read_bytes()
        if b"{{ message_id_of:" in raw:
            raw = _fill_placeholders(raw, output / "outbox")
        mailbox.Maildir(output / "Maildir", create=True).add(raw)  # tmp/ then new/, as MTAs do
        subject = message_from_bytes(raw, policy=policy.default)["Subject"]
        timeline.add("-", f"mail arrives: \"{subject}\" ({step.file})")
        return
    who = assignee_of(step.ticket) if step.who.startswith("{") else step.who
    jira = JIRA(server=sandbox.url, basic_auth=(who, API_TOKEN), max_retries=0,
                options={"rest_api_version": "2"})
    options = {t["to"]["name"]: t["id"] for t in jira.transitions(step.ticket)}
    jira.transition_issue(step.ticket, options[step.status])
    timeline.add(step.ticket, f"{who.partition('@')[0]} moves it to {step.status} ({step.why})")


def run_demo(*, output: Path, out: TextIO, config_dir: Path | None = None) -> int:
    """The whole demo; returns the exit code."""
    began = time.perf_counter()
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    config = load_config(config_dir or shipped_dir())
    clock = SettableClock(START)
    timeline = Timeline(clock, config.rules.calendar.timezone, out)
    with Sandbox("cloud", clock=clock, time_zone=config.rules.calendar.timezone) as sandbox:
        settings = demo_settings(output, sandbox, config)
        print(f"ticketflow demo: Jira sandbox at {sandbox.url}; state, Maildir and outbox in "
              f"{output}/", file=out)
        installer = connect_tracker(config, settings)
        if install_scheme(config, installer, dry_run=False, echo=lambda line: None) != 0:
            print("demo: install-scheme failed", file=out)
            return 1
        timeline.add("-", "workflow installed in Jira (statuses, workflow, scheme)")
        # Intake's one line per mail goes on the timeline (and not to stderr as well).
        intake_log = logging.getLogger("connector.mail.intake")
        saved = intake_log.level, intake_log.propagate
        intake_log.setLevel(logging.INFO)
        intake_log.propagate = False
        mail_log = MailLog(timeline)
        intake_log.addHandler(mail_log)
        service = build(config, settings, clock=clock, report=timeline.performed)
        try:
            pending = sorted(WEEK, key=lambda step: step.when)
            for tick in ticks():
                while pending and pending[0].when <= tick:
                    step = pending.pop(0)
                    clock.set(step.when)
                    _act(step, sandbox=sandbox, output=output, timeline=timeline,
                         assignee_of=lambda key: _assignee(sandbox, key))
                clock.set(max(tick, clock.now()))
                service.cycle.run()
            for line in summary_lines(service.store, output=output):
                print(line, file=out)
            report = html_report(output / "report.html", settings.state_db, config,
                                 Scope(START, clock.now()))
            print(f"the report (charts of the week) is {report}: open it in a browser", file=out)
        finally:
            intake_log.removeHandler(mail_log)
            intake_log.level, intake_log.propagate = saved
            service.close()
    print(f"(simulated Mon 30 Nov - Fri 4 Dec 2026 in {time.perf_counter() - began:.1f} s)",
          file=out)
    return 0


def _assignee(sandbox: Sandbox, key: str) -> str:
    jira = JIRA(server=sandbox.url, basic_auth=(API_USER, API_TOKEN), max_retries=0)
    assignee = jira.issue(key, fields="assignee").fields.assignee
    return str(assignee.emailAddress) if assignee else API_USER

