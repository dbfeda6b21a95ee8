"""The house's shape: a stage imports only stages on its floor or below, no two stages import each other, no
module imports a private name of another, and only the command line parses argv."""

from __future__ import annotations

import ast

from eai_recipes import paths

PACKAGE = paths.ROOT / "eai_recipes"
# Floors, bottom to top. A module may import from its own floor or below, never from above.
FLOORS = {
    "errors": 0, "paths": 0, "identity": 0, "config": 0, "hardware": 0, "facts": 0, "tiny_model": 0,
    "templates": 0,
    "data": 1, "recipes": 1, "safety": 1,
    "launch": 2,
    "serving": 3,
    "evaluation": 4, "humaneval": 4,
    "demo": 5, "gpu_check": 5,
    "cli": 6,
}


def _stage(module: str) -> str:
    """eai_recipes.launch.run -> launch; eai_recipes.errors -> errors."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports() -> list[tuple[str, str, str]]:
    """(importing module, imported module, imported name or '') for every eai_recipes import, at any depth."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(paths.ROOT).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("eai_recipes"):
                for alias in node.names:
                    found.append((module, node.module, alias.name))
            elif isinstance(node, ast.Import):
                found += [(module, a.name, "") for a in node.names if a.name.startswith("eai_recipes")]
    return found


def _target(imported: str, name: str) -> str:
    """`from eai_recipes import launch` imports the launch stage, not the package root."""
    return f"{imported}.{name}" if imported == "eai_recipes" and name and name != "__version__" else imported


def test_every_stage_has_a_floor():
    stages = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
              if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())}
    assert stages - set(FLOORS) == set(), "give each new stage a floor in FLOORS"


def test_no_stage_imports_a_stage_above_it():
    upward = [f"{src} imports {_target(dst, name)}" for src, dst, name in _imports()
              if _stage(src) and _stage(_target(dst, name))
              and FLOORS[_stage(_target(dst, name))] > FLOORS[_stage(src)]]
    assert upward == []


def test_no_two_stages_import_each_other():
    edges = {(_stage(src), _stage(_target(dst, name))) for src, dst, name in _imports()}
    edges = {(a, b) for a, b in edges if a and b and a != b}
    assert sorted((a, b) for a, b in edges if (b, a) in edges) == []


def test_no_module_imports_another_modules_private_name():
    private = [f"{src} imports {dst}.{name}" for src, dst, name in _imports()
               if name.startswith("_") and not name.startswith("__") and dst != src]
    assert private == []


def test_only_the_command_line_parses_arguments():
    parsers = [str(p.relative_to(paths.ROOT)) for p in PACKAGE.rglob("*.py")
               if "cli" not in p.relative_to(PACKAGE).parts and "ArgumentParser(" in p.read_text(encoding="utf-8")]
    assert parsers == []
