"""Opt-in shim: the old ``image_sidecar_rust.exceptions``
(:mod:`sidecard.compat.image_sidecar_rust.exceptions`)."""

from sidecard.compat.image_sidecar_rust.exceptions import *  # noqa: F401,F403
from sidecard.compat.image_sidecar_rust.exceptions import __all__  # noqa: F401
