"""Fixtures of the Python client tests: the real sidecard daemon, on a Unix
socket in a temporary directory, serving trees with known answers.

Nothing is built here. The build directory is $SIDECARD_BUILD_DIR (default
`build`, relative to the repository root); it must hold the daemon
(server/sidecard) and the Python package (python/, from client/python).
scripts/test-python sets everything up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:
    import sidecard

REPO = Path(__file__).resolve().parents[2]
_build = Path(os.environ.get("SIDECARD_BUILD_DIR", "build"))
BUILD_DIR = _build if _build.is_absolute() else REPO / _build
DAEMON_BINARY = BUILD_DIR / "server" / "sidecard"
PYTHON_DIR = BUILD_DIR / "python"
COMPAT_DIR = PYTHON_DIR / "compat"
CLI = PYTHON_DIR / "bin" / "sportball-sidecar-rust"
# The Python implementation of the same command line, which the native one
# runs for SIDECARD_AUTOSTART (and which its output is compared with).
PYTHON_CLI = PYTHON_DIR / "libexec" / "sidecard" / "rust-cli"

# The package and the opt-in shims, as a user would put them on the path.
for _path in (COMPAT_DIR, PYTHON_DIR):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

# Variables that would make the tests depend on the caller's environment.
_HERMETIC = (
    "SIDECARD_ADDRESS", "SIDECARD_TOKEN", "SIDECARD_TOKEN_FILE", "SIDECARD_TLS",
    "SIDECARD_TLS_CA", "SIDECARD_TLS_CERT", "SIDECARD_TLS_KEY", "SIDECARD_TIMEOUT",
    "SIDECARD_AUTOSTART",
    "SIDECARD_AUTOSTART_ROOT", "SIDECARD_BINARY", "SIDECARD_COMPAT_CLEANUP",
    "SPORTBALL_RUST_BINARY_PATH", "SPORTBALL_RUST_WORKERS", "SPORTBALL_RUST_TIMEOUT",
)


def pytest_configure(config: pytest.Config) -> None:
    """Refuses to run (rather than skip everything) without a build."""
    for needed in (DAEMON_BINARY, PYTHON_DIR / "sidecard" / "_gen", CLI):
        if not needed.exists():
            raise pytest.UsageError(
                f"{needed} is missing: build first (scripts/setup), and set "
                "SIDECARD_BUILD_DIR if the build is not in build/"
            )


@dataclass
class Daemon:
    """A running sidecard process."""

    address: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> int:
        """Sends SIGTERM (the daemon drains and exits) and returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


def start_daemon(
    socket: Path, roots: list[Path], log: Path, extra_args: tuple[str, ...] = ()
) -> Daemon:
    """Starts the built daemon on `socket` (with `extra_args` added to its
    flags) and waits until its health is SERVING.

    The grace period is short because the facades under test keep their
    connections open (the old API has no close()), and a draining daemon waits
    for open connections up to its grace period.
    """
    from sidecard.autostart import is_serving

    address = f"unix:{socket}"
    with open(log, "ab") as log_file:
        process = subprocess.Popen(
            [str(DAEMON_BINARY), "--listen", address, "--log-level", "warn", "--workers", "2",
             "--grace-period", "1"]
            + [arg for root in roots for arg in ("--allowed-root", str(root))]
            + list(extra_args),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
        )
    deadline = time.monotonic() + 15
    while not (socket.exists() and is_serving(address, 0.5)):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"sidecard did not start: {log.read_text(errors='replace')}")
        time.sleep(0.05)
    return Daemon(address, roots[0], process, log)


@pytest.fixture(autouse=True)
def hermetic_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clears the sidecard and sportball variables of the caller's environment."""
    for name in _HERMETIC:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """One daemon for the session; its allowed root holds every test's tree."""
    base = tmp_path_factory.mktemp("daemon")
    root = base / "library"
    root.mkdir()
    running = start_daemon(base / "sidecard.sock", [root], base / "sidecard.log")
    yield running
    assert running.stop() == 0, running.log.read_text(errors="replace")


@pytest.fixture
def library(daemon: Daemon) -> Path:
    """A fresh tree with known answers (tests/python/known_tree.py) under the allowed root."""
    import known_tree

    return known_tree.build(Path(tempfile.mkdtemp(prefix="tree-", dir=daemon.root)))


@pytest.fixture
def client(daemon: Daemon) -> Iterator[sidecard.Client]:
    """A blocking client of the session daemon."""
    import sidecard

    with sidecard.Client(daemon.address) as connected:
        yield connected


@pytest.fixture
def daemon_env(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> Daemon:
    """Points SIDECARD_ADDRESS at the session daemon (for the facades and scripts)."""
    monkeypatch.setenv("SIDECARD_ADDRESS", daemon.address)
    return daemon
