"""What the compatibility layers share: the old tool's result shapes, built
from sidecard's answers, and its cleanup semantics."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from typing import Any

#: Environment variable choosing what a non-dry-run legacy cleanup does.
CLEANUP_ENV = "SIDECARD_COMPAT_CLEANUP"


def name_of(value: str | enum.Enum) -> str:
    """An operation or format given as a str or an enum member, as its str value."""
    return str(value.value) if isinstance(value, enum.Enum) else str(value)


#: sidecard's format names, and the other spellings the old tool accepted.
_FORMAT_NAMES = {"json": "json", "bin": "bin", "binary": "bin", "rkyv": "rkyv"}


def format_name(value: object, error: type[Exception] = ValueError) -> str:
    """A format given in any old spelling (`binary`, `BIN`, a format object whose
    str() is its name) as sidecard's name (`bin`); `error("Unknown format: ...")`
    for anything else."""
    name = _FORMAT_NAMES.get(str(value).lower())
    if name is None:
        raise error(f"Unknown format: {value}")
    return name


def cleanup_mode(dry_run: bool) -> str:
    """The Cleanup mode of a legacy cleanup: a dry run, else delete (as the old tool
    did) unless SIDECARD_COMPAT_CLEANUP=quarantine asks for a reversible move."""
    if dry_run:
        return "dry_run"
    mode = os.environ.get(CLEANUP_ENV, "").strip().lower() or "delete"
    if mode not in ("delete", "quarantine"):
        raise ValueError(f"{CLEANUP_ENV}={mode!r} is not delete or quarantine")
    return mode


def validation_result(report: Mapping[str, Any], operation_filter: str | None) -> dict[str, Any]:
    """A Validate report in the old tool's result shape, plus sidecard's extras.

    Old keys: `file_path`, `is_valid`, `error` (None when valid), `processing_time`
    (always 0.0: the daemon does not time single files), `file_size`,
    `detection_count`, `tool_name` (the tool names joined by ", ", or None),
    `operation_type` (the filter when one was given, else the first operation
    the file holds, or None). Extras: `format`, `operations`, `tool_names`,
    `problems`, `warnings`, `image_path` (None for an orphan), `orphan`.
    """
    problems = report["problems"]
    operations = report["operations"]
    return {
        "file_path": report["file"],
        "is_valid": report["valid"],
        "error": report["error"] or "; ".join(problems) or None,
        "processing_time": 0.0,
        "file_size": report["size_bytes"],
        "detection_count": report["detection_count"],
        "tool_name": ", ".join(report["tool_names"]) or None,
        "operation_type": operation_filter or (operations[0] if operations else None),
        "format": report["format"],
        "operations": operations,
        "tool_names": report["tool_names"],
        "problems": problems,
        "warnings": report["warnings"],
        "image_path": report["image"],
        "orphan": report["orphan"],
    }


def statistics(stats: Mapping[str, Any]) -> dict[str, Any]:
    """Stats in the old tool's shape: its keys, with `filter_applied` None when no
    filter was applied, plus sidecard's extras."""
    return {**stats, "filter_applied": stats["filter_applied"] or None}
