"""The results of the collecting (non-iterating) calls of a client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ValidateResult:
    """Everything a Validate call streamed.

    Attributes:
        reports: one dict per sidecar file (FileReport fields), in sorted path order.
        summary: the ValidateSummary fields (totals, by format, by operation, ...).
    """

    reports: list[dict[str, Any]]
    summary: dict[str, Any]


@dataclass
class CleanupResult:
    """Everything a Cleanup call streamed.

    Attributes:
        results: one dict per orphan or kept unreadable file (CleanupResult fields).
        summary: the CleanupSummary fields (orphans found, removed, failed, ...).
    """

    results: list[dict[str, Any]]
    summary: dict[str, Any]


@dataclass
class ConvertResult:
    """Everything a Convert call streamed.

    Attributes:
        results: one dict per image whose sidecars were looked at (ConvertResult fields).
        summary: the ConvertSummary fields (converted, already in target, skipped, ...).
    """

    results: list[dict[str, Any]]
    summary: dict[str, Any]


@dataclass
class ExportResult:
    """What an Export call produced.

    Attributes:
        summary: the ExportSummary fields (documents exported, unreadable, bytes, ...).
        data: the whole output when it was not written to a file or stream, else None.
    """

    summary: dict[str, Any]
    data: bytes | None = None
