"""The readers without a server: the Maildir reader, and the IMAP URL as operators write it."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from connector.errors import ConfigError
from connector.mail.intake.imap import ImapTarget
from connector.mail.intake.maildir import MaildirMailbox

from .mails import fixture


def test_maildir_reads_new_and_cur_and_moves_into_sub_maildirs(tmp_path: Path) -> None:
    """Both `new/` and `cur/` are read; settled mail moves, by rename, into `.Processed` or
    `.Quarantine` (Maildir++ folders a mail client shows), so nothing is deleted."""
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add(fixture("request-plain.eml"))
    message = mailbox.MaildirMessage(fixture("header-only.eml"))
    message.set_subdir("cur")
    box.add(message)
    reader = MaildirMailbox(tmp_path / "Maildir", max_size=10_000_000)
    first, second = list(reader.fetch())
    reader.settle(first, "processed", key="a")
    reader.settle(second, "quarantine", key="b")
    assert list(reader.fetch()) == []
    assert len(list((tmp_path / "Maildir" / ".Processed" / "cur").iterdir())) == 1
    assert len(list((tmp_path / "Maildir" / ".Quarantine" / "cur").iterdir())) == 1
    assert (tmp_path / "Maildir" / ".Processed" / "maildirfolder").exists()
    reader.settle(first, "processed", key="a")  # moved already (another reader): no error


def test_maildir_reads_only_the_header_of_mail_over_the_limit(tmp_path: Path) -> None:
    """Over max_message_size: the header alone, flagged too large, with the real size."""
    raw = fixture("request-plain.eml") + b"x" * 5000
    mailbox.Maildir(tmp_path / "Maildir", create=True).add(raw)
    (mail,) = MaildirMailbox(tmp_path / "Maildir", max_size=1000).fetch()
    assert mail.too_large and mail.size == len(raw)
    assert mail.data.endswith(b"Content-Type: text/plain; charset=utf-8\r\n\r\n")
    assert b"account is locked" not in mail.data


@pytest.mark.parametrize(("url", "expected"), [
    ("imaps://helpdesk@mail.example.edu/INBOX",
     ("mail.example.edu", 993, "helpdesk", "INBOX", "tls")),
    ("imap://helpdesk@mail.example.edu/INBOX?starttls=true",
     ("mail.example.edu", 143, "helpdesk", "INBOX", "starttls")),
    ("imaps://redcap_helpdesk%40example.edu@outlook.office365.com:993/Shared%20Inbox",
     ("outlook.office365.com", 993, "redcap_helpdesk@example.edu", "Shared Inbox", "tls")),
    ("imap://u@127.0.0.1:10143?insecure=true", ("127.0.0.1", 10143, "u", "INBOX", "plain")),
])
def test_imap_urls(url: str, expected: tuple[object, ...]) -> None:
    """TLS, STARTTLS, a percent-encoded user (Microsoft 365 UPNs) and folder, plain text for
    loopback tests only."""
    target = ImapTarget.parse(url)
    assert (target.host, target.port, target.user, target.folder, target.security) == expected


@pytest.mark.parametrize(("url", "problem"), [
    ("imap://helpdesk@mail.example.edu/INBOX", "clear text"),
    ("pop3://helpdesk@mail.example.edu/", "expected imaps://"),
    ("imaps://mail.example.edu/INBOX", "expected a user and a host"),
])
def test_bad_imap_urls_are_config_errors(url: str, problem: str) -> None:
    """Plain text without saying so, another scheme, or no user: stopped at start-up."""
    with pytest.raises(ConfigError, match=problem):
        ImapTarget.parse(url)
