"""The Python distributions: the wheels the build makes, installed offline.

The build writes <build>/python/dist/sidecard-VERSION-py3-none-any.whl and
sidecard_compat-VERSION-py3-none-any.whl (client/python/CMakeLists.txt). Here
they are installed the way client/python/README.md says (its "Installing"
commands, run as written, into a fresh `python3 -m venv --system-site-packages`,
with `pip install --no-index`), and the README examples run from that
environment against a real daemon, with no PYTHONPATH. The opt-in shims must
never shadow a real sportball (or image_sidecar_rust): a fake real one is
installed first and stays what gets imported.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from conftest import BUILD_DIR, DAEMON_BINARY, PYTHON_DIR, REPO, Daemon
from test_readme import EXAMPLES, PLACEHOLDER

DIST = PYTHON_DIR / "dist"
PACKAGE_README = REPO / "client" / "python" / "README.md"
SYSTEM_PYTHON = "/usr/bin/python3"
# What the README's commands name, replaced by the test's own paths.
README_VENV = "~/.venvs/photos"
README_DIST = "build/python/dist"


def daemon_version() -> str:
    out = subprocess.run([str(DAEMON_BINARY), "--version"], capture_output=True, text=True,
                         check=True).stdout
    match = re.fullmatch(r"sidecard (\S+)\n", out)
    assert match, out
    return match.group(1)


VERSION = daemon_version()
WHEEL = DIST / f"sidecard-{VERSION}-py3-none-any.whl"
COMPAT_WHEEL = DIST / f"sidecard_compat-{VERSION}-py3-none-any.whl"


def install_commands(readme: Path) -> list[str]:
    """The command lines of the first ```sh block of the `## Installing` section."""
    text = readme.read_text()
    section = re.search(r"^## Installing\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section, f"{readme} has no 'Installing' section"
    block = re.search(r"^```sh\n(.*?)^```", section.group(1), re.M | re.S)
    assert block, f"{readme}: the 'Installing' section has no sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def clean_environment(**extra: str) -> dict[str, str]:
    """The test's environment without anything that would find the build tree or
    change pip: no PYTHONPATH, no virtual environment, no PIP_* settings."""
    env = {
        name: value for name, value in os.environ.items()
        if name not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONNOUSERSITE")
        and not name.startswith(("PIP_", "SIDECARD_"))
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_CACHE_DIR"] = "1"
    env.update(extra)
    return env


def sh(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=cwd,
                          env=clean_environment(**env), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


def make_venv(base: Path, commands: list[str]) -> tuple[Path, str]:
    """Runs the README's install commands, with the venv under `base` and the
    wheels from the build; returns the venv and what the commands printed."""
    venv = base / "venv"
    script = "\n".join(commands).replace(README_VENV, str(venv)).replace(README_DIST, str(DIST))
    return venv, sh(script, cwd=base).stdout


def in_venv(venv: Path, code: str, cwd: Path, **env: str) -> Any:
    """Runs `code` under the venv's Python; it prints one JSON value, returned."""
    done = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=cwd,
                          env=clean_environment(**env), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"{code}\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.splitlines()[-1])


def site_packages(venv: Path) -> Path:
    (found,) = (venv / "lib").glob("python3*/site-packages")
    return found


def record(venv: Path, distribution: str) -> list[str]:
    """The files a distribution installed, from its RECORD."""
    (info,) = site_packages(venv).glob(f"{distribution}-*.dist-info")
    with open(info / "RECORD", newline="") as file:
        return [row[0] for row in csv.reader(file)]


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment where the README's install commands ran."""
    base = tmp_path_factory.mktemp("wheel-venv")
    created, printed = make_venv(base, install_commands(PACKAGE_README))
    assert printed.splitlines()[-1] == VERSION, printed  # the last command prints the version
    return created


def test_the_build_made_both_wheels_with_the_daemon_version() -> None:
    assert WHEEL.is_file() and COMPAT_WHEEL.is_file(), (
        f"{DIST} lacks the wheels of version {VERSION}: build the project "
        "(target sidecard_wheels; not configured with -DSIDECARD_PYTHON_WHEELS=OFF)")
    assert sorted(p.name for p in DIST.glob("*.whl")) == sorted([WHEEL.name, COMPAT_WHEEL.name])


def wheel_metadata(wheel: Path) -> tuple[dict[str, list[str]], list[str]]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        fields: dict[str, list[str]] = {}
        for line in archive.read(metadata).decode().split("\n\n")[0].splitlines():
            key, _, value = line.partition(": ")
            fields.setdefault(key, []).append(value)
    return fields, names


def test_the_wheel_carries_the_package_its_stubs_and_py_typed() -> None:
    fields, names = wheel_metadata(WHEEL)
    assert fields["Name"] == ["sidecard"] and fields["Version"] == [VERSION]
    for needed in ("sidecard/py.typed", "sidecard/_version.py", "sidecard/compat/rust_sidecar.py",
                   "sidecard/_gen/sidecar/v1/sidecar_pb2.py",
                   "sidecard/_gen/sidecar/v1/sidecar_pb2.pyi",
                   "sidecard/_gen/sidecar/v1/sidecar_pb2_grpc.py",
                   "sidecard/_gen/grpc/health/v1/health_pb2.pyi",
                   "sidecard/_gen/grpc/health/v1/__init__.py"):
        assert needed in names, needed
    assert not [n for n in names if "__pycache__" in n or not n.startswith("sidecard")]
    # Every file of the package is the one the build assembled, and every source is in it.
    package_files = [n for n in names if n.startswith("sidecard/")]
    with zipfile.ZipFile(WHEEL) as archive:
        for name in package_files:
            assert archive.read(name) == (PYTHON_DIR / name).read_bytes(), name
    source = REPO / "client" / "python"
    for path in (source / "sidecard").rglob("*"):
        if path.suffix in (".py", ".pyi") or path.name == "py.typed":
            assert str(path.relative_to(source)) in package_files, path


def test_the_dependencies_are_declared_and_debian_12_satisfies_them() -> None:
    from importlib.metadata import version

    from pip._vendor.packaging.requirements import Requirement

    fields, _ = wheel_metadata(WHEEL)
    requirements = {Requirement(line).name: Requirement(line) for line in fields["Requires-Dist"]}
    assert sorted(requirements) == ["grpcio", "protobuf"]
    for name, requirement in requirements.items():
        assert requirement.specifier, f"{name} has no version bounds"
        assert requirement.specifier.contains(version(name)), (name, version(name))
    # The shims require exactly this sidecard.
    fields, names = wheel_metadata(COMPAT_WHEEL)
    assert fields["Name"] == ["sidecard-compat"] and fields["Version"] == [VERSION]
    (requirement,) = [Requirement(line) for line in fields["Requires-Dist"]]
    assert (requirement.name, str(requirement.specifier)) == ("sidecard", f"=={VERSION}")
    assert "sidecard_compat.pth" in names
    assert not [n for n in names if n.startswith(("sportball", "image_sidecar_rust", "sidecard/"))]


def test_installed_offline_it_runs_from_the_environment_alone(venv: Path, tmp_path: Path) -> None:
    found = in_venv(venv, """if True:
        import importlib.metadata, json, sys
        import grpc, google.protobuf, sidecard, sidecard._gen.sidecar.v1.sidecar_pb2 as pb
        print(json.dumps({
            "version": importlib.metadata.version("sidecard"),
            "module_version": sidecard.__version__,
            "package": sidecard.__file__, "stubs": pb.__file__,
            "grpc": grpc.__file__, "protobuf": google.protobuf.__file__,
            "requires": importlib.metadata.requires("sidecard"),
            "path": sys.path, "prefix": sys.prefix}))""", cwd=tmp_path)
    assert found["version"] == found["module_version"] == VERSION
    site = site_packages(venv)
    assert Path(found["package"]).parent == site / "sidecard"
    assert Path(found["stubs"]).is_relative_to(site)
    assert (site / "sidecard" / "py.typed").is_file()
    assert (site / "sidecard" / "_gen" / "sidecar" / "v1" / "sidecar_pb2.pyi").is_file()
    # grpcio and protobuf are Debian's, seen through --system-site-packages.
    assert not Path(found["grpc"]).is_relative_to(venv), found["grpc"]
    assert not Path(found["protobuf"]).is_relative_to(venv), found["protobuf"]
    assert not [p for p in found["path"] if p and Path(p).is_relative_to(BUILD_DIR)]
    assert Path(found["prefix"]) == venv


def test_the_readmes_show_the_same_install_command() -> None:
    """The top-level README's commands are among the ones this test runs."""
    package = install_commands(PACKAGE_README)
    top = REPO / "README.md"
    match = re.search(r"^## From Python\n(.*?)(?=^## |\Z)", top.read_text(), re.M | re.S)
    assert match
    (block,) = re.findall(r"^```sh\n(.*?)^```", match.group(1), re.M | re.S)

    def command(line: str) -> str:
        return line.split("  #")[0].rstrip()

    assert {command(line) for line in block.splitlines() if line.strip()} <= {
        command(line) for line in package}


RUN_BLOCKS = """if True:
    import json, sys
    namespace = {"__name__": "readme_example"}
    for name, block in json.load(open(sys.argv[1])):
        exec(compile(block, name, "exec"), namespace)
"""


@pytest.mark.parametrize("name", [name for name, blocks in EXAMPLES.items() if blocks])
def test_the_readme_examples_run_from_the_environment(
    name: str, venv: Path, daemon: Daemon, library: Path, tmp_path: Path
) -> None:
    blocks = [(name, block.replace(PLACEHOLDER, str(library))) for block in EXAMPLES[name]]
    (tmp_path / "blocks.json").write_text(json.dumps(blocks))
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", RUN_BLOCKS, str(tmp_path / "blocks.json")],
        cwd=tmp_path, env=clean_environment(SIDECARD_ADDRESS=daemon.address),
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout, "the examples printed nothing"
    print(done.stdout)


def shim_modules() -> list[str]:
    """The module names the opt-in shims of client/python/compat provide."""
    compat = REPO / "client" / "python" / "compat"
    names = []
    for path in sorted(compat.rglob("*.py")):
        parts = list(path.relative_to(compat).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def test_the_opt_in_provides_the_old_names(venv: Path, daemon: Daemon, library: Path,
                                          tmp_path: Path) -> None:
    modules = shim_modules()
    assert "image_sidecar_rust" in modules and "sportball.detection.rust_sidecar" in modules
    files = in_venv(venv, f"""if True:
        import importlib, json
        print(json.dumps([importlib.import_module(name).__file__ for name in {modules!r}]))""",
        cwd=tmp_path)
    shims = site_packages(venv) / "sidecard_compat" / "shims"
    for name, file in zip(modules, files):
        assert Path(file).is_relative_to(shims), (name, file)
    found = in_venv(venv, f"""if True:
        import json
        import image_sidecar_rust
        import sidecard.compat.image_sidecar_rust, sidecard.compat.rust_sidecar
        from sportball.detection.rust_sidecar import RustSidecarConfig, RustSidecarManager
        manager = RustSidecarManager()
        results = manager.validate_sidecars({str(library)!r})
        print(json.dumps({{
            "same_manager": RustSidecarManager is sidecard.compat.rust_sidecar.RustSidecarManager,
            "same_config": RustSidecarConfig is sidecard.compat.rust_sidecar.RustSidecarConfig,
            "same_image_sidecar": image_sidecar_rust.ImageSidecar
                is sidecard.compat.image_sidecar_rust.ImageSidecar,
            "shim": image_sidecar_rust.__file__,
            "available": manager.rust_available,
            "valid": sorted(r["is_valid"] for r in results)}}))""",
        cwd=tmp_path, SIDECARD_ADDRESS=daemon.address)
    assert found["same_manager"] and found["same_config"] and found["same_image_sidecar"]
    assert Path(found["shim"]).is_relative_to(site_packages(venv) / "sidecard_compat" / "shims")
    assert found["available"] is True
    assert found["valid"] == [False, True, True, True, True]  # known_tree: one corrupt sidecar


def wheel_bytes(name: str, version: str, files: dict[str, str]) -> bytes:
    """A minimal wheel of pure-Python `files`."""
    info = f"{name}-{version}.dist-info"
    contents = dict(files)
    contents[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    contents[f"{info}/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: test_wheel\n"
                                 "Root-Is-Purelib: true\nTag: py3-none-any\n")
    rows = []
    for path, text in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        rows.append(f"{path},sha256={digest.decode()},{len(text.encode())}\n")
    contents[f"{info}/RECORD"] = "".join(rows) + f"{info}/RECORD,,\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in contents.items():
            archive.writestr(path, text)
    return buffer.getvalue()


REAL_SPORTBALL = {
    "sportball/__init__.py": "REAL = True\n",
    "sportball/detection/__init__.py": "",
    "sportball/detection/rust_sidecar.py": "WHOSE = 'the real sportball'\n",
}

PROBE_REAL = """if True:
    import json
    import image_sidecar_rust, sportball
    from sportball.detection import rust_sidecar
    print(json.dumps({"sportball": sportball.__file__, "real": sportball.REAL,
                      "rust_sidecar": rust_sidecar.WHOSE,
                      "image_sidecar_rust": image_sidecar_rust.WHOSE}))"""


def test_the_opt_in_never_shadows_a_real_sportball(tmp_path: Path) -> None:
    """A real sportball installed first (a distribution in the environment) and
    a real image_sidecar_rust at the very end of sys.path stay what is imported,
    untouched, when sidecard-compat is installed and after it is removed; with
    neither left, the old names are gone."""
    base = tmp_path / "env"
    base.mkdir()
    commands = install_commands(PACKAGE_README)
    venv_line = [line for line in commands if " -m venv " in line]
    venv, _ = make_venv(base, venv_line)
    site = site_packages(venv)
    fake = tmp_path / "sportball-1.0-py3-none-any.whl"
    fake.write_bytes(wheel_bytes("sportball", "1.0", REAL_SPORTBALL))
    sh(f"{venv}/bin/pip install --no-index --no-deps {fake}", cwd=base)
    # Appended to sys.path after every site directory, i.e. after the shims' .pth.
    late = tmp_path / "late"
    late.mkdir()
    (late / "image_sidecar_rust.py").write_text("WHOSE = 'the real image_sidecar_rust'\n")
    (site / "zzz-late.pth").write_text(f"{late}\n")

    make_venv(base, [line for line in commands if line not in venv_line])
    assert (site / "sidecard_compat.pth").is_file()
    expected = {"sportball": str(site / "sportball" / "__init__.py"), "real": True,
                "rust_sidecar": "the real sportball",
                "image_sidecar_rust": "the real image_sidecar_rust"}
    assert in_venv(venv, PROBE_REAL, cwd=tmp_path) == expected
    for path, text in REAL_SPORTBALL.items():
        assert (site / path).read_text() == text
    assert sorted(p for p in record(venv, "sportball")
                  if not p.startswith("sportball-") and "__pycache__" not in p) == sorted(
        REAL_SPORTBALL)
    assert not [p for p in record(venv, "sidecard_compat")
                if p.startswith(("sportball", "image_sidecar_rust"))]
    # The fallback is installed, and never adds a module to a package it did not
    # provide: a real sportball without rust_sidecar does not get the shim's.
    own = site / "sportball" / "detection" / "rust_sidecar.py"
    own.rename(own.with_suffix(".away"))
    try:
        assert in_venv(venv, """if True:
            import json, sys, sidecard_compat
            try:
                import sportball.detection.rust_sidecar
                found = sportball.detection.rust_sidecar.__file__
            except ModuleNotFoundError:
                found = None
            print(json.dumps([sidecard_compat.ShimFinder in sys.meta_path, found]))""",
                       cwd=tmp_path) == [True, None]
    finally:
        own.with_suffix(".away").rename(own)

    sh(f"{venv}/bin/pip uninstall --yes sidecard-compat", cwd=base)
    assert not (site / "sidecard_compat.pth").exists()
    assert in_venv(venv, PROBE_REAL, cwd=tmp_path) == expected

    # Without the real ones and without the opt-in, the old names are gone.
    probe = ("import importlib.util, json; print(json.dumps([importlib.util.find_spec(n) is None "
             "for n in ('image_sidecar_rust', 'sportball')]))")
    sh(f"{venv}/bin/pip uninstall --yes sportball", cwd=base)
    (site / "zzz-late.pth").unlink()
    assert in_venv(venv, probe, cwd=tmp_path) == [True, True]
    assert in_venv(venv, "import json, sidecard; print(json.dumps(sidecard.__version__))",
                   cwd=tmp_path) == VERSION
