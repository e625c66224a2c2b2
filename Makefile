# papersift developer commands. `make demo` and `make test` are the README's quick start.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORPUS ?= ../shared/data/arxiv-sample.jsonl.gz

.PHONY: install demo test lint bench clean

$(BIN)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev,semantic,bench]'
	touch $@

install: $(BIN)/.installed

demo: install  ## ingest the corpus into the default data dir and serve the website
	$(BIN)/papersift ingest $(CORPUS)
	$(BIN)/papersift serve

test: install  ## the whole test suite, plus lint and type checks
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -n 2

bench: install
	$(BIN)/python -m bench.ingest_and_index
	$(BIN)/python -m bench.keyword_latency

clean:
	rm -rf $(VENV) build *.egg-info
