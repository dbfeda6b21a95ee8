"""The study's questions: loading the shipped (or a user's) questions file, and turning it into a dataset and
predict configs that LLaMA-Factory runs to produce each model's answers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from eai_recipes import paths
from eai_recipes.errors import EaiError
from eai_recipes.identity import system_prompt

DEFAULT_QUESTIONS = paths.DATASET_INFO_DIR / "humaneval_questions.json"
DATASET_NAME = "eai_humaneval"
DATASET_FILE = "humaneval_questions.json"

# Model names end up in file names, the key and the CSV; "A"/"B" would collide with the blinded labels.
MODEL_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
RESERVED_NAMES = {"a", "b"}


@dataclass(frozen=True)
class Question:
    id: str
    topic: str
    question: str


def load_questions(path: Path | str = DEFAULT_QUESTIONS) -> list[Question]:
    """Read a questions file: a JSON list of {"id", "topic", "question"} with unique, non-empty ids."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EaiError(f"questions file {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise EaiError(f"questions file {path} is not valid JSON: {exc}") from None
    if not isinstance(raw, list) or not raw:
        raise EaiError(f"questions file {path} must hold a non-empty JSON list of {{id, topic, question}} objects")
    questions: list[Question] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        where = f"questions file {path}, entry {index}"
        if not isinstance(entry, dict):
            raise EaiError(f"{where} is a {type(entry).__name__}, not an object with id, topic and question")
        missing = [key for key in ("id", "topic", "question") if not str(entry.get(key) or "").strip()]
        if missing:
            raise EaiError(f"{where} lacks {', '.join(missing)} (each entry needs non-empty id, topic and question)")
        qid = str(entry["id"]).strip()
        if qid in seen:
            raise EaiError(f"{where}: question id {qid!r} appears twice; ids must be unique")
        seen.add(qid)
        questions.append(Question(qid, str(entry["topic"]).strip(), str(entry["question"]).strip()))
    return questions


def check_model_name(name: str, where: str) -> str:
    name = name.strip()
    if not MODEL_NAME_RE.match(name) or name.lower() in RESERVED_NAMES:
        raise EaiError(
            f"{where}: model name {name!r} is not allowed; use letters, digits, '.', '_' or '-' "
            "(not 'A' or 'B', which are the blinded labels)"
        )
    return name


def parse_assignments(values: list[str] | None, option: str) -> dict[str, str]:
    """`NAME=VALUE` pairs from a repeated option, in the order given."""
    pairs: dict[str, str] = {}
    for value in values or []:
        name, sep, rest = value.partition("=")
        if not sep or not rest.strip():
            raise EaiError(f"{option} {value!r}: expected MODEL=PATH")
        name = check_model_name(name, option)
        if name in pairs:
            raise EaiError(f"{option}: model {name!r} is given twice")
        pairs[name] = rest.strip()
    return pairs


def alpaca_rows(questions: list[Question], system: str | None) -> list[dict]:
    """One Alpaca row per question; the empty output makes LLaMA-Factory generate without a reference."""
    rows = []
    for q in questions:
        row = {"id": q.id, "instruction": q.question, "input": "", "output": ""}
        if system:
            row["system"] = system
        rows.append(row)
    return rows


def dataset_info(system: str | None) -> dict:
    columns = {"prompt": "instruction", "query": "input", "response": "output"}
    if system:
        columns["system"] = "system"
    return {DATASET_NAME: {"file_name": DATASET_FILE, "columns": columns}}


OVERRIDE_KEY_RE = re.compile(r"^[a-z_][a-z0-9_]*$")


def parse_overrides(values: list[str] | None) -> dict[str, str]:
    """`--set key=value` pairs for the predict configs; values are YAML scalars, as on LLaMA-Factory's CLI."""
    overrides: dict[str, str] = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        key = key.strip()
        if not sep or not OVERRIDE_KEY_RE.match(key) or not rest.strip():
            raise EaiError(f"--set {value!r}: expected key=value with a LLaMA-Factory argument name, "
                           "e.g. quantization_bit=4")
        overrides[key] = rest.strip()
    return overrides


def predict_yaml(*, model_path: str, adapter: str | None, template: str, dataset_dir: Path, output_dir: Path,
                 max_new_tokens: int, seed: int, name: str, yaml_path: Path,
                 overrides: dict[str, str] | None = None) -> str:
    """A LLaMA-Factory predict config: greedy decoding, one question at a time, answers in questions' order."""
    sections: dict[str, dict[str, str]] = {
        "model": {"model_name_or_path": json.dumps(model_path),
                  **({"adapter_name_or_path": json.dumps(adapter)} if adapter else {}),
                  "template": template, "trust_remote_code": "true"},
        "method": {"stage": "sft", "do_predict": "true", "finetuning_type": "lora"},
        "dataset": {"eval_dataset": DATASET_NAME, "dataset_dir": json.dumps(str(dataset_dir)),
                    "cutoff_len": "2048", "overwrite_cache": "true", "preprocessing_num_workers": "1"},
        "output": {"output_dir": json.dumps(str(output_dir)), "overwrite_output_dir": "true", "report_to": "none"},
        "generation": {"predict_with_generate": "true", "per_device_eval_batch_size": "1", "do_sample": "false",
                       "max_new_tokens": str(max_new_tokens), "seed": str(seed)},
    }
    extra: dict[str, str] = {}
    for key, value in (overrides or {}).items():
        target = next((section for section in sections.values() if key in section), extra)
        target[key] = value
    if extra:
        sections["overrides (--set)"] = extra
    lines = [
        f"# Answers of {name!r} to the human-evaluation questions (written by `eai humaneval prepare`).",
        f"# Run from the project root:  llamafactory-cli train {yaml_path}",
        "# key=value after the path overrides a key for one run (e.g. quantization_bit=4 bf16=true).",
    ]
    for title, keys in sections.items():
        lines += ["", f"### {title}", *(f"{key}: {value}" for key, value in keys.items())]
    return "\n".join(lines) + "\n"


def prepare(questions: list[Question], out: Path, *, models: dict[str, str], adapters: dict[str, str],
            template: str, system: str | None, max_new_tokens: int, seed: int,
            overrides: dict[str, str] | None = None) -> dict[str, tuple[Path, Path]]:
    """Write `out/data/` (dataset + dataset_info.json) and one `out/predict_<model>.yaml` per model.

    Returns, per model, its config and where its generated_predictions.jsonl will be after the predict run.
    """
    unknown = sorted(set(adapters) - set(models))
    if unknown:
        raise EaiError(f"--adapter given for {', '.join(unknown)}, which no --model names (models: "
                       f"{', '.join(models) or 'none'})")
    data_dir = out / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / DATASET_FILE).write_text(
        json.dumps(alpaca_rows(questions, system), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (data_dir / "dataset_info.json").write_text(json.dumps(dataset_info(system), indent=2) + "\n", encoding="utf-8")
    predictions: dict[str, tuple[Path, Path]] = {}
    for name, model_path in models.items():
        output_dir = out / "answers" / name
        yaml_path = out / f"predict_{name}.yaml"
        text = predict_yaml(model_path=model_path, adapter=adapters.get(name), template=template,
                            dataset_dir=data_dir, output_dir=output_dir, max_new_tokens=max_new_tokens,
                            seed=seed, name=name, yaml_path=yaml_path, overrides=overrides)
        yaml_path.write_text(text, encoding="utf-8")
        predictions[name] = (yaml_path, output_dir / "generated_predictions.jsonl")
    return predictions


def default_system() -> str:
    return system_prompt()
