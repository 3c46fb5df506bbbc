"""The shipped configuration for each tracker: rules.yaml as it is, with that tracker's
mappings (the demo, the tests and the benchmarks run the same workflow on every tracker)."""

from __future__ import annotations

import shutil
from pathlib import Path

from connector.config.loader import MAPPINGS_FILE, RULES_FILE, shipped_dir

# tracker -> its shipped mappings, relative to the shipped folder
MAPPINGS = {"jira": MAPPINGS_FILE, "zendesk": "examples/mappings-zendesk.yaml"}


def config_dir_for(tracker: str, scratch: Path) -> Path:
    """A folder with the shipped rules.yaml and the tracker's shipped mappings.yaml: the
    shipped folder itself for Jira, else one assembled under `scratch`."""
    source = shipped_dir()
    if MAPPINGS[tracker] == MAPPINGS_FILE:
        return source
    target = scratch / f"config-{tracker}"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copyfile(source / RULES_FILE, target / RULES_FILE)
    shutil.copytree(source / "rules", target / "rules")
    shutil.copyfile(source / MAPPINGS[tracker], target / MAPPINGS_FILE)
    return target
