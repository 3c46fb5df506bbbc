"""Checks before a service acts: the configuration against the tracker, and the settings
the rules need (the feedback form's public address)."""

from __future__ import annotations

import logging

from connector.app import Service
from connector.config.actions import Survey
from connector.config.loader import Config
from connector.errors import ConfigError
from connector.settings import Settings
from connector.tracker.base import SupportsOnlineCheck
from connector.tracker.dryrun import RecordingTracker

log = logging.getLogger(__name__)


def verify_config(service: Service) -> bool:
    """Check mappings.yaml against the tracker, as `validate --online` does, when this
    configuration (by its fingerprint) has not passed against this tracker before; remember
    it once it passes. A mismatch raises the located ConfigError (exit 2) before anything is
    done: a status mapped to a name the tracker lacks, or a role user it does not have, would
    otherwise lose a customer's message silently. Returns whether the tracker was asked."""
    tracker = service.tracker
    checked = tracker.inner if isinstance(tracker, RecordingTracker) else tracker
    if not isinstance(checked, SupportsOnlineCheck):
        return False  # an in-memory tracker (tests): nothing to compare with
    fingerprint = service.config.fingerprint()
    if service.store.checked_fingerprint(service.site) == fingerprint:
        return False
    summary = checked.check_config(service.config)
    service.store.record_config_check(service.site, fingerprint)
    log.info("configuration checked against the tracker: %s", summary.removeprefix("ok: "))
    return True


def uses_builtin_form(config: Config) -> bool:
    """Links go to ticketflow's own /feedback/ page: a rule sends surveys (or a template shows
    `feedback.link`) and rules.yaml names no external form."""
    if config.rules.feedback.form_url is not None:
        return False
    if any(isinstance(action, Survey) for rule in config.rules.rules for action in rule.then):
        return True
    parts = [p for files in config.templates.values() for p in (files.text, files.html) if p]
    return any("feedback" in part.read_text(encoding="utf-8", errors="replace")
               for part in parts)


def require_public_url(config: Config, settings: Settings) -> None:
    """Survey links must reach customers' browsers: without TICKETFLOW_PUBLIC_URL they pointed
    at `run`'s own listening address (127.0.0.1, or 0.0.0.0 in the image)."""
    if settings.public_url or not uses_builtin_form(config):
        return
    raise ConfigError([
        "environment: TICKETFLOW_PUBLIC_URL: not set, and rules.yaml sends surveys to the "
        "built-in feedback form (feedback.form_url is not set); expected the address where "
        "customers' browsers reach `ticketflow run` (or `ticketflow serve-feedback` beside "
        "cron), e.g. https://helpdesk.example.edu, or a feedback.form_url in rules.yaml"])


def ready_to_act(service: Service, *, take_over: bool) -> None:
    """What `run` and `once` check before their first act: the mappings against the tracker,
    then that this ticketflow is the one processor of the project (a second one stops here)."""
    verify_config(service)
    if service.ownership is not None:  # replicas of one state are one owner
        service.ownership.acquire(take_over=take_over)
