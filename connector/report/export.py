"""The numbers behind every chart as JSON (one document) or CSV (one file per table)."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, get_args, get_type_hints

from connector.report.figures import Figures


def _instant(value: datetime | date) -> str:
    """Times in UTC, dates as they are: one form for every instant in the output."""
    return (value.astimezone(UTC) if isinstance(value, datetime) else value).isoformat()


def _plain(value: object) -> Any:
    if isinstance(value, datetime | date):
        return _instant(value)
    if isinstance(value, list):
        return " | ".join(str(item) for item in value)
    return "" if value is None else value


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return _instant(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _row_type(table: str) -> type:
    """The dataclass of a table's rows (so an empty table still gets its header)."""
    hint = get_type_hints(Figures)[table]
    return get_args(hint)[0] if get_args(hint) else hint  # type: ignore[no-any-return]


def to_json(figures: Figures) -> str:
    """Every table and the metadata, as one JSON document (times in ISO 8601, UTC)."""
    return json.dumps(asdict(figures), default=_json_default, indent=1, ensure_ascii=False) + "\n"


def write_csv(figures: Figures, folder: Path) -> list[Path]:
    """One CSV per table (and meta.csv) in `folder`, made if need be; the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    tables: dict[str, list[Any]] = {"meta": [figures.meta]}
    tables.update({name: getattr(figures, name) for name in Figures.table_names()})
    for name, rows in tables.items():
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            columns = [f.name for f in fields(_row_type(name))]
            writer.writerow(columns)
            writer.writerows([_plain(getattr(row, c)) for c in columns] for row in rows)
        written.append(path)
    return written
