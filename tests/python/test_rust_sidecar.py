"""RustSidecarConfig / RustSidecarManager: the old names, signatures and shapes."""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import os
import time
from pathlib import Path

import pytest

import known_tree
from conftest import Daemon
from sidecard.compat.rust_sidecar import RustSidecarConfig, RustSidecarManager

OLD_RESULT_KEYS = {
    "file_path", "is_valid", "error", "processing_time", "file_size", "detection_count",
    "tool_name", "operation_type",
}
OLD_STATS_KEYS = {
    "directory", "total_images", "symlink_count", "broken_symlinks", "total_sidecars",
    "coverage_percentage", "operation_counts", "avg_processing_times",
    "success_rate_percentages", "avg_data_sizes", "filter_applied",
}


def test_config_has_the_old_fields_and_defaults() -> None:
    fields = {f.name: f for f in dataclasses.fields(RustSidecarConfig)}
    assert list(fields) == [
        "enable_rust", "rust_binary_path", "fallback_to_python", "max_workers", "timeout"
    ]
    config = RustSidecarConfig()
    assert (config.enable_rust, config.rust_binary_path, config.fallback_to_python) == (
        True, None, False
    )
    assert (config.max_workers, config.timeout) == (16, 300)


def test_config_defaults_come_from_the_sportball_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPORTBALL_RUST_WORKERS", "32")
    monkeypatch.setenv("SPORTBALL_RUST_TIMEOUT", "600")
    monkeypatch.setenv("SPORTBALL_RUST_BINARY_PATH", "/opt/old/sportball-sidecar-rust")
    config = RustSidecarConfig()
    assert (config.max_workers, config.timeout) == (32, 600)
    assert config.rust_binary_path == Path("/opt/old/sportball-sidecar-rust")
    assert RustSidecarConfig(max_workers=4).max_workers == 4  # arguments win


def test_signatures_match_the_old_api() -> None:
    def parameters(name: str) -> list[tuple[str, object]]:
        signature = inspect.signature(getattr(RustSidecarManager, name))
        return [(p.name, p.default) for p in signature.parameters.values()][1:]

    empty = inspect.Parameter.empty
    assert parameters("__init__") == [("config", None)]
    assert parameters("validate_sidecars") == [("directory", empty), ("operation_filter", None)]
    assert parameters("get_statistics") == [("directory", empty), ("operation_filter", None)]
    assert parameters("cleanup_orphaned_sidecars") == [("directory", empty), ("dry_run", False)]
    assert parameters("export_sidecar_data") == [
        ("directory", empty), ("output_path", empty), ("operation_filter", None),
        ("format", "json"),
    ]
    assert parameters("read_data") == [("image_path", empty)]
    assert parameters("save_sidecar_data") == [
        ("image_path", empty), ("operation_type", empty), ("data", empty)
    ]
    assert parameters("get_performance_info") == []


def test_validate_sidecars(daemon_env: Daemon, library: Path) -> None:
    manager = RustSidecarManager()
    assert manager.rust_available is True
    results = manager.validate_sidecars(library)
    assert all(OLD_RESULT_KEYS <= set(result) for result in results)
    by_name = {Path(r["file_path"]).name: r for r in results}
    assert list(by_name) == [Path(name).name for name in known_tree.SIDECARS]
    assert by_name["IMG_1.bin"] == {
        **by_name["IMG_1.bin"],
        "is_valid": True,
        "error": None,
        "processing_time": 0.0,
        "file_size": (library / "a/IMG_1.bin").stat().st_size,
        "detection_count": 2,
        "tool_name": "insightface",
        "operation_type": "face_detection",
    }
    corrupt = by_name["IMG_4.bin"]
    assert corrupt["is_valid"] is False and "100" in corrupt["error"]
    assert corrupt["operation_type"] is None and corrupt["tool_name"] is None
    assert by_name["IMG_2.json"]["detection_count"] == 3

    only_yolo = manager.validate_sidecars(library, operation_filter="yolov8")
    assert [(Path(r["file_path"]).name, r["operation_type"]) for r in only_yolo] == [
        ("IMG_2.json", "yolov8")
    ]


def test_get_statistics(daemon_env: Daemon, library: Path) -> None:
    manager = RustSidecarManager()
    stats = manager.get_statistics(library)
    assert OLD_STATS_KEYS <= set(stats)
    assert stats["directory"] == str(library)
    assert (stats["total_images"], stats["total_sidecars"]) == (5, 5)
    assert stats["coverage_percentage"] == pytest.approx(60.0)
    assert stats["operation_counts"] == {"face_detection": 3, "yolov8": 1}
    assert stats["filter_applied"] is None
    filtered = manager.get_statistics(library, operation_filter="face_detection")
    assert filtered["filter_applied"] == "face_detection"
    assert filtered["operation_counts"] == {"face_detection": 3}


def test_cleanup_dry_run_counts_without_removing(daemon_env: Daemon, library: Path) -> None:
    manager = RustSidecarManager()
    # The daemon's stray working files are listed by Cleanup, but the old API
    # counts orphaned sidecars only.
    stray = library / "a" / ".sidecard-tmp-IMG_1.bin.4242.0"
    stray.write_bytes(b"half a write")
    os.utime(stray, (time.time() - 3600, time.time() - 3600))
    assert manager.cleanup_orphaned_sidecars(library, dry_run=True) == 1
    assert (library / known_tree.ORPHAN).exists() and stray.exists()


def test_cleanup_by_default_deletes_like_the_old_api(daemon_env: Daemon, library: Path) -> None:
    manager = RustSidecarManager()
    assert manager.cleanup_orphaned_sidecars(library) == 1
    assert not (library / known_tree.ORPHAN).exists()
    assert (library / known_tree.CORRUPT).exists() and (library / "package.json").exists()
    assert manager.cleanup_orphaned_sidecars(library) == 0


def test_cleanup_can_quarantine_instead(
    daemon_env: Daemon, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIDECARD_COMPAT_CLEANUP", "quarantine")
    assert RustSidecarManager().cleanup_orphaned_sidecars(library) == 1
    moved = list((library / ".sidecard-quarantine").glob("*/" + known_tree.ORPHAN))
    assert len(moved) == 1 and not (library / known_tree.ORPHAN).exists()


def test_export_sidecar_data(daemon_env: Daemon, library: Path) -> None:
    manager = RustSidecarManager()
    output = library / "export.json"
    count = manager.export_sidecar_data(library, output)
    assert count == len(json.loads(output.read_text())) == 4
    csv_output = library / "export.csv"
    assert manager.export_sidecar_data(library, csv_output, "yolov8", format="csv") == 1
    assert len(csv_output.read_text().splitlines()) == 2


def test_read_data(daemon_env: Daemon, library: Path) -> None:
    manager = RustSidecarManager()
    assert manager.read_data(library / "a/IMG_1.jpg") == known_tree.face_document(2, True, 1.5)
    assert manager.read_data(library / known_tree.NO_SIDECAR) == {}
    assert manager.read_data(library / "a/GONE.jpg") == {}


def test_save_sidecar_data_accepts_a_dict_or_json_text(
    daemon_env: Daemon, library: Path
) -> None:
    manager = RustSidecarManager()
    image = library / known_tree.NO_SIDECAR
    assert manager.save_sidecar_data(image, "face_detection", {"success": True, "faces": []})
    assert manager.save_sidecar_data(image, "yolov8", '{"success": true, "objects": []}')
    document = manager.read_data(image)
    assert document["face_detection"] == {"success": True, "faces": []}
    assert document["yolov8"] == {"success": True, "objects": []}
    assert known_tree.decode_bin((library / "a/IMG_3.bin").read_bytes()) == document


def test_save_sidecar_data_never_raises(
    daemon_env: Daemon, library: Path, caplog: pytest.LogCaptureFixture
) -> None:
    manager = RustSidecarManager()
    caplog.set_level(logging.ERROR, logger="sidecard.compat.rust_sidecar")
    image = library / "a/IMG_1.jpg"
    assert manager.save_sidecar_data(image, "face_detection", "not json") is False
    assert manager.save_sidecar_data(image, "face_detection", 42) is False  # type: ignore
    assert manager.save_sidecar_data(library / "a/GONE.jpg", "face_detection", {}) is False
    assert manager.save_sidecar_data("/outside/x.jpg", "face_detection", {}) is False
    assert manager.save_sidecar_data(library / "a/IMG_4.jpg", "face_detection", {}) is False
    assert len(caplog.records) == 5


def test_get_performance_info(daemon_env: Daemon) -> None:
    info = RustSidecarManager(RustSidecarConfig(max_workers=8, timeout=60)).get_performance_info()
    assert {k: info[k] for k in ("rust_available", "rust_binary_path", "fallback_enabled")} == {
        "rust_available": True, "rust_binary_path": None, "fallback_enabled": False
    }
    assert (info["max_workers"], info["timeout"]) == (8, 60)
    assert (info["backend"], info["address"]) == ("sidecard", daemon_env.address)
    assert info["server"]["pid"] == daemon_env.process.pid


def test_unavailable_daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIDECARD_ADDRESS", f"unix:{tmp_path / 'nobody.sock'}")
    manager = RustSidecarManager()
    assert manager.rust_available is False
    assert manager.get_performance_info()["server"] is None
    assert manager.save_sidecar_data(tmp_path / "x.jpg", "face_detection", {}) is False
    with pytest.raises(RuntimeError, match="UNAVAILABLE"):
        manager.validate_sidecars(tmp_path)


def test_disabled_by_config(daemon_env: Daemon, library: Path) -> None:
    manager = RustSidecarManager(RustSidecarConfig(enable_rust=False))
    assert manager.rust_available is False
    assert manager.get_performance_info()["address"] is None
    with pytest.raises(RuntimeError, match="enable_rust=False"):
        manager.get_statistics(library)
    assert manager.save_sidecar_data(library / "a/IMG_1.jpg", "face_detection", {}) is False
