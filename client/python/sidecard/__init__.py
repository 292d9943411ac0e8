"""sidecard: the Python client of the sidecard daemon.

    import sidecard

    client = sidecard.Client()                 # $SIDECARD_ADDRESS or the system socket
    print(client.stats("/photos")["coverage_percentage"])

- :class:`Client` (blocking) and :class:`sidecard.aio.Client` (asyncio): one
  method per RPC, plain dicts and dataclasses out.
- :mod:`sidecard.errors`: one exception class per gRPC status code.
- :mod:`sidecard.autostart`: a private per-user daemon when none is running.
- :mod:`sidecard.compat`: drop-in replacements for the old Rust tool's Python
  API (``RustSidecarManager``, ``image_sidecar_rust``) and its command line.
"""

from sidecard._version import __version__
from sidecard.client import Client, Stream
from sidecard.config import SYSTEM_ADDRESS
from sidecard.errors import (
    Aborted,
    Cancelled,
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    SidecardError,
    Unauthenticated,
    Unavailable,
    Unimplemented,
)
from sidecard.results import CleanupResult, ConvertResult, ExportResult, ValidateResult

__all__ = [
    "SYSTEM_ADDRESS",
    "Aborted",
    "Cancelled",
    "CleanupResult",
    "Client",
    "ConvertResult",
    "DeadlineExceeded",
    "ExportResult",
    "FailedPrecondition",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "ResourceExhausted",
    "SidecardError",
    "Stream",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "ValidateResult",
    "__version__",
]
