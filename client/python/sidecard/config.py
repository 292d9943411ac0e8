"""Where the client finds the daemon: arguments first, then the environment.

Environment variables (all optional):

- ``SIDECARD_ADDRESS``: ``unix:/path/to.sock`` or ``host:port``; default
  ``unix:/run/sidecard/sidecard.sock`` (the system daemon).
- ``SIDECARD_TOKEN``: sent as ``authorization: Bearer <token>`` on every call.
- ``SIDECARD_TIMEOUT``: deadline of each call in seconds (a streamed call as a
  whole); unset or ``0``: no deadline.
- ``SIDECARD_AUTOSTART``: ``1`` lets a client start a private daemon when the
  default address does not answer (see :mod:`sidecard.autostart`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

SYSTEM_ADDRESS = "unix:/run/sidecard/sidecard.sock"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """The resolved connection settings of a client."""

    address: str
    #: True when neither the caller nor SIDECARD_ADDRESS chose another address
    #: than the system default: the only case where autostart may apply.
    default_address: bool
    token: str | None
    timeout: float | None
    autostart: bool


def _env_flag(name: str) -> bool:
    """Reads a boolean environment variable (1/true/yes/on, 0/false/no/off)."""
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={value!r} is not a boolean (use 1 or 0)")


def _env_timeout() -> float | None:
    """Reads SIDECARD_TIMEOUT in seconds; unset, empty or 0 means no deadline."""
    text = os.environ.get("SIDECARD_TIMEOUT", "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"SIDECARD_TIMEOUT={text!r} is not a number of seconds") from None
    return seconds if seconds > 0 else None


def resolve(
    address: str | None = None,
    token: str | None = None,
    timeout: float | None = None,
    autostart: bool | None = None,
) -> Settings:
    """Combines explicit arguments with the environment; arguments win."""
    chosen = address or os.environ.get("SIDECARD_ADDRESS", "").strip() or SYSTEM_ADDRESS
    if timeout is None:
        timeout = _env_timeout()
    elif timeout <= 0:
        timeout = None
    return Settings(
        address=chosen,
        default_address=chosen == SYSTEM_ADDRESS,
        token=token or os.environ.get("SIDECARD_TOKEN") or None,
        timeout=timeout,
        autostart=_env_flag("SIDECARD_AUTOSTART") if autostart is None else autostart,
    )
