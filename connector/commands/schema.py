"""`ticketflow schema`: write (or check) the JSON Schemas editors use for the YAML files."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from connector.commands.base import add_command

if TYPE_CHECKING:
    from connector.settings import Settings


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "schema", handler=schema, summary="write JSON Schemas for editors",
        description="Write the JSON Schemas of rules.yaml and mappings.yaml (for YAML editors) "
        "into a folder.")
    parser.add_argument(
        "--output", type=Path, default=Path("schema"), metavar="DIR",
        help="where to write the .schema.json files (default: ./schema)")
    parser.add_argument(
        "--check", action="store_true",
        help="write nothing; exit 1 if the files in DIR are out of date")


def schema(args: argparse.Namespace, settings: Settings) -> int:
    """Write (or with --check, compare) the JSON Schemas."""
    del settings
    from connector.config.schema import SCHEMA_FILES, render

    output: Path = args.output
    stale = [
        name
        for name in SCHEMA_FILES
        if not (output / name).is_file() or (output / name).read_text() != render(name)
    ]
    if args.check:
        for name in stale:
            print(f"{output / name}: out of date; run `ticketflow schema --output {output}`")
        return 1 if stale else 0
    output.mkdir(parents=True, exist_ok=True)
    for name in SCHEMA_FILES:
        (output / name).write_text(render(name), encoding="utf-8")
        print(f"wrote {output / name}")
    return 0
