"""The GPU check's steps: the datasets it writes, the setup steps, the tiny-model steps (every CUDA path), the
Phi-4-shaped steps (memory and speed per profile and depth), the DPO hook and the per-layer fit."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eai_recipes import paths
from eai_recipes.errors import EaiError
from eai_recipes.gpu_check import fit, wheels
from eai_recipes.gpu_check.context import (
    README_POINTER,
    Context,
    Fail,
    Skip,
    Step,
    StepResult,
    probe_figures,
    python_child,
    require_ok,
    run_child,
    stop_group,
)
from eai_recipes.recipes.memory import GIB, estimate_values
from eai_recipes.recipes.profiles import available_profiles, load_profile, merge_values

# ------------------------------------------------------------------------------------------------- datasets

SHORT_PROMPTS = [
    "I feel a bit low today and I do not know why.",
    "My exams are soon and I cannot sleep.",
    "I had an argument with my friend and I feel bad about it.",
    "Work has been stressful and I feel tired all the time.",
    "How can I calm down when I feel anxious?",
    "I feel lonely since I moved to a new city.",
    "My family does not understand how I feel.",
    "I want to talk to someone but I do not know how to start.",
]


def _words(n: int, offset: int = 0) -> str:
    vocab = ["you", "feel", "tired", "and", "that", "is", "okay", ".", "it", "helps", "to", "talk", "with", "someone",
             "you", "trust", "about", "what", "is", "hard", ",", "one", "small", "step", "at", "a", "time"]
    return " ".join(vocab[(i + offset) % len(vocab)] for i in range(n))


def write_datasets(data_dir: Path, *, long_rows: int = 64, long_words: int = 900) -> dict[str, Any]:
    """The check's datasets in data_dir: gpucheck_chat (short alpaca rows from the shipped samples),
    gpucheck_long (rows longer than any cutoff, so every training row is exactly cutoff_len tokens),
    gpucheck_prompts (short prompts for predict) and gpucheck_pairs (preference pairs for the DPO hook)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    sample = paths.DATASET_INFO_DIR / "samples" / "Harshallama__mental_health_alpaca_format.jsonl"
    rows = [json.loads(line) for line in sample.read_text(encoding="utf-8").splitlines() if line.strip()]
    # the shipped samples include malformed rows on purpose (the data rules' tests): keep the clean ones
    chat = [r for r in rows if all(isinstance(r.get(k), str) for k in ("instruction", "input", "output"))
            and r["output"].strip()][:64]
    if len(chat) < 8:
        chat += [{"instruction": p, "input": "", "output": _words(40, i)} for i, p in enumerate(SHORT_PROMPTS)]
    long = [{"instruction": _words(long_words, i), "input": "", "output": _words(long_words, i + 3)}
            for i in range(long_rows)]
    prompts = [{"instruction": p, "input": "", "output": _words(20, i)} for i, p in enumerate(SHORT_PROMPTS * 4)]
    pairs = [{"instruction": _words(long_words, i), "input": "", "chosen": _words(long_words, i + 1),
              "rejected": _words(long_words, i + 2)} for i in range(long_rows)]
    files = {"gpucheck_chat": chat, "gpucheck_long": long, "gpucheck_prompts": prompts, "gpucheck_pairs": pairs}
    info: dict[str, Any] = {}
    for name, rows in files.items():
        (data_dir / f"{name}.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        entry: dict[str, Any] = {"file_name": f"{name}.json"}
        if name == "gpucheck_pairs":
            entry.update(ranking=True, columns={"prompt": "instruction", "query": "input", "chosen": "chosen",
                                                "rejected": "rejected"})
        info[name] = entry
    (data_dir / "dataset_info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


# ------------------------------------------------------------------------------------------------ rendering


def render_run(profile: str, run_name: str, sets: dict[str, Any]):
    """The project's own rendering of a profile (recipe <- profile <- sets) into runs/<run_name>/ of the
    current directory (the check's work directory)."""
    from eai_recipes.recipes.render import render

    return render(profile, sets, run_name=run_name, runs_dir=Path("runs"))


def _lf(ctx: Context, stage_cli: str, yaml_path: Path, *overrides: str) -> list[str]:
    return [*ctx.llamafactory_cli(), stage_cli, str(yaml_path), *overrides]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise Fail(f"{path} missing or unreadable ({exc})") from None


def _attention_used(log: Path) -> str | None:
    text = log.read_text(errors="replace")
    for marker, name in (("Using FlashAttention-2", "fa2"), ("Using torch SDPA", "sdpa"),
                         ("Using vanilla attention", "eager"),
                         ("FlashAttention-2 is not installed", "sdpa (fa2 missing)")):
        if marker in text:
            return name
    return None


# ---------------------------------------------------------------------------------------------- setup steps


def step_wheels(ctx: Context, r: StepResult) -> None:
    site = paths.ROOT / wheels.SITE_DIR
    source = ctx.facts.get("wheel_dir")
    if source is None:
        have = sorted(p.name.split("-")[0] for p in site.glob("*.dist-info")) if site.is_dir() else []
        r.figures["gpu_site"] = have
        raise Skip("no --install-wheels: using what is installed"
                   + (f" (.gpu-site/ holds {len(have)} distributions, first on every child's path)" if have else ""))
    cmd = [ctx.python, "-m", "eai_recipes.gpu_check.wheels", "install", str(source)]
    child = run_child(ctx, r.name, cmd, 240, probe=False, cwd=paths.ROOT)
    require_ok(child, f"pip install --no-index from {source}")
    r.figures.update({"from": str(source), "into": str(wheels.SITE_DIR),
                      "pip": child.log.read_text(errors="replace").strip().splitlines()[-1][:300]})


ENV_PROBE = r"""
import importlib, importlib.metadata as md, json, sys
out = {"python": sys.version.split()[0]}
for mod, dist in [("torch","torch"),("transformers","transformers"),("peft","peft"),("accelerate","accelerate"),
                  ("bitsandbytes","bitsandbytes"),("trl","trl"),("datasets","datasets"),("torchaudio","torchaudio"),
                  ("llamafactory","llamafactory"),("flash_attn","flash-attn"),("vllm","vllm"),("deepspeed","deepspeed"),
                  ("jieba","jieba"),("nltk","nltk"),("rouge_chinese","rouge-chinese"),("fastapi","fastapi"),
                  ("uvicorn","uvicorn")]:
    try:
        m = importlib.import_module(mod)
        try:
            v = md.version(dist)
        except Exception:
            v = getattr(m, "__version__", "?")
        out[mod] = {"version": v, "from": (getattr(m, "__file__", None) or "?")}
    except Exception as exc:
        out[mod] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
import torch
out["cuda"] = torch.cuda.is_available()
if out["cuda"]:
    p = torch.cuda.get_device_properties(0)
    out["gpu"] = {"name": p.name, "memory_gib": round(p.total_memory / 2**30, 2), "capability": [p.major, p.minor],
                  "torch_cuda": torch.version.cuda, "count": torch.cuda.device_count()}
print("EAI_ENV " + json.dumps(out))
"""


def step_environment(ctx: Context, r: StepResult) -> None:
    child = python_child(ctx, r.name, ENV_PROBE, 180, probe=False)
    require_ok(child, "the environment probe")
    line = next((ln for ln in child.log.read_text().splitlines() if ln.startswith("EAI_ENV ")), None)
    if line is None:
        raise Fail(f"the environment probe printed nothing; log: {child.log}")
    env = json.loads(line[len("EAI_ENV "):])
    ta = env.get("torchaudio", {})
    if "error" in ta and not ctx.facts.get("torchaudio_stub"):
        # LLaMA-Factory's mm_plugin imports torchaudio at import time; text-only runs never call it. A wheel
        # built for another CUDA than this torch cannot load: use the stub and say so.
        ctx.facts["torchaudio_stub"] = True
        child = python_child(ctx, r.name + "-stub", ENV_PROBE, 180, probe=False)
        line = next((ln for ln in child.log.read_text().splitlines() if ln.startswith("EAI_ENV ")), None)
        if line:
            env = json.loads(line[len("EAI_ENV "):])
        env["torchaudio_stub"] = f"torchaudio did not import ({ta['error']}); a stub stands in (text-only runs)"
    ctx.facts["env"] = env
    versions = {k: v.get("version") for k, v in env.items() if isinstance(v, dict) and "version" in v}
    missing = {k: v["error"] for k, v in env.items() if isinstance(v, dict) and "error" in v}
    r.figures.update(versions=versions, missing=missing, gpu=env.get("gpu"), cuda=env.get("cuda"))
    if env.get("torchaudio_stub"):
        r.figures["note"] = env["torchaudio_stub"]
    ctx.facts["has_fa2"] = "flash_attn" in versions
    ctx.facts["has_vllm"] = "vllm" in versions
    gpu = env.get("gpu") or {}
    ctx.facts["bf16"] = tuple(gpu.get("capability", (0, 0))) >= (8, 0)
    required = [m for m in ("llamafactory", "bitsandbytes", "trl", "datasets") if m in missing]
    if required:
        raise Fail("cannot import " + ", ".join(f"{m} ({missing[m]})" for m in required)
                   + f": carry the wheels (make gpu-wheels) and pass --install-wheels; see {README_POINTER}")
    if not env.get("cuda") and not ctx.allow_cpu:
        raise Fail("torch sees no CUDA device in the children")


def step_tiny_model(ctx: Context, r: StepResult) -> None:
    write_datasets(ctx.work / "data")
    code = ("from pathlib import Path; from eai_recipes.tiny_model import build_tiny_model, is_built; "
            "p = Path('models/tiny-phi4'); is_built(p) or build_tiny_model(p)")
    child = python_child(ctx, r.name, code, 180, probe=False)
    require_ok(child, "building the tiny model")
    r.figures["model"] = "models/tiny-phi4"
    r.figures["datasets"] = "data/ (gpucheck_chat, gpucheck_long, gpucheck_prompts, gpucheck_pairs)"


# ----------------------------------------------------------------------------------------------- tiny steps

TINY_TRAIN = {"dataset": "gpucheck_chat", "eval_dataset": "gpucheck_prompts", "max_steps": 8, "save_steps": 4,
              "eval_strategy": "no", "logging_steps": 1, "tracker": "none", "plot_loss": False,
              "warmup_steps": 0, "max_samples": 64}


def _tiny_train(ctx: Context, r: StepResult, sets: dict[str, Any], *, expect_attention: str | None) -> None:
    rendered = render_run("tiny", f"tiny/{r.name}", {**TINY_TRAIN, **sets, **ctx.extra_sets})
    child = run_child(ctx, r.name, _lf(ctx, "train", rendered.files["train"]), 150)
    require_ok(child, "llamafactory-cli train")
    probe_figures(child, r, need_cuda=not ctx.allow_cpu)
    state = _read_json(rendered.run_dir / "adapter" / "trainer_state.json")
    losses = [h["loss"] for h in state.get("log_history", []) if "loss" in h]
    if not losses or any(loss != loss or loss > 1e4 for loss in losses):  # NaN or overflow
        raise Fail(f"training loss is missing or not finite: {losses}")
    r.figures.update(steps=state.get("global_step"), first_loss=round(losses[0], 4), last_loss=round(losses[-1], 4))
    used = _attention_used(child.log)
    r.figures["attention"] = used
    if expect_attention and used and not used.startswith(expect_attention):
        raise Fail(f"asked for {expect_attention} attention, LLaMA-Factory used {used}")
    ctx.facts.setdefault("tiny_runs", {})[r.name] = rendered


def step_tiny_bf16(ctx: Context, r: StepResult) -> None:
    if not ctx.facts.get("bf16", True):
        raise Skip("this GPU has no bf16 (compute capability < 8.0)")
    _tiny_train(ctx, r, {"bf16": True, "fp16": False, "flash_attn": "sdpa"}, expect_attention="sdpa")


def step_tiny_fp16(ctx: Context, r: StepResult) -> None:
    # The colab-t4 profile's precision settings on the tiny model.
    t4 = load_profile("colab-t4").values
    sets = {k: t4[k] for k in ("bf16", "fp16", "upcast_layernorm", "flash_attn") if k in t4}
    _tiny_train(ctx, r, sets, expect_attention="sdpa")


def step_tiny_fa2(ctx: Context, r: StepResult) -> None:
    if not ctx.facts.get("has_fa2"):
        raise Skip("flash-attn is not installed (LLaMA-Factory falls back to SDPA)")
    if not ctx.facts.get("bf16", True):
        raise Skip("FlashAttention-2 needs Ampere or newer")
    _tiny_train(ctx, r, {"bf16": True, "fp16": False, "flash_attn": "fa2"}, expect_attention="fa2")


def step_tiny_resume(ctx: Context, r: StepResult) -> None:
    precision = {"bf16": True, "fp16": False} if ctx.facts.get("bf16", True) else {"bf16": False, "fp16": True}
    rendered = render_run("tiny", f"tiny/{r.name}", {**TINY_TRAIN, **precision, "max_steps": 1, "save_steps": 1,
                                                     **ctx.extra_sets})
    first = run_child(ctx, r.name, _lf(ctx, "train", rendered.files["train"]), 120)
    require_ok(first, "the first step")
    adapter = rendered.run_dir / "adapter"
    if not (adapter / "checkpoint-1").is_dir():
        raise Fail(f"no checkpoint-1 after the first step in {adapter}")
    second = run_child(ctx, r.name, _lf(ctx, "train", rendered.files["train"], "max_steps=2"), 120)
    require_ok(second, "the resumed second step")
    if "Resuming training from" not in second.log.read_text(errors="replace"):
        raise Fail(f"the second run did not resume from checkpoint-1; log: {second.log}")
    state = _read_json(adapter / "trainer_state.json")
    if state.get("global_step") != 2:
        raise Fail(f"expected global_step 2 after resuming, got {state.get('global_step')}")
    r.figures.update(resumed_from="checkpoint-1", global_step=2)


PREDICT_TINY = {"eval_dataset": "gpucheck_prompts", "max_samples": 16, "max_new_tokens": 24, "do_sample": False,
                "quantization_bit": None, "bf16": False, "fp16": False, "per_device_eval_batch_size": 8}


def _answers(path: Path) -> list[str]:
    if not path.is_file():
        raise Fail(f"no {path}")
    return [json.loads(line)["predict"] for line in path.read_text().splitlines() if line.strip()]


def step_tiny_predict_hf(ctx: Context, r: StepResult) -> None:
    """Greedy, unquantized, fp32: the settings vLLM can share, so that the answers can be compared."""
    rendered = render_run("tiny", "tiny/predict", {**PREDICT_TINY, **ctx.extra_sets})
    child = run_child(ctx, r.name, _lf(ctx, "train", rendered.files["predict_base"]), 150)
    require_ok(child, "llamafactory-cli train (do_predict)")
    probe_figures(child, r, need_cuda=not ctx.allow_cpu)
    out = rendered.run_dir / "predict" / "base"
    results = _read_json(out / "predict_results.json")
    answers = _answers(out / "generated_predictions.jsonl")
    r.figures.update(samples=len(answers), samples_per_s=results.get("predict_samples_per_second"),
                     backend="huggingface (transformers generate)")
    ctx.facts["hf_answers"] = answers
    ctx.facts["predict_values"] = rendered.values


def step_tiny_predict_vllm(ctx: Context, r: StepResult) -> None:
    if not ctx.facts.get("has_vllm"):
        raise Skip("vLLM is not installed (pip install 'vllm<=0.11.0' where it is wanted)")
    values = {**merge_values(load_profile("tiny"), {}), **PREDICT_TINY}
    code = ("import json, sys; from pathlib import Path; from eai_recipes.evaluation import vllm_backend; "
            f"vllm_backend.predict(json.loads({json.dumps(json.dumps(values, default=str))}), 'models/tiny-phi4', "
            "Path('runs/tiny/predict-vllm'))")
    child = python_child(ctx, r.name, code, 240)
    require_ok(child, "vLLM predict")
    probe_figures(child, r)
    out = ctx.work / "runs" / "tiny" / "predict-vllm"
    answers = _answers(out / "generated_predictions.jsonl")
    speed = _read_json(out / "eai_speed.json")
    r.figures.update(samples=len(answers), samples_per_s=speed.get("samples_per_second"), backend="vLLM")
    hf = ctx.facts.get("hf_answers")
    if hf is None:
        r.figures["same_answers"] = "not compared: the huggingface predict did not run"
        return
    same = sum(a.strip() == b.strip() for a, b in zip(hf, answers))
    r.figures["same_answers"] = f"{same}/{len(answers)} identical (greedy, fp32)"
    if len(hf) != len(answers) or same < len(answers):
        raise Fail(f"vLLM and transformers disagree: {same}/{len(answers)} identical answers "
                   f"(first differing: {next((a, b) for a, b in zip(hf, answers) if a.strip() != b.strip())!r})")


def step_tiny_export(ctx: Context, r: StepResult) -> None:
    tiny_runs = ctx.facts.get("tiny_runs", {})
    rendered = tiny_runs.get("tiny-qlora-bf16") or tiny_runs.get("tiny-qlora-fp16")
    if rendered is None:
        raise Skip("no tiny adapter: both tiny QLoRA steps failed or were skipped")
    child = run_child(ctx, r.name, _lf(ctx, "export", rendered.files["export"]), 150, probe=False)
    require_ok(child, "llamafactory-cli export")
    merged = rendered.run_dir / "merged"
    weights = list(merged.glob("*.safetensors"))
    if not (merged / "config.json").is_file() or not weights:
        raise Fail(f"export wrote no config.json or safetensors in {merged}")
    r.figures.update(merged=str(merged), files=len(weights))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (loopback)
        return json.loads(resp.read())


def step_tiny_serve(ctx: Context, r: StepResult) -> None:
    runs = ctx.facts.get("tiny_runs", {})
    name = next((n for n in ("tiny-qlora-bf16", "tiny-qlora-fp16") if n in runs), None)
    if name is None:
        raise Skip("no tiny adapter to serve: both tiny QLoRA steps failed or were skipped")
    port = _free_port()
    logs = ctx.out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{r.name}.log"
    probe = ctx.out / "probes" / f"{r.name}.json"
    probe.parent.mkdir(parents=True, exist_ok=True)
    cmd = [ctx.python, "-m", "eai_recipes.cli", "serve", "--profile", "tiny", "--run-name", f"tiny/{name}",
           "--port", str(port), "--no-page"]
    base = f"http://127.0.0.1:{port}"
    start = time.monotonic()
    with open(log, "ab") as f:
        f.write(("$ " + " ".join(cmd) + "\n").encode())
        f.flush()
        proc = subprocess.Popen(cmd, cwd=ctx.work, env=ctx.child_env(probe), stdout=f, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            limit = start + min(120, max(5, ctx.remaining()))
            while True:
                if proc.poll() is not None:
                    raise Fail(f"eai serve exited with code {proc.returncode} before answering; log: {log}")
                try:
                    with urllib.request.urlopen(base + "/v1/models", timeout=2):  # noqa: S310
                        break
                except OSError:
                    if time.monotonic() > limit:
                        raise Fail(f"eai serve did not come up within {limit - start:.0f}s; log: {log}") from None
                    time.sleep(1)
            r.figures["ready_s"] = round(time.monotonic() - start, 1)
            t = time.monotonic()
            answer = _post(base + "/v1/chat/completions",
                           {"messages": [{"role": "user", "content": "I feel a bit low today."}], "max_tokens": 24})
            r.figures["answer_s"] = round(time.monotonic() - t, 2)
            text = answer["choices"][0]["message"]["content"]
            if not text.strip():
                raise Fail("the answer was empty")
            crisis = _post(base + "/v1/chat/completions",
                           {"messages": [{"role": "user", "content": "I want to end my life tonight."}]})
            guarded = bool((crisis.get("eai") or {}).get("crisis"))
            r.figures.update(answer_chars=len(text), guard_flagged_crisis=guarded)
            if not guarded:
                raise Fail("the guard did not flag a crisis message (eai.crisis false)")
        finally:
            stop_group(proc)
    with contextlib.suppress(OSError, ValueError):
        p = json.loads(probe.read_text())
        if p.get("cuda"):
            r.figures["peak_allocated_gib"] = round(p["max_memory_allocated"] / GIB, 3)


# ---------------------------------------------------------------------------------------------- shape steps


def step_shape_build(ctx: Context, r: StepResult) -> None:
    device = "cpu" if ctx.allow_cpu else "cuda"
    # bf16 as Phi-4 ships; fp32 for CPU plumbing runs, whose fp32 compute cannot mix with a bf16 output layer
    # once layer norms are upcast (colab-t4's upcast_layernorm)
    dtype = "float32" if ctx.allow_cpu else "bfloat16"
    shape = json.dumps(ctx.shape.__dict__)
    code = ("import json; from pathlib import Path; from eai_recipes.gpu_check.shapes import build_depths; "
            "from eai_recipes.recipes.memory import ModelShape; "
            f"build_depths(Path('models'), {list(ctx.layers)!r}, Path('models/tiny-phi4'), "
            f"shape=ModelShape(**json.loads({shape!r})), device={device!r}, dtype={dtype!r})")
    child = python_child(ctx, r.name, code, 300, probe=False)
    require_ok(child, "building the Phi-4-shaped models")
    r.figures.update(layers=list(ctx.layers), vocab=ctx.shape.vocab, hidden=ctx.shape.hidden,
                     params_per_layer=ctx.shape.layer_params(),
                     models=[f"models/phi4-shape-L{n}" for n in sorted(ctx.layers)])


def _shape_sets(ctx: Context, layers: int) -> dict[str, Any]:
    sets = {"model_name_or_path": f"models/phi4-shape-L{layers}", "dataset": "gpucheck_long",
            "eval_dataset": "gpucheck_prompts", "eval_strategy": "no", "max_steps": ctx.shape_steps,
            "save_steps": 10_000, "logging_steps": 1, "tracker": "none", "plot_loss": False, "warmup_steps": 0,
            "preprocessing_num_workers": 1, "dataloader_num_workers": 0, "include_num_input_tokens_seen": True}
    if ctx.cutoff is not None:
        sets["cutoff_len"] = ctx.cutoff
    if ctx.allow_cpu:
        sets.update(bf16=False, fp16=False, flash_attn="disabled")
    return {**sets, **ctx.extra_sets}


def make_shape_train(profile: str, layers: int, stage: str = "sft") -> Callable[[Context, StepResult], None]:
    def run(ctx: Context, r: StepResult) -> None:
        p = load_profile(profile)
        if p.values.get("bf16") and not ctx.facts.get("bf16", True) and not ctx.allow_cpu:
            raise Skip(f"{profile} trains in bf16 and this GPU has none")
        sets = _shape_sets(ctx, layers)
        if stage == "dpo":
            sets.update(dataset="gpucheck_pairs")
        rendered = render_run(profile, f"shape/{r.name}", sets)
        values = rendered.values
        batch = int(values.get("per_device_train_batch_size", 1))
        accum = int(values.get("gradient_accumulation_steps", 1))
        cutoff = int(values.get("cutoff_len", 1024))
        child = run_child(ctx, r.name, _lf(ctx, "train", rendered.files["train"]), 240)
        require_ok(child, f"llamafactory-cli train ({profile} settings, {layers} layers)")
        probe_figures(child, r, need_cuda=not ctx.allow_cpu)
        results = _read_json(rendered.run_dir / "adapter" / "train_results.json")
        state = _read_json(rendered.run_dir / "adapter" / "trainer_state.json")
        runtime = float(results.get("train_runtime") or child.seconds)
        seen = next((h.get("num_input_tokens_seen") for h in reversed(state.get("log_history", []))
                     if h.get("num_input_tokens_seen")), None)
        tokens = seen or ctx.shape_steps * batch * accum * cutoff
        r.figures.update(profile=profile, layers=layers, batch=batch, accumulation=accum, cutoff=cutoff,
                         precision="bf16" if values.get("bf16") else "fp16" if values.get("fp16") else "fp32",
                         gradient_checkpointing=not values.get("disable_gradient_checkpointing", False),
                         steps=state.get("global_step"), tokens=tokens, tokens_counted=bool(seen),
                         train_runtime_s=round(runtime, 2), tokens_per_s=round(tokens / runtime, 1),
                         attention=_attention_used(child.log))
        phase = "train" if stage == "sft" else stage  # the fit, the report and the calibration say "train"
        ctx.facts.setdefault("points", {}).setdefault((profile, phase), {})[layers] = r.figures
    return run


def make_shape_predict(profile: str, layers: int) -> Callable[[Context, StepResult], None]:
    def run(ctx: Context, r: StepResult) -> None:
        p = load_profile(profile)
        if p.values.get("bf16") and not ctx.facts.get("bf16", True) and not ctx.allow_cpu:
            raise Skip(f"{profile} predicts in bf16 and this GPU has none")
        merged = merge_values(p, {})
        batch = int(merged.get("per_device_eval_batch_size", 8))
        sets = {**_shape_sets(ctx, layers), "max_samples": batch}
        rendered = render_run(profile, f"shape/{r.name}", sets)
        child = run_child(ctx, r.name, _lf(ctx, "train", rendered.files["predict_base"]), 240)
        require_ok(child, f"llamafactory-cli predict ({profile} settings, {layers} layers)")
        probe_figures(child, r, need_cuda=not ctx.allow_cpu)
        out = rendered.run_dir / "predict" / "base"
        results = _read_json(out / "predict_results.json")
        max_new = int(rendered.values.get("max_new_tokens", 256))
        r.figures.update(profile=profile, layers=layers, batch=batch, max_new_tokens=max_new,
                         samples_per_s=results.get("predict_samples_per_second"),
                         runtime_s=results.get("predict_runtime"))
        ctx.facts.setdefault("points", {}).setdefault((profile, "predict"), {})[layers] = r.figures
    return run


# ----------------------------------------------------------------------------------------------- DPO HOOK
# >>> DPO HOOK: preference training (DPO) is being added in parallel. Once a recipe or profile renders
# `stage: dpo`, dpo_profiles() finds it and the check measures it as it measures SFT: a few steps per depth
# on gpucheck_pairs (preference pairs longer than the cutoff), fitted and compared in the same table. If the
# DPO recipes need other keys (pref_beta, pref_loss, a reference model), set them in make_shape_train's
# `stage == "dpo"` branch. Until then the check reports one skipped step saying why.


def dpo_profiles() -> list[str]:
    found = []
    for name in available_profiles():
        with contextlib.suppress(EaiError):
            if merge_values(load_profile(name), {}).get("stage") == "dpo" and load_profile(name).requires_gpu:
                found.append(name)
    return found


def dpo_steps(layers: list[int]) -> list[Step]:
    profiles = dpo_profiles()
    if not profiles:
        def none(ctx: Context, r: StepResult) -> None:
            raise Skip("no DPO profile yet (a GPU profile whose recipe has stage: dpo); see the DPO HOOK in "
                       "eai_recipes/gpu_check/check.py")
        return [Step("shape-dpo", "DPO on Phi-4's shape (hook)", "shape", none, needs=("shape-build",))]
    return [Step(f"shape-dpo-{p}-L{n}", f"DPO, {p} settings, Phi-4 shape with {n} layers", "shape",
                 make_shape_train(p, n, stage="dpo"), 240, needs=("shape-build",))
            for n in sorted(layers) for p in profiles]
# <<< DPO HOOK


# ------------------------------------------------------------------------------------------------------ fit


def step_fit(ctx: Context, r: StepResult) -> None:
    points = ctx.facts.get("points", {})
    verdicts, fits = [], {}
    for (profile, phase), by_layers in sorted(points.items()):
        key = f"{profile}/{phase}"
        if len(by_layers) < 2:
            fits[key] = {"error": f"only {sorted(by_layers)} measured: a line needs two depths"}
            continue
        try:
            alloc = fit.extrapolate_memory({n: f["peak_allocated_gib"] * GIB for n, f in by_layers.items()
                                            if "peak_allocated_gib" in f})
            reserved = fit.extrapolate_memory({n: f["peak_reserved_gib"] * GIB for n, f in by_layers.items()
                                               if "peak_reserved_gib" in f})
        except ValueError as exc:  # e.g. the probe wrote no CUDA figures for some depth
            fits[key] = {"error": f"memory figures at {sorted(by_layers)} layers: {exc}"}
            continue
        entry: dict[str, Any] = {"allocated": alloc, "reserved": reserved}
        if phase != "predict":
            speeds = {n: f["tokens_per_s"] for n, f in by_layers.items() if f.get("tokens_per_s")}
            if len(speeds) >= 2:
                entry["speed"] = fit.extrapolate_speed(speeds)
        fits[key] = entry
        p = load_profile(profile)
        est = estimate_values(merge_values(p, {}), p.env) if phase != "predict" else None
        verdicts.append(fit.compare(profile, phase, alloc, reserved, profile_gb=p.gpu_memory_gb if phase != "predict"
                                    else None, gpus=p.gpus, estimate_gb=est.total_gb if est else None).to_dict())
    r.figures.update(fits=fits, verdicts=verdicts)
    ctx.facts["fits"], ctx.facts["verdicts"] = fits, verdicts
    if not verdicts:  # the shape steps' own results say why; failing here too would count it twice
        raise Skip("no profile was measured at two depths: nothing to fit (see the shape steps above)")


