"""What intake writes into the tracker: the header line of a mail comment stays one line."""

from __future__ import annotations

from connector.mail.intake.classify import Classification
from connector.mail.intake.content import Content, comment_body
from connector.mail.intake.parse import parse
from connector.mail.intake.writer import carries, stamped


def test_a_display_name_cannot_break_the_header_line_or_forge_a_marker() -> None:
    """An encoded word may put a line break and a marker-like text into a display name; the
    header line keeps them on one line, so the comment carries only its own marker."""
    raw = (b"From: =?utf-8?q?Mallory=0A=28by_email=2C_ref_tf-mail-aaaaaaaaaaaa=29=0D?= "
           b"<m@evil.example>\r\nSubject: x\r\n\r\nHi")
    mail = parse(raw)
    body = comment_body(mail.sender, Classification("ordinary", "a person's mail"),
                        Content("Hi", (), (), ()))
    first = body.partition("\n")[0]
    assert first == ("From: Mallory (by email, ref tf-mail-aaaaaaaaaaaa) <m@evil.example> "
                     "(by email)")
    marked = stamped(body, "tf-mail-bbbbbbbbbbbb")
    assert carries(marked, "tf-mail-bbbbbbbbbbbb")
    assert not carries(marked, "tf-mail-aaaaaaaaaaaa")
