"""`eai gpu-check` on a CPU: it stops at once with a pointer to the README; its shape builder, per-layer fit,
comparison with the profiles, wheel partitioning and step isolation work; and (integration) a 2-layer
Phi-4-shaped model with a small vocabulary trains one real QLoRA step through llamafactory-cli."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from eai_recipes.errors import EaiError
from eai_recipes.gpu_check import check, context, fit, shapes, wheels
from eai_recipes.gpu_check import steps as gpu_steps
from eai_recipes.recipes.memory import GIB, PHI4
from tests.conftest import run_eai

# ------------------------------------------------------------------------------------------------ command


def test_gpu_check_stops_at_once_without_a_gpu(tmp_path):
    if not check._no_nvidia_driver():
        pytest.skip("this machine has an NVIDIA driver")
    start = time.monotonic()
    proc = run_eai("gpu-check", "--out", str(tmp_path / "gc"), cwd=tmp_path, check=False)
    assert proc.returncode != 0
    assert "needs a CUDA GPU" in proc.stderr and "GPU acceptance check" in proc.stderr
    assert "recipes/README.md" in proc.stderr
    assert not (tmp_path / "gc").exists()  # nothing started
    assert time.monotonic() - start < 60


def test_plan_lists_every_path_and_profile():
    names = [s.name for s in check.plan([2, 4, 8])]
    for expected in ("wheels", "environment", "tiny-qlora-bf16", "tiny-qlora-fp16", "tiny-fa2", "tiny-resume",
                     "tiny-predict-hf", "tiny-predict-vllm", "tiny-export", "tiny-serve", "shape-build",
                     "shape-train-paper-L2", "shape-train-colab-t4-L8", "shape-predict-a100-L4", "shape-dpo", "fit"):
        assert expected in names
    assert names[-1] == "fit"
    assert "shape-predict-paper-L4" in names and "shape-predict-paper-L8" not in names  # predict: two depths
    # breadth first: every profile at 2 and 4 layers before any at 8
    assert names.index("shape-train-a100-L4") < names.index("shape-train-paper-L8")


def test_select_keeps_setup_and_the_build_for_shape_steps():
    chosen = [s.name for s in check.select(check.plan([2, 4]), ["shape-train-paper"])]
    assert chosen[:3] == ["wheels", "environment", "tiny-model"]
    assert "shape-build" in chosen and "shape-train-paper-L4" in chosen and "shape-train-a100-L2" not in chosen
    assert chosen[-1] == "fit"


def test_dpo_hook_is_a_skipped_step_until_a_dpo_profile_exists():
    steps = gpu_steps.dpo_steps([2, 4])
    if gpu_steps.dpo_profiles():
        assert all(s.name.startswith("shape-dpo-") for s in steps)
        return
    [step] = steps
    r = context.StepResult(step.name, step.title, step.group)
    with pytest.raises(context.Skip, match="no DPO profile yet"):
        step.run(None, r)


# --------------------------------------------------------------------------------------- step isolation


def _ctx(tmp_path, **kw):
    return context.Context(out=tmp_path / "out", work=tmp_path, layers=[2, 4], deadline=time.monotonic() + 60, **kw)


def test_a_failing_step_never_stops_the_others(tmp_path):
    def boom(ctx, r):
        raise RuntimeError("a bug in one step")

    def fails(ctx, r):
        raise context.Fail("it did not work")

    def ok(ctx, r):
        r.figures["x"] = 1

    ctx = _ctx(tmp_path)
    results = {}
    for step in (context.Step("a", "a", "tiny", boom), context.Step("b", "b", "tiny", fails),
                 context.Step("c", "c", "tiny", ok), context.Step("d", "d", "tiny", ok, needs=("b",))):
        results[step.name] = ctx.results[step.name] = check.run_step(ctx, step)
    assert results["a"].status == "fail" and "RuntimeError: a bug in one step" in results["a"].reason
    assert results["b"].status == "fail"
    assert results["c"].status == "pass" and results["c"].figures == {"x": 1}
    assert results["d"].status == "skipped" and results["d"].reason == "needs b (fail)"


def test_a_spent_budget_skips_with_the_reason(tmp_path):
    ctx = _ctx(tmp_path)
    ctx.deadline = time.monotonic()
    r = check.run_step(ctx, context.Step("late", "late", "shape", lambda c, r: None))
    assert r.status == "skipped" and "time budget" in r.reason


def test_a_child_that_hangs_is_killed_at_its_timeout(tmp_path):
    ctx = _ctx(tmp_path)
    (tmp_path / "out").mkdir()
    child = context.run_child(ctx, "hang", [sys.executable, "-c", "import time; print('started', flush=True); "
                                          "time.sleep(60)"], 2)
    assert child.timed_out and child.seconds < 30
    with pytest.raises(context.Fail, match="timed out"):
        context.require_ok(child, "the sleeper")
    assert "started" in child.log.read_text()


def test_the_probe_reports_from_the_child_even_without_cuda(tmp_path):
    ctx = _ctx(tmp_path)
    child = context.run_child(ctx, "probe", [sys.executable, "-c", "import torch; torch.zeros(2)"], 120)
    assert child.returncode == 0
    assert child.probe is not None and child.probe["cuda"] is False
    r = context.StepResult("probe", "probe", "tiny")
    with pytest.raises(context.Fail, match="ran on the CPU"):
        context.probe_figures(child, r)


# ------------------------------------------------------------------------------------------- shapes


def test_phi4_shape_config_has_phi4s_published_values():
    cfg = shapes.shape_config(PHI4, 4, {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 3})
    assert cfg["hidden_size"] == 5120 and cfg["num_attention_heads"] == 40 and cfg["num_key_value_heads"] == 10
    assert cfg["intermediate_size"] == 17920 and cfg["vocab_size"] == 100352 and cfg["num_hidden_layers"] == 4
    assert cfg["rope_theta"] == 250000.0 and cfg["max_position_embeddings"] == 16384
    assert cfg["tie_word_embeddings"] is False


def test_shape_builder_writes_safetensors_and_derives_shallower_models(tmp_path, tiny_model):
    from transformers import AutoModelForCausalLM

    small = shapes.scaled_shape(vocab=5000, divide=40)  # hidden 128: fast on CPU
    built = shapes.build_depths(tmp_path, [1, 2], tiny_model, shape=small, device="cpu")
    deep, shallow = built[2], built[1]
    assert (deep / "model.safetensors").is_file() and not (deep / "model.safetensors").is_symlink()
    assert (shallow / "model.safetensors").is_symlink()
    assert json.loads((shallow / "config.json").read_text())["num_hidden_layers"] == 1
    marker = json.loads((shallow / shapes.MARKER).read_text())
    assert marker["shared_from"] == str(deep) and marker["layers"] == 1
    m2 = AutoModelForCausalLM.from_pretrained(deep)
    m1 = AutoModelForCausalLM.from_pretrained(shallow)
    assert len(m1.model.layers) == 1 and m1.config.vocab_size == 5000
    # the shallow model's layer is the deep model's first layer, read from the shared file
    assert (m1.model.layers[0].mlp.down_proj.weight == m2.model.layers[0].mlp.down_proj.weight).all()
    # rows the tokenizer cannot decode are never the greedy choice
    tokenizer_size = marker["tokenizer_size"]
    assert (m2.lm_head.weight[tokenizer_size:] == 0).all() and m2.lm_head.weight[:tokenizer_size].abs().sum() > 0


# ---------------------------------------------------------------------------------------------- fit


def test_linear_fit_recovers_a_line_and_extrapolates():
    line = fit.linear_fit([2, 4, 8], [3.0 + 0.5 * x for x in (2, 4, 8)])
    assert line.slope == pytest.approx(0.5) and line.intercept == pytest.approx(3.0)
    assert line.at(40) == pytest.approx(23.0) and line.max_residual == pytest.approx(0, abs=1e-9)
    with pytest.raises(ValueError, match="two different"):
        fit.linear_fit([4, 4], [1, 2])


def test_memory_and_speed_extrapolation_to_40_layers():
    mem = fit.extrapolate_memory({2: 3.3 * GIB, 4: 3.6 * GIB, 8: 4.2 * GIB})
    assert mem["per_layer_gib"] == pytest.approx(0.15) and mem["at_target_gib"] == pytest.approx(9.0)
    # seconds per token linear in depth: 1 ms + 0.5 ms per layer -> 40 layers: 21 ms -> 47.6 tokens/s
    speed = fit.extrapolate_speed({n: 1 / (0.001 + 0.0005 * n) for n in (2, 4, 8)})
    assert speed["at_target_tokens_per_s"] == pytest.approx(47.6, abs=0.1)


def test_comparison_with_profile_and_named_gpu():
    alloc = {"at_target_gib": 13.0}
    v = fit.compare("paper", "train", alloc, {"at_target_gib": 14.0}, profile_gb=16, gpus=["L4"], estimate_gb=13.2)
    assert v.fits_gpu is True and v.within_profile_figure is True and v.gpu == "L4" and v.gpu_gib == 22.5
    t4 = fit.compare("colab-t4", "train", {"at_target_gib": 14.2}, {"at_target_gib": 14.8}, profile_gb=13,
                     gpus=["T4", "V100"], estimate_gb=11.6)
    assert t4.fits_gpu is False and t4.within_profile_figure is False  # 14.8 + 0.5 context > 15 GiB
    assert "does NOT fit" in t4.note and "too low" in t4.note
    none = fit.compare("multi-gpu", "train", alloc, None, profile_gb=None, gpus=[], estimate_gb=None)
    assert none.fits_gpu is None and "names no GPU" in none.note


def test_fit_step_turns_measured_points_into_verdicts_and_a_calibration(tmp_path):
    ctx = _ctx(tmp_path)
    for layers, alloc in ((2, 3.0), (4, 3.4), (8, 4.2)):
        ctx.facts.setdefault("points", {}).setdefault(("paper", "train"), {})[layers] = {
            "peak_allocated_gib": alloc, "peak_reserved_gib": alloc + 0.4, "tokens_per_s": 2000 / layers}
        ctx.facts["points"].setdefault(("paper", "predict"), {})[layers] = {
            "peak_allocated_gib": alloc - 1, "peak_reserved_gib": alloc - 0.8}
    ctx.facts["points"][("colab-t4", "train")] = {2: {"peak_allocated_gib": 2.0, "peak_reserved_gib": 2.2}}
    ctx.facts["points"][("a100", "train")] = {2: {"tokens_per_s": 5.0}, 4: {"tokens_per_s": 3.0}}  # no CUDA figures
    r = context.StepResult("fit", "fit", "fit")
    gpu_steps.step_fit(ctx, r)
    fits = r.figures["fits"]
    assert fits["paper/train"]["allocated"]["at_target_gib"] == pytest.approx(10.6)
    assert "a line needs two depths" in fits["colab-t4/train"]["error"]
    assert "memory figures at [2, 4] layers" in fits["a100/train"]["error"]
    [train, predict] = sorted(r.figures["verdicts"], key=lambda v: v["phase"], reverse=True)
    assert train["profile"] == "paper" and train["gpu"] == "L4" and train["fits_gpu"] is True
    assert predict["phase"] == "predict" and predict["profile_gb"] is None
    ctx.results["fit"] = r
    report = check.build_report(ctx, check.dt.datetime(2026, 12, 7, tzinfo=check.dt.timezone.utc), 480)
    report["gpu"] = {"name": "NVIDIA H100 80GB HBM3"}
    cal = check.calibration_candidate(report)["profiles"]["paper"]
    assert cal["gpu"] == "NVIDIA H100 80GB HBM3" and cal["date"] == "2026-12-07"
    assert cal["peak_allocated_gb"] == pytest.approx(10.6) and cal["predict_peak_allocated_gb"] == pytest.approx(9.6)
    check.write_report(tmp_path / "gc", report)
    md = (tmp_path / "gc" / "report.md").read_text()
    assert "| paper | train | 10.6 GiB" in md and "Extrapolated to 40 layers" in md
    from eai_recipes.recipes.memory import load_calibration

    assert load_calibration(tmp_path / "gc" / "calibration.yaml")["profiles"]["paper"]["gpu"].startswith("NVIDIA")


# ------------------------------------------------------------------------------------------- wheels


def test_wheels_pinned_from_constraints_then_the_tested_environment():
    rows = {w.name: (v, src) for w, v, src in wheels.pinned_versions(
        pins={"bitsandbytes": "0.50.2", "trl": "0.24.0"}, installed=lambda name: "9.9")}
    assert rows["llamafactory"][0] == "0.9.5" and rows["bitsandbytes"] == ("0.50.2", "constraints.txt")
    assert rows["pyarrow"] == ("9.9", "installed in the tested environment")
    assert not set(wheels.PREINSTALLED) & set(rows)  # torch, transformers, peft, accelerate stay as they are


def test_wheels_download_command_targets_cp311_manylinux_without_deps(tmp_path):
    w = wheels.Wanted("bitsandbytes", "x")
    cmd = wheels.download_command(w, "0.50.2", tmp_path)
    assert "--no-deps" in cmd and cmd[-1] == "bitsandbytes==0.50.2"
    assert "manylinux_2_24_x86_64" in cmd and "--python-version" in cmd and "311" in cmd
    sd = wheels.download_command(wheels.Wanted("jieba", "x", sdist=True), "0.42.1", tmp_path)
    assert "--platform" not in sd and sd[3] == "wheel" and "--no-binary" in sd  # built into a wheel here


def test_wheels_partition_into_parts_under_the_carry_limit():
    mib = 2**20
    parts = wheels.partition([("llamafactory", 1 * mib), ("bitsandbytes", 43 * mib), ("pyarrow", 55 * mib),
                              ("pandas", 13 * mib), ("small", 2 * mib)], 60 * mib)
    assert parts == [["llamafactory", "bitsandbytes", "pandas", "small"], ["pyarrow"]]


def test_install_without_wheels_says_what_to_do(tmp_path):
    with pytest.raises(EaiError, match="make gpu-wheels"):
        wheels.install(tmp_path)


def test_datasets_make_every_training_row_longer_than_the_cutoff(tmp_path, tiny_model):
    from transformers import AutoTokenizer

    info = gpu_steps.write_datasets(tmp_path)
    assert set(info) == {"gpucheck_chat", "gpucheck_long", "gpucheck_prompts", "gpucheck_pairs"}
    assert info["gpucheck_pairs"]["ranking"] is True
    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    row = json.loads((tmp_path / "gpucheck_long.json").read_text())[0]
    assert len(tok(row["instruction"])["input_ids"]) > 512 and len(tok(row["output"])["input_ids"]) > 512
    assert tok.unk_token_id not in tok(row["instruction"])["input_ids"]


# -------------------------------------------------------------------------------------- integration


@pytest.mark.integration
def test_phi4_shaped_two_layers_train_one_qlora_step_on_cpu(tmp_path, tiny_model):
    """Phi-4's proportions (head_dim 128, 4 query heads per key-value head, MLP 3.5 x hidden) at a tenth of its
    width, 2 layers, and a small vocabulary (the tiny tokenizer's, plus rows it cannot decode): one 4-bit QLoRA
    step through llamafactory-cli, via the check's own step. (Phi-4's full width, 680M parameters for 2
    layers, took minutes on a shared 2-core CPU: the GPU check runs that.)"""
    work = tmp_path / "work"
    shutil.copytree(tiny_model, work / "models" / "tiny-phi4")
    gpu_steps.write_datasets(work / "data", long_rows=8, long_words=80)
    shape = shapes.scaled_shape(vocab=4096 + 256, divide=10)
    assert (shape.head_dim, shape.heads // shape.kv_heads, shape.intermediate / shape.hidden) == (128, 4, 3.5)
    shapes.build_shape_model(work / "models" / "phi4-shape-L2", 2, tiny_model, shape=shape, device="cpu")
    ctx = context.Context(out=tmp_path / "out", work=work, layers=[2], deadline=time.monotonic() + 600,
                        allow_cpu=True, shape=shape, shape_steps=1, cutoff=32,
                        extra_sets={"per_device_train_batch_size": 1, "gradient_accumulation_steps": 1})
    cwd = Path.cwd()
    os.chdir(work)
    try:
        step = context.Step("shape-train-paper-L2", "x", "shape", gpu_steps.make_shape_train("paper", 2))
        r = check.run_step(ctx, step)
    finally:
        os.chdir(cwd)
    assert r.status == "pass", r.reason
    f = r.figures
    assert f["steps"] == 1 and f["layers"] == 2 and f["cutoff"] == 32 and f["tokens"] > 0 and f["tokens_per_s"] > 0
    train = (work / "runs" / "shape" / "shape-train-paper-L2" / "train.yaml").read_text()
    assert "quantization_bit: 4" in train and "model_name_or_path: models/phi4-shape-L2" in train
    adapter_dir = work / "runs" / "shape" / "shape-train-paper-L2" / "adapter"
    adapter = json.loads((adapter_dir / "adapter_config.json").read_text())
    assert set(adapter["target_modules"]) >= {"qkv_proj", "o_proj", "gate_up_proj", "down_proj"}
    assert ctx.facts["points"][("paper", "train")][2] is r.figures  # what the fit reads, as "train"


def test_child_path_puts_the_probe_first_and_the_torchaudio_stub_ahead_of_gpu_site(tmp_path):
    ctx = _ctx(tmp_path)
    env = ctx.child_env(tmp_path / "p.json")
    parts = env["PYTHONPATH"].split(os.pathsep)
    assert parts[0] == str(context.PROBE_DIR) and env["EAI_GPU_PROBE"] == str(tmp_path / "p.json")
    assert env["HF_HUB_OFFLINE"] == "1" and "FORCE_TORCHRUN" not in env
    ctx.facts["torchaudio_stub"] = True
    parts = ctx.child_env()["PYTHONPATH"].split(os.pathsep)
    assert parts[1] == str(context.STUB_DIR)
    sys.path.insert(0, str(context.STUB_DIR))
    try:
        import importlib

        saved = sys.modules.pop("torchaudio", None)
        stub = importlib.import_module("torchaudio")
        assert "stub" in stub.__version__
        with pytest.raises(ImportError, match="stand-in"):
            stub.load("x.wav")
    finally:
        sys.path.remove(str(context.STUB_DIR))
        sys.modules.pop("torchaudio", None)
        if saved is not None:
            sys.modules["torchaudio"] = saved


def test_gather_recognises_files_already_downloaded(tmp_path):
    for name in ("llamafactory-0.9.5-py3-none-any.whl", "python_dateutil-4.0.0-py3-none-any.whl",
                 "pydantic_core-2.41.4-cp311-cp311-manylinux_2_17_x86_64.whl"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in wheels._files_of(tmp_path, "llamafactory", "0.9.5")] == [
        "llamafactory-0.9.5-py3-none-any.whl"]
    assert len(wheels._files_of(tmp_path, "python-dateutil", "4.0.0")) == 1
    assert len(wheels._files_of(tmp_path, "pydantic", "2.41.4")) == 0  # pydantic-core is another package


def test_the_report_is_written_after_every_step_and_mirrored(tmp_path, monkeypatch):
    seen = []

    def fake_plan(layers):
        def one(ctx, r):
            report = ctx.out / "report.json"
            seen.append(json.loads(report.read_text())["counts"] if report.exists() else None)
            r.figures["n"] = len(seen)
        return [context.Step("a", "a", "tiny", one), context.Step("b", "b", "tiny", one)]

    monkeypatch.setattr(check, "plan", fake_plan)
    monkeypatch.setenv("EAI_GPU_CHECK_MIRROR", str(tmp_path / "mirror"))
    report = check.run_gpu_check(tmp_path / "gc", allow_cpu=True, echo=lambda line: None)
    assert seen == [None, {"pass": 1, "fail": 0, "skipped": 0}]  # step b saw step a's report
    assert report["counts"]["pass"] == 2
    assert json.loads((tmp_path / "mirror" / "report.json").read_text())["counts"]["pass"] == 2
    assert (tmp_path / "mirror" / "report.md").is_file() and (tmp_path / "gc" / "calibration.yaml").is_file()


def test_shape_steps_to_fit_to_calibration_with_a_fake_gpu(tmp_path, monkeypatch):
    """The real shape step functions, fit and calibration, with llamafactory-cli replaced by a fake that writes
    what LLaMA-Factory and the probe write: memory 3 GiB + 0.25 GiB per layer (train), 2 + 0.2 (predict)."""
    monkeypatch.chdir(tmp_path)
    calls = []

    def fake_run_child(ctx, name, cmd, timeout_s, *, probe=True, cwd=None):
        yaml_path = Path(cmd[-1])
        run_dir = yaml_path.parent
        layers = int(name.rsplit("-L", 1)[1])
        calls.append((name, cmd[-2]))
        if yaml_path.name == "train.yaml":
            out = run_dir / "adapter"
            out.mkdir(parents=True, exist_ok=True)
            (out / "train_results.json").write_text(json.dumps({"train_runtime": 1.0 + 0.5 * layers}))
            (out / "trainer_state.json").write_text(json.dumps(
                {"global_step": 3, "log_history": [{"loss": 1.0, "num_input_tokens_seen": 6144}]}))
            alloc = 3 + 0.25 * layers
        else:
            out = run_dir / "predict" / "base"
            out.mkdir(parents=True, exist_ok=True)
            (out / "predict_results.json").write_text(json.dumps({"predict_samples_per_second": 1.5}))
            alloc = 2 + 0.2 * layers
        log = tmp_path / f"{name}.log"
        log.write_text("Using torch SDPA for faster training and inference.\n")
        data = {"cuda": True, "device": "NVIDIA H100 80GB HBM3", "max_memory_allocated": alloc * GIB,
                "max_memory_reserved": (alloc + 0.5) * GIB}
        return context.Child(0, 1.0, log, data, False)

    monkeypatch.setattr(gpu_steps, "run_child", fake_run_child)  # the steps and python_child both start children
    monkeypatch.setattr(context, "run_child", fake_run_child)
    ctx = context.Context(out=tmp_path / "out", work=tmp_path, layers=[2, 4, 8], deadline=time.monotonic() + 60)
    ctx.facts["bf16"] = True
    steps = [s for s in check.plan([2, 4, 8]) if s.name.startswith(("shape-train-paper", "shape-train-colab-t4",
                                                                      "shape-predict-paper"))]
    for step in steps + [s for s in check.plan([2, 4, 8]) if s.name == "fit"]:
        ctx.results[step.name] = check.run_step(ctx, step)
        assert ctx.results[step.name].status == "pass", (step.name, ctx.results[step.name].reason)
    paper = ctx.results["shape-train-paper-L4"].figures
    assert (paper["batch"], paper["accumulation"], paper["cutoff"], paper["precision"]) == (2, 8, 1024, "bf16")
    assert paper["tokens_per_s"] == pytest.approx(6144 / 3.0) and paper["attention"] == "sdpa"
    assert ctx.results["shape-train-colab-t4-L2"].figures["precision"] == "fp16"
    verdicts = {(v["profile"], v["phase"]): v for v in ctx.results["fit"].figures["verdicts"]}
    assert verdicts[("paper", "train")]["measured_gib"] == pytest.approx(13.0)  # 3 + 0.25 x 40
    assert verdicts[("paper", "train")]["fits_gpu"] is True and verdicts[("paper", "train")]["gpu"] == "L4"
    assert verdicts[("colab-t4", "train")]["gpu"] == "T4" and verdicts[("colab-t4", "train")]["fits_gpu"] is True
    assert verdicts[("paper", "predict")]["measured_gib"] == pytest.approx(10.0)
    report = check.build_report(ctx, check.dt.datetime(2026, 12, 7, tzinfo=check.dt.timezone.utc), 480)
    cal = check.calibration_candidate(report)["profiles"]
    assert set(cal) == {"paper", "colab-t4"} and cal["paper"]["peak_allocated_gb"] == pytest.approx(13.0)
    assert cal["paper"]["peak_reserved_gb"] == pytest.approx(13.5) and cal["paper"]["layers_measured"] == [2, 4, 8]
    assert cal["paper"]["predict_peak_allocated_gb"] == pytest.approx(10.0)
    assert cal["paper"]["tokens_per_s"] == pytest.approx(6144 / 21.0, rel=1e-3)  # 1 + 0.5 x 40 seconds
    rendered = (tmp_path / "runs" / "shape" / "shape-train-colab-t4-L8" / "train.yaml").read_text()
    assert "model_name_or_path: models/phi4-shape-L8" in rendered and "fp16: true" in rendered
    assert "cutoff_len: 1024" in rendered and "include_num_input_tokens_seen: true" in rendered
