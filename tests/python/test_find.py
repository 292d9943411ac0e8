"""Find from Python: Client.find, sidecard.aio.Client.find, the compat
RustSidecarManager.images_needing_operation, and sidecarctl find (plain and
--jsonl), against the session daemon and the known tree."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import known_tree
import sidecard
import sidecard.aio
from sidecard._api import _found_paths
from sidecard._stubs import sidecar_pb2 as pb
from conftest import BUILD_DIR, Daemon
from sidecard.compat.rust_sidecar import RustSidecarManager

SIDECARCTL = BUILD_DIR / "client" / "cpp" / "sidecarctl"


def paths(library: Path, *names: str) -> list[str]:
    return [str(library / name) for name in names]


def test_find_streams_the_matching_images(client: sidecard.Client, library: Path) -> None:
    stream = client.find(library, missing="face_detection")
    found = list(stream)
    assert [item["image"] for item in found] == paths(
        library, "a/IMG_2.jpg", "a/IMG_3.jpg", "a/IMG_4.jpg"
    )
    assert stream.summary["matched"] == 3
    assert stream.summary["images"] == 5
    assert stream.summary["predicates"] == ["--missing face_detection"]
    yolo = found[0]
    assert yolo["sidecar"] == str(library / "a/IMG_2.json")
    assert yolo["format"] == "json"
    assert yolo["backends"] == ["yolov8.yolov8"]
    assert yolo["object_classes"] == {"person": 2, "sports ball": 1}
    assert found[1]["sidecar"] is None and found[1]["sidecar_files"] == 0

    failed = list(client.find(library, failed="face_detection.insightface"))
    assert [item["image"] for item in failed] == paths(library, "b/IMG_5.jpg")
    assert failed[0]["failed"] == ["face_detection", "face_detection.insightface"]

    both = client.find(library, has=["face_detection"], min_faces=2, format="bin")
    assert [item["image"] for item in both] == paths(library, "a/IMG_1.jpg")
    balls = client.find(library, object_class="sports ball")
    assert [item["image"] for item in balls] == paths(library, "a/IMG_2.jpg")
    invalid = list(client.find(library, invalid=True))
    assert [item["invalid_sidecar"] for item in invalid] == paths(library, known_tree.CORRUPT)
    orphans = list(client.find(library, orphans=True))
    assert [(item["image"], item["sidecar"]) for item in orphans] == [
        (None, str(library / known_tree.ORPHAN))
    ]
    assert [item["image"] for item in client.find(library, no_sidecar=True)] == paths(
        library, known_tree.NO_SIDECAR
    )


def test_find_paths_lists_what_find_matches(client: sidecard.Client, library: Path) -> None:
    queries: list[dict[str, Any]] = [
        {"missing": "face_detection"},
        {"has": "face_detection"},
        {"failed": "face_detection"},
        {"invalid": True},
        {"orphans": True},
        {"no_sidecar": True},
    ]
    for query in queries:
        listed = [
            item["invalid_sidecar"] if query.get("invalid")
            else item["sidecar"] if query.get("orphans")
            else item["image"]
            for item in client.find(library, **query)
        ]
        for batch_size in (0, 1):
            stream = client.find_paths(library, batch_size=batch_size, **query)
            assert list(stream) == listed, (query, batch_size)
            assert stream.summary["matched"] == len(listed)
    assert list(client.find_paths(library, missing="face_detection")) == paths(
        library, "a/IMG_2.jpg", "a/IMG_3.jpg", "a/IMG_4.jpg"
    )


def test_find_paths_reads_whole_matches_from_an_older_daemon() -> None:
    # A daemon that predates paths_only ignores it and sends FoundImage matches.
    request = pb.FindRequest(root="/p", invalid=True, paths_only=True)
    response = pb.FindResponse(
        matches=[
            pb.FoundImage(
                image=pb.FilePath(path="/p/a.jpg"),
                invalid_sidecar=pb.FilePath(path="/p/a.json", raw_path=b"/p/a.json"),
            )
        ],
        summary=pb.FindSummary(matched=1),
    )
    paths, summary = _found_paths(request)(response)
    assert paths == ["/p/a.json"]
    assert summary is not None and summary["matched"] == 1
    grouped = pb.FindResponse(
        paths=[pb.FoundPaths(directory=pb.FilePath(path="/p"), names=b"a.json\0b.json\0")]
    )
    assert _found_paths(request)(grouped) == (["/p/a.json", "/p/b.json"], None)


def test_find_changed_since_takes_seconds_text_and_datetimes(
    client: sidecard.Client, library: Path
) -> None:
    newest = max(os.stat(library / name).st_mtime for name in known_tree.SIDECARS)
    later = newest + 3600
    for since in (later, str(int(later)), datetime.fromtimestamp(later, timezone.utc)):
        assert list(client.find(library, changed_since=since)) == []
    assert len(list(client.find(library, changed_since=0))) == 4  # every image with a sidecar
    with pytest.raises(ValueError, match="tzinfo"):
        client.find(library, changed_since=datetime(2026, 1, 1))


def test_find_bad_predicates_name_what_is_wrong(client: sidecard.Client, library: Path) -> None:
    with pytest.raises(sidecard.InvalidArgument, match="min_faces"):
        list(client.find(library, min_faces=-1))
    with pytest.raises(sidecard.InvalidArgument, match="format: 'xml'"):
        list(client.find(library, format="xml"))
    with pytest.raises(sidecard.InvalidArgument, match="changed_since"):
        list(client.find(library, changed_since="whenever"))
    with pytest.raises(sidecard.NotFound):
        list(client.find(library / "missing"))


def test_async_find(daemon: Daemon, library: Path) -> None:
    async def main() -> None:
        async with sidecard.aio.Client(daemon.address) as client:
            stream = client.find(library, missing="face_detection", batch_size=1)
            images = [item["image"] async for item in stream]
            assert images == paths(library, "a/IMG_2.jpg", "a/IMG_3.jpg", "a/IMG_4.jpg")
            assert stream.summary["matched"] == 3
            names = [path async for path in client.find_paths(library, missing="face_detection")]
            assert names == images

    asyncio.run(main())


def test_images_needing_operation(daemon_env: Daemon, library: Path) -> None:
    manager = RustSidecarManager()
    # Missing (IMG_2, IMG_3 with no sidecar, IMG_4 corrupt) or failed (IMG_5).
    assert manager.images_needing_operation(library, "face_detection") == paths(
        library, "a/IMG_2.jpg", "a/IMG_3.jpg", "a/IMG_4.jpg", "b/IMG_5.jpg"
    )
    assert manager.images_needing_operation(library, "yolov8") == paths(
        library, "a/IMG_1.jpg", "a/IMG_3.jpg", "a/IMG_4.jpg", "b/IMG_5.jpg"
    )
    # What sportball's loop computes by reading every sidecar.
    (library / "a/IMG_3.json").write_text(json.dumps(known_tree.face_document(1, True, 0.1)))
    assert str(library / "a/IMG_3.jpg") not in manager.images_needing_operation(
        library, "face_detection"
    )


def sidecarctl(daemon: Daemon, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SIDECARCTL), "--address", daemon.address, *args],
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_sidecarctl_find_plain_and_jsonl(daemon: Daemon, library: Path) -> None:
    plain = sidecarctl(daemon, "find", str(library), "--missing", "face_detection")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.splitlines() == paths(library, "a/IMG_2.jpg", "a/IMG_3.jpg", "a/IMG_4.jpg")

    invalid = sidecarctl(daemon, "find", str(library), "--invalid")
    assert invalid.stdout.splitlines() == paths(library, known_tree.CORRUPT)

    lines = sidecarctl(daemon, "find", str(library), "--failed", "face_detection", "--jsonl")
    assert lines.returncode == 0, lines.stderr
    rows = [json.loads(line) for line in lines.stdout.splitlines()]
    assert len(rows) == 2
    assert rows[0]["image"]["path"] == str(library / "b/IMG_5.jpg")
    assert rows[0]["sidecar"]["path"] == str(library / "b/IMG_5.rkyv")
    assert rows[0]["operations"] == ["face_detection"]
    assert rows[1]["summary"]["matched"] in (1, "1")

    bad = sidecarctl(daemon, "find", str(library), "--format", "xml")
    assert bad.returncode == 4
    assert "format: 'xml'" in bad.stderr
