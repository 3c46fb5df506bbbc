"""Settings come from the environment; secrets never reach logs or error output."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from connector.cli import main
from connector.logs import configure
from connector.settings import Settings, load_settings, secret_values

TOKEN = "tok-3f9a1c77-very-secret"


def test_environment_names_from_product_md(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each TICKETFLOW_* variable of product.md lands in its setting; tokens are SecretStr."""
    monkeypatch.setenv("TICKETFLOW_JIRA_URL", "https://example.atlassian.net")
    monkeypatch.setenv("TICKETFLOW_JIRA_EMAIL", "bot@example.edu")
    monkeypatch.setenv("TICKETFLOW_JIRA_TOKEN", TOKEN)
    monkeypatch.setenv("TICKETFLOW_JIRA_FLAVOR", "datacenter")
    monkeypatch.setenv("TICKETFLOW_STATE_DB", "/data/tf.db")
    monkeypatch.setenv("TICKETFLOW_CONFIG_DIR", "/config")
    monkeypatch.setenv("TICKETFLOW_SMTP_PASSWORD", "smtp-secret-1")
    settings = load_settings()
    assert settings.jira_url == "https://example.atlassian.net"
    assert settings.jira_flavor == "datacenter"
    assert settings.state_db == Path("/data/tf.db")
    assert settings.config_dir == Path("/config")
    assert settings.jira_token is not None
    assert settings.jira_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())
    assert secret_values(settings) == [TOKEN, "smtp-secret-1"]


def test_bad_setting_is_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid value exits 2 and names TICKETFLOW_JIRA_FLAVOR, not a traceback."""
    monkeypatch.setenv("TICKETFLOW_JIRA_FLAVOR", "server")
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert "TICKETFLOW_JIRA_FLAVOR" in err and "Traceback" not in err


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_token_is_scrubbed_from_log_lines(
    log_format: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Even a careless log call that includes the token prints *** instead."""
    configure(log_format=log_format, verbosity=2, secrets=[TOKEN])  # type: ignore[arg-type]
    log = logging.getLogger("connector.test")
    log.warning("calling Jira with %s", TOKEN, extra={"header": f"Bearer {TOKEN}"})
    err = capsys.readouterr().err
    assert TOKEN not in err
    assert "***" in err
    if log_format == "json":
        assert json.loads(err.splitlines()[-1])["header"] == "Bearer ***"


def test_token_never_in_cli_output(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failing command run verbosely shows no secret, even one echoed from a bad file."""
    monkeypatch.setenv("TICKETFLOW_JIRA_TOKEN", TOKEN)
    monkeypatch.setenv("TICKETFLOW_IMAP_PASSWORD", "imap-pass-42")
    (tmp_path / "rules.yaml").write_text(f"calendar: {{timezone: {TOKEN}}}\n")
    assert main(["-vv", "--log-format", "json", "validate", "--config-dir", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "unknown time zone '***'" in captured.err
    assert TOKEN not in captured.out + captured.err
    assert "imap-pass-42" not in captured.out + captured.err
    assert TOKEN not in Settings().model_dump_json()
