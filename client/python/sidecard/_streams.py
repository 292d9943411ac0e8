"""What the blocking :class:`sidecard.Stream` and the asyncio
:class:`sidecard.aio.AsyncStream` share: the items read but not yet handed
out, the summary that comes last, cancelling. Each reads the call its own way.
"""

from __future__ import annotations

import collections
from typing import Any, Generic, TypeVar

import grpc

from sidecard._calls import Unpack
from sidecard.errors import SidecardError

T = TypeVar("T")
#: The summary dict the stream ends with (a TypedDict of sidecard.types).
S = TypeVar("S")


def missing_summary(address: str) -> SidecardError:
    """The error for a stream that ended without the summary the contract promises."""
    return SidecardError(grpc.StatusCode.INTERNAL, "the stream ended without its summary", address)


class StreamBase(Generic[T, S]):
    """The state of one server-streaming call's items (of type T) and summary (S)."""

    def __init__(self, call: Any, unpack: Unpack, address: str) -> None:
        self._call = call
        self._unpack = unpack
        self._address = address
        self._pending: collections.deque[T] = collections.deque()
        self._done = False
        self._summary: S | None = None

    @property
    def summary(self) -> S:
        """The summary the daemon sends last; RuntimeError before the stream is read."""
        if self._summary is None:
            raise RuntimeError("the summary comes at the end: read the stream to its end first")
        return self._summary

    def _take(self, response: Any) -> None:
        """Queues the items of one streamed message and keeps its summary, if any."""
        items, summary = self._unpack(response)
        self._pending.extend(items)
        if summary is not None:
            self._summary = summary

    def _ended(self) -> SidecardError | None:
        """Marks the call ended; returns the error to raise if the summary never came."""
        self._done = True
        return missing_summary(self._address) if self._summary is None else None

    def cancel(self) -> None:
        """Cancels the call: the daemon stops the work it started for it."""
        self._done = True
        self._call.cancel()
