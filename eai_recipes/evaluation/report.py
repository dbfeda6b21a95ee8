"""`eai report RUN`: one report of a run (recipe, data, loss curve, metrics with intervals, sample answers)
and a model card ready to publish with the adapter.

Writes runs/<run>/report/: report.md (images beside it, for GitHub), report.html (the same report as one
self-contained file, images embedded), MODEL_CARD.md; and the card as runs/<run>/adapter/README.md, the file
the Hub shows, keeping the card LLaMA-Factory's trainer wrote there as README.llamafactory.md.
It reads only what the pipeline wrote: the rendered YAMLs, <dataset_dir>/manifest.json, the trainer's
state, runs/<run>/eval/ (from `eai eval`) and the predictions. Missing parts are named in the report and on
stderr, never invented.
"""

from __future__ import annotations

import base64
import json
import random
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from eai_recipes import __version__, paths, templates
from eai_recipes.config import load_yaml_mapping
from eai_recipes.errors import EaiError
from eai_recipes.evaluation.stages import stage_label, stages_section
from eai_recipes.facts import MODEL_LABELS
from eai_recipes.safety.resources import crisis_lines_summary

CARD_MARKER = "<!-- model card written by `eai report` -->"


# ---------------------------------------------------------------------------------------------- inputs


@dataclass
class RunInfo:
    """Everything the report reads from a run directory; None where a part was not produced."""

    run_dir: Path
    train: dict[str, Any]
    predict: dict[str, Any]
    manifest: dict[str, Any] | None
    manifest_path: Path
    train_results: dict[str, Any] | None
    state: dict[str, Any] | None
    metrics: dict[str, Any] | None
    checkpoints: dict[str, Any] | None
    missing: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.run_dir.name

    @property
    def base_model(self) -> str:
        return str(self.train.get("model_name_or_path", "?"))

    @property
    def base_is_local(self) -> bool:
        model = self.base_model
        return model.startswith((".", "/", "models/", "runs/")) or Path(model).exists()

    @property
    def is_tiny(self) -> bool:
        return Path(self.base_model) == paths.TINY_MODEL_DIR or "tiny" in Path(self.base_model).name


def resolve_run(run: str) -> Path:
    """A run name under runs/ or a path to a run directory (one holding the rendered train.yaml)."""
    for candidate in (Path(run), paths.RUNS_DIR / run):
        if (candidate / "train.yaml").is_file():
            return candidate
    known = sorted(p.name for p in paths.RUNS_DIR.glob("*") if (p / "train.yaml").is_file()) if \
        paths.RUNS_DIR.is_dir() else []
    raise EaiError(f"no run '{run}': neither {run}/train.yaml nor {paths.RUNS_DIR / run}/train.yaml exists "
                   f"(known runs: {', '.join(known) or 'none'}; train one with `eai train --profile NAME`)")


def _json(path: Path) -> Any | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise EaiError(f"{path}: not valid JSON ({exc})") from None


def load_run(run_dir: Path) -> RunInfo:
    train = load_yaml_mapping(run_dir / "train.yaml")
    predict_path = run_dir / "predict_adapter.yaml"
    predict = load_yaml_mapping(predict_path) if predict_path.is_file() else {}
    adapter = run_dir / "adapter"
    manifest_path = Path(str(train.get("dataset_dir", paths.DATA_DIR))) / "manifest.json"
    info = RunInfo(
        run_dir=run_dir, train=train, predict=predict,
        manifest=_json(manifest_path), manifest_path=manifest_path,
        train_results=_json(adapter / "train_results.json"), state=_json(adapter / "trainer_state.json"),
        metrics=_json(run_dir / "eval" / "metrics.json"), checkpoints=_json(run_dir / "eval" / "checkpoints.json"),
    )
    if not (adapter / "adapter_config.json").is_file() and not (adapter / "config.json").is_file():
        raise EaiError(f"{adapter} holds no trained model: run `eai train` for this run first")
    if info.manifest is None:
        info.missing.append(f"data manifest ({manifest_path}: run `eai data build`)")
    if info.metrics is None:
        info.missing.append(f"evaluation ({run_dir / 'eval' / 'metrics.json'}: run `eai eval --run-name {info.name}`)")
    if info.metrics and info.metrics.get("schema") is None:
        raise EaiError(f"{run_dir / 'eval' / 'metrics.json'} was written by an older `eai eval`: run "
                       f"`eai eval --run-name {info.name} --skip-predict` to rescore it")
    return info


# ---------------------------------------------------------------------------------------------- text


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|&~])")
LINE_BREAK = "\ue000"  # a private-use character: where our own <br> goes, never taken from the text


def md_text(text: str) -> str:
    """Model or dataset text as literal Markdown: every markup character escaped (so neither Markdown nor
    HTML in a model's answer renders), line breaks marked so the text fits in a table cell."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text.replace(LINE_BREAK, "").strip())
    return LINE_BREAK.join(escaped.splitlines()) if escaped else "*(empty)*"


def demote_headings(markdown: str) -> str:
    """Every heading one level down (outside fenced code), to nest a document in another."""
    out, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        out.append("#" + line if not fenced and re.match(r"#+ ", line) else line)
    return "\n".join(out)


def user_turn(prompt: str, template: str | None) -> str:
    """The last user message of a prompt as LLaMA-Factory decoded it, found with the template's own user
    slot (spaces between tokens tolerated: word-level tokenizers decode with them). Falls back to the whole
    prompt when the template is unknown or its user slot is not plain text."""
    try:
        from llamafactory.data.template import TEMPLATES

        slot = TEMPLATES[template].format_user.slots[0] if template in TEMPLATES else None
    except ImportError:
        slot = None
    if not isinstance(slot, str) or "{{content}}" not in slot:
        return prompt
    prefix, suffix = slot.split("{{content}}", 1)

    def loose(s: str) -> str:
        return r"\s*".join(re.escape(ch) for ch in s if not ch.isspace())

    starts = list(re.finditer(loose(prefix), prompt))
    if not starts:
        return prompt
    rest = prompt[starts[-1].end():]
    end = re.search(loose(suffix), rest) if suffix.strip() else None
    return (rest[:end.start()] if end else rest).strip()


def pick_samples(n: int, k: int, seed: int) -> list[int]:
    """k sample indices out of n, seeded, in order: a reproducible draw, not a hand-picked showcase."""
    return sorted(random.Random(seed).sample(range(n), min(k, n)))


# ------------------------------------------------------------------------------------------- sections


Image = Callable[[str, Path], str]  # (alt text, png path) -> Markdown image


def section_recipe(info: RunInfo) -> list[str]:
    t = info.train
    quant = (f"QLoRA: {t.get('quantization_bit')}-bit {t.get('quantization_type', '')} "
             f"({t.get('quantization_method', 'bnb')}), double quantization "
             f"{'on' if t.get('double_quantization') else 'off'}"
             if t.get("quantization_bit") else "none (LoRA on the full-precision model)")
    batch = t.get("per_device_train_batch_size")
    accum = t.get("gradient_accumulation_steps", 1)
    steps = (f"max_steps {t['max_steps']}" if t.get("max_steps") and t["max_steps"] > 0
             else f"{t.get('num_train_epochs')} epochs")
    rows = [
        ("Base model", f"`{info.base_model}`"),
        ("Template", f"`{t.get('template')}`"),
        ("Quantization", quant),
        ("LoRA", f"rank {t.get('lora_rank')}, alpha {t.get('lora_alpha')}, dropout {t.get('lora_dropout')}, "
                 f"target {t.get('lora_target')}"),
        ("Optimiser", f"{t.get('optim', 'adamw_torch')}, learning rate {t.get('learning_rate')}, "
                      f"{t.get('lr_scheduler_type')} schedule, {t.get('warmup_steps', 0)} warm-up steps"),
        ("Length", steps),
        ("Batch", f"{batch} x {accum} gradient accumulation = {batch * accum if batch else '?'} per step"),
        ("Precision", "bf16" if t.get("bf16") else "fp16" if t.get("fp16") else "fp32"),
        ("Cut-off length", t.get("cutoff_len")),
        ("Seed", t.get("seed")),
        ("Training data", f"`{t.get('dataset')}` from `{t.get('dataset_dir', 'data')}/`"),
    ]
    lines = ["## Recipe", "", "| Setting | Value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += ["", f"Rendered recipes: `{info.run_dir.as_posix()}/train.yaml` (run with "
                  f"`llamafactory-cli train {info.run_dir.as_posix()}/train.yaml`), `predict_base.yaml`, "
                  "`predict_adapter.yaml`, `export.yaml`.", ""]
    return lines


def _split_count(source: dict[str, Any]) -> int | None:
    for key, value in source.items():
        if key.startswith("in_") and isinstance(value, int):
            return value
    return None


def section_data(info: RunInfo) -> list[str]:
    lines = ["## Data", ""]
    m = info.manifest
    if m is None:
        return lines + [f"**No data manifest** at `{info.manifest_path.as_posix()}`: the data are not documented "
                        "here. Run `eai data build` and report again.", ""]
    params = m.get("parameters", {})
    totals = m.get("totals", {})
    mode = params.get("mode", "?")
    lines += [f"Built by `eai data build` ({mode} mode; identity {params.get('name', '?')} by "
              f"{params.get('author', '?')}; seed {params.get('seed', '?')}): {totals.get('train_rows', '?')} "
              f"training rows and {totals.get('val_rows', '?')} validation rows from {totals.get('read', '?')} rows "
              f"read ({totals.get('rejected', '?')} rejected, each with its reason in rejects.jsonl).", ""]
    if mode == "offline":
        lines += ["> The offline build reads the small samples shipped in the repository (our own writing in each "
                  "source's schema), not the real datasets.", ""]
    lines += ["| Source | Hub id @ revision | Role | Read | Kept | Rejected | In split | Licence |",
              "|---|---|---|---:|---:|---:|---:|---|"]
    for key, s in (m.get("sources") or {}).items():
        hub = f"`{s['hub_id']}` @ `{s.get('revision')}`" if s.get("hub_id") else "shipped file"
        lines.append(f"| {key} | {hub} | {s.get('role', '?')} | {s.get('read', '?')} | {s.get('kept', '?')} | "
                     f"{s.get('rejected', '?')} | {_split_count(s) if _split_count(s) is not None else '?'} | "
                     f"{s.get('licence', '?')} |")
    if m.get("system_prompt"):
        lines += ["", f"System prompt of every row: \"{md_text(m['system_prompt'])}\""]
    return lines + [""]


def section_training(info: RunInfo, image: Image, loss_png: Path | None) -> list[str]:
    lines = ["## Training", ""]
    r = info.train_results or {}
    st = info.state or {}
    facts = []
    if st.get("global_step") is not None:
        facts.append(f"{st['global_step']} steps")
    if r.get("epoch") is not None:
        facts.append(f"{r['epoch']:.2f} epochs")
    if r.get("train_loss") is not None:
        facts.append(f"mean training loss {r['train_loss']:.4f}")
    if r.get("train_runtime") is not None:
        facts.append(f"{r['train_runtime']:.0f} s")
    lines.append(("Trained: " + ", ".join(facts) + ".") if facts else
                 "No train_results.json: the training did not finish (or was not run by `eai train`).")
    lines.append("")
    if loss_png:
        lines += [image("Training loss per step", loss_png), ""]
    else:
        lines += ["No loss was logged (see `logging_steps`).", ""]
    return lines


def _stat(s: dict[str, Any], sign: bool = False) -> str:
    f = "{:+.2f}" if sign else "{:.2f}"
    return f"{f.format(s['mean'])} [{f.format(s['ci'][0])}, {f.format(s['ci'][1])}]"


def section_evaluation(info: RunInfo, image: Image, ckpt_png: Path | None) -> list[str]:
    from eai_recipes.evaluation import comparison_table

    lines = ["## Evaluation", ""]
    if info.metrics is None:
        lines += [f"**Not evaluated.** Run `eai eval --run-name {info.name}` (with the run's profile) and report "
                  "again.", ""]
    else:
        n = next(iter(info.metrics["models"].values()))["n"]
        lines += [f"Validation set: {n} samples, `{(info.metrics.get('generation') or {}).get('eval_dataset', '?')}`."
                  " Standard ROUGE F1 with 95% bootstrap intervals; the difference column is paired (the same "
                  "resampled samples for both models).", "", comparison_table(info.metrics).rstrip(), ""]
        empties = {m: sum(1 for r in _rows(info, m) if not r["predict"].strip()) for m in info.metrics["models"]}
        if any(empties.values()):
            lines += ["Empty answers: " + ", ".join(f"{MODEL_LABELS.get(m, m)} {c} of {n}"
                                                    for m, c in empties.items()) + ".", ""]
    if info.checkpoints:
        from eai_recipes.evaluation.checkpoints import checkpoint_table

        lines += ["### Checkpoint choice", "", checkpoint_table(info.checkpoints).rstrip(), ""]
        if ckpt_png:
            lines += [image("Validation ROUGE per checkpoint beside the training loss", ckpt_png), ""]
    lines += stages_section(info.run_dir)
    return lines


def _rows(info: RunInfo, model: str) -> list[dict[str, str]]:
    from eai_recipes.evaluation import load_predictions

    return load_predictions(Path(info.metrics["models"][model]["predictions"]))


def section_samples(info: RunInfo, k: int, seed: int) -> list[str]:
    lines = ["## Sample answers", ""]
    if not info.metrics or set(info.metrics["models"]) != {"adapter", "base"}:
        return lines + ["No side-by-side answers: both models' predictions are needed (`eai eval`).", ""]
    base, tuned = _rows(info, "base"), _rows(info, "adapter")
    picked = pick_samples(len(base), k, seed)
    template = info.train.get("template")
    lines += [f"{len(picked)} validation samples drawn at random (seed {seed}), not chosen by hand. The reference "
              "is the answer in the validation set.", ""]
    for number, i in enumerate(picked, 1):
        lines += [f"### Sample {number} (validation row {i + 1})", "",
                  f"**User:** {md_text(user_turn(base[i]['prompt'], template))}", "",
                  f"**Reference:** {md_text(base[i]['label'])}", "",
                  f"| {MODEL_LABELS['base']} | {MODEL_LABELS['adapter']} |", "|---|---|",
                  f"| {md_text(base[i]['predict'])} | {md_text(tuned[i]['predict'])} |", ""]
    return lines


# ------------------------------------------------------------------------------------------ model card


def _train_sources(info: RunInfo) -> list[tuple[str, dict[str, Any]]]:
    return [(k, s) for k, s in ((info.manifest or {}).get("sources") or {}).items() if s.get("role") == "train"]


def _front_matter(info: RunInfo) -> str:
    meta: dict[str, Any] = {"library_name": "peft", "language": ["en"], "license": "other",
                            "pipeline_tag": "text-generation",
                            "tags": ["llama-factory", "lora", "qlora" if info.train.get("quantization_bit") else "lora",
                                     "mental-health", "empathy", "eai-recipes"]}
    meta["tags"] = list(dict.fromkeys(meta["tags"]))
    if not info.base_is_local:
        meta["base_model"] = info.base_model
    hub = [s["hub_id"] for _, s in ((info.manifest or {}).get("sources") or {}).items() if s.get("hub_id")]
    if hub:
        meta["datasets"] = hub
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n"


def model_card(info: RunInfo) -> str:
    """The model card: templates/model_card.md.j2 filled with the run's figures."""
    from eai_recipes.evaluation.compare import decoding
    from eai_recipes.evaluation.judge_report import card_lines  # judge and dialogue figures, with their judge

    parameters = (info.manifest or {}).get("parameters") or {}
    t = info.train
    method = "QLoRA" if t.get("quantization_bit") else "LoRA"
    sources = _train_sources(info)
    rows = [f"| {('`' + s['hub_id'] + '`') if s.get('hub_id') else key} | {s.get('revision') or '-'} | "
            f"{_split_count(s) if _split_count(s) is not None else '?'} | {s.get('licence', '?')} |"
            for key, s in sources]
    training = (f"LLaMA-Factory SFT, {method}"
                + (f" ({t.get('quantization_bit')}-bit {t.get('quantization_type')}, double quantization "
                   f"{'on' if t.get('double_quantization') else 'off'})" if t.get("quantization_bit") else "")
                + f"; LoRA rank {t.get('lora_rank')}, alpha {t.get('lora_alpha')}, dropout {t.get('lora_dropout')}; "
                f"learning rate {t.get('learning_rate')} ({t.get('lr_scheduler_type')}); batch "
                f"{t.get('per_device_train_batch_size')} x {t.get('gradient_accumulation_steps', 1)}; cut-off "
                f"{t.get('cutoff_len')} tokens; seed {t.get('seed')}. The identity prompt goes in the system slot; "
                f"use it when chatting (template `{t.get('template')}`).")
    return templates.get("model_card.md.j2", autoescape=False).render(
        front_matter=_front_matter(info), marker=CARD_MARKER, name=parameters.get("name", "EAI"),
        author=parameters.get("author", ""), method=method, base_model=info.base_model, run=info.name,
        local_base=info.is_tiny or info.base_is_local, is_tiny=info.is_tiny,
        # crisis lines from the one resources file, so that the card never disagrees with the server
        offline=parameters.get("mode") == "offline", crisis_lines=crisis_lines_summary(), sources=rows,
        undeclared=[k for k, s in sources if "none" in str(s.get("licence", "")).lower()],
        manifest_path=info.manifest_path.as_posix(), training=training,
        evaluation=None if info.metrics is None else _card_evaluation(info, decoding(info.metrics)),
        stage=stage_label(t), judge_lines=card_lines(info.run_dir),
        template=t.get("template"), version=__version__, llamafactory_version=_version("llamafactory"))


def _card_evaluation(info: RunInfo, decoding: str) -> dict[str, Any]:
    m = info.metrics
    table = ["| Metric | " + " | ".join(MODEL_LABELS.get(k, k) for k in m["models"])
             + (" | Difference (paired) |" if "difference" in m else " |"),
             "|---" * (len(m["models"]) + 1 + ("difference" in m)) + "|"]
    for key, label in (("rouge1", "ROUGE-1"), ("rouge2", "ROUGE-2"), ("rougeL", "ROUGE-L")):
        cells = [_stat(v["rouge"][key]) for v in m["models"].values()]
        if "difference" in m:
            cells.append(_stat(m["difference"][key], sign=True))
        table.append(f"| {label} | " + " | ".join(cells) + " |")
    final = (info.state or {}).get("global_step")
    checkpoint = ""
    if info.checkpoints:
        best = info.checkpoints["best"]
        same = final is not None and best == final
        checkpoint = (f"Checkpoint choice (`eai eval --checkpoints`): checkpoint-{best} by the rule: "
                      f"{info.checkpoints['rule']}."
                      + ("" if same else f" To publish that one, publish `checkpoint-{best}/` with this card "
                                         "instead of the final weights."))
    return {"n": next(iter(m["models"].values()))["n"], "decoding": decoding,
            "confidence": f"{m['bootstrap']['confidence']:.0%}", "table": table, "final": final,
            "checkpoint": checkpoint}


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


# ------------------------------------------------------------------------------------------- assembly


def build_markdown(info: RunInfo, image: Image, loss_png: Path | None, ckpt_png: Path | None, k: int,
                   seed: int) -> str:
    lines = [f"# Run report: `{info.name}`", "",
             f"Written by `eai report {info.name}` (eai-recipes {__version__}, LLaMA-Factory "
             f"{_version('llamafactory')}).", ""]
    if info.missing:
        lines += ["> **Incomplete:** " + "; ".join(info.missing) + ".", ""]
    lines += ["Contents: Recipe, Data, Training, Evaluation, Sample answers, Model card.", ""]
    lines += section_recipe(info) + section_data(info) + section_training(info, image, loss_png)
    from eai_recipes.evaluation.judge_report import section_dialogue, section_judge

    lines += section_evaluation(info, image, ckpt_png)
    lines += section_judge(info.run_dir) + section_dialogue(info.run_dir, md_text)  # when those files exist
    lines += section_samples(info, k, seed)
    card = model_card(info).split(CARD_MARKER, 1)[1].strip()
    card = demote_headings(card)
    lines += ["## Model card", "", f"Also written as `{info.run_dir.as_posix()}/report/MODEL_CARD.md` and "
              f"`{info.run_dir.as_posix()}/adapter/README.md`.", "", card, ""]
    return "\n".join(lines).replace(LINE_BREAK, "<br>")


def to_html(markdown: str, title: str) -> str:
    """The Markdown report as one HTML page. Raw HTML is off, so text from models and datasets (escaped
    in the Markdown) cannot inject markup; our own line breaks in table cells become <br> after rendering."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown.replace("<br>", LINE_BREAK))
    body = body.replace(LINE_BREAK, "<br>")
    return templates.get("report.html.j2").render(title=title, body=body)


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def install_card(card: str, adapter_dir: Path) -> Path:
    """adapter/README.md is what the Hub shows: put the card there, keeping the trainer's generic card once."""
    readme = adapter_dir / "README.md"
    kept = adapter_dir / "README.llamafactory.md"
    if readme.exists() and CARD_MARKER not in readme.read_text(encoding="utf-8") and not kept.exists():
        shutil.move(readme, kept)
    readme.write_text(card, encoding="utf-8")
    return readme


def write_report(run_dir: Path, out_dir: Path | None = None, *, samples: int = 5, seed: int = 0,
                 adapter_card: bool = True) -> dict[str, Path]:
    """Write report.md, report.html, MODEL_CARD.md (+ images) and adapter/README.md; return their paths."""
    from eai_recipes.evaluation.plots import loss_history, plot_loss

    info = load_run(run_dir)
    out = out_dir or run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    history, _ = loss_history(run_dir / "adapter")
    loss_png = plot_loss(history, out / "loss.png", title=f"Training loss, run {info.name}") if history else None
    ckpt_png = None
    if info.checkpoints and Path(info.checkpoints.get("plot", "")).is_file():
        ckpt_png = Path(shutil.copy(info.checkpoints["plot"], out / "checkpoints.png"))

    md = build_markdown(info, lambda alt, p: f"![{alt}]({p.name})", loss_png, ckpt_png, samples, seed)
    html_md = build_markdown(info, lambda alt, p: f"![{alt}]({_data_uri(p)})", loss_png, ckpt_png, samples, seed)
    card = model_card(info)
    written = {name: out / name for name in ("report.md", "report.html", "MODEL_CARD.md")}
    written["report.md"].write_text(md, encoding="utf-8")
    written["report.html"].write_text(to_html(html_md, f"EAI run report: {info.name}"), encoding="utf-8")
    written["MODEL_CARD.md"].write_text(card, encoding="utf-8")
    if adapter_card:
        written["adapter card"] = install_card(card, run_dir / "adapter")
    for part in info.missing:
        print(f"eai report: warning: missing {part}", file=sys.stderr)
    return written
