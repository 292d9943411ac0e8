"""What the blocking and the asyncio client share: connecting to the daemon,
and every public method, written once: its parameters and documentation, the
request it sends and what the answer becomes (:mod:`sidecard._calls` makes it a
method of each client, which makes the call its own way).
"""

from __future__ import annotations

import json
import os
from typing import IO, Any, Callable, Iterable, cast

import grpc

from sidecard import _convert, _requests, autostart
from sidecard._calls import Collected, Method, Streaming, Unary, collected, streaming, unary
from sidecard._paths import PathArg, RequestPath
from sidecard._requests import Names, Payload, TimeArg
from sidecard._stubs import health_pb2_grpc, sidecar_pb2_grpc
from sidecard.config import Settings, resolve
from sidecard.results import (
    CleanupResult,
    ConvertResult,
    ExportResult,
    PruneResult,
    QuarantineListResult,
    QuarantinePurgeResult,
    QuarantineRestoreResult,
    ValidateResult,
)
from sidecard.types import (
    CleanupItem,
    CleanupSummary,
    ConvertItem,
    ConvertSummary,
    ExportSummary,
    FileReport,
    FindSummary,
    FoundImage,
    HealthStatus,
    PruneItem,
    PruneSummary,
    QuarantineFile,
    QuarantineListSummary,
    QuarantinePurgeItem,
    QuarantinePurgeSummary,
    QuarantineRestoreItem,
    QuarantineRestoreSummary,
    ReadSidecarResult,
    SaveSidecarResult,
    ServerInfo,
    Stats,
    ValidateSummary,
)

#: Channel options: messages of any size. The daemon bounds what it sends (a
#: document by --max-sidecar-bytes; one too long to send it refuses, naming the
#: file), so whatever it sends is read here; gRPC's 4 MiB default would fail a
#: larger document with a transport error, and no fixed limit could follow a
#: daemon started with another --max-sidecar-bytes. What it accepts is its own
#: limit (--max-payload-bytes).
CHANNEL_OPTIONS = (("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1))


def connect(
    address: str | None,
    token: str | None,
    timeout: float | None,
    autostart_allowed: bool | None,
    autostart_root: PathArg | None,
    **security: Any,
) -> tuple[Settings, str, tuple[tuple[str, str], ...] | None]:
    """Resolves the settings (`security`: token_file and the tls arguments of
    :func:`sidecard.config.resolve`), the address to use (autostarting if
    allowed) and the metadata."""
    settings = resolve(address, token, timeout, autostart_allowed, **security)
    target = settings.address
    if settings.autostart and settings.default_address:
        target = autostart.local_daemon_address(autostart_root)
    metadata = (("authorization", f"Bearer {settings.token}"),) if settings.token else None
    return settings, target, metadata


def channel_credentials(settings: Settings, target: str) -> grpc.ChannelCredentials | None:
    """TLS credentials for a TCP `target` when the settings ask for TLS; None
    for plaintext (always on a Unix socket: its file permissions protect it)."""
    if not settings.tls or target.startswith("unix:"):
        return None
    return grpc.ssl_channel_credentials(
        root_certificates=settings.tls_ca,
        private_key=settings.tls_key,
        certificate_chain=settings.tls_cert,
    )


def _reports(response: Any) -> tuple[list[Any], dict[str, Any] | None]:
    return _convert.batch(response, "reports")


def _results(response: Any) -> tuple[list[Any], dict[str, Any] | None]:
    return _convert.batch(response, "results")


def _export_result(chunks: list[bytes] | None, summary: ExportSummary) -> ExportResult:
    return ExportResult(summary, None if chunks is None else b"".join(chunks))


# The answers of the unary calls, as the dicts sidecard.types describes (the
# tests check that they are).


def _server_info(answer: Any) -> ServerInfo:
    return cast(ServerInfo, _convert.to_dict(answer))


def _stats(answer: Any) -> Stats:
    return cast(Stats, _convert.to_dict(answer))


def _read_result(answer: Any) -> ReadSidecarResult:
    return cast(ReadSidecarResult, _convert.read_result(answer))


def _save_result(answer: Any) -> SaveSidecarResult:
    return cast(SaveSidecarResult, _convert.to_dict(answer))


# The streams of the iter_ methods, which the collecting methods read too
# (a method's function cannot call another's: they live in the class).


def _validate_stream(
    root: RequestPath, operation: str | None, recursive: bool, summary_only: bool, batch_size: int
) -> Streaming[FileReport, ValidateSummary]:
    request = _requests.validate(root, operation, recursive, summary_only, batch_size)
    return Streaming("Validate", request, _reports)


def _cleanup_stream(
    root: RequestPath, mode: str, min_age_seconds: int, recursive: bool, batch_size: int
) -> Streaming[CleanupItem, CleanupSummary]:
    request = _requests.cleanup(root, mode, min_age_seconds, recursive, batch_size)
    return Streaming("Cleanup", request, _results)


def _export_stream(
    root: RequestPath,
    format: str,
    content: str | None,
    operation: str | None,
    recursive: bool,
    operations: Iterable[str] | None,
) -> Streaming[bytes, ExportSummary]:
    request = _requests.export(root, format, content, operation, recursive, operations)
    return Streaming("Export", request, _convert.export_batch)


class _JsonLines:
    """Unpacks an Export stream in JSON Lines into the parsed items: each
    message's chunk ends anywhere, so a line cut at its end waits for the next."""

    def __init__(self) -> None:
        self._rest = b""

    def __call__(self, response: Any) -> tuple[list[Any], dict[str, Any] | None]:
        chunks, summary = _convert.export_batch(response)
        text = self._rest + b"".join(chunks)
        *lines, self._rest = text.split(b"\n")
        items = [json.loads(line) for line in lines if line]
        if summary is not None and self._rest:  # the daemon ends every line
            items.append(json.loads(self._rest))
            self._rest = b""
        return items, summary


def _prune_stream(
    root: RequestPath,
    operation: str,
    backend: str | None,
    apply: bool,
    recursive: bool,
    batch_size: int,
) -> Streaming[PruneItem, PruneSummary]:
    request = _requests.prune(root, operation, backend, apply, recursive, batch_size)
    return Streaming("Prune", request, _results)


def _convert_stream(
    root: RequestPath, to: str, apply: bool, recursive: bool, batch_size: int
) -> Streaming[ConvertItem, ConvertSummary]:
    request = _requests.convert(root, to, apply, recursive, batch_size)
    return Streaming("Convert", request, _results)


def _matches(response: Any) -> tuple[list[Any], dict[str, Any] | None]:
    return _convert.batch(response, "matches")


def _found_paths(request: Any) -> Callable[[Any], tuple[list[Any], dict[str, Any] | None]]:
    """Unpacks a paths_only Find stream into paths."""
    listed = "invalid_sidecar" if request.invalid else "sidecar" if request.orphans else "image"

    def unpack(response: Any) -> tuple[list[Any], dict[str, Any] | None]:
        paths = [
            os.path.join(_convert.file_path(group.directory) or "/", os.fsdecode(name))
            for group in response.paths
            for name in group.names.split(b"\0")[:-1]
        ]
        # A daemon older than paths_only sends whole matches.
        for found in response.matches:
            path = _convert.file_path(getattr(found, listed))
            if path is not None:
                paths.append(path)
        summary = _convert.to_dict(response.summary) if response.HasField("summary") else None
        return paths, summary

    return unpack


def _files(response: Any) -> tuple[list[Any], dict[str, Any] | None]:
    return _convert.batch(response, "files")


def _quarantine_list_stream(
    root: RequestPath, batch: str | None, batch_size: int
) -> Streaming[QuarantineFile, QuarantineListSummary]:
    request = _requests.quarantine_list(root, batch, batch_size)
    return Streaming("ListQuarantine", request, _files)


def _quarantine_restore_stream(
    root: RequestPath, batch: str | None, dry_run: bool, batch_size: int
) -> Streaming[QuarantineRestoreItem, QuarantineRestoreSummary]:
    request = _requests.quarantine_restore(root, batch, dry_run, batch_size)
    return Streaming("RestoreQuarantine", request, _results)


def _quarantine_purge_stream(
    root: RequestPath, older_than_days: float, dry_run: bool, batch_size: int
) -> Streaming[QuarantinePurgeItem, QuarantinePurgeSummary]:
    request = _requests.quarantine_purge(root, older_than_days, dry_run, batch_size)
    return Streaming("PurgeQuarantine", request, _results)


class ClientBase:
    """A client of one sidecard daemon, without its way of making calls."""

    #: Where the channels come from: grpc or grpc.aio.
    _grpc: Any
    #: The kinds of call a method awaits (the asyncio client's coroutines).
    _awaited: tuple[type, ...] = ()
    #: The class name of its streams, for the signatures of the iter_ methods.
    _stream_name = ""

    def __init__(
        self,
        address: str | None = None,
        token: str | None = None,
        timeout: float | None = None,
        autostart: bool | None = None,
        autostart_root: PathArg | None = None,
        *,
        token_file: PathArg | None = None,
        tls: bool | None = None,
        tls_ca: PathArg | None = None,
        tls_cert: PathArg | None = None,
        tls_key: PathArg | None = None,
    ) -> None:
        settings, self.address, self._metadata = connect(
            address, token, timeout, autostart, autostart_root, token_file=token_file, tls=tls,
            tls_ca=tls_ca, tls_cert=tls_cert, tls_key=tls_key,
        )
        self.timeout = settings.timeout
        credentials = channel_credentials(settings, self.address)
        if credentials is None:
            self._channel = self._grpc.insecure_channel(self.address, options=CHANNEL_OPTIONS)
        else:
            self._channel = self._grpc.secure_channel(
                self.address, credentials, options=CHANNEL_OPTIONS
            )
        self._stub = sidecar_pb2_grpc.SidecarServiceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    def _start(self, call: Unary[Any] | Streaming[Any, Any]) -> Any:
        """Starts `call` on its stub: the answer (or its awaitable), or the stream."""
        stub = self._health if isinstance(call, Unary) and call.health else self._stub
        timeout = call.timeout if isinstance(call, Unary) else None
        return getattr(stub, call.method)(
            call.request, timeout=timeout or self.timeout, metadata=self._metadata
        )

    # --- how a client class gets its methods ----------------------------------

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, method in vars(ClientBase).items():
            if isinstance(method, Method):
                setattr(cls, name, method.function_for(cls, name))

    @classmethod
    def _doc(cls, name: str, doc: str) -> str:
        """The docstring of the method `name`, given that of its build function."""
        return doc

    # --- the methods --------------------------------------------------------
    # Each function takes the method's arguments (no self: a static method)
    # and describes the call; its decorator makes it a method of both clients,
    # typed for checkers by the call's result (sidecard.types).

    # --- the daemon ---------------------------------------------------------

    @unary
    @staticmethod
    def health(service: str = "", timeout: float | None = None) -> Unary[HealthStatus]:
        """Asks the standard health service: SERVING, NOT_SERVING or SERVICE_UNKNOWN.

        `service` "" asks about the daemon as a whole; `timeout` overrides the
        client's. Raises Unavailable when no daemon answers, NotFound for a
        service the daemon does not know.
        """
        request = _requests.health(service)
        return Unary("Check", request, _requests.serving_status, timeout, health=True)

    @unary
    @staticmethod
    def server_info() -> Unary[ServerInfo]:
        """Version, uptime, workers, allowed roots and call counters of the daemon."""
        return Unary("GetServerInfo", _requests.server_info(), _server_info)

    # --- trees --------------------------------------------------------------

    @streaming
    @staticmethod
    def iter_validate(
        root: RequestPath,
        *,
        operation: str | None = None,
        recursive: bool = True,
        summary_only: bool = False,
        batch_size: int = 0,
    ) -> Streaming[FileReport, ValidateSummary]:
        """Streams one report dict per sidecar file under `root`; then `.summary` is set.

        Args:
            operation: report only sidecars containing this operation (`face_detection`).
            recursive: False for the files directly inside `root` only.
            summary_only: stream no reports, only the summary.
            batch_size: reports per streamed message (0: the daemon's default).
        """
        return _validate_stream(root, operation, recursive, summary_only, batch_size)

    @collected
    @staticmethod
    def validate(
        root: RequestPath,
        *,
        operation: str | None = None,
        recursive: bool = True,
        summary_only: bool = False,
    ) -> Collected[ValidateResult]:
        """Validates every sidecar under `root`: all reports (in memory) and the summary."""
        stream = _validate_stream(root, operation, recursive, summary_only, 0)
        return Collected(stream, ValidateResult)

    @unary
    @staticmethod
    def stats(
        root: RequestPath, *, operation: str | None = None, recursive: bool = True
    ) -> Unary[Stats]:
        """Counts images, sidecars, operations, coverage and detections under `root`.

        The dict has the old Rust tool's keys (`directory`, `total_images`, ...,
        `filter_applied`) and the extras of StatsResponse.
        """
        return Unary("Stats", _requests.stats(root, operation, recursive), _stats)

    @streaming
    @staticmethod
    def find(
        root: RequestPath,
        *,
        has: Names = None,
        missing: Names = None,
        failed: Names = None,
        min_faces: int | None = None,
        min_objects: int | None = None,
        object_class: Names = None,
        format: str | None = None,
        invalid: bool = False,
        orphans: bool = False,
        no_sidecar: bool = False,
        changed_since: TimeArg = None,
        recursive: bool = True,
        batch_size: int = 0,
    ) -> Streaming[FoundImage, FindSummary]:
        """Streams one dict per image under `root` whose sidecar matches every
        predicate given (AND); then `.summary` is set. Answered from the daemon's
        cache of sidecar facts.

        Args:
            has: operation(s) its sidecar holds: ``face_detection``, or
                ``face_detection.insightface`` for a payload under that backend.
            missing: operation(s) its sidecar lacks (an image with no sidecar lacks all).
            failed: operation(s) with a payload whose ``success`` is false.
            min_faces, min_objects: at least this many over its payloads.
            object_class: class name(s) of an object it holds (``"sports ball"``).
            format: its sidecar read first is ``bin``, ``rkyv`` or ``json``.
            invalid: one of its sidecar files is invalid.
            orphans: orphaned sidecar documents (no image) instead of images.
            no_sidecar: images with no sidecar file at all.
            changed_since: a sidecar file modified at or after this time: RFC 3339
                text, unix seconds, or an aware datetime.
            recursive: False for the images directly inside `root` only.

        A bad predicate raises InvalidArgument naming it.
        """
        request = _requests.find(
            root, has=has, missing=missing, failed=failed, min_faces=min_faces,
            min_objects=min_objects, object_class=object_class, format=format, invalid=invalid,
            orphans=orphans, no_sidecar=no_sidecar, changed_since=changed_since,
            recursive=recursive, batch_size=batch_size,
        )
        return Streaming("Find", request, _matches)

    @streaming
    @staticmethod
    def find_paths(
        root: RequestPath,
        *,
        has: Names = None,
        missing: Names = None,
        failed: Names = None,
        min_faces: int | None = None,
        min_objects: int | None = None,
        object_class: Names = None,
        format: str | None = None,
        invalid: bool = False,
        orphans: bool = False,
        no_sidecar: bool = False,
        changed_since: TimeArg = None,
        recursive: bool = True,
        batch_size: int = 0,
    ) -> Streaming[str, FindSummary]:
        """Like :meth:`find`, but streams only each match's path (a str, exact
        bytes decoded like ``os.fsdecode``): the image; with ``invalid=True``
        the invalid sidecar file, with ``orphans=True`` the sidecar. Images
        sharing a stem share a sidecar, so such a path may come more than once.
        About a tenth of the bytes of :meth:`find`, and the daemon keeps the
        answer of an unchanged folder ready: the call to use when only the
        paths matter. The predicates are those of :meth:`find`.
        """
        request = _requests.find(
            root, has=has, missing=missing, failed=failed, min_faces=min_faces,
            min_objects=min_objects, object_class=object_class, format=format, invalid=invalid,
            orphans=orphans, no_sidecar=no_sidecar, changed_since=changed_since,
            recursive=recursive, batch_size=batch_size,
        )
        request.paths_only = True
        return Streaming("Find", request, _found_paths(request))

    @streaming
    @staticmethod
    def iter_cleanup(
        root: RequestPath,
        mode: str = "dry_run",
        min_age_seconds: int = 0,
        *,
        recursive: bool = True,
        batch_size: int = 0,
    ) -> Streaming[CleanupItem, CleanupSummary]:
        """Streams one result dict per orphan (or kept unreadable file); then `.summary`.

        Args:
            mode: `dry_run` (the default: change nothing), `delete` or `quarantine`
                (move into `<root>/.sidecard-quarantine/<UTC time>/`).
            min_age_seconds: keep orphans modified less than this long ago.
        """
        return _cleanup_stream(root, mode, min_age_seconds, recursive, batch_size)

    @collected
    @staticmethod
    def cleanup(
        root: RequestPath,
        mode: str = "dry_run",
        min_age_seconds: int = 0,
        *,
        recursive: bool = True,
    ) -> Collected[CleanupResult]:
        """Finds orphaned sidecars under `root` and, unless a dry run, removes them."""
        return Collected(_cleanup_stream(root, mode, min_age_seconds, recursive, 0), CleanupResult)

    @streaming
    @staticmethod
    def iter_export(
        root: RequestPath,
        *,
        format: str = "json",
        content: str | None = None,
        operation: str | None = None,
        recursive: bool = True,
        operations: Iterable[str] | None = None,
    ) -> Streaming[bytes, ExportSummary]:
        """Streams the export of `root` as chunks of output text; then `.summary` is set.

        Args:
            format: `json` (one array), `jsonl` or `csv`.
            content: `documents` or `table`; default documents for JSON, table for CSV.
            operation: export only sidecars containing this operation.
            operations: keep only these operations' subtrees (and `sidecar_info`) in
                each document; images holding none of them are left out and counted
                in the summary's `without_operations`.
        """
        return _export_stream(root, format, content, operation, recursive, operations)

    @streaming
    @staticmethod
    def iter_documents(
        root: RequestPath,
        *,
        operations: Iterable[str] | None = None,
        operation: str | None = None,
        recursive: bool = True,
    ) -> Streaming[dict[str, Any], ExportSummary]:
        """Streams the sidecar document of every image under `root`, parsed; then `.summary`.

        One Export call in JSON Lines: the documents arrive in batches (each
        streamed message carries many), not one call per image. Each item is
        ``{"image", "sidecar", "format", "files", "unreadable", "document"}``
        (``image`` None for an orphan).

        Args:
            operations: keep only these operations' subtrees (and `sidecar_info`),
                e.g. ``["face_detection"]`` for every face encoding of a folder;
                images holding none of them are left out (counted in
                `without_operations`).
            operation: only images whose document holds this operation.
        """
        request = _requests.export(root, "jsonl", "documents", operation, recursive, operations)
        return Streaming("Export", request, _JsonLines())

    @collected
    @staticmethod
    def export(
        root: RequestPath,
        output: PathArg | IO[bytes] | None = None,
        *,
        format: str = "json",
        content: str | None = None,
        operation: str | None = None,
        recursive: bool = True,
        operations: Iterable[str] | None = None,
    ) -> Collected[ExportResult]:
        """Exports the sidecars under `root`.

        `output` is a path (written atomically: a temporary file renamed into
        place once complete), a binary file object, or None to get the output
        back in ``ExportResult.data``. `operations` keeps only those
        operations' subtrees (see :meth:`iter_export`).
        """
        stream = _export_stream(root, format, content, operation, recursive, operations)
        return Collected(stream, _export_result, output)

    @streaming
    @staticmethod
    def iter_convert(
        root: RequestPath,
        to: str,
        *,
        apply: bool = False,
        recursive: bool = True,
        batch_size: int = 0,
    ) -> Streaming[ConvertItem, ConvertSummary]:
        """Streams one result dict per image converted (or that would be); then `.summary`.

        Args:
            to: the target format, `bin`, `rkyv` or `json`.
            apply: False (the default) is a dry run that changes nothing.
        """
        return _convert_stream(root, to, apply, recursive, batch_size)

    @collected
    @staticmethod
    def convert(
        root: RequestPath, to: str, *, apply: bool = False, recursive: bool = True
    ) -> Collected[ConvertResult]:
        """Rewrites the sidecars under `root` into format `to` (a dry run unless `apply`)."""
        return Collected(_convert_stream(root, to, apply, recursive, 0), ConvertResult)

    @streaming
    @staticmethod
    def iter_prune(
        root: RequestPath,
        operation: str,
        *,
        backend: str | None = None,
        apply: bool = False,
        recursive: bool = True,
        batch_size: int = 0,
    ) -> Streaming[PruneItem, PruneSummary]:
        """Streams one result dict per sidecar file holding `operation`; then `.summary`.

        Args:
            operation: the operation key to remove, e.g. `face_detection`.
            backend: only this backend of the operation (e.g. `insightface`).
            apply: False (the default) is a dry run that changes nothing; True
                rewrites each file and keeps its previous version in the
                quarantine (:meth:`quarantine_restore` puts it back).
        """
        return _prune_stream(root, operation, backend, apply, recursive, batch_size)

    @collected
    @staticmethod
    def prune(
        root: RequestPath,
        operation: str,
        *,
        backend: str | None = None,
        apply: bool = False,
        recursive: bool = True,
    ) -> Collected[PruneResult]:
        """Removes `operation`'s results (or one backend's) from every sidecar under `root`.

        A dry run unless `apply`. Every other operation is kept as it is, each
        file in its own format; previous versions go into the quarantine.
        """
        return Collected(_prune_stream(root, operation, backend, apply, recursive, 0), PruneResult)

    # --- the quarantine (what cleanup mode="quarantine" moved aside) ---------
    # `root` is the directory Cleanup was given; its quarantine is
    # `<root>/.sidecard-quarantine/<batch>/`, a batch per run, named by its
    # UTC time (its ID, ``YYYYMMDDTHHMMSSZ``).

    @streaming
    @staticmethod
    def iter_quarantine_list(
        root: RequestPath, *, batch: str | None = None, batch_size: int = 0
    ) -> Streaming[QuarantineFile, QuarantineListSummary]:
        """Streams one dict per quarantined file under `root`; then `.summary` (each batch).

        Args:
            batch: only this batch (InvalidArgument if not a batch ID, NotFound if missing).
        """
        return _quarantine_list_stream(root, batch, batch_size)

    @collected
    @staticmethod
    def quarantine_list(
        root: RequestPath, *, batch: str | None = None
    ) -> Collected[QuarantineListResult]:
        """Lists the quarantine of `root`: every file (batch, size, where it came
        from) and each batch (files, bytes, creation time). Changes nothing."""
        return Collected(_quarantine_list_stream(root, batch, 0), QuarantineListResult)

    @streaming
    @staticmethod
    def iter_quarantine_restore(
        root: RequestPath, *, batch: str | None = None, dry_run: bool = False, batch_size: int = 0
    ) -> Streaming[QuarantineRestoreItem, QuarantineRestoreSummary]:
        """Streams one result dict per quarantined file moved back (or not); then `.summary`.

        Args:
            batch: only this batch; default every batch, newest first.
            dry_run: report what would happen, change nothing.
        """
        return _quarantine_restore_stream(root, batch, dry_run, batch_size)

    @collected
    @staticmethod
    def quarantine_restore(
        root: RequestPath, *, batch: str | None = None, dry_run: bool = False
    ) -> Collected[QuarantineRestoreResult]:
        """Moves quarantined files back where they came from (a rename: the same
        bytes), never over an existing file (action ``conflict``: both stay)."""
        stream = _quarantine_restore_stream(root, batch, dry_run, 0)
        return Collected(stream, QuarantineRestoreResult)

    @streaming
    @staticmethod
    def iter_quarantine_purge(
        root: RequestPath, older_than_days: float, *, dry_run: bool = False, batch_size: int = 0
    ) -> Streaming[QuarantinePurgeItem, QuarantinePurgeSummary]:
        """Streams one result dict per batch deleted (or that would be); then `.summary`.

        Args:
            older_than_days: delete the batches created more than this many days
                ago (by the time in their name); 0 deletes every batch.
            dry_run: report what would happen, change nothing.
        """
        return _quarantine_purge_stream(root, older_than_days, dry_run, batch_size)

    @collected
    @staticmethod
    def quarantine_purge(
        root: RequestPath, older_than_days: float, *, dry_run: bool = False
    ) -> Collected[QuarantinePurgeResult]:
        """Deletes the quarantine batches of `root` older than `older_than_days`."""
        stream = _quarantine_purge_stream(root, older_than_days, dry_run, 0)
        return Collected(stream, QuarantinePurgeResult)

    # --- one image ----------------------------------------------------------

    @unary
    @staticmethod
    def read_sidecar(image: RequestPath) -> Unary[ReadSidecarResult]:
        """Reads the sidecar document of `image` (any file name: str, bytes or os.PathLike).

        Returns the ReadSidecarResponse fields with `document` (the parsed
        document, ``{}`` when `found` is False) in place of `document_json`.
        Raises NotFound when the image does not exist.
        """
        return Unary("ReadSidecar", _requests.read_sidecar(image), _read_result)

    @unary
    @staticmethod
    def save_sidecar(
        image: RequestPath,
        operation: str,
        payload: Payload,
        backend: str | None = None,
        format: str | None = None,
        overwrite_corrupt: bool = False,
        allow_missing_image: bool = False,
    ) -> Unary[SaveSidecarResult]:
        """Merges `payload` into the sidecar of `image` under `operation` (or
        `operation.backend`) and writes it atomically.

        Args:
            payload: a JSON object, as a mapping or as JSON text.
            format: `bin`, `rkyv` or `json`; default the daemon's (`bin`).
            overwrite_corrupt: replace a corrupt sidecar (kept aside) instead of
                failing with FailedPrecondition.
            allow_missing_image: save even if the image does not exist.

        Returns the SaveSidecarResponse fields (`sidecar`, `format`, `created`, ...).
        """
        request = _requests.save_sidecar(
            image, operation, payload, backend, format, overwrite_corrupt, allow_missing_image
        )
        return Unary("SaveSidecar", request, _save_result)
