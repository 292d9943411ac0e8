"""The old ``image_sidecar_rust`` package, answered by the sidecard daemon.

    from sidecard.compat.image_sidecar_rust import ImageSidecar, OperationType

    sidecar = ImageSidecar()
    info = sidecar.save_data("/photos/IMG_1.jpg", OperationType.UNIFIED, {"faces": []})
    document = sidecar.read_data("/photos/IMG_1.jpg")

The same layout as before: :mod:`.core` (``ImageSidecar``, ``SidecarFormat``,
``OperationType``), :mod:`.exceptions` (``SidecarError`` and its subclasses) and
the native module (here :mod:`.native`; ``image_sidecar_rust.image_sidecar_rust``
under the opt-in name). To let unchanged code ``import image_sidecar_rust``,
install the opt-in facade or put ``<build>/python/compat`` on the Python path
(client/python/README.md).

.. warning::
   ``cleanup_orphaned(directory)`` **deletes** orphaned sidecars and
   ``convert_directory_format`` rewrites files, as the old package did (set
   ``SIDECARD_COMPAT_CLEANUP=quarantine`` to quarantine orphans instead).
"""

from sidecard._version import __version__
from sidecard.compat.image_sidecar_rust.core import ImageSidecar, OperationType, SidecarFormat
from sidecard.compat.image_sidecar_rust.exceptions import (
    FormatError,
    IOWarning,
    SidecarError,
    StatisticsError,
    ValidationError,
)

__all__ = [
    "ImageSidecar",
    "SidecarFormat",
    "OperationType",
    "SidecarError",
    "ValidationError",
    "StatisticsError",
    "FormatError",
    "IOWarning",
    "__version__",
]
