"""One reader for the project's YAML and JSON files: errors name the file (and the line where the parser
says), and a mapping is checked to be one, so every config reader reports problems the same way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from eai_recipes.errors import EaiError


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> EaiError:
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    return EaiError(f"{where}: not valid YAML: {exc}")


def read_yaml(path: Path) -> Any:
    """A YAML file's content; a missing or unreadable file or bad YAML is an EaiError naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EaiError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EaiError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _yaml_problem(path, exc) from None


def read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EaiError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EaiError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise EaiError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None


def load_yaml_mapping(path: Path) -> dict[str, Any]:
    """A YAML file whose top level must be a mapping (recipes, profiles, sweeps, serving profiles...)."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise EaiError(f"{path}: expected a mapping of keys to values at the top level")
    return data
