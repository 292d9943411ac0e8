"""Zero-setup on one machine: a private sidecard daemon for the current user.

When a client is allowed to autostart (``Client(autostart=True)`` or
``SIDECARD_AUTOSTART=1``) and its address is the default one (no address given,
``SIDECARD_ADDRESS`` unset), it uses, in this order:

1. the system daemon at ``unix:/run/sidecard/sidecard.sock`` if it answers;
2. the user's private daemon at ``$XDG_RUNTIME_DIR/sidecard/sidecard.sock``
   (else ``/tmp/sidecard-$UID/sidecard.sock``) if it answers;
3. a private daemon it starts there, with the user's home directory (or the
   requested ``autostart_root``, or ``$SIDECARD_AUTOSTART_ROOT``) as allowed
   root, waiting until its health service reports SERVING.

The private daemon keeps running for the next client (as Watchman does). Its
directory is created with mode 0700 and refused if it is not the user's own
private directory; ``sidecard.log`` and ``sidecard.pid`` live beside the socket.
A lock file makes concurrent clients start one daemon, not several. The daemon
binary is ``$SIDECARD_BINARY``, else ``sidecard`` on ``PATH``, else the one in the
build tree this package was built in. Remote (TCP) and explicitly chosen
addresses never autostart anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import subprocess
import time
from pathlib import Path
from typing import Iterator

import grpc

from sidecard._paths import PathArg
from sidecard._stubs import health_pb2, health_pb2_grpc
from sidecard.config import SYSTEM_ADDRESS
from sidecard.errors import PermissionDenied, Unavailable

SOCKET_NAME = "sidecard.sock"
START_TIMEOUT_SECONDS = 10.0
_PROBE_SECONDS = 1.0
# Daemons this process started: kept so Python reaps them if they exit while
# this process runs (no zombie) and does not warn that they are still running.
_started: list[subprocess.Popen[bytes]] = []


def private_dir() -> Path:
    """The directory of the user's private daemon (not created): in $XDG_RUNTIME_DIR
    when that is an existing absolute directory, else in /tmp."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(runtime) and os.path.isdir(runtime):
        return Path(runtime) / "sidecard"
    return Path(f"/tmp/sidecard-{os.getuid()}")


def private_address() -> str:
    """The gRPC address of the user's private daemon."""
    return f"unix:{private_dir() / SOCKET_NAME}"


def find_binary() -> str:
    """The sidecard daemon to start: $SIDECARD_BINARY, `sidecard` on PATH, or the build's."""
    configured = os.environ.get("SIDECARD_BINARY", "")
    if configured:
        if not os.access(configured, os.X_OK):
            raise Unavailable(
                grpc.StatusCode.UNAVAILABLE, f"SIDECARD_BINARY={configured} is not an executable"
            )
        return configured
    on_path = shutil.which("sidecard")
    if on_path:
        return on_path
    # This file is <build>/python/sidecard/autostart.py; the daemon <build>/server/sidecard.
    built = Path(__file__).resolve().parents[2] / "server" / "sidecard"
    if os.access(built, os.X_OK):
        return str(built)
    raise Unavailable(
        grpc.StatusCode.UNAVAILABLE,
        "cannot autostart: no sidecard binary (set SIDECARD_BINARY or put sidecard on PATH)",
    )


def is_serving(address: str, timeout: float = _PROBE_SECONDS) -> bool:
    """Whether a daemon answers at `address` with health status SERVING."""
    with grpc.insecure_channel(address) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout
            )
        except grpc.RpcError:
            return False
    return bool(response.status == health_pb2.HealthCheckResponse.SERVING)


def _make_private_dir() -> Path:
    """Creates the private directory (0700) and checks nobody else can use it."""
    directory = private_dir()
    with contextlib.suppress(FileExistsError):
        directory.mkdir(mode=0o700)
    info = directory.lstat()
    if (
        not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.getuid()
        or info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    ):
        raise PermissionDenied(
            grpc.StatusCode.PERMISSION_DENIED,
            f"cannot autostart: {directory} is not a directory private to this user (mode 0700)",
        )
    return directory


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Holds the autostart lock of `directory`, so one client at a time may start a daemon."""
    fd = os.open(directory / "autostart.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _log_tail(log: Path, lines: int = 5) -> str:
    """The last lines of the private daemon's log, for error messages."""
    with contextlib.suppress(OSError):
        return " | ".join(log.read_text(errors="replace").splitlines()[-lines:])
    return ""


def _start(directory: Path, root: str) -> None:
    """Starts a private daemon in `directory` and waits until it is SERVING."""
    socket = directory / SOCKET_NAME
    address = f"unix:{socket}"
    # A socket left by a daemon that died is the daemon's to replace: it
    # refuses one another daemon still holds (answering or not, e.g. busy or
    # draining), where unlinking it here would leave that daemon unreachable.
    log = directory / "sidecard.log"
    with open(log, "ab") as log_file:
        process = subprocess.Popen(
            [find_binary(), "--listen", address, "--allowed-root", root, "--log-level", "warn"],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,  # not killed with the caller's terminal or process group
        )
    _started.append(process)
    (directory / "sidecard.pid").write_text(f"{process.pid}\n")
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        status = process.poll()
        if status is not None:
            raise Unavailable(
                grpc.StatusCode.UNAVAILABLE,
                f"the private sidecard daemon exited with status {status}: {_log_tail(log)}",
                address,
            )
        if socket.exists() and is_serving(address, 0.5):
            return
        time.sleep(0.05)
    process.terminate()
    raise Unavailable(
        grpc.StatusCode.UNAVAILABLE,
        f"the private sidecard daemon did not start within {START_TIMEOUT_SECONDS:g}s: "
        f"{_log_tail(log)}",
        address,
    )


def local_daemon_address(root: PathArg | None = None) -> str:
    """The address of a serving local daemon, starting a private one if none answers.

    Args:
        root: the allowed root of a daemon started now; default
            $SIDECARD_AUTOSTART_ROOT, else the user's home directory.
    """
    system_socket = SYSTEM_ADDRESS.removeprefix("unix:")
    if os.path.exists(system_socket) and is_serving(SYSTEM_ADDRESS):
        return SYSTEM_ADDRESS
    directory = _make_private_dir()
    address = f"unix:{directory / SOCKET_NAME}"
    with _locked(directory):
        if (directory / SOCKET_NAME).exists() and is_serving(address):
            return address
        chosen = root or os.environ.get("SIDECARD_AUTOSTART_ROOT") or Path.home()
        _start(directory, os.path.abspath(chosen))
    return address
