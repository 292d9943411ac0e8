"""The blocking sidecard client.

    import sidecard

    with sidecard.Client() as client:          # $SIDECARD_ADDRESS or the system socket
        stats = client.stats("/photos")
        for report in client.iter_validate("/photos"):
            ...

Every method returns plain dicts (proto field names, every field present,
64-bit integers as ``int``, enums as short names such as ``"bin"``, file paths
as ``str``; see :mod:`sidecard._convert`) or the dataclasses of
:mod:`sidecard.results`, and raises a :class:`sidecard.errors.SidecardError`
subclass when a call fails.
"""

from __future__ import annotations

import collections
import contextlib
import os
import secrets
from typing import IO, Any, Callable, ContextManager, Generic, Iterator, Optional, TypeVar

import grpc

from sidecard import _convert, _requests, autostart
from sidecard._requests import PathArg, Payload, RequestPath
from sidecard._stubs import health_pb2_grpc, sidecar_pb2_grpc
from sidecard.config import Settings, resolve
from sidecard.errors import SidecardError, from_rpc_error
from sidecard.results import CleanupResult, ConvertResult, ExportResult, ValidateResult

T = TypeVar("T")
#: Splits one streamed message into its items and, on the last one, the summary.
Unpack = Callable[[Any], tuple[list[Any], Optional[dict[str, Any]]]]

#: Channel options: documents and batches may exceed gRPC's 4 MiB default.
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


def missing_summary(address: str) -> SidecardError:
    """The error for a stream that ended without the summary the contract promises."""
    return SidecardError(grpc.StatusCode.INTERNAL, "the stream ended without its summary", address)


class Stream(Generic[T]):
    """The items of one server-streaming call, as an iterator.

    Items arrive as the daemon streams them; :attr:`summary` is the final
    summary dict, available once the stream has been read to the end. Use it as
    a context manager (or call :meth:`cancel`) to stop the daemon's work when
    you stop iterating early.
    """

    def __init__(self, call: Any, unpack: Unpack, address: str) -> None:
        self._call = call
        self._unpack = unpack
        self._address = address
        self._pending: collections.deque[T] = collections.deque()
        self._done = False
        self._summary: dict[str, Any] | None = None

    @property
    def summary(self) -> dict[str, Any]:
        """The summary the daemon sends last; RuntimeError before the stream is read."""
        if self._summary is None:
            raise RuntimeError("the summary comes at the end: read the stream to its end first")
        return self._summary

    def __iter__(self) -> Stream[T]:
        return self

    def __next__(self) -> T:
        while not self._pending:
            if self._done:
                raise StopIteration
            try:
                response = next(self._call)
            except StopIteration:
                self._done = True
                if self._summary is None:
                    raise missing_summary(self._address) from None
                raise
            except grpc.RpcError as error:
                self._done = True
                raise from_rpc_error(error, self._address) from None
            items, summary = self._unpack(response)
            self._pending.extend(items)
            if summary is not None:
                self._summary = summary
        return self._pending.popleft()

    def cancel(self) -> None:
        """Cancels the call: the daemon stops the work it started for it."""
        self._done = True
        self._call.cancel()

    def __enter__(self) -> Stream[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._done:
            self.cancel()


@contextlib.contextmanager
def atomic_output(path: PathArg) -> Iterator[IO[bytes]]:
    """A binary file to write into; renamed over `path` when the block completes.

    The file is created beside `path` (with the permissions a plain open would
    give it); if the block fails, it is removed and any existing file at `path`
    is left untouched.
    """
    target = os.fspath(path)
    directory, name = os.path.split(target)
    temporary = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def output_file(output: PathArg | IO[bytes]) -> ContextManager[IO[bytes]]:
    """The binary file an export writes to: `output` itself if it is a file
    object (left open), else an :func:`atomic_output` for the path."""
    if isinstance(output, (str, os.PathLike)):
        return atomic_output(output)
    return contextlib.nullcontext(output)


class Client:
    """A blocking client of one sidecard daemon; safe to share between threads.

    Args:
        address: ``unix:/path/to.sock`` or ``host:port``; default
            ``$SIDECARD_ADDRESS``, else ``unix:/run/sidecard/sidecard.sock``.
        token: sent as ``authorization: Bearer <token>``; default ``$SIDECARD_TOKEN``.
            A daemon's TCP listener requires one; its role (read-only or
            read-write) decides whether calls may change files.
        token_file: a file holding the token (its first line), instead of
            ``token``; default ``$SIDECARD_TOKEN_FILE``.
        tls: connect to a TCP address with TLS; default ``$SIDECARD_TLS``, or
            on when a CA or client certificate is given.
        tls_ca: PEM file of the CA that signed the daemon's certificate;
            default ``$SIDECARD_TLS_CA``, else the system's root certificates.
        tls_cert, tls_key: PEM client certificate and key for mutual TLS;
            default ``$SIDECARD_TLS_CERT`` and ``$SIDECARD_TLS_KEY``.
        timeout: deadline of each call in seconds (a streamed call as a whole);
            default ``$SIDECARD_TIMEOUT``, else none.
        autostart: start a private daemon if the default address does not
            answer (see :mod:`sidecard.autostart`); default ``$SIDECARD_AUTOSTART``
            (off). Never applies to an explicitly chosen address.
        autostart_root: the allowed root of a daemon started now (default: home).

    Attributes:
        address: the address in use (the private daemon's after an autostart).
        timeout: the deadline of each call in seconds, or None.

    Creating a client does not connect (the first call does), unless it
    autostarts, which raises Unavailable or PermissionDenied if no daemon can be
    started.
    """

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
            self._channel = grpc.insecure_channel(self.address, options=CHANNEL_OPTIONS)
        else:
            self._channel = grpc.secure_channel(self.address, credentials, options=CHANNEL_OPTIONS)
        self._stub = sidecar_pb2_grpc.SidecarServiceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    # --- plumbing -----------------------------------------------------------

    def _unary(self, method: Any, request: Any, timeout: float | None = None) -> Any:
        """Makes a unary call, mapping a failure to a SidecardError subclass."""
        try:
            return method(request, timeout=timeout or self.timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise from_rpc_error(error, self.address) from None

    def _stream(self, method: Any, request: Any, unpack: Unpack) -> Stream[Any]:
        """Starts a server-streaming call."""
        call = method(request, timeout=self.timeout, metadata=self._metadata)
        return Stream(call, unpack, self.address)

    @staticmethod
    def _collect(stream: Stream[T]) -> tuple[list[T], dict[str, Any]]:
        """Reads a stream to its end: all items and the summary."""
        items = list(stream)
        return items, stream.summary

    def close(self) -> None:
        """Closes the channel; calls in progress are cancelled."""
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the daemon ---------------------------------------------------------

    def health(self, service: str = "", timeout: float | None = None) -> str:
        """Asks the standard health service: SERVING, NOT_SERVING or SERVICE_UNKNOWN.

        `service` "" asks about the daemon as a whole; `timeout` overrides the
        client's. Raises Unavailable when no daemon answers, NotFound for a
        service the daemon does not know.
        """
        response = self._unary(self._health.Check, _requests.health(service), timeout)
        return _requests.serving_status(response)

    def server_info(self) -> dict[str, Any]:
        """Version, uptime, workers, allowed roots and call counters of the daemon."""
        return _convert.to_dict(self._unary(self._stub.GetServerInfo, _requests.server_info()))

    # --- trees --------------------------------------------------------------

    def iter_validate(
        self,
        root: RequestPath,
        *,
        operation: str | None = None,
        recursive: bool = True,
        summary_only: bool = False,
        batch_size: int = 0,
    ) -> Stream[dict[str, Any]]:
        """Streams one report dict per sidecar file under `root`; then `.summary` is set.

        Args:
            operation: report only sidecars containing this operation (`face_detection`).
            recursive: False for the files directly inside `root` only.
            summary_only: stream no reports, only the summary.
            batch_size: reports per streamed message (0: the daemon's default).
        """
        request = _requests.validate(root, operation, recursive, summary_only, batch_size)
        return self._stream(
            self._stub.Validate, request, lambda response: _convert.batch(response, "reports")
        )

    def validate(
        self,
        root: RequestPath,
        *,
        operation: str | None = None,
        recursive: bool = True,
        summary_only: bool = False,
    ) -> ValidateResult:
        """Validates every sidecar under `root`: all reports (in memory) and the summary."""
        stream = self.iter_validate(
            root, operation=operation, recursive=recursive, summary_only=summary_only
        )
        return ValidateResult(*self._collect(stream))

    def stats(
        self, root: RequestPath, *, operation: str | None = None, recursive: bool = True
    ) -> dict[str, Any]:
        """Counts images, sidecars, operations, coverage and detections under `root`.

        The dict has the old Rust tool's keys (`directory`, `total_images`, ...,
        `filter_applied`) and the extras of StatsResponse.
        """
        request = _requests.stats(root, operation, recursive)
        return _convert.to_dict(self._unary(self._stub.Stats, request))

    def iter_cleanup(
        self,
        root: RequestPath,
        mode: str = "dry_run",
        min_age_seconds: int = 0,
        *,
        recursive: bool = True,
        batch_size: int = 0,
    ) -> Stream[dict[str, Any]]:
        """Streams one result dict per orphan (or kept unreadable file); then `.summary`.

        Args:
            mode: `dry_run` (the default: change nothing), `delete` or `quarantine`
                (move into `<root>/.sidecard-quarantine/<UTC time>/`).
            min_age_seconds: keep orphans modified less than this long ago.
        """
        request = _requests.cleanup(root, mode, min_age_seconds, recursive, batch_size)
        return self._stream(
            self._stub.Cleanup, request, lambda response: _convert.batch(response, "results")
        )

    def cleanup(
        self,
        root: RequestPath,
        mode: str = "dry_run",
        min_age_seconds: int = 0,
        *,
        recursive: bool = True,
    ) -> CleanupResult:
        """Finds orphaned sidecars under `root` and, unless a dry run, removes them."""
        stream = self.iter_cleanup(root, mode, min_age_seconds, recursive=recursive)
        return CleanupResult(*self._collect(stream))

    def iter_export(
        self,
        root: RequestPath,
        *,
        format: str = "json",
        content: str | None = None,
        operation: str | None = None,
        recursive: bool = True,
    ) -> Stream[bytes]:
        """Streams the export of `root` as chunks of output text; then `.summary` is set.

        Args:
            format: `json` (one array), `jsonl` or `csv`.
            content: `documents` or `table`; default documents for JSON, table for CSV.
            operation: export only sidecars containing this operation.
        """
        request = _requests.export(root, format, content, operation, recursive)
        return self._stream(self._stub.Export, request, _convert.export_batch)

    def export(
        self,
        root: RequestPath,
        output: PathArg | IO[bytes] | None = None,
        *,
        format: str = "json",
        content: str | None = None,
        operation: str | None = None,
        recursive: bool = True,
    ) -> ExportResult:
        """Exports the sidecars under `root`.

        `output` is a path (written atomically: a temporary file renamed into
        place once complete), a binary file object, or None to get the output
        back in ``ExportResult.data``.
        """
        stream = self.iter_export(
            root, format=format, content=content, operation=operation, recursive=recursive
        )
        if output is None:
            chunks, summary = self._collect(stream)
            return ExportResult(summary, b"".join(chunks))
        with output_file(output) as out:
            for chunk in stream:
                out.write(chunk)
        return ExportResult(stream.summary)

    def iter_convert(
        self,
        root: RequestPath,
        to: str,
        *,
        apply: bool = False,
        recursive: bool = True,
        batch_size: int = 0,
    ) -> Stream[dict[str, Any]]:
        """Streams one result dict per image converted (or that would be); then `.summary`.

        Args:
            to: the target format, `bin`, `rkyv` or `json`.
            apply: False (the default) is a dry run that changes nothing.
        """
        request = _requests.convert(root, to, apply, recursive, batch_size)
        return self._stream(
            self._stub.Convert, request, lambda response: _convert.batch(response, "results")
        )

    def convert(
        self, root: RequestPath, to: str, *, apply: bool = False, recursive: bool = True
    ) -> ConvertResult:
        """Rewrites the sidecars under `root` into format `to` (a dry run unless `apply`)."""
        stream = self.iter_convert(root, to, apply=apply, recursive=recursive)
        return ConvertResult(*self._collect(stream))

    # --- one image ----------------------------------------------------------

    def read_sidecar(self, image: RequestPath) -> dict[str, Any]:
        """Reads the sidecar document of `image` (any file name: str, bytes or os.PathLike).

        Returns the ReadSidecarResponse fields with `document` (the parsed
        document, ``{}`` when `found` is False) in place of `document_json`.
        Raises NotFound when the image does not exist.
        """
        response = self._unary(self._stub.ReadSidecar, _requests.read_sidecar(image))
        return _convert.read_result(response)

    def save_sidecar(
        self,
        image: RequestPath,
        operation: str,
        payload: Payload,
        backend: str | None = None,
        format: str | None = None,
        overwrite_corrupt: bool = False,
        allow_missing_image: bool = False,
    ) -> dict[str, Any]:
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
        return _convert.to_dict(self._unary(self._stub.SaveSidecar, request))
