"""The wheels a lent GPU machine needs: it has PyTorch with CUDA, transformers, peft and accelerate (and their
own dependencies) but no network, so everything else that `eai gpu-check` imports travels with the checkout.

`make gpu-wheels` (gather) downloads exactly these files with `pip download --no-deps` for CPython 3.11 on
manylinux x86_64, at the versions this project tests: constraints.txt's pins, llamafactory==0.9.5, and for
the rest the version installed in the environment that runs the gather (the project's .venv). It writes
them into parts of at most PART_LIMIT_MIB each (a device call carries 64 MiB in all), with a manifest.

On the GPU machine, `eai gpu-check --install-wheels DIR` (install) puts whatever wheels DIR holds into
.gpu-site/ with `pip install --no-index --find-links DIR --no-deps --target .gpu-site`; .gpu-site/ is
ignored by git, so on a machine that keeps ignored build outputs between calls, parts carried by successive
calls add up. The check puts .gpu-site/ first on the path of every child it starts and reports the version of
every package it ran with.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from eai_recipes import paths
from eai_recipes.errors import EaiError

WHEELS_DIR = Path("wheels") / "gpu"
SITE_DIR = Path(".gpu-site")
PART_LIMIT_MIB = 60  # one device call carries 64 MiB with the checkout itself
PYTHON_VERSION = "311"
# Every manylinux tag a current x86_64 machine accepts: pip takes explicit --platform tags literally.
PLATFORMS = ("manylinux2014_x86_64", *(f"manylinux_2_{minor}_x86_64" for minor in range(17, 36)))

# What the GPU machine already has (and must not be reinstalled: its torch is the CUDA build).
PREINSTALLED = ("torch", "transformers", "peft", "accelerate")


@dataclass(frozen=True)
class Wanted:
    name: str  # distribution name as pip spells it
    why: str
    sdist: bool = False  # no wheel on PyPI (pure Python): downloaded as a source archive


# In install order of importance: the first parts hold what training needs. Found by importing
# llamafactory's train, chat and api modules plus bitsandbytes in the project venv and subtracting what
# torch + transformers + peft + accelerate import (2026-12, see recipes/README.md).
WANTED = (
    Wanted("llamafactory", "the trainer itself (llamafactory-cli)"),
    Wanted("bitsandbytes", "4-bit NF4 QLoRA on CUDA"),
    Wanted("trl", "imported by LLaMA-Factory's trainers (DPO, PPO) at import time"),
    Wanted("datasets", "LLaMA-Factory's data pipeline"),
    Wanted("pyarrow", "datasets' storage"),
    Wanted("dill", "datasets"),
    Wanted("multiprocess", "datasets"),
    Wanted("xxhash", "datasets"),
    Wanted("fsspec", "datasets pins fsspec<=2025.3.0"),
    Wanted("pandas", "datasets, LLaMA-Factory"),
    Wanted("pytz", "pandas"),
    Wanted("python-dateutil", "pandas"),
    Wanted("six", "python-dateutil"),
    Wanted("omegaconf", "LLaMA-Factory reads YAML + key=value through it"),
    Wanted("pydantic", "LLaMA-Factory and eai_recipes"),
    Wanted("pydantic-core", "pydantic"),
    Wanted("annotated-types", "pydantic"),
    Wanted("typing-inspection", "pydantic"),
    Wanted("requests", "datasets (transformers 5 no longer brings it)"),
    Wanted("urllib3", "requests"),
    Wanted("charset-normalizer", "requests"),
    Wanted("aiohttp", "datasets (fsspec http)"),
    Wanted("aiohappyeyeballs", "aiohttp"),
    Wanted("aiosignal", "aiohttp"),
    Wanted("attrs", "aiohttp"),
    Wanted("frozenlist", "aiohttp"),
    Wanted("multidict", "aiohttp"),
    Wanted("propcache", "aiohttp"),
    Wanted("yarl", "aiohttp"),
    Wanted("torchaudio", "imported by LLaMA-Factory's mm_plugin at import time (text-only runs never call it)"),
    Wanted("nltk", "predict_with_generate's metrics (LLaMA-Factory refuses to predict without it)"),
    Wanted("rouge-chinese", "predict_with_generate's metrics"),
    Wanted("jieba", "predict_with_generate's metrics (no wheel on PyPI: built here)", sdist=True),
    Wanted("fastapi", "eai serve"),
    Wanted("starlette", "fastapi"),
    Wanted("uvicorn", "eai serve"),
    Wanted("sse-starlette", "eai serve (streaming)"),
    Wanted("annotated-doc", "fastapi"),
    Wanted("opentelemetry-api", "fastapi 0.163 imports it"),
)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def constraint_pins(path: Path = paths.ROOT / "constraints.txt") -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_norm(name)] = version.strip()
    return pins


def pinned_versions(wanted: tuple[Wanted, ...] = WANTED, *, pins: dict[str, str] | None = None,
                    installed=None) -> list[tuple[Wanted, str, str]]:
    """(package, version, where the version came from) for each wanted package."""
    pins = constraint_pins() if pins is None else pins
    pins = {**pins, "llamafactory": "0.9.5"}
    installed = installed or (lambda name: md.version(name))
    out = []
    for w in wanted:
        if _norm(w.name) in pins:
            out.append((w, pins[_norm(w.name)], "constraints.txt" if w.name != "llamafactory" else "the project"))
            continue
        try:
            out.append((w, installed(w.name), "installed in the tested environment"))
        except md.PackageNotFoundError:
            raise EaiError(f"{w.name} is not installed here, so its tested version is unknown: run "
                           "`make gpu-wheels` from the project's .venv (make setup)") from None
    return out


def download_command(w: Wanted, version: str, dest: Path) -> list[str]:
    if w.sdist:
        # Pure Python without a wheel on PyPI: build the wheel here, so the GPU machine needs no build tools
        # (an offline `pip install` of the source archive fails there without the `wheel` package).
        return [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "--no-binary",
                ":all:", "-w", str(dest), f"{w.name}=={version}"]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-d", str(dest),
           "--only-binary", ":all:", "--python-version", PYTHON_VERSION, "--implementation", "cp",
           "--abi", f"cp{PYTHON_VERSION}", "--abi", "abi3", "--abi", "none"]
    for platform in PLATFORMS:
        cmd += ["--platform", platform]
    cmd += ["--platform", "any"]
    return cmd + [f"{w.name}=={version}"]


def partition(files: list[tuple[str, int]], limit_bytes: int) -> list[list[str]]:
    """Split files (name, size) into parts of at most limit_bytes, keeping their order (first fit); a file
    larger than the limit gets a part of its own."""
    parts: list[list[str]] = []
    sizes: list[int] = []
    for name, size in files:
        for i, used in enumerate(sizes):
            if used + size <= limit_bytes:
                parts[i].append(name)
                sizes[i] += size
                break
        else:
            parts.append([name])
            sizes.append(size)
    return parts


def _files_of(folder: Path, name: str, version: str) -> list[Path]:
    """The wheel or archive files in folder for name==version (file names spell both loosely)."""
    prefix = _norm(f"{name}-{version}") + "-"
    return sorted(p for p in folder.iterdir() if _norm(p.name).startswith(prefix))


def gather(dest: Path = WHEELS_DIR, *, part_limit_mib: int = PART_LIMIT_MIB) -> dict:
    """Download the wheels into dest/part-N/ and write dest/manifest.json; return the manifest."""
    dest.mkdir(parents=True, exist_ok=True)
    staging = dest / "all"
    staging.mkdir(exist_ok=True)
    rows = []
    for w, version, source in pinned_versions():
        have = _files_of(staging, w.name, version)
        if not have:
            proc = subprocess.run(download_command(w, version, staging), capture_output=True, text=True)
            if proc.returncode != 0:
                raise EaiError(f"pip download {w.name}=={version} failed:\n{proc.stderr.strip()[-1500:]}")
            have = _files_of(staging, w.name, version)
            if not have:
                raise EaiError(f"pip download {w.name}=={version} wrote no file that pip names {w.name}-{version}-*")
        for f in have:
            rows.append({"package": w.name, "version": version, "pinned_by": source, "why": w.why,
                         "file": f.name, "bytes": f.stat().st_size})
    parts = partition([(r["file"], r["bytes"]) for r in rows], part_limit_mib * 2**20)
    for i, names in enumerate(parts, 1):
        part_dir = dest / f"part-{i}"
        part_dir.mkdir(exist_ok=True)
        for name in names:
            target = part_dir / name
            if not target.exists():
                (staging / name).rename(target)
            next(r for r in rows if r["file"] == name)["part"] = i
    total = sum(r["bytes"] for r in rows)
    manifest = {"total_bytes": total, "total_mib": round(total / 2**20, 1), "part_limit_mib": part_limit_mib,
                "parts": [{"part": i, "mib": round(sum(r["bytes"] for r in rows if r.get("part") == i) / 2**20, 1),
                           "files": names} for i, names in enumerate(parts, 1)],
                "preinstalled_on_gpu_machine": list(PREINSTALLED), "wheels": rows}
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if not any(staging.iterdir()):
        staging.rmdir()
    return manifest


def _pip_install(files: list[Path], links: list[str], target: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "--no-build-isolation",
           "--disable-pip-version-check", "--upgrade", "--target", str(target)]
    for link in links:
        cmd += ["--find-links", link]
    return subprocess.run(cmd + [str(p) for p in files], capture_output=True, text=True)


def install(wheel_dir: Path, target: Path = SITE_DIR) -> str:
    """Install every wheel (and source archive) under wheel_dir into target, offline and without
    dependencies. If pip refuses the batch, each file is tried alone, so that one bad file (a source archive
    that cannot build here) costs only its own package: the check then reports that package as missing.
    Returns a summary; raises EaiError when nothing could be installed."""
    files = sorted(p for p in wheel_dir.rglob("*") if p.suffix in (".whl", ".gz", ".zip"))
    if not files:
        raise EaiError(f"no wheels under {wheel_dir}: run `make gpu-wheels` where PyPI is reachable and carry "
                       f"{wheel_dir} to the GPU machine")
    target.mkdir(parents=True, exist_ok=True)
    links = sorted({str(p.parent) for p in files})
    proc = _pip_install(files, links, target)
    if proc.returncode == 0:
        return f"installed {len(files)} files from {wheel_dir} into {target}"
    failed = []
    for f in files:
        one = _pip_install([f], links, target)
        if one.returncode != 0:
            failed.append(f"{f.name}: {(one.stdout + one.stderr).strip().splitlines()[-1:]}")
    if len(failed) == len(files):
        raise EaiError(f"offline install into {target} failed:\n{(proc.stdout + proc.stderr).strip()[-2000:]}")
    return (f"installed {len(files) - len(failed)} of {len(files)} files from {wheel_dir} into {target}; failed:\n  "
            + "\n  ".join(failed))


def summary(manifest: dict) -> str:
    lines = [f"{manifest['total_mib']} MiB in {len(manifest['parts'])} part(s) of at most "
             f"{manifest['part_limit_mib']} MiB:"]
    for part in manifest["parts"]:
        lines.append(f"  part-{part['part']}: {part['mib']} MiB, {len(part['files'])} files")
    big = sorted(manifest["wheels"], key=lambda r: -r["bytes"])[:6]
    lines.append("largest: " + ", ".join(f"{r['file']} {r['bytes'] / 2**20:.1f} MiB" for r in big))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m eai_recipes.gpu_check.wheels install DIR`: what scripts/gpu-check.sh runs on the GPU machine
    before anything else, importing nothing that the wheels bring."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "install":
        print("usage: python -m eai_recipes.gpu_check.wheels install DIR", file=sys.stderr)
        return 2
    try:
        print(install(Path(args[1]), paths.ROOT / SITE_DIR))
    except EaiError as exc:
        print(f"eai: error: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
