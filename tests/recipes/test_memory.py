"""The published memory model (eai_recipes/recipes/memory.py), its calibration file and `eai recipes list`."""

from __future__ import annotations

import pytest

from eai_recipes.errors import EaiError
from eai_recipes.recipes import memory
from eai_recipes.recipes.memory import GB, PHI4, ModelShape, Settings, estimate
from eai_recipes.recipes.profiles import available_profiles, load_profile, merge_values
from tests.conftest import run_eai


def test_phi4_shape_adds_up_to_its_published_14_7b_parameters():
    assert PHI4.head_dim == 128
    assert PHI4.linears()["qkv_proj"] == (5120, 5120 + 2 * 10 * 128)
    assert PHI4.params() / 1e9 == pytest.approx(14.66, abs=0.01)  # microsoft/phi-4: "14B" (14.7B)
    assert PHI4.embedding_params() == 2 * 100352 * 5120  # untied: embedding and lm_head


def test_shape_from_config_and_local_model(tmp_path, tiny_model):
    shape = memory.shape_for(str(tiny_model))
    assert shape is not None and shape.hidden == 64 and shape.layers == 2
    assert memory.shape_for("microsoft/phi-4") is PHI4
    assert memory.shape_for("someone/unknown-model") is None
    with pytest.raises(EaiError, match="lacks 'hidden_size'"):
        ModelShape.from_config({"num_hidden_layers": 2})


def test_settings_follow_llamafactory_keys_and_defaults():
    s = Settings.from_values({"per_device_train_batch_size": 2, "cutoff_len": 1024, "bf16": True,
                              "quantization_bit": 4, "lora_rank": 8})
    assert (s.batch, s.cutoff, s.precision, s.gradient_checkpointing, s.zero3_shards) == (2, 1024, "bf16", True, 1)
    t4 = Settings.from_values({"fp16": True, "disable_gradient_checkpointing": True})
    assert t4.precision == "fp16" and not t4.gradient_checkpointing and t4.cutoff == 2048
    z3 = Settings.from_values({"deepspeed": "zero3"}, {"NNODES": "2", "NPROC_PER_NODE": "4"})
    assert z3.zero3_shards == 8


def test_estimate_terms_for_the_paper_profile():
    p = load_profile("paper")
    e = memory.estimate_values(merge_values(p, {}), p.env)
    t = {k: v / GB for k, v in e.terms.items()}
    assert list(t) == ["weights", "embeddings", "lora", "activations", "logits"]
    assert t["weights"] == pytest.approx(13.63 * 0.516, rel=0.01)  # 4-bit NF4 + double-quantized scales
    assert t["embeddings"] == pytest.approx(2.06, abs=0.01)  # 2 x 100352 x 5120 x 2 bytes
    assert t["lora"] == pytest.approx(27.85e6 * 16 / 1e9, rel=0.01)  # rank 8 on all linear layers
    assert t["logits"] == pytest.approx(2 * 1024 * 100352 * 10 / 1e9, rel=1e-6)  # fp32 x 2 + 16-bit
    assert 9 < t["weights"] + t["embeddings"] < 9.2  # the profiles' "~9 GB of 4-bit weights + embeddings"
    assert e.total_gb == pytest.approx(sum(t.values()))
    assert all(e.how[k] for k in t)


def test_estimate_grows_with_batch_and_without_checkpointing():
    base = Settings(batch=1, cutoff=1024)
    one = estimate(PHI4, base).total
    assert estimate(PHI4, Settings(batch=2, cutoff=1024)).total > one
    assert estimate(PHI4, Settings(batch=1, cutoff=1024, gradient_checkpointing=False)).total > one
    unquantized = estimate(PHI4, Settings(batch=1, cutoff=1024, quantization_bit=None))
    assert unquantized.terms["weights"] == pytest.approx(4 * estimate(PHI4, base).terms["weights"] / 1.03, rel=0.02)


def test_every_gpu_profile_has_an_estimate_and_the_single_gpu_ones_fit_their_gpu():
    capacity = {"paper": 22.5, "colab-t4": 15.0, "a100": 40.0}  # GiB of the GPU each one names
    for name in available_profiles():
        p = load_profile(name)
        if not p.requires_gpu:
            continue
        e = memory.estimate_values(merge_values(p, {}), p.env)
        assert e is not None, name
        if name in capacity:
            assert e.total / 2**30 + 0.5 < capacity[name], (name, e.total_gb)


def test_calibration_file_in_the_repository_loads(tmp_path):
    data = memory.load_calibration()
    assert isinstance(data["profiles"], dict)
    assert memory.load_calibration(tmp_path / "absent.yaml") == {"profiles": {}}
    assert "not calibrated" in memory.calibration_note("paper", {"profiles": {}})


def test_calibration_entries_need_date_gpu_and_figure(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("profiles:\n  paper: {date: 2026-12-07, gpu: NVIDIA H100 80GB HBM3, peak_allocated_gb: 12.3,"
                    " peak_reserved_gb: 13.1, layers_measured: [2, 4, 8]}\n")
    note = memory.calibration_note("paper", memory.load_calibration(good))
    assert "calibrated 2026-12-07 on NVIDIA H100 80GB HBM3: measured 12.3 GB, reserved 13.1" in note
    bad = tmp_path / "bad.yaml"
    bad.write_text("profiles:\n  paper: {peak_allocated_gb: 12.3}\n")
    with pytest.raises(EaiError, match=r"lacks \['date', 'gpu'\]"):
        memory.load_calibration(bad)


def test_recipes_list_shows_estimates_and_how(tmp_path):
    out = run_eai("recipes", "list", "--memory", cwd=tmp_path).stdout
    assert "memory: estimate 13.2 GB peak per GPU (batch 2 x cutoff 1024, bf16" in out
    assert "not calibrated" in out or "calibrated " in out
    assert "weights" in out and "logits" in out and "4-bit NF4" in out
    tiny_block = out[out.index("\ntiny "):].split("\n(--memory")[0]
    assert "memory:" not in tiny_block  # the CPU profile has no GPU estimate


def test_validate_leaves_the_calibration_file_alone(tmp_path):
    proc = run_eai("recipes", "validate", str(memory.CALIBRATION_FILE), cwd=tmp_path)
    assert "skip" in proc.stdout
