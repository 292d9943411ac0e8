"""The Watch change feed as a blocking iterator (:class:`WatchStream`, from
:meth:`sidecard.Client.watch`) and an async one (:class:`AsyncWatchStream`,
from :meth:`sidecard.aio.Client.watch`).

Each item is a :class:`~sidecard.types.SidecarChange` (a sidecar file created,
changed or removed) or a :class:`~sidecard.types.WatchReset` (changes were
missed: list the tree again, then go on); :func:`is_reset` and :func:`is_change`
tell them apart (and narrow the type).
The stream never ends on its own: stop it with :meth:`~WatchStream.cancel` or
by leaving its ``with`` block. :attr:`~WatchStream.cursor` is where the stream
stands: give it to ``watch(root, cursor=...)`` after a reconnect to get every
change since (or a reset).
"""

from __future__ import annotations

import collections
from typing import Any, TypeGuard, Union, cast

import grpc
import grpc.aio

from sidecard import _convert
from sidecard._paths import RequestPath
from sidecard._requests import path_field
from sidecard._stubs import sidecar_pb2 as pb
from sidecard.errors import from_rpc_error
from sidecard.types import SidecarChange, WatchReset

#: One item of a watch stream.
WatchEvent = Union[SidecarChange, WatchReset]


def is_reset(event: WatchEvent) -> TypeGuard[WatchReset]:
    """True for a reset (changes were missed: resynchronise), False for a change."""
    return "reason" in event


def is_change(event: WatchEvent) -> TypeGuard[SidecarChange]:
    """True for a change (a sidecar created, changed or removed), False for a reset."""
    return "kind" in event


def watch_request(root: RequestPath, cursor: str | None) -> pb.WatchRequest:
    """A WatchRequest."""
    return pb.WatchRequest(**path_field("root", root), cursor=cursor or "")


class _WatchState:
    """What both streams share: the items read but not handed out, the cursor."""

    def __init__(self, call: Any, address: str) -> None:
        self._call = call
        self._address = address
        self._pending: collections.deque[WatchEvent] = collections.deque()
        self._started = False
        self._done = False
        #: Where the stream stands: the start cursor, then that of the last
        #: item handed out ("" until the daemon confirmed the watch).
        self.cursor = ""

    def _take(self, response: Any) -> None:
        if response.HasField("started"):
            self._started = True
            self.cursor = response.started.cursor
        if response.HasField("reset"):
            self._pending.append(cast(WatchReset, _convert.to_dict(response.reset)))
        for change in response.changes:
            self._pending.append(cast(SidecarChange, _convert.to_dict(change)))

    def _hand_out(self) -> WatchEvent:
        event = self._pending.popleft()
        self.cursor = event["cursor"]
        return event

    def _failed(self, error: grpc.RpcError) -> Exception:
        self._done = True
        return from_rpc_error(error, self._address)

    def cancel(self) -> None:
        """Ends the watch; the daemon frees its subscription."""
        self._done = True
        self._call.cancel()


class WatchStream(_WatchState):
    """The changes under a root as they happen, as a blocking iterator."""

    def started(self) -> str:
        """Waits until the daemon watches the tree; returns the start cursor.

        Raises the call's error (FailedPrecondition with ``--no-watch`` or a
        tree that cannot be watched, NotFound, PermissionDenied, ...).
        """
        while not self._started:
            self._read()
        return self.cursor

    def _read(self) -> None:
        try:
            response = next(self._call)
        except StopIteration:
            self._done = True
            raise
        except grpc.RpcError as error:
            raise self._failed(error) from None
        self._take(response)

    def __iter__(self) -> WatchStream:
        return self

    def __next__(self) -> WatchEvent:
        while not self._pending:
            if self._done:
                raise StopIteration
            self._read()
        return self._hand_out()

    def __enter__(self) -> WatchStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._done:
            self.cancel()


class AsyncWatchStream(_WatchState):
    """The changes under a root as they happen, as an async iterator."""

    async def started(self) -> str:
        """Waits until the daemon watches the tree; returns the start cursor
        (raises the call's error, as :meth:`WatchStream.started`)."""
        while not self._started:
            if not await self._read():
                raise StopAsyncIteration
        return self.cursor

    async def _read(self) -> bool:
        try:
            response = await self._call.read()
        except grpc.RpcError as error:
            raise self._failed(error) from None
        if response is grpc.aio.EOF:
            self._done = True
            return False
        self._take(response)
        return True

    def __aiter__(self) -> AsyncWatchStream:
        return self

    async def __anext__(self) -> WatchEvent:
        while not self._pending:
            if self._done or not await self._read():
                raise StopAsyncIteration
        return self._hand_out()

    async def __aenter__(self) -> AsyncWatchStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if not self._done:
            self.cancel()
