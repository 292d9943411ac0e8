"""``RustSidecarConfig`` and ``RustSidecarManager`` as sportball's
``sportball.detection.rust_sidecar`` defined them, answered by sidecard.

    from sidecard.compat.rust_sidecar import RustSidecarManager

    manager = RustSidecarManager()
    if manager.rust_available:                   # the daemon answers
        results = manager.validate_sidecars(directory)
        stats = manager.get_statistics(directory)

The daemon is found like any :class:`sidecard.Client` (``SIDECARD_ADDRESS``,
``SIDECARD_AUTOSTART``, ...). ``SPORTBALL_RUST_TIMEOUT`` (seconds) is the
deadline of each call; ``SPORTBALL_RUST_WORKERS`` and
``SPORTBALL_RUST_BINARY_PATH`` are recorded and reported (the daemon's worker
pool is sized by the daemon, and no binary is spawned).

.. warning::
   ``cleanup_orphaned_sidecars(directory)`` **deletes** orphaned sidecars, as the
   old API did (its ``dry_run`` defaults to False). Pass ``dry_run=True`` to only
   count them, or set ``SIDECARD_COMPAT_CLEANUP=quarantine`` to move them into
   ``<directory>/.sidecard-quarantine/`` instead. Either way only provable
   orphans are touched (docs/CONTRACT.md §4), never foreign or unreadable files.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sidecard._paths import PathArg
from sidecard.client import Client
from sidecard.compat import _legacy
from sidecard.errors import NotFound, SidecardError

logger = logging.getLogger(__name__)


def _env_int(name: str, default: int) -> int:
    """An integer environment variable, or `default` when unset or not a number."""
    text = os.environ.get(name, "").strip()
    try:
        return int(text) if text else default
    except ValueError:
        logger.warning("ignoring %s=%r: not an integer", name, text)
        return default


def _env_path(name: str) -> Path | None:
    """A path environment variable, or None when unset."""
    text = os.environ.get(name, "").strip()
    return Path(text) if text else None


@dataclass
class RustSidecarConfig:
    """Configuration of the manager, with the old fields and defaults.

    Defaults come from SPORTBALL_RUST_BINARY_PATH, SPORTBALL_RUST_WORKERS and
    SPORTBALL_RUST_TIMEOUT when set; explicit arguments win.

    Attributes:
        enable_rust: False makes the manager unavailable (no daemon is contacted).
        rust_binary_path: recorded and reported only; sidecard spawns no tool.
        fallback_to_python: recorded and reported only; there is no fallback.
        max_workers: recorded and reported only; the daemon sizes its own pool.
        timeout: deadline of each call to the daemon, in seconds.
    """

    enable_rust: bool = True
    rust_binary_path: Path | None = field(
        default_factory=lambda: _env_path("SPORTBALL_RUST_BINARY_PATH")
    )
    fallback_to_python: bool = False
    max_workers: int = field(default_factory=lambda: _env_int("SPORTBALL_RUST_WORKERS", 16))
    timeout: int = field(default_factory=lambda: _env_int("SPORTBALL_RUST_TIMEOUT", 300))


class RustSidecarManager:
    """The old manager's API over a sidecard daemon.

    Attributes:
        config: the configuration.
        rust_available: True when the daemon answered (health SERVING) when the
            manager was created.
    """

    def __init__(self, config: RustSidecarConfig | None = None) -> None:
        """Connects to the daemon and records whether it answers."""
        self.config = config or RustSidecarConfig()
        self.rust_available = False
        self._client: Client | None = None
        self._unavailable = "disabled by RustSidecarConfig(enable_rust=False)"
        if not self.config.enable_rust:
            return
        probe_seconds = min(5.0, self.config.timeout) if self.config.timeout > 0 else 5.0
        try:
            self._client = Client(timeout=self.config.timeout)
            self.rust_available = self._client.health(timeout=probe_seconds) == "SERVING"
        except SidecardError as error:
            self._unavailable = str(error)
        if not self.rust_available:
            logger.warning("sidecard is not available: %s", self._unavailable)

    def _sidecard(self) -> Client:
        """The client, or RuntimeError when the manager has none (disabled or failed)."""
        if self._client is None:
            raise RuntimeError(f"sidecard is not available: {self._unavailable}")
        return self._client

    def validate_sidecars(
        self, directory: PathArg, operation_filter: str | None = None
    ) -> list[dict[str, Any]]:
        """Validates every sidecar under `directory` (recursively).

        Returns one dict per sidecar file with `file_path`, `is_valid`, `error`,
        `processing_time`, `file_size`, `detection_count`, `tool_name`,
        `operation_type` (and sidecard's extras, see
        :func:`sidecard.compat._legacy.validation_result`). With
        `operation_filter`, only sidecars containing that operation.
        Raises SidecardError (a RuntimeError) if the call fails.
        """
        stream = self._sidecard().iter_validate(directory, operation=operation_filter)
        return [_legacy.validation_result(report, operation_filter) for report in stream]

    def get_statistics(
        self, directory: PathArg, operation_filter: str | None = None
    ) -> dict[str, Any]:
        """The Stats of `directory`: the old keys (`directory`, `total_images`,
        `symlink_count`, `broken_symlinks`, `total_sidecars`, `coverage_percentage`,
        `operation_counts`, `avg_processing_times`, `success_rate_percentages`,
        `avg_data_sizes`, `filter_applied`) and sidecard's extras."""
        stats = self._sidecard().stats(directory, operation=operation_filter)
        return _legacy.statistics(stats)

    def cleanup_orphaned_sidecars(self, directory: PathArg, dry_run: bool = False) -> int:
        """Removes orphaned sidecars under `directory` -- by default, as before, for real.

        Returns the number removed (deleted, or quarantined with
        SIDECARD_COMPAT_CLEANUP=quarantine); with `dry_run`, removes nothing and
        returns the number that would be removed. Files that could not be
        removed are logged and left in place; the rest goes on.
        """
        result = self._sidecard().cleanup(directory, _legacy.cleanup_mode(dry_run))
        for item in result.results:
            if item["action"] == "failed":
                logger.error("could not remove %s: %s", item["file"], item["error"])
        if dry_run:
            # The daemon's working files are listed too; the old count is of orphans.
            return sum(
                1
                for item in result.results
                if item["action"] == "would_remove" and not item["working_file"]
            )
        return int(result.summary["removed"])

    def images_needing_operation(
        self, directory: PathArg, operation: str, *, recursive: bool = True
    ) -> list[str]:
        """The images under `directory` that still need `operation`: their sidecar
        lacks it (or they have none), or a payload of it failed (``success: false``).

        Sorted paths, each once; a symlinked image is judged by the sidecar beside
        its resolved target. One question to the daemon's cache instead of reading
        every sidecar (sportball's ``_filter_images_needing_processing``).
        `operation` is a name (``face_detection``), an ``OperationType`` member, or
        ``operation.backend``.
        Raises SidecardError (a RuntimeError) if the call fails.
        """
        name = _legacy.name_of(operation)
        client = self._sidecard()
        lacking = client.find_paths(directory, missing=name, recursive=recursive)
        failed = client.find_paths(directory, failed=name, recursive=recursive)
        return sorted({image for stream in (lacking, failed) for image in stream})

    def export_sidecar_data(
        self,
        directory: PathArg,
        output_path: PathArg,
        operation_filter: str | None = None,
        format: str = "json",
    ) -> int:
        """Exports the sidecars under `directory` to `output_path` (`json`, `jsonl` or
        `csv`); returns the number of sidecar documents exported."""
        result = self._sidecard().export(
            directory, output_path, format=format, operation=operation_filter
        )
        return int(result.summary["exported"])

    def read_data(self, image_path: PathArg) -> dict[str, Any]:
        """The sidecar document of `image_path`; {} when it has none or does not exist."""
        try:
            document: dict[str, Any] = self._sidecard().read_sidecar(image_path)["document"]
        except NotFound:
            return {}
        return document

    def save_sidecar_data(
        self, image_path: PathArg, operation_type: str, data: dict[str, Any] | str
    ) -> bool:
        """Merges `data` (a dict or JSON text) into the sidecar of `image_path` under
        `operation_type`. Never raises: returns False (and logs why) on failure."""
        try:
            self._sidecard().save_sidecar(image_path, _legacy.name_of(operation_type), data)
        except Exception as error:  # the old API's contract: report, never raise
            logger.error("save_sidecar_data(%s, %s) failed: %s", image_path, operation_type, error)
            return False
        return True

    def get_performance_info(self) -> dict[str, Any]:
        """The old keys (`rust_available`, `rust_binary_path`, `fallback_enabled`,
        `max_workers`, `timeout`) plus `backend` ("sidecard"), `address`, and the
        daemon's `server` info (None when it cannot be asked)."""
        server: Mapping[str, Any] | None = None
        if self._client is not None:
            try:
                server = self._client.server_info()
            except SidecardError as error:
                logger.warning("sidecard server info unavailable: %s", error)
        return {
            "rust_available": self.rust_available,
            "rust_binary_path": (
                str(self.config.rust_binary_path) if self.config.rust_binary_path else None
            ),
            "fallback_enabled": self.config.fallback_to_python,
            "max_workers": self.config.max_workers,
            "timeout": self.config.timeout,
            "backend": "sidecard",
            "address": self._client.address if self._client is not None else None,
            "server": server,
        }
