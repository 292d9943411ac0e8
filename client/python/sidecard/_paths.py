"""The path types the package's functions take, named once for all of them."""

from __future__ import annotations

import os

#: A file or directory of the caller's (a configuration file, a PEM file, an
#: export's output, a tree the compat facades are given): text, as ``open`` takes it.
PathArg = str | os.PathLike[str]
#: A file or directory the daemon is asked about: any name, as the os functions take it.
RequestPath = str | bytes | os.PathLike[str] | os.PathLike[bytes]
