"""Opt-in shim: ``sportball.detection.rust_sidecar`` for code that imports it
where sportball itself is not installed (yagg, scripts).

``sportball`` and ``sportball.detection`` here are namespace packages (no
``__init__.py``), so a real sportball installation always wins over this shim
and is never shadowed. Put ``<build>/python`` and ``<build>/python/compat`` on
the Python path to use it; the real module lives in
:mod:`sidecard.compat.rust_sidecar`.
"""

from sidecard.compat.rust_sidecar import RustSidecarConfig, RustSidecarManager

__all__ = ["RustSidecarConfig", "RustSidecarManager"]
