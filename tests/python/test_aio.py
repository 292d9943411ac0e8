"""sidecard.aio.Client: the same calls as coroutines and async iterators."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import known_tree
import sidecard
import sidecard.aio
from conftest import Daemon


def test_unary_calls(daemon: Daemon, library: Path) -> None:
    async def main() -> None:
        async with sidecard.aio.Client(daemon.address) as client:
            assert await client.health() == "SERVING"
            assert (await client.server_info())["pid"] == daemon.process.pid
            stats = await client.stats(library)
            assert (stats["total_images"], stats["coverage_percentage"]) == (5, 60.0)
            saved = await client.save_sidecar(
                library / known_tree.NO_SIDECAR, "face_detection", {"success": True}
            )
            assert saved["created"] is True
            read = await client.read_sidecar(library / known_tree.NO_SIDECAR)
            assert read["document"]["face_detection"] == {"success": True}

    asyncio.run(main())


def test_streams(daemon: Daemon, library: Path) -> None:
    async def main() -> None:
        async with sidecard.aio.Client(daemon.address) as client:
            stream = client.iter_validate(library, batch_size=2)
            files = [report["file"] async for report in stream]
            assert files == [str(library / name) for name in known_tree.SIDECARS]
            assert stream.summary["invalid_files"] == 1

            result = await client.validate(library, operation="face_detection")
            assert len(result.reports) == 3 and result.summary["filtered_out"] == 2

            cleanup = await client.cleanup(library, "delete")
            assert cleanup.summary["removed"] == 1
            assert not (library / known_tree.ORPHAN).exists()

    asyncio.run(main())


def test_cancelling_a_stream(daemon: Daemon, library: Path) -> None:
    async def main() -> None:
        async with sidecard.aio.Client(daemon.address) as client:
            async with client.iter_validate(library, batch_size=1) as stream:
                first = await stream.__anext__()
            assert first["file"] == str(library / known_tree.SIDECARS[0])
            assert [report async for report in stream] == []

    asyncio.run(main())


def test_errors_are_mapped(daemon: Daemon, tmp_path: Path) -> None:
    async def main() -> None:
        async with sidecard.aio.Client(daemon.address) as client:
            with pytest.raises(sidecard.NotFound):
                await client.stats(daemon.root / "missing")
            with pytest.raises(sidecard.PermissionDenied):
                await client.validate("/")
        async with sidecard.aio.Client(f"unix:{tmp_path / 'nobody.sock'}") as client:
            with pytest.raises(sidecard.Unavailable):
                await client.health()

    asyncio.run(main())


def test_export_and_convert(daemon: Daemon, library: Path) -> None:
    async def main() -> None:
        async with sidecard.aio.Client(daemon.address) as client:
            exported = await client.export(library)
            assert exported.summary["exported"] == len(json.loads(exported.data))
            target = library / "export.jsonl"
            await client.export(library, target, format="jsonl")
            assert len(target.read_text().splitlines()) == exported.summary["exported"]
            converted = await client.convert(library, "bin", apply=True)
            assert converted.summary["applied"] is True
            assert (library / "a/IMG_2.bin").exists() and not (library / "a/IMG_2.json").exists()

    asyncio.run(main())
