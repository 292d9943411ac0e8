"""sidecard.Client against the real daemon: every RPC on a tree with known answers."""

from __future__ import annotations

import io
import json
import os
import stat
import time
from pathlib import Path

import pytest

import known_tree
import sidecard
from conftest import Daemon


def test_health_and_server_info(client: sidecard.Client, daemon: Daemon) -> None:
    assert client.health() == "SERVING"
    assert client.health("sidecar.v1.SidecarService") == "SERVING"
    info = client.server_info()
    assert info["version"] == sidecard.__version__
    assert info["allowed_roots"] == [str(daemon.root.resolve())]
    assert info["pid"] == daemon.process.pid
    assert info["workers"] == 2
    assert isinstance(info["uptime_seconds"], float)
    assert isinstance(info["calls_by_method"], dict)


def test_health_of_an_unknown_service_is_not_found(client: sidecard.Client) -> None:
    with pytest.raises(sidecard.NotFound):
        client.health("no.such.Service")


def test_validate_reports_every_sidecar_with_known_facts(
    client: sidecard.Client, library: Path
) -> None:
    result = client.validate(library)
    assert [Path(r["file"]).relative_to(library).as_posix() for r in result.reports] == list(
        known_tree.SIDECARS
    )
    by_name = {Path(r["file"]).name: r for r in result.reports}

    one = by_name["IMG_1.bin"]
    assert one["valid"] is True and one["error"] == "" and one["problems"] == []
    assert one["format"] == "bin" and one["layout"] == "merged"
    assert one["operations"] == ["face_detection"]
    assert (one["detection_count"], one["face_count"], one["object_count"]) == (2, 2, 0)
    assert one["tool_names"] == ["insightface"]
    assert one["image"] == str(library / "a/IMG_1.jpg") and one["orphan"] is False
    assert one["size_bytes"] == (library / "a/IMG_1.bin").stat().st_size

    two = by_name["IMG_2.json"]
    assert (two["format"], two["detection_count"], two["object_count"]) == ("json", 3, 3)
    assert two["tool_names"] == ["yolov8n.pt"]

    corrupt = by_name["IMG_4.bin"]
    assert corrupt["valid"] is False and "100" in corrupt["error"]
    assert corrupt["layout"] is None

    ghost = by_name["GHOST.bin"]
    assert ghost["orphan"] is True and ghost["image"] is None
    assert by_name["IMG_5.rkyv"]["format"] == "rkyv"

    summary = result.summary
    assert summary["root"] == str(library)
    assert (summary["total_files"], summary["valid_files"], summary["invalid_files"]) == (5, 4, 1)
    assert summary["by_format"] == {"bin": 3, "json": 1, "rkyv": 1}
    assert summary["by_operation"] == {"face_detection": 3, "yolov8": 1}
    assert (summary["foreign_files"], summary["orphans"], summary["filtered_out"]) == (1, 1, 0)
    assert summary["filter_applied"] == ""


def test_iter_validate_streams_batches_then_the_summary(
    client: sidecard.Client, library: Path
) -> None:
    with client.iter_validate(library, batch_size=1) as stream:
        first = next(stream)
        with pytest.raises(RuntimeError, match="read the stream to its end"):
            stream.summary
        rest = list(stream)
    assert [first["file"]] + [r["file"] for r in rest] == [
        str(library / name) for name in known_tree.SIDECARS
    ]
    assert stream.summary["total_files"] == 5


def test_validate_filter_summary_only_and_non_recursive(
    client: sidecard.Client, library: Path
) -> None:
    filtered = client.validate(library, operation="yolov8")
    assert [Path(r["file"]).name for r in filtered.reports] == ["IMG_2.json"]
    assert filtered.summary["filter_applied"] == "yolov8"
    assert filtered.summary["filtered_out"] == 4

    summary_only = client.validate(library, summary_only=True)
    assert summary_only.reports == [] and summary_only.summary["total_files"] == 5

    top_only = client.validate(library, recursive=False)
    assert top_only.reports == [] and top_only.summary["foreign_files"] == 1


def test_stats_has_the_rust_keys_with_correct_values(
    client: sidecard.Client, library: Path
) -> None:
    stats = client.stats(library)
    assert stats["directory"] == str(library)
    assert stats["total_images"] == 5
    assert (stats["symlink_count"], stats["broken_symlinks"]) == (0, 0)
    assert stats["total_sidecars"] == 5
    assert stats["coverage_percentage"] == pytest.approx(60.0)
    assert stats["operation_counts"] == {"face_detection": 3, "yolov8": 1}
    assert stats["avg_processing_times"] == pytest.approx({"face_detection": 1.5, "yolov8": 0.5})
    assert stats["success_rate_percentages"] == pytest.approx(
        {"face_detection": 200 / 3, "yolov8": 100.0}
    )
    face_files = ("a/IMG_1.bin", "a/GHOST.bin", "b/IMG_5.rkyv")
    face_size = sum((library / name).stat().st_size for name in face_files) / 3
    assert stats["avg_data_sizes"] == pytest.approx(
        {"face_detection": face_size, "yolov8": (library / "a/IMG_2.json").stat().st_size}
    )
    assert stats["filter_applied"] == ""
    assert stats["files_by_format"] == {"bin": 3, "json": 1, "rkyv": 1}
    assert (stats["invalid_sidecars"], stats["orphaned_sidecars"]) == (1, 1)
    assert (stats["foreign_files"], stats["images_without_sidecars"]) == (1, 2)
    assert (stats["faces_found"], stats["objects_found"]) == (3, 3)
    assert stats["object_classes"] == {"person": 2, "sports ball": 1}
    assert all(isinstance(stats[key], int) for key in ("total_images", "faces_found"))


def test_stats_with_an_operation_filter(client: sidecard.Client, library: Path) -> None:
    stats = client.stats(library, operation="yolov8")
    assert stats["filter_applied"] == "yolov8"
    assert stats["total_sidecars"] == 1
    assert stats["operation_counts"] == {"yolov8": 1}
    assert stats["coverage_percentage"] == pytest.approx(20.0)


def test_relative_paths_are_taken_from_the_working_directory(
    client: sidecard.Client, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(library)
    assert client.stats("b")["directory"] == str(library / "b")


def test_cleanup_dry_run_reports_and_changes_nothing(
    client: sidecard.Client, library: Path
) -> None:
    result = client.cleanup(library)
    assert [(r["file"], r["action"]) for r in result.results] == [
        (str(library / known_tree.ORPHAN), "would_remove")
    ]
    assert result.summary["mode"] == "dry_run"
    assert (result.summary["orphans_found"], result.summary["removed"]) == (1, 0)
    assert (library / known_tree.ORPHAN).exists()


def test_cleanup_delete_removes_only_the_orphan(client: sidecard.Client, library: Path) -> None:
    result = client.cleanup(library, mode="delete")
    assert [r["action"] for r in result.results] == ["deleted"]
    assert result.summary["removed"] == 1
    assert not (library / known_tree.ORPHAN).exists()
    for kept in [*known_tree.IMAGES, *known_tree.SIDECARS[1:], "package.json"]:
        assert (library / kept).exists(), kept


def test_cleanup_quarantine_moves_the_orphan_aside(
    client: sidecard.Client, library: Path
) -> None:
    result = client.cleanup(library, "quarantine")
    quarantine = Path(result.summary["quarantine_dir"])
    assert quarantine.parent == library / ".sidecard-quarantine"
    moved = quarantine / known_tree.ORPHAN
    assert result.results[0]["action"] == "quarantined"
    assert result.results[0]["destination"] == str(moved)
    assert moved.exists() and not (library / known_tree.ORPHAN).exists()


def test_cleanup_keeps_orphans_younger_than_min_age(
    client: sidecard.Client, library: Path
) -> None:
    result = client.cleanup(library, "delete", min_age_seconds=3600)
    assert [r["action"] for r in result.results] == ["skipped_too_recent"]
    assert result.summary["removed"] == 0 and result.summary["skipped"] == 1
    assert (library / known_tree.ORPHAN).exists()


def test_working_files_are_counted_listed_and_resolved(
    client: sidecard.Client, library: Path
) -> None:
    """The daemon's own working files: counted in summaries, resolved by Cleanup."""
    hour_ago = time.time() - 3600
    tmp = library / "a" / ".sidecard-tmp-IMG_1.bin.4242.0"
    tmp.write_bytes(b"")
    os.utime(tmp, (hour_ago, hour_ago))
    held = library / "b" / ".sidecard-held-IMG_9.bin.4242.1"
    held.write_bytes(b"only copy")
    os.utime(held, (hour_ago, hour_ago))
    fresh = library / ".sidecard-tmp-IMG_8.bin.4242.2"
    fresh.write_bytes(b"in progress")

    summary = client.validate(library, summary_only=True).summary
    assert (summary["working_files"], summary["stray_working_files"]) == (3, 2)
    stats = client.stats(library)
    assert (stats["working_files"], stats["stray_working_files"]) == (3, 2)

    dry = client.cleanup(library)
    actions = {r["file"]: (r["action"], r["working_file"]) for r in dry.results}
    assert actions[str(tmp)] == ("would_remove", True)
    assert actions[str(held)] == ("would_restore", True)
    assert actions[str(fresh)] == ("skipped_too_recent", True)
    assert actions[str(library / known_tree.ORPHAN)] == ("would_remove", False)
    assert dry.summary["orphans_found"] == 1
    assert dry.summary["working_files_restored"] == 1
    assert tmp.exists() and held.exists()

    done = client.cleanup(library, mode="delete")
    assert done.summary["working_files_removed"] == 1
    assert done.summary["failed"] == 0
    assert not tmp.exists() and not held.exists() and fresh.exists()
    assert (library / "b" / "IMG_9.bin").read_bytes() == b"only copy"

    sweep = client.server_info()["startup_sweep"]
    assert sweep["started"] is True and isinstance(sweep["working_files"], int)


def test_read_sidecar(client: sidecard.Client, library: Path) -> None:
    read = client.read_sidecar(library / "a/IMG_1.jpg")
    assert read["found"] is True
    assert read["document"] == known_tree.face_document(2, True, 1.5)
    assert (read["sidecar"], read["format"]) == (str(library / "a/IMG_1.bin"), "bin")
    assert read["image"] == str(library / "a/IMG_1.jpg")

    none = client.read_sidecar(library / known_tree.NO_SIDECAR)
    assert (none["found"], none["document"], none["sidecar"]) == (False, {}, None)

    corrupt = client.read_sidecar(library / "a/IMG_4.jpg")
    assert corrupt["found"] is False
    assert [s["file"] for s in corrupt["skipped"]] == [str(library / known_tree.CORRUPT)]


def test_read_sidecar_through_a_symlinked_image(client: sidecard.Client, library: Path) -> None:
    (library / "b/linked.jpg").symlink_to("../a/IMG_1.jpg")
    read = client.read_sidecar(library / "b/linked.jpg")
    assert read["sidecar"] == str(library / "a/IMG_1.bin")
    assert read["image"] == str(library / "a/IMG_1.jpg")


def test_save_sidecar_writes_a_bin_the_old_tool_can_read(
    client: sidecard.Client, library: Path
) -> None:
    payload = {"success": True, "faces": [{"face_id": 0}]}
    saved = client.save_sidecar(library / known_tree.NO_SIDECAR, "face_detection", payload)
    written = library / "a/IMG_3.bin"
    assert saved["sidecar"] == str(written) and saved["format"] == "bin"
    assert saved["created"] is True and saved["size_bytes"] == written.stat().st_size
    document = known_tree.decode_bin(written.read_bytes())
    assert document["face_detection"] == payload
    assert document["sidecar_info"]["last_operation"] == "face_detection"
    assert client.read_sidecar(library / known_tree.NO_SIDECAR)["document"] == document


def test_save_sidecar_json_text_under_a_backend_in_json_format(
    client: sidecard.Client, library: Path
) -> None:
    payload = {"success": True, "objects": []}
    saved = client.save_sidecar(
        library / known_tree.NO_SIDECAR, "yolov8", json.dumps(payload), "yolov8", "json"
    )
    assert (saved["sidecar"], saved["format"]) == (str(library / "a/IMG_3.json"), "json")
    on_disk = json.loads((library / "a/IMG_3.json").read_text())
    assert on_disk["yolov8"] == {"yolov8": payload}


def test_save_sidecar_merges_into_the_existing_document(
    client: sidecard.Client, library: Path
) -> None:
    payload = {"success": True, "objects": []}
    saved = client.save_sidecar(library / "a/IMG_1.jpg", "yolov8", payload, backend="yolov8")
    assert saved["created"] is False
    document = client.read_sidecar(library / "a/IMG_1.jpg")["document"]
    assert document["yolov8"] == {"yolov8": payload}
    assert document["face_detection"] == known_tree.face_document(2, True, 1.5)["face_detection"]


def test_save_sidecar_never_silently_replaces_a_corrupt_sidecar(
    client: sidecard.Client, library: Path
) -> None:
    corrupt = library / known_tree.CORRUPT
    before = corrupt.read_bytes()
    with pytest.raises(sidecard.FailedPrecondition, match="corrupt"):
        client.save_sidecar(library / "a/IMG_4.jpg", "face_detection", {"success": True})
    assert corrupt.read_bytes() == before

    saved = client.save_sidecar(
        library / "a/IMG_4.jpg", "face_detection", {"success": True}, overwrite_corrupt=True
    )
    assert Path(saved["corrupt_kept_as"]).read_bytes() == before


def test_save_sidecar_for_a_missing_image(client: sidecard.Client, library: Path) -> None:
    with pytest.raises(sidecard.NotFound):
        client.save_sidecar(library / "a/GONE.jpg", "face_detection", {"success": True})
    saved = client.save_sidecar(
        library / "a/GONE.jpg", "face_detection", {"success": True}, allow_missing_image=True
    )
    assert saved["sidecar"] == str(library / "a/GONE.bin")


def test_export_json_documents(client: sidecard.Client, library: Path) -> None:
    result = client.export(library)
    documents = json.loads(result.data)
    assert result.summary["exported"] == len(documents) == 4
    assert result.summary["unreadable"] == 1
    assert result.summary["output_bytes"] == len(result.data)
    by_image = {Path(d["image"]).name: d for d in documents if d["image"]}
    assert by_image["IMG_1.jpg"]["document"] == known_tree.face_document(2, True, 1.5)


def test_export_to_a_path_and_to_a_stream(client: sidecard.Client, library: Path) -> None:
    target = library / "export.csv"
    result = client.export(library, target, format="csv")
    assert result.data is None
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in library.iterdir() if p.name.startswith(".export")] == []
    lines = target.read_text().splitlines()
    assert len(lines) == 1 + result.summary["exported"]

    buffer = io.BytesIO()
    jsonl = client.export(library, buffer, format="jsonl", operation="yolov8")
    rows = [json.loads(line) for line in buffer.getvalue().decode().splitlines()]
    assert jsonl.summary["exported"] == len(rows) == 1


def test_convert_dry_run_then_apply(client: sidecard.Client, library: Path) -> None:
    dry = client.convert(library, "json")
    assert dry.summary["applied"] is False
    assert "would_convert" in {r["action"] for r in dry.results}
    assert (library / "a/IMG_1.bin").exists()

    applied = client.convert(library, "json", apply=True)
    assert applied.summary["applied"] is True and applied.summary["converted"] >= 2
    assert not (library / "a/IMG_1.bin").exists()
    assert json.loads((library / "a/IMG_1.json").read_text()) == known_tree.face_document(
        2, True, 1.5
    )
    assert (library / known_tree.CORRUPT).exists()  # unreadable: kept
    assert (library / "package.json").read_text() == '{"name": "x"}'


def test_environment_configures_the_client(
    daemon: Daemon, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIDECARD_ADDRESS", daemon.address)
    monkeypatch.setenv("SIDECARD_TIMEOUT", "30")
    with sidecard.Client() as client:
        assert (client.address, client.timeout) == (daemon.address, 30.0)
        assert client.stats(library)["total_images"] == 5
    monkeypatch.setenv("SIDECARD_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="SIDECARD_TIMEOUT"):
        sidecard.Client()


def test_paths_round_trip_as_file_system_names(client: sidecard.Client, library: Path) -> None:
    image = library / "b" / "Pokalübergabe.jpg"
    image.write_bytes(b"\xff\xd8\xff\xd9")
    client.save_sidecar(image, "face_detection", {"success": True})
    names = {os.path.basename(r["file"]) for r in client.validate(library / "b").reports}
    assert "Pokalübergabe.bin" in names


def test_non_utf8_file_names_round_trip(client: sidecard.Client, library: Path) -> None:
    raw = os.fsencode(library / "b") + b"/bad\xff.bin"
    with open(raw, "wb") as out:
        out.write(known_tree.encode_bin(known_tree.face_document(1, True, 1.0)))
    reports = client.validate(library / "b").reports
    names = [os.fsencode(r["file"]) for r in reports]
    assert raw in names
    assert os.path.exists(reports[names.index(raw)]["file"])


def test_read_and_save_an_image_whose_name_is_not_utf8(
    client: sidecard.Client, library: Path
) -> None:
    directory = os.fsencode(library / "b")
    image = directory + b"/IMG_\xff.jpg"
    sidecar = directory + b"/IMG_\xff.bin"
    with open(image, "wb") as out:
        out.write(b"\xff\xd8\xff\xd9")
    with open(sidecar, "wb") as out:
        out.write(known_tree.encode_bin(known_tree.face_document(1, True, 1.0)))
    # As os.listdir gives such a name: bytes, or str with a surrogate escape.
    image_text = os.fsdecode(image)
    assert "\udcff" in image_text
    for name in (image, image_text, Path(image_text)):
        result = client.read_sidecar(name)
        assert result["found"]
        assert result["sidecar"] == os.fsdecode(sidecar)
        assert result["image"] == image_text
        assert "face_detection" in result["document"]

    saved = client.save_sidecar(image, "yolov8", {"objects": [], "success": True})
    assert saved["sidecar"] == os.fsdecode(sidecar)
    assert os.fsencode(saved["sidecar"]) == sidecar
    document = client.read_sidecar(image_text)["document"]
    assert {"face_detection", "yolov8"} <= set(document)
    # JSON text is UTF-8: the document names the image with the byte escaped.
    assert document["sidecar_info"]["image_path"] == os.fsdecode(directory) + "/IMG_\\xFF.jpg"
    assert known_tree.decode_bin(open(sidecar, "rb").read())["yolov8"]["success"] is True


def test_a_tree_call_under_a_root_whose_name_is_not_utf8(
    client: sidecard.Client, library: Path
) -> None:
    root = os.fsencode(library) + b"/d\xfe"
    os.mkdir(root)
    with open(root + b"/IMG_1.jpg", "wb") as out:
        out.write(b"\xff\xd8\xff\xd9")
    with open(root + b"/IMG_1.bin", "wb") as out:
        out.write(known_tree.encode_bin(known_tree.face_document(1, True, 1.0)))
    for name in (root, os.fsdecode(root)):
        stats = client.stats(name)
        assert (stats["total_images"], stats["total_sidecars"]) == (1, 1)
        reports = client.validate(name).reports
        assert [os.fsencode(r["file"]) for r in reports] == [root + b"/IMG_1.bin"]


def test_request_paths_go_in_the_raw_field_only_when_not_utf8() -> None:
    from sidecard import _requests

    request = _requests.read_sidecar("/p/Pokalübergabe.jpg")
    assert (request.image_path, request.raw_image_path) == ("/p/Pokalübergabe.jpg", b"")
    request = _requests.read_sidecar(b"/p/IMG_\xff.jpg")
    assert (request.image_path, request.raw_image_path) == ("", b"/p/IMG_\xff.jpg")
    stats = _requests.stats(os.fsdecode(b"/p/d\xfe"), None, True)
    assert (stats.root, stats.raw_root) == ("", b"/p/d\xfe")
    with pytest.raises(TypeError, match="a path must be str, bytes or os.PathLike, not int"):
        _requests.read_sidecar(3)  # type: ignore[arg-type]
