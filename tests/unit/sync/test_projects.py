"""Several projects in one service over the FakeTracker: mail to a project's own address
opens its ticket there, other mail in the default project; each ticket is mirrored under its
project and its role's people are its project's."""

from __future__ import annotations

import mailbox
from datetime import timedelta
from pathlib import Path

import yaml

from connector.app import build
from connector.clock import SettableClock
from connector.config.loader import load_config
from connector.settings import Settings
from connector.state.sqlite import SqliteStateStore
from connector.tracker.fake import FakeTracker
from connector.tracker.values import NewTicket, WorkflowFields
from tests.unit.sync.conftest import ALICE, BOB, CAROL, MONDAY, LedgerRig, copy_config

PAT = "pat.doe@uni.example.edu"


def _two_projects(folder: Path) -> None:
    """The shipped config with a second project, OPS, that has its own address and its own
    platform_support people (carol instead of alice)."""
    path = folder / "mappings.yaml"
    data = yaml.safe_load(path.read_text())
    roles = {**data["jira"]["roles"],
             "platform_support": {"users": ["carol@example.edu"], "assign": "round_robin"}}
    ops = {**data["jira"], "project": "OPS", "roles": roles,
           "mailbox": {"address": "ops_helpdesk@example.edu"}}
    data["jira"] = [data["jira"], ops]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _mail(to: str, number: int, *, headers: str = "") -> bytes:
    return (f"From: Pat Doe <{PAT}>\r\nTo: {to}\r\nSubject: Request {number}\r\n"
            f"Message-ID: <req{number}@uni.example.edu>\r\n{headers}"
            "Date: Mon, 30 Nov 2026 08:40:00 -0600\r\nContent-Type: text/plain\r\n\r\n"
            "My account is locked.\r\n").encode()


def test_mail_opens_tickets_in_the_project_it_was_sent_to(tmp_path: Path) -> None:
    """Mail to OPS's address (in To, or only in Delivered-To as for a Bcc) becomes an OPS
    ticket, mail to the shared address a HELP ticket; each is mirrored under its project."""
    copy_config(tmp_path)
    _two_projects(tmp_path)
    config = load_config(tmp_path)
    clock = SettableClock(MONDAY)
    tracker = FakeTracker.from_config(config, clock=clock, people=[ALICE, BOB, CAROL])
    settings = Settings(state_db=tmp_path / "state.db", outbox_dir=tmp_path / "outbox",
                        maildir=tmp_path / "Maildir", jira_url="https://jira.example.edu",
                        _env_file=None)  # type: ignore[call-arg]
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    service = build(config, settings, clock=clock, tracker=tracker)
    service.cycle.run()  # the first run: backfill of empty projects
    box.add(_mail("ops_helpdesk@example.edu", 1))
    box.add(_mail("redcap_helpdesk@example.edu", 2))
    box.add(_mail("undisclosed-recipients:;", 3,
                  headers="Delivered-To: OPS_helpdesk@example.edu\r\n"))
    service.cycle.run()
    service.close()

    made = {tracker.ticket(key).summary: key for key in tracker.keys()}  # noqa: SIM118 (a method, no dict)
    assert {summary: key.split("-")[0] for summary, key in made.items()} == {
        "Request 1": "OPS", "Request 2": "HELP", "Request 3": "OPS"}
    store = SqliteStateStore(settings.state_db)
    try:
        assert sorted(t.key for t in store.open_tickets("OPS")) == sorted(
            [made["Request 1"], made["Request 3"]])
    finally:
        store.close()


def _tier2_is_carol(folder: Path) -> None:
    """Both projects escalate tier 1 to carol alone."""
    path = folder / "mappings.yaml"
    data = yaml.safe_load(path.read_text())
    for section in data["jira"]:
        section["roles"]["tier2"] = {"users": [CAROL.email], "assign": "round_robin"}
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_an_escalation_finds_its_person_in_the_tickets_own_project(tmp_path: Path) -> None:
    """Carol may be assigned OPS tickets, not HELP ones (the tracker refuses her there). A
    stale OPS ticket escalates to her; a stale HELP ticket in the same cycle is blocked,
    saying HELP cannot take her, whichever was looked up first (the people remembered
    within a cycle are remembered per project)."""
    copy_config(tmp_path)
    _two_projects(tmp_path)
    _tier2_is_carol(tmp_path)
    clock = SettableClock(MONDAY)
    tracker = FakeTracker.from_config(load_config(tmp_path), clock=clock,
                                      people=[ALICE, BOB, CAROL])
    tracker.unassignable["HELP"] = {"carol@example.edu"}
    settings = Settings(state_db=tmp_path / "state.db", outbox_dir=tmp_path / "outbox",
                        jira_url="https://jira.example.edu",
                        _env_file=None)  # type: ignore[call-arg]
    rig = LedgerRig(tmp_path, clock, tracker, settings, [ALICE, BOB, CAROL])
    rig.cycle()
    keys = []
    for project in ("OPS", "HELP"):
        with tracker.acting_as(ALICE):
            keys.append(tracker.create(NewTicket("Report export fails", "", WorkflowFields(
                customer=PAT), project=project)))
        rig.move(keys[-1], "Reviewing")
    ops, help_desk = keys
    rig.advance(timedelta(minutes=5))
    rig.cycle()
    rig.advance(timedelta(hours=5))
    rig.cycle()

    escalated = tracker.ticket(ops)
    assert (escalated.tier, escalated.assignee) == (2, CAROL)
    blocked = rig.effects(help_desk)["escalate stale tier 1 0:escalate"]
    assert blocked.status == "blocked"
    assert blocked.detail.startswith("no tracker user matches 'carol@example.edu' (one "
                                     "tickets of HELP may be assigned to)")
    assert tracker.ticket(help_desk).tier is None
