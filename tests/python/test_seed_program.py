"""The seed document's way of calling RustSidecarManager runs unchanged against sidecard."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import COMPAT_DIR, PYTHON_DIR, Daemon

PROGRAM = Path(__file__).with_name("seed_program.py")


def test_seed_program_runs_unchanged(daemon: Daemon, library: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{PYTHON_DIR}:{COMPAT_DIR}",
        "SIDECARD_ADDRESS": daemon.address,
    }
    done = subprocess.run(
        ["/usr/bin/python3", str(PROGRAM), str(library)],
        capture_output=True, text=True, env=env, timeout=60, cwd="/",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Rust available: True"
    assert lines[1].startswith("Performance info: {'rust_available': True")
    values = json.loads(lines[-1])
    assert values["rust_available"] is True
    assert (values["validated"], values["invalid"], values["yagg_validated"]) == (5, 1, 5)
    assert (values["total_images"], values["coverage_percentage"]) == (5, 60.0)
    configured = values["configured"]
    assert (configured["max_workers"], configured["timeout"]) == (32, 600)
    assert configured["fallback_enabled"] is True
