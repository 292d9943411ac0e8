"""Builds the request messages of every call from plain Python arguments.

Shared by the blocking and the asyncio client so both accept exactly the same
arguments. Paths may be ``str``, ``bytes`` or ``os.PathLike``, as for Python's
os functions; a relative path is taken relative to the caller's working
directory. A path whose bytes are not UTF-8 (given as ``bytes``, or as ``str``
with surrogate escapes, ``os.fsdecode``) goes in the request's ``raw_`` field:
a proto3 string must be UTF-8. Bad arguments raise ``ValueError`` or
``TypeError`` before anything is sent.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any, Iterable, Mapping, cast

from sidecard._convert import enum_label
from sidecard._paths import RequestPath
from sidecard._stubs import health_pb2, sidecar_pb2 as pb
from sidecard.types import HealthStatus

#: A payload for SaveSidecar: a JSON object, as a mapping or as JSON text.
Payload = Mapping[str, Any] | str | bytes


def absolute(path: RequestPath) -> bytes:
    """The exact bytes of the path, made absolute (joined to the working directory).

    Only joins, never normalises: `..` after a symlink must be resolved by the
    daemon the way the file system does.
    """
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"a path must be str, bytes or os.PathLike, not {type(path).__name__}")
    raw = os.fsencode(path)
    return raw if os.path.isabs(raw) else os.path.join(os.getcwdb(), raw)


def path_field(name: str, path: RequestPath) -> dict[str, Any]:
    """The request field for `path`: `{name: text}`, or `{"raw_" + name: bytes}` when
    its bytes are not UTF-8 (which a proto3 string must be)."""
    raw = absolute(path)
    try:
        return {name: raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {"raw_" + name: raw}


def sidecar_format(name: str | None) -> str:
    """The SidecarFormat label for `bin`, `rkyv` or `json` (None: the daemon's default)."""
    if name is None:
        return "SIDECAR_FORMAT_UNSPECIFIED"
    return enum_label(pb.SidecarFormat.DESCRIPTOR, name, "sidecar format")


def validate(
    root: RequestPath, operation: str | None, recursive: bool, summary_only: bool, batch_size: int
) -> pb.ValidateRequest:
    """A ValidateRequest."""
    return pb.ValidateRequest(
        **path_field("root", root),
        non_recursive=not recursive,
        operation_filter=operation or "",
        summary_only=summary_only,
        batch_size=batch_size,
    )


#: One operation (``face_detection``, ``face_detection.insightface``) or several.
Names = str | Iterable[str] | None

#: A time for Find's changed_since: RFC 3339 text, unix seconds, or an aware datetime.
TimeArg = str | float | datetime | None


def _names(value: Names) -> list[str]:
    """One name or several as a list (a str is one name, not its letters)."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _time_text(value: TimeArg) -> str:
    """A changed_since time as the daemon reads it: RFC 3339 or unix seconds."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("changed_since: a datetime needs a time zone (tzinfo)")
        return value.isoformat()
    if isinstance(value, bool):
        raise TypeError("changed_since must be a time, not a bool")
    return value if isinstance(value, str) else repr(float(value))


def find(
    root: RequestPath,
    *,
    has: Names,
    missing: Names,
    failed: Names,
    min_faces: int | None,
    min_objects: int | None,
    object_class: Names,
    format: str | None,
    invalid: bool,
    orphans: bool,
    no_sidecar: bool,
    changed_since: TimeArg,
    recursive: bool,
    batch_size: int,
) -> pb.FindRequest:
    """A FindRequest (the daemon checks the predicates and names a bad one)."""
    request = pb.FindRequest(
        **path_field("root", root),
        non_recursive=not recursive,
        has=_names(has),
        missing=_names(missing),
        failed=_names(failed),
        object_classes=_names(object_class),
        format=format or "",
        invalid=invalid,
        orphans=orphans,
        no_sidecar=no_sidecar,
        changed_since=_time_text(changed_since),
        batch_size=batch_size,
    )
    if min_faces is not None:
        request.min_faces = min_faces
    if min_objects is not None:
        request.min_objects = min_objects
    return request


def quarantine_list(root: RequestPath, batch: str | None, batch_size: int) -> pb.ListQuarantineRequest:
    """A ListQuarantineRequest."""
    return pb.ListQuarantineRequest(
        **path_field("root", root), batch=batch or "", batch_size=batch_size
    )


def quarantine_restore(
    root: RequestPath, batch: str | None, dry_run: bool, batch_size: int
) -> pb.RestoreQuarantineRequest:
    """A RestoreQuarantineRequest."""
    return pb.RestoreQuarantineRequest(
        **path_field("root", root), batch=batch or "", dry_run=dry_run, batch_size=batch_size
    )


def quarantine_purge(
    root: RequestPath, older_than_days: float, dry_run: bool, batch_size: int
) -> pb.PurgeQuarantineRequest:
    """A PurgeQuarantineRequest; `older_than_days` is required and not negative."""
    if isinstance(older_than_days, bool) or not isinstance(older_than_days, (int, float)):
        raise TypeError("older_than_days must be a number of days")
    if not older_than_days >= 0:
        raise ValueError(f"older_than_days must not be negative, not {older_than_days!r}")
    return pb.PurgeQuarantineRequest(
        **path_field("root", root),
        older_than_seconds=round(older_than_days * 86400),
        dry_run=dry_run,
        batch_size=batch_size,
    )


def stats(root: RequestPath, operation: str | None, recursive: bool) -> pb.StatsRequest:
    """A StatsRequest."""
    return pb.StatsRequest(
        **path_field("root", root), non_recursive=not recursive, operation_filter=operation or ""
    )


def cleanup(
    root: RequestPath, mode: str, min_age_seconds: int, recursive: bool, batch_size: int
) -> pb.CleanupRequest:
    """A CleanupRequest; `mode` is `dry_run`, `delete` or `quarantine`."""
    return pb.CleanupRequest(
        **path_field("root", root),
        non_recursive=not recursive,
        mode=enum_label(pb.CleanupMode.DESCRIPTOR, mode, "cleanup mode"),
        min_age_seconds=min_age_seconds,
        batch_size=batch_size,
    )


def read_sidecar(image: RequestPath) -> pb.ReadSidecarRequest:
    """A ReadSidecarRequest."""
    return pb.ReadSidecarRequest(**path_field("image_path", image))


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
    image: RequestPath,
    operation: str,
    payload: Payload,
    backend: str | None,
    format: str | None,
    overwrite_corrupt: bool,
    allow_missing_image: bool,
) -> pb.SaveSidecarRequest:
    """A SaveSidecarRequest."""
    return pb.SaveSidecarRequest(
        **path_field("image_path", image),
        operation=str(operation),
        backend=backend or "",
        payload_json=payload_json(payload),
        format=sidecar_format(format),
        overwrite_corrupt=overwrite_corrupt,
        allow_missing_image=allow_missing_image,
    )


def operation_names(operations: Iterable[str] | None, what: str) -> list[str]:
    """The operation names of a request as a list; ValueError for an empty one
    (the daemon refuses it with INVALID_ARGUMENT too) or a lone string (which
    would otherwise become its characters)."""
    if operations is None:
        return []
    if isinstance(operations, str):
        raise ValueError(f"{what} takes a list of operation names, not one string")
    names = list(operations)
    if any(not name for name in names):
        raise ValueError(f"{what}: operation names must not be empty")
    return names


def export(
    root: RequestPath,
    format: str,
    content: str | None,
    operation: str | None,
    recursive: bool,
    operations: Iterable[str] | None = None,
) -> pb.ExportRequest:
    """An ExportRequest; `format` is `json`, `jsonl` or `csv`, `content` `documents` or `table`,
    `operations` the projection (only those operations' subtrees)."""
    return pb.ExportRequest(
        **path_field("root", root),
        non_recursive=not recursive,
        operation_filter=operation or "",
        operations=operation_names(operations, "operations"),
        format=enum_label(pb.ExportFormat.DESCRIPTOR, format, "export format"),
        content=(
            "EXPORT_CONTENT_UNSPECIFIED"
            if content is None
            else enum_label(pb.ExportContent.DESCRIPTOR, content, "export content")
        ),
    )


def convert(
    root: RequestPath, to: str, apply: bool, recursive: bool, batch_size: int
) -> pb.ConvertRequest:
    """A ConvertRequest; `to` is `bin`, `rkyv` or `json`."""
    return pb.ConvertRequest(
        **path_field("root", root),
        non_recursive=not recursive,
        target_format=enum_label(pb.SidecarFormat.DESCRIPTOR, to, "target format"),
        apply=apply,
        batch_size=batch_size,
    )


def prune(
    root: RequestPath,
    operation: str,
    backend: str | None,
    apply: bool,
    recursive: bool,
    batch_size: int,
) -> pb.PruneRequest:
    """A PruneRequest; `backend` None prunes the whole operation."""
    if not operation:
        raise ValueError("operation must not be empty")
    if backend is not None and not backend:
        raise ValueError("backend must not be empty (None prunes the whole operation)")
    request = pb.PruneRequest(
        **path_field("root", root),
        non_recursive=not recursive,
        operation=operation,
        apply=apply,
        batch_size=batch_size,
    )
    if backend is not None:
        request.backend = backend
    return request


def server_info() -> pb.GetServerInfoRequest:
    """A GetServerInfoRequest."""
    return pb.GetServerInfoRequest()


def health(service: str) -> health_pb2.HealthCheckRequest:
    """A HealthCheckRequest ("" asks about the daemon as a whole)."""
    return health_pb2.HealthCheckRequest(service=service)


def serving_status(response: health_pb2.HealthCheckResponse) -> HealthStatus:
    """The status name of a health answer: SERVING, NOT_SERVING, SERVICE_UNKNOWN or UNKNOWN."""
    return cast(HealthStatus, health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))
