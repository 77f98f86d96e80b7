# chorebench: `make test` and `make bench` each do their own set-up (virtualenv, deps, image).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH  ?= bench.json

.PHONY: help install image test test-fast lint format bench perf clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,plots]'
	@touch $@

install: $(STAMP) ## create the virtualenv; install chorebench, its dev tools and matplotlib

image: $(STAMP) ## build the grader image if it is missing or stale
	$(BIN)/chorebench image

test: image ## run the whole test suite (needs a Docker engine)
	$(BIN)/pytest -q

test-fast: $(STAMP) ## run the tests that need no Docker engine
	$(BIN)/pytest -q -m 'not docker'

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check runner tests benchmarks grader_image
	$(BIN)/ruff format --check runner tests benchmarks grader_image

format: $(STAMP) ## apply ruff's formatting
	$(BIN)/ruff format runner tests benchmarks grader_image

bench: image ## the main job: run, grade and report from $(BENCH) (OUT=dir resumes a run)
	$(BIN)/chorebench bench --config $(BENCH) $(if $(OUT),--out $(OUT))

$(VENV)/.perf: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,plots,perf]'
	@touch $@

perf: image $(VENV)/.perf ## benchmark against bare containers and the peers; rewrite docs/PERFORMANCE.md
	$(BIN)/python benchmarks/perf.py --write

clean: ## remove the virtualenv
	rm -rf $(VENV)
