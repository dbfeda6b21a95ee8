"""The launch environment: the variables `llamafactory-cli train` reads to start torchrun or Ray. They are
the *where* of a run: profiles set them, --env overrides them, and they are rendered into the command."""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass
from typing import Any

from eai_recipes.errors import EaiError


@dataclass(frozen=True)
class EnvVar:
    help: str
    kind: str  # flag | count | index | port | host | devices | word


# What `llamafactory-cli train` reads from its environment to launch (llamafactory/launcher.py). These are
# the *where* of a run: profiles set them, --env overrides them, and they are rendered into the command.
LAUNCH_ENV = {
    "FORCE_TORCHRUN": EnvVar("1: run under torchrun, one process per GPU", "flag"),
    "NPROC_PER_NODE": EnvVar("processes (GPUs) per machine; LLaMA-Factory's default: all visible GPUs", "count"),
    "NNODES": EnvVar("number of machines", "count"),
    "NODE_RANK": EnvVar("this machine's rank, 0..NNODES-1; 0 is the master", "index"),
    "MASTER_ADDR": EnvVar("address of the rank-0 machine, reachable from every node", "host"),
    "MASTER_PORT": EnvVar("a free TCP port on the rank-0 machine", "port"),
    "USE_RAY": EnvVar("1: train through Ray workers (ray_num_workers) instead of torchrun", "flag"),
    "RDZV_ID": EnvVar("elastic launch: a rendezvous id shared by all nodes", "word"),
    "MIN_NNODES": EnvVar("elastic launch: fewest machines to run with", "count"),
    "MAX_NNODES": EnvVar("elastic launch: most machines to run with", "count"),
    "MAX_RESTARTS": EnvVar("elastic launch: restarts allowed after a failure", "index"),
    "CUDA_VISIBLE_DEVICES": EnvVar("the GPUs this run may use, e.g. 0,1", "devices"),
}

_ENV_KINDS = {
    "flag": (lambda v: v.lower() in {"0", "1", "true", "false", "y", "n"}, "0 or 1"),
    "count": (lambda v: v.isdigit() and int(v) >= 1, "an integer >= 1"),
    "index": (lambda v: v.isdigit(), "an integer >= 0"),
    "port": (lambda v: v.isdigit() and 1 <= int(v) <= 65535, "a port number 1..65535"),
    "host": (lambda v: bool(re.fullmatch(r"[A-Za-z0-9.:\[\]_-]+", v)), "a host name or IP address"),
    "devices": (lambda v: bool(re.fullmatch(r"[\w-]+(,[\w-]+)*", v)), "a comma-separated list of GPU ids"),
    "word": (lambda v: bool(re.fullmatch(r"[\w.-]+", v)), "letters, digits, '.', '_' or '-'"),
}


def env_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def flag_on(value: str | None) -> bool:
    return value is not None and value.lower() in {"1", "true", "y"}


def check_env(env: dict[str, str | None], where: dict[str, str] | str) -> None:
    """Launch variables must be ones LLaMA-Factory reads, with values it can use, and agree with each other."""
    def src(key: str) -> str:
        return where if isinstance(where, str) else where.get(key, "the environment")

    for key, value in env.items():
        if key not in LAUNCH_ENV:
            close = difflib.get_close_matches(key, LAUNCH_ENV, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise EaiError(f"{src(key)}: unknown launch variable '{key}' ({hint}allowed: {', '.join(LAUNCH_ENV)})")
        if value is None:
            continue
        ok, allowed = _ENV_KINDS[LAUNCH_ENV[key].kind]
        if not ok(value):
            raise EaiError(f"{src(key)}: launch variable {key}: got {value!r}, expected {allowed} "
                           f"({LAUNCH_ENV[key].help})")
    if flag_on(env.get("FORCE_TORCHRUN")) and flag_on(env.get("USE_RAY")):
        raise EaiError(f"{src('USE_RAY')}: FORCE_TORCHRUN=1 and USE_RAY=1 are two launchers; choose one")
    nnodes, rank = env.get("NNODES"), env.get("NODE_RANK")
    if nnodes and rank and nnodes.isdigit() and rank.isdigit() and int(rank) >= int(nnodes):
        raise EaiError(f"{src('NODE_RANK')}: launch variable NODE_RANK={rank} must be below NNODES={nnodes}")
    if nnodes and nnodes.isdigit() and int(nnodes) > 1:
        missing = [k for k in ("NODE_RANK", "MASTER_ADDR") if k not in env]
        if missing:
            raise EaiError(f"{src('NNODES')}: NNODES={nnodes} needs {' and '.join(missing)} too "
                           f"({'; '.join(LAUNCH_ENV[k].help for k in missing)})")


def parse_env(items: list[str] | None) -> dict[str, str]:
    """`--env KEY=VALUE` pairs (launch variables for `llamafactory-cli train`)."""
    env: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise EaiError(f"--env {item!r}: expected KEY=VALUE, e.g. --env NPROC_PER_NODE=4")
        env[key.strip()] = value.strip()
    check_env(env, "--env")
    return env


def env_prefix(env: dict[str, str | None]) -> str:
    """`KEY=value ` for each launch variable; a required one reads the caller's shell (`${KEY:?}` stops the
    command when it is unset, rather than letting torchrun fall back to a wrong default)."""
    parts = [f"{k}=${{{k}:?}}" if v is None else f"{k}={shlex.quote(v)}" for k, v in env.items()]
    return "".join(p + " " for p in parts)


def resolve_env(env: dict[str, str | None], environ: dict[str, str], profile: str) -> dict[str, str]:
    """The launch variables with the required ones read from the caller's environment."""
    resolved: dict[str, str] = {}
    for key, value in env.items():
        if value is None:
            if not environ.get(key):
                needed = " ".join(f"{k}=..." for k, v in env.items() if v is None)
                raise EaiError(f"profile '{profile}' needs {key} in the environment ({LAUNCH_ENV[key].help}); "
                               f"run e.g. `{needed} eai train --profile {profile}` or pass --env {key}=...")
            value = environ[key]
        resolved[key] = value
    check_env(resolved, {k: "the environment" if env[k] is None else "the rendered command" for k in env})
    return resolved

