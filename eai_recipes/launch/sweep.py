"""Running a sweep: every point expanded and validated first (recipes.sweeps), each point's run directory
judged as `eai train` judges it (launch.resume.assess_run: a point finished with the same recipe is skipped,
an interrupted one resumes, and one whose recipe changed since stops the sweep before anything runs), the
points trained one by one, and the results summed up in a table, a CSV and a loss plot. Points are rendered
into a scratch directory first; a run directory gets its new files only when its point is about to train,
so that it keeps describing its adapter."""

from __future__ import annotations

import csv
import json
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

from eai_recipes import paths
from eai_recipes.errors import EaiError
from eai_recipes.launch.preflight import check_gpu
from eai_recipes.launch.resume import assess_run
from eai_recipes.launch.run import check_from_run, train
from eai_recipes.recipes.render import Rendered, yaml_scalar
from eai_recipes.recipes.sweeps import SWEEPS_DIR, Point, Sweep, expand, load


def status(rendered: Rendered) -> tuple[str, Any]:
    """new | resume | finished | changed, and the launcher's RunState behind it: the newly rendered train
    config compared with the one the run directory recorded, as `eai train` does. Changes nothing."""
    state = assess_run(rendered.run_dir, rendered.config("train"))
    word = {"new": "new", "restart": "new", "resume": "resume", "done": "finished", "refuse": "changed"}
    return word[state.action], state


def _refusal(sweep: Sweep, path: Path, changed: list[Point], total: int) -> EaiError:
    """The sweep stops before running anything: these points' run directories hold runs of a recipe that has
    changed since (their results would be reported under settings they were not trained with)."""
    shown = sweep.name if path.parent == SWEEPS_DIR else str(path)
    lines = [f"  {p.name} ({p.run_dir}): {p.state.describe()}" for p in changed]
    moves = "; ".join(f"mv {p.run_dir} {p.run_dir}.old" for p in changed[:2]) + ("; ..." if len(changed) > 2 else "")
    return EaiError(
        f"sweep {sweep.name}: {len(changed)} of {total} points were trained with a recipe that has changed since "
        f"(the sweep's set:, the {sweep.profile} profile or recipes/{changed[0].rendered.profile.recipe}.yaml), "
        "so nothing ran:\n" + "\n".join(lines)
        + f"\n  to start them over: `eai sweep {shown} --fresh` (retrains every point), or move their run "
          f"directories aside ({moves}) and re-run; to keep their results, restore the previous settings")


# ------------------------------------------------------------------------------------------- results


def _trainer_state(run_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((run_dir / "adapter" / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def losses(run_dir: Path) -> dict[str, Any]:
    """Final training loss (last logged), eval loss (the final evaluation, else the last logged one), and
    the curves for the plot."""
    history = _trainer_state(run_dir).get("log_history", [])
    train = [(e["step"], e["loss"]) for e in history if "loss" in e and "step" in e]
    evals = [(e["step"], e["eval_loss"]) for e in history if "eval_loss" in e and "step" in e]
    eval_loss = None
    try:
        eval_loss = json.loads((run_dir / "adapter" / "eval_results.json").read_text())["eval_loss"]
    except (OSError, json.JSONDecodeError, KeyError):
        eval_loss = evals[-1][1] if evals else None
    return {"train_loss": train[-1][1] if train else None, "eval_loss": eval_loss, "train_curve": train,
            "eval_curve": evals}


def _fmt(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4f}"


def results_rows(sweep: Sweep, points: list[Point]) -> list[dict[str, Any]]:
    rows = []
    for p in points:
        found = losses(p.run_dir)
        row = {"point": p.name, **{k: p.overrides.get(k, sweep.sets.get(k, "")) for k in sweep.varied},
               "status": p.status, "train_loss": found["train_loss"], "eval_loss": found["eval_loss"],
               "run_dir": p.run_dir.as_posix()}
        if p.error:
            row["status"] = f"failed: {p.error}"
        rows.append(row)
    return rows


def markdown_table(sweep: Sweep, rows: list[dict[str, Any]]) -> str:
    head = ["point", *sweep.varied, "status", "final train loss", "eval loss", "run directory"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["point"], *(yaml_scalar(r[k]) for k in sweep.varied), r["status"].splitlines()[0],
                 _fmt(r["train_loss"]), _fmt(r["eval_loss"]), r["run_dir"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    scored = [r for r in rows if r["eval_loss"] is not None]
    if scored:
        best = min(scored, key=lambda r: r["eval_loss"])
        lines += ["", f"Lowest eval loss: {best['point']} ({_fmt(best['eval_loss'])}), {best['run_dir']}"]
    return "\n".join(lines) + "\n"


def plot_losses(points: list[Point], out: Path) -> Path | None:
    """Training loss (solid) and eval loss (dashed) of every point on one chart."""
    curves = [(p.name, losses(p.run_dir)) for p in points]
    if not any(c["train_curve"] for _, c in curves):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for name, c in curves:
        if not c["train_curve"]:
            continue
        line, = ax.plot(*zip(*c["train_curve"]), label=f"{name} train")
        if c["eval_curve"]:
            ax.plot(*zip(*c["eval_curve"]), linestyle="--", marker="o", color=line.get_color(),
                    label=f"{name} eval")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(f"sweep {out.parent.name}")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def write_results(sweep: Sweep, points: list[Point], out_dir: Path) -> dict[str, Path]:
    rows = results_rows(sweep, points)
    out_dir.mkdir(parents=True, exist_ok=True)
    table = markdown_table(sweep, rows)
    written = {"table": out_dir / "results.md", "csv": out_dir / "results.csv"}
    written["table"].write_text(f"# Sweep {sweep.name} ({sweep.profile} profile)\n\n{table}", encoding="utf-8")
    with open(written["csv"], "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    plot = plot_losses(points, out_dir / "loss.png")
    if plot:
        written["plot"] = plot
    sys.stdout.write(table)
    return written


# ---------------------------------------------------------------------------------------------- running


def run(path: Path, *, dry_run: bool = False, fresh: bool = False, quiet: bool = True,
        runs_dir: Path = paths.RUNS_DIR) -> list[Point]:
    sweep = load(path)
    with tempfile.TemporaryDirectory(prefix="eai-sweep-") as staging:
        points = expand(path, runs_dir, staging=Path(staging))
        total = len(points)
        print(f"sweep {sweep.name}: {total} points on the {sweep.profile} profile, all valid", file=sys.stderr)
        for p in points:
            p.status, p.state = ("new", None) if fresh else status(p.rendered)
        changed = [p for p in points if p.status == "changed"]
        if dry_run:
            for i, p in enumerate(points, 1):
                if fresh:
                    action = "would train from scratch"
                elif p.status == "changed":
                    action = f"{p.state.describe()}: the sweep would stop"
                elif p.status == "finished":
                    action = f"{p.state.describe()}, would skip"
                else:
                    action = f"would {p.state.describe()}"
                print(f"[{i}/{total}] {p.name}: {action}\n    {p.rendered.shell_command('train')}")
        if changed:
            raise _refusal(sweep, path, changed, total)
        if dry_run:
            return points
        check_gpu(points[0].rendered.profile)
        check_from_run(points[0].rendered)  # a chained sweep (from_run:) needs that run finished, before any point
        for i, p in enumerate(points, 1):
            if p.status == "finished":
                print(f"[{i}/{total}] {p.name}: {p.state.describe()}, skipped ({p.run_dir})", file=sys.stderr)
                p.status = "skipped (finished)"
                continue
            print(f"[{i}/{total}] {p.name}: {'resuming' if p.status == 'resume' else 'training'}", file=sys.stderr)
            try:
                p.rendered.commit()  # only now does the run directory get this recipe's files
                train(p.rendered, fresh=fresh, quiet=quiet)
                p.status = "trained"
            except EaiError as exc:  # one failed point must not stop the night's other points
                p.status, p.error = "failed", str(exc)
                print(f"[{i}/{total}] {p.name}: failed: {str(exc).splitlines()[0]}", file=sys.stderr)
    written = write_results(sweep, points, runs_dir / sweep.name)
    print("wrote " + ", ".join(str(v) for v in written.values()), file=sys.stderr)
    return points

