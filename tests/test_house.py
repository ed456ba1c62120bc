"""The house rules that a wheel or a newcomer would trip over."""

from __future__ import annotations

import ast
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


def _imports(path: Path) -> list[str]:
    """The afterword modules `path` imports at run time (TYPE_CHECKING blocks left out)."""
    tree = ast.parse(path.read_text())
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only |= {id(n) for n in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module] + [f"{node.module}.{a.name}" for a in node.names
                                      if _is_module(f"{node.module}.{a.name}")]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return [m for m in found if m.startswith("afterword.")]


def _is_module(name: str) -> bool:
    """Whether afterword.X.Y names a module or package of ours (not a class or function)."""
    parts = name.split(".")[1:]
    base = ROOT.joinpath(*parts)
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return "afterword." + ".".join(p for p in parts if p != "__init__")


# (importer prefix, forbidden prefix, why) — the floors of the house, see ARCHITECTURE.md.
RULES = [
    ("afterword.providers", "afterword.daemon.", "providers see only daemon.model and "
     "daemon.errors", ("afterword.daemon.model", "afterword.daemon.errors")),
    ("afterword.daemon", "afterword.providers.", "the application reaches providers only "
     "through the registry", ("afterword.providers.base",)),
    ("afterword.daemon.interviews", "afterword.daemon.runtime", "reading invites is pure", ()),
    ("afterword.daemon.interviews", "afterword.daemon.commands", "reading invites is pure", ()),
    ("afterword.daemon.interviews", "afterword.daemon.reminders", "reading invites is pure", ()),
    ("afterword.daemon.drafting", "afterword.daemon.runtime", "drafting is pure", ()),
    ("afterword.daemon.drafting", "afterword.daemon.commands", "drafting is pure", ()),
    ("afterword.daemon.reminders.policy", "afterword.daemon.runtime", "the policy is pure", ()),
    ("afterword.daemon.runtime", "afterword.daemon.commands", "commands sit on the runtime", ()),
    ("afterword.daemon.reminders", "afterword.daemon.commands", "commands sit on the top", ()),
]


def test_imports_follow_the_floors_of_the_house() -> None:
    """Lower floors never import upper ones (ARCHITECTURE.md, "Rules")."""
    broken = []
    for top in ("daemon", "providers"):
        for path in (ROOT / top).rglob("*.py"):
            importer = _module(path)
            for imported in _imports(path):
                for prefix, forbidden, why, allowed in RULES:
                    if importer.startswith(prefix) and imported.startswith(forbidden) \
                            and not imported.startswith(allowed or ("\0",)):
                        broken.append(f"{importer} imports {imported}: {why}")
    assert broken == []


def test_no_module_is_over_400_lines() -> None:
    """Small modules with one job: a module past 400 lines is two modules."""
    long = {str(p.relative_to(ROOT)): n for top in ("daemon", "providers")
            for p in (ROOT / top).rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}
