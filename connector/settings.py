"""Settings from the environment (and an optional `.env` file); secrets are SecretStr."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from connector.errors import ConfigError


class Settings(BaseSettings):
    """Everything an operator sets per deployment. Rules and mappings live in YAML instead."""

    model_config = SettingsConfigDict(
        env_prefix="TICKETFLOW_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    jira_url: str | None = Field(None, description="Base URL of Jira, e.g. https://x.atlassian.net")
    jira_email: str | None = Field(None, description="Account email (Cloud basic auth).")
    jira_token: SecretStr | None = Field(None, description="Cloud API token or DC personal token.")
    jira_flavor: Literal["auto", "cloud", "datacenter"] = Field(
        "auto", description="`auto` reads deploymentType from serverInfo."
    )
    state_db: Path = Field(Path("ticketflow.db"), description="SQLite state file.")
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
        None, description="Base URL where `ticketflow run` is reachable (feedback links).")
    feedback_secret: SecretStr | None = Field(
        None, description="Key that signs feedback links (HMAC); required for the built-in form.")
    http_host: str = Field("127.0.0.1", description="Address `run` serves health/metrics on.")
    http_port: int = Field(8787, description="Port `run` serves /healthz, /metrics, /feedback.")
    mail_interval: int = Field(60, description="Seconds between mailbox reads in `run`.")
    poll_interval: int = Field(60, description="Seconds between Jira polls in `run`.")
    delivery_interval: int = Field(30, description="Seconds between outbox deliveries in `run`.")


def load_settings() -> Settings:
    """Read the environment; a bad value is a ConfigError naming the variable."""
    try:
        return Settings()
    except ValidationError as error:
        problems = []
        for detail in error.errors(include_url=False):
            name = "TICKETFLOW_" + "_".join(str(p) for p in detail["loc"]).upper()
            problems.append(f"environment: {name}: {detail['msg']}")
        raise ConfigError(problems) from None


def secret_values(settings: Settings) -> list[str]:
    """The secrets in play, so log output can be scrubbed of them as a last line of defence."""
    secrets = [
        settings.jira_token,
        settings.imap_password,
        settings.imap_oauth2_token,
        settings.smtp_password,
        settings.feedback_secret,
        settings.webhook_url,
    ]
    return [s.get_secret_value() for s in secrets if s is not None and s.get_secret_value()]
