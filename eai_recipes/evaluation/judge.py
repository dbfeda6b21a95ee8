"""`eai judge`: a model scores the base model's and EAI's validation answers on a rubric (recipes/judge/).

The judge is any model LLaMA-Factory loads, named by a judge profile (recipes/judge/profiles/). Generation is
LLaMA-Factory's, never ours:
- backend `huggingface`: LLaMA-Factory's batched predict (`llamafactory-cli train` with do_predict and
  predict_with_generate, `per_device_eval_batch_size` = the profile's batch, left padding), on a dataset of
  judge prompts written beside the outputs;
- backend `vllm`: LLaMA-Factory's `ChatModel` with its vLLM engine, a batch of requests in flight at once so
  vLLM's scheduler batches them.

Every reply is parsed strictly against the rubric's schema (rubrics.parse_judgment). An unparsable reply is
asked again once, with the reason it could not be read; a second failure is counted under "unparsable" and
that answer has no score on any dimension. Nothing is guessed: no default score, no partial object.

Pairwise mode puts base and EAI side by side on each question in both orders (base as A, then EAI as A) and
reports how often the verdict follows the position rather than the answer (position disagreement).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eai_recipes import paths
from eai_recipes.errors import EaiError
from eai_recipes.evaluation import rubrics
from eai_recipes.evaluation.bootstrap import (
    BootstrapSettings,
    mean_ci,
    paired_difference_ci,
)
from eai_recipes.evaluation.rubrics import JudgeProfile, Rubric
from eai_recipes.evaluation.scoring import check_aligned, load_predictions

MODELS = ("base", "eai")
PRED_SUBDIR = {"base": "base", "eai": "adapter"}  # runs/<run>/predict/<subdir>/
JUDGMENTS_FILE = "judgments.jsonl"
SUMMARY_FILE = "summary.json"
CALIBRATION_FILE = "calibration.json"
DATASET_NAME = "eai_judge_prompts"


@dataclass
class Request:
    """One prompt for the judge; `key` ties the reply back to what was judged."""

    key: str
    system: str
    prompt: str
    schema: dict[str, list]


@dataclass
class Judgment:
    key: str
    scores: dict[str, Any] | None
    tries: int
    problems: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)


Generate = Callable[[list[Request]], list[str]]


# ------------------------------------------------------------------------------------------- backends


def _child_env() -> dict[str, str]:
    """The environment for llamafactory-cli: no launch variables from the shell (a stray FORCE_TORCHRUN=1
    must not turn a prediction into a torchrun job), quiet libraries."""
    from eai_recipes.recipes.launch_env import LAUNCH_ENV

    env = {k: v for k, v in os.environ.items() if k not in LAUNCH_ENV or k == "CUDA_VISIBLE_DEVICES"}
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def predict_config(profile: JudgeProfile, dataset_dir: Path, output_dir: Path, *,
                   batch_size: int | None = None) -> dict[str, Any]:
    """The LLaMA-Factory predict arguments for one pass of judge prompts."""
    d = profile.decoding
    cfg: dict[str, Any] = {
        "model_name_or_path": profile.model,
        "trust_remote_code": profile.trust_remote_code,
        "stage": "sft",
        "do_predict": True,
        "predict_with_generate": True,
        "finetuning_type": "lora",
        "eval_dataset": DATASET_NAME,
        "dataset_dir": dataset_dir.as_posix(),
        "template": profile.template,
        "cutoff_len": profile.cutoff_len,
        "overwrite_cache": True,
        "preprocessing_num_workers": 1,
        "dataloader_num_workers": 0,
        "output_dir": output_dir.as_posix(),
        "overwrite_output_dir": True,
        "report_to": "none",
        "per_device_eval_batch_size": batch_size or profile.batch_size,
        "do_sample": d.do_sample,
        "temperature": d.temperature if d.do_sample else 0.0,
        "top_p": d.top_p,
        "max_new_tokens": d.max_new_tokens,
        "repetition_penalty": d.repetition_penalty,
        "seed": d.seed,
    }
    if profile.adapter:
        cfg["adapter_name_or_path"] = profile.adapter
    return cfg


def write_prompt_dataset(requests: list[Request], dataset_dir: Path) -> None:
    """Alpaca rows (instruction = the prompt, system = the rubric's instructions) and their dataset_info.json.
    The label is a placeholder: LLaMA-Factory's predict wants one, and the judge has no reference to match."""
    dataset_dir.mkdir(parents=True, exist_ok=True)
    rows = [{"instruction": r.prompt, "input": "", "output": "ok", "system": r.system} for r in requests]
    (dataset_dir / "prompts.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    info = {DATASET_NAME: {"file_name": "prompts.json", "columns": {
        "prompt": "instruction", "query": "input", "response": "output", "system": "system"}}}
    (dataset_dir / "dataset_info.json").write_text(json.dumps(info, indent=2), encoding="utf-8")


def llamafactory_generator(profile: JudgeProfile, work_dir: Path, *, quiet: bool = True,
                           batch_size: int | None = None) -> Generate:
    """Each call is one `llamafactory-cli train` predict pass over the requests, batched by the profile."""
    from eai_recipes.launch.preflight import llamafactory_cli
    from eai_recipes.launch.run import run_logged

    calls = {"n": 0}

    def generate(requests: list[Request]) -> list[str]:
        if not requests:
            return []
        calls["n"] += 1
        pass_dir = work_dir / f"pass-{calls['n']}"
        write_prompt_dataset(requests, pass_dir / "data")
        out = pass_dir / "predict"
        cfg = predict_config(profile, pass_dir / "data", out, batch_size=batch_size)
        cfg_path = pass_dir / "predict.yaml"
        cfg_path.write_text("# Judge prompts through LLaMA-Factory's batched predict; written by `eai judge`.\n"
                            + yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
        print(f"==> judge: {len(requests)} prompts with {profile.label} (llamafactory-cli predict, batch "
              f"{cfg['per_device_eval_batch_size']}; log {pass_dir / 'predict.log'})", file=sys.stderr, flush=True)
        run_logged([llamafactory_cli(), "train", cfg_path.as_posix()], pass_dir / "predict.log", env=_child_env(),
                   quiet=quiet)
        rows = load_predictions(out)
        if len(rows) != len(requests):
            raise EaiError(f"{out}: LLaMA-Factory wrote {len(rows)} predictions for {len(requests)} judge prompts "
                           f"(a prompt longer than cutoff_len {profile.cutoff_len}? see {pass_dir / 'predict.log'})")
        return [r["predict"] for r in rows]

    return generate


def vllm_generator(profile: JudgeProfile) -> Generate:
    """LLaMA-Factory's ChatModel on its vLLM engine; `batch_size` requests in flight at once. Not run yet:
    the development machine has no GPU (see eai_recipes/evaluation/README.md)."""
    from llamafactory.chat import ChatModel

    d = profile.decoding
    args = {"model_name_or_path": profile.model, "template": profile.template, "infer_backend": "vllm",
            "trust_remote_code": profile.trust_remote_code, "vllm_maxlen": profile.cutoff_len + d.max_new_tokens,
            "do_sample": d.do_sample, "temperature": d.temperature if d.do_sample else 0.0, "top_p": d.top_p,
            "max_new_tokens": d.max_new_tokens, "repetition_penalty": d.repetition_penalty}
    if profile.adapter:
        args |= {"adapter_name_or_path": profile.adapter, "finetuning_type": "lora"}
    chat_model = ChatModel(args)

    async def one_batch(batch: list[Request]) -> list[str]:
        replies = await asyncio.gather(*(chat_model.achat([{"role": "user", "content": r.prompt}], r.system)
                                         for r in batch))
        return [reply[0].response_text for reply in replies]

    def generate(requests: list[Request]) -> list[str]:
        out: list[str] = []
        for i in range(0, len(requests), profile.batch_size):
            batch = requests[i:i + profile.batch_size]
            out += asyncio.run_coroutine_threadsafe(one_batch(batch), chat_model._loop).result()
        return out

    return generate


def make_generator(profile: JudgeProfile, work_dir: Path, *, quiet: bool = True) -> Generate:
    model = Path(profile.model)
    if (profile.model.startswith((".", "/", "models/", "runs/")) or model.exists()) and not (
            model / "config.json").is_file():
        hint = " (build it with `eai tiny-model`)" if model == paths.TINY_MODEL_DIR else ""
        raise EaiError(f"judge profile '{profile.name}': model {profile.model} has no config.json{hint}")
    if profile.backend == "vllm":
        return vllm_generator(profile)
    return llamafactory_generator(profile, work_dir, quiet=quiet)


# ------------------------------------------------------------------------------------ judge, retry once


def judge_requests(requests: list[Request], generate: Generate) -> list[Judgment]:
    """Judge every request; ask once more (with the reason) where the reply was unparsable; never guess."""
    replies = generate(requests)
    if len(replies) != len(requests):
        raise EaiError(f"the judge returned {len(replies)} replies for {len(requests)} prompts")
    results: list[Judgment] = []
    retry: list[tuple[int, Request]] = []
    for i, (req, reply) in enumerate(zip(requests, replies)):
        scores, problem = rubrics.parse_judgment(reply, req.schema)
        results.append(Judgment(req.key, scores, 1, [problem] if problem else [], [reply]))
        if scores is None:
            retry.append((i, Request(req.key, req.system, rubrics.retry_prompt(req.prompt, reply, problem),
                                     req.schema)))
    if retry:
        second = generate([r for _, r in retry])
        if len(second) != len(retry):
            raise EaiError(f"the judge returned {len(second)} replies for {len(retry)} retried prompts")
        for (i, req), reply in zip(retry, second):
            scores, problem = rubrics.parse_judgment(reply, req.schema)
            j = results[i]
            j.tries, j.scores = 2, scores
            j.replies.append(reply)
            if problem:
                j.problems.append(problem)
    return results


# --------------------------------------------------------------------------------------------- items


_USER_TURN = re.compile(r"<\|im_start\|>\s*user\s*<\|im_sep\|>(.*?)<\|im_end\|>", re.DOTALL)


def question_of(prompt: str) -> str:
    """The last user message of a prompt LLaMA-Factory wrote (template tokens kept), or the prompt with its
    template tokens removed where the template is not one with `<|im_start|>user` turns."""
    turns = _USER_TURN.findall(prompt)
    if turns:
        return turns[-1].strip()
    return re.sub(r"<\|[^<>|]*\|>", " ", prompt).strip()


def load_pairs(run_dir: Path, predict_dir: Path | None = None) -> list[dict[str, str]]:
    """[{"question", "reference", "base", "eai"}] from runs/<run>/predict/{base,adapter}/, aligned."""
    predict_dir = predict_dir or run_dir / "predict"
    if not predict_dir.is_dir() and (run_dir / "predict-vllm").is_dir():
        predict_dir = run_dir / "predict-vllm"
    base_dir, eai_dir = predict_dir / PRED_SUBDIR["base"], predict_dir / PRED_SUBDIR["eai"]
    base, eai = load_predictions(base_dir), load_predictions(eai_dir)
    check_aligned(base_dir, base, eai_dir, eai)
    return [{"question": question_of(b["prompt"]), "reference": b["label"], "base": b["predict"],
             "eai": e["predict"]} for b, e in zip(base, eai)]


def single_requests(rubric: Rubric, pairs: list[dict[str, str]], *, with_reference: bool = True) -> list[Request]:
    system, schema = rubrics.system_prompt(rubric), rubric.schema()
    return [Request(f"{model}/{i}", system,
                    rubrics.render_single(rubric, question=p["question"], answer=p[model],
                                          reference=p["reference"] if with_reference else None), schema)
            for model in MODELS for i, p in enumerate(pairs)]


def pairwise_requests(rubric: Rubric, pairs: list[dict[str, str]]) -> list[Request]:
    """Both orders of every pair: `base_first` shows base as A, `eai_first` shows EAI as A."""
    system = rubrics.system_prompt(rubric)
    schema = {d.id: list(rubrics.PAIRWISE_SCALE) for d in rubric.pairwise_dimensions()}
    out = []
    for i, p in enumerate(pairs):
        out.append(Request(f"pair/{i}/base_first", system, rubrics.render_pairwise(
            rubric, question=p["question"], first=p["base"], second=p["eai"]), schema))
        out.append(Request(f"pair/{i}/eai_first", system, rubrics.render_pairwise(
            rubric, question=p["question"], first=p["eai"], second=p["base"]), schema))
    return out


def winner(order: str, verdict: str) -> str:
    """The model a verdict names: A is the first shown, B the second; a tie is a tie."""
    if verdict == "tie":
        return "tie"
    first, second = ("base", "eai") if order == "base_first" else ("eai", "base")
    return first if verdict == "A" else second


# ------------------------------------------------------------------------------------------ aggregation


def mean_interval(values: list[float], settings: BootstrapSettings) -> dict[str, Any]:
    if not values:
        return {"mean": None, "low": None, "high": None, "n": 0}
    r = mean_ci(values, settings)
    return {"mean": r["mean"], "low": r["ci"][0], "high": r["ci"][1], "n": len(values)}


def aggregate_single(rubric: Rubric, judgments: list[Judgment],
                     settings: BootstrapSettings = BootstrapSettings()) -> dict[str, Any]:
    """Per model and dimension: mean with a bootstrap interval over the parsed judgments (numeric scales), or
    counts of each value (category scales); the paired difference EAI - base where both were parsed;
    unparsable counts. Unparsable judgments are left out of every mean, and counted."""
    by_model: dict[str, dict[int, dict[str, Any]]] = {m: {} for m in MODELS}
    unparsable: dict[str, dict[str, Any]] = {}
    for m in MODELS:
        mine = [j for j in judgments if j.key.split("/")[0] == m]
        failed = [j for j in mine if j.scores is None]
        unparsable[m] = {"count": len(failed), "of": len(mine), "retried": sum(j.tries > 1 for j in mine),
                         "reasons": dict(Counter(j.problems[-1] for j in failed).most_common(5))}
        for j in mine:
            if j.scores is not None:
                by_model[m][int(j.key.split("/")[1])] = j.scores
    models: dict[str, dict[str, Any]] = {}
    for m in MODELS:
        models[m] = {}
        for d in rubric.dimensions:
            values = [s[d.id] for s in by_model[m].values()]
            if d.numeric:
                models[m][d.id] = mean_interval([float(v) for v in values], settings)
            else:
                models[m][d.id] = {"mean": None, "low": None, "high": None, "n": len(values),
                                   "counts": {str(v): values.count(v) for v in d.scale}}
    both = sorted(set(by_model["base"]) & set(by_model["eai"]))
    difference = {}
    for d in rubric.dimensions:
        if not d.numeric:
            continue
        if not both:
            difference[d.id] = {"mean": None, "low": None, "high": None, "n": 0}
            continue
        a = [float(by_model["eai"][i][d.id]) for i in both]
        b = [float(by_model["base"][i][d.id]) for i in both]
        r = paired_difference_ci(a, b, settings)
        difference[d.id] = {"mean": r["mean"], "low": r["ci"][0], "high": r["ci"][1], "n": len(both)}
    return {"models": models, "difference_eai_minus_base": difference, "unparsable": unparsable}


def aggregate_pairwise(rubric: Rubric, judgments: list[Judgment]) -> dict[str, Any]:
    """Per dimension, over the questions whose two orders were both parsed: wins for each model where the two
    orders agree, ties, and position disagreement (share of questions where swapping the order changed the
    winner); and the share of non-tie verdicts that chose the first-shown answer (position bias)."""
    verdicts: dict[int, dict[str, dict[str, str]]] = {}
    failed = 0
    for j in judgments:
        _, i, order = j.key.split("/")
        if j.scores is None:
            failed += 1
            continue
        verdicts.setdefault(int(i), {})[order] = j.scores
    complete = {i: v for i, v in verdicts.items() if len(v) == 2}
    dims: dict[str, Any] = {}
    for d in rubric.pairwise_dimensions():
        eai = base = tie = disagree = first = decided = 0
        for v in complete.values():
            w1, w2 = winner("base_first", v["base_first"][d.id]), winner("eai_first", v["eai_first"][d.id])
            if w1 != w2:
                disagree += 1
            elif w1 == "eai":
                eai += 1
            elif w1 == "base":
                base += 1
            else:
                tie += 1
        for v in verdicts.values():
            for s in v.values():
                if s[d.id] != "tie":
                    decided += 1
                    first += s[d.id] == "A"
        n = len(complete)
        dims[d.id] = {"n": n, "eai_wins": eai, "base_wins": base, "ties": tie, "order_disagreements": disagree,
                      "position_disagreement": disagree / n if n else None,
                      "first_position_share": first / decided if decided else None}
    return {"dimensions": dims, "questions": len({int(j.key.split('/')[1]) for j in judgments}),
            "complete_questions": len(complete), "unparsable": {"count": failed, "of": len(judgments)}}


def calibration_status(judge_dir: Path, rubric: Rubric, profile: JudgeProfile) -> dict[str, Any]:
    """What `eai judge calibrate` found for this judge and rubric, or that it was not calibrated: the report
    and the model card print this beside every judge figure."""
    path = judge_dir / CALIBRATION_FILE
    how = (f"eai judge calibrate --profile {profile.name} --rubric {rubric.name}_v{rubric.version} "
           "--responses <humaneval responses.csv> ...")
    if not path.is_file():
        return {"status": "not calibrated", "how": how}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {"status": "not calibrated", "how": how, "note": f"{path} could not be read"}
    if (data.get("rubric"), str(data.get("rubric_version")), data.get("judge_model")) != (
            rubric.name, str(rubric.version), profile.label):
        return {"status": "not calibrated", "how": how,
                "note": f"{path} is for another judge or rubric version"}
    return {"status": data.get("status", "unknown"), "file": path.as_posix(),
            "dimensions": data.get("dimensions", {}), "answers": data.get("answers")}


# ------------------------------------------------------------------------------------------------ run


def run_judge(run_dir: Path, profile: JudgeProfile, rubric: Rubric, *, pairwise: bool = False,
              generate: Generate | None = None, settings: BootstrapSettings = BootstrapSettings(),
              limit: int | None = None, with_reference: bool = True, quiet: bool = True) -> dict[str, Any]:
    """Judge a run's base and EAI predictions; write runs/<run>/judge/{judgments.jsonl,summary.json}."""
    pairs = load_pairs(run_dir)
    if limit:
        pairs = pairs[:limit]
    out = run_dir / "judge"
    out.mkdir(parents=True, exist_ok=True)
    generate = generate or make_generator(profile, out / "work", quiet=quiet)
    started = time.monotonic()
    # One judge pass for single and pairwise prompts together (and one for all the retries): each pass of the
    # huggingface backend is a llamafactory-cli process, whose start-up costs more than the tiny model's work.
    requests = single_requests(rubric, pairs, with_reference=with_reference)
    requests += pairwise_requests(rubric, pairs) if pairwise else []
    judged = judge_requests(requests, generate)
    single = [j for j in judged if not j.key.startswith("pair/")]
    pair = [j for j in judged if j.key.startswith("pair/")]
    seconds = time.monotonic() - started
    with open(out / JUDGMENTS_FILE, "w", encoding="utf-8") as f:
        for j in single:
            model, i = j.key.split("/")
            f.write(json.dumps({"mode": "single", "model": model, "index": int(i), "scores": j.scores,
                                "tries": j.tries, "problems": j.problems, "replies": j.replies},
                               ensure_ascii=False) + "\n")
        for j in pair:
            _, i, order = j.key.split("/")
            winners = {k: winner(order, v) for k, v in j.scores.items()} if j.scores else None
            f.write(json.dumps({"mode": "pairwise", "index": int(i), "order": order, "verdicts": j.scores,
                                "winners": winners, "tries": j.tries, "problems": j.problems,
                                "replies": j.replies}, ensure_ascii=False) + "\n")
    agg = aggregate_single(rubric, single, settings)
    summary: dict[str, Any] = {
        "rubric": rubric.name, "rubric_version": rubric.version, "judge_model": profile.label,
        "judge_profile": profile.name, "backend": profile.backend, "questions": len(pairs),
        "models": agg["models"], "difference_eai_minus_base": agg["difference_eai_minus_base"],
        "unparsable": agg["unparsable"], "calibration": calibration_status(out, rubric, profile),
        "decoding": profile.decoding.model_dump(), "seconds": round(seconds, 1),
        "bootstrap": settings.as_dict(),
    }
    if pairwise:
        summary["pairwise"] = aggregate_pairwise(rubric, pair)
        summary["unparsable"]["pairwise"] = summary["pairwise"]["unparsable"]
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return summary


def format_summary(summary: dict[str, Any]) -> str:
    def f(x):
        return "-" if x is None else f"{x:.2f}"

    lines = [f"Judge {summary['judge_model']} on rubric {summary['rubric']} v{summary['rubric_version']} "
             f"({summary['questions']} questions; calibration: {summary['calibration']['status']})", "",
             "| dimension | base mean [95% CI] (n) | EAI mean [95% CI] (n) |", "|---|---|---|"]
    for dim, base in summary["models"]["base"].items():
        eai = summary["models"]["eai"][dim]
        if "counts" in base:
            def cell(s):
                return ", ".join(f"{k} {v}" for k, v in s["counts"].items()) + f" ({s['n']})"
        else:
            def cell(s):
                return f"{f(s['mean'])} [{f(s['low'])}, {f(s['high'])}] ({s['n']})"
        lines.append(f"| {dim} | {cell(base)} | {cell(eai)} |")
    u = summary["unparsable"]
    lines.append("")
    lines.append("unparsable after one retry: " + ", ".join(
        f"{m} {u[m]['count']}/{u[m]['of']}" for m in MODELS) + (
        f", pairwise {u['pairwise']['count']}/{u['pairwise']['of']}" if "pairwise" in u else ""))
    if "pairwise" in summary:
        lines.append("pairwise (both orders): " + "; ".join(
            f"{k}: EAI {v['eai_wins']}, base {v['base_wins']}, tie {v['ties']}, order disagreement "
            f"{f(v['position_disagreement'])}" for k, v in summary["pairwise"]["dimensions"].items()))
    return "\n".join(lines) + "\n"
