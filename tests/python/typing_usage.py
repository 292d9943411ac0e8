"""Code that uses the clients' results the way callers do, for mypy (run by
test_types.py, never by pytest itself): each assert_type states what a type
checker must infer. A wrong inference is an error of the type check."""

from __future__ import annotations

from typing import Any, assert_type

import sidecard
import sidecard.aio
from sidecard.aio import AsyncStream
from sidecard.types import (
    ChangeKindName,
    CleanupItem,
    CleanupSummary,
    ConvertItem,
    ConvertSummary,
    ExportSummary,
    FileReport,
    HealthStatus,
    PruneItem,
    PruneSummary,
    ReadSidecarResult,
    SaveSidecarResult,
    ServerInfo,
    Stats,
    ValidateSummary,
    WatchResetReasonName,
)


def blocking(client: sidecard.Client, root: str) -> None:
    assert_type(client.health(), HealthStatus)
    info = client.server_info()
    assert_type(info, ServerInfo)
    assert_type(info["uptime_seconds"], float)
    if info["cache"] is not None:
        assert_type(info["cache"]["hits"], int)
    stats = client.stats(root, operation="face_detection")
    assert_type(stats, Stats)
    assert_type(stats["operation_counts"], dict[str, int])

    result = client.validate(root)
    assert_type(result, sidecard.ValidateResult)
    assert_type(result.reports, list[FileReport])
    assert_type(result.summary, ValidateSummary)
    with client.iter_validate(root, batch_size=10) as stream:
        assert_type(stream, sidecard.Stream[FileReport, ValidateSummary])
        for report in stream:
            assert_type(report["image"], str | None)
            assert_type(report["format"], sidecard.SidecarFormatName | None)
    assert_type(stream.summary["total_files"], int)

    cleaned = client.cleanup(root, "quarantine")
    assert_type(cleaned.results, list[CleanupItem])
    assert_type(cleaned.summary, CleanupSummary)
    for item in client.iter_cleanup(root):
        assert_type(item["action"], sidecard.CleanupActionName | None)

    converted = client.convert(root, "json")
    assert_type(converted.results, list[ConvertItem])
    assert_type(converted.summary, ConvertSummary)
    assert_type(client.iter_convert(root, "bin"), sidecard.Stream[ConvertItem, ConvertSummary])

    exported = client.export(root)
    assert_type(exported.summary, ExportSummary)
    assert_type(exported.data, bytes | None)
    assert_type(client.iter_export(root), sidecard.Stream[bytes, ExportSummary])
    projected = client.iter_documents(root, operations=["face_detection"])
    assert_type(projected, sidecard.Stream[dict[str, Any], ExportSummary])
    for exported_item in projected:
        assert_type(exported_item["document"], Any)
    assert_type(projected.summary["without_operations"], int)

    pruned = client.prune(root, "face_detection", backend="insightface")
    assert_type(pruned, sidecard.PruneResult)
    assert_type(pruned.results, list[PruneItem])
    assert_type(pruned.summary, PruneSummary)
    for change in client.iter_prune(root, "yolov8", apply=True):
        assert_type(change["action"], sidecard.PruneActionName | None)
        assert_type(change["remaining_operations"], list[str])

    read = client.read_sidecar(root)
    assert_type(read, ReadSidecarResult)
    assert_type(read["document"], dict[str, Any])
    saved = client.save_sidecar(root, "quality", {"score": 1})
    assert_type(saved, SaveSidecarResult)
    assert_type(saved["merged_from"], list[str])

    with client.watch(root, cursor=None) as watched:
        assert_type(watched.started(), str)
        for event in watched:
            assert_type(event, sidecard.WatchEvent)
            if sidecard.is_change(event):
                assert_type(event["operations"], list[str])
                assert_type(event["kind"], ChangeKindName | None)
            if sidecard.is_reset(event):
                assert_type(event["reason"], WatchResetReasonName | None)
            assert_type(watched.cursor, str)


async def asynchronous(client: sidecard.aio.Client, root: str) -> None:
    assert_type(await client.health(), HealthStatus)
    assert_type(await client.server_info(), ServerInfo)
    assert_type(await client.stats(root), Stats)
    assert_type((await client.validate(root)).reports, list[FileReport])
    stream = client.iter_validate(root)
    assert_type(stream, AsyncStream[FileReport, ValidateSummary])
    async for report in stream:
        assert_type(report, FileReport)
    assert_type(stream.summary, ValidateSummary)
    assert_type((await client.cleanup(root)).summary, CleanupSummary)
    assert_type((await client.convert(root, "bin")).results, list[ConvertItem])
    assert_type((await client.export(root)).summary, ExportSummary)
    assert_type((await client.prune(root, "face_detection")).summary, PruneSummary)
    async for pruned in client.iter_prune(root, "face_detection"):
        assert_type(pruned, PruneItem)
    async for document in client.iter_documents(root, operations=["yolov8"]):
        assert_type(document, dict[str, Any])
    assert_type(await client.read_sidecar(root), ReadSidecarResult)
    assert_type(await client.save_sidecar(root, "quality", "{}"), SaveSidecarResult)
    async with client.watch(root) as watching:
        assert_type(await watching.started(), str)
        async for change in watching:
            assert_type(change, sidecard.WatchEvent)
