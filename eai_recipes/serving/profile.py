"""Serving profiles (recipes/serving/<name>.yaml): which model to serve and how it may answer.

A profile is the *what* of serving (model source, generation settings, limits, identity, locale); it is
checked here, key by key, before any model is loaded, so a typo fails in a second with the file and key named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eai_recipes import paths
from eai_recipes.config import load_yaml_mapping
from eai_recipes.errors import EaiError

SERVING_DIR = paths.RECIPES_DIR / "serving"
SOURCES = ("adapter", "merged", "base")
QUANTIZATIONS = ("auto", "4bit", "none")


@dataclass(frozen=True)
class Generation:
    do_sample: bool
    temperature: float
    top_p: float
    top_k: int
    repetition_penalty: float
    min_new_tokens: int
    max_new_tokens: int
    timeout_s: float


@dataclass(frozen=True)
class Limits:
    max_input_chars: int
    max_history_chars: int
    max_request_bytes: int


@dataclass(frozen=True)
class Security:
    """Per-client limits (a client is its network address) and the browser origins allowed to call in."""

    requests_per_minute: int = 120  # chat requests (API and page) per client per minute ...
    burst: int = 40  # ... of which this many may come at once
    max_streams_per_client: int = 4  # answers being generated at the same time for one client
    max_auth_failures: int = 5  # wrong keys per client within a minute before it must wait (429)
    cors_origins: tuple[str, ...] = ()  # e.g. ["http://localhost:3000"]; empty: no CORS headers at all


@dataclass(frozen=True)
class ServingProfile:
    name: str
    path: Path
    description: str
    training_profile: str
    source: str
    run: str
    quantization: str
    generation: Generation
    limits: Limits
    identity_name: str
    identity_author: str
    locale: str
    # The model guard (eai_recipes/safety/guard.py): None, "self" (the served model) or a classifier's model id
    # or local path, and how long one guard call may take before it counts as a failure.
    guard: str | None = None
    guard_timeout_s: float = 10.0
    security: Security = Security()


# key -> (python type, check, what is allowed)
_GENERATION_KEYS: dict[str, tuple[type, Any, str]] = {
    "do_sample": (bool, lambda v: True, "true or false"),
    "temperature": (float, lambda v: 0 <= v <= 2, "a number from 0 to 2"),
    "top_p": (float, lambda v: 0 < v <= 1, "a number in (0, 1]"),
    "top_k": (int, lambda v: v >= 0, "an integer >= 0"),
    "repetition_penalty": (float, lambda v: 1 <= v <= 2, "a number from 1 to 2"),
    "min_new_tokens": (int, lambda v: v >= 1, "an integer >= 1"),
    "max_new_tokens": (int, lambda v: v >= 1, "an integer >= 1"),
    "timeout_s": (float, lambda v: v > 0, "a number of seconds > 0"),
}
_LIMIT_KEYS: dict[str, tuple[type, Any, str]] = {
    "max_input_chars": (int, lambda v: v >= 1, "an integer >= 1"),
    "max_history_chars": (int, lambda v: v >= 1, "an integer >= 1"),
    "max_request_bytes": (int, lambda v: v >= 1024, "an integer >= 1024"),
}
_SECURITY_KEYS: dict[str, tuple[type, Any, str]] = {
    "requests_per_minute": (int, lambda v: v >= 1, "an integer >= 1"),
    "burst": (int, lambda v: v >= 1, "an integer >= 1"),
    "max_streams_per_client": (int, lambda v: v >= 1, "an integer >= 1"),
    "max_auth_failures": (int, lambda v: v >= 1, "an integer >= 1"),
}
_TOP_KEYS = {"description", "model", "generation", "limits", "identity", "locale", "guard", "guard_timeout_s",
             "security"}
_MODEL_KEYS = {"training_profile", "source", "run", "quantization"}
_IDENTITY_KEYS = {"name", "author"}


def available_serving_profiles(serving_dir: Path = SERVING_DIR) -> list[str]:
    return sorted(p.stem for p in serving_dir.glob("*.yaml"))


def _section(data: dict[str, Any], key: str, allowed: set[str], where: Path) -> dict[str, Any]:
    section = data.get(key)
    if not isinstance(section, dict):
        raise EaiError(f"{where}: key '{key}' must be a mapping with keys {sorted(allowed)}")
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise EaiError(f"{where}: unknown key(s) {unknown} under '{key}'; allowed: {sorted(allowed)}")
    missing = sorted(allowed - set(section))
    if missing:
        raise EaiError(f"{where}: missing key(s) {missing} under '{key}'")
    return section


def _typed(section: dict[str, Any], spec: dict[str, tuple[type, Any, str]], key: str, where: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (kind, check, allowed) in spec.items():
        value = section[name]
        if kind is bool:
            ok_type = isinstance(value, bool)
        else:
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            ok_type = number and (kind is float or isinstance(value, int))
        if not ok_type or not check(value):
            raise EaiError(f"{where}: key '{key}.{name}': got {value!r}, expected {allowed}")
        out[name] = kind(value)
    return out


def _security(data: dict[str, Any], where: Path) -> Security:
    """The optional `security` section: any key left out keeps its default (see `Security`)."""
    section = data.get("security", {}) or {}
    if not isinstance(section, dict):
        raise EaiError(f"{where}: key 'security' must be a mapping")
    allowed = {*_SECURITY_KEYS, "cors_origins"}
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise EaiError(f"{where}: unknown key(s) {unknown} under 'security'; allowed: {sorted(allowed)}")
    spec = {k: v for k, v in _SECURITY_KEYS.items() if k in section}
    values: dict[str, Any] = _typed(section, spec, "security", where)
    origins = section.get("cors_origins", []) or []
    if not isinstance(origins, list) or not all(
            isinstance(o, str) and re.fullmatch(r"https?://[^/\s*]+", o.strip()) for o in origins):
        raise EaiError(f"{where}: key 'security.cors_origins': expected a list of origins such as "
                       "'http://localhost:3000' (scheme and host, no path, no '*')")
    values["cors_origins"] = tuple(o.strip().lower() for o in origins)
    return Security(**values)


def load_serving_profile(name: str, serving_dir: Path = SERVING_DIR) -> ServingProfile:
    """A profile by name (recipes/serving/<name>.yaml), or by the path of a .yaml file."""
    path = serving_dir / f"{name}.yaml"
    if name.endswith((".yaml", ".yml")) and Path(name).is_file():
        path = Path(name)
        name = path.stem
    if not path.is_file():
        known = ", ".join(available_serving_profiles(serving_dir)) or "none"
        raise EaiError(f"unknown serving profile '{name}' (no {path.name} in recipes/serving/); available: {known}")
    data = load_yaml_mapping(path)
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise EaiError(f"{path}: unknown key(s) {unknown}; allowed: {sorted(_TOP_KEYS)}")

    model = _section(data, "model", _MODEL_KEYS, path)
    for key in ("training_profile", "run"):
        if not isinstance(model[key], str) or not model[key].strip():
            raise EaiError(f"{path}: key 'model.{key}' must be a non-empty name")
    if model["source"] not in SOURCES:
        raise EaiError(f"{path}: key 'model.source': got {model['source']!r}, expected one of {', '.join(SOURCES)}")
    if model["quantization"] not in QUANTIZATIONS:
        raise EaiError(f"{path}: key 'model.quantization': got {model['quantization']!r}, "
                       f"expected one of {', '.join(QUANTIZATIONS)}")

    gen = _typed(_section(data, "generation", set(_GENERATION_KEYS), path), _GENERATION_KEYS, "generation", path)
    if gen["min_new_tokens"] > gen["max_new_tokens"]:
        raise EaiError(f"{path}: key 'generation.min_new_tokens' ({gen['min_new_tokens']}) is larger than "
                       f"'generation.max_new_tokens' ({gen['max_new_tokens']})")
    limits = _typed(_section(data, "limits", set(_LIMIT_KEYS), path), _LIMIT_KEYS, "limits", path)
    if limits["max_input_chars"] > limits["max_history_chars"]:
        raise EaiError(f"{path}: key 'limits.max_input_chars' ({limits['max_input_chars']}) must not exceed "
                       f"'limits.max_history_chars' ({limits['max_history_chars']})")
    identity = _section(data, "identity", _IDENTITY_KEYS, path)
    for key in _IDENTITY_KEYS:
        if not isinstance(identity[key], str) or not identity[key].strip():
            raise EaiError(f"{path}: key 'identity.{key}' must be a non-empty string")
    locale = data.get("locale", "international")
    if not isinstance(locale, str) or not locale.strip():
        raise EaiError(f"{path}: key 'locale' must be a locale of dataset_info/crisis/resources.yaml, e.g. "
                       "international, US or GB")

    guard = data.get("guard")
    if guard is not None and (not isinstance(guard, str) or not guard.strip()):
        raise EaiError(f"{path}: key 'guard': got {guard!r}, expected 'self' or a classifier's model id or path")
    guard_timeout = data.get("guard_timeout_s", 10.0)
    if isinstance(guard_timeout, bool) or not isinstance(guard_timeout, (int, float)) or guard_timeout <= 0:
        raise EaiError(f"{path}: key 'guard_timeout_s': got {guard_timeout!r}, expected a number of seconds > 0")

    return ServingProfile(
        name=name,
        path=path,
        description=str(data.get("description", "")),
        training_profile=model["training_profile"],
        source=model["source"],
        run=model["run"],
        quantization=model["quantization"],
        generation=Generation(**gen),
        limits=Limits(**limits),
        identity_name=identity["name"],
        identity_author=identity["author"],
        locale=locale,
        guard=guard.strip() if guard else None,
        guard_timeout_s=float(guard_timeout),
        security=_security(data, path),
    )
