"""Build script of sidecard-compat; the metadata is in pyproject.toml.

Besides the package `sidecard_compat` (the fallback finder), the wheel carries
the shims, copied as plain files into `sidecard_compat/shims/` (they are found
only through the finder, never through sys.path), and `sidecard_compat.pth`,
which installs the finder when Python starts. The version comes from
`sidecard_compat/_version.py`, which the CMake build writes with the project
version; the distribution requires exactly that version of `sidecard`.
"""

from __future__ import annotations

import os
import re

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def project_version() -> str:
    with open(os.path.join(HERE, "sidecard_compat", "_version.py"), encoding="utf-8") as file:
        match = re.search(r'^__version__ = "([^"]+)"$', file.read(), re.M)
    if match is None:
        raise RuntimeError("sidecard_compat/_version.py has no __version__ (run the CMake build)")
    return match.group(1)


class BuildPyWithShims(build_py):
    """build_py, plus the shims (as data files) and the .pth file."""

    def run(self) -> None:
        super().run()
        shims = os.path.join(HERE, "shims")
        for directory, subdirectories, files in os.walk(shims):
            subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
            for name in sorted(files):
                if not name.endswith(".py"):
                    continue
                source = os.path.join(directory, name)
                target = os.path.join(
                    self.build_lib, "sidecard_compat", "shims", os.path.relpath(source, shims))
                self.mkpath(os.path.dirname(target))
                self.copy_file(source, target)
        self.copy_file(os.path.join(HERE, "sidecard_compat.pth"),
                       os.path.join(self.build_lib, "sidecard_compat.pth"))


VERSION = project_version()
setup(version=VERSION, install_requires=[f"sidecard=={VERSION}"],
      cmdclass={"build_py": BuildPyWithShims})
