"""The human-evaluation kit: questions, predict configs, the blinded questionnaire and the analysis.

Expected figures are computed here, independently of the package, from the raw fixture rows with pandas,
numpy and scipy (or by hand for a tiny case), and compared with what `eai humaneval analyze` writes.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from eai_recipes.cli import humaneval as humaneval_cli
from eai_recipes.errors import EaiError
from eai_recipes.humaneval.items import ITEM_IDS
from eai_recipes.humaneval.questions import load_questions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "humaneval"
RESPONSES = FIXTURES / "responses.csv"
BASE_PREDICTIONS = FIXTURES / "generated_predictions_base.jsonl"
TUNED_ANSWERS = FIXTURES / "answers_tuned.json"
QUESTIONS = Path(__file__).resolve().parents[2] / "dataset_info" / "humaneval_questions.json"
ROOT = Path(__file__).resolve().parents[2]


def eai(*argv: str) -> int:
    """Run `eai humaneval ...` through the module's own argument parser and command functions."""
    parser = argparse.ArgumentParser(prog="eai")
    humaneval_cli.register(parser.add_subparsers(required=True))
    args = parser.parse_args(["humaneval", *argv])
    return args.func(args)


def analyze(tmp_path: Path, *files: Path | str, extra: tuple[str, ...] = ()) -> dict:
    out = tmp_path / "analysis"
    assert eai("analyze", *map(str, files), "--out", str(out), "--no-charts", *extra) == 0
    return json.loads((out / "analysis.json").read_text())


def fixture_rows() -> tuple[list[str], list[list[str]]]:
    with RESPONSES.open(newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def write_rows(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def find_row(rows: list[list[str]], header: list[str], **match: str) -> int:
    """Index into rows of the first row matching; its CSV line number is index + 2."""
    cols = {name: header.index(name) for name in match}
    for index, row in enumerate(rows):
        if all(row[cols[name]] == value for name, value in match.items()):
            return index
    raise AssertionError(f"no row {match}")


def assert_same(got, expected, path: str = "") -> None:
    """Equal structures, floats equal up to rounding (summation order may differ between inputs)."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and list(got) == list(expected), path
        for key in expected:
            assert_same(got[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), path
        for index, (g, e) in enumerate(zip(got, expected)):
            assert_same(g, e, f"{path}[{index}]")
    elif isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), path
    else:
        assert got == expected, path


def totals_table(df: pd.DataFrame) -> pd.DataFrame:
    """[rater x model] total scores, computed directly from the raw rows."""
    return df.groupby(["rater_id", "model"])["score"].sum().unstack("model")


@pytest.fixture(scope="module")
def fixture_analysis(tmp_path_factory) -> dict:
    return analyze(tmp_path_factory.mktemp("fixture"), RESPONSES, extra=("--models", "phi-4,EAI"))


# ------------------------------------------------------------------------------------------- questions


def test_shipped_questions_cover_ten_topics():
    questions = json.loads(QUESTIONS.read_text())
    assert len(questions) == 10
    assert len({q["id"] for q in questions}) == 10
    assert len({q["topic"] for q in questions}) == 10
    assert all(q["question"].strip().endswith("?") for q in questions)
    assert [q.id for q in load_questions(QUESTIONS)] == [q["id"] for q in questions]


@pytest.mark.parametrize("entries, message", [
    ([{"id": "q1", "topic": "t", "question": "x?"}, {"id": "q1", "topic": "u", "question": "y?"}], "appears twice"),
    ([{"id": "q1", "topic": "", "question": "x?"}], "lacks topic"),
    ({"id": "q1"}, "non-empty JSON list"),
])
def test_bad_questions_file(tmp_path, entries, message):
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(entries))
    with pytest.raises(EaiError, match=message):
        load_questions(path)


# -------------------------------------------------------------------------------------------- prepare


def test_prepare_writes_dataset_and_predict_configs(tmp_path):
    out = tmp_path / "he"
    assert eai("prepare", "--out", str(out), "--model", "phi-4=microsoft/phi-4", "--model", "EAI=microsoft/phi-4",
               "--adapter", "EAI=runs/eai/adapter", "--set", "quantization_bit=4", "--set", "max_new_tokens=64") == 0
    rows = json.loads((out / "data" / "humaneval_questions.json").read_text())
    questions = json.loads(QUESTIONS.read_text())
    assert [r["instruction"] for r in rows] == [q["question"] for q in questions]
    assert all(r["system"].startswith("You are EAI") and r["output"] == "" for r in rows)
    info = json.loads((out / "data" / "dataset_info.json").read_text())
    assert info["eai_humaneval"]["columns"]["system"] == "system"
    base = yaml.safe_load((out / "predict_phi-4.yaml").read_text())
    tuned = yaml.safe_load((out / "predict_EAI.yaml").read_text())
    assert "adapter_name_or_path" not in base and tuned["adapter_name_or_path"] == "runs/eai/adapter"
    for config in (base, tuned):
        assert config["do_predict"] and config["predict_with_generate"] and config["do_sample"] is False
        assert config["eval_dataset"] == "eai_humaneval" and config["dataset_dir"] == str(out / "data")
        assert config["max_new_tokens"] == 64 and config["quantization_bit"] == 4  # --set replaces and adds
    assert "max_new_tokens: 512" not in (out / "predict_EAI.yaml").read_text()


def test_prepare_without_system_prompt(tmp_path):
    assert eai("prepare", "--out", str(tmp_path), "--no-system") == 0
    rows = json.loads((tmp_path / "data" / "humaneval_questions.json").read_text())
    assert all("system" not in r for r in rows)
    assert "system" not in json.loads((tmp_path / "data" / "dataset_info.json").read_text())["eai_humaneval"]["columns"]


@pytest.mark.parametrize("argv, message", [
    (("--model", "a=x", "--model", "b=y"), "not allowed"),
    (("--model", "base=x", "--adapter", "tuned=runs/a"), "no --model names"),
    (("--model", "base"), "expected MODEL=PATH"),
    (("--model", "base=x", "--set", "quantization bit=4"), "expected key=value"),
    (("--run",), "--run needs"),
])
def test_prepare_rejects_bad_options(tmp_path, argv, message):
    with pytest.raises(EaiError, match=message):
        eai("prepare", "--out", str(tmp_path), *argv)


# -------------------------------------------------------------------------------------------- answers


def load(path: Path, model: str = "m") -> dict[str, str]:
    from eai_recipes.humaneval.answers import load_answers

    return load_answers(path, model, load_questions(QUESTIONS), [])


def test_answers_from_llamafactory_predictions_and_from_ids():
    base = load(BASE_PREDICTIONS)
    predictions = [json.loads(line)["predict"] for line in BASE_PREDICTIONS.read_text().splitlines()]
    assert list(base.values()) == predictions and list(base) == [f"q{i:02d}" for i in range(1, 11)]
    tuned = load(TUNED_ANSWERS)
    assert tuned == {r["question_id"]: r["answer"] for r in json.loads(TUNED_ANSWERS.read_text())}


def _predictions(tmp_path: Path, change) -> Path:
    lines = [json.loads(line) for line in BASE_PREDICTIONS.read_text().splitlines()]
    lines = change(lines)
    path = tmp_path / "generated_predictions.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _ids(tmp_path: Path, change) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(change(json.loads(TUNED_ANSWERS.read_text()))))
    return path


@pytest.mark.parametrize("make, message", [
    (lambda t: _predictions(t, lambda ls: ls[:9]), "has 9 predictions but there are 10 questions"),
    (lambda t: _predictions(t, lambda ls: [ls[1], ls[0], *ls[2:]]), "line 1: the prompt is question q02"),
    (lambda t: _predictions(t, lambda ls: [{**ls[0], "predict": "  "}, *ls[1:]]), "line 1: missing answer"),
    (lambda t: _ids(t, lambda rs: rs[:-1]), "missing answers for model m to question\\(s\\) q10"),
    (lambda t: _ids(t, lambda rs: [{**rs[0], "question_id": "q99"}, *rs[1:]]), "entry 0: unknown question_id 'q99'"),
    (lambda t: _ids(t, lambda rs: [{**rs[0], "model": "other"}, *rs[1:]]), "entry 0: unknown model 'other'"),
    (lambda t: _ids(t, lambda rs: [*rs, rs[0]]), "entry 10: a second answer to question q01"),
    (lambda t: _ids(t, lambda rs: [{"question_id": "q01"}]), "entry 0 lacks answer"),
])
def test_bad_answers_are_refused(tmp_path, make, message):
    with pytest.raises(EaiError, match=message):
        load(make(tmp_path))


# -------------------------------------------------------------------------------------- questionnaire


def make_form(out: Path, seed: int = 7, *extra: str) -> dict:
    assert eai("questionnaire", "--answers", f"phi-4={BASE_PREDICTIONS}", "--answers", f"EAI={TUNED_ANSWERS}",
               "--seed", str(seed), "--out", str(out), *extra) == 0
    return json.loads((out / "key.json").read_text())


def shown_answers(page: str) -> dict[tuple[str, str], str]:
    """(question_id, label) -> the answer text shown under 'Answer <label>' in the form."""
    shown = {}
    for section in re.findall(r'<section class="question".*?</section>', page, flags=re.S):
        qid = re.search(r"; id ([^)]+)\)", section).group(1)
        for label, text in re.findall(r'<h3>Answer (\w)</h3><div class="text">(.*?)</div>', section, flags=re.S):
            shown[(qid, label)] = html.unescape(text)
    return shown


def test_questionnaire_blinds_and_the_key_unblinds(tmp_path):
    key = make_form(tmp_path)
    page = (tmp_path / "questionnaire.html").read_text()
    answers = {"phi-4": load(BASE_PREDICTIONS), "EAI": load(TUNED_ANSWERS)}
    shown = shown_answers(page)
    assert len(shown) == 20
    for entry in key["assignments"]:
        assert shown[(entry["question_id"], entry["label"])] == answers[entry["model"]][entry["question_id"]]
    # Blinded: no model name on the page, no external resource, every question and item there.
    assert "phi-4" not in page and "EAI" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    questions = json.loads(QUESTIONS.read_text())
    assert all(q["question"] in html.unescape(page) for q in questions)
    assert page.count('type="radio"') == 10 * 2 * 8 * 5
    # Balanced: each model is 'Answer A' on half of the questions.
    first = [e["model"] for e in key["assignments"] if e["label"] == "A"]
    assert first.count("EAI") == first.count("phi-4") == 5


def test_blinding_is_seeded(tmp_path):
    one = make_form(tmp_path / "one", 3)["assignments"]
    again = make_form(tmp_path / "again", 3)["assignments"]
    others = [make_form(tmp_path / f"s{seed}", seed)["assignments"] for seed in (4, 5, 6)]
    assert one == again
    assert any(other != one for other in others)


def test_answers_are_escaped_in_the_form(tmp_path):
    hostile = _ids(tmp_path, lambda rs: [{**rs[0], "answer": "<script>alert(1)</script> & more"}, *rs[1:]])
    eai("questionnaire", "--answers", f"base={BASE_PREDICTIONS}", "--answers", f"tuned={hostile}", "--seed", "1",
        "--out", str(tmp_path / "form"))
    page = (tmp_path / "form" / "questionnaire.html").read_text()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page


def test_answer_naming_a_model_is_flagged(tmp_path, capsys):
    leaky = _ids(tmp_path, lambda rs: [{**rs[0], "answer": "I'm EAI, and I'm here for you."}, *rs[1:]])
    eai("questionnaire", "--answers", f"phi-4={BASE_PREDICTIONS}", "--answers", f"EAI={leaky}", "--seed", "1",
        "--out", str(tmp_path / "form"))
    assert "EAI's answer to q01 mentions 'EAI'" in capsys.readouterr().err


def test_csv_template_is_long_format_with_blank_scores(tmp_path):
    make_form(tmp_path, 7, "--raters", "3", "--demographic", "age_group")
    with (tmp_path / "responses_template.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["rater_id", "gender", "major", "age_group", "model", "question_id", "item", "score"]
    assert len(rows) == 3 * 10 * 2 * 8
    assert {r["rater_id"] for r in rows} == {"R01", "R02", "R03"} and {r["model"] for r in rows} == {"A", "B"}
    assert all(r["score"] == "" for r in rows)
    # An unfilled template is refused, naming its first row.
    with pytest.raises(EaiError, match=r"responses_template.csv, line 2: score is empty"):
        analyze(tmp_path, tmp_path / "responses_template.csv", extra=("--key", str(tmp_path / "key.json")))


@pytest.mark.parametrize("argv, message", [
    (("--answers", f"phi-4={BASE_PREDICTIONS}"), "exactly twice"),
    (("--answers", f"phi-4={BASE_PREDICTIONS}", "--answers", f"phi-4={TUNED_ANSWERS}"), "given twice"),
    (("--answers", f"phi-4={BASE_PREDICTIONS}", "--answers", "EAI=missing.json"), "does not exist"),
    (("--answers", f"phi-4={BASE_PREDICTIONS}", "--answers", f"B={TUNED_ANSWERS}"), "not allowed"),
    (("--answers", f"x={BASE_PREDICTIONS}", "--answers", f"y={TUNED_ANSWERS}", "--demographic", "score"),
     "--demographic"),
])
def test_questionnaire_rejects_bad_options(tmp_path, argv, message):
    with pytest.raises(EaiError, match=message):
        eai("questionnaire", *argv, "--out", str(tmp_path))


def _chromium() -> str | None:
    return next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)


FILL_AND_DOWNLOAD = """
<script>
(function () {
  const plan = %s;
  let captured = null;
  const RealBlob = window.Blob;
  window.Blob = function (parts, options) { captured = parts.join(""); return new RealBlob(parts, options); };
  window.confirm = () => true;
  for (const [id, value] of Object.entries(plan.fields)) document.getElementById(id).value = value;
  for (const r of document.querySelectorAll("input[type=radio]")) {
    if (String(plan.scores[r.dataset.q + "|" + r.dataset.label + "|" + r.dataset.item]) === r.value) r.checked = true;
  }
  document.getElementById("download").click();
  const pre = document.createElement("pre");
  pre.id = "captured";
  pre.textContent = captured;
  document.body.appendChild(pre);
})();
</script>
</body>"""


@pytest.mark.skipif(_chromium() is None, reason="needs a headless Chromium to run the form's script")
def test_form_download_feeds_the_analysis(tmp_path):
    """Fill the real form in a headless browser, take its CSV download and analyse it with the key."""
    key = make_form(tmp_path / "form", 11)
    page = (tmp_path / "form" / "questionnaire.html").read_text()
    model_of = {(e["question_id"], e["label"]): e["model"] for e in key["assignments"]}
    raters = {
        "R1": ("female", "STEM", lambda model, q, i: 5 if model == "EAI" else 2),
        "R2": ("male", "non-STEM", lambda model, q, i: 1 + (q + i + (model == "EAI")) % 5),
    }
    expected = {}
    files = []
    for rater, (gender, major, score) in raters.items():
        scores = {}
        for (qid, label), model in model_of.items():
            for i, item in enumerate(ITEM_IDS):
                scores[f"{qid}|{label}|{item}"] = score(model, int(qid[1:]), i)
                expected[(rater, model)] = expected.get((rater, model), 0) + scores[f"{qid}|{label}|{item}"]
        plan = {"fields": {"rater_id": rater, "gender": gender, "major": major}, "scores": scores}
        filled = tmp_path / f"filled_{rater}.html"
        filled.write_text(page.replace("</body>", FILL_AND_DOWNLOAD % json.dumps(plan), 1))
        dom = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                              filled.as_uri()], capture_output=True, text=True, timeout=120).stdout
        captured = html.unescape(re.search(r'<pre id="captured">(.*?)</pre>', dom, flags=re.S).group(1))
        files.append(tmp_path / f"ratings_{rater}.csv")
        files[-1].write_text(captured)
        assert captured.splitlines()[0] == "rater_id,gender,major,model,question_id,item,score"
        assert len(captured.splitlines()) == 1 + 160
    result = analyze(tmp_path, *files, extra=("--key", str(tmp_path / "form" / "key.json")))
    for model in ("phi-4", "EAI"):
        values = [expected[(r, model)] for r in raters]
        assert result["models"][model]["mean_total"] == pytest.approx(np.mean(values))
    assert expected[("R1", "EAI")] == 400 and expected[("R1", "phi-4")] == 160


# -------------------------------------------------------------------------------------------- analyze


def test_totals_match_an_independent_computation(fixture_analysis):
    tot = totals_table(pd.read_csv(RESPONSES))
    for model in ("phi-4", "EAI"):
        summary = fixture_analysis["models"][model]
        assert summary["n_raters"] == 8
        assert summary["mean_total"] == pytest.approx(tot[model].mean())
        assert summary["sd_total"] == pytest.approx(np.std(tot[model].to_numpy(), ddof=1))
        assert summary["min_total"] == tot[model].min() and summary["max_total"] == tot[model].max()
    assert fixture_analysis["meta"]["total_range"] == [80, 400]


def test_frequency_tables_match_value_counts(fixture_analysis):
    df = pd.read_csv(RESPONSES)
    for (model, item), group in df.groupby(["model", "item"]):
        entry = fixture_analysis["frequencies"][model][item]
        counts = group["score"].value_counts().reindex([1, 2, 3, 4, 5], fill_value=0)
        percent = 100 * counts / len(group)
        assert entry["n"] == len(group) == 80
        assert [o["count"] for o in entry["options"]] == counts.tolist()
        assert [o["percent"] for o in entry["options"]] == pytest.approx(percent.tolist())
        assert [o["cumulative_percent"] for o in entry["options"]] == pytest.approx(percent.cumsum().tolist())
        assert entry["options"][-1]["cumulative_percent"] == pytest.approx(100)


def test_subgroup_t_tests_match_scipy(fixture_analysis):
    df = pd.read_csv(RESPONSES)
    tot = totals_table(df)
    demographics = df.groupby("rater_id")[["gender", "major", "year"]].first()
    for factor in ("gender", "major"):
        for model in ("phi-4", "EAI"):
            entry = next(e for e in fixture_analysis["subgroups"] if e["factor"] == factor and e["model"] == model)
            levels = sorted(demographics[factor].unique())
            samples = [tot.loc[demographics.index[demographics[factor] == level], model].to_numpy() for level in levels]
            assert list(entry["groups"]) == levels
            for level, sample in zip(levels, samples):
                group = entry["groups"][level]
                assert group["n"] == len(sample)
                assert group["mean"] == pytest.approx(sample.mean())
                assert group["sd"] == pytest.approx(sample.std(ddof=1))
            assert entry["p_student"] == pytest.approx(stats.ttest_ind(*samples, equal_var=True).pvalue)
            assert entry["p_welch"] == pytest.approx(stats.ttest_ind(*samples, equal_var=False).pvalue)
            assert entry["p_student"] != pytest.approx(entry["p_welch"])


def test_factor_with_three_levels_uses_anova(fixture_analysis):
    df = pd.read_csv(RESPONSES)
    tot = totals_table(df)
    year = df.groupby("rater_id")["year"].first()
    for model in ("phi-4", "EAI"):
        entry = next(e for e in fixture_analysis["subgroups"] if e["factor"] == "year" and e["model"] == model)
        samples = [tot.loc[year.index[year == level], model].to_numpy() for level in sorted(year.unique())]
        assert "ANOVA" in entry["test"]
        assert entry["p_student"] == pytest.approx(stats.f_oneway(*samples).pvalue)
        assert entry["p_welch"] == pytest.approx(stats.f_oneway(*samples, equal_var=False).pvalue)


def test_paired_comparison_matches_scipy(fixture_analysis):
    tot = totals_table(pd.read_csv(RESPONSES))
    phi, tuned = tot["phi-4"].to_numpy(), tot["EAI"].to_numpy()
    diff = tuned - phi
    paired = fixture_analysis["paired"]
    assert paired["difference"] == "EAI - phi-4" and paired["n"] == 8
    assert paired["mean_difference"] == pytest.approx(diff.mean())
    assert paired["p_ttest"] == pytest.approx(stats.ttest_rel(tuned, phi).pvalue)
    assert paired["p_wilcoxon"] == pytest.approx(stats.wilcoxon(tuned, phi).pvalue)
    assert paired["cohens_dz"] == pytest.approx(diff.mean() / diff.std(ddof=1))
    # Matched-pairs rank-biserial, by its definition: (T+ - T-) / (T+ + T-) over the non-zero differences.
    nonzero = diff[diff != 0]
    ranks = stats.rankdata(np.abs(nonzero))
    plus, minus = ranks[nonzero > 0].sum(), ranks[nonzero < 0].sum()
    assert paired["rank_biserial"] == pytest.approx((plus - minus) / (plus + minus))
    low, high = paired["ci95_mean_difference"]
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    assert (low, high) == pytest.approx((diff.mean() - half, diff.mean() + half))


def test_per_item_paired_tests(fixture_analysis):
    df = pd.read_csv(RESPONSES)
    per_item = df.groupby(["item", "rater_id", "model"])["score"].sum().unstack("model")
    entries = {e["item"]: e for e in fixture_analysis["paired_items"]}
    assert list(entries) == list(ITEM_IDS)
    for item in ITEM_IDS:
        table = per_item.loc[item]
        assert entries[item]["p_wilcoxon"] == pytest.approx(stats.wilcoxon(table["EAI"], table["phi-4"]).pvalue)
        assert entries[item]["p_ttest"] == pytest.approx(stats.ttest_rel(table["EAI"], table["phi-4"]).pvalue)
    adjusted = stats.false_discovery_control([entries[i]["p_ttest"] for i in ITEM_IDS])
    assert [entries[i]["p_ttest_bh"] for i in ITEM_IDS] == pytest.approx(adjusted.tolist())


def test_hand_computed_case(tmp_path):
    """Three raters who give one score throughout: totals and frequencies can be worked out by hand."""
    constant = {("R1", "base"): 3, ("R1", "tuned"): 4, ("R2", "base"): 2, ("R2", "tuned"): 5,
                ("R3", "base"): 4, ("R3", "tuned"): 4}
    rows = [[rater, "x", "y", model, f"q{q}", item, str(score)]
            for (rater, model), score in constant.items() for q in range(1, 11) for item in ITEM_IDS]
    path = write_rows(tmp_path / "r.csv", ["rater_id", "gender", "major", "model", "question_id", "item", "score"],
                      rows)
    result = analyze(tmp_path, path)
    assert result["models"]["base"]["mean_total"] == pytest.approx(240)  # (240 + 160 + 320) / 3
    assert result["models"]["base"]["sd_total"] == pytest.approx(80)  # sqrt((0 + 80^2 + 80^2) / 2)
    assert result["models"]["tuned"]["mean_total"] == pytest.approx(1040 / 3)  # (320 + 400 + 320) / 3
    assert [o["count"] for o in result["frequencies"]["base"]["clarity"]["options"]] == [0, 10, 10, 10, 0]
    assert [o["cumulative_percent"] for o in result["frequencies"]["base"]["clarity"]["options"]] == \
        pytest.approx([0, 100 / 3, 200 / 3, 100, 100])
    assert result["paired"]["mean_difference"] == pytest.approx(320 / 3)  # (80 + 240 + 0) / 3
    assert result["paired"]["n_nonzero"] == 2 and result["paired"]["rank_biserial"] == pytest.approx(1.0)
    # One level only for gender and major: reported without a test, and valid JSON (no NaN).
    assert all(e["p_student"] is None for e in result["subgroups"])


def test_blinded_responses_with_key_equal_unblinded(tmp_path, fixture_analysis):
    key = make_form(tmp_path / "form", 5)
    label_of = {(e["question_id"], e["model"]): e["label"] for e in key["assignments"]}
    header, rows = fixture_rows()
    m, q = header.index("model"), header.index("question_id")
    blinded = [[*r[:m], label_of[(r[q], r[m])], *r[m + 1:]] for r in rows]
    path = write_rows(tmp_path / "blinded.csv", header, blinded)
    result = analyze(tmp_path, path, extra=("--key", str(tmp_path / "form" / "key.json")))
    assert result["meta"]["models"] == ["phi-4", "EAI"]  # the key's (--answers) order
    assert_same(result["models"], fixture_analysis["models"])
    assert_same(result["paired"], fixture_analysis["paired"])


def test_one_file_per_rater_equals_one_file(tmp_path, fixture_analysis):
    header, rows = fixture_rows()
    raters = sorted({r[0] for r in rows})
    files = [write_rows(tmp_path / f"{rater}.csv", header, [r for r in rows if r[0] == rater]) for rater in raters]
    result = analyze(tmp_path, *files, extra=("--models", "phi-4,EAI"))
    assert_same(result["models"], fixture_analysis["models"])
    assert_same(result["subgroups"], fixture_analysis["subgroups"])


def test_semicolon_csv_with_bom_and_messy_spelling(tmp_path, fixture_analysis):
    header, rows = fixture_rows()
    g, i = header.index("gender"), header.index("item")
    messy = [[*r[:g], r[g].upper() if r[0] == "R01" else r[g], *r[g + 1:i], r[i].replace("_", " ").title(),
              *r[i + 1:]] for r in rows]
    path = tmp_path / "excel.csv"
    write_rows(path, header, messy, delimiter=";")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = analyze(tmp_path, path, extra=("--models", "phi-4,EAI"))
    assert_same(result["models"], fixture_analysis["models"])
    assert_same(result["subgroups"], fixture_analysis["subgroups"])


def test_column_that_varies_within_raters_is_not_a_factor(tmp_path, capsys):
    header, rows = fixture_rows()
    path = write_rows(tmp_path / "c.csv", [*header, "comment"], [[*r, f"note {n}"] for n, r in enumerate(rows)])
    result = analyze(tmp_path, path)
    assert result["meta"]["factors"] == ["gender", "major", "year"]
    assert "column 'comment' varies within raters" in capsys.readouterr().err


def test_single_rater_group_gives_no_sd_and_valid_json(tmp_path):
    header, rows = fixture_rows()
    y = header.index("year")
    path = write_rows(tmp_path / "y.csv", header, [[*r[:y], "fourth" if r[0] == "R08" else r[y], *r[y + 1:]]
                                                   for r in rows])
    result = analyze(tmp_path, path, extra=("--factors", "year"))
    entry = result["subgroups"][0]
    assert entry["groups"]["fourth"]["n"] == 1 and entry["groups"]["fourth"]["sd"] is None
    assert [e["factor"] for e in result["subgroups"]] == ["year", "year"]


def test_outputs_tables_and_charts(tmp_path):
    out = tmp_path / "out"
    assert eai("analyze", str(RESPONSES), "--out", str(out)) == 0
    analysis = json.loads((out / "analysis.json").read_text())
    for model in ("phi-4", "EAI"):
        assert {"mean_total", "sd_total", "n_raters"} <= set(analysis["models"][model])
    assert {"factor", "model", "groups", "p_student", "p_welch"} <= set(analysis["subgroups"][0])
    assert {"p_ttest", "p_wilcoxon"} <= set(analysis["paired"])
    tables = (out / "tables.md").read_text()
    for heading in ("Table 2", "Tables 3-4", "Tables 5-8", "Paired comparison", "ANOVA"):
        assert heading in tables
    from matplotlib.image import imread

    charts = sorted(p.name for p in out.glob("likert_*.png"))
    assert charts == sorted([f"likert_{i}.png" for i in ITEM_IDS] + ["likert_overview.png"])
    assert imread(out / "likert_empathy.png").shape[0] > 100
    assert "![likert_empathy](likert_empathy.png)" in tables


# ------------------------------------------------------------------------------------------- bad input


def mutate(tmp_path: Path, change) -> tuple[Path, list[str], list[list[str]]]:
    header, rows = fixture_rows()
    header, rows = change(header, [list(r) for r in rows]) or (header, rows)
    return write_rows(tmp_path / "bad.csv", header, rows), header, rows


def set_cell(match: dict[str, str], column: str, value: str):
    def change(header, rows):
        rows[find_row(rows, header, **match)][header.index(column)] = value
        return header, rows
    return change


R03_EAI_Q04_EMPATHY = {"rater_id": "R03", "model": "EAI", "question_id": "q04", "item": "empathy"}


def line_of(match: dict[str, str]) -> int:
    header, rows = fixture_rows()
    return find_row(rows, header, **match) + 2


@pytest.mark.parametrize("value, message", [
    ("6", "score 6 is outside 1-5"), ("0", "score 0 is outside 1-5"), ("4.5", "score '4.5' is not an integer"),
    ("four", "score 'four' is not a number"), ("", "score is empty"),
])
def test_bad_score_names_the_line(tmp_path, value, message):
    path, _, _ = mutate(tmp_path, set_cell(R03_EAI_Q04_EMPATHY, "score", value))
    with pytest.raises(EaiError, match=rf"bad.csv, line {line_of(R03_EAI_Q04_EMPATHY)}: {message}"):
        analyze(tmp_path, path)


def test_unknown_item_names_the_line(tmp_path):
    path, _, _ = mutate(tmp_path, set_cell(R03_EAI_Q04_EMPATHY, "item", "warmth"))
    with pytest.raises(EaiError, match=rf"line {line_of(R03_EAI_Q04_EMPATHY)}: unknown item 'warmth' \(allowed: "):
        analyze(tmp_path, path)


def test_unknown_model_names_the_line(tmp_path):
    path, _, _ = mutate(tmp_path, set_cell(R03_EAI_Q04_EMPATHY, "model", "gpt-x"))
    with pytest.raises(EaiError, match=rf"line {line_of(R03_EAI_Q04_EMPATHY)}: unknown model 'gpt-x'"):
        analyze(tmp_path, path)
    with pytest.raises(EaiError, match=rf"line {line_of(R03_EAI_Q04_EMPATHY)}: unknown model 'gpt-x' \(--models"):
        analyze(tmp_path, path, extra=("--models", "phi-4,EAI"))


def test_duplicate_rating_names_both_lines(tmp_path):
    def change(header, rows):
        rows.append(list(rows[find_row(rows, header, **R03_EAI_Q04_EMPATHY)]))
        return header, rows
    path, _, rows = mutate(tmp_path, change)
    with pytest.raises(EaiError, match=rf"line {len(rows) + 1}: duplicate rating: rater R03, model EAI, question q04, "
                                       rf"item empathy was already rated at .*line {line_of(R03_EAI_Q04_EMPATHY)}"):
        analyze(tmp_path, path)


def test_rater_who_rated_one_model_only(tmp_path):
    path, _, _ = mutate(tmp_path, lambda h, rows: (h, [r for r in rows if not (r[0] == "R05" and r[4] == "EAI")]))
    with pytest.raises(EaiError, match=r"rater R05 rated phi-4 but not EAI \(first row: .*line \d+\)"):
        analyze(tmp_path, path)


def test_incomplete_ratings_name_rater_and_what_is_missing(tmp_path):
    drop = {("R02", "phi-4", "q07", "depth"), ("R02", "phi-4", "q07", "comfort")}
    path, _, _ = mutate(tmp_path, lambda h, rows: (h, [r for r in rows if (r[0], r[4], r[5], r[6]) not in drop]))
    with pytest.raises(EaiError, match=r"rater R02, model phi-4: 2 of 80 ratings missing \(q07/depth, q07/comfort\)"):
        analyze(tmp_path, path)


def test_missing_column_is_named(tmp_path):
    path, _, _ = mutate(tmp_path, lambda h, rows: ([c if c != "score" else "rating" for c in h], rows))
    with pytest.raises(EaiError, match=r"bad.csv, line 1: missing column\(s\) score"):
        analyze(tmp_path, path)


def test_blinded_labels_need_the_key(tmp_path):
    path, _, _ = mutate(tmp_path, set_cell(R03_EAI_Q04_EMPATHY, "model", "A"))
    line = line_of(R03_EAI_Q04_EMPATHY)
    with pytest.raises(EaiError, match=rf"line {line}: model 'A' is a blinded label; pass --key"):
        analyze(tmp_path, path)


def test_question_not_in_key(tmp_path):
    make_form(tmp_path / "form", 5)
    path, _, _ = mutate(tmp_path, set_cell(R03_EAI_Q04_EMPATHY, "question_id", "q42"))
    with pytest.raises(EaiError, match=rf"line {line_of(R03_EAI_Q04_EMPATHY)}: unknown question_id 'q42'"):
        analyze(tmp_path, path, extra=("--key", str(tmp_path / "form" / "key.json")))


FIRST_ROW = {"rater_id": "R08", "model": "EAI", "question_id": "q02", "item": "usefulness"}  # line 2 of the fixture


@pytest.mark.parametrize("match", [R03_EAI_Q04_EMPATHY, FIRST_ROW])
def test_unknown_question_without_key_names_the_line(tmp_path, match):
    """Without --key the ids are checked against the questions file: a typo is its line, not 'ratings missing'."""
    assert line_of(FIRST_ROW) == 2
    path, _, _ = mutate(tmp_path, set_cell(match, "question_id", "q0l"))
    with pytest.raises(EaiError, match=r"^1 bad row\(s\)") as info:
        analyze(tmp_path, path)
    message = str(info.value)
    assert re.search(rf"bad.csv, line {line_of(match)}: unknown question_id 'q0l' \(not in the questions file "
                     rf".*humaneval_questions.json: q01, q02, .*q10; .*--questions FILE\)", message)
    assert "missing" not in message


def test_question_ids_match_ignoring_case_and_leading_zeros(tmp_path):
    rows = [[rater, "x", "y", model, f"Q{q}", item, "3" if model == "base" else "4"]
            for rater in ("R1", "R2") for model in ("base", "tuned") for q in range(1, 11) for item in ITEM_IDS]
    path = write_rows(tmp_path / "r.csv", ["rater_id", "gender", "major", "model", "question_id", "item", "score"],
                      rows)
    result = analyze(tmp_path, path)
    assert result["meta"]["questions"] == [f"q{n:02d}" for n in range(1, 11)]  # the questions file's spelling


def test_unrated_question_of_the_questions_file_is_missing(tmp_path):
    path, _, _ = mutate(tmp_path, lambda h, rows: (h, [r for r in rows if r[5] != "q10"]))
    with pytest.raises(EaiError, match=r"rater R01, model phi-4: 8 of 80 ratings missing \(q10/clarity, "):
        analyze(tmp_path, path)


def custom_study(tmp_path: Path) -> tuple[Path, Path]:
    """A study with its own three questions (ids not in the shipped file), rated completely by two raters."""
    questions = tmp_path / "my_questions.json"
    questions.write_text(json.dumps([{"id": qid, "topic": qid, "question": f"About {qid}?"}
                                     for qid in ("exam-stress", "homesick", "sleep")]))
    rows = [[rater, gender, "STEM", model, qid, item, str(1 + (len(qid) + len(item) + (model == "tuned")) % 5)]
            for rater, gender in (("R1", "female"), ("R2", "male"), ("R3", "female"))
            for model in ("base", "tuned") for qid in ("exam-stress", "homesick", "sleep") for item in ITEM_IDS]
    header = ["rater_id", "gender", "major", "model", "question_id", "item", "score"]
    return questions, write_rows(tmp_path / "custom.csv", header, rows)


def test_study_with_its_own_questions_file(tmp_path):
    questions, path = custom_study(tmp_path)
    result = analyze(tmp_path, path, extra=("--questions", str(questions)))
    assert result["meta"]["questions"] == ["exam-stress", "homesick", "sleep"]
    assert result["meta"]["n_questions"] == 3 and result["models"]["base"]["n_raters"] == 3
    # Without --questions, the shipped ids are expected: one error that says what to pass, not 144 lines.
    with pytest.raises(EaiError, match=r"none of the responses' question ids \(exam-stress, homesick, sleep\) is "
                                       r"in the questions file .*humaneval_questions.json .*pass --questions FILE"):
        analyze(tmp_path, path)
    # With it, a typo in the custom ids is named by its line.
    text = path.read_text().splitlines()
    text[1] = text[1].replace("exam-stress", "exam-stres")
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(EaiError, match=r"custom.csv, line 2: unknown question_id 'exam-stres' \(not in the questions "
                                       r"file .*my_questions.json: exam-stress, homesick, sleep;"):
        analyze(tmp_path, path, extra=("--questions", str(questions)))


def test_questions_file_must_match_the_key(tmp_path):
    make_form(tmp_path / "form", 5)
    questions, _ = custom_study(tmp_path)
    with pytest.raises(EaiError, match=r"--questions .*my_questions.json holds exam-stress, homesick, sleep, but the "
                                       r"key's questions are q01, q02"):
        analyze(tmp_path, RESPONSES, extra=("--key", str(tmp_path / "form" / "key.json"), "--questions",
                                            str(questions)))
    # The file the questionnaire was made from is fine.
    result = analyze(tmp_path, RESPONSES, extra=("--key", str(tmp_path / "form" / "key.json"), "--questions",
                                                 str(QUESTIONS)))
    assert result["meta"]["models"] == ["phi-4", "EAI"]


@pytest.mark.parametrize("match", [FIRST_ROW, R03_EAI_Q04_EMPATHY])
def test_model_typo_anywhere_is_its_own_line(tmp_path, match):
    """The models are the two most frequent names over all input: a typo in the first row is not taken as one."""
    path, _, _ = mutate(tmp_path, set_cell(match, "model", "EIA"))
    with pytest.raises(EaiError, match=r"^1 bad row\(s\)") as info:
        analyze(tmp_path, path)
    message = str(info.value)
    assert re.search(rf"bad.csv, line {line_of(match)}: unknown model 'EIA' \(1 row\): the responses compare "
                     r"(EAI \(639 rows\) and phi-4 \(640 rows\)|phi-4 \(640 rows\) and EAI \(639 rows\)); "
                     r"correct the name, or use --models", message)
    assert "unknown model 'EAI'" not in message and "unknown model 'phi-4'" not in message


def test_model_typos_in_several_files_and_rows(tmp_path):
    header, rows = fixture_rows()
    m = header.index("model")
    raters = sorted({r[0] for r in rows})
    files = []
    for rater in raters:
        own = [list(r) for r in rows if r[0] == rater]
        if rater in ("R01", "R05"):
            own[0][m] = "bsae" if rater == "R01" else "eia"  # the first row of two files
        files.append(write_rows(tmp_path / f"{rater}.csv", header, own))
    with pytest.raises(EaiError, match=r"^2 bad row\(s\)") as info:
        analyze(tmp_path, *files)
    message = str(info.value)
    assert re.search(r"R01.csv, line 2: unknown model 'bsae' \(1 row\): the responses compare ", message)
    assert re.search(r"R05.csv, line 2: unknown model 'eia' \(1 row\): the responses compare ", message)


def test_which_two_models_unclear(tmp_path):
    path, _, _ = mutate(tmp_path, lambda h, rows: (h, [r for r in rows if r[4] == "EAI"]))
    text = path.read_text().splitlines()
    text[1] = text[1].replace(",EAI,", ",gpt-x,")
    text[2] = text[2].replace(",EAI,", ",phi4,")
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(EaiError, match=r"the model column holds 3 names \(EAI \(638 rows\), gpt-x \(1 row\), "
                                       r"phi4 \(1 row\)\), and which two .* --models FIRST,SECOND"):
        analyze(tmp_path, path)


def test_rater_whose_gender_changes(tmp_path):
    path, _, _ = mutate(tmp_path, set_cell(R03_EAI_Q04_EMPATHY, "gender", "male"))
    with pytest.raises(EaiError, match=rf"line {line_of(R03_EAI_Q04_EMPATHY)}: rater R03 has gender 'male' here but "
                                       "'female' at"):
        analyze(tmp_path, path)


def test_row_with_wrong_field_count(tmp_path):
    def change(header, rows):
        rows[find_row(rows, header, **R03_EAI_Q04_EMPATHY)].append("extra")
        return header, rows
    path, _, _ = mutate(tmp_path, change)
    with pytest.raises(EaiError, match=rf"line {line_of(R03_EAI_Q04_EMPATHY)}: 9 fields, but the header has 8"):
        analyze(tmp_path, path)


def test_all_bad_rows_are_counted(tmp_path):
    def change(header, rows):
        for r in rows[:30]:
            r[header.index("score")] = "7"
        return header, rows
    path, _, _ = mutate(tmp_path, change)
    with pytest.raises(EaiError, match=r"(?s)30 bad row\(s\).*\.\.\. and 10 more") as info:
        analyze(tmp_path, path)
    assert str(info.value).count("score 7 is outside 1-5") == 20


def test_one_model_only(tmp_path):
    path, _, _ = mutate(tmp_path, lambda h, rows: (h, [r for r in rows if r[4] == "EAI"]))
    with pytest.raises(EaiError, match=r"ratings of 1 model\(s\) \(EAI\); the analysis compares two"):
        analyze(tmp_path, path)


def test_unknown_factor(tmp_path):
    with pytest.raises(EaiError, match="--factors: no column age"):
        analyze(tmp_path, RESPONSES, extra=("--factors", "gender,age"))


def test_cli_reports_errors_without_traceback(tmp_path):
    path, _, _ = mutate(tmp_path, set_cell(R03_EAI_Q04_EMPATHY, "score", "9"))
    proc = subprocess.run([sys.executable, "-m", "eai_recipes.cli", "humaneval", "analyze", str(path), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert "\neai: error: 1 bad row(s)" in "\n" + proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------------------ integration


def random_adapter(model_dir: Path, out: Path) -> Path:
    """A real PEFT LoRA adapter for the tiny model, with random (non-zero) weights so it changes the answers."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    config = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(out)
    return out


@pytest.mark.integration
def test_answers_from_real_predict_runs_make_a_questionnaire(tmp_path, tiny_model):
    """prepare --run (llamafactory-cli predict: the tiny model, and with a LoRA adapter) -> questionnaire."""
    adapter = random_adapter(tiny_model, tmp_path / "adapter")
    out = tmp_path / "he"
    assert eai("prepare", "--out", str(out), "--model", f"base={tiny_model}", "--model", f"tuned={tiny_model}",
               "--adapter", f"tuned={adapter}", "--max-new-tokens", "12", "--run") == 0
    predictions = {name: out / "answers" / name / "generated_predictions.jsonl" for name in ("base", "tuned")}
    for path in predictions.values():
        assert len(path.read_text().splitlines()) == 10
        assert (out / "logs" / f"predict_{path.parent.name}.log").exists()
    assert load(predictions["base"]) != load(predictions["tuned"])  # the adapter was applied
    assert eai("questionnaire", "--answers", f"base={predictions['base']}", "--answers",
               f"tuned={predictions['tuned']}", "--seed", "3", "--out", str(out / "form")) == 0
    key = json.loads((out / "form" / "key.json").read_text())
    shown = shown_answers((out / "form" / "questionnaire.html").read_text())
    answers = {name: load(path) for name, path in predictions.items()}
    for entry in key["assignments"]:
        assert shown[(entry["question_id"], entry["label"])] == answers[entry["model"]][entry["question_id"]]


@pytest.mark.parametrize(
    ("assignments", "line", "key", "allowed"),
    [
        ('[\n    {"question_id": "q1", "label": "C", "model": "a"}\n  ]', 4, "assignments[0].label", "A, B"),
        ('[\n    {"question_id": "q1", "label": "A"}\n  ]', 4, "assignments[0].model", "--answers"),
        ('[\n    {"question_id": "q1", "label": "A", "model": "a", "modle": "b"}\n  ]', 4, "assignments[0].modle",
         "question_id, label, model"),
        ("[]", 3, "assignments", "eai humaneval questionnaire"),
    ],
)
def test_a_bad_key_file_names_file_line_key_and_what_is_allowed(tmp_path, assignments, line, key, allowed):
    from eai_recipes.humaneval.questionnaire import load_key

    path = tmp_path / "key.json"
    path.write_text('{\n  "models": ["a", "b"],\n  "assignments": ' + assignments + "\n}\n")
    with pytest.raises(EaiError) as err:
        load_key(path)
    problem = next(p for p in str(err.value).splitlines() if f"'{key}'" in p)
    assert problem.startswith(f"{path}:{line}: ") and allowed in problem


def test_a_key_file_that_assigns_a_label_twice_is_refused(tmp_path):
    from eai_recipes.humaneval.questionnaire import load_key

    entry = '{"question_id": "q1", "label": "A", "model": "a"}'
    path = tmp_path / "key.json"
    path.write_text(f'{{"assignments": [{entry}, {entry}]}}')
    with pytest.raises(EaiError, match=r"key\.json.*\(q1, A\) is assigned twice"):
        load_key(path)
