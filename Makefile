# eai-recipes: the make targets are thin wrappers around `eai` (see `eai --help`).
SHELL := /bin/bash
VENV ?= .venv
EAI := $(VENV)/bin/eai
PROFILE ?= paper
ARGS ?=

.PHONY: help setup demo test test-fast train predict export eval chat webui bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup:  ## create .venv and install eai-recipes with LLaMA-Factory 0.9.5 (idempotent)
	@bash scripts/setup.sh

demo:  ## whole pipeline offline on CPU: data, QLoRA on the tiny model, predict, export, table
	$(EAI) demo $(ARGS)

test:  ## run the test suite, including the real llamafactory-cli runs on the tiny model
	$(VENV)/bin/python -m pytest $(ARGS)

test-fast:  ## unit tests only (skip the llamafactory-cli integration runs)
	$(VENV)/bin/python -m pytest -m "not integration" $(ARGS)

train:  ## QLoRA training with PROFILE (default: paper, needs a GPU; `make demo` on CPU)
	$(EAI) train --profile $(PROFILE) $(ARGS)

predict:  ## predict on the validation set with the base model and the adapter of PROFILE
	$(EAI) predict --profile $(PROFILE) $(ARGS)

export:  ## merge the adapter of PROFILE into its base model
	$(EAI) export --profile $(PROFILE) $(ARGS)

eval:  ## base vs fine-tuned ROUGE table for PROFILE
	$(EAI) eval --profile $(PROFILE) $(ARGS)

bench:  ## run the benchmarks in bench/ (they print their figures)
	@for b in bench/bench_*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit $$?; done

clean:  ## remove generated data, runs and the tiny model (keeps .venv)
	rm -rf data runs models
