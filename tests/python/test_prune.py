"""Prune and Export's operation projection through both clients, against the
session daemon and the known tree: a dry run changes nothing, an apply keeps
every other operation and each file's format, the quarantine undoes it, and
the documents of a tree come projected, many per streamed message."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

import known_tree
import sidecard
import sidecard.aio
from conftest import Daemon


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `root`: its bytes and modification time."""
    files = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory, name)
            files[str(path.relative_to(root))] = (path.read_bytes(), path.stat().st_mtime_ns)
    return files


def with_yolo_and_faces(library: Path) -> Path:
    """IMG_1.bin gets a yolov8 result beside its faces, IMG_2.json faces beside
    its yolov8: a face prune must keep yolo in both, in their own formats."""
    both = known_tree.face_document(2, True, 1.5)
    both["yolov8"] = known_tree.yolo_document()["yolov8"]
    both["yolov8"]["yolov8"]["metadata"]["score"] = 0.1 + 0.2  # 0.30000000000000004
    (library / "a/IMG_1.bin").write_bytes(known_tree.encode_bin(both))
    (library / "a/IMG_2.json").write_text(json.dumps(both, indent=2) + "\n")
    return library


def test_dry_run_reports_each_file_and_changes_nothing(
    client: sidecard.Client, library: Path
) -> None:
    before = snapshot(library)
    result = client.prune(library, "face_detection")
    assert snapshot(library) == before
    actions = {Path(item["file"]).relative_to(library).as_posix(): item["action"]
               for item in result.results}
    assert actions == {
        known_tree.ORPHAN: "would_prune",
        "a/IMG_1.bin": "would_prune",
        known_tree.CORRUPT: "skipped_unreadable",
        "b/IMG_5.rkyv": "would_prune",
    }
    assert result.summary["applied"] is False
    assert result.summary["pruned"] == 3
    assert result.summary["unreadable"] == 1
    assert result.summary["foreign_files"] == 1  # package.json
    assert result.summary["quarantine_dir"] == ""
    for item in result.results:
        if item["action"] == "would_prune":
            assert item["removed"] == "face_detection"
            assert item["remaining_operations"] == []
            assert item["new_size_bytes"] < item["size_bytes"]


def test_apply_keeps_every_other_operation_in_each_files_format(
    client: sidecard.Client, library: Path
) -> None:
    with_yolo_and_faces(library)
    yolo = json.loads((library / "a/IMG_2.json").read_text())["yolov8"]
    foreign = (library / "package.json").read_bytes()
    corrupt = (library / known_tree.CORRUPT).read_bytes()
    old_bin = (library / "a/IMG_1.bin").read_bytes()

    result = client.prune(library, "face_detection", apply=True)
    assert result.summary["applied"] is True
    assert result.summary["pruned"] == 4
    assert result.summary["failed"] == 0

    pruned_bin = known_tree.decode_bin((library / "a/IMG_1.bin").read_bytes())
    pruned_json = json.loads((library / "a/IMG_2.json").read_text())  # still JSON text
    for document in (pruned_bin, pruned_json):
        assert "face_detection" not in document
        assert document["yolov8"] == yolo
        assert document["yolov8"]["yolov8"]["metadata"]["score"] == 0.30000000000000004
        assert document["sidecar_info"]["last_pruned"] == "face_detection"
    assert b'"score":0.30000000000000004' in (library / "a/IMG_1.bin").read_bytes()
    assert (library / "package.json").read_bytes() == foreign
    assert (library / known_tree.CORRUPT).read_bytes() == corrupt
    # A file left with no operation is kept, its sidecar_info with it.
    ghost = known_tree.decode_bin((library / known_tree.ORPHAN).read_bytes())
    assert set(ghost) == {"sidecar_info"}

    item = next(i for i in result.results if i["file"].endswith("IMG_1.bin"))
    assert item["quarantined"] == str(Path(result.summary["quarantine_dir"]) / "a/IMG_1.bin")
    assert Path(item["quarantined"]).read_bytes() == old_bin


def test_restore_brings_back_the_old_bytes(client: sidecard.Client, library: Path) -> None:
    before = {path: data for path, (data, _) in snapshot(library).items()}
    client.prune(library, "face_detection", apply=True)
    restored = client.quarantine_restore(library)
    assert restored.summary["restored"] == 3
    assert restored.summary["conflicts"] == 0
    after = {path: data for path, (data, _) in snapshot(library).items()
             if not path.startswith(".sidecard-quarantine")}
    assert after == before


def test_backend_prune_and_invalid_names(client: sidecard.Client, library: Path) -> None:
    plan = client.prune(library, "face_detection", backend="insightface")
    assert plan.summary["backend"] == "insightface"
    assert {i["removed"] for i in plan.results if i["action"] == "would_prune"} == {
        "face_detection.insightface"
    }
    assert client.prune(library, "face_detection", backend="nothing_here").summary["pruned"] == 0
    with pytest.raises(ValueError):
        client.prune(library, "")
    with pytest.raises(ValueError):
        client.prune(library, "face_detection", backend="")
    with pytest.raises(sidecard.InvalidArgument):
        client.prune(library, "sidecar_info")


def test_iter_documents_projects_and_batches(client: sidecard.Client, library: Path) -> None:
    with_yolo_and_faces(library)
    with client.iter_documents(library, operations=["face_detection"]) as stream:
        items = list(stream)
    # IMG_1, IMG_2, GHOST (orphan) and IMG_5 hold faces; the corrupt IMG_4 is unreadable.
    assert sorted(Path(i["sidecar"]).name for i in items) == [
        "GHOST.bin", "IMG_1.bin", "IMG_2.json", "IMG_5.rkyv"
    ]
    for item in items:
        assert set(item["document"]) == {"face_detection", "sidecar_info"}
        assert "insightface" in item["document"]["face_detection"]
    assert stream.summary["exported"] == 4
    assert stream.summary["without_operations"] == 0

    yolo_only = list(client.iter_documents(library, operations=["yolov8"]))
    assert len(yolo_only) == 2
    summary = client.export(library, operations=["yolov8"], format="jsonl").summary
    assert summary["without_operations"] == 2  # GHOST, IMG_5
    with pytest.raises(ValueError):
        client.export(library, operations="face_detection")  # a string, not a list
    with pytest.raises(ValueError):
        client.export(library, operations=[""])


def test_iter_documents_reassembles_documents_across_messages(
    client: sidecard.Client, library: Path
) -> None:
    # Many documents larger than one 64 KiB message in total, some cut across two.
    encoding = [i / 7 for i in range(512)]
    for n in range(40):
        (library / f"c/IMG_{n}.jpg").parent.mkdir(exist_ok=True)
        (library / f"c/IMG_{n}.jpg").write_bytes(b"\xff\xd8\xff\xd9")
        document = known_tree.face_document(1, True, 1.0)
        document["face_detection"]["insightface"]["faces"][0]["encoding"] = encoding
        (library / f"c/IMG_{n}.bin").write_bytes(known_tree.encode_bin(document))
    items = list(client.iter_documents(library / "c", operations=["face_detection"]))
    assert len(items) == 40
    for item in items:
        faces = item["document"]["face_detection"]["insightface"]["faces"]
        assert faces[0]["encoding"] == encoding


def test_the_asyncio_client_prunes_and_projects(daemon: Daemon, library: Path) -> None:
    async def main() -> None:
        async with sidecard.aio.Client(daemon.address) as client:
            plan = await client.prune(library, "face_detection")
            assert plan.summary["pruned"] == 3
            items = [item async for item in client.iter_prune(library, "face_detection",
                                                              apply=True)]
            assert {item["action"] for item in items} == {"pruned", "skipped_unreadable"}
            documents = [d async for d in client.iter_documents(library,
                                                                operations=["yolov8"])]
            assert [Path(d["sidecar"]).name for d in documents] == ["IMG_2.json"]

    asyncio.run(main())
