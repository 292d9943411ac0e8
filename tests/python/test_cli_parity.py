"""The native old-tool command line against its Python implementation
(sidecard.compat.rust_cli, python/libexec/sidecard/rust-cli), the reference:
on the same trees, with the same arguments, both print the same thing and exit
the same way. Callers that switch from one to the other see no difference."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import known_tree
from conftest import CLI, PYTHON_CLI, Daemon


def run_both(
    *args: str | Path, address: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[subprocess.CompletedProcess[bytes], subprocess.CompletedProcess[bytes]]:
    """(native, python) results of the same command line."""
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SIDECARD_ADDRESS": address}
    environment.update(env or {})
    results = []
    for program in ([str(CLI)], ["/usr/bin/python3", str(PYTHON_CLI)]):
        results.append(subprocess.run(
            [*program, *map(str, args)], capture_output=True, env=environment, timeout=60,
            cwd=cwd,
        ))
    return results[0], results[1]


def assert_same(native: subprocess.CompletedProcess[bytes],
                python: subprocess.CompletedProcess[bytes]) -> None:
    assert native.returncode == python.returncode, (native.stderr, python.stderr)
    assert native.stdout == python.stdout
    assert native.stderr == python.stderr


@pytest.fixture
def odd_library(library: Path) -> Path:
    """The known tree plus names that test the JSON text: non-ASCII, a quote,
    bytes that are not UTF-8, and a sidecar whose problems are listed."""
    a = library / "a"
    shutil.copy(a / "IMG_2.json", a / "Ré\"sumé 🏈.json")
    (a / "Ré\"sumé 🏈.jpg").write_bytes(b"jpeg")
    raw = os.fsencode(a) + b"/IMG_\xff\xfe.json"
    with open(raw, "wb") as out:
        out.write((a / "IMG_2.json").read_bytes())
    (a / "IMG_9.json").write_text('{"yolov8": {"yolov8": {"success": "yes"}}}')
    return library


@pytest.mark.parametrize("command", [
    ["validate"], ["validate", "--operation-type", "yolov8"], ["validate", "-w", "4"],
    ["stats"], ["stats", "--operation-type", "face_detection"],
])
def test_json_commands_print_the_same_bytes(
    daemon: Daemon, odd_library: Path, command: list[str]
) -> None:
    native, python = run_both(*command, "--input", odd_library, address=daemon.address)
    assert native.returncode == 0, native.stderr
    if command[0] == "stats":
        # Maps: the native one sorts their keys, Python keeps the protobuf
        # map's order (unspecified); the values are the same.
        # duration_seconds is each call's own.
        native_stats, python_stats = json.loads(native.stdout), json.loads(python.stdout)
        assert native_stats.pop("duration_seconds") >= 0
        python_stats.pop("duration_seconds")
        assert native_stats == python_stats
        assert native.stdout.count(b"\n") == python.stdout.count(b"\n")
    else:
        assert_same(native, python)
    assert b"\\u00e9" in native.stdout or command[0] == "stats"
    if command == ["validate"]:
        assert b"\\udcff\\udcfe" in native.stdout  # os.fsdecode's surrogates


def test_format_stats_differs_only_in_its_timestamp(daemon: Daemon, odd_library: Path) -> None:
    native, python = run_both("format-stats", "-i", odd_library, address=daemon.address)
    assert native.returncode == python.returncode == 0, native.stderr
    # format_distribution is a map: compared as values (see above).
    native_data, python_data = json.loads(native.stdout), json.loads(python.stdout)
    when = native_data.pop("generated_at")
    python_data.pop("generated_at")
    assert native_data == python_data
    assert native.stdout.count(b"\n") == python.stdout.count(b"\n")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00", when)


def test_output_files_and_relative_inputs(daemon: Daemon, odd_library: Path) -> None:
    for name in ("native.json", "python.json"):
        assert not (odd_library / name).exists()
    environment = {"PATH": "/usr/bin:/bin", "SIDECARD_ADDRESS": daemon.address}
    native = subprocess.run([str(CLI), "validate", "--input=a", "-onative.json"],
                            capture_output=True, env=environment, cwd=odd_library)
    python = subprocess.run(["/usr/bin/python3", str(PYTHON_CLI), "validate", "--in", "a",
                             "--output", "python.json"],
                            capture_output=True, env=environment, cwd=odd_library)
    assert native.returncode == python.returncode == 0, (native.stderr, python.stderr)
    assert native.stdout == b"Validation results written to: native.json\n"
    assert python.stdout == b"Validation results written to: python.json\n"
    assert (odd_library / "native.json").read_bytes() == (odd_library / "python.json").read_bytes()


@pytest.mark.parametrize("command", [
    ["cleanup", "--dry-run"],
    ["convert", "--format", "binary", "--dry-run"],
    ["convert", "-f", "rkyv", "--dry-run"],
])
def test_dry_runs_print_the_same(daemon: Daemon, library: Path, command: list[str]) -> None:
    assert_same(*run_both(*command, "--input", library, address=daemon.address))


def test_writes_print_the_same(daemon: Daemon, library: Path, tmp_path: Path) -> None:
    twin = Path(str(library) + "-twin")
    shutil.copytree(library, twin, symlinks=True)
    native = subprocess.run([str(CLI), "cleanup", "-i", library], capture_output=True,
                            env={"SIDECARD_ADDRESS": daemon.address})
    python = subprocess.run(["/usr/bin/python3", str(PYTHON_CLI), "cleanup", "-i", twin],
                            capture_output=True, env={"SIDECARD_ADDRESS": daemon.address})
    assert (native.returncode, native.stdout) == (python.returncode, python.stdout)
    assert native.stdout == b"Removed 1 orphaned sidecar files\n"
    assert not (library / known_tree.ORPHAN).exists() and not (twin / known_tree.ORPHAN).exists()
    native_out, python_out = tmp_path / "n.jsonl", tmp_path / "p.jsonl"
    native = subprocess.run([str(CLI), "export", "-i", library, "-o", native_out, "--format",
                             "jsonl"], capture_output=True, env={"SIDECARD_ADDRESS": daemon.address})
    python = subprocess.run(["/usr/bin/python3", str(PYTHON_CLI), "export", "-i", library, "-o",
                             python_out, "--format", "jsonl"],
                            capture_output=True, env={"SIDECARD_ADDRESS": daemon.address})
    assert native.returncode == python.returncode == 0, (native.stderr, python.stderr)
    assert native_out.read_bytes() == python_out.read_bytes()
    assert native.stdout.replace(b"n.jsonl", b"p.jsonl") == python.stdout


@pytest.mark.parametrize("args", [
    [], ["frobnicate"], ["validate"], ["validate", "-i"], ["validate", "-i", "x", "-w", "many"],
    ["export", "-i", "x"], ["export", "-i", "x", "-o", "y", "--format", "xml"],
    ["convert", "-i", "x"], ["cleanup", "-i", "x", "stray"], ["cleanup", "-i", "x", "--dry-run=1"],
    ["stats", "--nope", "-i", "x"],
])
def test_usage_errors_exit_2_alike(daemon: Daemon, args: list[str]) -> None:
    native, python = run_both(*args, address=daemon.address)
    assert native.returncode == python.returncode == 2
    # The last line is argparse's "PROG [COMMAND]: error: ...".
    assert native.stderr.splitlines()[-1] == python.stderr.splitlines()[-1]


def test_daemon_failures_exit_1_alike(daemon: Daemon, library: Path, tmp_path: Path) -> None:
    for root, code in ((library / "missing", b"NOT_FOUND"), (tmp_path, b"PERMISSION_DENIED")):
        native, python = run_both("stats", "-i", root, address=daemon.address)
        assert native.returncode == python.returncode == 1
        assert native.stderr == python.stderr
        assert code in native.stderr
    native, python = run_both("validate", "-i", "/", address="unix:" + str(tmp_path / "no.sock"),
                              env={"SIDECARD_TIMEOUT": "2"})
    assert native.returncode == python.returncode == 1
    assert native.stderr.startswith(b"sportball-sidecar-rust: UNAVAILABLE: ")
    assert python.stderr.startswith(b"sportball-sidecar-rust: UNAVAILABLE: ")
    native, python = run_both("cleanup", "-i", "/", address=daemon.address,
                              env={"SIDECARD_COMPAT_CLEANUP": "shred"})
    assert native.returncode == python.returncode == 1
    assert native.stderr == python.stderr
