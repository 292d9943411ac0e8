"""The old tool's command line (bin/sportball-sidecar-rust, bin/image-sidecar-rust, native),
run as a separate process the way callers shelled out to it."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

import known_tree
from conftest import CLI, PYTHON_CLI, Daemon


def run(
    *args: str | Path, address: str, name: str = CLI.name, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs the command (under `name`) with SIDECARD_ADDRESS=`address`."""
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SIDECARD_ADDRESS": address}
    environment.update(env or {})
    return subprocess.run(
        [str(CLI.parent / name), *map(str, args)],
        capture_output=True, text=True, env=environment, timeout=60,
    )


def test_both_names_are_the_same_native_command() -> None:
    # Native, so a call does not pay the Python interpreter's start-up; the
    # Python implementation stays beside it for SIDECARD_AUTOSTART.
    assert (CLI.parent / "image-sidecar-rust").resolve() == CLI.resolve()
    assert CLI.read_bytes()[:4] == b"\x7fELF"
    assert PYTHON_CLI.read_text().startswith("#!/usr/bin/python3\n")


def test_validate_prints_the_old_json(daemon: Daemon, library: Path) -> None:
    done = run("validate", "--input", library, "--workers", "32", address=daemon.address)
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert (output["total_files"], output["valid_files"], output["invalid_files"]) == (5, 4, 1)
    results = output["results"]
    assert [Path(r["file_path"]).name for r in results] == [
        Path(name).name for name in known_tree.SIDECARS
    ]
    first = results[1]
    assert (first["is_valid"], first["detection_count"], first["tool_name"]) == (
        True, 2, "insightface"
    )


def test_validate_with_a_filter_into_a_file(daemon: Daemon, library: Path) -> None:
    target = library / "out.json"
    done = run(
        "validate", "-i", library, "--operation-type", "yolov8", "-o", target,
        address=daemon.address, name="image-sidecar-rust",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Validation results written to: {target}\n"
    output = json.loads(target.read_text())
    assert output["total_files"] == 1
    assert output["results"][0]["operation_type"] == "yolov8"


def test_stats_prints_the_rust_keys(daemon: Daemon, library: Path) -> None:
    done = run("stats", "--input", library, address=daemon.address)
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stdout)
    assert stats["directory"] == str(library)
    assert (stats["total_images"], stats["total_sidecars"]) == (5, 5)
    assert stats["coverage_percentage"] == pytest.approx(60.0)
    assert stats["filter_applied"] is None
    filtered = json.loads(
        run("stats", "-i", library, "--operation-type", "yolov8", address=daemon.address).stdout
    )
    assert (filtered["filter_applied"], filtered["total_sidecars"]) == ("yolov8", 1)


def test_cleanup_dry_run_never_claims_removals(daemon: Daemon, library: Path) -> None:
    done = run("cleanup", "--input", library, "--dry-run", address=daemon.address)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Removed 0 orphaned sidecar files (dry run: 1 would be removed)\n"
    assert f"would remove: {library / known_tree.ORPHAN}" in done.stderr
    assert re.search(r"Removed (\d+)", done.stdout).group(1) == "0"
    assert (library / known_tree.ORPHAN).exists()


def test_cleanup_deletes_and_reports_the_count(daemon: Daemon, library: Path) -> None:
    done = run("cleanup", "--input", library, address=daemon.address)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Removed 1 orphaned sidecar files\n"
    assert not (library / known_tree.ORPHAN).exists()
    assert (library / known_tree.CORRUPT).exists() and (library / "package.json").exists()


def test_cleanup_can_quarantine(daemon: Daemon, library: Path) -> None:
    done = run(
        "cleanup", "-i", library, address=daemon.address,
        env={"SIDECARD_COMPAT_CLEANUP": "quarantine"},
    )
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"Removed 1 orphaned sidecar files \(moved to .+\)\n", done.stdout)
    assert list((library / ".sidecard-quarantine").glob("*/" + known_tree.ORPHAN))


def test_export(daemon: Daemon, library: Path) -> None:
    target = library / "export.json"
    done = run("export", "--input", library, "--output", target, address=daemon.address)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Exported 4 sidecar files to: {target}\n"
    assert len(json.loads(target.read_text())) == 4
    csv_target = library / "export.csv"
    done = run("export", "-i", library, "-o", csv_target, "--format", "csv", address=daemon.address)
    assert re.search(r"Exported (\d+)", done.stdout).group(1) == "4"
    assert len(csv_target.read_text().splitlines()) == 5


def test_convert(daemon: Daemon, library: Path) -> None:
    dry = run(
        "convert", "--input", library, "--format", "json", "--dry-run", address=daemon.address
    )
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("Dry run: would convert ")
    assert (library / "a/IMG_1.bin").exists()
    done = run("convert", "-i", library, "-f", "json", address=daemon.address)
    assert re.fullmatch(r"Converted (\d+) sidecar files to json\n", done.stdout)
    assert (library / "a/IMG_1.json").exists() and not (library / "a/IMG_1.bin").exists()


def test_format_stats(daemon: Daemon, library: Path) -> None:
    done = run("format-stats", "--input", library, address=daemon.address)
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert output["format_distribution"] == {"bin": 3, "json": 1, "rkyv": 1}
    assert (output["directory"], output["total_files"]) == (str(library), 5)
    assert output["generated_at"].endswith("+00:00")


def test_failures_exit_non_zero(daemon: Daemon, library: Path, tmp_path: Path) -> None:
    missing = run("stats", "--input", library / "missing", address=daemon.address)
    assert missing.returncode == 1 and "NOT_FOUND" in missing.stderr and missing.stdout == ""
    outside = run("validate", "--input", "/", address=daemon.address)
    assert outside.returncode == 1 and "PERMISSION_DENIED" in outside.stderr
    nobody = run("stats", "--input", library, address=f"unix:{tmp_path / 'nobody.sock'}")
    assert nobody.returncode == 1 and "UNAVAILABLE" in nobody.stderr
    usage = run("convert", "--input", library, "--format", "xml", address=daemon.address)
    assert usage.returncode == 2 and "invalid choice" in usage.stderr
    assert run("frobnicate", address=daemon.address).returncode == 2


def test_a_wrapper_that_shells_out_to_the_old_tool(daemon: Daemon, library: Path) -> None:
    """Parses the output exactly as sportball's subprocess wrapper did."""
    cmd = ["validate", "--input", str(library), "--workers", "16"]
    result = run(*cmd, address=daemon.address)
    assert result.returncode == 0
    assert len(json.loads(result.stdout).get("results", [])) == 5

    result = run("cleanup", "--input", str(library), "--dry-run", address=daemon.address)
    output = result.stdout.strip()
    removed = int(re.search(r"Removed (\d+)", output).group(1)) if "Removed" in output else 0
    assert removed == 0 and (library / known_tree.ORPHAN).exists()
