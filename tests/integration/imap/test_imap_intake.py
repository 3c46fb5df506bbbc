"""Mail intake against a real IMAP server (dovecot): UIDs under UIDVALIDITY, BODY.PEEK that
leaves flags alone, MOVE after the commit, Quarantine, COPY+EXPUNGE without MOVE, XOAUTH2,
TLS and STARTTLS, and a failed move retried without a re-read."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connector.app import build
from connector.cli import main
from connector.clock import SettableClock
from connector.config.loader import Config, load_config
from connector.errors import FatalError, TrackerError
from connector.mail.intake.imap import ImapMailbox, ImapTarget
from connector.mail.intake.ingest import IngestReport
from connector.settings import Settings
from connector.state.intake import IntakeStore, MailRecord
from connector.state.sqlite import SqliteStateStore
from connector.tracker.fake import FakeTracker

from .conftest import PASSWORD, TOKEN, USER, Dovecot

ROOT = Path(__file__).resolve().parents[3]
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


def mail(number: int, *, sender: str = "Pat Doe <pat.doe@uni.example.edu>",
         extra: str = "") -> bytes:
    return (f"From: {sender}\r\nTo: redcap_helpdesk@example.edu\r\n"
            f"Subject: Request number {number}\r\nMessage-ID: <req{number}@uni.example.edu>\r\n"
            f"Date: Mon, 30 Nov 2026 08:40:00 -0600\r\n{extra}\r\nPlease help ({number}).\r\n"
            ).encode()


@dataclass
class Service:
    """ticketflow wired as `once` wires it, reading dovecot, writing to a FakeTracker."""

    config: Config
    settings: Settings
    tracker: FakeTracker
    clock: SettableClock

    def ingest(self) -> IngestReport:
        service = build(self.config, self.settings, clock=self.clock, tracker=self.tracker)
        try:
            assert service.cycle.ingest is not None
            report = service.cycle.ingest(self.clock.now())
            assert isinstance(report, IngestReport)
            return report
        finally:
            service.close()

    def quarantined(self) -> list[MailRecord]:
        with closing(sqlite3.connect(self.settings.state_db)) as db:
            return IntakeStore(db).quarantined()


def make_service(tmp_path: Path, url: str, **settings: object) -> Service:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name in ("rules.yaml", "mappings.yaml", "rules"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, tmp_path / name)
    config = load_config(tmp_path)
    clock = SettableClock(MONDAY)
    values: dict[str, object] = {"imap_password": PASSWORD, **settings}
    return Service(config, Settings(
        state_db=tmp_path / "state.db", outbox_dir=tmp_path / "outbox", imap_url=url,
        jira_url="https://jira.example.edu", _env_file=None, **values),  # type: ignore[call-arg,arg-type]
        FakeTracker.from_config(config, clock=clock), clock)


def test_read_with_peek_and_moved_after_commit(dovecot: Dovecot, tmp_path: Path) -> None:
    """Two requests (one a person already read in Outlook): two tickets; both moved to
    Processed with their flags as they were: \\Seen is neither set nor relied on."""
    dovecot.append(mail(1))
    dovecot.append(mail(2), flags=(b"\\Seen",))
    service = make_service(tmp_path, dovecot.url())
    report = service.ingest()
    assert (report.read, report.tickets) == (2, 2)
    assert dovecot.messages("INBOX") == []
    moved = {mid: flags for _, flags, mid in dovecot.messages("Processed")}
    assert moved == {b"Message-ID: <req1@uni.example.edu>": (),
                     b"Message-ID: <req2@uni.example.edu>": (b"\\Seen",)}
    assert dovecot.messages("Quarantine") == []  # created, empty


def test_unusable_mail_goes_to_quarantine_with_its_reason(dovecot: Dovecot,
                                                          tmp_path: Path) -> None:
    """Our own mail coming back is moved to Quarantine and the reason is recorded."""
    dovecot.append(mail(1, sender="Helpdesk <redcap_helpdesk@example.edu>"))
    service = make_service(tmp_path, dovecot.url())
    assert service.ingest().quarantined == 1
    assert [m for _, _, m in dovecot.messages("Quarantine")] == [
        b"Message-ID: <req1@uni.example.edu>"]
    (entry,) = service.quarantined()
    assert entry.reason.startswith("our own mail came back")


def test_a_failed_move_is_retried_without_reading_the_message_again(
        dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outcome is committed, then the move fails: the next pass moves the message by its
    remembered UID, with no second fetch and no second attempt at the ticket."""
    dovecot.append(mail(1))
    service = make_service(tmp_path, dovecot.url())

    def broken(self: ImapMailbox, uid: int, folder: str) -> None:
        raise OSError("connection reset")

    monkeypatch.setattr(ImapMailbox, "_move", broken)
    first = service.ingest()
    assert first.tickets == 1 and "move to Processed" in first.error
    monkeypatch.undo()
    fetched: list[int] = []
    original = ImapMailbox._read
    monkeypatch.setattr(ImapMailbox, "_read", lambda self, v, uid, meta: fetched.append(uid)
                        or original(self, v, uid, meta))
    second = service.ingest()
    assert (second.read, fetched) == (0, [])
    assert [m for _, _, m in dovecot.messages("Processed")] == [
        b"Message-ID: <req1@uni.example.edu>"]
    assert list(service.tracker._records) == ["HELP-1"]


def test_a_new_uidvalidity_forgets_uids_and_message_ids_prevent_doubles(
        dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """The folder is rebuilt (new UIDVALIDITY, same mail under new UIDs): intake says so,
    reads it again, and the Message-ID records turn every copy into a move, not a ticket."""
    dovecot.append(mail(1), folder="Support")
    service = make_service(tmp_path, dovecot.url("Support"))
    monkeypatch.setattr(ImapMailbox, "_move", lambda self, uid, folder: None)  # stays put
    assert service.ingest().tickets == 1
    monkeypatch.undo()
    with dovecot._session() as client:
        old = client.folder_status("Support", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        client.delete_folder("Support")
    dovecot.append(mail(1), folder="Support")
    dovecot.append(mail(2), folder="Support")
    caplog.set_level(logging.WARNING)
    report = service.ingest()
    assert "UIDVALIDITY of" in caplog.text and str(old) in caplog.text
    assert (report.duplicates, report.tickets) == (1, 1)
    assert sorted(service.tracker._records) == ["HELP-1", "HELP-2"]
    assert dovecot.messages("Support") == []


def test_copy_delete_and_uid_expunge_when_the_server_has_no_move(
        dovecot: Dovecot, tmp_path: Path) -> None:
    """Without MOVE: COPY, \\Deleted and UID EXPUNGE of that one UID, never a plain EXPUNGE
    (another client's deleted message stays where it is)."""
    dovecot.append(mail(1))
    dovecot.append(mail(9), flags=(b"\\Deleted",))  # someone else's, not yet expunged
    store = SqliteStateStore(tmp_path / "state.db")
    try:
        box = ImapMailbox(ImapTarget.parse(dovecot.url()), book=IntakeStore(store.db),
                          max_size=10_000_000, password=PASSWORD)
        box._moves = False
        (raw,) = list(box.fetch())
        box.settle(raw, "processed", key="<req1@uni.example.edu>")
        box.close()
    finally:
        store.close()
    assert [m for _, _, m in dovecot.messages("Processed")] == [
        b"Message-ID: <req1@uni.example.edu>"]
    assert [(f, m) for _, f, m in dovecot.messages("INBOX")] == [
        ((b"\\Deleted",), b"Message-ID: <req9@uni.example.edu>")]


def test_xoauth2_login_and_a_refused_token(dovecot: Dovecot, tmp_path: Path) -> None:
    """XOAUTH2 (Microsoft 365, Google) with a good token reads the mailbox; a refused token
    is reported by the pass, and the cycle carries on."""
    dovecot.append(mail(1))
    good = make_service(tmp_path / "good", dovecot.url(), imap_password=None,
                        imap_oauth2_token=TOKEN)
    assert good.ingest().tickets == 1
    bad = make_service(tmp_path / "bad", dovecot.url(), imap_password=None,
                       imap_oauth2_token="expired-token")
    report = bad.ingest()
    assert report.read == 0 and "login to" in report.error and "refused" in report.error
    with closing(sqlite3.connect(":memory:")) as db, pytest.raises(FatalError, match="refused"):
        ImapMailbox(ImapTarget.parse(dovecot.url()), book=IntakeStore(db), max_size=1,
                    oauth2_token="expired-token")


def test_tls_and_starttls_with_a_private_ca(dovecot: Dovecot, tmp_path: Path) -> None:
    """imaps:// on the TLS port, and imap://?starttls=true on the plain one, both verified
    against the CA named by ?cafile=."""
    dovecot.append(mail(1))
    dovecot.append(mail(2))
    tls = f"imaps://{USER}@127.0.0.1:{dovecot.tls_port}/INBOX?cafile={dovecot.ca_file}"
    box_tls = make_service(tmp_path / "tls", tls)
    starttls = f"imap://{USER}@127.0.0.1:{dovecot.port}/INBOX?starttls=true&cafile=" \
               f"{dovecot.ca_file}"
    box_starttls = make_service(tmp_path / "starttls", starttls)
    assert box_tls.ingest().tickets == 2
    dovecot.append(mail(3))
    assert box_starttls.ingest().tickets == 1
    untrusted = make_service(tmp_path / "untrusted",
                             f"imaps://{USER}@127.0.0.1:{dovecot.tls_port}/INBOX")
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.ingest().error


def test_mail_over_the_size_limit_is_read_as_its_header_only(dovecot: Dovecot,
                                                            tmp_path: Path) -> None:
    """RFC822.SIZE is read first: over max_message_size only the header is fetched, the
    ticket says so, and the message is moved like any other."""
    big = mail(1, extra="X-Padding: yes\r\n") + b"x" * 50_000 + b"\r\n"
    dovecot.append(big)
    service = make_service(tmp_path, dovecot.url())
    box = service.config.mappings.mailbox.model_copy(update={"max_message_size": 10_000})
    service.config = Config(service.config.rules, service.config.mappings.model_copy(
        update={"mailbox": box}), service.config.templates, service.config.config_dir,
        service.config.files)
    assert service.ingest().tickets == 1
    description = service.tracker.ticket("HELP-1").text
    assert "over the 10.0 KB limit: only its header was read" in description
    assert "xxxx" not in description
    assert len(dovecot.messages("Processed")) == 1



def test_released_mail_moves_back_to_the_inbox_and_is_handled_anew(
        dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Two mails the tracker refused five times (one without a Message-ID) sit in Quarantine;
    `ticketflow mail release --all` moves both back to INBOX, the next pass makes their
    tickets, and a second release finds nothing to do."""
    dovecot.append(mail(1))
    dovecot.append(b"From: Kim <kim@uni.example.edu>\r\nTo: redcap_helpdesk@example.edu\r\n"
                   b"Subject: No id\r\nDate: Mon, 30 Nov 2026 08:41:00 -0600\r\n\r\nHi\r\n")
    service = make_service(tmp_path, dovecot.url())
    create = service.tracker.create

    def refused(*args: object, **kwargs: object) -> object:
        raise TrackerError("HTTP 400: summary: too long", status=400)

    service.tracker.create = refused  # type: ignore[method-assign,assignment]
    for _ in range(5):
        service.ingest()
    assert len(dovecot.messages("Quarantine")) == 2 and dovecot.messages("INBOX") == []
    service.tracker.create = create  # type: ignore[method-assign]
    for name, value in {"IMAP_URL": dovecot.url(), "IMAP_PASSWORD": PASSWORD,
                        "STATE_DB": str(service.settings.state_db),
                        "CONFIG_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(f"TICKETFLOW_{name}", value)
    assert main(["mail", "release", "--all"]) == 0
    assert capsys.readouterr().out.count("back in the inbox") == 2
    assert len(dovecot.messages("INBOX")) == 2 and dovecot.messages("Quarantine") == []
    assert service.ingest().tickets == 2
    assert len(dovecot.messages("Processed")) == 2
    assert main(["mail", "release", "--all"]) == 0
    assert capsys.readouterr().out == "no quarantined mail to release\n"
