"""Builds the request messages of every call from plain Python arguments.

Shared by the blocking and the asyncio client so both accept exactly the same
arguments. Paths may be ``str`` or ``os.PathLike``; a relative path is taken
relative to the caller's working directory. Bad arguments raise ``ValueError``
or ``TypeError`` before anything is sent.
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping

from sidecard._convert import enum_label
from sidecard._stubs import health_pb2, sidecar_pb2 as pb

PathArg = str | os.PathLike[str]
#: A payload for SaveSidecar: a JSON object, as a mapping or as JSON text.
Payload = Mapping[str, Any] | str | bytes


def absolute(path: PathArg) -> str:
    """The path as an absolute str (joined to the working directory if relative).

    Only joins, never normalises: `..` after a symlink must be resolved by the
    daemon the way the file system does.
    """
    text = os.fspath(path)
    if not isinstance(text, str):
        raise TypeError(f"a path must be str or os.PathLike[str], not {type(text).__name__}")
    return text if os.path.isabs(text) else os.path.join(os.getcwd(), text)


def sidecar_format(name: str | None) -> str:
    """The SidecarFormat label for `bin`, `rkyv` or `json` (None: the daemon's default)."""
    if name is None:
        return "SIDECAR_FORMAT_UNSPECIFIED"
    return enum_label(pb.SidecarFormat.DESCRIPTOR, name, "sidecar format")


def validate(
    root: PathArg, operation: str | None, recursive: bool, summary_only: bool, batch_size: int
) -> pb.ValidateRequest:
    """A ValidateRequest."""
    return pb.ValidateRequest(
        root=absolute(root),
        non_recursive=not recursive,
        operation_filter=operation or "",
        summary_only=summary_only,
        batch_size=batch_size,
    )


def stats(root: PathArg, operation: str | None, recursive: bool) -> pb.StatsRequest:
    """A StatsRequest."""
    return pb.StatsRequest(
        root=absolute(root), non_recursive=not recursive, operation_filter=operation or ""
    )


def cleanup(
    root: PathArg, mode: str, min_age_seconds: int, recursive: bool, batch_size: int
) -> pb.CleanupRequest:
    """A CleanupRequest; `mode` is `dry_run`, `delete` or `quarantine`."""
    return pb.CleanupRequest(
        root=absolute(root),
        non_recursive=not recursive,
        mode=enum_label(pb.CleanupMode.DESCRIPTOR, mode, "cleanup mode"),
        min_age_seconds=min_age_seconds,
        batch_size=batch_size,
    )


def read_sidecar(image: PathArg) -> pb.ReadSidecarRequest:
    """A ReadSidecarRequest."""
    return pb.ReadSidecarRequest(image_path=absolute(image))


def payload_json(payload: Payload) -> str:
    """The payload as JSON text: a mapping is serialised, text is passed on as is.

    The daemon checks that text is a JSON object (INVALID_ARGUMENT otherwise).
    """
    if isinstance(payload, bytes):
        return payload.decode("utf-8")
    if isinstance(payload, str):
        return payload
    if isinstance(payload, Mapping):
        return json.dumps(payload, ensure_ascii=False, allow_nan=False)
    raise TypeError(f"a payload must be a mapping or JSON text, not {type(payload).__name__}")


def save_sidecar(
    image: PathArg,
    operation: str,
    payload: Payload,
    backend: str | None,
    format: str | None,
    overwrite_corrupt: bool,
    allow_missing_image: bool,
) -> pb.SaveSidecarRequest:
    """A SaveSidecarRequest."""
    return pb.SaveSidecarRequest(
        image_path=absolute(image),
        operation=str(operation),
        backend=backend or "",
        payload_json=payload_json(payload),
        format=sidecar_format(format),
        overwrite_corrupt=overwrite_corrupt,
        allow_missing_image=allow_missing_image,
    )


def export(
    root: PathArg, format: str, content: str | None, operation: str | None, recursive: bool
) -> pb.ExportRequest:
    """An ExportRequest; `format` is `json`, `jsonl` or `csv`, `content` `documents` or `table`."""
    return pb.ExportRequest(
        root=absolute(root),
        non_recursive=not recursive,
        operation_filter=operation or "",
        format=enum_label(pb.ExportFormat.DESCRIPTOR, format, "export format"),
        content=(
            "EXPORT_CONTENT_UNSPECIFIED"
            if content is None
            else enum_label(pb.ExportContent.DESCRIPTOR, content, "export content")
        ),
    )


def convert(
    root: PathArg, to: str, apply: bool, recursive: bool, batch_size: int
) -> pb.ConvertRequest:
    """A ConvertRequest; `to` is `bin`, `rkyv` or `json`."""
    return pb.ConvertRequest(
        root=absolute(root),
        non_recursive=not recursive,
        target_format=enum_label(pb.SidecarFormat.DESCRIPTOR, to, "target format"),
        apply=apply,
        batch_size=batch_size,
    )


def server_info() -> pb.GetServerInfoRequest:
    """A GetServerInfoRequest."""
    return pb.GetServerInfoRequest()


def health(service: str) -> health_pb2.HealthCheckRequest:
    """A HealthCheckRequest ("" asks about the daemon as a whole)."""
    return health_pb2.HealthCheckRequest(service=service)


def serving_status(response: health_pb2.HealthCheckResponse) -> str:
    """The status name of a health answer: SERVING, NOT_SERVING, SERVICE_UNKNOWN or UNKNOWN."""
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
