"""The content hash of a configuration: each file it is read from, by name and content.

One definition serves every use: `Config.digest` (what `run` shows in /metrics and what
state derived from the rules is keyed by) and the hash of the same files on disk now (how
`run` notices an edit). rules.yaml and its includes are hashed as they were parsed; the
templates (read when a message is rendered) as they are on disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from connector.templates.files import HTML_SUFFIX, TEMPLATE_DIR, TEXT_SUFFIX

# Files every configuration has, even one too broken to name its includes.
ROOT_FILES = ("rules.yaml", "mappings.yaml")


def file_sha256(path: Path) -> str:
    """The file's SHA-256, or `missing` (a file deleted is a change too)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def template_files(config_dir: Path) -> list[Path]:
    """The template files there are now (one added or removed changes the digest)."""
    folder = config_dir / TEMPLATE_DIR
    return sorted([*folder.glob(f"*{TEXT_SUFFIX}"), *folder.glob(f"*{HTML_SUFFIX}")])


def combine(config_dir: Path, shas: Mapping[Path, str]) -> str:
    """One SHA-256 over the files' names (relative to the config folder) and hashes."""
    total = hashlib.sha256()
    for path in sorted(shas):
        name = path.relative_to(config_dir) if path.is_relative_to(config_dir) else path
        total.update(f"{name}\0{shas[path]}\0".encode())
    return total.hexdigest()


def config_digest(config_dir: Path, parsed: Mapping[Path, str]) -> str:
    """The digest of a configuration: the YAML files as parsed (`parsed`: path -> SHA-256),
    rules.yaml and mappings.yaml however they are, and the templates on disk."""
    shas = dict(parsed)
    for path in [*(config_dir / name for name in ROOT_FILES), *template_files(config_dir)]:
        if path not in shas:  # a file parsed is not read again
            shas[path] = file_sha256(path)
    return combine(config_dir, shas)


def disk_digest(config_dir: Path, yaml_files: Iterable[Path]) -> str:
    """The digest those YAML files (and the templates) would give if loaded now."""
    return config_digest(config_dir, {path: file_sha256(path) for path in yaml_files})
