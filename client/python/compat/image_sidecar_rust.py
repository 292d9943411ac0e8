"""Opt-in shim: makes ``import image_sidecar_rust`` find sidecard's replacement.

Put ``<build>/python`` and ``<build>/python/compat`` on the Python path (see
client/python/README.md); the real module lives in
:mod:`sidecard.compat.image_sidecar_rust`.
"""

from sidecard.compat.image_sidecar_rust import ImageSidecar, OperationType, SidecarFormat

__all__ = ["ImageSidecar", "OperationType", "SidecarFormat"]
