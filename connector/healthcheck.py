"""The container's HEALTHCHECK: `/healthz` of a serving ticketflow, and nothing to check else.

`python -m connector.healthcheck` exits 0 when `/healthz` answers 200 at TICKETFLOW_HTTP_HOST
(loopback when that is 0.0.0.0) and TICKETFLOW_HTTP_PORT, 1 when it does not. In a container
that runs a one-shot command (`once`, `validate`, `demo`) nothing serves `/healthz`, so the
check passes without asking: such a container is healthy while it works, and done after.
Standard library only, so that it starts fast every 30 seconds.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

SERVING = frozenset({"run", "serve-feedback"})  # the commands that serve /healthz
_ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - compared, never bound


def serving(commands: Iterable[Sequence[str]]) -> bool:
    """Whether one of these command lines is ticketflow serving (`ticketflow run`,
    `python -m connector serve-feedback`, behind an init or a shell)."""
    for argv in commands:
        for index, word in enumerate(argv):
            name = Path(word).name
            ours = name == "ticketflow" or (name == "connector" and argv[index - 1] == "-m")
            if ours and SERVING & set(argv[index + 1:]):
                return True
    return False


def command_lines(proc: Path = Path("/proc")) -> list[list[str]]:
    """The command line of every process this container can see."""
    found = []
    for entry in proc.glob("[0-9]*/cmdline"):
        try:
            raw = entry.read_bytes()
        except OSError:
            continue  # gone since the listing, or not ours to read
        found.append([part.decode(errors="replace") for part in raw.split(b"\0") if part])
    return found


def health_url(environ: Mapping[str, str]) -> str:
    host = environ.get("TICKETFLOW_HTTP_HOST", "127.0.0.1")
    host = "127.0.0.1" if host in _ANY_ADDRESS else host
    return f"http://{host}:{environ.get('TICKETFLOW_HTTP_PORT', '8787')}/healthz"


def check(environ: Mapping[str, str], commands: Iterable[Sequence[str]]) -> tuple[int, str]:
    """The exit code and what to print."""
    if not serving(commands):
        return 0, "ok: no ticketflow service in this container (a one-shot command)"
    url = health_url(environ)
    try:
        with urllib.request.urlopen(url, timeout=4) as answer:  # noqa: S310 - http from settings
            return 0, f"{answer.status} {answer.read(200).decode(errors='replace').strip()}"
    except urllib.error.HTTPError as error:
        return 1, f"{error.code} {error.read(200).decode(errors='replace').strip()}"
    except OSError as error:
        return 1, f"{url}: {error}"


def main() -> int:
    code, text = check(os.environ, command_lines())
    print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
