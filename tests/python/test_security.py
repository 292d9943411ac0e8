"""TLS, bearer tokens and roles through the Python clients, against the real
daemon with a TCP listener and certificates made by `openssl` for the test."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

import known_tree
import sidecard
import sidecard.aio
from conftest import DAEMON_BINARY

READ_WRITE = "py-rw-token-5f0e1d2c3b4a"
READ_ONLY = "py-ro-token-a4b3c2d1e0f9"

_PKI_SCRIPT = r"""set -e
for ca in ca other-ca; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $ca.key \
    -out $ca.pem -days 2 -subj /CN=$ca 2>/dev/null
done
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
sign() {  # name CN CA extension-file
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key -out $1.csr \
    -subj /CN=$2 2>/dev/null
  openssl x509 -req -in $1.csr -CA $3.pem -CAkey $3.key -CAcreateserial -days 2 \
    -extfile $4 -out $1.pem 2>/dev/null
}
sign server localhost ca server.ext
sign client client ca client.ext
sign stranger stranger other-ca client.ext
"""


@dataclass
class TlsDaemon:
    """A daemon with a TLS TCP listener beside its Unix socket."""

    tcp: str
    unix: str
    root: Path
    pki: Path
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CA, server certificate for 127.0.0.1, client certificates, token files."""
    directory = tmp_path_factory.mktemp("pki")
    subprocess.run(["/bin/sh", "-c", _PKI_SCRIPT], cwd=directory, check=True)
    tokens = directory / "tokens"
    tokens.write_text(f"read-write {READ_WRITE}\nread-only {READ_ONLY}\n")
    tokens.chmod(0o600)
    (directory / "rw.token").write_text(f"# the pipeline's token\n{READ_WRITE}\n")
    (directory / "ro.token").write_text(f"{READ_ONLY}\n")
    return directory


def _start(base: Path, pki: Path, extra: list[str]) -> Iterator[TlsDaemon]:
    from sidecard.autostart import is_serving

    root = base / "library"
    root.mkdir()
    socket = base / "sidecard.sock"
    log = base / "sidecard.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            [str(DAEMON_BINARY), "--allowed-root", str(root), "--workers", "2",
             "--grace-period", "1", "--listen", f"unix:{socket}", "--listen", "127.0.0.1:0",
             "--tls-cert", str(pki / "server.pem"), "--tls-key", str(pki / "server.key"),
             "--token-file", str(pki / "tokens")] + extra,
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
        )
    deadline = time.monotonic() + 15
    while not (socket.exists() and is_serving(f"unix:{socket}", 0.5)):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"sidecard did not start: {log.read_text(errors='replace')}")
        time.sleep(0.05)
    found = re.search(r"listening on (127\.0\.0\.1:\d+) \(", log.read_text())
    assert found, log.read_text()
    yield TlsDaemon(found.group(1), f"unix:{socket}", root, pki, process, log)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0, log.read_text(errors="replace")


@pytest.fixture(scope="module")
def tls_daemon(tmp_path_factory: pytest.TempPathFactory, pki: Path) -> Iterator[TlsDaemon]:
    yield from _start(tmp_path_factory.mktemp("tls"), pki, [])


@pytest.fixture(scope="module")
def mtls_daemon(tmp_path_factory: pytest.TempPathFactory, pki: Path) -> Iterator[TlsDaemon]:
    client_ca = ["--tls-client-ca", str(pki / "ca.pem")]
    yield from _start(tmp_path_factory.mktemp("mtls"), pki, client_ca)


@pytest.fixture
def tree(tls_daemon: TlsDaemon, tmp_path: Path) -> Path:
    directory = tls_daemon.root / tmp_path.name
    directory.mkdir()
    return known_tree.build(directory)


def _listing(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def test_tls_and_a_read_write_token(tls_daemon: TlsDaemon, tree: Path) -> None:
    with sidecard.Client(tls_daemon.tcp, token=READ_WRITE, tls_ca=tls_daemon.pki / "ca.pem") as c:
        assert c.stats(tree)["total_images"] == 5
        saved = c.save_sidecar(tree / known_tree.NO_SIDECAR, "face_detection", {"success": True})
        assert saved["created"] is True
        assert c.cleanup(tree, "delete").summary["orphans_found"] == 1
    assert not (tree / known_tree.ORPHAN).exists()


def test_no_or_an_unknown_token_is_unauthenticated(tls_daemon: TlsDaemon, tree: Path) -> None:
    ca = tls_daemon.pki / "ca.pem"
    with sidecard.Client(tls_daemon.tcp, tls_ca=ca) as anonymous:
        with pytest.raises(sidecard.Unauthenticated, match="missing bearer token"):
            anonymous.stats(tree)
        assert anonymous.health() == "SERVING"  # probes need no token
    with sidecard.Client(tls_daemon.tcp, token=READ_WRITE + "x", tls_ca=ca) as wrong:
        with pytest.raises(sidecard.Unauthenticated, match="unknown token"):
            wrong.stats(tree)
    assert READ_WRITE not in tls_daemon.log.read_text()


def test_a_read_only_token_reads_and_changes_nothing(tls_daemon: TlsDaemon, tree: Path) -> None:
    before = _listing(tree)
    with sidecard.Client(
        tls_daemon.tcp, token_file=tls_daemon.pki / "ro.token", tls_ca=tls_daemon.pki / "ca.pem"
    ) as reader:
        assert reader.validate(tree).summary["total_files"] == 5
        assert reader.cleanup(tree).summary["orphans_found"] == 1  # a dry run
        with pytest.raises(sidecard.PermissionDenied, match="read-only.*SaveSidecar"):
            reader.save_sidecar(tree / known_tree.NO_SIDECAR, "face_detection", {"success": True})
        for mode in ("delete", "quarantine"):
            with pytest.raises(sidecard.PermissionDenied, match="Cleanup"):
                reader.cleanup(tree, mode)
    assert _listing(tree) == before


def test_plaintext_to_the_tls_port_fails(tls_daemon: TlsDaemon, tree: Path) -> None:
    with sidecard.Client(tls_daemon.tcp, token=READ_WRITE, timeout=5) as plaintext:
        with pytest.raises(sidecard.Unavailable):
            plaintext.stats(tree)


def test_the_environment_configures_tls_and_the_token(
    tls_daemon: TlsDaemon, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIDECARD_ADDRESS", tls_daemon.tcp)
    monkeypatch.setenv("SIDECARD_TLS_CA", str(tls_daemon.pki / "ca.pem"))
    monkeypatch.setenv("SIDECARD_TOKEN_FILE", str(tls_daemon.pki / "ro.token"))
    with sidecard.Client() as client:
        assert client.stats(tree)["total_sidecar_files"] == 5
        with pytest.raises(sidecard.PermissionDenied):
            client.save_sidecar(tree / known_tree.NO_SIDECAR, "face_detection", {})
    # The daemon's `ROLE TOKEN` file is not a client token file.
    monkeypatch.setenv("SIDECARD_TOKEN_FILE", str(tls_daemon.pki / "tokens"))
    with pytest.raises(ValueError, match="token alone"):
        sidecard.Client()
    # On the Unix socket TLS settings are ignored and no token is needed.
    monkeypatch.delenv("SIDECARD_TOKEN_FILE")
    with sidecard.Client(tls_daemon.unix) as local:
        assert local.stats(tree)["total_images"] == 5


def test_the_asyncio_client(tls_daemon: TlsDaemon, tree: Path) -> None:
    ca = tls_daemon.pki / "ca.pem"

    async def main() -> None:
        async with sidecard.aio.Client(tls_daemon.tcp, token=READ_WRITE, tls_ca=ca) as writer:
            assert (await writer.stats(tree))["total_images"] == 5
            saved = await writer.save_sidecar(
                tree / known_tree.NO_SIDECAR, "face_detection", {"success": True}
            )
            assert saved["created"] is True
        async with sidecard.aio.Client(tls_daemon.tcp, token=READ_ONLY, tls_ca=ca) as reader:
            assert (await reader.validate(tree)).summary["total_files"] == 6  # with the save
            with pytest.raises(sidecard.PermissionDenied):
                await reader.cleanup(tree, "delete")
        async with sidecard.aio.Client(tls_daemon.tcp, tls_ca=ca) as anonymous:
            with pytest.raises(sidecard.Unauthenticated):
                await anonymous.stats(tree)

    asyncio.run(main())
    assert (tree / known_tree.ORPHAN).exists()


def test_mutual_tls(mtls_daemon: TlsDaemon) -> None:
    pki = mtls_daemon.pki
    with sidecard.Client(
        mtls_daemon.tcp, token=READ_ONLY, tls_ca=pki / "ca.pem",
        tls_cert=pki / "client.pem", tls_key=pki / "client.key",
    ) as client:
        assert client.stats(mtls_daemon.root)["total_images"] == 0
    for cert in (None, "stranger"):
        extra = {} if cert is None else {
            "tls_cert": pki / f"{cert}.pem", "tls_key": pki / f"{cert}.key"}
        with sidecard.Client(
            mtls_daemon.tcp, token=READ_ONLY, tls_ca=pki / "ca.pem", timeout=5, **extra
        ) as refused:
            with pytest.raises(sidecard.Unavailable):
                refused.stats(mtls_daemon.root)
