"""Parsing is total: every hazard of the checklist reads as something useful, never raises."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

import pytest

from connector.mail.intake.charsets import codec_for, decode_bytes, decode_header
from connector.mail.intake.parse import message_ids, parse, people
from connector.mail.intake.parts import MAX_DEPTH, MAX_PARTS

from .mails import fixture

ARRIVED = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def test_plain_request_reads_every_field() -> None:
    """The ordinary case: ids, people, subject, date and text as written."""
    mail = parse(fixture("request-plain.eml"))
    assert mail.message_id == "<req1.pat.doe@uni.example.edu>"
    assert mail.sender is not None and mail.sender.address == "pat.doe@uni.example.edu"
    assert mail.sender.name == "Pat Doe"
    assert [p.address for p in mail.to] == ["redcap_helpdesk@example.edu"]
    assert mail.subject == "Cannot log in to REDCap"
    assert mail.date == datetime(2026, 11, 30, 14, 40, tzinfo=UTC)
    assert "account is locked" in mail.text
    assert mail.parser == "compat32"


def test_latin1_label_on_cp1252_bytes_reads_as_cp1252() -> None:
    """Windows clients label cp1252 as iso-8859-1: the euro sign and curly quotes survive."""
    mail = parse(fixture("charset-cp1252-labelled-latin1.eml"))
    assert "€40 \u2013 “per project”, café" in mail.text


def test_latin1_label_on_utf8_bytes_reads_as_utf8() -> None:
    """Valid UTF-8 under a Latin-1 label is UTF-8 (a common lie), not mojibake."""
    assert "Grüße aus Köln \u2013 東京" in parse(fixture("charset-utf8-labelled-latin1.eml")).text


def test_unknown_charset_falls_back_instead_of_raising() -> None:
    """`x-unknown` raises LookupError in get_content(); here it reads through the fallbacks."""
    assert "Résumé attached." in parse(fixture("charset-unknown.eml")).text


def test_charset_aliases_python_does_not_know() -> None:
    """windows-874, iso-8859-8-i, x-sjis, x-gbk ... map to codecs Python has."""
    assert "สวัสดีครับ" in parse(fixture("charset-alias-windows-874.eml")).text
    assert codec_for("iso-8859-8-i") == "iso-8859-8"
    assert codec_for("x-sjis") == "cp932"
    assert codec_for("x-gbk") == "gb18030"
    assert codec_for("unknown-8bit") is None
    assert decode_bytes(b"\xff\xfe\x00", "no-such-charset")[0]  # never raises


def test_encoded_word_headers_decode_and_a_comma_in_a_name_stays_one_address() -> None:
    """RFC 2047 subjects and names decode; a broken or unknown encoded word keeps its text."""
    mail = parse(fixture("encoded-words.eml"))
    assert mail.subject.startswith("Übersicht über die Studie")
    assert "broken" in mail.subject and "tail" in mail.subject
    assert mail.sender is not None and mail.sender.name == "Doe, Pat"
    assert [p.address for p in mail.to] == ["redcap_helpdesk@example.edu",
                                            "joerg@uni.example.de"]
    assert mail.to[1].name == "Jörg Müller"


def test_rfc2231_and_rfc2047_file_names() -> None:
    """`filename*=UTF-8''…`, its continuations, and RFC 2047 inside quotes all decode."""
    names = [a.filename for a in parse(fixture("rfc2231-filenames.eml")).attachments]
    assert names == ["Übersicht.pdf", "Datenexport für die Kohorte.csv", "Bildschirmfoto ä.png"]


def test_exchange_message_id_is_read_from_the_raw_header() -> None:
    """`<[hex]@microsoft.com>` makes the modern policy raise when the header is read."""
    assert parse(fixture("exchange-message-id.eml")).message_id == "<[0a1b2c3d4e5f]@microsoft.com>"


def test_parameter_ending_in_a_star_parses() -> None:
    """cpython #151857: `policy.default` raises IndexError inside message_from_bytes on a
    parameter ending in `*`; compat32, tried first, reads the message."""
    with pytest.raises(IndexError):
        email.message_from_bytes(fixture("content-type-name-star.eml"), policy=policy.default)
    mail = parse(fixture("content-type-name-star.eml"))
    assert mail.parser == "compat32"
    assert "raises IndexError" in mail.text


def test_each_parser_falls_back_to_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    """compat32 failing: policy.default; both failing: headers split by hand, the rest as
    text, and a note saying the parse was lenient."""
    real = email.message_from_bytes
    failing = {"compat32"}

    def flaky(data: bytes, policy: object) -> object:
        if type(policy).__name__.lower() in failing:
            raise RecursionError("parser gave up")
        return real(data, policy=policy)  # type: ignore[arg-type]

    monkeypatch.setattr(email, "message_from_bytes", flaky)
    assert parse(fixture("request-plain.eml")).parser == "default"
    failing.add("emailpolicy")
    mail = parse(fixture("request-plain.eml"))
    assert (mail.parser, mail.subject, mail.message_id) == (
        "raw", "Cannot log in to REDCap", "<req1.pat.doe@uni.example.edu>")
    assert "account is locked" in mail.text
    assert any("RecursionError" in note for note in mail.notes)


def test_missing_message_id_gets_a_stable_key() -> None:
    """No Message-ID: the key hashes what every delivery path keeps, so it is the same for
    a second copy with other Received lines, and differs for other mail."""
    raw = fixture("missing-message-id.eml")
    mail = parse(raw)
    assert mail.message_id is None
    assert mail.key.startswith("gen:")
    assert parse(b"Received: from relay2\r\n" + raw).key == mail.key
    assert parse(raw.replace(b"drop the", b"lose the")).key != mail.key


def test_malformed_and_missing_dates_use_the_arrival_time() -> None:
    """An unreadable Date (`Mon, 32 Foo 2024 25:61 +9999`) or none: the server's time."""
    assert parse(fixture("malformed-date.eml"), received=ARRIVED).date == ARRIVED
    assert parse(fixture("missing-date.eml"), received=ARRIVED).date == ARRIVED
    assert parse(fixture("missing-date.eml")).date is None


def test_header_only_mail_has_empty_text() -> None:
    """A message with no body at all parses, with empty text and no attachments."""
    mail = parse(fixture("header-only.eml"))
    assert mail.subject == "Header only"
    assert mail.text == ""
    assert mail.attachments == ()


def test_tnef_is_attached_as_it_came_and_flagged() -> None:
    """winmail.dat is kept (tnefparse is LGPL; we do not unpack) and the agent is told."""
    mail = parse(fixture("tnef-winmail.eml"))
    assert [a.filename for a in mail.attachments] == ["winmail.dat"]
    assert any("TNEF" in note for note in mail.notes)
    assert "See the attached file." in mail.text


def test_smime_encrypted_is_attached_and_flagged() -> None:
    """An enveloped S/MIME message cannot be read: its p7m is attached, a note says why."""
    mail = parse(fixture("smime-encrypted.eml"))
    assert [a.filename for a in mail.attachments] == ["smime.p7m"]
    assert any("S/MIME" in note for note in mail.notes)


def test_smime_signed_uses_the_signed_text_and_keeps_the_signature() -> None:
    """multipart/signed: the first part is the text; the signature is an attachment."""
    mail = parse(fixture("smime-signed.eml"))
    assert "add me to project 12" in mail.text
    assert [a.filename for a in mail.attachments] == ["smime.p7s"]


def test_html_only_mail_becomes_readable_text() -> None:
    """No text part: the HTML is converted (links kept, scripts and styles dropped)."""
    mail = parse(fixture("html-only-gmail-quote.eml"))
    assert mail.from_html
    assert "The link in the invitation gives a 404." in mail.text
    assert "this survey (https://redcap.example.edu/surveys/?s=ABC)" in mail.text
    assert "alert(1)" not in mail.text and "color: red" not in mail.text


def test_an_inline_part_with_a_file_name_is_an_attachment_not_the_body() -> None:
    """get_body() would take notes.txt for the body; our walker does not."""
    mail = parse(fixture("inline-text-attachment-first.eml"))
    assert mail.text.strip() == "This is the real body."
    assert [a.filename for a in mail.attachments] == ["notes.txt"]


def test_wrong_boundary_keeps_the_raw_payload_as_text() -> None:
    """A boundary that never appears: the payload is shown rather than lost."""
    mail = parse(fixture("wrong-boundary.eml"))
    assert "The boundary in the header is not the one used." in mail.text
    assert "StartBoundaryNotFoundDefect" in mail.defects


def test_attachment_names_are_made_safe_and_unique() -> None:
    """No path, no RTL override (U+202E: invoice<RLO>fdp.exe spoofing), duplicates numbered."""
    names = [a.filename for a in parse(fixture("bidi-filename.eml")).attachments]
    assert names == ["invoicefdp.exe", "invoicefdp-2.exe"]


def test_very_deep_nesting_and_many_parts_are_cut_with_a_note() -> None:
    """MIME bombs: depth and part count are bounded; what was skipped is said."""
    deep = b"Content-Type: text/plain\r\n\r\ninnermost\r\n"
    for level in range(MAX_DEPTH + 5):
        deep = (f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'
                .encode() + deep + f"\r\n--b{level}--\r\n".encode())
    mail = parse(b"From: a@b.example\r\nSubject: deep\r\n" + deep)
    assert any("nested deeper" in note for note in mail.notes)
    one = b"--m\r\nContent-Type: text/plain\r\n\r\npart\r\n"
    many = one * (MAX_PARTS + 10)
    wide = b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n' + many + b"--m--\r\n"
    mail = parse(b"From: a@b.example\r\nSubject: wide\r\n" + wide)
    assert any(f"more than {MAX_PARTS}" in note for note in mail.notes)


@pytest.mark.parametrize("raw", [
    b"", b"\x00\x01\x02", b"\r\n\r\n", b"From:\r\n\r\n", b"Subject: =?utf-8?b?####?=\r\n\r\nx",
    b"To: \"\r\nFrom: \"\r\n\r\n", b"Content-Type: multipart/mixed\r\n\r\n--\r\n",
    b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!",
])
def test_garbage_parses_to_something(raw: bytes) -> None:
    """Bytes no mail client would send still give a ParsedMail, never an exception."""
    mail = parse(raw)
    assert isinstance(mail.text, str)
    assert mail.key


def test_message_id_lists_and_addresses_are_read_leniently() -> None:
    """Folded ids, bare ids without brackets, and addresses the parser gives up on."""
    assert message_ids("<a@x>\r\n <b@y>  garbage <c@z>") == ("<a@x>", "<b@y>", "<c@z>")
    assert message_ids("bare@host.example") == ("<bare@host.example>",)
    assert message_ids("") == ()
    assert [p.address for p in people(['"Weird, <Name" <odd@example.org>'])] == [
        "odd@example.org"]
    assert decode_header("=?utf-8?q?caf=C3=A9?= au lait") == "café au lait"
