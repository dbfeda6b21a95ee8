"""Validation: a rendered config judged as `llamafactory-cli <cli>` would judge it, without loading a model or
data. Unknown keys and wrong types are named one by one first (LLaMA-Factory's parser only says keys were
'not used', or fails after the model loaded); then LLaMA-Factory's own parser runs, and a refusal is tied
to the keys it is about."""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import importlib.util
import os
import re
from pathlib import Path
from typing import Any

from eai_recipes.config import load_yaml_mapping
from eai_recipes.errors import EaiError
from eai_recipes.hardware import has_cuda
from eai_recipes.recipes.expand import check_deepspeed_json
from eai_recipes.recipes.render import ALL_STAGES, Rendered, yaml_scalar


def _dataclasses_for(cli: str):
    from llamafactory.hparams.parser import _INFER_ARGS, _TRAIN_ARGS

    return _TRAIN_ARGS if cli == "train" else _INFER_ARGS


def _field_types(classes) -> dict[str, Any]:
    import typing

    types: dict[str, Any] = {}
    for cls in classes:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            choices = f.metadata.get("choices")
            hint = hints.get(f.name, f.type)
            types[f.name] = typing.Literal[tuple(choices)] if choices else hint
    return types


def _type_ok(value: Any, hint: Any) -> tuple[bool, str]:
    """Whether a YAML value fits a dataclass field's type, and a word for what is allowed."""
    import enum
    import types as pytypes
    import typing

    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, getattr(pytypes, "UnionType", None)):
        options = [a for a in args if a is not type(None)]
        if value is None:
            return True, "null"
        results = [_type_ok(value, a) for a in options]
        return any(ok for ok, _ in results), " or ".join(w for _, w in results)
    if origin is typing.Literal:
        return value is None or value in args, "one of " + ", ".join(map(str, args))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        allowed = [e.value for e in hint]
        return (value in allowed or isinstance(value, hint)), "one of " + ", ".join(map(str, allowed))
    if hint is bool:
        return isinstance(value, bool), "true or false"
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), "an integer"
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool), "a number"
    if hint is str:
        return isinstance(value, (str, int, float)) and not isinstance(value, bool), "a string"
    return True, str(hint)  # lists, dicts, unions of exotic types: left to LLaMA-Factory


def _field_defaults(classes) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for cls in classes:
        for f in dataclasses.fields(cls):
            value = None
            if f.default is not dataclasses.MISSING:
                value = f.default
            elif f.default_factory is not dataclasses.MISSING:
                with contextlib.suppress(Exception):
                    value = f.default_factory()
            defaults[f.name] = getattr(value, "value", value)  # an enum member: its value, as YAML writes it
    return defaults


def _unknown_key_hint(key: str, known: list[str], cli: str) -> str:
    """What to write instead of an unknown key: the closest key, keys that share its first word or contain
    it (lora_* for lora_size, per_device_train_batch_size for batch_size), else the nearest few; and where
    the full list is."""
    close = difflib.get_close_matches(key, known, n=1)
    head = key.split("_")[0]
    related = [k for k in known if len(key) >= 4 and key in k]
    if "_" in key and len(head) >= 2:
        related += [k for k in known if k.startswith(head + "_") and k not in related]
    if not close and not related:
        related = difflib.get_close_matches(key, known, n=3, cutoff=0.4)
    text = f"did you mean '{close[0]}'? " if close else ""
    sure = bool(close) and difflib.SequenceMatcher(None, key, close[0]).ratio() >= 0.8  # a typo: lora_rnak
    related = sorted(k for k in related if not close or k != close[0])
    if related and not sure:
        more = f", ... ({len(related)} in all)" if len(related) > 6 else ""
        text += f"{'other ' if close else ''}keys like it: {', '.join(related[:6])}{more}; "
    return text + f"`llamafactory-cli {cli} -h` lists every key it accepts"


def check_keys_and_types(config: dict[str, Any], cli: str, where: str,
                         sources: dict[str, str] | None = None) -> None:
    """Unknown keys and wrong types, named one by one (LLaMA-Factory's own parser would only say that some
    keys were 'not used' or fail later, after the model has loaded)."""
    types = _field_types(_dataclasses_for(cli))
    problems = []
    for key, value in config.items():
        origin = f" (set in {sources[key]})" if sources and key in sources else ""
        if key not in types:
            hint = _unknown_key_hint(key, sorted(types), cli)
            problems.append(f"unknown key '{key}'{origin} (LLaMA-Factory {cli} does not accept it: {hint})")
            continue
        ok, allowed = _type_ok(value, types[key])
        if not ok:
            problems.append(f"key '{key}'{origin}: got {value!r}, expected {allowed}")
    if problems:
        raise EaiError(f"{where}: " + "; ".join(problems))


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# Keys whose only check in LLaMA-Factory's parser is "is this package installed": that is a fact about the
# machine the run goes to, checked there by the launcher (`eai train` names the pip command).
PACKAGE_KEYS = {"use_swanlab": "swanlab", "enable_liger_kernel": "liger_kernel", "use_unsloth": "unsloth"}


def _trial_config(config: dict[str, Any], cli: str, where: str) -> tuple[dict[str, Any], list[str]]:
    """The config LLaMA-Factory's parser is given here, and notes on what is left to the launch machine."""
    trial, notes = dict(config), []
    if cli != "train":
        return trial, notes
    if (trial.get("bf16") or trial.get("fp16")) and not has_cuda():
        trial["use_cpu"] = True
        notes.append("bf16/fp16 checked with use_cpu (no GPU here)")
    if trial.get("ddp_backend"):
        trial.pop("ddp_backend")  # a process group needs the torchrun workers; the value was checked above
        notes.append("ddp_backend applies under torchrun")
    if trial.get("deepspeed"):
        # In one process LLaMA-Factory refuses DeepSpeed ("use FORCE_TORCHRUN=1"); the JSON is checked here,
        # the rest by each torchrun worker.
        check_deepspeed_json(Path(str(trial.pop("deepspeed"))), where)
        notes.append("deepspeed JSON checked; DeepSpeed itself runs under torchrun")
    for key, module in PACKAGE_KEYS.items():
        if trial.get(key) and not _installed(module):
            trial.pop(key)
            notes.append(f"{key}: {module} is not installed here (checked at launch)")
    if trial.get("do_train") and trial.get("overwrite_output_dir") is None:
        trial["overwrite_output_dir"] = True  # the recipe, not the state of its output directory
    return trial, notes


@contextlib.contextmanager
def _quiet_parser():
    """LLaMA-Factory's parser logs advice meant for a training run (and turns transformers' INFO logging on);
    a validation prints only its verdict."""
    import logging

    import transformers

    old_env = os.environ.get("LLAMAFACTORY_VERBOSITY")
    old_level = logging.getLogger("llamafactory").level
    old_tf = transformers.utils.logging.get_verbosity()
    os.environ["LLAMAFACTORY_VERBOSITY"] = "ERROR"
    logging.getLogger("llamafactory").setLevel(logging.ERROR)
    transformers.utils.logging.set_verbosity_error()
    try:
        yield
    finally:
        if old_env is None:
            os.environ.pop("LLAMAFACTORY_VERBOSITY", None)
        else:
            os.environ["LLAMAFACTORY_VERBOSITY"] = old_env
        logging.getLogger("llamafactory").setLevel(old_level)
        transformers.utils.logging.set_verbosity(old_tf)


_NAME = re.compile(r"[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*")
# Words too common to tie a refusal to a key by its value or its allowed values.
_VAGUE = {"none", "auto", "all", "no", "yes", "true", "false", "default", "steps", "epoch"}
# Leading words of key names that say nothing of the subject (use_galore is about GaLore), and subjects too
# broad to tie a refusal to a key ("a quantized model" is not about model_name_or_path).
_KEY_VERBS = {"use", "enable", "do", "is", "num", "max", "min", "per"}
_BROAD_SUBJECTS = {"model", "train", "training", "eval", "predict", "output", "data", "dataset", "device"}


def _same_word(a: str, b: str) -> bool:
    """quantized ~ quantization: equal, or sharing a stem of 6+ letters."""
    return a == b or (min(len(a), len(b)) >= 6 and len(os.path.commonprefix([a, b])) >= 6)


def involved_keys(message: str, config: dict[str, Any], cli: str) -> list[str]:
    """The keys a refusal of LLaMA-Factory is about, most certain first: keys it names; keys whose rendered
    value it names (report_to=wandb in "PPO only accepts ..."); keys changed from LLaMA-Factory's default
    whose allowed values it names (finetuning_type=full in "only ... the LoRA or OFT method"); then keys
    changed from the default whose subject it names (quantization_bit in "Quantization is ...")."""
    classes = _dataclasses_for(cli)
    types, defaults = _field_types(classes), _field_defaults(classes)
    lowered = {k.lower(): k for k in types}
    words = _NAME.findall(message)
    named = list(dict.fromkeys(lowered[w.lower()] for w in words if w.lower() in lowered))
    tokens = {w.lower() for w in words if w.lower() not in lowered}
    changed = [k for k, v in config.items() if k in types and v is not None and v != defaults.get(k)]
    found = list(named)
    explained: set[str] = set()

    def add(key: str, token: str) -> None:
        explained.add(token)
        if key not in found:
            found.append(key)

    import enum
    import typing

    for key, value in config.items():
        if isinstance(value, str) and value.lower() in tokens and value.lower() not in _VAGUE:
            add(key, value.lower())
    for key in changed:
        hint = types[key]
        choices = typing.get_args(hint) if typing.get_origin(hint) is typing.Literal else (
            [e.value for e in hint] if isinstance(hint, type) and issubclass(hint, enum.Enum) else [])
        for choice in choices:
            if isinstance(choice, str) and choice.lower() in tokens and choice.lower() not in _VAGUE:
                add(key, choice.lower())
    for key in changed:
        words_of_key = key.lower().split("_")
        while len(words_of_key) > 1 and words_of_key[0] in _KEY_VERBS:
            words_of_key.pop(0)
        subject = words_of_key[0]
        if len(subject) >= 3 and subject not in _BROAD_SUBJECTS and any(
                _same_word(subject, t) for t in tokens - explained):
            add(key, subject)
    return found[:5]


def _describe_keys(keys: list[str], config: dict[str, Any], sources: dict[str, str] | None) -> str:
    parts = []
    for key in keys:
        if key not in config:
            parts.append(f"{key} (not set)")
            continue
        origin = f" (set in {sources[key]})" if sources and key in sources else ""
        parts.append(f"{key}={yaml_scalar(config[key])}{origin}")
    return ", ".join(parts)


def validate_config(config: dict[str, Any], cli: str, where: str, sources: dict[str, str] | None = None) -> list[str]:
    """Check a recipe as `llamafactory-cli <cli>` would, without loading a model or data. Returns notes on
    the checks that belong to the machine the run goes to (GPU precision, DeepSpeed, optional packages)."""
    check_keys_and_types(config, cli, where, sources)
    from llamafactory.hparams import get_infer_args, get_train_args

    trial, notes = _trial_config(config, cli, where)
    try:
        with _quiet_parser():
            if cli == "train":
                get_train_args(trial)
            else:
                get_infer_args(trial)
    except (ValueError, TypeError, ImportError) as exc:
        keys = involved_keys(str(exc), config, cli)
        about = f"{_describe_keys(keys, config, sources)}: " if keys else ""
        raise EaiError(f"{where}: {about}LLaMA-Factory refuses this recipe: {exc}") from None
    return notes


def validate_file(path: Path, cli: str | None = None, sources: dict[str, str] | None = None) -> list[str]:
    config = load_yaml_mapping(path)
    if cli is None:
        cli = "export" if "export_dir" in config else "train"
    return validate_config(config, cli, str(path), sources)


def validate_rendered(rendered: Rendered, stages: list[str] | None = None) -> list[str]:
    """Validate a run's files where they are now (staged or in the run directory); errors name the file in
    the run directory, which is what the commands run."""
    notes: list[str] = []
    for name in stages or list(rendered.files):
        config = rendered.config(name)
        if rendered.staged is not None and isinstance(config.get("deepspeed"), str):
            staged_copy = rendered.staged / Path(config["deepspeed"]).name
            if staged_copy.is_file():  # not copied into the run directory yet
                config["deepspeed"] = str(staged_copy)
        for note in validate_config(config, ALL_STAGES[name].cli, str(rendered.files[name]), rendered.sources):
            if note not in notes:
                notes.append(note)
    return notes


