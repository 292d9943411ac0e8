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

from typing import TypeVar

import grpc
import grpc.aio

from sidecard import _calls
from sidecard._api import ClientBase
from sidecard._paths import RequestPath
from sidecard._streams import StreamBase
from sidecard._watch import AsyncWatchStream, watch_request
from sidecard.client import output_file
from sidecard.errors import from_rpc_error

T = TypeVar("T")
S = TypeVar("S")
R = TypeVar("R")


class AsyncStream(StreamBase[T, S]):
    """The items of one server-streaming call, as an async iterator.

    :attr:`summary` is the final summary dict, available once the stream has
    been read to the end. ``async with`` (or :meth:`cancel`) stops the daemon's
    work when you stop iterating early.
    """

    def __aiter__(self) -> AsyncStream[T, S]:
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
                missing = self._ended()
                if missing is not None:
                    raise missing
                raise StopAsyncIteration
            self._take(response)
        return self._pending.popleft()

    async def __aenter__(self) -> AsyncStream[T, S]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if not self._done:
            self.cancel()


class Client(ClientBase):
    """An asyncio client of one sidecard daemon; arguments as :class:`sidecard.Client`."""

    _grpc = grpc.aio
    _awaited = (_calls.Unary, _calls.Collected)
    _stream_name = "AsyncStream"

    # --- how calls are made ---------------------------------------------------

    async def _unary(self, call: _calls.Unary[R]) -> R:
        """Makes a unary call, mapping a failure to a SidecardError subclass."""
        try:
            answer = await self._start(call)
        except grpc.RpcError as error:
            raise from_rpc_error(error, self.address) from None
        return call.result(answer)

    def _streaming(self, call: _calls.Streaming[T, S]) -> AsyncStream[T, S]:
        """Starts a server-streaming call."""
        return AsyncStream(self._start(call), call.unpack, self.address)

    async def _collected(self, call: _calls.Collected[R]) -> R:
        """Reads a stream to its end: all items, or written to the output."""
        stream = self._streaming(call.stream)
        if call.output is None:
            return call.result([item async for item in stream], stream.summary)
        with output_file(call.output) as out:
            async for chunk in stream:
                out.write(chunk)
        return call.result(None, stream.summary)

    @classmethod
    def _doc(cls, name: str, doc: str) -> str:
        return f"See :meth:`sidecard.Client.{name}`."

    def watch(self, root: RequestPath, cursor: str | None = None) -> AsyncWatchStream:
        """See :meth:`sidecard.Client.watch`; an async iterator (``await stream.started()``)."""
        call = self._stub.Watch(watch_request(root, cursor), timeout=None, metadata=self._metadata)
        return AsyncWatchStream(call, self.address)

    async def close(self) -> None:
        """Closes the channel; calls in progress are cancelled."""
        await self._channel.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
