"""The asyncio sidecard client, on ``grpc.aio``: the same methods as
:class:`sidecard.Client`, as coroutines, with async iterators for streams.

    import asyncio
    import sidecard.aio

    async def main() -> None:
        async with sidecard.aio.Client() as client:
            print(await client.stats("/photos"))
            async for report in client.iter_validate("/photos"):
                ...

    asyncio.run(main())

Create the client inside the running event loop. If autostart applies, the
private daemon is found or started (blocking, once) when the client is created.
"""

from __future__ import annotations

import collections
from typing import IO, Any, Generic, TypeVar

import grpc
import grpc.aio

from sidecard import _convert, _requests
from sidecard._requests import PathArg, Payload, RequestPath
from sidecard._stubs import health_pb2_grpc, sidecar_pb2_grpc
from sidecard.client import (
    CHANNEL_OPTIONS,
    Unpack,
    channel_credentials,
    connect,
    missing_summary,
    output_file,
)
from sidecard.errors import from_rpc_error
from sidecard.results import CleanupResult, ConvertResult, ExportResult, ValidateResult

T = TypeVar("T")


class AsyncStream(Generic[T]):
    """The items of one server-streaming call, as an async iterator.

    :attr:`summary` is the final summary dict, available once the stream has
    been read to the end. ``async with`` (or :meth:`cancel`) stops the daemon's
    work when you stop iterating early.
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

    def __aiter__(self) -> AsyncStream[T]:
        return self

    async def __anext__(self) -> T:
        while not self._pending:
            if self._done:
                raise StopAsyncIteration
            try:
                response = await self._call.read()
            except grpc.RpcError as error:
                self._done = True
                raise from_rpc_error(error, self._address) from None
            if response is grpc.aio.EOF:
                self._done = True
                if self._summary is None:
                    raise missing_summary(self._address)
                raise StopAsyncIteration
            items, summary = self._unpack(response)
            self._pending.extend(items)
            if summary is not None:
                self._summary = summary
        return self._pending.popleft()

    def cancel(self) -> None:
        """Cancels the call: the daemon stops the work it started for it."""
        self._done = True
        self._call.cancel()

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if not self._done:
            self.cancel()


class Client:
    """An asyncio client of one sidecard daemon; arguments as :class:`sidecard.Client`."""

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
            self._channel = grpc.aio.insecure_channel(self.address, options=CHANNEL_OPTIONS)
        else:
            self._channel = grpc.aio.secure_channel(
                self.address, credentials, options=CHANNEL_OPTIONS
            )
        self._stub = sidecar_pb2_grpc.SidecarServiceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    # --- plumbing -----------------------------------------------------------

    async def _unary(self, method: Any, request: Any, timeout: float | None = None) -> Any:
        """Makes a unary call, mapping a failure to a SidecardError subclass."""
        try:
            return await method(request, timeout=timeout or self.timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise from_rpc_error(error, self.address) from None

    def _stream(self, method: Any, request: Any, unpack: Unpack) -> AsyncStream[Any]:
        """Starts a server-streaming call."""
        call = method(request, timeout=self.timeout, metadata=self._metadata)
        return AsyncStream(call, unpack, self.address)

    @staticmethod
    async def _collect(stream: AsyncStream[T]) -> tuple[list[T], dict[str, Any]]:
        """Reads a stream to its end: all items and the summary."""
        items = [item async for item in stream]
        return items, stream.summary

    async def close(self) -> None:
        """Closes the channel; calls in progress are cancelled."""
        await self._channel.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- the daemon ---------------------------------------------------------

    async def health(self, service: str = "", timeout: float | None = None) -> str:
        """See :meth:`sidecard.Client.health`."""
        response = await self._unary(self._health.Check, _requests.health(service), timeout)
        return _requests.serving_status(response)

    async def server_info(self) -> dict[str, Any]:
        """See :meth:`sidecard.Client.server_info`."""
        request = _requests.server_info()
        return _convert.to_dict(await self._unary(self._stub.GetServerInfo, request))

    # --- trees --------------------------------------------------------------

    def iter_validate(
        self,
        root: RequestPath,
        *,
        operation: str | None = None,
        recursive: bool = True,
        summary_only: bool = False,
        batch_size: int = 0,
    ) -> AsyncStream[dict[str, Any]]:
        """See :meth:`sidecard.Client.iter_validate`."""
        request = _requests.validate(root, operation, recursive, summary_only, batch_size)
        return self._stream(
            self._stub.Validate, request, lambda response: _convert.batch(response, "reports")
        )

    async def validate(
        self,
        root: RequestPath,
        *,
        operation: str | None = None,
        recursive: bool = True,
        summary_only: bool = False,
    ) -> ValidateResult:
        """See :meth:`sidecard.Client.validate`."""
        stream = self.iter_validate(
            root, operation=operation, recursive=recursive, summary_only=summary_only
        )
        return ValidateResult(*await self._collect(stream))

    async def stats(
        self, root: RequestPath, *, operation: str | None = None, recursive: bool = True
    ) -> dict[str, Any]:
        """See :meth:`sidecard.Client.stats`."""
        request = _requests.stats(root, operation, recursive)
        return _convert.to_dict(await self._unary(self._stub.Stats, request))

    def iter_cleanup(
        self,
        root: RequestPath,
        mode: str = "dry_run",
        min_age_seconds: int = 0,
        *,
        recursive: bool = True,
        batch_size: int = 0,
    ) -> AsyncStream[dict[str, Any]]:
        """See :meth:`sidecard.Client.iter_cleanup`."""
        request = _requests.cleanup(root, mode, min_age_seconds, recursive, batch_size)
        return self._stream(
            self._stub.Cleanup, request, lambda response: _convert.batch(response, "results")
        )

    async def cleanup(
        self,
        root: RequestPath,
        mode: str = "dry_run",
        min_age_seconds: int = 0,
        *,
        recursive: bool = True,
    ) -> CleanupResult:
        """See :meth:`sidecard.Client.cleanup`."""
        stream = self.iter_cleanup(root, mode, min_age_seconds, recursive=recursive)
        return CleanupResult(*await self._collect(stream))

    def iter_export(
        self,
        root: RequestPath,
        *,
        format: str = "json",
        content: str | None = None,
        operation: str | None = None,
        recursive: bool = True,
    ) -> AsyncStream[bytes]:
        """See :meth:`sidecard.Client.iter_export`."""
        request = _requests.export(root, format, content, operation, recursive)
        return self._stream(self._stub.Export, request, _convert.export_batch)

    async def export(
        self,
        root: RequestPath,
        output: PathArg | IO[bytes] | None = None,
        *,
        format: str = "json",
        content: str | None = None,
        operation: str | None = None,
        recursive: bool = True,
    ) -> ExportResult:
        """See :meth:`sidecard.Client.export` (a path is written atomically as there)."""
        stream = self.iter_export(
            root, format=format, content=content, operation=operation, recursive=recursive
        )
        if output is None:
            chunks, summary = await self._collect(stream)
            return ExportResult(summary, b"".join(chunks))
        with output_file(output) as out:
            async for chunk in stream:
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
    ) -> AsyncStream[dict[str, Any]]:
        """See :meth:`sidecard.Client.iter_convert`."""
        request = _requests.convert(root, to, apply, recursive, batch_size)
        return self._stream(
            self._stub.Convert, request, lambda response: _convert.batch(response, "results")
        )

    async def convert(
        self, root: RequestPath, to: str, *, apply: bool = False, recursive: bool = True
    ) -> ConvertResult:
        """See :meth:`sidecard.Client.convert`."""
        stream = self.iter_convert(root, to, apply=apply, recursive=recursive)
        return ConvertResult(*await self._collect(stream))

    # --- one image ----------------------------------------------------------

    async def read_sidecar(self, image: RequestPath) -> dict[str, Any]:
        """See :meth:`sidecard.Client.read_sidecar`."""
        request = _requests.read_sidecar(image)
        return _convert.read_result(await self._unary(self._stub.ReadSidecar, request))

    async def save_sidecar(
        self,
        image: RequestPath,
        operation: str,
        payload: Payload,
        backend: str | None = None,
        format: str | None = None,
        overwrite_corrupt: bool = False,
        allow_missing_image: bool = False,
    ) -> dict[str, Any]:
        """See :meth:`sidecard.Client.save_sidecar`."""
        request = _requests.save_sidecar(
            image, operation, payload, backend, format, overwrite_corrupt, allow_missing_image
        )
        return _convert.to_dict(await self._unary(self._stub.SaveSidecar, request))
