"""Settings from the environment (and an optional `.env` file); secrets are SecretStr."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connector.errors import ConfigError
from connector.state.url import is_postgres_url

PREFIX = "TICKETFLOW_"
MIN_WEBHOOK_SECRET = 16  # characters
ENV_FILE = ".env"
# Not settings, and never reported as misspelt: the tests' and CI's own variables
# (TICKETFLOW_TEST_POSTGRES ...), a test tool's, and the variables Kubernetes injects for a
# Service named `ticketflow` (TICKETFLOW_SERVICE_HOST, TICKETFLOW_PORT_8787_TCP_ADDR ...).
_NOT_SETTINGS = re.compile(
    r"TICKETFLOW_(TEST_\w*|(JIRA|ZENDESK)_OPENAPI|SERVICE_HOST|SERVICE_PORT\w*|PORT(_\d+_(TCP|UDP|SCTP)"
    r"(_PROTO|_PORT|_ADDR)?)?)")


def _url(value: str | None, *, variable: str,
         example: str = "example.atlassian.net") -> str | None:
    """One spelling per instance: scheme and host lower-case, no trailing slash, so that
    `https://X/` and `https://x` are the same tracker in the state file."""
    if value is None or not value.strip():
        return None
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL with a host; expected e.g. "
                         f"https://{parts.path or example} ({variable})")
    user, at, host = parts.netloc.rpartition("@")
    netloc = user + at + host.lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), parts.query, ""))


class Settings(BaseSettings):
    """Everything an operator sets per deployment. Rules and mappings live in YAML instead."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore"
    )

    jira_url: str | None = Field(None, description="Base URL of Jira, e.g. https://x.atlassian.net")
    jira_email: str | None = Field(None, description="Account email (Cloud basic auth).")
    jira_token: SecretStr | None = Field(None, description="Cloud API token or DC personal token.")
    jira_flavor: Literal["auto", "cloud", "datacenter"] = Field(
        "auto", description="`auto` reads deploymentType from serverInfo."
    )
    zendesk_url: str | None = Field(
        None, description="Base URL of Zendesk, e.g. https://SUBDOMAIN.zendesk.com")
    zendesk_email: str | None = Field(
        None, description="The agent's e-mail, for an API token (basic auth EMAIL/token).")
    zendesk_token: SecretStr | None = Field(
        None, description="Zendesk API token (sent as EMAIL/token:TOKEN).")
    zendesk_oauth_token: SecretStr | None = Field(
        None, description="Zendesk OAuth access token (sent as a bearer token), instead of "
        "an API token.")
    state_db: Path | str = Field(
        Path("ticketflow.db"), description="SQLite state file, or a PostgreSQL URL "
        "(postgresql://user@host/db).")
    config_dir: Path = Field(Path(), description="Folder with rules.yaml and mappings.yaml.")
    imap_url: str | None = Field(None, description="imaps://user@host:993/INBOX")
    imap_password: SecretStr | None = None
    imap_oauth2_token: SecretStr | None = Field(None, description="XOAUTH2 token for IMAP.")
    maildir: Path | None = Field(None, description="Maildir to read instead of IMAP.")
    smtp_url: str | None = Field(None, description="smtp://user@host:587?starttls=true")
    smtp_password: SecretStr | None = None
    outbox_dir: Path = Field(Path("outbox"), description="Folder of .eml files when no SMTP.")
    mail_from: str | None = Field(None, description="The helpdesk address messages come from.")
    webhook_url: SecretStr | None = Field(
        None, description="Slack or Teams incoming-webhook URL (notifications.assignee.via: "
        "webhook); a secret, since anyone holding it can post.")
    imap_processed_folder: str = Field("Processed", description="Where handled mail is moved.")
    imap_quarantine_folder: str = Field("Quarantine", description="Where unusable mail goes.")
    public_url: str | None = Field(
        None, description="Base URL where customers' browsers reach the feedback form; "
        "required when rules send surveys to the built-in form.")
    feedback_secret: SecretStr | None = Field(
        None, description="Key that signs feedback links (HMAC); required for the built-in form.")
    webhook_secret: SecretStr | None = Field(
        None, description="Shared secret of the tracker's webhooks to `run`'s /hooks/jira and "
        "/hooks/zendesk (a signed webhook wakes the poller); unset: no webhooks are accepted.")
    http_host: str = Field("127.0.0.1", description="Address `run` serves health/metrics on.")
    http_port: int = Field(8787, description="Port `run` serves /healthz, /metrics, /feedback.")
    mail_interval: int = Field(60, description="Seconds between mailbox reads in `run`.")
    poll_interval: int = Field(60, description="Seconds between tracker polls in `run`.")
    delivery_interval: int = Field(30, description="Seconds between outbox deliveries in `run`.")
    lease_seconds: int = Field(
        30, description="Seconds a replica's leader lease lasts unless renewed (every third of "
        "it); a standby takes over within two of them after the leader dies.")

    @field_validator("state_db", mode="before")
    @classmethod
    def _state_db(cls, value: object) -> object:
        # A URL stays text (a Path would fold its `//`); anything else is a file's path.
        if isinstance(value, str) and not is_postgres_url(value):
            return Path(value)
        return value

    @field_validator("jira_url")
    @classmethod
    def _jira_url(cls, value: str | None) -> str | None:
        return _url(value, variable="the Jira base URL")

    @field_validator("zendesk_url")
    @classmethod
    def _zendesk_url(cls, value: str | None) -> str | None:
        return _url(value, variable="the Zendesk base URL", example="SUBDOMAIN.zendesk.com")

    @field_validator("zendesk_oauth_token")
    @classmethod
    def _one_zendesk_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        # Zendesk takes one way of signing in; guessing which one was meant would hide a slip.
        if value is not None and value.get_secret_value() and info.data.get("zendesk_token"):
            raise ValueError("set as well as TICKETFLOW_ZENDESK_TOKEN; expected one of them: "
                             "an API token (with TICKETFLOW_ZENDESK_EMAIL) or an OAuth token")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        return _url(value, variable="where customers' browsers reach `ticketflow run`")

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # One captured signature lets anyone try short secrets offline at leisure.
        if value is not None and 0 < len(value.get_secret_value()) < MIN_WEBHOOK_SECRET:
            raise ValueError(f"too short to sign with ({len(value.get_secret_value())} "
                             f"characters); expected at least {MIN_WEBHOOK_SECRET}, e.g. the "
                             "output of `openssl rand -hex 32`")
        return value if value is not None and value.get_secret_value() else None

    @field_validator("mail_interval", "poll_interval", "delivery_interval", "lease_seconds")
    @classmethod
    def _positive(cls, value: int) -> int:
        # Zero or less made `run` spin at full CPU before its first cycle, deaf to SIGTERM.
        if value <= 0:
            raise ValueError(f"{value} seconds would never wait; expected a whole number of "
                             "seconds greater than 0")
        return value


class _EmbeddedSettings(Settings):
    """Settings from the given values and the defaults only: no environment, no `.env`."""

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def embedded_settings(**values: Any) -> Settings:
    """Settings for `ticketflow demo`: what it passes and the defaults, whatever TICKETFLOW_*
    variables the environment holds (the container image sets several)."""
    return _EmbeddedSettings(**values)


def load_settings() -> Settings:
    """Read the environment; a bad value is a ConfigError naming the variable."""
    try:
        return Settings()
    except ValidationError as error:
        problems = []
        for detail in error.errors(include_url=False):
            name = PREFIX + "_".join(str(p) for p in detail["loc"]).upper()
            message = str(detail["msg"]).removeprefix("Value error, ")
            problems.append(f"environment: {name}: {message}")
        raise ConfigError(problems) from None


def unknown_variables(environ: Mapping[str, str] | None = None,
                      env_file: Path = Path(ENV_FILE)) -> list[str]:
    """A warning for each TICKETFLOW_* name (in the environment or `.env`) that is no setting,
    with the setting it most likely meant: a misspelt name is otherwise silently ignored."""
    names = set(os.environ if environ is None else environ)
    names |= set(_env_file_names(env_file))
    known = [name.upper() for name in Settings.model_fields]
    warnings = []
    for name in sorted(n for n in names if n.upper().startswith(PREFIX)):
        wanted = name.upper().removeprefix(PREFIX)
        if wanted in known or _NOT_SETTINGS.fullmatch(name.upper()):
            continue
        # Compared without the shared prefix, which would make every name look alike.
        close = difflib.get_close_matches(wanted, known, n=1, cutoff=0.75)
        hint = f"; did you mean {PREFIX}{close[0]}?" if close else "; it is ignored"
        warnings.append(f"environment: {name} is not a setting{hint}")
    return warnings


def _env_file_names(path: Path) -> Iterable[str]:
    if not path.is_file():
        return []
    try:
        return list(dotenv_values(path))
    except (OSError, UnicodeDecodeError):
        return []  # pydantic-settings reports an unreadable .env itself


def secret_values(settings: Settings) -> list[str]:
    """The secrets in play, so log output can be scrubbed of them as a last line of defence."""
    secrets = [
        settings.jira_token,
        settings.zendesk_token,
        settings.zendesk_oauth_token,
        settings.imap_password,
        settings.imap_oauth2_token,
        settings.smtp_password,
        settings.feedback_secret,
        settings.webhook_url,
        settings.webhook_secret,
    ]
    return [s.get_secret_value() for s in secrets if s is not None and s.get_secret_value()]
