"""The old tool's Python names, provided by sidecard as an import fallback.

Installing the distribution `sidecard-compat` lets unchanged code run
``import image_sidecar_rust`` and
``from sportball.detection.rust_sidecar import RustSidecarManager`` against the
sidecard daemon. The shims (copied from client/python/compat) live in
``sidecard_compat/shims/``, which is *not* on ``sys.path``: ``sidecard_compat.pth``
appends :class:`ShimFinder` to the end of ``sys.meta_path`` when Python starts,
so it is asked only after Python's own finders have found nothing anywhere on
``sys.path``. Hence:

- where a real ``sportball`` (or ``image_sidecar_rust``) is installed, in any
  site directory or on ``PYTHONPATH``, that one is imported, whole: the
  fallback never provides the top-level name, and never adds a module to a
  package it did not provide;
- no file of another distribution is written or replaced (nothing is installed
  under ``site-packages/sportball``), so installing or uninstalling either
  leaves the other intact.

This module is imported at every interpreter start-up of the environment, so
it imports nothing beyond the standard import machinery.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import ModuleSpec, PathFinder

from sidecard_compat._version import __version__

TYPE_CHECKING = False  # typing is not imported at start-up for this
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

SHIMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shims")


def shim_names() -> frozenset[str]:
    """The top-level names the shims provide (modules and package directories)."""
    try:
        entries = os.listdir(SHIMS)
    except OSError:
        return frozenset()
    names = set()
    for entry in entries:
        if entry.endswith(".py"):
            names.add(entry[:-3])
        elif entry.isidentifier() and os.path.isdir(os.path.join(SHIMS, entry)):
            names.add(entry)
    return frozenset(names)


class ShimFinder:
    """A meta path finder of last resort for the shims' top-level names.

    Submodules are not its business: once it has provided a package, Python
    finds the package's modules through its ``__path__`` (inside the shims);
    a package it did not provide never gets a module from it.
    """

    _names: frozenset[str] | None = None

    @classmethod
    def find_spec(
        cls, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if path is not None or "." in fullname:
            return None
        if cls._names is None:
            cls._names = shim_names()
        if fullname not in cls._names:
            return None
        location = os.path.join(SHIMS, fullname)
        if os.path.isdir(location) and not os.path.isfile(os.path.join(location, "__init__.py")):
            # A namespace package (`sportball`): its path is the shims' directory
            # alone, never recomputed from sys.path.
            spec = ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [location]
            return spec
        return PathFinder.find_spec(fullname, [SHIMS], target)

    @classmethod
    def invalidate_caches(cls) -> None:
        cls._names = None


def install() -> None:
    """Appends the finder to sys.meta_path (once); run by sidecard_compat.pth."""
    if ShimFinder not in sys.meta_path:
        sys.meta_path.append(ShimFinder)


__all__ = ["SHIMS", "ShimFinder", "__version__", "install", "shim_names"]
