"""Ticket references of the `PROJECT-123` kind (Jira's keys), as people and mail subjects
write them: shown as the key, tagged `[HELP-12]` in subjects, found back in a subject."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence


class ProjectKeyRefs:
    """References for keys made of a project key and a number, of one project or several
    (the first named is `project`). `url` gives a ticket's web address (the adapter knows
    where its tickets are shown)."""

    def __init__(self, projects: str | Sequence[str], *, url: Callable[[str], str]) -> None:
        self.projects = (projects,) if isinstance(projects, str) else tuple(projects)
        self.project = self.projects[0]
        self._url = url
        # Longest first, so OPS2-1 is not read as OPS's.
        keys = "|".join(re.escape(p) for p in sorted(self.projects, key=len, reverse=True))
        self._key = re.compile(rf"(?<![A-Za-z0-9])({keys})-(\d{{1,9}})(?![A-Za-z0-9])",
                               re.IGNORECASE)
        self._canonical = {p.upper(): p for p in self.projects}

    def _key_of(self, project: str, number: str) -> str:
        return f"{self._canonical[project.upper()]}-{int(number)}"

    def display(self, key: str) -> str:
        """How people write it: the key itself."""
        return key

    def subject_tag(self, key: str) -> str:
        """What a mail subject carries so a reply finds the ticket again: `[HELP-12]`."""
        return f"[{key}]"

    def in_subject(self, subject: str) -> list[str]:
        """The projects' keys anywhere in a subject, leftmost first (other projects' keys are
        ignored)."""
        found = [self._key_of(p, n) for p, n in self._key.findall(subject)]
        return list(dict.fromkeys(found))

    def parse(self, text: str) -> str | None:
        """`text` as one of the projects' keys (any case), or None."""
        match = self._key.fullmatch(text.strip())
        return self._key_of(match[1], match[2]) if match else None

    def web_url(self, key: str) -> str:
        """Where a person opens the ticket."""
        return self._url(key)
