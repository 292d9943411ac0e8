"""Sidecar documents larger than gRPC's default message limit (4 MiB) through
sidecard.Client and sidecard.aio.Client, against the real daemon: read and
saved whole; a file above --max-sidecar-bytes is reported by name, and a
document too long to send is refused by name (ResourceExhausted), never with
gRPC's "message larger than max"."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

import known_tree
import sidecard
import sidecard.aio
from conftest import Daemon, start_daemon

SIX_MIB = 6 << 20
LIMIT = 5 << 20


def large_document(size: int) -> dict[str, Any]:
    """A face-detection document whose compact JSON is at least `size` bytes."""
    face_bytes = len(json.dumps(_face(1), separators=(",", ":"))) + 1
    faces = [_face(i) for i in range(1, size // face_bytes + 2)]
    return {
        "face_detection": {"faces": faces, "success": True},
        "sidecar_info": {"operation_type": "face_detection"},
    }


def _face(face_id: int) -> dict[str, Any]:
    embedding = [(face_id * 131 + i * 17) % 100000 + 1 for i in range(1, 129)]
    return {"bbox": [face_id, 2, 30, 40], "embedding": embedding, "face_id": face_id}


def compact(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    made = large_document(SIX_MIB)
    assert len(compact(made)) > SIX_MIB
    return made


@pytest.fixture
def big_tree(daemon: Daemon, document: dict[str, Any]) -> Path:
    """IMG_bin.jpg with a 6 MiB .bin sidecar, IMG_json.jpg with a 6 MiB .json one."""
    root = Path(tempfile.mkdtemp(prefix="big-", dir=daemon.root))
    (root / "IMG_bin.jpg").write_bytes(b"")
    (root / "IMG_bin.bin").write_bytes(known_tree.encode_bin(document))
    (root / "IMG_json.jpg").write_bytes(b"")
    (root / "IMG_json.json").write_text(json.dumps(document, indent=2, sort_keys=True))
    return root


def check_read(read: dict[str, Any], sidecar: Path, document: dict[str, Any]) -> None:
    assert read["found"] is True
    assert sidecar.name in str(read["sidecar"])
    assert not read["skipped"]
    assert read["document"] == document


def test_sync_client_reads_documents_over_4_mib(
    client: sidecard.Client, big_tree: Path, document: dict[str, Any]
) -> None:
    for name in ("IMG_bin", "IMG_json"):
        read = client.read_sidecar(big_tree / f"{name}.jpg")
        check_read(read, big_tree / f"{name}.{name[4:]}", document)


def test_async_client_reads_documents_over_4_mib(
    daemon: Daemon, big_tree: Path, document: dict[str, Any]
) -> None:
    async def main() -> None:
        async with sidecard.aio.Client(daemon.address) as client:
            for name in ("IMG_bin", "IMG_json"):
                read = await client.read_sidecar(big_tree / f"{name}.jpg")
                check_read(read, big_tree / f"{name}.{name[4:]}", document)

    asyncio.run(main())


def test_payloads_over_4_mib_are_saved_whole(
    daemon: Daemon, client: sidecard.Client, document: dict[str, Any]
) -> None:
    root = Path(tempfile.mkdtemp(prefix="save-", dir=daemon.root))
    (root / "IMG_1.jpg").write_bytes(b"")
    (root / "IMG_2.jpg").write_bytes(b"")
    payload = document["face_detection"]
    saved = client.save_sidecar(root / "IMG_1.jpg", "face_detection", payload)
    assert saved["created"] is True
    assert client.read_sidecar(root / "IMG_1.jpg")["document"]["face_detection"] == payload

    async def main() -> None:
        async with sidecard.aio.Client(daemon.address) as aio_client:
            await aio_client.save_sidecar(root / "IMG_2.jpg", "face_detection", payload)
            read = await aio_client.read_sidecar(root / "IMG_2.jpg")
            assert read["document"]["face_detection"] == payload

    asyncio.run(main())


@pytest.fixture(scope="module")
def limited_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """A daemon started with --max-sidecar-bytes 5 MiB (so responses up to 11 MiB)."""
    base = tmp_path_factory.mktemp("limited")
    root = base / "library"
    root.mkdir()
    running = start_daemon(
        base / "sidecard.sock", [root], base / "sidecard.log",
        extra_args=("--max-sidecar-bytes", str(LIMIT)),
    )
    yield running
    assert running.stop() == 0, running.log.read_text(errors="replace")


def test_file_above_the_limit_is_reported_by_name(
    limited_daemon: Daemon, document: dict[str, Any]
) -> None:
    root = Path(tempfile.mkdtemp(prefix="over-", dir=limited_daemon.root))
    (root / "IMG_1.jpg").write_bytes(b"")
    data = known_tree.encode_bin(document)
    (root / "IMG_1.bin").write_bytes(data)
    expected = f"too large to read: {len(data)} bytes (limit {LIMIT})"

    def check(read: dict[str, Any]) -> None:
        assert read["found"] is False and read["document"] == {}
        [skipped] = read["skipped"]
        assert str(root / "IMG_1.bin") in str(skipped["file"])
        assert skipped["error"] == expected

    with sidecard.Client(limited_daemon.address) as client:
        check(client.read_sidecar(root / "IMG_1.jpg"))

    async def main() -> None:
        async with sidecard.aio.Client(limited_daemon.address) as client:
            check(await client.read_sidecar(root / "IMG_1.jpg"))

    asyncio.run(main())


def test_document_too_long_to_send_is_refused_by_name(limited_daemon: Daemon) -> None:
    # Under the 5 MiB limit on disk; as the daemon writes JSON each 1e15 is
    # 1000000000000000.0, so the document is about 19 MiB.
    root = Path(tempfile.mkdtemp(prefix="long-", dir=limited_daemon.root))
    (root / "IMG_1.jpg").write_bytes(b"")
    count = (LIMIT - 100) // 5
    text = '{"face_detection":{"embedding":[' + ",".join(["1e15"] * count) + "]}}"
    assert len(text) < LIMIT
    (root / "IMG_1.json").write_text(text)
    sidecar = str(root / "IMG_1.json")

    with sidecard.Client(limited_daemon.address) as client:
        with pytest.raises(sidecard.ResourceExhausted) as raised:
            client.read_sidecar(root / "IMG_1.jpg")
    assert f"the document of {sidecar} is " in str(raised.value)
    assert "--max-sidecar-bytes" in str(raised.value)
    assert "larger than max" not in str(raised.value)

    async def main() -> None:
        async with sidecard.aio.Client(limited_daemon.address) as client:
            with pytest.raises(sidecard.ResourceExhausted) as raised:
                await client.read_sidecar(root / "IMG_1.jpg")
            assert f"the document of {sidecar} is " in str(raised.value)

    asyncio.run(main())
