"""Mail intake inside the cycle, over a hand-written FakeTracker and a real SQLite file.

New requests become Pending tickets acknowledged by the rules; replies thread by headers or
by an authorised subject key; completed tickets reopen within the window and spawn a linked
ticket after it; out-of-office replies, automatic mail and bounces do what the checklist says.
"""

from __future__ import annotations

import mailbox
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connector.app import build
from connector.clock import SettableClock
from connector.config.loader import Config, load_config
from connector.mail.intake.ingest import IngestReport
from connector.mail.intake.writer import mail_marker
from connector.settings import Settings
from connector.state.intake import IntakeStore, MailRecord
from connector.tracker.fake import FakeTracker
from connector.tracker.values import Person, TrackedTicket, WorkflowFields

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "mail"
CHICAGO = ZoneInfo("America/Chicago")
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=CHICAGO)
ALICE = Person("acc-alice", "alice@example.edu", "Alice")
PAT = "pat.doe@uni.example.edu"


def mail(*, subject: str = "Cannot log in to REDCap", sender: str = f"Pat Doe <{PAT}>",
         message_id: str | None = "<req1.pat.doe@uni.example.edu>", headers: tuple[str, ...] = (),
         body: str = "Hello,\nmy account is locked.\nPat", to: str = "redcap_helpdesk@example.edu"
         ) -> bytes:
    """A small text mail; `headers` adds lines such as In-Reply-To."""
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}",
             "Date: Mon, 30 Nov 2026 08:40:00 -0600", "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=utf-8"]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    return "\r\n".join([*lines, *headers, "", body, ""]).encode()


@dataclass
class Rig:
    """ticketflow as `once` wires it, a Maildir to drop mail into, and the fake tracker."""

    config: Config
    clock: SettableClock
    tracker: FakeTracker
    settings: Settings
    maildir: Path

    def drop(self, raw: bytes) -> None:
        mailbox.Maildir(self.maildir, create=True).add(raw)

    def cycle(self) -> object:
        service = build(self.config, self.settings, clock=self.clock, tracker=self.tracker)
        try:
            return service.cycle.run()
        finally:
            service.close()

    def ingest(self) -> IngestReport:
        """Only the intake step of a cycle."""
        service = build(self.config, self.settings, clock=self.clock, tracker=self.tracker)
        try:
            assert service.cycle.ingest is not None
            report = service.cycle.ingest(self.clock.now())
            assert isinstance(report, IngestReport)
            return report
        finally:
            service.close()

    def later(self, **delta: float) -> None:
        self.clock.advance(timedelta(**delta))

    def issue(self, key: str) -> TrackedTicket:
        return self.tracker.ticket(key)

    def keys(self) -> list[str]:
        return self.tracker.keys()

    def outbox(self, template: str = "") -> list[str]:
        pattern = f"*{template}*.eml" if template else "*.eml"
        return sorted(p.name for p in self.settings.outbox_dir.glob(pattern))

    def record(self, key: str) -> MailRecord | None:
        with sqlite3.connect(self.settings.state_db) as db:
            return IntakeStore(db).record(key)

    def folder(self, name: str) -> list[Path]:
        return sorted((self.maildir / f".{name}" / "cur").glob("*"))

    def complete(self, key: str) -> None:
        with self.tracker.acting_as(ALICE):
            self.tracker.update(key, WorkflowFields(status="Reviewing"))
            self.tracker.update(key, WorkflowFields(status="Complete"))


def make_rig(tmp_path: Path, rules: str = "", mailbox: str = "") -> Rig:
    """`rules` is added to rules.yaml, `mailbox` to mappings.yaml's mailbox block (its last)."""
    for name in ("rules.yaml", "mappings.yaml", "rules"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, tmp_path / name)
    with (tmp_path / "rules.yaml").open("a") as handle:
        handle.write(rules)
    with (tmp_path / "mappings.yaml").open("a") as handle:
        handle.write(mailbox)
    template = tmp_path / "rules" / "templates" / "customer_replied.txt.j2"
    template.write_text("Subject: [{{ ticket.key }}] The customer replied\n\nSee the ticket.\n")
    config = load_config(tmp_path)
    clock = SettableClock(MONDAY)
    tracker = FakeTracker.from_config(config, clock=clock, people=[ALICE])
    settings = Settings(state_db=tmp_path / "state.db", outbox_dir=tmp_path / "outbox",
                        maildir=tmp_path / "Maildir", jira_url="https://jira.example.edu",
                        _env_file=None)  # type: ignore[call-arg]
    rig = Rig(config, clock, tracker, settings, tmp_path / "Maildir")
    rig.cycle()  # first run: backfill of an empty project
    return rig


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return make_rig(tmp_path, """
  - name: customer replied
    on: {commented: {by: customer}}
    then:
      - notify: {to: {role: platform_support}, template: customer_replied}
""")


def test_a_request_becomes_a_pending_ticket_and_is_acknowledged(rig: Rig) -> None:
    """Summary from the subject, description from the text with the sender first, the
    customer, the mail's marker that finds it again, status Pending; then the rules send
    "request submitted" to the customer."""
    rig.drop(mail(subject="RE: [EXTERNAL] Cannot log in to REDCap"))
    rig.cycle()
    (key,) = rig.keys()
    issue = rig.issue(key)
    assert issue.summary == "Cannot log in to REDCap"
    assert issue.status == "Pending"
    assert issue.text.startswith(f"From: Pat Doe <{PAT}> (by email)\n\nHello,")
    assert issue.customer == PAT
    origin = rig.tracker.origin(key)
    assert origin is not None and origin.message_id == "<req1.pat.doe@uni.example.edu>"
    assert rig.tracker.find_by_mail_marker(origin.marker) == key
    assert origin.marker.startswith("tf-mail-")
    assert len(rig.outbox("request_submitted")) == 1
    assert len(rig.folder("Processed")) == 1
    assert list((rig.maildir / "new").iterdir()) == []


def test_attachments_are_uploaded_within_the_limit_and_big_ones_named(rig: Rig) -> None:
    """Files up to max_attachment_size are uploaded; a larger one is named in a comment."""
    limit = rig.config.mappings.mailbox.max_attachment_size
    big = "A" * (limit + 10)
    raw = (f"From: Pat Doe <{PAT}>\r\nTo: redcap_helpdesk@example.edu\r\nSubject: Files\r\n"
           "Message-ID: <files@uni.example.edu>\r\nMIME-Version: 1.0\r\n"
           'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\n'
           "Content-Type: text/plain\r\n\r\nTwo files.\r\n--x\r\n"
           'Content-Type: text/csv\r\nContent-Disposition: attachment; filename="small.csv"'
           "\r\n\r\nid,name\r\n--x\r\n"
           'Content-Type: text/plain\r\nContent-Disposition: attachment; filename="big.log"'
           f"\r\n\r\n{big}\r\n--x--\r\n").encode()
    rig.drop(raw)
    rig.ingest()
    (key,) = rig.keys()
    assert rig.tracker.attachments(key) == ["small.csv"]
    (note,) = rig.tracker.comments(key)
    assert not note.public and "big.log (10.0 MB)" in note.body and "not uploaded" in note.body


def test_quoted_history_is_trimmed_and_the_full_message_kept(rig: Rig) -> None:
    """The description holds the new text only; the original .eml is attached."""
    rig.drop(mail(body="It works now.\r\n\r\nOn Mon, Support wrote:\r\n> Did you try?"))
    rig.ingest()
    (key,) = rig.keys()
    assert rig.issue(key).text.endswith("It works now.")
    assert rig.tracker.attachments(key) == ["original-message.eml"]


def test_a_reply_by_in_reply_to_is_a_customer_comment_that_fires_rules(rig: Rig) -> None:
    """Posted by ticketflow's user with the sender named, yet `commented by customer`: the
    rule fires and the mirror records the customer's reply."""
    rig.drop(mail())
    rig.cycle()
    (key,) = rig.keys()
    rig.later(minutes=30)
    rig.drop(mail(subject="Re: something else entirely", message_id="<reply1@uni.example.edu>",
                  headers=("In-Reply-To: <req1.pat.doe@uni.example.edu>",),
                  body="It says code 17."))
    rig.cycle()
    assert rig.keys() == [key]
    (comment,) = rig.tracker.comments(key)
    marker = mail_marker("<reply1@uni.example.edu>")
    assert comment.body == f"From: Pat Doe <{PAT}> (by email, ref {marker})\n\nIt says code 17."
    assert comment.public
    assert len(rig.outbox("customer_replied")) == 1
    service = build(rig.config, rig.settings, clock=rig.clock, tracker=rig.tracker)
    ticket = service.store.ticket_by_key(key)
    service.close()
    assert ticket is not None and ticket.last_customer_reply == comment.created


def test_reply_all_from_a_colleague_threads_by_references(rig: Rig) -> None:
    """A Cc'd colleague who never saw our mail: References holds the original inbound id."""
    rig.drop(mail(headers=("Cc: Kim <kim@uni.example.edu>",)))
    rig.ingest()
    rig.drop(mail(sender="Kim <kim@uni.example.edu>", subject="Re: Cannot log in",
                  message_id="<kim1@uni.example.edu>",
                  headers=("References: <unknown@x.example> <req1.pat.doe@uni.example.edu>",)))
    rig.ingest()
    (key,) = rig.keys()
    assert rig.tracker.comments(key)[0].body.startswith("From: Kim <kim@uni.example.edu>")


@pytest.mark.parametrize("subject", [
    "AW: [EXTERNAL] RE: [HELP-1] We received your request",
    "SV: Re[2]: [HELP-1] We received your request",
    "回复: [HELP-1] We received your request",
    "Réf. : HELP-1 we received",
])
def test_a_subject_key_threads_for_the_customer_in_any_language(rig: Rig, subject: str) -> None:
    """No references at all (a new mail with the key typed in): the customer may use it."""
    rig.drop(mail())
    rig.ingest()
    rig.drop(mail(subject=subject, message_id="<typed@uni.example.edu>"))
    rig.ingest()
    assert rig.keys() == ["HELP-1"]
    assert len(rig.tracker.comments("HELP-1")) == 1


def test_a_forged_subject_key_from_a_stranger_opens_a_linked_ticket(rig: Rig) -> None:
    """`[HELP-1]` from someone not on the ticket is refused: a new ticket, linked, and the
    stranger's text never lands on HELP-1."""
    rig.drop(mail())
    rig.ingest()
    rig.drop(mail(sender="Mallory <mallory@evil.example>", subject="Re: [HELP-1] update",
                  message_id="<forged@evil.example>", body="Please send the data to me."))
    rig.ingest()
    assert rig.keys() == ["HELP-1", "HELP-2"]
    assert rig.tracker.comments("HELP-1") == []
    assert rig.tracker.relations == [("HELP-2", "HELP-1")]
    assert "names HELP-1, but was not added there" in rig.issue("HELP-2").text


def test_a_forged_reply_header_from_a_stranger_opens_a_linked_ticket(rig: Rig) -> None:
    """In-Reply-To and References are the sender's to write: a stranger who forges them
    (the customer's Message-ID, or our acknowledgement's) lands nothing on HELP-1, does not
    become its participant, and gets a new ticket linked to it."""
    rig.drop(mail())
    rig.cycle()
    service = build(rig.config, rig.settings, clock=rig.clock, tracker=rig.tracker)
    (ours,) = service.store.message_ids_for("HELP-1", "out")
    service.close()
    rig.drop(mail(sender="Mallory <mallory@evil.example>", subject="Re: Cannot log in",
                  message_id="<forged1@evil.example>", body="Send the export to me.",
                  headers=("In-Reply-To: <req1.pat.doe@uni.example.edu>",)))
    rig.drop(mail(sender="Mallory <mallory@evil.example>", subject="Re: Cannot log in",
                  message_id="<forged2@evil.example>", body="And again.",
                  headers=(f"In-Reply-To: {ours}", f"References: {ours}")))
    rig.ingest()
    assert rig.keys() == ["HELP-1", "HELP-2", "HELP-3"]
    assert rig.tracker.comments("HELP-1") == []
    assert rig.tracker.relations == [("HELP-2", "HELP-1"), ("HELP-3", "HELP-1")]
    with sqlite3.connect(rig.settings.state_db) as db:
        assert "mallory@evil.example" not in IntakeStore(db).participants("HELP-1")


def test_a_forged_bounce_naming_the_customer_silences_no_one(rig: Rig) -> None:
    """A delivery report that returns the customer's own Message-ID, not one of ours,
    proves nothing: quarantined, no note on the ticket, the customer still gets mail."""
    rig.drop(mail())
    rig.cycle()
    forged = (FIXTURES / "bounce-dsn.eml").read_bytes().replace(
        b"{{ORIGINAL}}", b"<req1.pat.doe@uni.example.edu>").replace(
        b"robin.park@uni.exmaple.edu", PAT.encode())
    rig.drop(forged)
    assert rig.ingest().quarantined == 1
    assert rig.tracker.comments("HELP-1") == []
    service = build(rig.config, rig.settings, clock=rig.clock, tracker=rig.tracker)
    assert service.store.suppression(PAT, rig.clock.now()) is None
    service.close()


def test_a_reply_failing_dmarc_at_our_server_opens_a_marked_ticket(tmp_path: Path) -> None:
    """With `authserv_id` set, the customer's reply that our mail server says failed DMARC
    (a spoofed From) never lands on their ticket: a new ticket, labelled tf-unverified for
    the rules, says so in its text and is linked to the ticket it named."""
    rig = make_rig(tmp_path, mailbox="  authserv_id: mx.example.edu\n")
    rig.drop(mail())
    rig.ingest()
    spoofed = ("Authentication-Results: mx.example.edu;\r\n dkim=none;\r\n spf=fail "
               "smtp.mailfrom=uni.example.edu;\r\n dmarc=fail (p=reject) "
               "header.from=uni.example.edu")
    rig.drop(mail(subject="Re: Cannot log in", message_id="<spoof@evil.example>",
                  headers=("In-Reply-To: <req1.pat.doe@uni.example.edu>", spoofed),
                  body="Please reset my password and mail it to me."))
    rig.ingest()
    assert rig.keys() == ["HELP-1", "HELP-2"]
    assert rig.tracker.comments("HELP-1") == []
    new = rig.issue("HELP-2")
    assert "tf-unverified" in new.labels
    assert new.text.splitlines()[1].startswith(
        f"Warning: the helpdesk's mail server could not verify that this mail comes from "
        f"{PAT} (dmarc=fail)")
    assert rig.tracker.relations == [("HELP-2", "HELP-1")]


def test_a_reply_to_address_does_not_become_a_participant(rig: Rig) -> None:
    """The customer's mail names someone else in Reply-To: that address gains no right to
    the ticket, so its own mail to it later opens a new ticket."""
    rig.drop(mail(headers=("Reply-To: Mallory <mallory@evil.example>",)))
    rig.ingest()
    rig.drop(mail(sender="Mallory <mallory@evil.example>", subject="Re: Cannot log in",
                  message_id="<m2@evil.example>",
                  headers=("In-Reply-To: <req1.pat.doe@uni.example.edu>",)))
    rig.ingest()
    assert rig.tracker.comments("HELP-1") == []
    assert rig.keys() == ["HELP-1", "HELP-2"]


def test_staff_may_use_a_key_and_a_customers_forward_opens_a_new_ticket(rig: Rig) -> None:
    """An engineer's mail with the key is a staff comment; `Fwd:` from a customer is a new
    request (Zammad #4965), linked to the ticket it forwards."""
    rig.drop(mail())
    rig.ingest()
    rig.drop(mail(sender="Alice <alice@example.edu>", subject="[HELP-1] found it",
                  message_id="<alice1@example.edu>"))
    rig.drop(mail(subject="Fwd: [HELP-1] We received your request",
                  message_id="<fwd1@uni.example.edu>"))
    rig.ingest()
    assert rig.keys() == ["HELP-1", "HELP-2"]
    assert rig.tracker.comments("HELP-1")[0].body.startswith("From: Alice <alice@example.edu>")
    assert rig.tracker.relations == [("HELP-2", "HELP-1")]


def test_a_reply_within_the_window_reopens_and_after_it_opens_a_linked_ticket(rig: Rig) -> None:
    """Complete -> Reviewing for a reply within `reopen_window` (7 days); 8 days later a
    new ticket linked to the old one, which stays Complete."""
    rig.drop(mail())
    rig.cycle()
    rig.complete("HELP-1")
    rig.later(hours=1)
    rig.cycle()
    rig.later(days=2)
    rig.drop(mail(subject="Re: Cannot log in", message_id="<again@uni.example.edu>",
                  headers=("In-Reply-To: <req1.pat.doe@uni.example.edu>",)))
    rig.cycle()
    assert rig.issue("HELP-1").status == "Reviewing"
    assert len(rig.tracker.comments("HELP-1")) == 1
    rig.complete("HELP-1")
    rig.later(hours=1)
    rig.cycle()
    rig.later(days=8)
    rig.drop(mail(subject="Re: Cannot log in", message_id="<late@uni.example.edu>",
                  headers=("In-Reply-To: <again@uni.example.edu>",)))
    rig.cycle()
    assert rig.issue("HELP-1").status == "Complete"
    assert rig.keys() == ["HELP-1", "HELP-2"]
    assert rig.issue("HELP-2").text.splitlines()[1].startswith("Follow-up to HELP-1")
    assert rig.tracker.relations == [("HELP-2", "HELP-1")]
    assert len(rig.outbox("request_submitted")) == 2


def test_an_out_of_office_reply_is_an_internal_note_that_reopens_nothing(rig: Rig) -> None:
    """On a completed ticket: an internal comment, status unchanged, no message to anyone."""
    rig.drop(mail())
    rig.cycle()
    rig.complete("HELP-1")
    rig.later(hours=1)
    rig.cycle()
    sent = rig.outbox()
    rig.drop(mail(subject="Automatische Antwort: [HELP-1] Your request is complete",
                  message_id="<oof1@uni.example.edu>",
                  headers=("X-Auto-Response-Suppress: All",
                           f"X-MS-Exchange-Inbox-Rules-Loop: {PAT}"),
                  body="Ich bin bis 7. Dezember nicht im Büro."))
    rig.later(minutes=5)
    rig.cycle()
    (note,) = rig.tracker.comments("HELP-1")
    assert not note.public and note.body.startswith(f"Automatic reply from Pat Doe <{PAT}>")
    assert rig.issue("HELP-1").status == "Complete"
    assert rig.outbox() == sent


def test_automatic_mail_opens_a_ticket_that_is_never_acknowledged(rig: Rig) -> None:
    """Cron mail is a ticket (research computing needs it) with no customer to answer: the
    acknowledgement rule finds no recipient, so nothing is sent to a machine."""
    rig.drop((FIXTURES / "cron-auto-generated.eml").read_bytes())
    rig.cycle()
    (key,) = rig.keys()
    issue = rig.issue(key)
    assert "tf-auto" in issue.labels
    assert issue.customer is None
    assert "automatic mail: Auto-Submitted: auto-generated" in issue.text
    assert rig.outbox() == []


def test_a_bounce_notes_the_ticket_and_stops_automatic_mail_to_the_address(rig: Rig) -> None:
    """The DSN quotes the Message-ID of our acknowledgement: an internal comment lands on
    that ticket, and the dead address is suppressed for 60 days."""
    rig.drop(mail(sender="Robin <robin.park@uni.exmaple.edu>", message_id="<robin@x.example>"))
    rig.cycle()
    service = build(rig.config, rig.settings, clock=rig.clock, tracker=rig.tracker)
    (ours,) = service.store.message_ids_for("HELP-1", "out")
    service.close()
    rig.drop((FIXTURES / "bounce-dsn.eml").read_bytes().replace(b"{{ORIGINAL}}", ours.encode()))
    rig.later(minutes=5)
    rig.cycle()
    assert rig.keys() == ["HELP-1"]
    (note,) = rig.tracker.comments("HELP-1")
    assert not note.public
    assert "robin.park@uni.exmaple.edu could not be delivered (permanent failure, status " \
           "5.1.1)" in note.body
    service = build(rig.config, rig.settings, clock=rig.clock, tracker=rig.tracker)
    reason = service.store.suppression("robin.park@uni.exmaple.edu", rig.clock.now())
    service.close()
    assert reason is not None and reason.startswith("bounced: 5.1.1")


def test_own_mail_and_strays_go_to_quarantine_with_a_reason(rig: Rig) -> None:
    """Our own acknowledgement coming back, a bounce for nothing we know, an out-of-office
    for no ticket: moved to Quarantine, each with its reason recorded."""
    rig.drop(mail(sender="REDCap Helpdesk <redcap_helpdesk@example.edu>",
                  message_id="<loop@example.edu>"))
    rig.drop((FIXTURES / "bounce-dsn.eml").read_bytes().replace(b"{{ORIGINAL}}", b"<nope@x>"))
    rig.drop((FIXTURES / "oof-exchange.eml").read_bytes())
    report = rig.ingest()
    assert (report.quarantined, report.tickets) == (3, 0)
    assert len(rig.folder("Quarantine")) == 3
    reasons = sorted(r.reason for r in (rig.record(k) for k in (
        "<loop@example.edu>", "<dsn.20261130@mx.example.edu>", "<oof.alex@uni.example.edu>"))
        if r is not None)
    assert reasons[0].startswith("a bounce for no known ticket")
    assert reasons[1].startswith("an automatic reply (Exchange out-of-office")
    assert reasons[2].startswith("our own mail came back")


def test_a_web_form_from_no_reply_is_for_the_person_in_reply_to(rig: Rig) -> None:
    """From noreply@ with the person in Reply-To: an ordinary request for that person."""
    rig.drop(mail(sender="Forms <noreply@forms.example.edu>",
                  headers=(f"Reply-To: Pat Doe <{PAT}>",)))
    rig.cycle()
    assert rig.issue("HELP-1").customer == PAT
    assert len(rig.outbox("request_submitted")) == 1


def test_a_reply_read_before_its_parent_waits_for_the_end_of_the_batch(rig: Rig) -> None:
    """Mail does not always arrive in order: a reply to a request later in the same batch
    is handled after it, and becomes a comment rather than a ticket of its own."""
    rig.drop(mail(subject="Re: Cannot log in", message_id="<early-reply@uni.example.edu>",
                  headers=("In-Reply-To: <req1.pat.doe@uni.example.edu>",), body="Also..."))
    rig.drop(mail())
    reply, request = sorted((rig.maildir / "new").iterdir(), key=lambda p: p.stat().st_mtime_ns)
    os.utime(request, ns=(1_000_000_000, 1_000_000_000))  # the request reads as the later one
    os.utime(reply, ns=(900_000_000, 900_000_000))
    report = rig.ingest()
    assert (report.tickets, report.comments) == (1, 1)
    assert rig.keys() == ["HELP-1"]
    assert rig.tracker.comments("HELP-1")[0].body.endswith("Also...")


def test_derive_counts_a_mail_comment_as_its_senders_not_ours() -> None:
    """A comment posted by ticketflow's user for a customer's mail: `commented by customer`,
    not own; the same user's own notes stay own and staff; the mirror's last customer reply
    is the mail's."""
    from connector.sync.derive import Vocabulary, events_from, last_customer_reply
    from connector.tracker.values import Comment, Person, TrackedTicket

    me = Person("acc-bot", None, "ticketflow")
    at = MONDAY
    mail_comment = Comment("c1", at, me, "From: Pat (by email)\n\nHi")
    note = Comment("c2", at + timedelta(minutes=1), me, "bounce", public=False)
    ticket = TrackedTicket(key="HELP-1", id="1", summary="s", status="Pending", created=at,
                           updated=at, customer=PAT, comments=(mail_comment, note))
    vocabulary = Vocabulary(frozenset(), "acc-bot")
    events = events_from(ticket, [], vocabulary, is_new=False, comments=[mail_comment, note],
                         mail_sides={"c1": "customer"})
    assert [(e.by, e.own) for e in events] == [("customer", False), ("staff", True)]
    assert last_customer_reply(ticket, None, {"c1": "customer"}) == at
    assert last_customer_reply(ticket, None) is None


def test_jira_unavailable_stops_the_pass_so_tickets_keep_arrival_order(rig: Rig) -> None:
    """When Jira fails transiently on the second of three mails, the pass stops there: the
    third does not become a ticket before the second, and the next pass takes both in order.
    (Order matters: keys and least-loaded picks follow it.)"""
    from connector.errors import NotDoneError

    for number in (1, 2, 3):
        rig.drop(mail(subject=f"Request number {number}",
                      message_id=f"<order{number}.pat.doe@uni.example.edu>"))
    create = rig.tracker.create
    calls = {"n": 0}

    def flaky(*args: object, **kwargs: object) -> str:
        calls["n"] += 1
        if calls["n"] == 2:
            raise NotDoneError("the tracker answered 503 (simulated)")
        return create(*args, **kwargs)  # type: ignore[arg-type]

    rig.tracker.create = flaky  # type: ignore[method-assign]
    first = rig.ingest()
    assert (first.tickets, first.deferred) == (1, 1)
    assert "stopped early: the tracker was unavailable" in first.error
    summaries = [rig.issue(key).summary for key in list(rig.keys())]
    assert summaries == ["Request number 1"]
    rig.later(minutes=1)
    second = rig.ingest()
    assert second.tickets == 2
    summaries = [rig.issue(key).summary for key in list(rig.keys())]
    assert summaries == ["Request number 1", "Request number 2", "Request number 3"]
