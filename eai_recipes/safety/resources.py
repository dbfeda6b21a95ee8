"""Crisis contacts: the one source is dataset_info/crisis/resources.yaml; everything that names a crisis line
(the crisis reply, the concern footer, the chat page, the model card and report) reads it from here.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from eai_recipes.errors import EaiError
from eai_recipes.paths import DATASET_INFO_DIR, ROOT

CATEGORIES = ("suicide", "self_harm", "harm_others", "danger")
CRISIS_DIR = DATASET_INFO_DIR / "crisis"
RESOURCES_FILE = CRISIS_DIR / "resources.yaml"


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _require_text(value: Any, where: str, file: str, allowed: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise EaiError(f"{file}: {where}: {allowed}")
    return value.strip()


def _validate_resources(data: Any, file: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise EaiError(f"{file}: the file must be a mapping with keys `default` and `locales`")
    unknown = set(data) - {"default", "locales"}
    if unknown:
        raise EaiError(f"{file}: unknown top-level key(s) {sorted(unknown)}; allowed: default, locales")
    locales = data.get("locales")
    if not isinstance(locales, dict) or not locales:
        raise EaiError(f"{file}: locales: must be a non-empty mapping of locale code -> entry")
    default = _require_text(data.get("default"), "default", file, "must name one of the locales")
    table: dict[str, dict[str, Any]] = {}
    aliases: dict[str, str] = {}
    for code, entry in locales.items():
        key = f"locales.{code}"
        if not isinstance(code, str) or not re.fullmatch(r"[A-Za-z][A-Za-z_-]*", code):
            raise EaiError(f"{file}: {key}: a locale code is letters (e.g. US, GB, international)")
        if not isinstance(entry, dict):
            raise EaiError(f"{file}: {key}: must be a mapping with `resources` (and optional label, aliases)")
        extra = set(entry) - {"label", "aliases", "resources"}
        if extra:
            raise EaiError(f"{file}: {key}: unknown key(s) {sorted(extra)}; allowed: label, aliases, resources")
        items = entry.get("resources")
        if not isinstance(items, list) or not items:
            raise EaiError(f"{file}: {key}.resources: must be a non-empty list of resources")
        resources = []
        for i, item in enumerate(items):
            where = f"{key}.resources[{i}]"
            if not isinstance(item, dict):
                raise EaiError(f"{file}: {where}: must be a mapping with name, contact and optional url")
            extra = set(item) - {"name", "contact", "url"}
            if extra:
                raise EaiError(f"{file}: {where}: unknown key(s) {sorted(extra)}; allowed: name, contact, url")
            resource = {
                "name": _require_text(item.get("name"), f"{where}.name", file, "missing or empty; a resource "
                                      "needs a name"),
                "contact": _require_text(item.get("contact"), f"{where}.contact", file, "missing or empty; say "
                                         "how to reach the service"),
                "url": None,
            }
            if item.get("url") is not None:
                url = _require_text(item.get("url"), f"{where}.url", file, "must be an https:// address")
                if not url.startswith("https://"):
                    raise EaiError(f"{file}: {where}.url: must be an https:// address, got {url!r}")
                resource["url"] = url
            resources.append(resource)
        label = entry.get("label", code)
        _require_text(label, f"{key}.label", file, "must be a non-empty string")
        found = entry.get("aliases", []) or []
        if not isinstance(found, list) or not all(isinstance(a, str) and a.strip() for a in found):
            raise EaiError(f"{file}: {key}.aliases: must be a list of locale codes")
        norm_code = code.upper()
        if norm_code in table or norm_code in aliases:
            raise EaiError(f"{file}: {key}: locale listed twice")
        table[norm_code] = {"code": code, "label": label, "resources": resources}
        for alias in found:
            if alias.upper() in aliases or alias.upper() in table:
                raise EaiError(f"{file}: {key}.aliases: {alias!r} is already used")
            aliases[alias.upper()] = norm_code
    if default.upper() not in table:
        codes = sorted(e["code"] for e in table.values())
        raise EaiError(f"{file}: default: {default!r} is not one of the locales {codes}")
    return {"default": default.upper(), "locales": table, "aliases": aliases}


@functools.lru_cache(maxsize=8)
def _load_resources_cached(path: str, mtime: float) -> dict[str, Any]:
    import yaml

    file = display_path(Path(path))
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise EaiError(f"{file}: not valid YAML: {exc}") from None
    return _validate_resources(data, file)


def load_resources(path: str | Path | None = None) -> dict[str, Any]:
    """The validated resources table (cached until the file changes)."""
    path = Path(path) if path is not None else RESOURCES_FILE
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise EaiError(f"{display_path(path)}: crisis resources file not found") from None
    return _load_resources_cached(str(path.resolve()), mtime)


def resolve_locale(locale: str | None, path: str | Path | None = None) -> str:
    """The resources entry a configured locale resolves to: 'en-GB', 'en_GB', 'GB', 'UK' -> 'GB'."""
    table = load_resources(path)
    if not locale or not locale.strip():
        return table["default"]
    parts = [p for p in re.split(r"[-_.@\s]+", locale.strip().upper()) if p]
    candidates = [locale.strip().upper(), *reversed(parts)]
    for candidate in candidates:
        if candidate in table["locales"]:
            return candidate
        if candidate in table["aliases"]:
            return table["aliases"][candidate]
    return table["default"]


def resources(locale: str | None = None, path: str | Path | None = None) -> list[dict]:
    """Crisis resources for a locale (name, contact, url); an unknown locale gets the international default."""
    table = load_resources(path)
    entry = table["locales"][resolve_locale(locale, path)]
    return [dict(r) for r in entry["resources"]]


def format_resources(locale: str | None = None, path: str | Path | None = None, *, markdown: bool = True) -> str:
    """The resources as a list a chat page or a terminal can show."""
    lines = []
    for r in resources(locale, path):
        url = f" ({r['url']})" if r["url"] else ""
        name = f"**{r['name']}**" if markdown else r["name"]
        lines.append(f"- {name}: {r['contact']}{url}")
    return "\n".join(lines)


_OPENINGS = {
    None: ("Thank you for telling me. I'm really glad you reached out, and I'm taking what you said seriously. "
           "What you're carrying sounds incredibly heavy, and you deserve support from a real person right now "
           "- you don't have to face this alone."),
    "suicide": ("Thank you for telling me. I'm really glad you reached out, and I'm taking what you said "
                "seriously. It sounds like you're in a lot of pain right now, and you deserve support from a "
                "real person who can be with you through this - you don't have to face it alone."),
    "self_harm": ("Thank you for trusting me with this. I'm really glad you told me, and there's no judgement "
                  "here. You deserve care and support from a real person right now - you don't have to cope "
                  "with this on your own."),
    "harm_others": ("Thank you for being honest with me - it takes courage to say this. It sounds like you're "
                    "carrying a lot of anger or fear right now. Please reach out to someone now who can help you "
                    "stay safe and keep others safe; you don't have to handle this alone."),
    "danger": ("Thank you for telling me. What you're describing sounds frightening, and your safety matters. "
               "You deserve protection and support from a real person right now - you don't have to face this "
               "alone."),
}


def crisis_reply(locale: str | None = None, category: str | None = None) -> str:
    """The fixed, warm, human-first reply to a crisis message, with the locale's crisis resources."""
    if category is not None and category not in CATEGORIES:
        raise ValueError(f"category must be one of {CATEGORIES} or None, got {category!r}")
    return (
        f"{_OPENINGS[category]}\n\n"
        "If you are in immediate danger, please call your local emergency number now.\n\n"
        "You can talk to someone right now, for free and in confidence:\n"
        f"{format_resources(locale)}\n\n"
        "If you can, reach out to someone you trust - a friend, a family member, a neighbour - and let them know "
        "how you're feeling, or go to a place where there are other people around you. I'm an AI companion, so "
        "I can't call anyone or come to you, but I'm here, and I'll keep listening if you'd like to keep talking."
    )


# ---------------------------------------------------------------------------------------------------------
# Labelled sets and evaluation
# ---------------------------------------------------------------------------------------------------------



def concern_footer(locale: str | None = None) -> str:
    """What goes under a model answer at level `concern`: a gentle check-in and where to find help now."""
    return (
        "---\n"
        "I want to check in with you: if any part of you is thinking about hurting yourself or ending your life, "
        "or if you are not safe right now, you don't have to carry that alone. You can reach someone now:\n"
        f"{format_resources(locale)}"
    )


def crisis_lines_summary(locales: tuple[str, ...] = ("US", "GB")) -> str:
    """One sentence for documents (model card, report): the first line of a few locales and where to find the
    rest, all read from the resources file."""
    parts = []
    for code in locales:
        entry = load_resources()["locales"].get(code.upper())
        if entry:
            first = entry["resources"][0]
            parts.append(f"in the {entry['label']}: **{first['name']}** ({first['contact'].rstrip('.')})")
    default = load_resources()["locales"][load_resources()["default"]]
    more = "; ".join(f"{r['name']}" + (f" <{r['url']}>" if r["url"] else "") for r in default["resources"])
    return ("If you are in crisis or thinking about suicide, contact a crisis line or your local emergency number "
            f"now: {'; '.join(parts)}; elsewhere: {more}.")
