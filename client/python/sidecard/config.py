"""Where the client finds the daemon: arguments first, then the environment.

Environment variables (all optional):

- ``SIDECARD_ADDRESS``: ``unix:/path/to.sock`` or ``host:port``; default
  ``unix:/run/sidecard/sidecard.sock`` (the system daemon).
- ``SIDECARD_TOKEN``: sent as ``authorization: Bearer <token>`` on every call
  (a daemon's TCP listener requires one).
- ``SIDECARD_TOKEN_FILE``: a file whose first line (not blank, not a ``#``
  comment) is the token, when ``SIDECARD_TOKEN`` is not set.
- ``SIDECARD_TLS``: ``1`` connects to TCP addresses with TLS, verifying the
  daemon against the system's root certificates.
- ``SIDECARD_TLS_CA``: PEM file of the CA that signed the daemon's certificate
  (implies TLS).
- ``SIDECARD_TLS_CERT`` and ``SIDECARD_TLS_KEY``: PEM client certificate and
  key, for a daemon that requires mutual TLS (imply TLS).
- ``SIDECARD_TIMEOUT``: deadline of each call in seconds (a streamed call as a
  whole); unset or ``0``: no deadline.
- ``SIDECARD_AUTOSTART``: ``1`` lets a client start a private daemon when the
  default address does not answer (see :mod:`sidecard.autostart`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sidecard._paths import PathArg

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
    #: TLS for TCP addresses (never used on a Unix socket).
    tls: bool = False
    #: PEM bytes: the CA that signed the daemon's certificate (None: system roots).
    tls_ca: bytes | None = None
    #: PEM bytes: client certificate and key, for mutual TLS.
    tls_cert: bytes | None = None
    tls_key: bytes | None = None


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


def read_token_file(path: PathArg) -> str:
    """The token in a client token file: its first line that is neither blank
    nor a ``#`` comment, alone (not the daemon's ``ROLE TOKEN`` lines)."""
    with open(path, encoding="utf-8") as file:
        for line in file:
            token = line.strip()
            if not token or token.startswith("#"):
                continue
            if len(token.split()) != 1:
                raise ValueError(
                    f"{os.fspath(path)} must hold the token alone on its line (a client token "
                    "file, not the daemon's `ROLE TOKEN` lines)"
                )
            return token
    raise ValueError(f"{os.fspath(path)} holds no token")


def _pem(argument: PathArg | None, variable: str) -> bytes | None:
    """The bytes of the PEM file named by `argument`, else by the variable."""
    path = argument if argument is not None else os.environ.get(variable, "").strip() or None
    if path is None:
        return None
    with open(path, "rb") as file:
        return file.read()


def _token(token: str | None, token_file: PathArg | None) -> str | None:
    """Token argument, token file argument, $SIDECARD_TOKEN, $SIDECARD_TOKEN_FILE."""
    if token:
        return token
    if token_file is not None:
        return read_token_file(token_file)
    if os.environ.get("SIDECARD_TOKEN"):
        return os.environ["SIDECARD_TOKEN"]
    path = os.environ.get("SIDECARD_TOKEN_FILE", "").strip()
    return read_token_file(path) if path else None


def resolve(
    address: str | None = None,
    token: str | None = None,
    timeout: float | None = None,
    autostart: bool | None = None,
    *,
    token_file: PathArg | None = None,
    tls: bool | None = None,
    tls_ca: PathArg | None = None,
    tls_cert: PathArg | None = None,
    tls_key: PathArg | None = None,
) -> Settings:
    """Combines explicit arguments with the environment; arguments win."""
    chosen = address or os.environ.get("SIDECARD_ADDRESS", "").strip() or SYSTEM_ADDRESS
    if timeout is None:
        timeout = _env_timeout()
    elif timeout <= 0:
        timeout = None
    ca = _pem(tls_ca, "SIDECARD_TLS_CA")
    cert = _pem(tls_cert, "SIDECARD_TLS_CERT")
    key = _pem(tls_key, "SIDECARD_TLS_KEY")
    if (cert is None) != (key is None):
        raise ValueError("tls_cert and tls_key (SIDECARD_TLS_CERT, SIDECARD_TLS_KEY) go together")
    if tls is None:
        tls = _env_flag("SIDECARD_TLS") or ca is not None or cert is not None
    return Settings(
        address=chosen,
        default_address=chosen == SYSTEM_ADDRESS,
        token=_token(token, token_file),
        timeout=timeout,
        autostart=_env_flag("SIDECARD_AUTOSTART") if autostart is None else autostart,
        tls=tls,
        tls_ca=ca,
        tls_cert=cert,
        tls_key=key,
    )
