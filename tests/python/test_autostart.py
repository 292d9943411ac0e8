"""Zero-setup: a client that may autostart starts (and then reuses) a private daemon."""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path
from typing import Iterator

import pytest

import sidecard
from conftest import DAEMON_BINARY
from sidecard import autostart


@pytest.fixture
def user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fake user session: HOME and XDG_RUNTIME_DIR in tmp_path, no system daemon.

    Yields the runtime directory; stops any private daemon started meanwhile
    (SIGTERM) and checks that it exited cleanly.
    """
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("SIDECARD_BINARY", str(DAEMON_BINARY))
    monkeypatch.setattr(autostart, "SYSTEM_ADDRESS", f"unix:{tmp_path / 'no-system.sock'}")
    started_before = len(autostart._started)
    yield runtime
    for process in autostart._started[started_before:]:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_autostart_starts_a_private_daemon_and_reuses_it(user: Path) -> None:
    home = Path(os.environ["HOME"])
    (home / "photos").mkdir()
    (home / "photos" / "IMG_1.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    socket = user / "sidecard" / "sidecard.sock"

    with sidecard.Client(autostart=True) as client:
        assert client.address == f"unix:{socket}" == autostart.private_address()
        info = client.server_info()
        assert info["allowed_roots"] == [str(home.resolve())]
        assert client.stats(home / "photos")["total_images"] == 1
    directory = socket.parent
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert int((directory / "sidecard.pid").read_text()) == info["pid"]

    with sidecard.Client(autostart=True) as again:
        assert again.server_info()["pid"] == info["pid"]


def test_autostart_over_a_socket_left_by_a_crash(user: Path) -> None:
    # The daemon replaces a socket nobody answers on (the client no longer
    # unlinks it: that would strand a daemon that is merely slow to answer).
    import socket as sockets

    directory = user / "sidecard"
    directory.mkdir(mode=0o700)
    stale = sockets.socket(sockets.AF_UNIX)
    stale.bind(str(directory / "sidecard.sock"))
    stale.close()
    assert (directory / "sidecard.sock").exists()
    with sidecard.Client(autostart=True) as client:
        assert client.health() == "SERVING"


def test_autostart_from_the_environment_with_a_requested_root(
    user: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIDECARD_AUTOSTART", "1")
    monkeypatch.setenv("SIDECARD_AUTOSTART_ROOT", str(tmp_path))
    with sidecard.Client() as client:
        assert client.address == autostart.private_address()
        assert client.server_info()["allowed_roots"] == [str(tmp_path.resolve())]


def test_no_autostart_unless_allowed(user: Path) -> None:
    with sidecard.Client() as client:
        with pytest.raises(sidecard.Unavailable):
            client.health()
    assert not (user / "sidecard").exists()


def test_no_autostart_for_an_explicit_or_remote_address(user: Path) -> None:
    for address in ("127.0.0.1:1", f"unix:{user / 'elsewhere.sock'}"):
        with sidecard.Client(address, autostart=True, timeout=2) as client:
            assert client.address == address
            with pytest.raises(sidecard.Unavailable):
                client.health()
    assert not (user / "sidecard").exists()


def test_a_directory_others_can_enter_is_refused(user: Path) -> None:
    (user / "sidecard").mkdir(mode=0o755)
    os.chmod(user / "sidecard", 0o755)
    with pytest.raises(sidecard.PermissionDenied, match="private"):
        sidecard.Client(autostart=True)


def test_without_xdg_runtime_dir_the_socket_is_under_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = f"unix:/tmp/sidecard-{os.getuid()}/sidecard.sock"
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    assert autostart.private_address() == expected
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "missing"))
    assert autostart.private_address() == expected


def test_a_missing_binary_is_reported(user: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIDECARD_BINARY", str(user / "no-such-sidecard"))
    with pytest.raises(sidecard.Unavailable, match="SIDECARD_BINARY"):
        sidecard.Client(autostart=True)


def test_the_native_command_line_autostarts_through_python(user: Path) -> None:
    # sportball-sidecar-rust is native; with SIDECARD_AUTOSTART it hands the
    # call to its Python implementation, which starts the private daemon.
    import json
    import subprocess
    import time

    from conftest import CLI

    home = Path(os.environ["HOME"])
    (home / "photos").mkdir()
    (home / "photos" / "IMG_1.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    environment = {key: value for key, value in os.environ.items() if key != "SIDECARD_ADDRESS"}
    environment["SIDECARD_AUTOSTART"] = "1"
    done = subprocess.run([str(CLI), "stats", "--input", str(home / "photos")],
                          capture_output=True, text=True, env=environment, timeout=60)
    pid_file = user / "sidecard" / "sidecard.pid"
    try:
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["total_images"] == 1
        assert pid_file.exists()
    finally:
        if pid_file.exists():  # the daemon outlives the command; stop it
            pid = int(pid_file.read_text())
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
                time.sleep(0.05)


def test_sidecarctl_finds_the_private_daemon(user: Path) -> None:
    # Without --address or SIDECARD_ADDRESS, sidecarctl looks where the Python
    # client does: the system socket if a daemon answers there, else the
    # private daemon's socket.
    import json
    import socket as sockets
    import subprocess

    from conftest import BUILD_DIR

    with sockets.socket(sockets.AF_UNIX) as probe:
        if probe.connect_ex("/run/sidecard/sidecard.sock") == 0:
            pytest.skip("a system daemon answers on /run/sidecard/sidecard.sock")
    sidecarctl = BUILD_DIR / "client" / "cpp" / "sidecarctl"
    environment = {key: value for key, value in os.environ.items() if key != "SIDECARD_ADDRESS"}

    nothing = subprocess.run([str(sidecarctl), "health"], capture_output=True, text=True,
                             env=environment, timeout=30)
    assert nothing.returncode == 3, nothing.stderr
    assert "/run/sidecard/sidecard.sock" in nothing.stderr

    with sidecard.Client(autostart=True) as client:
        pid = client.server_info()["pid"]
    done = subprocess.run([str(sidecarctl), "--json", "info"], capture_output=True, text=True,
                          env=environment, timeout=30)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pid"] == pid
    helped = subprocess.run([str(sidecarctl), "--help"], capture_output=True, text=True,
                            env=environment, timeout=30)
    assert f"(now: {autostart.private_address()})" in helped.stdout

    # Another user's directory (here: one others may enter) is not trusted.
    os.chmod(user / "sidecard", 0o755)
    try:
        refused = subprocess.run([str(sidecarctl), "health"], capture_output=True, text=True,
                                 env=environment, timeout=30)
        assert refused.returncode == 3, refused.stdout
    finally:
        os.chmod(user / "sidecard", 0o700)
