"""Opt-in shim: ``import image_sidecar_rust`` finds sidecard's replacement of the
old package (:mod:`sidecard.compat.image_sidecar_rust`), with its submodules
``core``, ``exceptions`` and the native ``image_sidecar_rust.image_sidecar_rust``.
"""

from sidecard.compat.image_sidecar_rust import *  # noqa: F401,F403
from sidecard.compat.image_sidecar_rust import __all__, __version__  # noqa: F401
