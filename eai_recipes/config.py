"""One reader for the project's YAML and JSON files: errors name the file (and the line where the parser
says), and a mapping is checked to be one, so every config reader reports problems the same way. Config files
with a schema are pydantic models (ConfigModel) read by load_model, whose errors validation_message turns into
file, line, key and allowed values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar, get_args

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from eai_recipes.errors import EaiError


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> EaiError:
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    return EaiError(f"{where}: not valid YAML: {exc}")


def read_text(path: Path) -> str:
    """A config file's text; a missing or unreadable file is an EaiError naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EaiError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EaiError(f"{path}: cannot be read as UTF-8 text ({exc})") from None


def read_yaml(path: Path) -> Any:
    """A YAML file's content; a missing or unreadable file or bad YAML is an EaiError naming it."""
    text = read_text(path)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _yaml_problem(path, exc) from None


def read_json(path: Path) -> Any:
    """A JSON file's content; errors name the file and the line."""
    text = read_text(path)
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


# ------------------------------------------------------------------------------- typed configuration
# Config files are declared as pydantic models (recipes.profiles.ProfileFile, recipes.sweeps.SweepFile,
# humaneval.questionnaire.KeyFile); load_model reads one and validation_message is the one place that turns
# pydantic's errors into what a user reads: file, line, key and what is allowed.


class ConfigModel(BaseModel):
    """Base of every config file's schema: an unknown key is an error (a typo must not be ignored)."""

    model_config = ConfigDict(extra="forbid")


def _key_lines(path: Path) -> dict[tuple[Any, ...], int]:
    """The 1-based line of every key and list item of a YAML (or JSON, which YAML reads) file, by its path
    (`("values", "bf16")`, `("points", 0)`), from the parser's node marks."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    lines: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, at: tuple[Any, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                here = (*at, key.value)
                lines[here] = key.start_mark.line + 1
                walk(value, here)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[(*at, i)] = item.start_mark.line + 1
                walk(item, (*at, i))

    if root is not None:
        walk(root, ())
    return lines


def _key_text(loc: tuple[Any, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else (f".{part}" if i else str(part))
                   for i, part in enumerate(loc))


def _field_of(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """The pydantic field a location names (through nested models, lists and mappings), for its description."""
    field, current = None, model
    for part in loc:
        if isinstance(part, int):  # a list item: go on with the list's item type
            args = get_args(current)
            current = args[0] if args else None
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return field  # a key inside a plain mapping: the field that holds the mapping describes it
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = field.annotation
    return field


def _type_at(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """The declared type at a location (the model an unknown key was found in)."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            field = current.model_fields.get(part)
            current = field.annotation if field is not None else None
        else:  # a list item or a mapping value: its declared item type
            args = [a for a in get_args(current) if a is not type(None)]
            current = args[-1] if args else None
            if get_args(current) and not (isinstance(current, type) and issubclass(current, BaseModel)):
                inner = [a for a in get_args(current) if a is not type(None)]
                current = inner[-1] if inner else None
    return current


def validation_message(path: Path, exc: ValidationError, model: type[BaseModel]) -> str:
    """Every problem of a config file, one per line: `file:line: key 'k': problem; allowed: ...`."""
    lines = _key_lines(path)
    problems = []
    for error in exc.errors():
        loc = tuple(part for part in error["loc"] if part != "__root__")
        kind = error["type"]
        if kind == "extra_forbidden":
            owner = _type_at(model, loc[:-1])
            allowed = list(owner.model_fields) if isinstance(owner, type) and issubclass(owner, BaseModel) else []
            problem = "unknown key" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
        elif kind == "missing":
            field = _field_of(model, loc)
            problem = "missing" + (f"; expected: {field.description}" if field and field.description else "")
        elif kind in ("literal_error", "enum"):
            problem = f"got {error.get('input')!r}; allowed: {error['ctx']['expected']}"
        else:
            problem = error["msg"].removeprefix("Value error, ")
            field = _field_of(model, loc)
            if field is not None and field.description and kind != "value_error":
                problem += f" (got {error.get('input')!r}); allowed: {field.description}"
        line = next((lines[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in lines), None)
        where = f"{path}:{line}" if line else str(path)
        problems.append(f"{where}: key '{_key_text(loc)}': {problem}" if loc else f"{where}: {problem}")
    return "\n".join(problems)


M = TypeVar("M", bound=BaseModel)


def load_model(path: Path, model: type[M], data: Any = None) -> M:
    """A config file read (unless `data` is given) and validated against its schema; any problem is one
    EaiError naming the file, the line, the key and what is allowed."""
    if data is None:
        data = read_json(path) if path.suffix == ".json" else load_yaml_mapping(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise EaiError(validation_message(path, exc, model)) from None
