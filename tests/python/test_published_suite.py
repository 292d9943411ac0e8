"""The old package's own published Python tests, unmodified, against the facade.

The files are the old tool's (repository dapperfu/image-sidecar-rust:
`tests/test_python_bindings.py` and `test_all_requirements.py`) and are never
copied into this repository. Point SIDECARD_PUBLISHED_SRC at an export of that
repository to run them; without it these tests are skipped, saying so:

    git clone https://github.com/dapperfu/image-sidecar-rust /tmp/isr
    SIDECARD_PUBLISHED_SRC=/tmp/isr scripts/test-python -k published

They run in a child process exactly as their authors ran them, with only the
environment a user of the facade would set: the daemon's address, the opt-in
path, and TMPDIR inside the daemon's allowed root (the tests create their
trees with tempfile).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import COMPAT_DIR, PYTHON_DIR, Daemon

_SOURCE = os.environ.get("SIDECARD_PUBLISHED_SRC", "")
pytestmark = pytest.mark.skipif(
    not _SOURCE, reason="SIDECARD_PUBLISHED_SRC (an export of dapperfu/image-sidecar-rust) not set"
)


def _environment(daemon: Daemon) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SIDECARD_ADDRESS=daemon.address,
        TMPDIR=tempfile.mkdtemp(prefix="published-", dir=daemon.root),
        PYTHONPATH=f"{COMPAT_DIR}{os.pathsep}{PYTHON_DIR}",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _copy(relative: str, into: Path) -> Path:
    source = Path(_SOURCE) / relative
    assert source.is_file(), f"{source} is missing: is SIDECARD_PUBLISHED_SRC the right export?"
    return Path(shutil.copy(source, into))


def test_the_published_binding_tests_pass(daemon: Daemon, tmp_path: Path) -> None:
    test_file = _copy("tests/test_python_bindings.py", tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path, env=_environment(daemon), capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert " passed" in run.stdout and "failed" not in run.stdout and "skipped" not in run.stdout


def test_the_published_requirements_script_passes(daemon: Daemon, tmp_path: Path) -> None:
    script = _copy("test_all_requirements.py", tmp_path)
    run = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path, env=_environment(daemon), capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "❌" not in run.stdout, run.stdout
