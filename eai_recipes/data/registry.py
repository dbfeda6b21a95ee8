"""The source registry (`dataset_info/sources.yaml`): which datasets feed EAI, pinned, and how their columns map.

The registry is *what* the data stage builds; this module only reads and validates it, so that a bad entry
fails before anything is downloaded or parsed, naming the file, the key and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from eai_recipes.data.rules import RuleConfig, phone_digits
from eai_recipes.errors import EaiError

ROLES = ("train", "validation")
DRAWS = ("sample", "all")
SCHEMA_CONFIDENCE = ("confirmed", "strong", "weak", "unknown")
FORMATS = ("jsonl", "json", "csv", "parquet")
SIDES = ("user", "response")

_TOP_KEYS = {"version", "rules", "validation", "sources", "preference"}  # preference: data/preference.py
_VALIDATION_KEYS = {"size"}
_RULE_KEYS = {"min_words", "max_chars", "phone_allowlist", "known_names"}
_SOURCE_KEYS = {
    "hub_id", "revision", "hub_files", "file", "sample", "local_name", "role", "enabled", "licence",
    "columns", "ignore_columns", "schema", "fill_placeholders", "draw", "rules", "notes",
}
_COLUMN_KEYS = {"user", "response", "history"}


@dataclass(frozen=True)
class Source:
    key: str
    role: str
    licence: str
    user_columns: tuple[str, ...]  # first non-empty one is the user's text
    response_column: str
    history_column: str | None
    ignore_columns: tuple[str, ...]
    rules: RuleConfig
    hub_id: str | None = None
    revision: str | None = None
    hub_files: tuple[str, ...] = ()
    file: str | None = None  # shipped with the repository (our own writing), relative to dataset_info/
    sample: str | None = None  # the --offline stand-in, relative to dataset_info/
    local_name: str = ""
    enabled: bool = True
    schema: str = "unknown"
    fill_placeholders: bool = False
    draw: str = "sample"
    notes: str = ""

    @property
    def required_columns(self) -> tuple[str, ...]:
        cols = [*self.user_columns, self.response_column]
        if self.history_column:
            cols.append(self.history_column)
        return tuple(dict.fromkeys(cols))

    @property
    def title(self) -> str:
        return self.hub_id or self.key


@dataclass(frozen=True)
class Registry:
    path: Path
    sources: tuple[Source, ...]
    val_size: int
    rules: RuleConfig

    def enabled(self) -> list[Source]:
        return [s for s in self.sources if s.enabled]

    def get(self, key: str) -> Source:
        for s in self.sources:
            if s.key == key:
                return s
        raise KeyError(key)


def fail(path: Path, where: str, message: str) -> EaiError:
    return EaiError(f"{path}: {where}: {message}")


def check_keys(path: Path, where: str, obj: Any, allowed: set[str]) -> dict:
    if not isinstance(obj, dict):
        raise fail(path, where, f"expected a mapping, got {type(obj).__name__}")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise fail(path, where, f"unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")
    return obj


def str_list(path: Path, where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise fail(path, where, "expected a non-empty string or list of non-empty strings")
    return tuple(value)


def _side_ints(path: Path, where: str, value: Any, base: dict[str, int] | None) -> dict[str, int]:
    value = check_keys(path, where, value, set(SIDES))
    out = dict(base or {})
    for side, n in value.items():
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise fail(path, f"{where}.{side}", f"expected a whole number >= 0, got {n!r}")
        out[side] = n
    missing = [s for s in SIDES if s not in out]
    if missing:
        raise fail(path, where, f"missing {missing[0]!r} (both 'user' and 'response' are needed)")
    return out




def parse_rules(path: Path, where: str, raw: Any, base: RuleConfig | None = None) -> RuleConfig:
    raw = check_keys(path, where, raw or {}, _RULE_KEYS)
    if base is None and not {"min_words", "max_chars"} <= set(raw):
        raise fail(path, where, "the default rules need 'min_words' and 'max_chars'")
    min_words = _side_ints(path, f"{where}.min_words", raw["min_words"], base and base.min_words) \
        if "min_words" in raw else dict(base.min_words)  # type: ignore[union-attr]
    max_chars = _side_ints(path, f"{where}.max_chars", raw["max_chars"], base and base.max_chars) \
        if "max_chars" in raw else dict(base.max_chars)  # type: ignore[union-attr]
    allow = base.phone_allowlist if base else frozenset()
    if "phone_allowlist" in raw:
        allow = frozenset(phone_digits(str(p)) for p in (raw["phone_allowlist"] or []) if phone_digits(str(p)))
    names = base.known_names if base else ()
    if "known_names" in raw:
        names = tuple(str(n) for n in (raw["known_names"] or []))
    return RuleConfig(min_words=min_words, max_chars=max_chars, phone_allowlist=allow, known_names=names)


def _parse_source(path: Path, key: str, raw: Any, defaults: RuleConfig) -> Source:
    where = f"sources.{key}"
    raw = check_keys(path, where, raw, _SOURCE_KEYS)
    for req in ("role", "licence", "columns"):
        if req not in raw:
            raise fail(path, where, f"missing required key {req!r}")
    role = raw["role"]
    if role not in ROLES:
        raise fail(path, f"{where}.role", f"{role!r} is not allowed; use one of {', '.join(ROLES)}")
    has_hub, has_file = "hub_id" in raw, "file" in raw
    if has_hub == has_file:
        raise fail(path, where, "give exactly one of 'hub_id' (a hub dataset) or 'file' (shipped in dataset_info/)")
    if has_hub:
        for req in ("revision", "hub_files"):
            if not raw.get(req):
                raise fail(path, where, f"a hub source needs {req!r} (pin the revision the paper cites)")
    cols = check_keys(path, f"{where}.columns", raw["columns"], _COLUMN_KEYS)
    for req in SIDES:
        if req not in cols:
            raise fail(path, f"{where}.columns", f"missing {req!r}: name the source column that holds it")
    user_cols = str_list(path, f"{where}.columns.user", cols["user"])
    response = str_list(path, f"{where}.columns.response", cols["response"])
    if len(response) != 1:
        raise fail(path, f"{where}.columns.response", "expected one column name")
    history = cols.get("history")
    if history is not None and not isinstance(history, str):
        raise fail(path, f"{where}.columns.history", "expected one column name")
    ignore = str_list(path, f"{where}.ignore_columns", raw["ignore_columns"]) if raw.get("ignore_columns") else ()
    schema = raw.get("schema", "unknown")
    if schema not in SCHEMA_CONFIDENCE:
        raise fail(path, f"{where}.schema", f"{schema!r} is not allowed; use one of {', '.join(SCHEMA_CONFIDENCE)}")
    draw = raw.get("draw", "sample")
    if draw not in DRAWS:
        raise fail(path, f"{where}.draw", f"{draw!r} is not allowed; use one of {', '.join(DRAWS)}")
    for flag in ("enabled", "fill_placeholders"):
        if flag in raw and not isinstance(raw[flag], bool):
            raise fail(path, f"{where}.{flag}", "expected true or false")
    for name in ("file", "sample"):
        if name in raw:
            ext = Path(str(raw[name])).suffix.lstrip(".")
            if ext not in FORMATS:
                raise fail(path, f"{where}.{name}", f"extension .{ext} not readable; use one of {', '.join(FORMATS)}")
    local_name = raw.get("local_name") or (raw["hub_id"].replace("/", "__") if has_hub else Path(raw["file"]).stem)
    return Source(
        key=key,
        role=role,
        licence=str(raw["licence"]),
        user_columns=user_cols,
        response_column=response[0],
        history_column=history,
        ignore_columns=ignore,
        rules=parse_rules(path, f"{where}.rules", raw.get("rules"), defaults),
        hub_id=raw.get("hub_id"),
        revision=str(raw["revision"]) if raw.get("revision") is not None else None,
        hub_files=str_list(path, f"{where}.hub_files", raw["hub_files"]) if has_hub else (),
        file=raw.get("file"),
        sample=raw.get("sample"),
        local_name=local_name,
        enabled=raw.get("enabled", True),
        schema=schema,
        fill_placeholders=raw.get("fill_placeholders", False),
        draw=draw,
        notes=str(raw.get("notes", "")).strip(),
    )


def load_registry(path: Path) -> Registry:
    """Read and validate the registry; every problem is an EaiError naming the file and the key."""
    if not path.is_file():
        raise EaiError(f"source registry {path} not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise EaiError(f"{path}: not valid YAML: {exc}") from None
    raw = check_keys(path, "top level", raw, _TOP_KEYS)
    if "sources" not in raw or "rules" not in raw:
        raise fail(path, "top level", "needs 'rules' (the defaults) and 'sources'")
    defaults = parse_rules(path, "rules", raw["rules"])
    validation = check_keys(path, "validation", raw.get("validation") or {}, _VALIDATION_KEYS)
    val_size = validation.get("size", 1000)
    if not isinstance(val_size, int) or isinstance(val_size, bool) or val_size < 0:
        raise fail(path, "validation.size", f"expected a whole number >= 0, got {val_size!r}")
    sources_raw = raw["sources"]
    if not isinstance(sources_raw, dict) or not sources_raw:
        raise fail(path, "sources", "expected a mapping of source keys to entries")
    sources = []
    for key, entry in sources_raw.items():
        if not isinstance(key, str) or not key.replace("_", "").replace("-", "").isalnum():
            raise fail(path, f"sources.{key}", "source keys use letters, digits, '-' and '_' only")
        sources.append(_parse_source(path, key, entry, defaults))
    locals_ = [s.local_name for s in sources]
    dup = next((n for n in locals_ if locals_.count(n) > 1), None)
    if dup:
        raise fail(path, "sources", f"two sources share the local file name {dup!r}; set 'local_name'")
    if not any(s.enabled and s.role == "train" for s in sources):
        raise fail(path, "sources", "no enabled training source")
    return Registry(path=path, sources=tuple(sources), val_size=val_size, rules=defaults)
