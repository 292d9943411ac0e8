"""The opt-in `image_sidecar_rust` package: the old published surface, whole,
backed by a real daemon (package layout, ImageSidecar, SidecarFormat,
OperationType, the exception classes, the native submodule)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

import image_sidecar_rust
import known_tree
from conftest import COMPAT_DIR, Daemon
from image_sidecar_rust import ImageSidecar, OperationType, SidecarFormat
from image_sidecar_rust.exceptions import (
    FormatError,
    IOWarning,
    SidecarError,
    StatisticsError,
    ValidationError,
)
from image_sidecar_rust.image_sidecar_rust import PyImageSidecar, PyOperationType, PySidecarFormat

OLD_INFO_KEYS = {"image_path", "sidecar_path", "operation", "data_size", "created_at", "is_valid"}


# --- the package layout ------------------------------------------------------


def test_the_opt_in_package_is_the_sidecard_one() -> None:
    assert Path(image_sidecar_rust.__file__).parent == COMPAT_DIR / "image_sidecar_rust"
    assert ImageSidecar.__module__ == "sidecard.compat.image_sidecar_rust.core"
    from image_sidecar_rust import core, exceptions

    assert core.ImageSidecar is ImageSidecar and exceptions.SidecarError is SidecarError
    assert set(image_sidecar_rust.__all__) >= {
        "ImageSidecar", "SidecarFormat", "OperationType",
        "SidecarError", "ValidationError", "StatisticsError",
    }


def test_the_package_version_is_sidecards() -> None:
    import sidecard

    assert image_sidecar_rust.__version__ == sidecard.__version__


def test_exceptions_have_the_published_shape() -> None:
    error = SidecarError("it broke", error_code="E42")
    assert (error.message, error.error_code, str(error)) == ("it broke", "E42", "it broke")
    assert SidecarError("no code").error_code is None
    for subclass in (ValidationError, StatisticsError, FormatError, IOWarning):
        assert issubclass(subclass, SidecarError)
    # The old native module raised RuntimeError: both kinds of except clause work.
    assert issubclass(SidecarError, RuntimeError)


def test_the_native_submodule_has_the_native_classes() -> None:
    assert str(PySidecarFormat("binary")) == "bin" == str(PySidecarFormat("BIN"))
    assert repr(PySidecarFormat("json")) == "SidecarFormat('json')"
    assert str(PyOperationType("YOLOV8")) == "yolov8"
    assert repr(PyOperationType("unified")) == "OperationType('unified')"
    with pytest.raises(RuntimeError, match="Unknown format: xml"):
        PySidecarFormat("xml")
    with pytest.raises(RuntimeError, match="Unknown operation: pose"):
        PyOperationType("pose")
    assert str(PyImageSidecar(None).get_default_format()) == "bin"


# --- SidecarFormat and OperationType ------------------------------------------


def test_formats_and_operations_are_named_as_published() -> None:
    assert (SidecarFormat.JSON, SidecarFormat.BINARY, SidecarFormat.RKYV) == (
        "json", "binary", "rkyv")
    assert OperationType.UNIFIED == "unified" and OperationType.YOLOV8 == "yolov8"
    for name in ("json", "binary", "rkyv"):
        assert str(SidecarFormat(name)) == name
        assert repr(SidecarFormat(name)) == f"SidecarFormat('{name}')"
    assert str(SidecarFormat("Binary")) == "binary" == str(SidecarFormat("bin"))
    for name in ("face_detection", "object_detection", "ball_detection", "quality_assessment",
                 "game_detection", "yolov8", "unified"):
        assert str(OperationType(name.upper())) == name
        assert repr(OperationType(name)) == f"OperationType('{name}')"
    assert OperationType("Face_Detection") == OperationType.FACE_DETECTION
    with pytest.raises(ValueError, match="^Unknown format: xml$"):
        SidecarFormat("XML")
    with pytest.raises(ValueError, match="^Unknown operation: pose$"):
        OperationType("pose")


# --- ImageSidecar against a real daemon ----------------------------------------


def test_validate_and_statistics(daemon_env: Daemon, library: Path) -> None:
    sidecar = ImageSidecar(max_workers=4)
    assert sidecar.rust_available is True
    results = sidecar.validate_sidecars(str(library))
    assert [Path(r["file_path"]).name for r in results] == [
        Path(name).name for name in known_tree.SIDECARS
    ]
    assert {"file_path", "is_valid", "error", "processing_time", "file_size"} <= set(results[0])
    assert [r["is_valid"] for r in results] == [True, True, True, False, True]
    corrupt = results[3]
    assert corrupt["error"] and corrupt["file_size"] == (library / known_tree.CORRUPT).stat().st_size

    stats = sidecar.get_statistics(library)
    assert (stats["total_images"], stats["total_sidecars"]) == (5, 5)
    assert stats["coverage_percentage"] == pytest.approx(60.0)
    assert stats["operation_counts"] == {"face_detection": 3, "yolov8": 1}
    assert stats["success_rate_percentages"]["yolov8"] == pytest.approx(100.0)
    assert stats["avg_processing_times"]["yolov8"] == pytest.approx(0.5)
    assert set(stats["avg_data_sizes"]) == {"face_detection", "yolov8"}
    assert sidecar.get_format_statistics(str(library)) == {"bin": 3, "json": 1, "rkyv": 1}


def test_an_empty_directory_has_no_formats(daemon_env: Daemon, library: Path) -> None:
    empty = library / "empty"
    empty.mkdir()
    sidecar = ImageSidecar()
    assert sidecar.get_format_statistics(empty) == {}
    assert sidecar.validate_sidecars(empty) == [] == sidecar.find_sidecars(empty)
    stats = sidecar.get_statistics(empty)
    assert (stats["total_images"], stats["coverage_percentage"]) == (0, 0.0)


def test_find_sidecars(daemon_env: Daemon, library: Path) -> None:
    found = ImageSidecar().find_sidecars(library)
    by_name = {Path(s["sidecar_path"]).name: s for s in found}
    assert len(found) == len(known_tree.SIDECARS)
    sidecar_file = library / "a/IMG_2.json"
    written = datetime.datetime.fromtimestamp(sidecar_file.stat().st_mtime, datetime.timezone.utc)
    assert by_name["IMG_2.json"] == {
        "image_path": str(library / "a/IMG_2.jpg"),
        "sidecar_path": str(sidecar_file),
        "operation": "yolov8",
        "data_size": sidecar_file.stat().st_size,
        "created_at": written.isoformat(),
        "is_valid": True,
        "format": "json",
        "operations": ["yolov8"],
    }
    assert datetime.datetime.fromisoformat(by_name["IMG_1.bin"]["created_at"]).tzinfo
    assert by_name["GHOST.bin"]["image_path"] is None
    assert by_name["IMG_4.bin"]["operation"] == "unknown"
    assert by_name["IMG_4.bin"]["is_valid"] is False


def test_save_and_read_data_as_sportball_does(daemon_env: Daemon, library: Path) -> None:
    sidecar = ImageSidecar()
    image = library / known_tree.NO_SIDECAR
    assert sidecar.read_data(str(image)) == {}
    metadata = {"faces": [], "objects": [{"class_name": "person"}]}
    info = sidecar.save_data(str(image.resolve()), OperationType.UNIFIED, metadata)
    assert OLD_INFO_KEYS <= set(info)
    assert Path(info["sidecar_path"]) == image.with_suffix(".bin")
    assert (info["operation"], info["is_valid"], info["created"]) == ("unified", True, True)
    assert info["data_size"] == image.with_suffix(".bin").stat().st_size
    assert sidecar.read_data(str(image))["unified"] == metadata
    # A string operation, any case, and data given as JSON text.
    again = sidecar.save_data(image, "Face_Detection", json.dumps({"success": True}))
    assert again["sidecar_path"] == info["sidecar_path"] and again["created"] is False
    assert set(sidecar.read_data(image)) == {"unified", "face_detection", "sidecar_info"}


def test_create_sidecar_merges_like_save_data(daemon_env: Daemon, library: Path) -> None:
    sidecar = ImageSidecar()
    image = library / known_tree.NO_SIDECAR
    first = sidecar.create_sidecar(image, OperationType("face_detection"), {"test": "data"})
    second = sidecar.create_sidecar(image, OperationType.YOLOV8, {"objects": []})
    assert set(first) == set(second) and OLD_INFO_KEYS <= set(first)
    assert first["sidecar_path"] == second["sidecar_path"]
    document = sidecar.read_data(image)
    assert document["face_detection"] == {"test": "data"} and document["yolov8"] == {"objects": []}
    # What the caller saved is valid to Validate (a payload of the caller's own shape).
    results = sidecar.validate_sidecars(library / "a")
    mine = next(r for r in results if r["file_path"] == first["sidecar_path"])
    assert mine["is_valid"] is True, mine["error"]


def test_the_default_format_decides_new_sidecars(daemon_env: Daemon, library: Path) -> None:
    sidecar = ImageSidecar()
    assert sidecar.get_default_format() == "bin"
    for given, expected in (("json", "json"), ("binary", "bin"), ("RKYV", "rkyv"),
                            (SidecarFormat.BINARY, "bin"), (SidecarFormat("json"), "json")):
        sidecar.set_default_format(given)
        assert sidecar.get_default_format() == expected
    with pytest.raises(ValueError, match="Unknown format"):
        sidecar.set_default_format("xml")
    image = library / known_tree.NO_SIDECAR
    info = sidecar.save_data(image, "yolov8", {"objects": []})
    assert Path(info["sidecar_path"]) == image.with_suffix(".json") and info["format"] == "json"
    # An existing sidecar keeps its file whatever the default.
    sidecar.set_default_format("rkyv")
    kept = sidecar.save_data(library / "a/IMG_1.jpg", "yolov8", {"objects": []})
    assert Path(kept["sidecar_path"]) == library / "a/IMG_1.bin"
    assert not (library / "a/IMG_1.rkyv").exists()


def test_a_save_over_a_corrupt_sidecar_fails_and_keeps_it(
    daemon_env: Daemon, library: Path
) -> None:
    corrupt = library / known_tree.CORRUPT
    before = corrupt.read_bytes()
    with pytest.raises(SidecarError, match="Sidecar save failed: .*corrupt") as caught:
        ImageSidecar().save_data(library / "a/IMG_4.jpg", OperationType.FACE_DETECTION, {})
    assert caught.value.error_code == "FAILED_PRECONDITION"
    assert isinstance(caught.value, RuntimeError)
    assert corrupt.read_bytes() == before


def test_errors_are_the_published_classes(daemon_env: Daemon, library: Path) -> None:
    sidecar = ImageSidecar()
    missing = library / "no-such-folder"
    with pytest.raises(ValidationError, match="^Validation failed: ") as caught:
        sidecar.validate_sidecars(missing)
    assert caught.value.error_code == "NOT_FOUND"
    with pytest.raises(StatisticsError) as stats_error:
        sidecar.get_statistics(missing)
    assert stats_error.value.error_code == "NOT_FOUND"
    with pytest.raises(StatisticsError):
        sidecar.get_format_statistics(missing)
    with pytest.raises(SidecarError, match="Sidecar search failed"):
        sidecar.find_sidecars(missing)
    with pytest.raises(SidecarError, match="Cleanup failed"):
        sidecar.cleanup_orphaned(missing)
    with pytest.raises(FormatError, match="Unknown format: xml"):
        sidecar.convert_directory_format(library, "xml")
    with pytest.raises(SidecarError, match="Unknown operation: invalid_operation"):
        sidecar.save_data(library / "a/IMG_1.jpg", "invalid_operation", {})
    outside = Path("/etc")
    with pytest.raises(ValidationError) as denied:
        sidecar.validate_sidecars(outside)
    assert denied.value.error_code == "PERMISSION_DENIED"


def test_cleanup_orphaned_deletes(daemon_env: Daemon, library: Path) -> None:
    assert ImageSidecar().cleanup_orphaned(str(library)) == 1
    assert not (library / known_tree.ORPHAN).exists()
    assert (library / known_tree.CORRUPT).exists()
    assert (library / "package.json").exists()


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
    with pytest.raises(StatisticsError, match="UNAVAILABLE") as caught:
        sidecar.get_statistics(tmp_path)
    assert caught.value.error_code == "UNAVAILABLE"
