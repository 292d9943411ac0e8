"""Client.watch and sidecard.aio.Client.watch: the change feed as blocking and
async iterators, against a real daemon and real changes."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

import known_tree
import sidecard
import sidecard.aio
from conftest import Daemon, start_daemon


def describe(event: sidecard.WatchEvent, root: Path) -> str:
    """`created a/IMG_3.json yolov8`, `removed a/IMG_2.json`, or `reset <reason>`."""
    if sidecard.is_reset(event):
        return f"reset {event['reason']}"
    assert sidecard.is_change(event)
    path = os.path.relpath(event["path"] or "", root)
    return " ".join([str(event["kind"]), path, *event["operations"]])


@pytest.fixture
def watched(client: sidecard.Client, library: Path) -> Iterator[sidecard.WatchStream]:
    """A watch of the library, cancelled after 20 s so a missing event fails the
    test instead of hanging it."""
    with client.watch(library) as stream:
        stream.started()
        guard = threading.Timer(20, stream.cancel)
        guard.start()
        yield stream
        guard.cancel()


def next_within_a_second(stream: sidecard.WatchStream, root: Path) -> str:
    began = time.monotonic()
    event = next(stream)
    assert time.monotonic() - began < 1.0, describe(event, root)
    return describe(event, root)


def test_watch_reports_each_change_in_order(
    client: sidecard.Client, library: Path, watched: sidecard.WatchStream
) -> None:
    a = library / "a"
    (a / "IMG_3.json").write_text(json.dumps(known_tree.yolo_document()))
    assert next_within_a_second(watched, library) == "created a/IMG_3.json yolov8"

    (a / "IMG_3.json").write_text(json.dumps(known_tree.face_document(1, True, 1.0)))
    assert next_within_a_second(watched, library) == "changed a/IMG_3.json face_detection"

    (a / "IMG_3.json").rename(a / "IMG_1.json")
    assert next_within_a_second(watched, library) == "removed a/IMG_3.json"
    assert next_within_a_second(watched, library) == "created a/IMG_1.json face_detection"

    (a / "IMG_1.json").unlink()
    assert next_within_a_second(watched, library) == "removed a/IMG_1.json"

    (library / "c").mkdir()
    (library / "c/IMG_7.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    (library / "c/IMG_7.bin").write_bytes(known_tree.encode_bin(known_tree.yolo_document()))
    assert next_within_a_second(watched, library) == "created c/IMG_7.bin yolov8"

    client.save_sidecar(a / "IMG_2.jpg", "face_detection", {"success": True})
    assert next_within_a_second(watched, library) == "created a/IMG_2.bin face_detection yolov8"

    # The stream stands at the last change handed out.
    assert watched.cursor.startswith("c:")


def test_resuming_from_a_cursor_gets_exactly_the_missed_changes(
    client: sidecard.Client, library: Path
) -> None:
    with client.watch(library) as stream:
        stream.started()
        (library / "a/IMG_3.json").write_text(json.dumps(known_tree.yolo_document()))
        first = next(stream)
        cursor = stream.cursor
        assert cursor == first["cursor"]
    (library / "a/IMG_2.json").unlink()
    (library / "b/IMG_6.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    (library / "b/IMG_6.json").write_text(json.dumps(known_tree.yolo_document()))
    time.sleep(0.3)  # the daemon sees them before the client is back

    with client.watch(library, cursor=cursor) as resumed:
        assert resumed.started() == cursor
        guard = threading.Timer(10, resumed.cancel)
        guard.start()
        assert describe(next(resumed), library) == "removed a/IMG_2.json"
        assert describe(next(resumed), library) == "created b/IMG_6.json yolov8"
        guard.cancel()


def test_a_cursor_from_another_daemon_gets_a_reset(
    client: sidecard.Client, library: Path
) -> None:
    with client.watch(library, cursor="c:0000000000000000:7") as stream:
        event = next(stream)
        assert sidecard.is_reset(event)
        assert event["reason"] == "daemon_restarted"
        assert event["cursor"].startswith("c:")
        assert stream.cursor == event["cursor"]
    with pytest.raises(sidecard.InvalidArgument, match="not-a-cursor"):
        client.watch(library, cursor="not-a-cursor").started()


def test_async_watch(daemon: Daemon, library: Path) -> None:
    async def main() -> list[str]:
        async with sidecard.aio.Client(daemon.address) as client:
            async with client.watch(library) as stream:
                await stream.started()
                (library / "a/IMG_3.json").write_text(json.dumps(known_tree.yolo_document()))
                (library / "a/IMG_1.bin").unlink()
                seen = []
                async for event in stream:
                    seen.append(describe(event, library))
                    if len(seen) == 2:
                        break
                return seen

    seen = asyncio.run(asyncio.wait_for(main(), 20))
    assert seen == ["created a/IMG_3.json yolov8", "removed a/IMG_1.bin"]


def test_no_watch_daemon_says_failed_precondition(tmp_path: Path) -> None:
    root = tmp_path / "library"
    root.mkdir()
    daemon = start_daemon(tmp_path / "s.sock", [root], tmp_path / "log", ("--no-watch",))
    try:
        with sidecard.Client(daemon.address) as client:
            with pytest.raises(sidecard.FailedPrecondition, match="--no-watch"):
                client.watch(root).started()

        async def main() -> None:
            async with sidecard.aio.Client(daemon.address) as client:
                with pytest.raises(sidecard.FailedPrecondition):
                    await client.watch(root).started()

        asyncio.run(main())
    finally:
        assert daemon.stop() == 0
