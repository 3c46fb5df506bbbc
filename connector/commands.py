"""What each CLI command does, as plain functions of (parsed options, settings) -> exit code."""

from __future__ import annotations

import argparse
import shutil
from importlib import resources
from pathlib import Path

from connector.config.loader import MAPPINGS_FILE, RULES_FILE, Config, load_config
from connector.config.schema import SCHEMA_FILES, render
from connector.errors import UsageError
from connector.settings import Settings
from connector.tracker import setup as tracker_setup
from connector.tracker.fields import FieldCodec
from connector.tracker.jira import JiraTracker, connect


def validate(args: argparse.Namespace, settings: Settings) -> int:
    """Check every config file; problems are raised as ConfigError (exit 2)."""
    config = load_config(args.config_dir)  # files first: no network call for a bad file
    shown = ", ".join(
        str(p.relative_to(config.config_dir)) if p.is_relative_to(config.config_dir) else str(p)
        for p in config.files
    )
    rules = config.rules
    print(
        f"ok: {shown}; {len(rules.rules)} rules, {len(rules.workflow.statuses)} statuses, "
        f"{len(rules.tiers)} tiers, {len(rules.categories)} categories, "
        f"{len(config.templates)} templates"
    )
    if args.online:
        print(tracker_setup.validate_online(config, _connect(config, settings)))
    return 0


def schema(args: argparse.Namespace, settings: Settings) -> int:
    """Write (or with --check, compare) the JSON Schemas."""
    del settings
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


def shipped_config() -> Path:
    """The rules.yaml, mappings.yaml and rules/ that ship inside the package."""
    return Path(str(resources.files("connector") / "defaults"))


def init(args: argparse.Namespace, settings: Settings) -> int:
    """Copy the shipped configuration into a folder to start from."""
    del settings
    target: Path = args.directory
    source = shipped_config()
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


def sandbox(args: argparse.Namespace, settings: Settings) -> int:
    """Serve a tracker sandbox in the foreground until Ctrl-C or SIGTERM."""
    del settings
    from connector.sandbox import serve  # noqa: PLC0415  (only this command needs the server)

    return serve(tracker=args.tracker, flavor=args.flavor, host=args.host, port=args.port,
                 seed=args.seed)


def install_scheme(args: argparse.Namespace, settings: Settings) -> int:
    """Create (Cloud) or verify and list (Data Center) the workflow's scheme in Jira."""
    config = load_config(args.config_dir)  # a bad config stops before any network call
    tracker = _connect(config, settings)
    return tracker_setup.install_scheme(config, tracker, dry_run=args.dry_run, output=args.output)


def _connect(config: Config, settings: Settings) -> JiraTracker:
    """The Jira adapter, asking searches for the custom fields mappings.yaml names."""
    codec = FieldCodec(config.mappings.fields, categories=[c.name for c in config.rules.categories])
    return connect(settings, custom_fields=codec.custom_field_ids())
