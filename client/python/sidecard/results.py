"""The results of the collecting (non-iterating) calls of a client: dataclasses
holding the dicts described in :mod:`sidecard.types`."""

from __future__ import annotations

from dataclasses import dataclass

from sidecard.types import (
    CleanupItem,
    CleanupSummary,
    ConvertItem,
    ConvertSummary,
    ExportSummary,
    FileReport,
    PruneItem,
    PruneSummary,
    QuarantineFile,
    QuarantineListSummary,
    QuarantinePurgeItem,
    QuarantinePurgeSummary,
    QuarantineRestoreItem,
    QuarantineRestoreSummary,
    ValidateSummary,
)


@dataclass
class ValidateResult:
    """Everything a Validate call streamed.

    Attributes:
        reports: one :class:`~sidecard.types.FileReport` per sidecar file, in sorted path order.
        summary: the :class:`~sidecard.types.ValidateSummary` (totals, by format, ...).
    """

    reports: list[FileReport]
    summary: ValidateSummary


@dataclass
class CleanupResult:
    """Everything a Cleanup call streamed.

    Attributes:
        results: one :class:`~sidecard.types.CleanupItem` per orphan, kept unreadable
            file or working file (the protocol's CleanupResult fields).
        summary: the :class:`~sidecard.types.CleanupSummary` (orphans found, removed, ...).
    """

    results: list[CleanupItem]
    summary: CleanupSummary


@dataclass
class ConvertResult:
    """Everything a Convert call streamed.

    Attributes:
        results: one :class:`~sidecard.types.ConvertItem` per image whose sidecars were
            looked at (the protocol's ConvertResult fields).
        summary: the :class:`~sidecard.types.ConvertSummary` (converted, already in target, ...).
    """

    results: list[ConvertItem]
    summary: ConvertSummary


@dataclass
class PruneResult:
    """Everything a Prune call streamed.

    Attributes:
        results: one :class:`~sidecard.types.PruneItem` per sidecar file that holds the
            operation (or does not decode).
        summary: the :class:`~sidecard.types.PruneSummary` (pruned, skipped, quarantine, ...).
    """

    results: list[PruneItem]
    summary: PruneSummary


@dataclass
class ExportResult:
    """What an Export call produced.

    Attributes:
        summary: the :class:`~sidecard.types.ExportSummary` (documents exported, bytes, ...).
        data: the whole output when it was not written to a file or stream, else None.
    """

    summary: ExportSummary
    data: bytes | None = None


@dataclass
class QuarantineListResult:
    """Everything a quarantine listing streamed.

    Attributes:
        files: one :class:`~sidecard.types.QuarantineFile` per quarantined file,
            batch by batch (oldest first), each in sorted path order.
        summary: the :class:`~sidecard.types.QuarantineListSummary` (each batch, totals).
    """

    files: list[QuarantineFile]
    summary: QuarantineListSummary


@dataclass
class QuarantineRestoreResult:
    """Everything a quarantine restore streamed.

    Attributes:
        results: one :class:`~sidecard.types.QuarantineRestoreItem` per quarantined file.
        summary: the :class:`~sidecard.types.QuarantineRestoreSummary` (restored, conflicts, ...).
    """

    results: list[QuarantineRestoreItem]
    summary: QuarantineRestoreSummary


@dataclass
class QuarantinePurgeResult:
    """Everything a quarantine purge streamed.

    Attributes:
        results: one :class:`~sidecard.types.QuarantinePurgeItem` per batch old enough.
        summary: the :class:`~sidecard.types.QuarantinePurgeSummary` (purged, kept, ...).
    """

    results: list[QuarantinePurgeItem]
    summary: QuarantinePurgeSummary
