"""Ticket references of the `PROJECT-123` kind (Jira's keys), as people and mail subjects
write them: shown as the key, tagged `[HELP-12]` in subjects, found back in a subject."""

from __future__ import annotations

import re
from collections.abc import Callable


class ProjectKeyRefs:
    """References for keys made of a project key and a number. `url` gives a ticket's web
    address (the adapter knows where its tickets are shown)."""

    def __init__(self, project: str, *, url: Callable[[str], str]) -> None:
        self.project = project
        self._url = url
        self._key = re.compile(rf"(?<![A-Za-z0-9]){re.escape(project)}-(\d{{1,9}})(?![A-Za-z0-9])",
                               re.IGNORECASE)

    def display(self, key: str) -> str:
        """How people write it: the key itself."""
        return key

    def subject_tag(self, key: str) -> str:
        """What a mail subject carries so a reply finds the ticket again: `[HELP-12]`."""
        return f"[{key}]"

    def in_subject(self, subject: str) -> list[str]:
        """The project's keys anywhere in a subject, leftmost first (other projects' keys are
        ignored)."""
        found = [f"{self.project}-{int(n)}" for n in self._key.findall(subject)]
        return list(dict.fromkeys(found))

    def parse(self, text: str) -> str | None:
        """`text` as one of the project's keys (any case), or None."""
        match = self._key.fullmatch(text.strip())
        return f"{self.project}-{int(match[1])}" if match else None

    def web_url(self, key: str) -> str:
        """Where a person opens the ticket."""
        return self._url(key)
