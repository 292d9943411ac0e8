"""``ImageSidecar``, ``SidecarFormat`` and ``OperationType`` as the old
``image_sidecar_rust.core`` had them, over the daemon-backed native module.

The method names, arguments, return shapes and exception classes are the old
package's; the answers are sidecard's. Where the old behaviour lost data,
sidecard's safe behaviour stays (client/python/README.md lists the
differences): a save never replaces a corrupt sidecar, ``create_sidecar``
merges instead of replacing the file, and ``SIDECARD_COMPAT_CLEANUP=quarantine``
makes ``cleanup_orphaned`` reversible.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sidecard._paths import PathArg
from sidecard.compat.image_sidecar_rust import native
from sidecard.compat.image_sidecar_rust.exceptions import (
    FormatError,
    SidecarError,
    StatisticsError,
    ValidationError,
)
from sidecard.errors import SidecardError


class _Name:
    """A name from a fixed set, given in any case; str() is the lower-case name."""

    _KIND = ""
    _NAMES: tuple[str, ...] = ()
    _ALIASES: dict[str, str] = {}

    def __init__(self, name: str) -> None:
        lowered = str(name).lower()
        lowered = self._ALIASES.get(lowered, lowered)
        if lowered not in self._NAMES:
            raise ValueError(f"Unknown {self._KIND}: {lowered}")
        self._name = lowered

    def __str__(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"{type(self).__name__}('{self._name}')"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self._name == other.lower()
        return type(other) is type(self) and str(other) == self._name

    def __hash__(self) -> int:
        return hash(self._name)


class SidecarFormat(_Name):
    """A sidecar format. The constants are plain strings, as before:
    ``SidecarFormat.BINARY == "binary"``, which means the ``.bin`` format."""

    JSON = "json"
    BINARY = "binary"
    RKYV = "rkyv"
    _KIND = "format"
    _NAMES = (JSON, BINARY, RKYV)
    _ALIASES = {"bin": BINARY}  # the extension, as the native class spelled it


class OperationType(_Name):
    """An operation name; the constants are plain strings (``"face_detection"``)."""

    FACE_DETECTION = "face_detection"
    OBJECT_DETECTION = "object_detection"
    BALL_DETECTION = "ball_detection"
    QUALITY_ASSESSMENT = "quality_assessment"
    GAME_DETECTION = "game_detection"
    YOLOV8 = "yolov8"
    UNIFIED = "unified"
    _KIND = "operation"
    _NAMES = native.OPERATION_NAMES


@contextmanager
def _failures_as(error: type[SidecarError], what: str) -> Iterator[None]:
    """Raises any failure inside as `error("<what> failed: ...")`, as the old
    package did, with the gRPC status name as `error_code` when the daemon
    answered."""
    try:
        yield
    except SidecarError as failure:
        raise error(f"{what} failed: {failure.message}", failure.error_code) from failure
    except SidecardError as failure:
        raise error(f"{what} failed: {failure}", failure.code.name) from failure
    except Exception as failure:
        raise error(f"{what} failed: {failure}") from failure


def _info_dict(info: native.PySidecarInfo) -> dict[str, Any]:
    """A PySidecarInfo as the old dict (`image_path`, `sidecar_path`, `operation`,
    `data_size`, `created_at`, `is_valid`), plus sidecard's extras."""
    return {
        "image_path": info.image_path,
        "sidecar_path": info.sidecar_path,
        "operation": info.operation,
        "data_size": info.data_size,
        "created_at": info.created_at,
        "is_valid": info.is_valid,
        **info.extras,
    }


class ImageSidecar:
    """Sidecar operations over a sidecard daemon (found like :class:`sidecard.Client`:
    ``$SIDECARD_ADDRESS``, else the system socket).

    Example:
        >>> sidecar = ImageSidecar()
        >>> results = sidecar.validate_sidecars("/srv/photos")
        >>> stats = sidecar.get_statistics("/srv/photos")
    """

    def __init__(self, max_workers: int | None = None) -> None:
        """`max_workers` is accepted for compatibility; the daemon sizes its own pool."""
        self._native = native.PyImageSidecar(max_workers)

    @property
    def rust_available(self) -> bool:
        """Whether the daemon answers now (health SERVING)."""
        return self._native.is_available()

    def validate_sidecars(self, directory: PathArg) -> list[dict[str, Any]]:
        """One dict per sidecar file under `directory`: `file_path`, `is_valid`,
        `error`, `processing_time` (0.0: not timed per file), `file_size`, and
        sidecard's extras. Raises ValidationError."""
        with _failures_as(ValidationError, "Validation"):
            return [result.details for result in self._native.validate_sidecars(directory)]

    def get_statistics(self, directory: PathArg) -> dict[str, Any]:
        """`total_images`, `total_sidecars`, `coverage_percentage`,
        `operation_counts`, `avg_processing_times`, `success_rate_percentages`,
        `avg_data_sizes`, and the rest of sidecard's Stats. Raises StatisticsError."""
        with _failures_as(StatisticsError, "Statistics collection"):
            return self._native.get_statistics(directory).details

    def find_sidecars(self, directory: PathArg) -> list[dict[str, Any]]:
        """One dict per sidecar file under `directory`: `image_path` (None for an
        orphan), `sidecar_path`, `operation` (its first, or "unknown"),
        `data_size`, `created_at`, `is_valid`, and sidecard's `format` and
        `operations`."""
        with _failures_as(SidecarError, "Sidecar search"):
            return [_info_dict(info) for info in self._native.find_sidecars(directory)]

    def create_sidecar(
        self, image_path: PathArg, operation: str | OperationType, data: dict[str, Any] | str
    ) -> dict[str, Any]:
        """Saves `data` under `operation` for the image (merged into an existing
        sidecar: nothing already there is lost). Same result as `save_data`."""
        with _failures_as(SidecarError, "Sidecar creation"):
            return _info_dict(self._native.create_sidecar(image_path, _operation(operation), data))

    def save_data(
        self, image_path: PathArg, operation: str | OperationType, data: dict[str, Any] | str
    ) -> dict[str, Any]:
        """Merges `data` (a dict or JSON text) into the image's sidecar under
        `operation`, written atomically; a new sidecar takes the default format.
        Returns the sidecar's info dict, plus `format` and `created`."""
        with _failures_as(SidecarError, "Sidecar save"):
            return _info_dict(self._native.save_data(image_path, _operation(operation), data))

    def read_data(self, image_path: PathArg) -> dict[str, Any]:
        """The image's sidecar document; {} when there is none (never raises for that)."""
        with _failures_as(SidecarError, "Sidecar read"):
            return self._native.read_data(image_path)

    def cleanup_orphaned(self, directory: PathArg) -> int:
        """Deletes the orphaned sidecars under `directory` (as before; set
        SIDECARD_COMPAT_CLEANUP=quarantine to move them aside instead) and
        returns how many."""
        with _failures_as(SidecarError, "Cleanup"):
            return self._native.cleanup_orphaned(directory)

    def convert_directory_format(
        self, directory: PathArg, target_format: str | SidecarFormat
    ) -> int:
        """Rewrites the sidecars under `directory` into `target_format`; returns
        how many images' sidecars were converted. Raises FormatError."""
        with _failures_as(FormatError, "Format conversion"):
            return self._native.convert_directory_format(directory, _format(target_format))

    def get_format_statistics(self, directory: PathArg) -> dict[str, int]:
        """Sidecar files under `directory` per format present (`bin`, `rkyv`, `json`)."""
        with _failures_as(StatisticsError, "Format statistics"):
            return self._native.get_format_statistics(directory)

    def set_default_format(self, format: str | SidecarFormat) -> None:
        """The format of sidecars created from now on: `json`, `binary` or `rkyv`
        (ValueError for another name)."""
        self._native.set_default_format(_format(SidecarFormat(str(format))))

    def get_default_format(self) -> str:
        """The default format as its extension: `json`, `bin` or `rkyv`."""
        return str(self._native.get_default_format())


def _operation(operation: str | OperationType) -> native.PyOperationType:
    return native.PyOperationType(str(OperationType(str(operation))))


def _format(target_format: str | SidecarFormat | native.PySidecarFormat) -> native.PySidecarFormat:
    return native.PySidecarFormat(str(target_format))


__all__ = ["ImageSidecar", "OperationType", "SidecarFormat"]
