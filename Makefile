# papersift developer commands. `make demo` and `make test` are the README's quick start.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORPUS ?= ../shared/data/arxiv-sample.jsonl.gz
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: install install-demo demo test check docs lint bench bench-quick clean

$(BIN)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev,semantic,export,dsi,eval,bench]'
	# Lucene for the benchmark: Pyserini's Anserini jar (its Python dependencies are not needed).
	$(BIN)/python -m pip install --quiet --no-deps 'pyserini==0.25.0'
	# The keyword accelerator: PISA's compiled module (pinned; its pyterrier/pandas stack is not needed).
	$(BIN)/python -m pip install --quiet --no-deps 'pyterrier-pisa==0.4.9' 'tbb==2020.3.254'
	touch $@

install: $(BIN)/.installed

# The demo needs papersift with semantic search and the model export (torch, once): no DSI, no
# evaluation, test or benchmark tools, no compiler.
$(BIN)/.demo-installed: pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	@echo "papersift: installing into $(VENV) with semantic search (a few minutes the first time)"
	@$(BIN)/python -m pip install --progress-bar on -e '.[semantic,export]' \
		| grep -v -e '^Requirement already satisfied' -e '^Looking in' -e 'is ignored' || true
	@$(BIN)/python -c "import papersift.engine"  # fail here, not later, if the install did
	@touch $@

install-demo: $(BIN)/.demo-installed

demo: install-demo  ## ingest the sample and serve it at once; semantic search grows meanwhile
	@$(BIN)/python -c "import socket; s = socket.socket(); \
		s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('$(HOST)', $(PORT)))" \
		2>/dev/null || { echo "papersift: port $(PORT) is in use; try make demo PORT=8001"; exit 1; }
	$(BIN)/papersift ingest $(CORPUS)
	$(BIN)/papersift serve --host $(HOST) --port $(PORT)

test: install  ## the whole test suite, its engine and web tests again on PostgreSQL, lint, types
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -n 2
	PAPERSIFT_TEST_BACKEND=postgresql $(BIN)/pytest -n 2 -q tests --ignore=tests/e2e --ignore=tests/bench

# The fast lane: lint, types and the tests that need neither PostgreSQL, a browser, the benchmarks
# nor minutes of model training (those are marked slow); make test runs everything.
FAST_TESTS := -m "not slow and not e2e" --ignore=tests/bench --ignore=tests/e2e

check: install  ## lint, types and the fast tests (under two minutes); make test runs them all
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	PAPERSIFT_TEST_NO_POSTGRES=1 $(BIN)/pytest -q -n 2 $(FAST_TESTS)

docs: install  ## regenerate docs/cli.md and docs/settings.md from the code (a test checks them)
	$(BIN)/python -m papersift.reference

bench: install  ## papersift against its peers at 10k, 100k and 1M papers (hours; by hand)
	$(BIN)/python -m bench --json bench/results/full.json

bench-quick: install  ## the 10k smoke run CI does; fails on a relevance regression or a crash
	$(BIN)/python -m bench --quick --json bench/results/quick.json

clean:
	rm -rf $(VENV) build *.egg-info
