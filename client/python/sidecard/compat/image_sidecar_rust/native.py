"""The old package's native module (``image_sidecar_rust.image_sidecar_rust``),
answered by the sidecard daemon instead of compiled Rust.

``PyImageSidecar`` has the native methods and returns objects with attributes
(``PyValidationResult``, ``PyStatisticsResult``, ``PySidecarInfo``), as the
PyO3 classes did; :mod:`.core` turns them into the dicts callers use. Failures
raise :class:`sidecard.SidecardError` (a ``RuntimeError``), which ``core``
wraps in the package's exception classes.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from typing import Any

from sidecard._paths import PathArg
from sidecard.client import Client
from sidecard.compat import _legacy
from sidecard.compat.image_sidecar_rust.exceptions import FormatError, SidecarError
from sidecard.errors import NotFound, SidecardError

#: The operation names the old package knew, in its order.
OPERATION_NAMES = (
    "face_detection",
    "object_detection",
    "ball_detection",
    "quality_assessment",
    "game_detection",
    "yolov8",
    "unified",
)


class PySidecarFormat:
    """A sidecar format: ``json``, ``bin`` (also spelled ``binary``) or ``rkyv``.
    ``str()`` is the file extension, as the native class gave it."""

    def __init__(self, format_str: str) -> None:
        self.name = _legacy.format_name(format_str, error=FormatError)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"SidecarFormat('{self.name}')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PySidecarFormat) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


class PyOperationType:
    """One of the old package's operation names (any case)."""

    def __init__(self, op_str: str) -> None:
        name = str(op_str).lower()
        if name not in OPERATION_NAMES:
            raise SidecarError(f"Unknown operation: {op_str}")
        self.name = name

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"OperationType('{self.name}')"


@dataclass(frozen=True)
class PyValidationResult:
    """One sidecar file's validation; ``details`` holds the dict callers get
    (the old keys plus sidecard's, see :func:`sidecard.compat._legacy.validation_result`)."""

    file_path: str
    is_valid: bool
    error: str | None
    processing_time: float
    file_size: int
    details: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class PyStatisticsResult:
    """The old statistics fields; ``details`` holds all of sidecard's Stats."""

    total_images: int
    total_sidecars: int
    coverage_percentage: float
    operation_counts: dict[str, int]
    avg_processing_times: dict[str, float]
    success_rate_percentages: dict[str, float]
    avg_data_sizes: dict[str, float]
    details: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class PySidecarInfo:
    """One image's sidecar file. ``operation`` is a name (str); ``created_at`` is
    the file's last write time in RFC 3339 (UTC), or None where this process
    cannot see the file (a daemon on another machine); ``extras`` holds
    sidecard's additions (``format``, ``operations``, ``created``)."""

    image_path: str | None
    sidecar_path: str
    operation: str
    data_size: int
    created_at: str | None
    is_valid: bool
    extras: dict[str, Any] = field(repr=False)


def _written_at(path: str) -> str | None:
    """The last write time of `path` as RFC 3339 UTC, or None if it cannot be seen."""
    try:
        seconds = os.stat(path).st_mtime
    except OSError:
        return None
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).isoformat()


class PyImageSidecar:
    """The native object: one connection to the daemon (found like
    :class:`sidecard.Client`) and the default format of new sidecars."""

    def __init__(self, max_workers: int | None = None) -> None:
        # The daemon sizes its own worker pool; the argument is kept for callers.
        self.max_workers = max_workers
        self._client = Client()
        self._default_format = PySidecarFormat("bin")

    def is_available(self) -> bool:
        """Whether the daemon answers now (health SERVING)."""
        try:
            return self._client.health(timeout=5.0) == "SERVING"
        except SidecardError:
            return False

    def validate_sidecars(self, directory: PathArg) -> list[PyValidationResult]:
        results = []
        for report in self._client.iter_validate(directory):
            details = _legacy.validation_result(report, None)
            results.append(
                PyValidationResult(
                    file_path=details["file_path"],
                    is_valid=details["is_valid"],
                    error=details["error"],
                    processing_time=details["processing_time"],
                    file_size=details["file_size"],
                    details=details,
                )
            )
        return results

    def get_statistics(self, directory: PathArg) -> PyStatisticsResult:
        stats = _legacy.statistics(self._client.stats(directory))
        return PyStatisticsResult(
            total_images=stats["total_images"],
            total_sidecars=stats["total_sidecars"],
            coverage_percentage=stats["coverage_percentage"],
            operation_counts=dict(stats["operation_counts"]),
            avg_processing_times=dict(stats["avg_processing_times"]),
            success_rate_percentages=dict(stats["success_rate_percentages"]),
            avg_data_sizes=dict(stats["avg_data_sizes"]),
            details=stats,
        )

    def find_sidecars(self, directory: PathArg) -> list[PySidecarInfo]:
        return [
            PySidecarInfo(
                image_path=report["image"],
                sidecar_path=report["file"],
                operation=report["operations"][0] if report["operations"] else "unknown",
                data_size=report["size_bytes"],
                created_at=_written_at(report["file"]),
                is_valid=report["valid"],
                extras={"format": report["format"], "operations": report["operations"]},
            )
            for report in self._client.iter_validate(directory)
        ]

    def save_data(
        self, image_path: PathArg, operation: PyOperationType, data: dict[str, Any] | str
    ) -> PySidecarInfo:
        """Merges `data` into the image's sidecar under `operation`. A new sidecar
        is written in the default format; an existing one keeps its file."""
        saved = self._client.save_sidecar(
            image_path, operation.name, data, format=self._default_format.name
        )
        sidecar_path = saved["sidecar"]
        if sidecar_path is None:  # a successful save always names its file
            raise SidecarError(f"the daemon saved {os.fspath(image_path)} without naming the file")
        return PySidecarInfo(
            image_path=os.fspath(image_path),
            sidecar_path=sidecar_path,
            operation=operation.name,
            data_size=saved["size_bytes"],
            created_at=_written_at(sidecar_path),
            is_valid=True,
            extras={"format": saved["format"], "created": saved["created"]},
        )

    # The old create_sidecar replaced the whole file; merging loses nothing.
    create_sidecar = save_data

    def read_data(self, image_path: PathArg) -> dict[str, Any]:
        """The image's sidecar document; {} when it has none (or the image is gone)."""
        try:
            document: dict[str, Any] = self._client.read_sidecar(image_path)["document"]
        except NotFound:
            return {}
        return document

    def cleanup_orphaned(self, directory: PathArg) -> int:
        result = self._client.cleanup(directory, _legacy.cleanup_mode(dry_run=False))
        return int(result.summary["removed"])

    def convert_directory_format(self, directory: PathArg, target_format: PySidecarFormat) -> int:
        result = self._client.convert(directory, target_format.name, apply=True)
        return int(result.summary["converted"])

    def get_format_statistics(self, directory: PathArg) -> dict[str, int]:
        by_format = self._client.stats(directory)["files_by_format"]
        return {name: int(count) for name, count in by_format.items() if count}

    def set_default_format(self, format: PySidecarFormat) -> None:
        self._default_format = format

    def get_default_format(self) -> PySidecarFormat:
        return self._default_format


__all__ = [
    "PyImageSidecar",
    "PyOperationType",
    "PySidecarFormat",
    "PySidecarInfo",
    "PyStatisticsResult",
    "PyValidationResult",
]
