"""`eai report`: the run report (recipe, data manifest, loss curve, metrics with intervals, checkpoint choice,
sample answers) and the model card, on the fixture project and on the real tiny run."""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from eai_recipes.cli import report as report_cli
from eai_recipes.errors import EaiError
from eai_recipes.evaluation import evaluate_run, load_predictions
from eai_recipes.evaluation.bootstrap import BootstrapSettings
from eai_recipes.evaluation.checkpoints import score_checkpoints
from eai_recipes.evaluation.plots import plot_checkpoints
from eai_recipes.evaluation.report import md_text, pick_samples, user_turn

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evaluation"
FAST = BootstrapSettings(n_resamples=1000, seed=3)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    shutil.copytree(FIXTURES / "project", tmp_path / "project")
    monkeypatch.chdir(tmp_path / "project")
    return tmp_path / "project"


@pytest.fixture
def evaluated(project) -> Path:
    """runs/paper with eval/metrics.json and eval/checkpoints.json, as `eai eval` (and --checkpoints) write."""
    run = Path("runs/paper")
    evaluate_run(run, settings=FAST)
    dirs = {int(p.name.split("-")[1]): p for p in (FIXTURES / "checkpoints").glob("checkpoint-*")}
    result = score_checkpoints(dirs, settings=FAST)
    result["plot"] = plot_checkpoints(result["checkpoints"], "rougeL", "ROUGE-L", result["best"], [],
                                      run / "eval" / "checkpoints.png").as_posix()
    (run / "eval" / "checkpoints.json").write_text(json.dumps(result))
    return run


def eai_report(*argv: str) -> int:
    """The `eai report` parser and command, as the cli package wires them."""
    parser = argparse.ArgumentParser(prog="eai")
    report_cli.register(parser.add_subparsers())
    args = parser.parse_args(["report", *argv])
    return args.func(args)


def front_matter(card: str) -> dict:
    match = re.match(r"---\n(.*?)\n---\n", card, re.S)
    assert match, "the card must start with YAML front matter"
    return yaml.safe_load(match.group(1))


def test_report_holds_recipe_data_loss_metrics_and_samples(evaluated):
    assert eai_report("paper", "--samples", "3") == 0
    md = (evaluated / "report" / "report.md").read_text()
    for heading in ("## Recipe", "## Data", "## Training", "## Evaluation", "### Checkpoint choice",
                    "## Sample answers", "## Model card"):
        assert heading in md
    assert "| Base model | `microsoft/phi-4` |" in md and "QLoRA: 4-bit nf4 (bnb), double quantization on" in md
    assert "| counsel_a | `example-org/counselling-a` @ `1a2b3c4` | train | 1200 | 1150 | 80 |" not in md
    assert ("| counsel_a | `example-org/counselling-a` @ `1a2b3c4` | train | 1200 | 1150 | 50 | 1150 "
            "| none declared |") in md
    assert ("| heldout | `example-org/heldout-dialogues` @ `9a8b7c6` | validation | 300 | 280 | 20 | 8 "
            "| CC-BY-4.0 |") in md
    assert "![Training loss per step](loss.png)" in md
    assert (evaluated / "report" / "loss.png").read_bytes()[:4] == b"\x89PNG"
    metrics = json.loads((evaluated / "eval" / "metrics.json").read_text())
    for model in ("adapter", "base"):
        s = metrics["models"][model]["rouge"]["rougeL"]
        assert f"{s['mean']:.2f} [{s['ci'][0]:.2f}, {s['ci'][1]:.2f}]" in md
    d = metrics["difference"]["rouge1"]
    assert f"{d['mean']:+.2f} [{d['ci'][0]:+.2f}, {d['ci'][1]:+.2f}]" in md
    assert "**checkpoint-200** (chosen)" in md and "![Validation ROUGE per checkpoint" in md


def test_samples_are_a_seeded_draw_shown_side_by_side(evaluated):
    eai_report("paper", "--samples", "3", "--seed", "5")
    md = (evaluated / "report" / "report.md").read_text()
    base = load_predictions(evaluated / "predict" / "base")
    tuned = load_predictions(evaluated / "predict" / "adapter")
    picked = pick_samples(len(base), 3, 5)
    assert picked == pick_samples(len(base), 3, 5) and len(set(picked)) == 3
    assert md.count("### Sample ") == 3
    for number, i in enumerate(picked, 1):
        assert f"### Sample {number} (validation row {i + 1})" in md
        assert f"| {md_text(base[i]['predict'])} | {md_text(tuned[i]['predict'])} |" in md
        assert f"**Reference:** {md_text(base[i]['label'])}" in md
        user = re.search(r"user<\|im_sep\|>(.*?)<\|im_end\|>", base[i]["prompt"]).group(1)
        assert f"**User:** {md_text(user)}" in md
    assert "You are EAI" not in md.split("## Sample answers")[1].split("## Model card")[0]


def test_model_card_is_ready_to_publish(evaluated):
    eai_report("paper")
    card = (evaluated / "report" / "MODEL_CARD.md").read_text()
    meta = front_matter(card)
    assert meta["library_name"] == "peft" and meta["base_model"] == "microsoft/phi-4"
    assert meta["license"] == "other" and "example-org/counselling-a" in meta["datasets"]
    for text in ("## Not a substitute for professional care", "not a therapist", "988", "116 123",
                 "## Intended use", "## Out of scope", "## Training data and licences", "## Evaluation",
                 "## Limitations", "not empathy"):
        assert text in card
    assert "| `example-org/counselling-a` | 1a2b3c4 | 1150 | none declared |" in card
    assert "counsel_a declare no licence" in card
    assert "heldout-dialogues` |" not in card  # validation data are not training data
    metrics = json.loads((evaluated / "eval" / "metrics.json").read_text())
    r = metrics["models"]["adapter"]["rouge"]["rouge2"]
    assert f"| ROUGE-2 | {r['mean']:.2f} [{r['ci'][0]:.2f}, {r['ci'][1]:.2f}]" in card
    assert "final weights (step 3000)" in card and "publish `checkpoint-200/`" in card
    assert "Not for publication" not in card
    adapter = evaluated / "adapter"
    assert (adapter / "README.md").read_text() == card
    assert "Stand-in for the generic card" in (adapter / "README.llamafactory.md").read_text()
    eai_report("paper")  # a second report must not overwrite the trainer's card with ours
    assert "Stand-in for the generic card" in (adapter / "README.llamafactory.md").read_text()
    assert eai_report("paper", "--no-adapter-card", "--out", "elsewhere") == 0
    assert Path("elsewhere/MODEL_CARD.md").exists()


def test_model_card_states_the_decoding_the_evaluation_used(evaluated):
    metrics_path = evaluated / "eval" / "metrics.json"
    eai_report("paper")
    assert "greedy decoding" in (evaluated / "report" / "MODEL_CARD.md").read_text()
    metrics = json.loads(metrics_path.read_text())
    metrics["generation"].update(do_sample=True, temperature=0.7, top_p=0.9)
    metrics_path.write_text(json.dumps(metrics))
    eai_report("paper")
    card = (evaluated / "report" / "MODEL_CARD.md").read_text()
    assert "sampling (temperature 0.7, top_p 0.9" in card and "greedy decoding" not in card


def test_html_report_is_self_contained_and_escapes_model_text(evaluated):
    path = evaluated / "predict" / "adapter" / "generated_predictions.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for row in rows:
        row["predict"] = '<script>alert("x")</script> | **bold** <img src="https://example.org/t.png">'
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    evaluate_run(evaluated, settings=FAST)
    eai_report("paper", "--samples", "2")
    html = (evaluated / "report" / "report.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert re.findall(r'<img src="([^"]{0,22})', html) == ["data:image/png;base64,"] * 2
    assert "https://example.org/t.png" in html and '<img src="https://' not in html
    assert html.count("<table>") >= 5 and "<br>" not in html.split("Sample answers")[1].split("<table>")[0]
    md = (evaluated / "report" / "report.md").read_text()
    assert "\\<script\\>" in md and "\\*\\*bold\\*\\*" in md and "\\| " in md


def test_missing_parts_are_named_not_invented(project, capsys):
    Path("data/manifest.json").unlink()
    assert eai_report("paper") == 0
    md = Path("runs/paper/report/report.md").read_text()
    assert "**Incomplete:**" in md and "**No data manifest**" in md and "**Not evaluated.**" in md
    assert "No side-by-side answers" in md
    card = Path("runs/paper/report/MODEL_CARD.md").read_text()
    assert "**Not evaluated yet**" in card and "Not documented: no data manifest" in card
    err = capsys.readouterr().err
    assert "missing data manifest" in err and "missing evaluation" in err


def test_unknown_run_and_untrained_run_are_clear_errors(project):
    with pytest.raises(EaiError, match="no run 'nope'.*known runs: paper"):
        eai_report("nope")
    shutil.rmtree("runs/paper/adapter")
    with pytest.raises(EaiError, match="holds no trained model"):
        eai_report("paper")


def test_user_turn_follows_the_template_with_or_without_token_spaces():
    tight = ("<|im_start|>system<|im_sep|>Be kind.<|im_end|><|im_start|>user<|im_sep|>I feel low.<|im_end|>"
             "<|im_start|>assistant<|im_sep|>")
    spaced = ("<|im_start|> system <|im_sep|> Be kind. <|im_end|> <|im_start|> user <|im_sep|> I feel low. <|im_end|> "
              "<|im_start|> assistant <|im_sep|>")
    assert user_turn(tight, "phi4") == user_turn(spaced, "phi4") == "I feel low."
    qwen = "<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nWho are you?<|im_end|>\n<|im_start|>assistant\n"
    assert user_turn(qwen, "qwen") == "Who are you?"
    assert user_turn("plain prompt", "no-such-template") == "plain prompt"


def test_eai_report_command_is_registered():
    from eai_recipes import cli

    parser = cli.build_parser()
    choices = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert "report" in choices


@pytest.mark.integration
def test_report_of_the_real_tiny_run(workdir, trained_run, monkeypatch):
    run = workdir / "runs" / "reporttest"
    shutil.rmtree(run, ignore_errors=True)
    shutil.copytree(trained_run, run, ignore=shutil.ignore_patterns("merged"))
    monkeypatch.chdir(workdir)
    evaluate_run(Path("runs/reporttest"), settings=FAST)
    assert eai_report("reporttest", "--samples", "2") == 0
    md = (run / "report" / "report.md").read_text()
    card = (run / "report" / "MODEL_CARD.md").read_text()
    assert "Not for publication" in card and "tiny random test model" in card
    assert "Trained on the offline samples" in card and "base_model" not in front_matter(card)
    manifest = json.loads((workdir / "data" / "manifest.json").read_text())
    for key, source in manifest["sources"].items():
        assert f"| {key} |" in md and source["licence"] in md
    state = json.loads((run / "adapter" / "trainer_state.json").read_text())
    assert f"Trained: {state['global_step']} steps" in md
    assert (run / "report" / "loss.png").stat().st_size > 1000
    base = load_predictions(run / "predict" / "base")
    i = pick_samples(len(base), 2, 0)[0]
    assert md_text(base[i]["predict"]) in md
    assert (run / "adapter" / "README.llamafactory.md").exists()
