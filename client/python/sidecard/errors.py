"""Exceptions raised by the sidecard client: one class per gRPC status code.

Every failed call raises a :class:`SidecardError` subclass chosen by the status
code the daemon (or the transport) returned. ``SidecardError`` derives from
``RuntimeError`` because the old ``sportball-sidecar-rust`` wrappers raised
``RuntimeError``: code that caught that keeps working.
"""

from __future__ import annotations

import grpc


class SidecardError(RuntimeError):
    """A call to sidecard failed.

    Attributes:
        code: the gRPC status code of the failure.
        details: the daemon's (or the transport's) explanation.
        address: the daemon address the call went to, when known.
    """

    def __init__(self, code: grpc.StatusCode, details: str, address: str | None = None) -> None:
        self.code = code
        self.details = details
        self.address = address
        where = f" (sidecard at {address})" if address else ""
        super().__init__(f"{code.name}: {details}{where}")


class InvalidArgument(SidecardError):
    """The request was malformed (a relative path, a bad operation name, ...)."""


class NotFound(SidecardError):
    """The root directory or the image does not exist."""


class PermissionDenied(SidecardError):
    """The path lies outside the daemon's allowed roots, or writes are not allowed."""


class FailedPrecondition(SidecardError):
    """The files are not in a state the call can work on (e.g. a corrupt sidecar on save)."""


class Aborted(SidecardError):
    """Another program kept writing the same sidecar during a save; nothing was saved, retry."""


class Unauthenticated(SidecardError):
    """The token is missing or wrong."""


class ResourceExhausted(SidecardError):
    """A limit of the daemon was reached (payload size, queue length, ...)."""


class Unavailable(SidecardError):
    """The daemon cannot be reached (not running, wrong address) or is shutting down."""


class DeadlineExceeded(SidecardError):
    """The call did not finish within its timeout; the daemon stops the work."""


class Cancelled(SidecardError):
    """The call was cancelled."""


class Unimplemented(SidecardError):
    """The daemon does not implement this call (an older daemon than the client)."""


_BY_CODE: dict[grpc.StatusCode, type[SidecardError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.ABORTED: Aborted,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.CANCELLED: Cancelled,
    grpc.StatusCode.UNIMPLEMENTED: Unimplemented,
}


def error_for(code: grpc.StatusCode, details: str, address: str | None = None) -> SidecardError:
    """Returns the exception for a status code: its named class, or SidecardError."""
    return _BY_CODE.get(code, SidecardError)(code, details, address)


def from_rpc_error(error: grpc.RpcError, address: str | None = None) -> SidecardError:
    """Converts a failed gRPC call (sync or asyncio) into a SidecardError subclass."""
    code = error.code() if callable(getattr(error, "code", None)) else grpc.StatusCode.UNKNOWN
    details = error.details() if callable(getattr(error, "details", None)) else str(error)
    return error_for(code or grpc.StatusCode.UNKNOWN, details or "", address)
