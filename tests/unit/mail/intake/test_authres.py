"""Authentication-Results (RFC 8601): only the mailbox's own server's verdict counts, the
topmost of its headers wins, and DMARC decides when it said anything."""

from __future__ import annotations

import pytest

from connector.mail.intake.authres import results, verdict, without_comments

OURS = "mx.example.edu"


def test_comments_go_and_quoted_strings_stay() -> None:
    """Parenthesised comments (nested too) are not results; quoted text is kept whole."""
    value = 'mx (our (inner) mx) 1; spf=pass (sender IP is 192.0.2.1) smtp.mailfrom="a(b)"'
    assert without_comments(value) == 'mx  1; spf=pass  smtp.mailfrom="a(b)"'


def test_a_header_is_read_into_its_server_and_results() -> None:
    """Version numbers, method versions, properties and a `;` inside quotes are handled."""
    value = ('MX.Example.EDU 1;\r\n dkim/1=pass header.d=uni.example.edu header.s=s1;\r\n '
             'spf=fail smtp.mailfrom="odd;name@uni.example.edu";\r\n '
             "dmarc=fail (p=reject dis=none) header.from=uni.example.edu; dkim=neutral")
    assert results(value) == (OURS, {"dkim": ["pass", "neutral"], "spf": ["fail"],
                                     "dmarc": ["fail"]})
    assert results("mx.example.edu; none") == (OURS, {})


@pytest.mark.parametrize(("value", "status", "detail"), [
    ("mx.example.edu; dmarc=pass header.from=uni.example.edu", "pass", "dmarc=pass"),
    ("mx.example.edu; dkim=pass; spf=pass; dmarc=fail header.from=x", "fail", "dmarc=fail"),
    ("mx.example.edu; dkim=fail; spf=pass smtp.mailfrom=x", "pass", "spf=pass"),
    ("mx.example.edu; dkim=none; spf=fail smtp.mailfrom=x", "fail", "spf=fail"),
    ("mx.example.edu; dkim=fail header.d=x; spf=softfail", "fail", "dkim=fail"),
    ("mx.example.edu; spf=softfail smtp.mailfrom=x", "none", "no DMARC, DKIM or SPF verdict"),
    ("mx.example.edu; dmarc=temperror; dkim=temperror", "none",
     "no DMARC, DKIM or SPF verdict"),
    ("mx.example.edu; none", "none", "no DMARC, DKIM or SPF verdict"),
])
def test_dmarc_decides_else_dkim_or_spf(value: str, status: str, detail: str) -> None:
    """DMARC's verdict when it gave one; else any DKIM or SPF pass passes, and a DKIM or SPF
    hard failure fails; a softfail or a temporary error is no verdict."""
    found = verdict([value], OURS)
    assert (found.status, found.detail) == (status, detail)


def test_only_our_servers_headers_count_and_the_topmost_wins() -> None:
    """A sender can write any Authentication-Results into their mail, even with our name:
    our server's own header is added on top of theirs, so the topmost with our name is the
    one to believe; other servers' verdicts are ignored."""
    headers = [
        "mx.google.com; dmarc=fail header.from=uni.example.edu",  # another server's
        "mx.example.edu; dmarc=pass header.from=uni.example.edu",  # ours, added on receipt
        "mx.example.edu; dmarc=fail header.from=uni.example.edu",  # forged below it
    ]
    assert verdict(headers, OURS).status == "pass"
    assert verdict(headers[::-1], OURS).status == "fail"
    assert verdict(headers[:1], OURS).status == "none"


def test_without_a_configured_server_no_verdict_is_read() -> None:
    """No `authserv_id` in mappings.yaml: headers are not believed, whatever they say."""
    assert verdict(["mx.example.edu; dmarc=fail"], None).status == "none"
