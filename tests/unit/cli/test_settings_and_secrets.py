"""Settings come from the environment; secrets never reach logs or error output."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from connector.cli import main
from connector.logs import configure
from connector.settings import Settings, load_settings, secret_values

ROOT = Path(__file__).resolve().parents[3]

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


@pytest.mark.parametrize("value", ["0", "-5"])
@pytest.mark.parametrize("name", ["TICKETFLOW_POLL_INTERVAL", "TICKETFLOW_MAIL_INTERVAL",
                                  "TICKETFLOW_DELIVERY_INTERVAL"])
def test_an_interval_of_zero_or_less_is_refused_at_load(
        name: str, value: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`run` would spin at full CPU without a pause: the setting is refused before anything
    starts, naming the variable and what is expected (exit 2)."""
    monkeypatch.setenv(name, value)
    assert main(["validate", "--config-dir", str(ROOT)]) == 2
    err = capsys.readouterr().err
    assert (f"environment: {name}: {value} seconds would never wait; expected a whole number "
            "of seconds greater than 0") in err


def test_a_jira_url_without_a_scheme_is_a_configuration_error(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`example.atlassian.net` (no https://) is exit 2 with the URL it should have been."""
    monkeypatch.setenv("TICKETFLOW_JIRA_URL", "example.atlassian.net")
    assert main(["validate", "--config-dir", str(ROOT)]) == 2
    assert ("environment: TICKETFLOW_JIRA_URL: 'example.atlassian.net' is not an http(s) URL "
            "with a host; expected e.g. https://example.atlassian.net") in capsys.readouterr().err


def test_spellings_of_one_jira_are_one_url() -> None:
    """`https://X/` and `https://x` name one instance: the state file's keys use one spelling."""
    spellings = ["https://Example.atlassian.net/", "https://example.atlassian.net",
                 "HTTPS://example.atlassian.net//"]
    assert {Settings(jira_url=u, _env_file=None).jira_url for u in spellings} == {
        "https://example.atlassian.net"}
    assert Settings(jira_url="http://jira.example.edu/jira/",
                    _env_file=None).jira_url == "http://jira.example.edu/jira"


def test_misspelt_variables_are_reported_with_the_setting_meant(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt TICKETFLOW_* name would be ignored silently; it is named with a suggestion.
    The tests' own TICKETFLOW_TEST_* and Kubernetes' service variables are not settings and
    are not reported."""
    monkeypatch.setenv("TICKETFLOW_POLL_INTERVALL", "300")
    monkeypatch.setenv("TICKETFLOW_TEST_POSTGRES", "postgresql://127.0.0.1/test")
    monkeypatch.setenv("TICKETFLOW_PORT_8787_TCP_ADDR", "10.0.0.7")
    monkeypatch.setenv("TICKETFLOW_SERVICE_HOST", "10.0.0.7")
    assert main(["validate", "--config-dir", str(ROOT)]) == 0
    err = capsys.readouterr().err
    assert ("environment: TICKETFLOW_POLL_INTERVALL is not a setting; did you mean "
            "TICKETFLOW_POLL_INTERVAL?") in err
    assert "TEST_POSTGRES" not in err and "PORT_8787" not in err and "SERVICE_HOST" not in err


def test_misspelt_names_in_the_env_file_are_reported_too(tmp_path: Path) -> None:
    """`.env` is read like the environment, so its misspellings are named the same way."""
    from connector.settings import unknown_variables

    env_file = tmp_path / ".env"
    env_file.write_text("TICKETFLOW_JIRA_TOKN='abc'\nTICKETFLOW_JIRA_URL=https://x\n")
    assert unknown_variables({}, env_file) == [
        "environment: TICKETFLOW_JIRA_TOKN is not a setting; did you mean TICKETFLOW_JIRA_TOKEN?"]


def test_a_short_webhook_secret_is_refused_without_showing_it(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A webhook secret one captured signature could be brute-forced from (under 16
    characters) stops every command that reads settings (exit 2), naming the variable and
    what to use, never the value; a long one is a secret scrubbed from logs."""
    monkeypatch.setenv("TICKETFLOW_WEBHOOK_SECRET", "hunter2hunter")
    assert main(["validate", "--config-dir", str(ROOT)]) == 2
    err = capsys.readouterr().err
    assert ("environment: TICKETFLOW_WEBHOOK_SECRET: too short to sign with (13 characters); "
            "expected at least 16, e.g. the output of `openssl rand -hex 32`") in err
    assert "hunter2hunter" not in err
    monkeypatch.setenv("TICKETFLOW_WEBHOOK_SECRET", "c0ffee" * 6)
    settings = load_settings()
    assert "c0ffee" * 6 in secret_values(settings)
    assert "c0ffee" not in repr(settings)
