"""`SmtpMailer`: deliver through an SMTP server (implicit TLS or STARTTLS, AUTH, timeouts)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from connector.errors import ConfigError, FatalError, TicketflowError
from connector.mail.base import (
    DeliveryUnavailableError,
    MessageDeferredError,
    MessageRejectedError,
)

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = 30.0
_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpTarget:
    """What `TICKETFLOW_SMTP_URL` says: `smtp://user@host:587?starttls=true&timeout=30`,
    `smtps://user@host:465`; `?insecure=true` allows AUTH without TLS (loopback tests only);
    `?cafile=PATH` trusts a private certificate authority."""

    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    user: str | None
    timeout: float
    insecure: bool
    cafile: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url)
        problem = f"environment: TICKETFLOW_SMTP_URL: {url!r}"
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError([f"{problem} is not an SMTP URL; expected "
                               "smtp://user@host:587?starttls=true or smtps://user@host:465"])
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = sorted(set(query) - {"starttls", "timeout", "insecure", "cafile"})
        if unknown:
            raise ConfigError([f"{problem}: unknown option {unknown[0]!r}; expected starttls, "
                               "timeout, insecure or cafile"])
        if parts.password:
            raise ConfigError([f"{problem}: has a password; expected it in "
                               "TICKETFLOW_SMTP_PASSWORD, never in the URL"])
        implicit = parts.scheme == "smtps"
        try:
            port = parts.port or (465 if implicit else 587)
            timeout = float(query.get("timeout", DEFAULT_TIMEOUT))
        except ValueError as error:
            raise ConfigError([f"{problem}: {error}; expected a port and a timeout in "
                               "seconds"]) from None
        starttls = query.get("starttls", "true" if port == 587 else "false").lower() in _TRUE
        return cls(host=parts.hostname, port=port, implicit_tls=implicit,
                   starttls=starttls and not implicit,
                   user=unquote(parts.username) if parts.username else None, timeout=timeout,
                   insecure=query.get("insecure", "").lower() in _TRUE,
                   cafile=query.get("cafile"))

    @property
    def encrypted(self) -> bool:
        return self.implicit_tls or self.starttls


class SmtpMailer:
    """One connection per delivery pass, opened on the first send; any failure drops it, so
    the next send starts clean. AUTH is refused over an unencrypted connection.

    Failures are classified by the step that failed (see `Mailer`): the connection, the
    greeting, EHLO, STARTTLS, AUTH and MAIL FROM concern every message (delivery pauses);
    RCPT TO and DATA concern this message (4xx: later, 5xx: never); a 421 anywhere is the
    server closing the channel.
    """

    def __init__(self, target: SmtpTarget, *, password: str | None,
                 context: ssl.SSLContext | None = None) -> None:
        if target.user and not target.encrypted and not target.insecure:
            raise ConfigError([
                "environment: TICKETFLOW_SMTP_URL: AUTH without TLS would send the password in "
                "clear; expected smtps://, ?starttls=true, or ?insecure=true for a loopback test"])
        self.target = target
        self.password = password
        self.context = context or ssl.create_default_context(cafile=target.cafile)
        self._smtp: smtplib.SMTP | None = None

    @property
    def _where(self) -> str:
        return f"SMTP {self.target.host}:{self.target.port}"

    def send(self, message: bytes, *, sender: str, recipient: str, name: str) -> None:
        smtp = self._smtp or self._connect()
        try:
            refused = smtp.sendmail(sender, [recipient], message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()), (0, b""))
            raise self._about_message(code, f"{recipient} refused: {code} {_text(reply)}") \
                from None
        except smtplib.SMTPDataError as error:
            raise self._about_message(error.smtp_code, f"{self._where}: message refused: "
                                      f"{error.smtp_code} {_text(error.smtp_error)}") from None
        except smtplib.SMTPSenderRefused as error:
            self._drop()
            text = f"{self._where}: MAIL FROM refused: {error.smtp_code} {_text(error.smtp_error)}"
            if error.smtp_code == 552:  # RFC 1870: this message is over the server's SIZE
                raise MessageRejectedError(text) from None
            raise DeliveryUnavailableError(text) from None
        except (smtplib.SMTPException, OSError) as error:  # disconnects, timeouts, EHLO refused
            self._drop()
            raise DeliveryUnavailableError(f"{self._where}: {_describe(error)}") from None
        if refused:  # only possible with several recipients; kept for completeness
            raise MessageRejectedError(f"{recipient} refused: {refused}")
        log.debug("smtp accepted %s", name)

    def _about_message(self, code: int, text: str) -> TicketflowError:
        """A refusal at RCPT TO or DATA: about this message, unless the server is closing."""
        self._drop()  # smtplib reset or closed the session; a fresh one is simplest
        if code == 421 or not 400 <= code < 600:
            return DeliveryUnavailableError(text)
        return MessageRejectedError(text) if code >= 500 else MessageDeferredError(text)

    def _connect(self) -> smtplib.SMTP:
        """Connect, greet, STARTTLS, AUTH: any failure here concerns every message."""
        t = self.target
        try:
            smtp: smtplib.SMTP
            if t.implicit_tls:
                smtp = smtplib.SMTP_SSL(t.host, t.port, timeout=t.timeout, context=self.context)
            else:
                smtp = smtplib.SMTP(t.host, t.port, timeout=t.timeout)
        except ssl.SSLCertVerificationError as error:
            raise self._untrusted(error) from None
        except (smtplib.SMTPException, OSError) as error:  # refused, timed out, 4xx/5xx greeting
            raise DeliveryUnavailableError(f"{self._where}: {_describe(error)}") from None
        try:
            self._session(smtp)
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def _session(self, smtp: smtplib.SMTP) -> None:
        t = self.target
        try:
            smtp.ehlo_or_helo_if_needed()
            if t.starttls:
                smtp.starttls(context=self.context)
                smtp.ehlo_or_helo_if_needed()
            if t.user:
                smtp.login(t.user, self.password or "")
        except smtplib.SMTPAuthenticationError as error:
            raise FatalError(f"{self._where}: authentication failed ({error.smtp_code}); "
                             "check TICKETFLOW_SMTP_URL's user and TICKETFLOW_SMTP_PASSWORD") \
                from None
        except smtplib.SMTPNotSupportedError as error:
            raise FatalError(f"{self._where}: {error}") from None
        except ssl.SSLCertVerificationError as error:
            raise self._untrusted(error) from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryUnavailableError(f"{self._where}: {_describe(error)}") from None

    def _untrusted(self, error: ssl.SSLCertVerificationError) -> FatalError:
        return FatalError(f"{self._where}: certificate not trusted: {error.verify_message}")

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        """Say QUIT politely; a connection already gone is no error."""
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self._drop()


def _describe(error: BaseException) -> str:
    """An SMTP reply as `CODE text`, anything else as `Kind: text`."""
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
