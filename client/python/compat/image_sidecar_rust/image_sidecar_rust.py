"""Opt-in shim: the old native module ``image_sidecar_rust.image_sidecar_rust``,
answered by the daemon (:mod:`sidecard.compat.image_sidecar_rust.native`)."""

from sidecard.compat.image_sidecar_rust.native import *  # noqa: F401,F403
from sidecard.compat.image_sidecar_rust.native import __all__  # noqa: F401
