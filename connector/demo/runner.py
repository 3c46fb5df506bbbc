"""`ticketflow demo`: the real service over a simulated working week against a tracker's sandbox
(Jira's, or Zendesk's with `--tracker zendesk`)."""

from __future__ import annotations

import logging
import mailbox
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.utils import parseaddr
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from connector.app import build, connect_tracker, installer
from connector.clock import SettableClock
from connector.config.loader import Config, load_config, shipped_dir
from connector.config.shipped import config_dir_for
from connector.demo.report import summary_lines
from connector.demo.script import START, WEEK, MailArrives, Step, ticks
from connector.report.compose import html_report
from connector.report.records import Scope
from connector.sandbox import API_TOKEN, API_USER, Sandbox
from connector.settings import Settings, embedded_settings
from connector.sync.perform import Performed
from connector.tracker.base import Tracker
from connector.tracker.values import WorkflowFields

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


def demo_settings(output: Path, sandbox: Sandbox, config: Config,
                  user: str = API_USER) -> Settings:
    """The demo's own settings (as `user`, the API user unless an engineer acts); no
    TICKETFLOW_* variable of the environment reaches them (an SMTP URL there must not make the
    demo mail anyone)."""
    tracker: dict[str, object] = {
        "jira_url": sandbox.url, "jira_email": user, "jira_token": API_TOKEN,
        "jira_flavor": "cloud"}
    if sandbox.tracker == "zendesk":
        tracker = {"zendesk_url": sandbox.url, "zendesk_email": user,
                   "zendesk_token": API_TOKEN}
    return embedded_settings(
        **tracker, state_db=output / "state.db", outbox_dir=output / "outbox",
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


@dataclass
class Stage:
    """What the week's steps act on: the sandbox, the config, the running service."""

    sandbox: Sandbox
    config: Config
    output: Path
    timeline: Timeline
    tracker: Tracker

    def key(self, number: int) -> str:
        """The n-th ticket of the week as this tracker names it (HELP-n, or n on Zendesk)."""
        if self.sandbox.tracker == "zendesk":
            return str(number)
        return f"{self.config.mappings.project}-{number}"

    def as_tracker_writes(self, raw: bytes) -> bytes:
        """A sample reply's `[HELP-n]` subject tag as this tracker's tag for ticket n."""
        refs = self.tracker.refs
        return re.sub(rb"\[HELP-(\d+)\]",
                      lambda m: refs.subject_tag(self.key(int(m[1]))).encode(), raw)


def _act(step: Step, stage: Stage) -> None:
    if isinstance(step, MailArrives):
        raw = (shipped_dir() / "examples" / "mail" / step.file).read_bytes()
        if b"{{ message_id_of:" in raw:
            raw = _fill_placeholders(raw, stage.output / "outbox")
        raw = stage.as_tracker_writes(raw)
        mailbox.Maildir(stage.output / "Maildir", create=True).add(raw)  # tmp/ then new/
        subject = message_from_bytes(raw, policy=policy.default)["Subject"]
        stage.timeline.add("-", f"mail arrives: \"{subject}\" ({step.file})")
        return
    key = stage.key(step.ticket)
    shown = stage.tracker.refs.display(key)
    who = step.who
    if who == "{assignee}":
        holder = stage.tracker.ticket(key).assignee
        who = holder.email if holder and holder.email else API_USER
    # The engineer, with their own login, as they would in the tracker's own screens.
    engineer = connect_tracker(stage.config, demo_settings(stage.output, stage.sandbox,
                                                           stage.config, user=who))
    engineer.update(key, WorkflowFields(status=step.status))
    mapped = stage.config.mappings.section.statuses.get(step.status)
    status = getattr(mapped, "agent_label", mapped) or step.status  # Zendesk's, Jira's name
    stage.timeline.add(shown, f"{who.partition('@')[0]} moves it to {status} ({step.why})")


def run_demo(*, output: Path, out: TextIO, config_dir: Path | None = None,
             tracker: str = "jira") -> int:
    """The whole demo on the tracker's sandbox; returns the exit code."""
    began = time.perf_counter()
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    config = load_config(config_dir or config_dir_for(tracker, output))
    clock = SettableClock(START)
    timeline = Timeline(clock, config.rules.calendar.timezone, out)
    name = "Zendesk" if tracker == "zendesk" else "Jira"
    with Sandbox(tracker=tracker, clock=clock,
                 time_zone=config.rules.calendar.timezone) as sandbox:
        settings = demo_settings(output, sandbox, config)
        projects = config.mappings.projects
        if tracker == "jira":  # the sandbox starts with HELP; the others listed are added
            for key in projects:
                if key != "HELP":
                    sandbox.add_project(key)
        # Zendesk has no projects to name.
        named = "" if tracker == "zendesk" else (
            f" project{'s' if len(projects) > 1 else ''} {', '.join(projects)}")
        print(f"ticketflow demo: {name} sandbox at {sandbox.url}{named and ','}{named}; state, "
              f"Maildir and outbox in {output}/", file=out)
        if installer(config, settings).install_scheme(config, dry_run=False,
                                                      echo=lambda line: None) != 0:
            print("demo: install-scheme failed", file=out)
            return 1
        timeline.add("-", f"workflow installed in {name}{named} ("
                     + ("custom statuses, groups, fields)" if tracker == "zendesk"
                        else "statuses, workflow, scheme)"))
        # Intake's one line per mail goes on the timeline (and not to stderr as well).
        intake_log = logging.getLogger("connector.mail.intake")
        saved = intake_log.level, intake_log.propagate
        intake_log.setLevel(logging.INFO)
        intake_log.propagate = False
        mail_log = MailLog(timeline)
        intake_log.addHandler(mail_log)
        service = build(config, settings, clock=clock, report=timeline.performed)
        stage = Stage(sandbox, config, output, timeline, service.tracker)
        try:
            pending = sorted(WEEK, key=lambda step: step.when)
            for tick in ticks():
                while pending and pending[0].when <= tick:
                    step = pending.pop(0)
                    clock.set(step.when)
                    _act(step, stage)
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
