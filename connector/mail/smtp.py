"""`SmtpMailer`: deliver through an SMTP server (implicit TLS or STARTTLS, AUTH, timeouts)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from connector.errors import ConfigError, FatalError, RetriableError
from connector.mail.base import MessageRejectedError

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
    the next send starts clean. AUTH is refused over an unencrypted connection."""

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

    def send(self, message: bytes, *, sender: str, recipient: str, name: str) -> None:
        try:
            smtp = self._smtp or self._connect()
            refused = smtp.sendmail(sender, [recipient], message)
        except smtplib.SMTPRecipientsRefused as error:
            self._drop()
            code, reply = next(iter(error.recipients.values()), (0, b""))
            raise _by_code(code, f"{recipient} refused: {code} {_text(reply)}") from None
        except smtplib.SMTPAuthenticationError as error:
            self._drop()
            raise FatalError(f"SMTP {self.target.host}: authentication failed "
                             f"({error.smtp_code}); check TICKETFLOW_SMTP_URL's user and "
                             "TICKETFLOW_SMTP_PASSWORD") from None
        except smtplib.SMTPResponseException as error:
            self._drop()
            raise _by_code(error.smtp_code, f"SMTP {self.target.host}: {error.smtp_code} "
                           f"{_text(error.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError as error:
            self._drop()
            raise FatalError(f"SMTP {self.target.host}: {error}") from None
        except ssl.SSLCertVerificationError as error:
            self._drop()
            raise FatalError(f"SMTP {self.target.host}: certificate not trusted: "
                             f"{error.verify_message}") from None
        except (smtplib.SMTPException, OSError) as error:  # disconnects, timeouts, refusals
            self._drop()
            raise RetriableError(f"SMTP {self.target.host}:{self.target.port}: "
                                 f"{type(error).__name__}: {error}") from None
        if refused:  # only possible with several recipients; kept for completeness
            raise MessageRejectedError(f"{recipient} refused: {refused}")
        log.debug("smtp accepted %s", name)

    def _connect(self) -> smtplib.SMTP:
        t = self.target
        smtp: smtplib.SMTP
        if t.implicit_tls:
            smtp = smtplib.SMTP_SSL(t.host, t.port, timeout=t.timeout, context=self.context)
        else:
            smtp = smtplib.SMTP(t.host, t.port, timeout=t.timeout)
        try:
            smtp.ehlo()
            if t.starttls:
                smtp.starttls(context=self.context)
                smtp.ehlo()
            if t.user:
                smtp.login(t.user, self.password or "")
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

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


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _by_code(code: int, message: str) -> RetriableError | MessageRejectedError:
    """4xx: try again later; 5xx: this message will never be accepted."""
    return MessageRejectedError(message) if 500 <= code < 600 else RetriableError(message)
