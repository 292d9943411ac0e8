"""sidecard: the Python client of the sidecard daemon.

    import sidecard

    client = sidecard.Client()                 # $SIDECARD_ADDRESS or the system socket
    print(client.stats("/photos")["coverage_percentage"])

- :class:`Client` (blocking) and :class:`sidecard.aio.Client` (asyncio): one
  method per RPC, plain dicts and dataclasses out.
- :mod:`sidecard.types`: the TypedDicts that describe those dicts
  (:class:`FileReport`, :class:`Stats`, :class:`ServerInfo`, ...), for
  editors and type checkers.
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
    CacheFigures,
    CleanupActionName,
    CleanupItem,
    CleanupModeName,
    CleanupSummary,
    ConvertActionName,
    ConvertItem,
    ConvertSummary,
    DocumentLayoutName,
    ExportSummary,
    FileReport,
    FindSummary,
    FoundImage,
    HealthStatus,
    MethodFigures,
    PruneActionName,
    PruneItem,
    PruneSummary,
    PurgeActionName,
    QuarantineBatch,
    QuarantineFile,
    QuarantineListSummary,
    QuarantinePurgeItem,
    QuarantinePurgeSummary,
    QuarantineRestoreItem,
    QuarantineRestoreSummary,
    ReadSidecarResult,
    RestoreActionName,
    SaveSidecarResult,
    ServerInfo,
    SidecarFormatName,
    SkippedSidecar,
    StartupSweepFigures,
    Stats,
    ValidateSummary,
    ChangeKindName,
    SidecarChange,
    WatchReset,
    WatchResetReasonName,
)
from sidecard._watch import WatchEvent, WatchStream, is_change, is_reset

__all__ = [
    "SYSTEM_ADDRESS",
    "Aborted",
    "CacheFigures",
    "Cancelled",
    "ChangeKindName",
    "CleanupActionName",
    "CleanupItem",
    "CleanupModeName",
    "CleanupResult",
    "CleanupSummary",
    "Client",
    "ConvertActionName",
    "ConvertItem",
    "ConvertResult",
    "ConvertSummary",
    "DeadlineExceeded",
    "DocumentLayoutName",
    "ExportResult",
    "ExportSummary",
    "FailedPrecondition",
    "FileReport",
    "FindSummary",
    "FoundImage",
    "HealthStatus",
    "InvalidArgument",
    "MethodFigures",
    "NotFound",
    "PermissionDenied",
    "PruneActionName",
    "PruneItem",
    "PruneResult",
    "PruneSummary",
    "PurgeActionName",
    "QuarantineBatch",
    "QuarantineFile",
    "QuarantineListResult",
    "QuarantineListSummary",
    "QuarantinePurgeItem",
    "QuarantinePurgeResult",
    "QuarantinePurgeSummary",
    "QuarantineRestoreItem",
    "QuarantineRestoreResult",
    "QuarantineRestoreSummary",
    "ReadSidecarResult",
    "ResourceExhausted",
    "RestoreActionName",
    "SaveSidecarResult",
    "ServerInfo",
    "SidecarChange",
    "SidecarFormatName",
    "SidecardError",
    "SkippedSidecar",
    "StartupSweepFigures",
    "Stats",
    "Stream",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "ValidateResult",
    "ValidateSummary",
    "WatchEvent",
    "WatchReset",
    "WatchResetReasonName",
    "WatchStream",
    "is_change",
    "is_reset",
    "__version__",
]
