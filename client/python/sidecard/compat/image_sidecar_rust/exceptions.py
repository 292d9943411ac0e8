"""The exception classes of the old ``image_sidecar_rust`` package.

Every failure of :class:`~sidecard.compat.image_sidecar_rust.core.ImageSidecar`
is raised as one of these, so ``except SidecarError`` clauses written for the
old package keep working. They also derive from ``RuntimeError``, which is what
the old native module raised, so ``except RuntimeError`` keeps working too.

When the failure came from the daemon, ``error_code`` is the gRPC status name
(``"NOT_FOUND"``, ``"PERMISSION_DENIED"``, ``"FAILED_PRECONDITION"``, ...) and
``__cause__`` is the :class:`sidecard.SidecardError` with the full details.
"""

from __future__ import annotations


class SidecarError(RuntimeError):
    """Base class of every sidecar failure.

    Attributes:
        message: the human-readable explanation.
        error_code: a code for programs (the gRPC status name), or None.
    """

    def __init__(self, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code


class ValidationError(SidecarError):
    """``validate_sidecars`` failed (for example: the directory does not exist)."""


class StatisticsError(SidecarError):
    """``get_statistics`` or ``get_format_statistics`` failed."""


class FormatError(SidecarError):
    """A format conversion failed, or a format name is unknown."""


class IOWarning(SidecarError):
    """An I/O problem the old package reported as a warning."""


__all__ = ["SidecarError", "ValidationError", "StatisticsError", "FormatError", "IOWarning"]
