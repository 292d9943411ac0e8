"""The Python examples of the READMEs run against a real daemon.

Every ```python block of client/python/README.md, and of the top-level
README.md's "From Python" section, runs in order in one namespace, with the
placeholder library /srv/photos replaced by a tree with known answers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO, Daemon

PLACEHOLDER = "/srv/photos"


def python_blocks(readme: Path, section: str | None = None) -> list[str]:
    """The ```python blocks of `readme` (only within `## section` when given)."""
    text = readme.read_text()
    if section is not None:
        match = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
        text = match.group(1) if match else ""
    return re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)


EXAMPLES = {
    "client/python/README.md": python_blocks(REPO / "client/python/README.md"),
    "README.md#from-python": python_blocks(REPO / "README.md", "From Python"),
}


@pytest.mark.parametrize("name", [name for name, blocks in EXAMPLES.items() if blocks])
def test_examples_run(
    name: str, daemon_env: Daemon, library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    namespace: dict[str, object] = {"__name__": "readme_example"}
    for block in EXAMPLES[name]:
        exec(compile(block.replace(PLACEHOLDER, str(library)), name, "exec"), namespace)
    printed = capsys.readouterr().out
    assert printed, "the examples printed nothing"
    print(printed)


def test_the_package_readme_has_examples() -> None:
    assert len(EXAMPLES["client/python/README.md"]) >= 5
