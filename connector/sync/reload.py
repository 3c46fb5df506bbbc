"""Hot reload for `run`: notice an edited configuration between cycles, switch to it when it
is valid, refuse it (the last good one keeps running) when it is not."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from connector import metrics
from connector.config.digest import disk_digest
from connector.config.loader import Attempt, Config, read_config
from connector.errors import ConfigError, TicketflowError
from connector.sync.cycle import Cycle

log = logging.getLogger(__name__)


class Running(Protocol):
    """What the reloader swaps: a wired service on one configuration."""

    @property
    def config(self) -> Config: ...

    @property
    def cycle(self) -> Cycle: ...

    def close(self) -> None: ...


S = TypeVar("S", bound=Running)


class ConfigStatus(Protocol):
    """Where a refused configuration is shown (the service's /healthz)."""

    def config_rejected(self, reason: str) -> None: ...


@dataclass(frozen=True)
class Refusal:
    """An edit that was refused: the digest of what was read, and the located problems."""

    digest: str
    problems: tuple[str, ...]

    def reason(self, active: Config, generation: int) -> str:
        first = self.problems[0] if self.problems else "unknown problem"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        return (f"configuration rejected: {first}{more}; running the last good one "
                f"(generation {generation}, {active.digest[:12]})")


class ConfigReloader(Generic[S]):
    """Holds the running service and replaces it when the configuration files change.

    `rebuild` wires a service on a new configuration (and may refuse it with a ConfigError:
    a setting the new rules need); `verify` checks a new service's mappings against the
    tracker (called only when mappings.yaml changed). Effects recorded under the old rules
    are left to the ledger: the new rules perform them, or mark them superseded.
    """

    def __init__(self, service: S, *, rebuild: Callable[[Config], S],
                 verify: Callable[[S], object], status: ConfigStatus,
                 read: Callable[[Path], Attempt] = read_config) -> None:
        self.service = service
        self.rebuild = rebuild
        self.verify = verify
        self.status = status
        self.read = read
        self.generation = 1
        self.refused: Refusal | None = None
        self._watched = service.config.files  # the YAML files of the last reading
        _publish(self.generation, service.config.digest, rejected=False)

    def check(self, why: str = "cycle", *, again: bool = False) -> bool:
        """Switch to the configuration on disk if it changed and is valid; True if it did.
        Cheap when nothing changed: the files are hashed, nothing is parsed. A refused edit
        is read again only once it changes, or when `again` (SIGHUP: the tracker may have
        been fixed to match mappings.yaml instead)."""
        active = self.service.config
        on_disk = disk_digest(active.config_dir, self._watched)
        if on_disk == active.digest or (
                not again and self.refused and on_disk == self.refused.digest):
            return False
        attempt = self.read(active.config_dir)
        self._watched = attempt.files
        if attempt.config is None:
            self._refuse(Refusal(attempt.digest, tuple(attempt.problems)))
            return False
        if attempt.digest == active.digest:  # an edit undone: the running one is on disk again
            self._accepted()
            return False
        log.info("configuration changed (%s); checking it", why,
                 extra={"digest": attempt.digest[:12]})
        return self._switch(attempt.config)

    def _switch(self, config: Config) -> bool:
        try:
            candidate = self.rebuild(config)
        except ConfigError as error:
            self._refuse(Refusal(config.digest, tuple(error.problems)))
            return False
        except TicketflowError as error:  # the tracker unreachable: try again next cycle
            log.warning("configuration changed, but cannot switch yet: %s", error)
            return False
        try:
            if config.mappings != self.service.config.mappings:
                self.verify(candidate)
        except ConfigError as error:
            candidate.close()
            self._refuse(Refusal(config.digest, tuple(error.problems)))
            return False
        except TicketflowError as error:
            candidate.close()
            log.warning("configuration changed, but its mappings cannot be checked against "
                        "the tracker yet: %s", error)
            return False
        old, self.service = self.service, candidate
        old.close()
        self.generation += 1
        self._accepted()
        log.info("configuration %s now runs (generation %d)", config.digest[:12],
                 self.generation, extra={"digest": config.digest, "generation": self.generation})
        return True

    def _refuse(self, refusal: Refusal) -> None:
        if self.refused != refusal:
            for problem in refusal.problems:
                log.error("configuration rejected: %s", problem)
            log.error("the last good configuration keeps running (generation %d, %s)",
                      self.generation, self.service.config.digest[:12])
        self.refused = refusal
        self.status.config_rejected(refusal.reason(self.service.config, self.generation))
        _publish(self.generation, self.service.config.digest, rejected=True)

    def _accepted(self) -> None:
        self.refused = None
        self.status.config_rejected("")
        _publish(self.generation, self.service.config.digest, rejected=False)


def _publish(generation: int, digest: str, *, rejected: bool) -> None:
    """The generation, the active digest and whether an edit is refused, in /metrics."""
    metrics.CONFIG_GENERATION.set(generation)
    metrics.CONFIG_INFO.clear()
    metrics.CONFIG_INFO.labels(digest).set(1)
    metrics.CONFIG_REJECTED.set(1 if rejected else 0)
