"""The ``image_sidecar_rust`` binding module of the old tool, answered by sidecard.

    from sidecard.compat.image_sidecar_rust import ImageSidecar, OperationType

    sidecar = ImageSidecar()
    info = sidecar.save_data("/photos/IMG_1.jpg", OperationType.UNIFIED, {"faces": []})
    document = sidecar.read_data("/photos/IMG_1.jpg")

To let unchanged code ``import image_sidecar_rust``, put ``<build>/python/compat``
on the Python path (client/python/README.md). Failures raise
:class:`sidecard.SidecardError`, a ``RuntimeError`` as the binding raised.

.. warning::
   ``cleanup_orphaned(directory)`` **deletes** orphaned sidecars and
   ``convert_directory_format`` rewrites files, as the old module did (set
   ``SIDECARD_COMPAT_CLEANUP=quarantine`` to quarantine orphans instead).
"""

from __future__ import annotations

import enum
import os
from typing import Any

from sidecard._paths import PathArg
from sidecard.client import Client
from sidecard.compat import _legacy
from sidecard.errors import NotFound, SidecardError


class _Named(str, enum.Enum):
    """A str enum whose members print as their value and are found by it in any case."""

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def _missing_(cls, value: object) -> _Named | None:
        lowered = str(value).lower()
        return next((member for member in cls if member.value == lowered), None)


class OperationType(_Named):
    """The operation names of the old module; members are also their str values."""

    FACE_DETECTION = "face_detection"
    OBJECT_DETECTION = "object_detection"
    BALL_DETECTION = "ball_detection"
    QUALITY_ASSESSMENT = "quality_assessment"
    GAME_DETECTION = "game_detection"
    YOLOV8 = "yolov8"
    UNIFIED = "unified"


class SidecarFormat(_Named):
    """The sidecar formats; ``SidecarFormat("binary")`` is BINARY, as before."""

    JSON = "json"
    BINARY = "bin"
    RKYV = "rkyv"

    @classmethod
    def _missing_(cls, value: object) -> _Named | None:
        return super()._missing_("bin" if str(value).lower() == "binary" else value)


def _format_name(value: str | SidecarFormat) -> str:
    """A format given as a name (`bin`, `binary`, ...) or member, as sidecard's name."""
    return SidecarFormat(value).value


class ImageSidecar:
    """The old ``ImageSidecar`` over a sidecard daemon (found like sidecard.Client)."""

    def __init__(self, max_workers: int | None = None) -> None:
        """Connects to the daemon. `max_workers` is accepted for compatibility; the
        daemon sizes its own worker pool."""
        self.max_workers = max_workers
        self._client = Client()

    @property
    def rust_available(self) -> bool:
        """Whether the daemon answers now (health SERVING)."""
        try:
            return self._client.health(timeout=5.0) == "SERVING"
        except SidecardError:
            return False

    def validate_sidecars(self, directory: PathArg) -> list[dict[str, Any]]:
        """One dict per sidecar file under `directory`: `file_path`, `is_valid`,
        `error`, `processing_time`, `file_size`, and sidecard's extras."""
        stream = self._client.iter_validate(directory)
        return [_legacy.validation_result(report, None) for report in stream]

    def get_statistics(self, directory: PathArg) -> dict[str, Any]:
        """The Stats of `directory`, with the old keys (`total_images`,
        `total_sidecars`, `coverage_percentage`, `operation_counts`, ...)."""
        return _legacy.statistics(self._client.stats(directory))

    def find_sidecars(self, directory: PathArg) -> list[dict[str, Any]]:
        """One dict per sidecar file under `directory`: `image_path` (None for an
        orphan), `sidecar_path`, `operation` (its first operation, or "unknown"),
        `data_size`, `created_at` (None: not reported; see `read_data`),
        `is_valid`, `format` and `operations`."""
        return [
            {
                "image_path": report["image"],
                "sidecar_path": report["file"],
                "operation": report["operations"][0] if report["operations"] else "unknown",
                "data_size": report["size_bytes"],
                "created_at": None,
                "is_valid": report["valid"],
                "format": report["format"],
                "operations": report["operations"],
            }
            for report in self._client.iter_validate(directory)
        ]

    def read_data(self, image_path: PathArg) -> dict[str, Any]:
        """The sidecar document of `image_path`; {} when none exists (never raises for that)."""
        try:
            document: dict[str, Any] = self._client.read_sidecar(image_path)["document"]
        except NotFound:
            return {}
        return document

    def save_data(
        self, image_path: PathArg, operation: str | OperationType, data: dict[str, Any] | str
    ) -> dict[str, Any]:
        """Merges `data` into the sidecar of `image_path` under `operation`.

        Returns the sidecar's info: `image_path`, `sidecar_path`, `operation`,
        `data_size`, `created_at` (None), `is_valid` (True), `format`, `created`.
        """
        operation_name = _legacy.name_of(operation)
        saved = self._client.save_sidecar(image_path, operation_name, data)
        return {
            "image_path": os.fspath(image_path),
            "sidecar_path": saved["sidecar"],
            "operation": operation_name,
            "data_size": saved["size_bytes"],
            "created_at": None,
            "is_valid": True,
            "format": saved["format"],
            "created": saved["created"],
        }

    def cleanup_orphaned(self, directory: PathArg) -> int:
        """Removes (deletes, as before) the orphaned sidecars under `directory`;
        returns how many were removed."""
        result = self._client.cleanup(directory, _legacy.cleanup_mode(dry_run=False))
        return int(result.summary["removed"])

    def convert_directory_format(
        self, directory: PathArg, target_format: str | SidecarFormat
    ) -> int:
        """Rewrites the sidecars under `directory` into `target_format` (for real);
        returns how many images' sidecars were converted."""
        result = self._client.convert(directory, _format_name(target_format), apply=True)
        return int(result.summary["converted"])

    def get_format_statistics(self, directory: PathArg) -> dict[str, int]:
        """Sidecar files under `directory` per format name (`bin`, `rkyv`, `json`)."""
        return dict(self._client.stats(directory)["files_by_format"])
