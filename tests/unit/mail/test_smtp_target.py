"""`TICKETFLOW_SMTP_URL` is read strictly: TLS modes, ports, timeouts, no password inside."""

from __future__ import annotations

import pytest

from connector.errors import ConfigError
from connector.mail.smtp import DEFAULT_TIMEOUT, SmtpMailer, SmtpTarget


def test_submission_port_defaults_to_starttls() -> None:
    """`smtp://user@host` is port 587 with STARTTLS and the default 30 s timeout."""
    target = SmtpTarget.parse("smtp://helpdesk%40example.edu@smtp.example.edu")
    assert (target.host, target.port, target.starttls, target.implicit_tls) == (
        "smtp.example.edu", 587, True, False)
    assert target.user == "helpdesk@example.edu" and target.timeout == DEFAULT_TIMEOUT


def test_implicit_tls_and_options() -> None:
    """`smtps://` is implicit TLS on 465; timeout and cafile come from the query."""
    target = SmtpTarget.parse("smtps://u@mail.example.edu?timeout=7.5&cafile=/etc/ca.pem")
    assert (target.port, target.implicit_tls, target.starttls) == (465, True, False)
    assert target.timeout == 7.5 and target.cafile == "/etc/ca.pem"


def test_plain_relay_without_auth_is_allowed() -> None:
    """An internal relay on port 25 with no user needs no TLS (nothing secret is sent)."""
    target = SmtpTarget.parse("smtp://relay.example.edu:25")
    assert not target.encrypted and target.user is None
    SmtpMailer(target, password=None)


@pytest.mark.parametrize(("url", "says"), [
    ("http://host", "not an SMTP URL"),
    ("smtp://u:secret@host", "TICKETFLOW_SMTP_PASSWORD"),
    ("smtp://host?tls=yes", "unknown option 'tls'"),
    ("smtp://host?timeout=soon", "timeout"),
])
def test_bad_urls_are_configuration_errors(url: str, says: str) -> None:
    """Each mistake names the variable and what was expected; a password is never echoed."""
    with pytest.raises(ConfigError) as raised:
        SmtpTarget.parse(url)
    assert says in str(raised.value) and "TICKETFLOW_SMTP_URL" in str(raised.value)


def test_auth_without_tls_is_refused_unless_insecure() -> None:
    """A user on a plain connection would send the password in clear: refused at start-up;
    `?insecure=true` (loopback tests) allows it."""
    with pytest.raises(ConfigError, match="in clear"):
        SmtpMailer(SmtpTarget.parse("smtp://u@host:25?starttls=false"), password="p")
    SmtpMailer(SmtpTarget.parse("smtp://u@127.0.0.1:25?starttls=false&insecure=true"),
               password="p")
