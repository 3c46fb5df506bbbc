"""Idempotency: one ticket or one comment per message, however often and however it is read.

A crash is a BaseException raised right after a tracker write (the process dies with the
tracker changed and nothing recorded), or while moving the file; the next run resumes from the
milestones intake wrote, finding what the write left behind instead of repeating it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from connector.errors import AuthError, NotDoneError, RetriableError, TrackerError
from connector.mail.intake.base import Destination, RawMail
from connector.mail.intake.ingest import MAX_ATTEMPTS
from connector.mail.intake.maildir import MaildirMailbox
from connector.state.intake import IntakeStore
from connector.tracker.values import Attachment, Comment, NewTicket

from .test_ingest import PAT, Rig, mail, make_rig


class Crash(BaseException):
    """The process dies here (not an Exception: nothing in ticketflow may catch it)."""


class CrashingTracker:
    """Arms one FakeTracker method to raise Crash once, after it has done its work."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.armed: dict[str, int] = {}
        fake = rig.tracker
        original_create, original_comment, original_attach = (
            fake.create, fake.add_comment, fake.attach)

        def create(ticket: NewTicket) -> str:
            key = original_create(ticket)
            self._maybe("create")
            return key

        def add_comment(key: str, body: str, *, public: bool) -> Comment:
            comment = original_comment(key, body, public=public)
            self._maybe("add_comment")
            return comment

        def attach(key: str, attachment: Attachment) -> None:
            original_attach(key, attachment)
            self._maybe("attach")

        fake.create = create  # type: ignore[method-assign]
        fake.add_comment = add_comment  # type: ignore[method-assign]
        fake.attach = attach  # type: ignore[method-assign]

    def arm(self, method: str, after: int = 1) -> None:
        self.armed[method] = after

    def _maybe(self, method: str) -> None:
        if method in self.armed:
            self.armed[method] -= 1
            if self.armed[method] == 0:
                del self.armed[method]
                raise Crash(method)


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return make_rig(tmp_path)


def _crash_then_recover(rig: Rig) -> None:
    with pytest.raises(Crash):
        rig.ingest()
    rig.ingest()


def test_the_same_message_twice_is_one_ticket(rig: Rig) -> None:
    """Delivered twice (two files, same bytes): one ticket; the copy is only moved."""
    rig.drop(mail())
    rig.drop(mail())
    report = rig.ingest()
    assert (report.tickets, report.duplicates) == (1, 1)
    assert rig.keys() == ["HELP-1"]
    assert len(rig.folder("Processed")) == 2


def test_a_message_to_two_aliases_is_one_ticket(rig: Rig) -> None:
    """The copy for the second alias has other To and Received lines but the same id."""
    rig.drop(mail())
    rig.drop(b"Received: from mx2.example.edu\r\nDelivered-To: help@example.edu\r\n"
             + mail(to="help@example.edu, redcap_helpdesk@example.edu"))
    rig.ingest()
    rig.drop(mail())  # and once more, a later pass
    rig.ingest()
    assert rig.keys() == ["HELP-1"]


def test_a_message_without_message_id_delivered_twice_is_one_ticket(rig: Rig) -> None:
    """No Message-ID: the synthesised key still recognises the second copy."""
    raw = mail(message_id=None)
    rig.drop(raw)
    rig.drop(b"Received: from relay.example\r\n" + raw)
    rig.ingest()
    assert rig.keys() == ["HELP-1"]


def test_crash_after_creating_the_ticket_before_recording_it(rig: Rig) -> None:
    """The tracker has the ticket, ticketflow's records do not: the mail's marker finds it;
    no second one."""
    CrashingTracker(rig).arm("create")
    rig.drop(mail())
    _crash_then_recover(rig)
    assert rig.keys() == ["HELP-1"]
    assert rig.tracker.calls.count("create") == 1
    assert "find_by_mail_marker" in rig.tracker.calls
    record = rig.record("<req1.pat.doe@uni.example.edu>")
    assert record is not None and (record.outcome, record.issue_key) == ("ticket", "HELP-1")


def test_crash_after_posting_the_comment_before_recording_it(rig: Rig) -> None:
    """The comment exists in the tracker, not in the records: found by its text, not posted
    again,
    and still recorded as the customer's."""
    rig.drop(mail())
    rig.ingest()
    CrashingTracker(rig).arm("add_comment")
    rig.drop(mail(subject="Re: x", message_id="<r2@uni.example.edu>",
                  headers=("In-Reply-To: <req1.pat.doe@uni.example.edu>",), body="More."))
    _crash_then_recover(rig)
    (comment,) = rig.tracker.comments("HELP-1")
    with sqlite3.connect(rig.settings.state_db) as db:
        assert IntakeStore(db).comment_sides([comment.id]) == {comment.id: "customer"}


def test_crash_between_two_uploads_uploads_only_the_rest(rig: Rig) -> None:
    """Attachments are counted as they go: after a crash the first is not uploaded again."""
    raw = (f"From: Pat <{PAT}>\r\nTo: redcap_helpdesk@example.edu\r\nSubject: Two files\r\n"
           "Message-ID: <two@uni.example.edu>\r\nMIME-Version: 1.0\r\n"
           'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\n'
           "Content-Type: text/plain\r\n\r\nFiles.\r\n--x\r\n"
           'Content-Type: text/csv\r\nContent-Disposition: attachment; filename="a.csv"'
           "\r\n\r\n1\r\n--x\r\n"
           'Content-Type: text/csv\r\nContent-Disposition: attachment; filename="b.csv"'
           "\r\n\r\n2\r\n--x--\r\n").encode()
    CrashingTracker(rig).arm("attach")
    rig.drop(raw)
    _crash_then_recover(rig)
    assert rig.tracker.attachments("HELP-1") == ["a.csv", "b.csv"]
    assert rig.keys() == ["HELP-1"]


class FailingMove(MaildirMailbox):
    """Commits fine, then dies while moving the message out of the inbox."""

    def settle(self, mail: RawMail, destination: Destination, *, key: str) -> None:
        raise Crash("move")


def test_crash_after_the_commit_before_the_move(rig: Rig, monkeypatch: pytest.MonkeyPatch
                                                ) -> None:
    """The message is still in the inbox next time: found handled, moved, nothing else."""
    rig.drop(mail())
    monkeypatch.setattr("connector.app.MaildirMailbox", FailingMove)
    with pytest.raises(Crash):
        rig.ingest()
    monkeypatch.undo()
    report = rig.ingest()
    assert (report.tickets, report.duplicates) == (0, 1)
    assert rig.keys() == ["HELP-1"]
    assert len(rig.folder("Processed")) == 1


class Unavailable:
    """A tracker whose every write fails as it does when it is down."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __call__(self, *args: Sequence[Any], **kwargs: Mapping[str, Any]) -> Any:
        raise self.error


def test_tracker_trouble_leaves_the_mail_for_later_then_quarantines_it(rig: Rig) -> None:
    """A retriable error leaves the mail in the inbox for the next pass, and does not count;
    a refusal that repeats is quarantined after MAX_ATTEMPTS refusals with the tracker's
    words as the reason."""
    original = rig.tracker.create
    rig.tracker.create = Unavailable(NotDoneError("HTTP 503"))  # type: ignore[method-assign]
    rig.drop(mail())
    assert rig.ingest().deferred == 1
    assert len(list((rig.maildir / "new").iterdir()) + list((rig.maildir / "cur").iterdir())) == 1
    rig.tracker.create = Unavailable(  # type: ignore[method-assign]
        TrackerError("HTTP 400: customfield_10072 is not on the screen", status=400))
    reports = [rig.ingest() for _ in range(MAX_ATTEMPTS)]
    assert [r.quarantined for r in reports] == [0] * (MAX_ATTEMPTS - 1) + [1]
    record = rig.record("<req1.pat.doe@uni.example.edu>")
    assert record is not None and "not on the screen" in record.reason
    assert (record.attempts, record.waits) == (MAX_ATTEMPTS, 1)
    rig.tracker.create = original  # type: ignore[method-assign]
    assert rig.keys() == []


def test_two_hours_of_outage_and_refused_credentials_quarantine_nothing(rig: Rig) -> None:
    """The tracker down for two hours at the default one-minute interval (120 passes), then
    refusing ticketflow's credentials for six more: the mail waits in the inbox the whole
    time, counts no attempt, and becomes its ticket when the tracker is back."""
    fake = rig.tracker
    create, find = fake.create, fake.find_by_mail_marker
    rig.drop(mail())
    fake.create = fake.find_by_mail_marker = Unavailable(  # type: ignore[method-assign]
        NotDoneError("HTTP 503"))
    for _ in range(120):
        rig.later(minutes=1)
        report = rig.ingest()
        assert (report.deferred, report.quarantined) == (1, 0)
    fake.create = fake.find_by_mail_marker = Unavailable(  # type: ignore[method-assign]
        AuthError("the tracker refused the credentials (HTTP 401)", status=401))
    for _ in range(6):
        rig.later(minutes=1)
        with pytest.raises(AuthError):
            rig.ingest()
    fake.create, fake.find_by_mail_marker = create, find  # type: ignore[method-assign]
    rig.later(minutes=1)
    assert rig.ingest().tickets == 1
    record = rig.record("<req1.pat.doe@uni.example.edu>")
    assert record is not None and (record.outcome, record.attempts) == ("ticket", 0)
    assert record.waits == 126 and rig.folder("Quarantine") == []


def _thanks(number: int) -> bytes:
    return mail(subject="Re: Cannot log in", message_id=f"<thanks{number}@uni.example.edu>",
                headers=("In-Reply-To: <req1.pat.doe@uni.example.edu>",), body="Thanks!")


@pytest.mark.parametrize("reached_tracker", [False, True])
def test_a_second_thanks_whose_post_was_lost_is_its_own_comment(rig: Rig,
                                                                reached_tracker: bool) -> None:
    """Two replies that both say "Thanks!": the second's comment POST fails (dropped before
    the tracker saw it, or done by the tracker with the answer lost). Resuming, intake looks for the
    second mail's own marker, not for the text, so the ticket ends with exactly two
    comments, one per mail."""
    rig.drop(mail())
    rig.ingest()
    rig.drop(_thanks(1))
    rig.ingest()
    original = rig.tracker.add_comment

    def dropped(key: str, body: str, *, public: bool) -> Comment:
        if reached_tracker:
            original(key, body, public=public)
        raise RetriableError("POST /issue/HELP-1/comment: cannot reach Jira (ConnectionError)")

    rig.tracker.add_comment = dropped  # type: ignore[method-assign]
    rig.drop(_thanks(2))
    assert rig.ingest().deferred == 1
    rig.tracker.add_comment = original  # type: ignore[method-assign]
    rig.later(minutes=1)
    assert rig.ingest().comments == 1
    bodies = [c.body for c in rig.tracker.comments("HELP-1")]
    assert len(bodies) == 2 and all(b.endswith("Thanks!") for b in bodies)
    first, second = (rig.record(f"<thanks{n}@uni.example.edu>") for n in (1, 2))
    assert first is not None and second is not None
    assert first.comment_id != second.comment_id


def test_a_crash_after_the_oversized_note_posts_it_once(rig: Rig) -> None:
    """The note naming an attachment too large to upload is fenced like a comment: a crash
    right after the tracker took it leaves one note, found again by its marker."""
    limit = rig.config.mappings.mailbox.max_attachment_size
    raw = (f"From: Pat <{PAT}>\r\nTo: redcap_helpdesk@example.edu\r\nSubject: Big\r\n"
           "Message-ID: <big@uni.example.edu>\r\nMIME-Version: 1.0\r\n"
           'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\n'
           "Content-Type: text/plain\r\n\r\nA big log.\r\n--x\r\n"
           'Content-Type: text/plain\r\nContent-Disposition: attachment; filename="big.log"'
           f"\r\n\r\n{'A' * (limit + 10)}\r\n--x--\r\n").encode()
    CrashingTracker(rig).arm("add_comment")
    rig.drop(raw)
    _crash_then_recover(rig)
    (note,) = rig.tracker.comments("HELP-1")
    assert not note.public and "big.log" in note.body


class SlowTracker:
    """A tracker as issue 13 found Jira: a create that finishes after the client gave up (or
    never reaches it), and a search that sees a new ticket only `lag` after it was made
    (Jira Cloud's search is eventually consistent)."""

    def __init__(self, rig: Rig, *, lag: timedelta, creates: bool) -> None:
        self.rig, self.lag = rig, lag
        self.create, self.find = rig.tracker.create, rig.tracker.find_by_mail_marker
        rig.tracker.create = self.timed_out if creates else self.dropped  # type: ignore[method-assign]
        rig.tracker.find_by_mail_marker = self.lagging  # type: ignore[method-assign]

    def timed_out(self, ticket: NewTicket) -> str:
        self.create(ticket)
        raise RetriableError("POST /rest/api/3/issue: cannot reach Jira (ReadTimeout)")

    def dropped(self, ticket: NewTicket) -> str:
        raise RetriableError("POST /rest/api/3/issue: cannot reach Jira (ConnectionError)")

    def answers_again(self) -> None:
        self.rig.tracker.create = self.create  # type: ignore[method-assign]

    def lagging(self, marker: str) -> str | None:
        found = self.find(marker)
        if found is None or self.rig.tracker.ticket(found).created > (
                self.rig.clock.now() - self.lag):
            return None
        return found


def test_a_create_that_outlives_the_read_timeout_makes_one_ticket(rig: Rig) -> None:
    """The tracker makes the ticket after the client gave up, and its search does not show
    it for two minutes. The next pass, a minute later, looks by the mail's marker, misses, and
    waits instead of creating again (counting no attempt, and keeping the later mail
    behind it); the pass after finds the issue: one ticket, recorded as the mail's."""
    slow = SlowTracker(rig, lag=timedelta(minutes=2), creates=True)
    rig.drop(mail())
    assert rig.ingest().deferred == 1
    slow.answers_again()
    rig.drop(mail(subject="A later request", message_id="<later@uni.example.edu>"))
    rig.later(minutes=1)
    waiting = rig.ingest()  # the later mail waits too: tickets keep arrival order
    assert (waiting.deferred, waiting.tickets, rig.keys()) == (1, 0, ["HELP-1"])
    rig.later(minutes=10)
    assert rig.ingest().tickets == 2
    assert [rig.issue(k).summary for k in list(rig.keys())] == ["Cannot log in to REDCap",
                                                                "A later request"]
    record = rig.record("<req1.pat.doe@uni.example.edu>")
    assert record is not None and (record.issue_key, record.attempts) == ("HELP-1", 0)


def test_a_create_that_never_reached_the_tracker_is_made_once_the_wait_is_over(
        rig: Rig) -> None:
    """The same lost answer, but the request never reached the tracker: the second look-up, a pass
    later, still finds nothing, so the ticket is made then; nothing is lost."""
    slow = SlowTracker(rig, lag=timedelta(minutes=2), creates=False)
    rig.drop(mail())
    assert rig.ingest().deferred == 1
    slow.answers_again()
    rig.later(minutes=1)
    assert rig.ingest().deferred == 1
    rig.later(minutes=10)
    assert rig.ingest().tickets == 1
    assert rig.keys() == ["HELP-1"]
