"""Opt-in shim: the old ``image_sidecar_rust.core`` (:mod:`sidecard.compat.image_sidecar_rust.core`)."""

from sidecard.compat.image_sidecar_rust.core import *  # noqa: F401,F403
from sidecard.compat.image_sidecar_rust.core import __all__  # noqa: F401
