"""The blocking sidecard client.

    import sidecard

    with sidecard.Client() as client:          # $SIDECARD_ADDRESS or the system socket
        stats = client.stats("/photos")
        for report in client.iter_validate("/photos"):
            ...

Every method returns plain dicts (proto field names, every field present,
64-bit integers as ``int``, enums as short names such as ``"bin"``, file paths
as ``str``; see :mod:`sidecard._convert`), described by the TypedDicts of
:mod:`sidecard.types`, or the dataclasses of :mod:`sidecard.results`, and
raises a :class:`sidecard.errors.SidecardError` subclass when a call fails.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from typing import IO, ContextManager, Iterator, TypeVar

import grpc

from sidecard import _calls
from sidecard._api import CHANNEL_OPTIONS, ClientBase, channel_credentials, connect
from sidecard._calls import Unpack
from sidecard._paths import PathArg, RequestPath
from sidecard._streams import StreamBase, missing_summary
from sidecard._watch import WatchStream, watch_request
from sidecard.errors import from_rpc_error

# The plumbing the asyncio client once imported from here lives in _api,
# _calls and _streams now; its names stay importable from here.
__all__ = [
    "CHANNEL_OPTIONS",
    "Client",
    "Stream",
    "Unpack",
    "atomic_output",
    "channel_credentials",
    "connect",
    "missing_summary",
    "output_file",
]

T = TypeVar("T")
S = TypeVar("S")
R = TypeVar("R")


class Stream(StreamBase[T, S]):
    """The items of one server-streaming call, as an iterator: a
    ``Stream[FileReport, ValidateSummary]`` yields FileReport dicts and ends
    with a ValidateSummary (:mod:`sidecard.types`).

    Items arrive as the daemon streams them; :attr:`summary` is the final
    summary dict, available once the stream has been read to the end. Use it as
    a context manager (or call :meth:`cancel`) to stop the daemon's work when
    you stop iterating early.
    """

    def __iter__(self) -> Stream[T, S]:
        return self

    def __next__(self) -> T:
        while not self._pending:
            if self._done:
                raise StopIteration
            try:
                response = next(self._call)
            except StopIteration:
                error = self._ended()
                if error is not None:
                    raise error from None
                raise
            except grpc.RpcError as error:
                self._done = True
                raise from_rpc_error(error, self._address) from None
            self._take(response)
        return self._pending.popleft()

    def __enter__(self) -> Stream[T, S]:
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


class Client(ClientBase):
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

    _grpc = grpc
    _stream_name = "Stream"

    # --- how calls are made ---------------------------------------------------

    def _unary(self, call: _calls.Unary[R]) -> R:
        """Makes a unary call, mapping a failure to a SidecardError subclass."""
        try:
            answer = self._start(call)
        except grpc.RpcError as error:
            raise from_rpc_error(error, self.address) from None
        return call.result(answer)

    def _streaming(self, call: _calls.Streaming[T, S]) -> Stream[T, S]:
        """Starts a server-streaming call."""
        return Stream(self._start(call), call.unpack, self.address)

    def _collected(self, call: _calls.Collected[R]) -> R:
        """Reads a stream to its end: all items, or written to the output."""
        stream = self._streaming(call.stream)
        if call.output is None:
            return call.result(list(stream), stream.summary)
        with output_file(call.output) as out:
            for chunk in stream:
                out.write(chunk)
        return call.result(None, stream.summary)

    def watch(self, root: RequestPath, cursor: str | None = None) -> WatchStream:
        """Watches the sidecar files under `root`: a stream of changes as they happen.

        Items are :class:`~sidecard.types.SidecarChange` dicts (created, changed
        with the operations now present, removed) and, when changes were
        missed, :class:`~sidecard.types.WatchReset` dicts (:func:`sidecard.is_reset`):
        list the tree again, then go on. `cursor`: the ``cursor`` of the last
        item handled before a reconnect; the stream then starts with every
        change since, or with a reset. The stream has no deadline (the
        client's timeout does not apply) and never ends on its own: cancel it
        or leave its ``with`` block. FailedPrecondition when the daemon does
        not watch (``--no-watch``) or the tree cannot be watched.
        """
        call = self._stub.Watch(watch_request(root, cursor), timeout=None, metadata=self._metadata)
        return WatchStream(call, self.address)

    def close(self) -> None:
        """Closes the channel; calls in progress are cancelled."""
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
