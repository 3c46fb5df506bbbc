"""`ticketflow init [DIR]`: write the shipped configuration into a folder to start from."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from connector.commands.base import add_command

if TYPE_CHECKING:
    from connector.settings import Settings


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "init", handler=init, summary="write the shipped config as a start",
        description="Write the shipped rules.yaml, mappings.yaml and rules/ into DIR, to edit "
        "from there.")
    parser.add_argument("directory", nargs="?", type=Path, default=Path(), metavar="DIR")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")


def init(args: argparse.Namespace, settings: Settings) -> int:
    """Copy the shipped configuration into a folder to start from."""
    del settings
    from connector.config.loader import MAPPINGS_FILE, RULES_FILE, shipped_dir
    from connector.errors import UsageError

    target: Path = args.directory
    source = shipped_dir()
    names = [RULES_FILE, MAPPINGS_FILE, "rules", "schema"]
    existing = [n for n in names if (target / n).exists()]
    if existing and not args.force:
        raise UsageError(
            f"{', '.join(str(target / n) for n in existing)} already exist; "
            "use --force to overwrite"
        )
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        if not (source / name).exists():
            continue
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, dirs_exist_ok=True)
        else:
            shutil.copyfile(source / name, target / name)
        print(f"wrote {target / name}")
    print(
        f"next: edit {target / RULES_FILE} and {target / MAPPINGS_FILE}, then run "
        f"`ticketflow validate --config-dir {target}`"
    )
    return 0
