"""The house rules that a wheel or a newcomer would trip over."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_installed() -> None:
    """A folder with an __init__.py that pyproject does not list would be left out of a wheel."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())
                 ["tool"]["setuptools"]["packages"])
    found = {"afterword." + ".".join(init.parent.relative_to(ROOT).parts)
             for top in ("daemon", "providers", "templates")
             for init in (ROOT / top).rglob("__init__.py")
             if "__pycache__" not in init.parts}
    assert found - listed == set()
    assert listed - found == set()
