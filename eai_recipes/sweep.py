"""Hyperparameter sweeps: a base profile plus a grid and/or a list of overrides, expanded to one rendered,
validated recipe per point (all points are checked before anything runs), trained one by one with the
launcher, and summed up in a table and a loss plot.

Each point's run directory is judged as `eai train` judges it (launch.assess_run): a point finished with the
same recipe is skipped, an interrupted one resumes, and one whose recipe changed since (the sweep's `set:`,
the profile or recipes/eai.yaml edited) stops the sweep before anything runs, naming the point and the
changed keys. Points are rendered into a scratch directory first; a run directory gets its new files only
when its point is about to train, so that it keeps describing its adapter.

A sweep file (recipes/sweeps/*.yaml):

    description: what it compares
    profile: paper                 # recipes/profiles/<name>.yaml (or auto)
    set: {num_train_epochs: 1.0}   # overrides shared by every point (optional)
    env: {NPROC_PER_NODE: 4}       # launch variables (optional)
    points:                        # a list of overrides ...
      - {lora_rank: 8, lora_alpha: 16}
      - {lora_rank: 16, lora_alpha: 32}
    grid:                          # ... and/or every combination of these values (crossed with points)
      learning_rate: [5.0e-5, 1.0e-4]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eai_recipes import paths, recipes
from eai_recipes.errors import EaiError

SWEEP_KEYS = ("description", "profile", "set", "env", "grid", "points")
# Short labels for run names; other keys keep their own name.
ABBREV = {
    "learning_rate": "lr", "lora_rank": "r", "lora_alpha": "alpha", "lora_dropout": "drop",
    "per_device_train_batch_size": "bs", "gradient_accumulation_steps": "ga", "num_train_epochs": "ep",
    "max_steps": "steps", "cutoff_len": "len", "warmup_steps": "warm", "lr_scheduler_type": "sched",
    "weight_decay": "wd", "quantization_bit": "q", "lora_target": "target",
}


@dataclass
class Sweep:
    name: str
    path: Path
    profile: str
    description: str = ""
    sets: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    points: list[dict[str, Any]] = field(default_factory=list)  # each point's own overrides
    varied: list[str] = field(default_factory=list)  # keys that differ between points, in file order


@dataclass
class Point:
    name: str
    overrides: dict[str, Any]
    rendered: recipes.Rendered
    status: str = ""  # new | resume | finished | changed, then trained | skipped | failed
    error: str = ""
    state: Any = None  # launch.RunState: what the run directory holds, compared with the rendered recipe

    @property
    def run_dir(self) -> Path:
        return self.rendered.run_dir


# ------------------------------------------------------------------------------------------- the file


def resolve_path(arg: str) -> Path:
    """A sweep file, or the name of a shipped one in recipes/sweeps/."""
    path = Path(arg)
    if path.is_file():
        return path
    shipped = recipes.SWEEPS_DIR / f"{arg}.yaml"
    if shipped.is_file():
        return shipped
    known = ", ".join(sorted(p.stem for p in recipes.SWEEPS_DIR.glob("*.yaml"))) or "none"
    raise EaiError(f"sweep '{arg}': no such file, and no {arg}.yaml in recipes/sweeps/ (shipped: {known})")


def _scalar_list(path: Path, key: str, values: Any) -> list[Any]:
    if not isinstance(values, list) or not values:
        raise EaiError(f"{path}: grid key '{key}' must be a non-empty list of values, e.g. [1.0e-4, 2.0e-4]")
    if any(isinstance(v, (dict, list)) for v in values):
        raise EaiError(f"{path}: grid key '{key}' must list plain values (numbers, strings, true/false)")
    return values


def load(path: Path) -> Sweep:
    data = recipes.load_yaml_mapping(path)
    unknown = sorted(set(data) - set(SWEEP_KEYS))
    if unknown:
        raise EaiError(f"{path}: unknown key(s) {unknown}; allowed: {list(SWEEP_KEYS)}")
    profile = data.get("profile")
    if not isinstance(profile, str):
        raise EaiError(f"{path}: key 'profile' must name a profile in recipes/profiles/, e.g. tiny")
    sets, env = data.get("set") or {}, data.get("env") or {}
    if not isinstance(sets, dict):
        raise EaiError(f"{path}: key 'set' must map LLaMA-Factory keys to values shared by every point")
    if not isinstance(env, dict):
        raise EaiError(f"{path}: key 'env' must map launch variables to values, e.g. NPROC_PER_NODE: 4")
    grid, listed = data.get("grid"), data.get("points")
    if grid is None and listed is None:
        raise EaiError(f"{path}: a sweep needs 'grid' (every combination of the listed values) and/or "
                       "'points' (a list of overrides)")
    if grid is not None and (not isinstance(grid, dict) or not grid):
        raise EaiError(f"{path}: key 'grid' must map keys to lists of values, e.g. learning_rate: [1.0e-4, 2.0e-4]")
    if listed is not None and (not isinstance(listed, list) or not listed
                               or not all(isinstance(p, dict) and p for p in listed)):
        raise EaiError(f"{path}: key 'points' must be a non-empty list of mappings, e.g. "
                       "- {learning_rate: 1.0e-4, lora_rank: 8}")
    axes = [[{k: v} for v in _scalar_list(path, k, vs)] for k, vs in (grid or {}).items()]
    combos = [dict(kv for part in combo for kv in part.items()) for combo in itertools.product(*axes)]
    points = [{**p, **c} for p in (listed or [{}]) for c in combos]
    varied = list(dict.fromkeys(k for p in points for k in p))
    return Sweep(name=path.stem, path=path, profile=profile, description=str(data.get("description", "")),
                 sets=sets, env={str(k): recipes._env_text(v) for k, v in env.items()}, points=points,
                 varied=varied)


def _label(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e6:
            return str(int(value))
        if value != 0 and abs(value) < 1e-2:
            mantissa, exp = f"{value:.2e}".split("e")
            return f"{mantissa.rstrip('0').rstrip('.')}e{int(exp)}"  # 1e-4, not 0.0001
        return f"{value:.3g}"
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", str(value)).strip("-") or "x"


def point_name(overrides: dict[str, Any]) -> str:
    """A readable, file-system-safe run name: lr1e-4_r16."""
    return "_".join(f"{ABBREV.get(k, k)}{_label(v)}" for k, v in overrides.items())


# ------------------------------------------------------------------------------------------ expansion


def expand(path: Path, runs_dir: Path = paths.RUNS_DIR, *, staging: Path | None = None) -> list[Point]:
    """Render and validate every point for runs/<sweep>/<point>/. Every invalid point is reported, with the
    key and what is allowed, before anything runs. With `staging`, the files are written under that scratch
    directory and the run directories are left as they are (Point.rendered.commit() moves them in)."""
    sweep = load(path)
    points: list[Point] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, overrides in enumerate(sweep.points, 1):
        name = point_name(overrides)
        if name in seen:
            problems.append(f"points {seen[name]} and {i} are the same point ({name})")
            continue
        seen[name] = i
        shown = ", ".join(f"{k}={recipes._yaml_scalar(v)}" for k, v in overrides.items())
        try:
            rendered = recipes.render(sweep.profile, {**sweep.sets, **overrides}, run_name=f"{sweep.name}/{name}",
                                      runs_dir=runs_dir, env=sweep.env,
                                      stage_in=staging / sweep.name / name if staging is not None else None)
            recipes.validate_rendered(rendered)
        except EaiError as exc:
            problems.append(f"point {i} ({shown}): {exc}")
            continue
        points.append(Point(name, overrides, rendered))
    if problems:
        raise EaiError(f"{path}: {len(problems)} of {len(sweep.points)} points are invalid, so nothing ran:\n  "
                       + "\n  ".join(problems))
    return points


def status(rendered: recipes.Rendered) -> tuple[str, Any]:
    """new | resume | finished | changed, and the launcher's RunState behind it: the newly rendered train
    config compared with the one the run directory recorded, as `eai train` does. Changes nothing."""
    from eai_recipes import launch

    state = launch.assess_run(rendered.run_dir, rendered.config("train"))
    word = {"new": "new", "restart": "new", "resume": "resume", "done": "finished", "refuse": "changed"}
    return word[state.action], state


def _refusal(sweep: Sweep, path: Path, changed: list[Point], total: int) -> EaiError:
    """The sweep stops before running anything: these points' run directories hold runs of a recipe that has
    changed since (their results would be reported under settings they were not trained with)."""
    shown = sweep.name if path.parent == recipes.SWEEPS_DIR else str(path)
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
        cells = [r["point"], *(recipes._yaml_scalar(r[k]) for k in sweep.varied), r["status"].splitlines()[0],
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
    from eai_recipes import launch

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
        launch.check_gpu(points[0].rendered.profile)
        for i, p in enumerate(points, 1):
            if p.status == "finished":
                print(f"[{i}/{total}] {p.name}: {p.state.describe()}, skipped ({p.run_dir})", file=sys.stderr)
                p.status = "skipped (finished)"
                continue
            print(f"[{i}/{total}] {p.name}: {'resuming' if p.status == 'resume' else 'training'}", file=sys.stderr)
            try:
                p.rendered.commit()  # only now does the run directory get this recipe's files
                launch.train(p.rendered, fresh=fresh, quiet=quiet)
                p.status = "trained"
            except EaiError as exc:  # one failed point must not stop the night's other points
                p.status, p.error = "failed", str(exc)
                print(f"[{i}/{total}] {p.name}: failed: {str(exc).splitlines()[0]}", file=sys.stderr)
    written = write_results(sweep, points, runs_dir / sweep.name)
    print("wrote " + ", ".join(str(v) for v in written.values()), file=sys.stderr)
    return points


def cmd_sweep(args: argparse.Namespace) -> int:
    from eai_recipes import launch

    if args.runs_on:
        launch.link_runs(Path(args.runs_on))
    points = run(resolve_path(args.file), dry_run=args.dry_run, fresh=args.fresh, quiet=not args.verbose)
    failed = [p for p in points if p.status == "failed"]
    if failed:
        print(f"eai: {len(failed)} of {len(points)} points failed; their logs are in <run dir>/logs/",
              file=sys.stderr)
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sweep", help="train one run per point of a hyperparameter sweep, then tabulate the losses",
        description="Expand a sweep file (a profile plus `grid:` and/or `points:` of overrides) into one rendered, "
                    "validated recipe per point under runs/<sweep>/<point>/ (any invalid point stops the sweep "
                    "before it starts), train the points one by one (a point finished with the same recipe is "
                    "skipped, an interrupted one resumes, and one trained with a recipe that has changed since "
                    "stops the sweep before anything runs; --fresh starts over), and write "
                    "runs/<sweep>/results.md, results.csv and loss.png with each point's final training loss, "
                    "eval loss and run directory.",
    )
    p.add_argument("file", metavar="FILE", help="a sweep YAML, or the name of one in recipes/sweeps/")
    p.add_argument("--dry-run", action="store_true",
                   help="expand and validate, print what each point would do and its command; run or write nothing")
    p.add_argument("--fresh", action="store_true",
                   help="retrain every point from scratch (also those whose recipe changed since they were trained)")
    p.add_argument("--verbose", action="store_true", help="stream LLaMA-Factory's full output")
    p.add_argument("--runs-on", metavar="DIR", help="keep runs/ on DIR (e.g. Google Drive), as a link")
    p.set_defaults(func=cmd_sweep)
