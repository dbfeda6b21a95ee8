# eai-recipes: the make targets are thin wrappers around `eai` (see `eai --help`).
SHELL := /bin/bash
VENV ?= .venv
EAI := $(VENV)/bin/eai
PROFILE ?= auto
RUNS_ON ?=
SWEEP ?= tiny_lr
HOST ?=
SERVE_PROFILE ?= tiny
RUN ?= demo
DPO_PROFILE ?= tiny
ARGS ?=

.PHONY: help setup demo dpo lint test test-fast train sweep predict export eval report chat webui bench gpu-check gpu-wheels clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup:  ## create .venv and install eai-recipes with LLaMA-Factory 0.9.5 (idempotent)
	@bash scripts/setup.sh

demo:  ## whole pipeline offline on CPU: data, QLoRA on the tiny model, predict, export, table
	$(EAI) demo $(ARGS)

dpo:  ## preference pass after SFT run RUN (default demo): DPO, SFT vs SFT+DPO table, report (DPO_PROFILE=tiny)
	$(EAI) train --profile $(DPO_PROFILE) --recipe eai_dpo --from-run $(RUN) --run-name $(RUN)-dpo $(ARGS)
	$(EAI) eval --profile $(DPO_PROFILE) --recipe eai_dpo --from-run $(RUN) --run-name $(RUN)-dpo
	$(EAI) report $(RUN)-dpo


# Only `ruff check`: the tree is not run through `ruff format`, so a format check would fail on style alone.
lint:  ## ruff check with the rules in pyproject.toml
	$(VENV)/bin/ruff check .

# -rs lists every skipped test with its reason (no GPU, no Chromium, ...), so a skip is never silent.
test:  ## run the test suite, including the real llamafactory-cli runs on the tiny model
	$(VENV)/bin/python -m pytest -rs $(ARGS)

test-fast:  ## unit tests only (skip the llamafactory-cli integration runs)
	$(VENV)/bin/python -m pytest -rs -m "not integration" $(ARGS)

# `auto` picks the profile for the GPU it finds and says which (L4 -> paper, bf16; A100/H100 -> a100, bf16;
# T4 -> colab-t4, fp16); with no GPU it stops at once and points at `make demo`. --build-data builds data/
# on a fresh clone (after the GPU check). RUNS_ON=DIR keeps runs/ on DIR (e.g. Google Drive) so an ended
# session loses nothing: re-running `make train` resumes from the last checkpoint.
train:  ## QLoRA training; PROFILE=auto picks by GPU (L4/A100: bf16, T4: fp16); RUNS_ON=DIR keeps runs/ on e.g. Google Drive
	$(EAI) train --profile $(PROFILE) --build-data $(if $(RUNS_ON),--runs-on $(RUNS_ON)) $(ARGS)

sweep:  ## hyperparameter sweep SWEEP (a file, or a name in recipes/sweeps/); ARGS=--dry-run prints the commands
	$(EAI) sweep $(SWEEP) $(if $(RUNS_ON),--runs-on $(RUNS_ON)) $(ARGS)

predict:  ## predict on the validation set with the base model and the adapter of PROFILE
	$(EAI) predict --profile $(PROFILE) $(ARGS)

export:  ## merge the adapter of PROFILE into its base model
	$(EAI) export --profile $(PROFILE) $(ARGS)

eval:  ## base vs fine-tuned ROUGE table for PROFILE
	$(EAI) eval --profile $(PROFILE) $(ARGS)

report:  ## one-page HTML report of run RUN (default: demo): loss curve, ROUGE table, examples
	$(EAI) report $(RUN) $(ARGS)

# Serves runs/demo (tiny) by default, training it first if it is missing; SERVE_PROFILE=paper serves Phi-4.
chat:  ## chat page + OpenAI-compatible API on 127.0.0.1:8000 (SERVE_PROFILE=tiny|paper)
	@if [ "$(SERVE_PROFILE)" = tiny ] && [ ! -d runs/demo/adapter ]; then $(EAI) demo; fi
	$(EAI) serve --profile $(SERVE_PROFILE) $(ARGS)

webui:  ## LLaMA-Factory's WebUI with our datasets listed, on 127.0.0.1:7860 (HOST=0.0.0.0 to listen on all)
	$(EAI) webui $(if $(HOST),--host $(HOST)) $(ARGS)

bench:  ## run the benchmarks in bench/ (they print their figures)
	@for b in bench/bench_*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit $$?; done

# Needs a CUDA GPU (stops at once without one), no network: wheel parts carried in wheels/gpu/ are installed
# offline into .gpu-site/ first. See recipes/README.md, "GPU acceptance check". ~8 minutes on one H100.
gpu-check:  ## GPU acceptance: every CUDA path on the tiny model + Phi-4-shaped memory per profile -> runs/gpu-check/
	PYTHON=$(if $(wildcard $(VENV)/bin/python),$(VENV)/bin/python,python3) bash scripts/gpu-check.sh $(ARGS)

gpu-wheels:  ## download the wheels a GPU machine lacks (llamafactory, bitsandbytes, ...) into wheels/gpu/part-N/
	$(EAI) gpu-check wheels $(ARGS)

clean:  ## remove generated data, runs, the tiny model and what the WebUI wrote (keeps .venv)
	rm -rf data runs models llamaboard_cache llamaboard_config saves
