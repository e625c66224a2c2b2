# papersift developer commands. `make demo` and `make test` are the README's quick start.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORPUS ?= ../shared/data/arxiv-sample.jsonl.gz

.PHONY: install demo test lint bench bench-quick clean

$(BIN)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev,semantic,bench]'
	# Lucene for the benchmark: Pyserini's Anserini jar (its Python dependencies are not needed).
	$(BIN)/python -m pip install --quiet --no-deps 'pyserini==0.25.0'
	touch $@

install: $(BIN)/.installed

demo: install  ## ingest the corpus into the default data dir and serve the website
	$(BIN)/papersift ingest $(CORPUS)
	$(BIN)/papersift serve

test: install  ## the whole test suite, its engine and web tests again on PostgreSQL, lint, types
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -n 2
	PAPERSIFT_TEST_BACKEND=postgresql $(BIN)/pytest -n 2 -q tests --ignore=tests/e2e --ignore=tests/bench

bench: install  ## papersift against its peers at 10k, 100k and 1M papers (hours; by hand)
	$(BIN)/python -m bench --json bench/results/full.json

bench-quick: install  ## the 10k smoke run CI does; fails on a relevance regression or a crash
	$(BIN)/python -m bench --quick --json bench/results/quick.json

clean:
	rm -rf $(VENV) build *.egg-info
