"""Resume: what a run directory holds (complete checkpoints, cut-off ones, a finished adapter, the recipe its
checkpoints were made with) and how a `train` launch treats it: new, restart, resume, done or refuse. A run
never mixes checkpoints of two recipes, and nothing a run wrote is deleted without --fresh."""

from __future__ import annotations

import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eai_recipes.errors import EaiError
from eai_recipes.recipes.render import Rendered

CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
TRAIN_RECORD = ".train_config.json"  # the train.yaml a run's checkpoints were made with
# Keys that may change between an interrupted run and its resumption without mixing two recipes.
RESUME_SAFE_KEYS = frozenset({
    "max_steps", "num_train_epochs", "save_steps", "save_total_limit", "logging_steps", "eval_steps",
    "plot_loss", "report_to", "run_name", "use_swanlab", "swanlab_project", "swanlab_workspace",
    "swanlab_run_name", "swanlab_mode", "swanlab_logdir", "preprocessing_num_workers",
    "dataloader_num_workers", "per_device_eval_batch_size", "overwrite_cache", "ddp_timeout", "ddp_backend",
})





def checkpoints(adapter_dir: Path) -> list[tuple[int, Path]]:
    """Complete checkpoint-N directories (the Trainer writes trainer_state.json last), by step."""
    found = []
    for path in adapter_dir.glob("checkpoint-*"):
        m = CHECKPOINT.match(path.name)
        if m and path.is_dir() and (path / "trainer_state.json").exists():
            found.append((int(m.group(1)), path))
    return sorted(found)


def set_aside_incomplete(adapter_dir: Path) -> list[Path]:
    """Rename checkpoints cut off while being written (no trainer_state.json), so that resuming takes the
    last complete one instead of failing on a half-written one. Nothing is deleted."""
    moved = []
    for path in sorted(adapter_dir.glob("checkpoint-*")):
        if CHECKPOINT.match(path.name) and path.is_dir() and not (path / "trainer_state.json").exists():
            target = path.with_name(path.name + ".incomplete")
            n = 1
            while target.exists():
                n += 1
                target = path.with_name(f"{path.name}.incomplete{n}")
            path.rename(target)
            moved.append(target)
    return moved


def keep_incomplete(run_dir: Path) -> Path | None:
    """Move the adapter's set-aside checkpoints to run_dir/incomplete/ before the adapter directory is
    started over: a cut-off checkpoint may be all that is left of hours of training, so it is never deleted."""
    adapter_dir = run_dir / "adapter"
    cut_off = sorted(p for p in adapter_dir.glob("checkpoint-*.incomplete*") if p.is_dir())
    if not cut_off:
        return None
    keep = run_dir / "incomplete"
    keep.mkdir(exist_ok=True)
    for path in cut_off:
        target, n = keep / path.name, 1
        while target.exists():
            n += 1
            target = keep / f"{path.name}.{n}"
        path.rename(target)
    return keep


def is_finished(adapter_dir: Path) -> bool:
    """LLaMA-Factory writes train_results.json once training has ended and the adapter is saved."""
    return (adapter_dir / "train_results.json").exists()


def recipe_changes(before: dict[str, Any], now: dict[str, Any], *, safe: bool = True) -> list[str]:
    """Keys whose value differs between two train configs (ignoring the resume-safe ones when safe=True)."""
    keys = sorted(set(before) | set(now))
    return [f"{k}: {before.get(k)!r} -> {now.get(k)!r}" for k in keys
            if before.get(k) != now.get(k) and not (safe and k in RESUME_SAFE_KEYS)]


def _read_record(run_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((run_dir / TRAIN_RECORD).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def _mixing_error(rendered: Rendered, what: str, changes: list[str]) -> EaiError:
    return EaiError(
        f"{rendered.run_dir / 'adapter'} holds {what} of a different recipe (changed: {'; '.join(changes)}); "
        f"continuing would mix two recipes. Re-run with the same settings to resume, add --fresh to start "
        f"over, or choose another --run-name"
    )


@dataclass(frozen=True)
class RunState:
    """What a run directory holds, compared with the train config about to use it (see assess_run)."""

    action: str  # new | restart | resume | done | refuse
    what: str = ""  # refuse: what the run directory holds ("a finished adapter", "checkpoints")
    changes: tuple[str, ...] = ()  # refuse: the keys that changed, "key: old -> new"
    checkpoint: Path | None = None  # resume: the checkpoint training goes on from
    step: int = 0
    recorded: bool = True  # done: whether the run directory recorded its recipe
    extends: bool = False  # resume: a finished run trained further (max_steps or num_train_epochs raised)

    def describe(self) -> str:
        """A short phrase for a listing (e.g. a sweep's points)."""
        if self.action == "refuse":
            if self.changes:
                return f"holds {self.what} of a different recipe (changed: {'; '.join(self.changes)})"
            return "holds a finished adapter and no checkpoint to train on from"
        if self.action == "done":
            return "finished" if self.recorded else "finished (no record of its recipe)"
        if self.action == "resume":
            return f"{'train on' if self.extends else 'resume'} from {self.checkpoint.name}"
        return {"new": "train", "restart": "train (no complete checkpoint: starting over)"}[self.action]


def assess_run(run_dir: Path, config: dict[str, Any]) -> RunState:
    """How a `train` launch of `config` would treat `run_dir`, read without changing anything: the one
    decision `eai train` and `eai sweep` share. A run directory records the train config its adapter was made
    with (TRAIN_RECORD); a different recipe (beyond the resume-safe keys) is refused, never mixed or skipped."""
    adapter_dir = run_dir / "adapter"
    if not adapter_dir.is_dir() or not any(adapter_dir.iterdir()):
        return RunState("new")
    record = _read_record(run_dir)
    done = checkpoints(adapter_dir)
    if is_finished(adapter_dir):
        if record is None:
            return RunState("done", recorded=False)
        changes = recipe_changes(record, config)
        if changes:
            return RunState("refuse", "a finished adapter", tuple(changes))
        if all(record.get(k) == config.get(k) for k in ("max_steps", "num_train_epochs")):
            return RunState("done")
        if not done:
            return RunState("refuse", "a finished adapter")
        return RunState("resume", checkpoint=done[-1][1], step=done[-1][0], extends=True)
    if not done:
        return RunState("restart")
    changes = recipe_changes(record, config) if record is not None else []
    if changes:
        return RunState("refuse", "checkpoints", tuple(changes))
    return RunState("resume", checkpoint=done[-1][1], step=done[-1][0])


def refusal(rendered: Rendered, state: RunState) -> EaiError:
    if state.changes:
        return _mixing_error(rendered, state.what, list(state.changes))
    return EaiError(f"{rendered.run_dir / 'adapter'} holds a finished adapter and no checkpoint to train on from; "
                    "add --fresh to train again, or choose another --run-name")


def plan_training(rendered: Rendered, config: dict[str, Any], *, fresh: bool = False) -> str:
    """Decide how a `train` launch treats its run directory: 'fresh', 'resume' or 'done'. Prints what it
    decided; raises when the run directory holds a different recipe's checkpoints."""
    adapter_dir = rendered.run_dir / "adapter"
    record_path = rendered.run_dir / TRAIN_RECORD
    if fresh:
        shutil.rmtree(adapter_dir, ignore_errors=True)
        record_path.unlink(missing_ok=True)
    if adapter_dir.is_dir():
        for path in set_aside_incomplete(adapter_dir):
            print(f"==> train: {path.name}: cut off while being saved; set aside", file=sys.stderr)
    state = assess_run(rendered.run_dir, config)
    if state.action == "new":
        return "fresh"
    if state.action == "restart":
        kept = keep_incomplete(rendered.run_dir)
        print(f"==> train: {adapter_dir} has no complete checkpoint (it stopped before its first save): "
              "starting over" + (f"; cut-off checkpoints kept in {kept}" if kept else ""), file=sys.stderr)
        shutil.rmtree(adapter_dir)
        return "fresh"
    if state.action == "done":
        how = "with this recipe" if state.recorded else "(no record of its recipe)"
        print(f"==> train: {adapter_dir} is already trained {how}; nothing to do (--fresh trains it again)",
              file=sys.stderr)
        return "done"
    if state.action == "refuse":
        raise refusal(rendered, state)
    total = config.get("max_steps") or f"{config.get('num_train_epochs')} epochs"
    print(f"==> train: resuming from {state.checkpoint} (step {state.step} of {total})", file=sys.stderr)
    return "resume"


def resume_hint(rendered: Rendered) -> str:
    done = checkpoints(rendered.run_dir / "adapter")
    if not done:
        return ""
    return f"\n  re-run the same `eai train` command to resume from {done[-1][1]}"

