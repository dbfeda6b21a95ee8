"""Evaluation: standard ROUGE against rouge-score computed here, the seeded and paired bootstrap, the
base-vs-adapter metrics and table, the checkpoint rule, the vLLM path's guard, and `eai eval` on the tiny run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from rouge_score import rouge_scorer

from eai_recipes.errors import EaiError
from eai_recipes.evaluation import ROUGE_KEYS, comparison_table, evaluate_run, rouge_per_sample, score_dir
from eai_recipes.evaluation.bootstrap import BootstrapSettings, mean_ci, paired_difference_ci
from eai_recipes.evaluation.checkpoints import (
    checkpoint_config,
    choose_best,
    find_checkpoints,
    rule_text,
    score_checkpoints,
)
from eai_recipes.evaluation.plots import loss_history, plot_checkpoints

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evaluation"
PAIRS = [
    ("The cats are running in the garden.", "the cat is running in the garden"),
    ("I hear how tired you are; resting is allowed.", "It sounds like you're exhausted. It's okay to rest."),
    ("", "Reaching out took courage."),
    ("Talking to someone you trust may help.", "Talking to someone you trust may help."),
    ("Breathe slowly, in for four and out for six.", "Slow breathing can calm your body: in for 4, out for 6."),
]
FAST = BootstrapSettings(n_resamples=2000, seed=7)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A copy of the fixture project (runs/paper with predictions, data/manifest.json), as the cwd."""
    shutil.copytree(FIXTURES / "project", tmp_path / "project")
    monkeypatch.chdir(tmp_path / "project")
    return tmp_path / "project"


# ------------------------------------------------------------------------------------------------ ROUGE


def test_rouge_matches_rouge_score_with_stemming_on_known_pairs():
    ours = rouge_per_sample([p for p, _ in PAIRS], [r for _, r in PAIRS])
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    for i, (pred, ref) in enumerate(PAIRS):
        expected = scorer.score(ref, pred)
        for key in ROUGE_KEYS:
            assert ours[key][i] == pytest.approx(100 * expected[key].fmeasure)


def test_rouge_values_worked_by_hand():
    # "the cats are running" vs "the cat is running": stemmed tokens the/cat/are/run vs the/cat/is/run.
    scores = rouge_per_sample(["The cats are running"], ["the cat is running"])
    assert scores["rouge1"][0] == pytest.approx(75.0)  # 3 of 4 unigrams (50.0 without stemming)
    assert scores["rouge2"][0] == pytest.approx(100 / 3)  # "the cat" only
    assert scores["rougeL"][0] == pytest.approx(75.0)  # LCS the-cat-run
    assert rouge_per_sample([""], ["anything at all"])["rouge1"] == [0.0]


def test_score_dir_means_equal_rouge_score_on_the_fixture_predictions():
    pred_dir = FIXTURES / "project" / "runs" / "paper" / "predict" / "adapter"
    rows = [json.loads(line) for line in (pred_dir / "generated_predictions.jsonl").read_text().splitlines()]
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    expected = np.mean([100 * scorer.score(r["label"], r["predict"])["rougeL"].fmeasure for r in rows])
    result = score_dir(pred_dir)
    assert result["n"] == len(rows) == 8
    assert result["rouge"]["rougeL"] == pytest.approx(expected)
    assert result["llamafactory"]["predict_rouge-l"] == 40.7


def test_unreadable_predictions_name_file_and_line(tmp_path):
    (tmp_path / "generated_predictions.jsonl").write_text('{"predict": "a", "label": "b"}\n{"predict": 3}\n')
    with pytest.raises(EaiError, match=r"generated_predictions.jsonl:2: expected an object"):
        score_dir(tmp_path)
    with pytest.raises(EaiError, match="not found"):
        score_dir(tmp_path / "missing")


# -------------------------------------------------------------------------------------------- bootstrap


def test_bootstrap_is_deterministic_for_a_seed():
    values = np.random.default_rng(3).uniform(0, 60, 200)
    assert mean_ci(values, FAST) == mean_ci(values, FAST)
    other = mean_ci(values, BootstrapSettings(n_resamples=2000, seed=8))
    assert other["ci"] != mean_ci(values, FAST)["ci"]
    a, b = values, values * 0.8 + 3
    assert paired_difference_ci(a, b, FAST) == paired_difference_ci(a, b, FAST)


@pytest.mark.parametrize("method", ["BCa", "percentile"])
@pytest.mark.parametrize("dist", ["uniform", "skewed", "mostly-zero"])
def test_interval_contains_the_point_estimate(method, dist):
    rng = np.random.default_rng(11)
    values = {"uniform": rng.uniform(0, 100, 150), "skewed": rng.exponential(5, 150),
              "mostly-zero": np.where(rng.random(150) < 0.9, 0.0, 40.0)}[dist]
    settings = BootstrapSettings(n_resamples=2000, seed=1, method=method)
    stat = mean_ci(values, settings)
    assert stat["mean"] == pytest.approx(values.mean())
    assert stat["ci"][0] <= stat["mean"] <= stat["ci"][1]
    assert stat["ci"][0] < stat["ci"][1]
    diff = paired_difference_ci(values, values[::-1], settings)
    assert diff["ci"][0] <= diff["mean"] <= diff["ci"][1]


def test_difference_resamples_the_same_indices_for_both_models():
    # b is a shifted by exactly 5 on every sample: any resample of the same indices differs by exactly 5,
    # so a paired interval has no width; resampling the two lists independently would give a wide one.
    a = np.random.default_rng(5).uniform(0, 80, 300)
    diff = paired_difference_ci(a, a - 5.0, FAST)
    assert diff["mean"] == pytest.approx(5.0)
    assert diff["ci"] == pytest.approx([5.0, 5.0])
    assert mean_ci(a, FAST)["ci"][1] - mean_ci(a, FAST)["ci"][0] > 5


def test_degenerate_scores_give_a_point_interval():
    assert mean_ci([0.0] * 20, FAST)["ci"] == [0.0, 0.0]
    assert paired_difference_ci([1.0, 2.0], [1.0, 2.0], FAST)["ci"] == [0.0, 0.0]
    with pytest.raises(ValueError):
        paired_difference_ci([1.0, 2.0], [1.0], FAST)


# ------------------------------------------------------------------------------------------ comparison


def test_evaluate_run_writes_metrics_with_intervals_and_the_paired_difference(project):
    run = Path("runs/paper")
    metrics = evaluate_run(run, settings=FAST)
    on_disk = json.loads((run / "eval" / "metrics.json").read_text())
    assert on_disk == json.loads(json.dumps(metrics))
    assert set(metrics["models"]) == {"adapter", "base"}
    adapter, base = (score_dir(run / "predict" / m) for m in ("adapter", "base"))
    for key in ROUGE_KEYS:
        stat = metrics["models"]["adapter"]["rouge"][key]
        assert stat["mean"] == pytest.approx(adapter["rouge"][key])
        assert stat["ci"][0] <= stat["mean"] <= stat["ci"][1]
        diff = metrics["difference"][key]
        assert diff["mean"] == pytest.approx(adapter["rouge"][key] - base["rouge"][key])
        assert diff["ci"][0] <= diff["mean"] <= diff["ci"][1]
    assert metrics["difference"]["rougeL"]["ci"][0] > 0  # the fixture's adapter is clearly closer
    assert metrics["generation"]["do_sample"] is False and metrics["generation"]["seed"] == 42
    assert metrics["bootstrap"]["seed"] == 7 and metrics["models"]["base"]["speed"]["samples_per_second"] == 0.194
    assert (run / "eval" / "table.md").read_text() == comparison_table(metrics)


def test_table_has_the_paper_shape_and_labels_llamafactory_figures(project):
    metrics = evaluate_run(Path("runs/paper"), settings=FAST)
    table = comparison_table(metrics)
    lines = table.splitlines()
    assert lines[0] == "| Metric | EAI (fine-tuned) | Base model | Difference (EAI - base) |"
    r1 = metrics["models"]["adapter"]["rouge"]["rouge1"]
    assert f"| ROUGE-1 (rouge-score, stemmed) | {r1['mean']:.2f} [{r1['ci'][0]:.2f}, {r1['ci'][1]:.2f}] |" in table
    assert "| ROUGE-1 (LLaMA-Factory, jieba) | 48.60 | 19.20 | +29.40 |" in table
    assert "| Samples per second | 0.152 | 0.194 |  |" in table
    assert "| Model preparation time (s) | 0.0015 | 0.0017 |  |" in table
    assert "not standard English ROUGE" in table and "greedy" in table


def test_one_model_alone_is_scored_without_a_difference(project):
    shutil.rmtree("runs/paper/predict/base")
    metrics = evaluate_run(Path("runs/paper"), settings=FAST)
    assert set(metrics["models"]) == {"adapter"} and "difference" not in metrics
    assert comparison_table(metrics).splitlines()[0] == "| Metric | EAI (fine-tuned) |"
    shutil.rmtree("runs/paper/predict/adapter")
    with pytest.raises(EaiError, match="no predictions under runs/paper/predict"):
        evaluate_run(Path("runs/paper"), settings=FAST)


def test_predictions_on_different_data_are_refused(project):
    path = Path("runs/paper/predict/base/generated_predictions.jsonl")
    rows = path.read_text().splitlines()
    row = json.loads(rows[3])
    row["label"] = "a different reference"
    rows[3] = json.dumps(row)
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(EaiError, match="row 4 of .* different references"):
        evaluate_run(Path("runs/paper"), settings=FAST)


def test_different_generation_settings_are_refused(project):
    path = Path("runs/paper/predict_base.yaml")
    path.write_text(path.read_text().replace("max_new_tokens: 256", "max_new_tokens: 512"))
    with pytest.raises(EaiError, match="differ in max_new_tokens"):
        evaluate_run(Path("runs/paper"), settings=FAST)


def test_empty_answers_are_counted_and_shown(project):
    path = Path("runs/paper/predict/adapter/generated_predictions.jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[2]["predict"] = "  "
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    metrics = evaluate_run(Path("runs/paper"), settings=FAST)
    assert metrics["models"]["adapter"]["empty_answers"] == 1
    assert "| Empty answers | 1 | 0 |  |" in comparison_table(metrics)


def test_eval_options_are_checked_before_any_work(project):
    import argparse

    from eai_recipes.cli.evaluation import register

    parser = argparse.ArgumentParser(prog="eai")
    register(parser.add_subparsers())
    for argv, message in ((["--checkpoints", "--backend", "vllm"], "leave out --backend vllm"),
                          (["--max-samples", "5"], "--max-samples applies to --checkpoints"),
                          (["--confidence", "95"], "bootstrap options: confidence")):
        args = parser.parse_args(["eval", "--run-name", "paper", *argv])
        with pytest.raises(EaiError, match=message):
            args.func(args)
    assert not Path("runs/paper/eval").exists()


def test_bad_bootstrap_settings_are_refused():
    with pytest.raises(ValueError, match="confidence"):
        BootstrapSettings(confidence=95)
    with pytest.raises(ValueError, match="method"):
        BootstrapSettings(method="normal")


# ---------------------------------------------------------------------------------------- checkpoints


def test_choice_rule_highest_metric_and_ties_go_to_the_earlier_step():
    assert choose_best({100: 20.0, 200: 25.0, 300: 24.0}) == 200
    assert choose_best({500: 25.0, 200: 25.0, 300: 24.0}) == 200
    assert choose_best({100: 31.123449, 200: 31.12341}) == 100  # equal to 4 decimals: a tie
    assert choose_best({100: 31.1234, 200: 31.1236}) == 200
    assert "a tie (equal to 4 decimals) goes to the earlier step" in rule_text("rougeL")
    assert "ROUGE-L" in rule_text("rougeL")


def test_checkpoint_scoring_on_the_fixture_picks_the_earlier_of_two_tied_checkpoints(tmp_path):
    dirs = {int(p.name.split("-")[1]): p for p in (FIXTURES / "checkpoints").glob("checkpoint-*")}
    result = score_checkpoints(dirs, metric="rougeL", settings=FAST)
    by_step = {c["step"]: c["rouge"]["rougeL"]["mean"] for c in result["checkpoints"]}
    assert by_step[200] == by_step[300] > by_step[100] > by_step[400]
    assert result["best"] == 200
    assert result["rule"] == rule_text("rougeL")
    history, source = loss_history(FIXTURES / "project" / "runs" / "paper" / "adapter")
    assert source.endswith("trainer_state.json")
    assert history[0] == {"step": 100, "loss": pytest.approx(2.3429, abs=1e-3)}
    png = plot_checkpoints(result["checkpoints"], "rougeL", "ROUGE-L", result["best"], history, tmp_path / "c.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rouge1 = score_checkpoints(dirs, metric="rouge1", settings=FAST)
    best = max(rouge1["checkpoints"], key=lambda c: (c["rouge"]["rouge1"]["mean"], -c["step"]))
    assert rouge1["best"] == best["step"]


def test_loss_history_falls_back_to_the_trainer_log_and_checkpoints(tmp_path):
    (tmp_path / "trainer_log.jsonl").write_text(
        '{"current_steps": 5, "loss": 2.0}\n{"current_steps": 10, "loss": 1.5}\n{"current_st')
    assert loss_history(tmp_path)[0] == [{"step": 5, "loss": 2.0}, {"step": 10, "loss": 1.5}]
    (tmp_path / "trainer_log.jsonl").unlink()
    (tmp_path / "checkpoint-10").mkdir()
    (tmp_path / "checkpoint-10" / "trainer_state.json").write_text(
        json.dumps({"log_history": [{"step": 10, "loss": 1.1}]}))
    state = (tmp_path / "checkpoint-10" / "trainer_state.json").as_posix()
    assert loss_history(tmp_path) == ([{"step": 10, "loss": 1.1}], state)


def test_no_checkpoints_is_a_clear_error(tmp_path):
    (tmp_path / "checkpoint-5").mkdir()  # no model saved in it
    with pytest.raises(EaiError, match="no checkpoint-N with a saved model.*save_steps"):
        find_checkpoints(tmp_path)


def test_checkpoint_config_changes_only_the_adapter_and_output(project):
    src = Path("runs/paper/predict_adapter.yaml")
    out = checkpoint_config(src, Path("runs/paper/adapter/checkpoint-500"),
                            Path("runs/paper/eval/checkpoints/checkpoint-500"), max_samples=50)
    before, after = yaml.safe_load(src.read_text()), yaml.safe_load(out.read_text())
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {"adapter_name_or_path", "output_dir", "max_samples"}
    assert after["adapter_name_or_path"] == "runs/paper/adapter/checkpoint-500"
    assert out.read_text().startswith("# EAI: predict on the validation set with runs/paper/adapter/checkpoint-500")


# ----------------------------------------------------------------------------------------------- vLLM


def test_vllm_path_refuses_clearly_where_it_cannot_run(tmp_path):
    from eai_recipes.evaluation import vllm_backend

    reason = vllm_backend.unavailable_reason()
    if reason is None:
        pytest.skip("vLLM and a GPU are present here")
    with pytest.raises(EaiError, match="--backend vllm: .*use --backend llamafactory"):
        vllm_backend.predict({"eval_dataset": "eai_val"}, "models/tiny-phi4", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_vllm_output_is_scored_like_llamafactory_output(tmp_path):
    from eai_recipes.evaluation import vllm_backend

    speed = {"source": "vLLM", "samples_per_second": 12.5, "steps_per_second": None, "runtime_s": 0.4,
             "model_preparation_s": 3.0}
    for model, preds in (("base", ["no idea", "fine"]), ("adapter", ["that sounds hard", "you are not alone"])):
        vllm_backend.write_predictions(tmp_path / "run" / "predict-vllm" / model, ["p1", "p2"], preds,
                                       ["that sounds really hard", "you are not alone in this"], speed)
    metrics = evaluate_run(tmp_path / "run", predict_dir=tmp_path / "run" / "predict-vllm", settings=FAST,
                           backend="vllm")
    assert metrics["backend"] == "vllm" and metrics["models"]["adapter"]["llamafactory"] is None
    table = comparison_table(metrics)
    assert "| Samples per second | 12.500 | 12.500 |  |" in table
    assert "| ROUGE-1 (LLaMA-Factory, jieba) | - | - |" in table


# ------------------------------------------------------------------------------------- with the real run


@pytest.mark.integration
def test_vllm_prompts_are_the_ones_llamafactory_predict_used(trained_run, monkeypatch):
    """The vLLM path builds its prompts with LLaMA-Factory's pipeline: token for token what predict used."""
    from eai_recipes.evaluation import vllm_backend

    monkeypatch.chdir(trained_run.parent.parent)
    values = yaml.safe_load((trained_run / "predict_base.yaml").read_text())
    prepared = vllm_backend.build_prompts(vllm_backend.infer_args(values, values["model_name_or_path"]))
    rows = [json.loads(line) for line in (trained_run / "predict" / "base" / "generated_predictions.jsonl")
            .read_text().splitlines()]
    assert prepared["prompts"] == [r["prompt"] for r in rows]
    assert prepared["labels"] == [r["label"] for r in rows]
    assert prepared["stop_token_ids"]


@pytest.fixture(scope="module")
def eval_run(workdir, trained_run) -> tuple[Path, object]:
    """`eai eval` end to end (predict base and adapter, then score) on a copy of the trained tiny adapter
    with 6 validation samples, so the shared runs/itest stays as the demo wrote it."""
    from conftest import run_eai

    run = workdir / "runs" / "evaltest"
    shutil.rmtree(run, ignore_errors=True)
    shutil.copytree(trained_run / "adapter", run / "adapter")
    proc = run_eai("eval", "--profile", "tiny", "--run-name", "evaltest", "--set", "max_samples=6",
                   "--bootstrap-resamples", "999", cwd=workdir)
    return run, proc


@pytest.mark.integration
def test_eai_eval_predicts_both_models_and_writes_the_table(eval_run):
    run, proc = eval_run
    metrics = json.loads((run / "eval" / "metrics.json").read_text())
    assert {m: metrics["models"][m]["n"] for m in ("adapter", "base")} == {"adapter": 6, "base": 6}
    for model in ("adapter", "base"):
        rows = [json.loads(line) for line in (run / "predict" / model / "generated_predictions.jsonl")
                .read_text().splitlines()]
        scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
        expected = np.mean([100 * scorer.score(r["label"], r["predict"]).get("rouge1").fmeasure for r in rows])
        assert metrics["models"][model]["rouge"]["rouge1"]["mean"] == pytest.approx(expected)
        assert metrics["models"][model]["speed"]["samples_per_second"] > 0
        assert metrics["models"][model]["wall_seconds"] > 0
    assert metrics["generation"]["max_samples"] == 6 and metrics["bootstrap"]["n_resamples"] == 999
    assert proc.stdout.startswith("| Metric | EAI (fine-tuned) | Base model | Difference (EAI - base) |")
    assert "Loading weights" not in proc.stdout  # LLaMA-Factory's output goes to the logs, not the table
    assert (run / "logs" / "predict_base.log").exists()


@pytest.mark.integration
def test_eai_eval_checkpoints_scores_each_checkpoint_and_names_the_best(eval_run, workdir):
    from conftest import run_eai

    run, _ = eval_run
    proc = run_eai("eval", "--profile", "tiny", "--run-name", "evaltest", "--checkpoints", "--max-samples", "4",
                   "--bootstrap-resamples", "999", cwd=workdir)
    result = json.loads((run / "eval" / "checkpoints.json").read_text())
    steps = [c["step"] for c in result["checkpoints"]]
    assert steps == sorted(int(p.name.split("-")[1]) for p in (run / "adapter").glob("checkpoint-*"))
    assert len(steps) >= 2 and all(c["n"] == 4 for c in result["checkpoints"])
    assert result["best"] == choose_best({c["step"]: c["rouge"]["rougeL"]["mean"] for c in result["checkpoints"]})
    assert f"best: checkpoint-{result['best']}" in proc.stdout and "a tie (equal to 4 decimals)" in proc.stdout
    assert (run / "eval" / "checkpoints.png").read_bytes()[:4] == b"\x89PNG"
    config = yaml.safe_load((run / "eval" / "checkpoints" / f"checkpoint-{steps[0]}.yaml").read_text())
    assert config["adapter_name_or_path"] == f"runs/evaltest/adapter/checkpoint-{steps[0]}"
