"""The opt-in `image_sidecar_rust` module: ImageSidecar, OperationType, SidecarFormat."""

from __future__ import annotations

from pathlib import Path

import pytest

import image_sidecar_rust
import known_tree
from conftest import COMPAT_DIR, Daemon
from image_sidecar_rust import ImageSidecar, OperationType, SidecarFormat


def test_the_opt_in_module_is_the_sidecard_one() -> None:
    assert Path(image_sidecar_rust.__file__).parent == COMPAT_DIR
    assert ImageSidecar.__module__ == "sidecard.compat.image_sidecar_rust"


def test_enums_behave_like_the_old_names() -> None:
    assert [op.value for op in OperationType] == [
        "face_detection", "object_detection", "ball_detection", "quality_assessment",
        "game_detection", "yolov8", "unified",
    ]
    assert str(OperationType.UNIFIED) == "unified"
    assert OperationType("yolov8") is OperationType.YOLOV8
    assert OperationType.FACE_DETECTION == "face_detection"
    assert SidecarFormat("binary") is SidecarFormat.BINARY is SidecarFormat("bin")
    assert SidecarFormat("JSON") is SidecarFormat.JSON and str(SidecarFormat.RKYV) == "rkyv"
    assert SidecarFormat("BIN") is SidecarFormat("Binary") is SidecarFormat.BINARY
    assert OperationType("Face_Detection") is OperationType.FACE_DETECTION
    with pytest.raises(ValueError):
        SidecarFormat("xml")


def test_validate_and_statistics(daemon_env: Daemon, library: Path) -> None:
    sidecar = ImageSidecar(max_workers=4)
    assert sidecar.rust_available is True
    results = sidecar.validate_sidecars(str(library))
    assert [Path(r["file_path"]).name for r in results] == [
        Path(name).name for name in known_tree.SIDECARS
    ]
    assert {"file_path", "is_valid", "error", "processing_time", "file_size"} <= set(results[0])
    assert [r["is_valid"] for r in results] == [True, True, True, False, True]

    stats = sidecar.get_statistics(str(library))
    assert (stats["total_images"], stats["total_sidecars"]) == (5, 5)
    assert stats["coverage_percentage"] == pytest.approx(60.0)
    assert stats["success_rate_percentages"]["yolov8"] == pytest.approx(100.0)
    assert sidecar.get_format_statistics(str(library)) == {"bin": 3, "json": 1, "rkyv": 1}


def test_find_sidecars(daemon_env: Daemon, library: Path) -> None:
    found = ImageSidecar().find_sidecars(library)
    by_name = {Path(s["sidecar_path"]).name: s for s in found}
    assert by_name["IMG_2.json"] == {
        "image_path": str(library / "a/IMG_2.jpg"),
        "sidecar_path": str(library / "a/IMG_2.json"),
        "operation": "yolov8",
        "data_size": (library / "a/IMG_2.json").stat().st_size,
        "created_at": None,
        "is_valid": True,
        "format": "json",
        "operations": ["yolov8"],
    }
    assert by_name["GHOST.bin"]["image_path"] is None
    assert by_name["IMG_4.bin"]["operation"] == "unknown"


def test_save_and_read_data_as_sportball_does(daemon_env: Daemon, library: Path) -> None:
    sidecar = ImageSidecar()
    image = library / known_tree.NO_SIDECAR
    assert sidecar.read_data(str(image)) == {}
    metadata = {"faces": [], "objects": [{"class_name": "person"}]}
    info = sidecar.save_data(str(image.resolve()), OperationType.UNIFIED, metadata)
    assert Path(info.get("sidecar_path", str(image) + ".json")) == library / "a/IMG_3.bin"
    assert (info["operation"], info["is_valid"], info["created"]) == ("unified", True, True)
    assert info["data_size"] == (library / "a/IMG_3.bin").stat().st_size
    assert sidecar.read_data(str(image))["unified"] == metadata
    sidecar.save_data(image, "face_detection", {"success": True})
    assert set(sidecar.read_data(image)) == {"unified", "face_detection", "sidecar_info"}


def test_save_data_raises_runtime_errors(daemon_env: Daemon, library: Path) -> None:
    with pytest.raises(RuntimeError, match="corrupt"):
        ImageSidecar().save_data(library / "a/IMG_4.jpg", OperationType.FACE_DETECTION, {})


def test_cleanup_orphaned_deletes(daemon_env: Daemon, library: Path) -> None:
    assert ImageSidecar().cleanup_orphaned(str(library)) == 1
    assert not (library / known_tree.ORPHAN).exists()
    assert (library / known_tree.CORRUPT).exists()


def test_convert_directory_format(daemon_env: Daemon, library: Path) -> None:
    converted = ImageSidecar().convert_directory_format(str(library), SidecarFormat.JSON)
    assert converted >= 2
    assert (library / "a/IMG_1.json").exists() and not (library / "a/IMG_1.bin").exists()
    assert ImageSidecar().convert_directory_format(library, "binary") >= 1
    assert (library / "a/IMG_2.bin").exists()


def test_unavailable_daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIDECARD_ADDRESS", f"unix:{tmp_path / 'nobody.sock'}")
    sidecar = ImageSidecar()
    assert sidecar.rust_available is False
    with pytest.raises(RuntimeError, match="UNAVAILABLE"):
        sidecar.get_statistics(tmp_path)
